"""The server's JSON-RPC behaviour: races and malformed messages never reach the
user as error pop-ups, and every request gets exactly one answer."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
from pathlib import Path
from typing import IO, Any, get_type_hints

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, save_file, wait_idle
from raco_lsp.lsp import protocol
from raco_lsp.lsp.server import create_server
from raco_lsp.lsp.uris import path_uri

BASE = "#lang racket/base\n"


def errors_shown(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


def answer_progress_create_slowly(client: LanguageClient, delay: float) -> None:
    """Replace pytest-lsp's ``window/workDoneProgress/create`` handler by one
    that answers after ``delay`` seconds (a busy editor)."""

    async def slow_create(
        client: LanguageClient, params: types.WorkDoneProgressCreateParams
    ) -> None:
        client.progress_reports.setdefault(params.token, [])
        await asyncio.sleep(delay)

    client.protocol.fm.features.pop(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(slow_create)


async def test_rapid_saves_with_a_slow_progress_create_show_no_error(ws: Path) -> None:
    util, main = ws / "util.rkt", ws / "main.rkt"
    util.write_text(BASE + "(provide f)\n(define (f x) x)\n")
    main.write_text(BASE + '(require "util.rkt")\n(f 1)\n')
    async with lsp_session(ws) as client:
        open_file(client, main)
        await wait_idle(client)
        open_file(client, util)
        answer_progress_create_slowly(client, 0.8)
        # Each save cancels the build of the one before, which is still
        # waiting for the client to create its progress token.
        for i in range(10):
            name = "g" if i % 2 == 0 else "f"
            save_file(client, util, BASE + f"(provide {name})\n(define ({name} x) x)\n")
            await asyncio.sleep(0.4)
        await wait_idle(client)
        await asyncio.sleep(1.0)  # the last late answers to create arrive
        await wait_idle(client)
        assert errors_shown(client) == []
        # The last save (i = 9) provides f again: everything compiles.
        assert diagnostics(client, util) == [] and diagnostics(client, main) == []
        save_file(client, util, BASE + "(provide g)\n(define (g x) x)\n")
        await wait_idle(client)
        (d,) = diagnostics(client, main)
        assert d.message.startswith("f: unbound identifier")
        assert errors_shown(client) == []


# -- protocol fuzz: raw JSON-RPC over the server's stdio ---------------------

SERVE = [sys.executable, "-m", "raco_lsp", "serve", "--log-level", "INFO"]
MISSING = object()  # a message without "params"
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32600, -32601, -32602
LIFECYCLE = {types.INITIALIZE, types.INITIALIZED, types.SHUTDOWN, types.EXIT}
UNKNOWN = ["raco/nothing", "textDocument/nothing"]


class RawClient:
    """A minimal Content-Length framed JSON-RPC client: it sends any JSON,
    also what lsprotocol's typed client would refuse to."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.last_id = 0
        self.responses: dict[Any, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(
        cls, root: Path, stderr: IO[bytes], env: dict[str, str], argv: list[str] = SERVE
    ) -> RawClient:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=root,
        )
        return cls(proc)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := await out.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if not line:
                return
            msg = json.loads(await out.readexactly(length))
            if "method" in msg and "id" in msg:  # the server asks (registerCapability)
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            elif "method" in msg:
                self.notifications.append(msg)
            else:
                self.responses.setdefault(msg.get("id"), []).append(msg)
                waiting = self._waiting.pop(msg.get("id"), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(msg)

    async def request(self, method: str, params: Any = MISSING, timeout: float = 30) -> Any:
        """Send a request and wait for its response (result or error)."""
        self.last_id += 1
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": self.last_id, "method": method}
        if params is not MISSING:
            msg["params"] = params
        answer = asyncio.get_running_loop().create_future()
        self._waiting[self.last_id] = answer
        self.send(msg)
        return await asyncio.wait_for(answer, timeout)

    def notify(self, method: str, params: Any = MISSING) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not MISSING:
            msg["params"] = params
        self.send(msg)

    def errors_shown(self) -> list[Any]:
        return [
            n["params"]
            for n in self.notifications
            if n["method"] == types.WINDOW_SHOW_MESSAGE
            and (n.get("params") or {}).get("type") == types.MessageType.Error
        ]

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def _registered() -> tuple[list[str], list[str], list[str]]:
    """The server's request methods, notification methods and commands."""
    fm = create_server().protocol.fm
    requests: list[str] = []
    notifications: list[str] = []
    for method in sorted({*fm.builtin_features, *fm.features} - LIFECYCLE):
        message_type = types.METHOD_TO_TYPES.get(method, (None,))[0]
        is_request = message_type is None or "id" in attrs.fields_dict(message_type)
        (requests if is_request else notifications).append(method)
    return requests, notifications, sorted(fm.commands)


FIELDS = [
    "textDocument",
    "uri",
    "position",
    "line",
    "character",
    "range",
    "start",
    "end",
    "command",
    "arguments",
    "contentChanges",
    "text",
    "version",
    "languageId",
    "token",
    "id",
    "value",
    "settings",
    "changes",
    "context",
    "diagnostics",
    "only",
    "uris",
    "ids",
    "mode",
    "path",
    "dir",
    "module",
    "type",
]  # fmt: skip  ("trusted" and "racketPath" are left out on purpose)
HUGE = [2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**30, -1, 1e308, -0.0]
TEXTS = [BASE, BASE + "(", BASE + '(require "util.rkt")\n(f 1)\n', "#lang info\n(define", ""]


def _messages(root: Path) -> st.SearchStrategy[tuple[bool, str, Any]]:
    """``(is_request, method, params)``: the server's methods and commands,
    and unknown ones, with params of every shape: missing, null, wrong types,
    nested junk, huge numbers, strings for numbers, and LSP-like shapes with
    junk inside."""
    requests, notifications, commands = _registered()
    files = [root / "util.rkt", root / "main.rkt", root / "info.rkt", root / "none.rkt"]
    uris = st.one_of(
        st.sampled_from([path_uri(p) for p in files]),
        st.sampled_from(["file:///", "file://", "untitled:1", "file:///nonexistent/x.plt", ""]),
        st.text(max_size=12),
    )
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 50),
        st.sampled_from(HUGE),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.sampled_from(["3", "-1", "1e9", "true", "null"]),  # strings for numbers
        uris,
    )
    keys = st.one_of(st.sampled_from(FIELDS), st.text(alphabet="xyz", max_size=3))
    junk = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=12,
    )
    number = st.one_of(st.integers(0, 40), junk)
    text = st.one_of(st.sampled_from(TEXTS), st.text(max_size=30), junk)
    position = st.one_of(st.fixed_dictionaries({"line": number, "character": number}), junk)
    range_ = st.one_of(st.fixed_dictionaries({"start": position, "end": position}), junk)
    document = st.one_of(
        st.fixed_dictionaries(
            {"uri": uris},
            optional={"version": number, "languageId": st.just("racket"), "text": text},
        ),
        junk,
    )
    change = st.fixed_dictionaries({"text": text}, optional={"range": range_})
    shaped = st.fixed_dictionaries(
        {"textDocument": document},
        optional={
            "position": position,
            "range": range_,
            "context": junk,
            "contentChanges": st.one_of(st.lists(change, max_size=2), junk),
            "uri": uris,
            "uris": st.lists(uris, max_size=2),
        },
    )
    params = st.one_of(shaped, junk)
    command = st.fixed_dictionaries(
        {"command": st.sampled_from([*commands, "raco-lsp.nothing", ""])},
        optional={"arguments": st.one_of(st.lists(st.one_of(params, uris), max_size=2), junk)},
    )
    top = st.one_of(st.just(MISSING), params)
    return st.one_of(
        st.tuples(st.just(True), st.sampled_from([*requests, *UNKNOWN]), top),
        st.tuples(st.just(False), st.sampled_from([*notifications, *UNKNOWN]), top),
        st.tuples(st.just(True), st.just(types.WORKSPACE_EXECUTE_COMMAND), command),
    )


def _command(name: str, *arguments: Any) -> dict[str, Any]:
    return {"command": name, "arguments": list(arguments)}


async def _start_untrusted(root: Path, stderr: IO[bytes], cache: Path) -> RawClient:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    client = await RawClient.start(root, stderr, env)
    await client.request(
        types.INITIALIZE,
        {
            "processId": None,
            "rootUri": path_uri(root),
            "capabilities": {},
            "workspaceFolders": [{"uri": path_uri(root), "name": root.name}],
            "initializationOptions": {"raco-lsp": {"trusted": False}},
        },
    )
    client.notify(types.INITIALIZED, {})
    return client


def _check_answer(method: str, params: Any, answer: dict[str, Any], commands: set[str]) -> None:
    assert ("result" in answer) != ("error" in answer), answer
    if "result" in answer:
        return
    code = answer["error"]["code"]
    if method in UNKNOWN:
        assert code == METHOD_NOT_FOUND, answer
        return
    if method in (types.TEXT_DOCUMENT_PREPARE_RENAME, types.TEXT_DOCUMENT_RENAME) and (
        code == types.LSPErrorCodes.RequestFailed
    ):
        return  # a rename refused, with a message the user sees
    # No handler crashed (InternalError): what the server cannot use is the
    # client's mistake, and it says so.
    assert code in (INVALID_PARAMS, INVALID_REQUEST), answer
    if method == types.WORKSPACE_EXECUTE_COMMAND and isinstance(params, dict):
        # An untyped command takes any arguments (pygls resolves their
        # annotations when there are arguments: a name it cannot resolve
        # made the command fail).  A typed one refuses, with InvalidParams,
        # only arguments that are not one object of its lsp/protocol.py class.
        arguments = params.get("arguments")
        if params.get("command") in commands and isinstance(arguments, list):
            typed = _typed_commands().get(params["command"])
            assert typed is not None and code == INVALID_PARAMS, answer
            assert not _fits(arguments, typed), answer


@functools.cache
def _typed_commands() -> dict[str, type]:
    """Commands whose one argument is a ``@wire`` class -> that class."""
    out = {}
    for name, handler in create_server().protocol.fm.commands.items():
        hints = get_type_hints(getattr(handler, "func", handler))  # a partial: (server, ...)
        wire = [t for p, t in hints.items() if p != "return" and isinstance(t, type)]
        if wire and attrs.has(wire[-1]):
            out[name] = wire[-1]
    return out


def _fits(arguments: list[Any], cls: type) -> bool:
    if len(arguments) != 1:
        return False
    try:
        protocol.converter().structure(arguments[0], cls)
    except Exception:
        return False
    return True


def test_every_request_gets_exactly_one_answer(ws: Path, tmp_path: Path) -> None:
    util, main = ws / "util.rkt", ws / "main.rkt"
    util.write_text(BASE + "(provide f)\n(define (f x) x)\n")
    main.write_text(BASE + '(require "util.rkt")\n(f 1)\n')
    (ws / "info.rkt").write_text('#lang info\n(define collection "fz")\n')
    main_doc = {"uri": path_uri(main)}
    hover = types.TEXT_DOCUMENT_HOVER
    execute = types.WORKSPACE_EXECUTE_COMMAND
    commands = set(_registered()[2])
    log_path = tmp_path / "server.log"

    with asyncio.Runner() as runner, log_path.open("wb") as log:
        client = runner.run(_start_untrusted(ws, log, tmp_path / "cache"))

        def status() -> Any:
            return runner.run(client.request(execute, _command("raco-lsp.serverStatus")))["result"]

        @settings(
            max_examples=300,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(_messages(ws))
        @example((True, hover, {"bad": 1}))
        @example(
            (True, hover, {"textDocument": main_doc, "position": {"line": "x", "character": 0}})
        )
        @example(
            (True, hover, {"textDocument": main_doc, "position": {"line": 2**64, "character": 0}})
        )
        @example((True, execute, {}))
        @example((True, execute, _command("raco-lsp.infoIdle", {"uri": path_uri(main)})))
        @example((True, execute, _command("raco-lsp.nothing")))
        @example((True, "raco/nothing", None))
        @example(
            (
                False,
                types.TEXT_DOCUMENT_DID_CHANGE,
                {
                    "textDocument": {"uri": path_uri(ws / "never-opened.rkt"), "version": 2},
                    "contentChanges": [{"text": BASE}],
                },
            )
        )
        @example((False, types.TEXT_DOCUMENT_DID_OPEN, {"textDocument": 5}))
        def one_message(message: tuple[bool, str, Any]) -> None:
            is_request, method, params = message
            if is_request:
                answer = runner.run(client.request(method, params))
                _check_answer(method, params, answer, commands)
            else:
                client.notify(method, params)
            # The server read the message (and is still not trusted).
            assert status()["trusted"] is False
            assert client.errors_shown() == []

        try:
            one_message()
            runner.run(wait_idle_raw(client))
            assert client.errors_shown() == []
            assert set(client.responses) == set(range(1, client.last_id + 1))
            assert all(len(answers) == 1 for answers in client.responses.values())
            # Still up, and a valid request works.
            position = {"line": 1, "character": 12}
            answer = runner.run(
                client.request(hover, {"textDocument": main_doc, "position": position})
            )
            assert "util.rkt" in answer["result"]["contents"]["value"]
            # A request with an unusable id is answered with id null.
            client.send({"jsonrpc": "2.0", "id": {"a": 1}, "method": hover, "params": {}})
            assert status()["trusted"] is False
            (answer,) = client.responses[None]
            assert answer["error"]["code"] == INVALID_REQUEST
            # After shutdown, requests are refused (not left unanswered).
            assert runner.run(client.request(types.SHUTDOWN))["result"] is None
            answer = runner.run(client.request(execute, _command("raco-lsp.serverStatus")))
            assert answer["error"]["code"] == INVALID_REQUEST
            client.notify(types.EXIT)
            assert runner.run(asyncio.wait_for(client.proc.wait(), 20)) == 0
        finally:
            runner.run(client.close())


async def wait_idle_raw(client: RawClient) -> None:
    for command in ("raco-lsp.waitIdle", "raco-lsp.infoIdle", "raco-lsp.setupIdle"):
        assert (await client.request(types.WORKSPACE_EXECUTE_COMMAND, _command(command)))["result"]


@pytest.mark.parametrize("debug", [False, True], ids=["default", "debug"])
async def test_the_log_says_what_the_server_does_not_the_traffic(
    ws: Path, tmp_path: Path, debug: bool
) -> None:
    f = ws / "a.rkt"
    f.write_text("#lang racket/base\n(oops)\n")
    argv = [sys.executable, "-m", "raco_lsp", "serve", *(["--log-level", "DEBUG"] if debug else [])]
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        client = await RawClient.start(ws, stderr, dict(os.environ), argv)
        try:
            await client.request(
                types.INITIALIZE,
                {"processId": None, "rootUri": path_uri(ws), "capabilities": {}},
            )
            client.notify(types.INITIALIZED, {})
            client.notify(
                types.TEXT_DOCUMENT_DID_OPEN,
                {
                    "textDocument": {
                        "uri": path_uri(f),
                        "languageId": "racket",
                        "version": 1,
                        "text": f.read_text(),
                    }
                },
            )
            await wait_idle_raw(client)
            await client.request(types.SHUTDOWN, timeout=60)
            client.notify(types.EXIT)
            await asyncio.wait_for(client.proc.wait(), 60)
        finally:
            await client.close()
    text = log.read_text()
    assert "using racket at" in text
    assert ("Sending data" in text) is debug
    assert ('"jsonrpc"' in text) is debug


SLOW_MODULE = (
    "#lang racket/base\n(require (for-syntax racket/base))\n"
    "(define-syntax (slow stx) (sleep 5) #'(void))\n(slow)\n"
)


@pytest.mark.parametrize("how", ["shutdown-exit", "exit", "stdin-closed"])
async def test_quitting_during_a_build_is_clean(ws: Path, tmp_path: Path, how: str) -> None:
    f = ws / "slow.rkt"
    f.write_text(SLOW_MODULE)
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        client = await RawClient.start(ws, stderr, dict(os.environ))
        try:
            await client.request(
                types.INITIALIZE,
                {"processId": None, "rootUri": path_uri(ws), "capabilities": {}},
            )
            client.notify(types.INITIALIZED, {})
            client.notify(
                types.TEXT_DOCUMENT_DID_OPEN,
                {
                    "textDocument": {
                        "uri": path_uri(f),
                        "languageId": "racket",
                        "version": 1,
                        "text": SLOW_MODULE,
                    }
                },
            )
            for _ in range(200):  # until the build is under way
                if "compiling" in log.read_text().lower() or any(
                    n["method"] == "raco/buildStatus" for n in client.notifications
                ):
                    break
                await asyncio.sleep(0.05)
            if how == "shutdown-exit":
                await client.request(types.SHUTDOWN, timeout=60)
                client.notify(types.EXIT)
            elif how == "exit":
                client.notify(types.EXIT)
            else:
                assert client.proc.stdin is not None
                client.proc.stdin.close()
            code = await asyncio.wait_for(client.proc.wait(), 60)
        finally:
            await client.close()
    text = log.read_text()
    assert "Traceback" not in text and " ERROR" not in text, text
    assert code == (0 if how == "shutdown-exit" else 1) or how == "stdin-closed"
