"""What the user waits for: the server measured through LSP over stdio.

Run: make bench BENCH=lsp.  A client process starts ``raco-lsp serve`` like an
editor does and times, on synthetic 200- and 1,000-module workspaces, each
against its baseline measured in the same run on the same files:

- save -> diagnostics of a one-module content change (an error introduced,
  then fixed): from writing the file and sending didChange + didSave to the
  ``publishDiagnostics`` for that file that shows the new state; baseline:
  spawning ``raco make FILE`` after the same edit;
- no-op save (nothing changed) -> build done (``raco-lsp.waitIdle`` answered);
  baseline: ``raco make FILE`` with nothing to do;
- open a stale file -> its first diagnostics, in a cold server (fresh cache
  folder: installation scan, language profiles and agents all start) and in a
  warm one (same cache, second start); baseline: ``raco make FILE``.

Figures are medians (and the worst) over the rounds; the ratio is
baseline / ours, so higher is better.  On the 1,000-module workspace also:

- request latency, from sending the request to its answer, for hover (on a
  require string, on the ``#lang`` line), definition (on a require string),
  document links, code lens and completion in info.rkt's ``deps``: p50 and
  p95 over ``REQUESTS`` requests of each kind, one at a time, in an idle
  server after one unmeasured request (target: p95 < 20 ms);
- the resident memory (VmRSS) of the server and everything it started (its
  descendants in /proc: compile agents and other Racket helpers), idle after
  opening the workspace and again after ``SAVES`` saves of one module
  alternating error/fixed content, each waited for its diagnostics.

Identifiers (``bench_identifiers``), on the 200-module workspace (a module of
its last layer) and on a typical 500-line module (``synth.make_typical_module``)
in it, in one server:

- didOpen -> analysis ready: until the first definition request answers with
  a location;
- didChange (an unsaved edit adding a definition and a use) -> a definition
  request on the new use answers, when the build analyses unsaved buffers
  (else "n/a");
- hover, definition, references (if the server offers them) and completion:
  p50 and p95 over ``REQUESTS`` requests once analysed (target p95 < 50 ms);
- server + agents RSS after opening 20 modules and asking a definition in
  each (target: below racket-langserver's 251 MB after initialize), and for
  raco-lsp again once idle past ``spareAgentTimeout``.

racket-langserver is measured the same way in the same run when it is
installed or ``RACKET_LANGSERVER`` is a command that starts it, and otherwise
skipped with the reason printed (the bench needs no network).  To install it
in a scope of its own, offline, from GitHub checkouts of jeapostrophe/
racket-langserver, 6cdh/racket-fixw (``fixw``) and jeapostrophe/html-parsing
(Neil Van Dyke's ``html-parsing`` under the collection ``sxml/html``; a
two-line package ``html-parsing`` re-exporting ``html->xexp`` from
``sxml/html`` stands in for the catalog's): with ``PLTUSERHOME`` and
``PLTADDONDIR`` pointing into a temporary directory, ``raco pkg install
--scope user --no-setup --link`` each (racket-langserver with ``--deps force``:
its build dependency profile-flame-graph is not installed), then ``raco setup
--no-docs --pkgs racket-langserver fixw html-parsing ...``; run with
``RACKET_LANGSERVER="env PLTUSERHOME=... PLTADDONDIR=... racket -l
racket-langserver"``.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from bench.synth import Synth, make_typical_module, make_workspace
from raco_lsp.lsp.settings import Settings

ROUNDS = 6
REQUESTS = 50
SAVES = 100
SERVER = [sys.executable, "-m", "raco_lsp", "serve", "--log-level", "WARNING"]


def _raco_make(*files: Path) -> float:
    t = time.perf_counter()
    subprocess.run(["raco", "make", *map(str, files)], capture_output=True)
    return time.perf_counter() - t


class Session:
    """A server on a workspace, seen from the client: waits for the
    diagnostics of one file to reach a state."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.waiters: list[tuple[str, bool, asyncio.Future[float]]] = []
        self.versions: dict[str, int] = {}
        self.capabilities = types.ServerCapabilities()

        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            now = time.perf_counter()
            client.diagnostics[params.uri] = params.diagnostics
            has_error = any(
                d.severity == types.DiagnosticSeverity.Error for d in params.diagnostics
            )
            for uri, want_error, fut in list(self.waiters):
                if uri == params.uri and has_error == want_error and not fut.done():
                    fut.set_result(now)

        # In place of pytest-lsp's own handler, which only stores them.
        client.protocol.fm.features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(on_diagnostics)

    def expect(self, path: Path, *, error: bool) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((path.as_uri(), error, fut))
        return fut

    def open(self, path: Path) -> None:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="racket", version=1, text=path.read_text()
                )
            )
        )

    def change(self, path: Path, text: str) -> None:
        """An edit, unsaved: the whole buffer replaced by ``text``."""
        uri = path.as_uri()
        self.versions[uri] = self.versions.get(uri, 1) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def save(self, path: Path, text: str) -> None:
        path.write_text(text)
        self.change(path, text)
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri())
            )
        )

    async def wait_idle(self) -> None:
        await asyncio.wait_for(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="raco-lsp.waitIdle")
            ),
            600,
        )


async def _start(
    root: Path,
    env: dict[str, str],
    command: list[str] = SERVER,
    capabilities: types.ClientCapabilities | None = None,
    *,
    integer_ids: bool = False,
) -> Session:
    client = await ClientServerConfig(server_command=command, server_env=env).start()
    assert isinstance(client, LanguageClient)
    if integer_ids:
        # racket-langserver takes only numbers as request ids (pygls sends UUIDs).
        send, ids = client.protocol.send_request, itertools.count(1)

        def numbered(
            method: str, params: Any = None, callback: Any = None, msg_id: Any = None
        ) -> Any:
            return send(method, params, callback, next(ids) if msg_id is None else msg_id)

        client.protocol.send_request = numbered  # type: ignore[method-assign]
    session = Session(client)

    # Accept the server's file watchers, as editors do (a save then
    # re-examines only what changed; the builds' own .dep/.zo writes are
    # known to the server without the client's reports).
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register(params: types.RegistrationParams) -> None:
        return None

    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            root_path=str(root),  # racket-langserver refuses an initialize without it
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    session.capabilities = result.capabilities
    return session


async def _stop(session: Session) -> None:
    await asyncio.wait_for(session.client.shutdown_session(), 30)


def _target(synth: Synth) -> Path:
    """A module of the last layer: what a user edits at the top of a program
    (its one dependent is main.rkt)."""
    return synth.layers[-1][0]


SPARE_AGENT_TIMEOUT = Settings().spare_agent_timeout


def _rss() -> tuple[int, list[tuple[str, int]]]:
    """kB of VmRSS of the server (this process's one child while a session
    runs), and of each process it started (its descendants), named by what
    it runs (a helper's file and role: ``agent.rkt compile``)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(d.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])  # none for a zombie
    (server,) = children.get(os.getpid(), [])
    found: list[tuple[str, int]] = []
    todo = list(children.get(server, []))
    while todo:
        pid = todo.pop()
        found.append((_process_name(pid), rss[pid]))
        todo += children.get(pid, [])
    return rss[server], sorted(found)


def _process_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [os.fsdecode(a) for a in argv if a]
    script = next((i for i, w in enumerate(words) if w.endswith(".rkt")), None)
    if script is None:
        return Path(words[0]).name if words else "?"
    return " ".join([Path(words[script]).name, *words[script + 1 : script + 2]])


def _fmt_rss(sample: tuple[int, list[tuple[str, int]]]) -> str:
    server, helpers = sample
    total = server + sum(kb for _, kb in helpers)
    parts = [f"server {server / 1024:.0f}"] + [f"{n} {kb / 1024:.0f}" for n, kb in helpers]
    return f"{total / 1024:.0f} MB ({' + '.join(parts)} MB)"


def _position(path: Path, needle: str, offset: int) -> types.Position:
    """Where ``offset`` characters into the first ``needle`` of ``path`` is."""
    for line, text in enumerate(path.read_text().splitlines()):
        at = text.find(needle)
        if at >= 0:
            return types.Position(line=line, character=at + offset)
    raise ValueError(f"{needle!r} not in {path}")


async def _requests(session: Session, target: Path, info: Path) -> list[tuple[str, list[float]]]:
    """Each request kind's latencies over ``REQUESTS`` requests in an idle
    server.  Every kind must answer with something, but for hover on the
    ``#lang`` line (no feature has a hover there: its time is the handlers'
    looking), whose name then says it answered null."""
    client = session.client
    doc = types.TextDocumentIdentifier(uri=target.as_uri())
    info_doc = types.TextDocumentIdentifier(uri=info.as_uri())
    on_require = _position(target, '"../', 3)
    on_lang = _position(target, "#lang racket/base", 8)
    in_deps = _position(info, '"base"', 3)
    kinds: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (
            "hover, require string",
            lambda: client.text_document_hover_async(types.HoverParams(doc, on_require)),
        ),
        (
            "hover, #lang line",
            lambda: client.text_document_hover_async(types.HoverParams(doc, on_lang)),
        ),
        (
            "definition, require string",
            lambda: client.text_document_definition_async(types.DefinitionParams(doc, on_require)),
        ),
        (
            "document links",
            lambda: client.text_document_document_link_async(types.DocumentLinkParams(doc)),
        ),
        ("code lens", lambda: client.text_document_code_lens_async(types.CodeLensParams(doc))),
        (
            "info.rkt completion, deps",
            lambda: client.text_document_completion_async(
                types.CompletionParams(info_doc, in_deps)
            ),
        ),
    ]
    out: list[tuple[str, list[float]]] = []
    for name, send in kinds:
        if not await asyncio.wait_for(send(), 60):
            if "#lang" not in name:
                raise RuntimeError(f"{name}: no answer")
            name += " (null)"
        times: list[float] = []
        for _ in range(REQUESTS):
            t = time.perf_counter()
            await asyncio.wait_for(send(), 60)
            times.append(time.perf_counter() - t)
        out.append((name, times))
    return out


def _percentile(xs: list[float], p: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:.0f} ms (worst {max(xs) * 1000:.0f} ms)"


def _ratio(base: list[float], ours: list[float]) -> float:
    return statistics.median(base) / statistics.median(ours)


async def bench_workspace(n: int, cache: Path, *, requests: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"raco-lsp-bench-lsp-{n}-")) / "ws"
    synth = make_workspace(root, n)
    subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)
    target = _target(synth)
    good = target.read_text()
    bad = good + "(oops)\n"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}

    # Open a stale file in a cold server (fresh cache) and in a warm one.
    opens: dict[str, float] = {}
    for kind in ("cold", "warm"):
        target.write_text(bad)
        t = time.perf_counter()
        session = await _start(root, env)
        flipped = session.expect(target, error=True)
        session.open(target)
        opens[kind] = await asyncio.wait_for(flipped, 600) - t
        await session.wait_idle()
        await _stop(session)
        target.write_text(good)
        subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)
    target.write_text(bad)
    open_base = _raco_make(target)
    target.write_text(good)
    subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)

    session = await _start(root, env)
    session.open(target)
    await session.wait_idle()
    if requests:
        rss_idle = _rss()
        session.open(root / "info.rkt")
        await session.wait_idle()
        latencies = await _requests(session, target, root / "info.rkt")
    changes: list[float] = []
    for _ in range(ROUNDS):
        for text, error in ((bad, True), (good, False)):
            flipped = session.expect(target, error=error)
            t = time.perf_counter()
            session.save(target, text)
            changes.append(await asyncio.wait_for(flipped, 600) - t)
            await session.wait_idle()
    noops: list[float] = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        session.save(target, good)
        await session.wait_idle()
        noops.append(time.perf_counter() - t)
    if requests:
        for i in range(SAVES):
            error = i % 2 == 0
            flipped = session.expect(target, error=error)
            session.save(target, bad if error else good)
            await asyncio.wait_for(flipped, 600)
            await session.wait_idle()
        rss_saved = _rss()
    await _stop(session)

    base: list[float] = []
    for _ in range(ROUNDS):
        for text in (bad, good):
            target.write_text(text)
            base.append(_raco_make(target))
    noop_base = [_raco_make(target) for _ in range(ROUNDS)]

    print(f"{n} modules (editing {target.relative_to(root)}, one dependent):")
    print(
        f"  save -> diagnostics, content change: {_fmt(changes)}; `raco make FILE` "
        f"{_fmt(base)}: {_ratio(base, changes):.1f}x (target >= 10x)"
    )
    print(
        f"  no-op save -> build done: {_fmt(noops)}; `raco make FILE` (nothing to do) "
        f"{_fmt(noop_base)}: {_ratio(noop_base, noops):.1f}x (target >= 20x)"
    )
    print(
        f"  open a stale file -> first diagnostics: cold server {opens['cold'] * 1000:.0f} ms, "
        f"warm server {opens['warm'] * 1000:.0f} ms (from starting the server); "
        f"`raco make FILE` {open_base * 1000:.0f} ms"
    )
    if requests:
        print(f"  requests, idle server ({REQUESTS} each; target p95 < 20 ms):")
        for name, times in latencies:
            p50, p95 = _percentile(times, 50) * 1000, _percentile(times, 95) * 1000
            print(f"    {name:<28} p50 {p50:5.1f} ms  p95 {p95:5.1f} ms")
        print(
            f"  server + agents RSS: idle after opening {_fmt_rss(rss_idle)}; "
            f"after {SAVES} more saves {_fmt_rss(rss_saved)}"
        )


UNSAVED_WAIT = 15.0
"""Seconds an unsaved edit's analysis is waited for before it reads n/a."""


async def _until_answered(send: Callable[[], Awaitable[object]], limit: float) -> float | None:
    """Seconds until ``send`` answers with something (asked again every
    20 ms), or None after ``limit`` seconds."""
    t = time.perf_counter()
    while time.perf_counter() - t < limit:
        if await asyncio.wait_for(send(), 600):
            return time.perf_counter() - t
        await asyncio.sleep(0.02)
    return None


async def _identifier_figures(
    session: Session, path: Path, at: dict[str, types.Position], references: bool
) -> list[str]:
    """The identifier figures of one module, as printed lines."""
    client = session.client
    doc = types.TextDocumentIdentifier(uri=path.as_uri())

    def definition() -> Awaitable[object]:
        return client.text_document_definition_async(types.DefinitionParams(doc, at["use"]))

    t = time.perf_counter()
    session.open(path)
    if await _until_answered(definition, 600) is None:
        raise RuntimeError(f"{path.name}: no definition answer")
    ready = time.perf_counter() - t
    lines = [f"didOpen -> analysis ready (first definition answered): {ready * 1000:.0f} ms"]

    text = path.read_text()
    added = text + "(define bench-added 1)\n(add1 bench-added)\n"
    new_use = types.Position(line=len(added.splitlines()) - 1, character=6)
    session.change(path, added)
    refreshed = await _until_answered(
        lambda: client.text_document_definition_async(types.DefinitionParams(doc, new_use)),
        UNSAVED_WAIT,
    )
    lines.append(
        "didChange (unsaved edit) -> refreshed analysis: "
        + (
            f"{refreshed * 1000:.0f} ms"
            if refreshed is not None
            else "n/a: unsaved analysis not on this build"
        )
    )
    session.change(path, text)  # the saved text again: its analysis answers below
    await _until_answered(definition, 600)

    kinds: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (
            "hover, imported identifier",
            lambda: client.text_document_hover_async(types.HoverParams(doc, at["imported"])),
        ),
        ("definition, local use", definition),
        (
            "completion, 2-letter word",
            lambda: client.text_document_completion_async(
                types.CompletionParams(doc, at["complete"])
            ),
        ),
    ]
    if references:
        kinds.append(
            (
                "references, definition",
                lambda: client.text_document_references_async(
                    types.ReferenceParams(
                        context=types.ReferenceContext(include_declaration=True),
                        text_document=doc,
                        position=at["defined"],
                    )
                ),
            )
        )
    else:
        lines.append("references: n/a (not offered by this build)")
    for name, send in kinds:
        if not await asyncio.wait_for(send(), 600):
            raise RuntimeError(f"{path.name}, {name}: no answer")
        times: list[float] = []
        for _ in range(REQUESTS):
            t = time.perf_counter()
            await asyncio.wait_for(send(), 60)
            times.append(time.perf_counter() - t)
        p50, p95 = _percentile(times, 50) * 1000, _percentile(times, 95) * 1000
        lines.append(f"{name:<28} p50 {p50:5.1f} ms  p95 {p95:5.1f} ms (target p95 < 50 ms)")
    return lines


def _racket_langserver() -> tuple[list[str] | None, str]:
    """The command that starts racket-langserver, or None and why not."""
    given = os.environ.get("RACKET_LANGSERVER")
    if given:
        return shlex.split(given), f"RACKET_LANGSERVER={given}"
    probe = subprocess.run(
        ["racket", "-e", '(collection-file-path "main.rkt" "racket-langserver")'],
        capture_output=True,
    )
    if probe.returncode == 0:
        return ["racket", "-l", "racket-langserver"], "installed"
    return None, (
        "not installed (set RACKET_LANGSERVER to a command that starts it, "
        "e.g. 'env PLTADDONDIR=... racket -l racket-langserver')"
    )


async def _identifier_server(
    name: str, command: list[str], synth: Synth, big: Path, env: dict[str, str]
) -> None:
    """One server's identifier figures on the 200-module workspace and the
    typical module."""
    raco_lsp = command == SERVER
    caps = client_capabilities("visual-studio-code")
    if not raco_lsp and caps.workspace is not None:
        # racket-langserver's workspace/configuration request has no
        # "jsonrpc" member, which pygls' client cannot read: not offered.
        caps.workspace.configuration = False
    t = time.perf_counter()
    session = await _start(synth.root, env, command, caps, integer_ids=not raco_lsp)
    init = time.perf_counter() - t
    print(f"{name}: initialize {init * 1000:.0f} ms; RSS after initialize {_fmt_rss(_rss())}")
    references = bool(session.capabilities.references_provider)
    if raco_lsp:
        await session.wait_idle()
    target = _target(synth)
    modules = [
        (
            f"200-module workspace, {target.relative_to(synth.root)}",
            target,
            {
                "use": _position(target, "(helper (", 2),
                "imported": _position(target, "(range", 2),
                "complete": _position(target, "(helper (", 3),
                "defined": _position(target, "(define (helper", 10),
            },
        ),
        (
            f"{big.name} ({len(big.read_text().splitlines())} lines)",
            big,
            {
                "use": _position(big, "(score-0 (list", 3),
                "imported": _position(big, "(string-join", 3),
                "complete": _position(big, "(string-join", 3),
                "defined": _position(big, "(define (parse-line", 10),
            },
        ),
    ]
    for title, path, at in modules:
        print(f"  {title}:")
        for line in await _identifier_figures(session, path, at, references):
            print(f"    {line}")
    opened = [p for p in synth.modules if p not in (target, synth.main)][:18]
    for p in opened:
        session.open(p)
        params = types.DefinitionParams(
            types.TextDocumentIdentifier(uri=p.as_uri()), _position(p, "(helper (", 2)
        )
        await _until_answered(
            functools.partial(session.client.text_document_definition_async, params), 600
        )
    if raco_lsp:
        await session.wait_idle()
    print(
        f"  server + helpers RSS, {len(opened) + 2} modules open and analysed: "
        f"{_fmt_rss(_rss())} (target: below racket-langserver's 251 MB after initialize)"
    )
    if raco_lsp:
        # The compile agents beyond the first stop after spareAgentTimeout
        # (default 60 s) without a build.
        await asyncio.sleep(SPARE_AGENT_TIMEOUT + 5)
        print(f"  the same {SPARE_AGENT_TIMEOUT + 5:.0f} s later, idle: {_fmt_rss(_rss())}")
    await _stop(session)


async def bench_identifiers(cache: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="raco-lsp-bench-ids-")) / "ws"
    synth = make_workspace(root, 200)
    big = make_typical_module(
        root / "typical.rkt",
        [f"{p.parent.name}/{p.name}" for p in (synth.layers[0][0], synth.layers[1][0])],
    )
    for main in (synth.main, big):
        subprocess.run(["raco", "make", str(main)], check=True, capture_output=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    print("identifiers:")
    await _identifier_server("raco-lsp", SERVER, synth, big, env)
    command, why = _racket_langserver()
    if command is None:
        print(f"racket-langserver: skipped, {why}")
        return
    await _identifier_server(f"racket-langserver ({why})", command, synth, big, env)


def main(argv: list[str] | None = None) -> None:
    # The client ignores raco-lsp's own notifications (raco/testItems, ...).
    logging.getLogger("pygls").setLevel(logging.ERROR)
    sizes = [200, 1000]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at start: {load} ({os.cpu_count()} cores)")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="raco-lsp-bench-cache-") as cache:
            asyncio.run(bench_workspace(n, Path(cache), requests=n == 1000))
    with tempfile.TemporaryDirectory(prefix="raco-lsp-bench-cache-") as cache:
        asyncio.run(bench_identifiers(Path(cache)))
