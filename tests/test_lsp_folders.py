"""Settings per workspace folder: the server asks ``workspace/configuration``
for each folder (``scopeUri``) and each folder compiles with its own
``compileOnSave``, trust and Racket, also after ``didChangeConfiguration``
and ``didChangeWorkspaceFolders``."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, request, save_file, wait_idle
from raco_lsp.lsp.server import CONFIGURATION_TIMEOUT
from raco_lsp.lsp.uris import path_uri
from test_lsp_untrusted import _command, make_payload_workspace

BASE = "#lang racket/base\n"
BROKEN = BASE + "(define x oops)\n"


def _folders(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        d = tmp_path / name
        d.mkdir()
        (d / "broken.rkt").write_text(BROKEN)
        out.append(d)
    return out


def _raco_make(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in diagnostics(client, path) if d.source == "raco make"]


async def test_compile_on_save_is_per_folder_and_follows_configuration_changes(
    tmp_path: Path,
) -> None:
    one, two = _folders(tmp_path, "one", "two")
    off = {"raco-lsp": {"compileOnSave": "off"}}
    async with lsp_session(one, folders={one: off, two: None}) as client:
        for folder in (one, two):
            open_file(client, folder / "broken.rkt")
            save_file(client, folder / "broken.rkt", BROKEN)
        await wait_idle(client)
        assert _raco_make(client, one / "broken.rkt") == []
        (d,) = _raco_make(client, two / "broken.rkt")
        assert d.message.startswith("oops: unbound identifier")

        # The folder's setting changes: the server asks again.
        client.set_configuration({"raco-lsp": {"compileOnSave": "file"}}, scope_uri=path_uri(one))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_idle(client)
        save_file(client, one / "broken.rkt", BROKEN)
        await wait_idle(client)
        (d,) = _raco_make(client, one / "broken.rkt")
        assert d.message.startswith("oops: unbound identifier")


async def test_an_untrusted_folder_runs_nothing_beside_a_trusted_one(tmp_path: Path) -> None:
    trusted, untrusted = _folders(tmp_path, "trusted", "untrusted")
    marks = tmp_path / "marks"
    payload = make_payload_workspace(untrusted, marks)
    # Any value but a JSON boolean is untrusted, for this folder only.
    config = {untrusted: {"raco-lsp": {"trusted": "yes"}}, trusted: None}
    async with lsp_session(trusted, folders=config) as client:
        for f in (trusted / "broken.rkt", payload["main.rkt"], payload["lib.rkt"]):
            open_file(client, f)
            save_file(client, f, f.read_text())
        await wait_idle(client)
        built = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        await wait_idle(client)
        (d,) = _raco_make(client, trusted / "broken.rkt")
        assert d.message.startswith("oops: unbound identifier")
        assert built is not None
        assert not any(str(untrusted) in p for p in built["compiled"])
    assert not marks.exists() or list(marks.iterdir()) == []
    assert not (untrusted / "compiled").exists()


async def test_a_folder_added_later_gets_its_own_settings(tmp_path: Path) -> None:
    first, added = _folders(tmp_path, "first", "added")
    marks = tmp_path / "marks"
    payload = make_payload_workspace(added, marks)
    async with lsp_session(first, folders={first: None}) as client:
        await wait_idle(client)
        client.set_configuration({"raco-lsp": {"trusted": False}}, scope_uri=path_uri(added))
        client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=path_uri(added), name=added.name)],
                    removed=[],
                )
            )
        )
        await wait_idle(client)
        open_file(client, payload["main.rkt"])
        save_file(client, payload["main.rkt"], payload["main.rkt"].read_text())
        open_file(client, first / "broken.rkt")
        await wait_idle(client)
        (d,) = _raco_make(client, first / "broken.rkt")
        assert d.message.startswith("oops: unbound identifier")
    assert not marks.exists() or list(marks.iterdir()) == []


def _user_and_via(tmp_path: Path, user_body: str) -> tuple[Path, Path, Path, Path, Path]:
    """A trusted folder and an untrusted one whose modules leave marks in
    ``marks`` when run; in the trusted one ``user.rkt`` (``user_body``) and
    ``via.rkt``, which requires it: (trusted, untrusted, marks, user, via)."""
    trusted, untrusted = _folders(tmp_path, "trusted", "untrusted")
    marks = tmp_path / "marks"
    make_payload_workspace(untrusted, marks)
    user = trusted / "user.rkt"
    user.write_text(BASE + user_body)
    via = trusted / "via.rkt"
    via.write_text(BASE + '(require "user.rkt")\n')
    return trusted, untrusted, marks, user, via


async def test_a_trusted_module_that_requires_an_untrusted_one_is_not_compiled(
    tmp_path: Path,
) -> None:
    trusted, untrusted, marks, user, via = _user_and_via(
        tmp_path, '(require (file "../untrusted/lib.rkt"))\n'
    )
    config = {trusted: None, untrusted: {"raco-lsp": {"trusted": False}}}
    async with lsp_session(trusted, folders=config) as client:
        for f in (via, user):
            open_file(client, f)
            save_file(client, f, f.read_text())
        await wait_idle(client)
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        await wait_idle(client)
        (d,) = _raco_make(client, trusted / "broken.rkt")  # the rest of the folder is checked
        assert d.message.startswith("oops: unbound identifier")
    assert not marks.exists() or list(marks.iterdir()) == []
    assert not (untrusted / "compiled").exists()


async def test_a_module_edited_to_require_an_untrusted_one_is_no_longer_compiled(
    tmp_path: Path,
) -> None:
    """Which modules reach an untrusted folder is remembered between builds:
    an edit that adds such a require must be seen at once."""
    trusted, untrusted, marks, user, via = _user_and_via(tmp_path, "(define x 1)\n")
    config = {trusted: None, untrusted: {"raco-lsp": {"trusted": False}}}
    async with lsp_session(trusted, folders=config) as client:
        for f in (via, user):
            open_file(client, f)
            save_file(client, f, f.read_text())
        await wait_idle(client)
        assert (trusted / "compiled" / "via_rkt.zo").exists()  # both compiled: no untrusted require
        text = BASE + '(require (file "../untrusted/lib.rkt"))\n(define x 2)\n'
        user.write_text(text)
        save_file(client, user, text)
        save_file(client, via, via.read_text())
        await wait_idle(client)
    assert not marks.exists() or list(marks.iterdir()) == []
    assert not (untrusted / "compiled").exists()


async def test_a_module_opened_before_the_scan_that_requires_an_untrusted_one_waits(
    tmp_path: Path,
) -> None:
    """The early build (a stale module opened before the first scan) runs
    only when every folder is trusted: which modules reach an untrusted
    folder is known after the scan, and then this one is not compiled."""
    trusted, untrusted = _folders(tmp_path, "trusted", "untrusted")
    lib = untrusted / "lib.rkt"
    lib.write_text(BASE + "(provide x)\n(define x 1)\n")
    subprocess.run(["raco", "make", str(lib)], check=True, stdin=subprocess.DEVNULL)
    user = trusted / "user.rkt"
    user.write_text(BASE + '(require (file "../untrusted/lib.rkt"))\n')
    config = {trusted: None, untrusted: {"raco-lsp": {"trusted": False}}}
    quiet = {"checkOnStartup": False}
    async with lsp_session(trusted, folders=config, init_options=quiet) as client:
        open_file(client, user)  # as the server starts
        await wait_idle(client)
        assert _raco_make(client, user) == []
    assert not (trusted / "compiled").exists()


async def test_each_folder_uses_its_own_racket(tmp_path: Path) -> None:
    """For compiling (its agents) and for the module graph (collections)."""
    with_racket, without = _folders(tmp_path, "with-racket", "without")
    for folder in (with_racket, without):
        (folder / "lists.rkt").write_text(BASE + "(require racket/list)\n")
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(tmp_path)  # no racket there
    racket = shutil.which("racket")
    assert racket is not None
    config = {with_racket: {"raco-lsp": {"racketPath": str(Path(racket).parent)}}, without: None}
    async with lsp_session(with_racket, env=env, folders=config) as client:
        for folder in (with_racket, without):
            open_file(client, folder / "broken.rkt")
        await wait_idle(client)
        (d,) = _raco_make(client, with_racket / "broken.rkt")
        assert d.message.startswith("oops: unbound identifier")
        assert _raco_make(client, without / "broken.rkt") == []
        found = {}
        for folder in (with_racket, without):
            deps = await request(
                client, "raco/dependencies", {"uri": path_uri(folder / "lists.rkt")}
            )
            found[folder] = sorted(Path(x["path"]).name for x in deps)
        assert "list.rkt" in found[with_racket]
        assert found[without] == []


async def test_nothing_runs_in_a_folder_before_its_trust_is_known(tmp_path: Path) -> None:
    """Until the client has answered ``workspace/configuration``, trust is
    unknown and fails closed: a folder the answer makes untrusted runs
    nothing that was asked for while the answer was awaited (here raco setup
    on an info.rkt save, which initializationOptions turn on), and what was
    asked for is not lost: it is decided once the answer is in (the trusted
    folder's save is checked)."""
    trusted, untrusted = _folders(tmp_path, "trusted", "untrusted")
    marks = tmp_path / "marks"
    (untrusted / "broken.rkt").unlink()  # raco setup would stop at it
    payload = make_payload_workspace(untrusted, marks)
    pkg = trusted / "lib"
    pkg.mkdir()
    (pkg / "main.rkt").write_text(BASE + "(provide x)\n(define x 1)\n")
    good = pkg / "info.rkt"
    good.write_text('#lang info\n(define collection "lib")\n(define deps \'("base" "db-lib"))\n')
    release = asyncio.Event()
    asked: list[int] = []

    def held(client: LanguageClient) -> None:
        # pytest-lsp's own answer, given only once released
        client.protocol.fm._features.pop(types.WORKSPACE_CONFIGURATION)

        @client.feature(types.WORKSPACE_CONFIGURATION)  # type: ignore[untyped-decorator]
        async def configuration(params: types.ConfigurationParams) -> list[Any]:
            asked.append(len(params.items))
            await release.wait()
            return [
                client.get_configuration(section=i.section, scope_uri=i.scope_uri)
                for i in params.items
            ]

    init = {"setupOnSave": True, "checkOnStartup": False, "compileOnSave": "off"}
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    async with lsp_session(
        trusted,
        env=env,
        folders={trusted: None, untrusted: {"raco-lsp": {"trusted": False}}},
        init_options=init,
        before_initialize=held,
        server=[sys.executable, "-m", "raco_lsp", "serve", "--log-level", "DEBUG"],
    ) as client:
        for info in (payload["info.rkt"], good):
            open_file(client, info)
            save_file(client, info, info.read_text())
        await asyncio.sleep(3)  # time enough for a raco setup to start
        assert asked and not release.is_set()
        release.set()
        await wait_idle(client)
        await asyncio.wait_for(_command(client, "raco-lsp.setupIdle"), 120)
        setup = [d for d in diagnostics(client, good) if d.source == "raco setup"]
        assert [d.message.split(":")[0] for d in setup] == ['unused dependency "db-lib"']
        ran = [d for d in diagnostics(client, payload["info.rkt"]) if d.source == "raco setup"]
        assert ran == []
    assert not marks.exists() or list(marks.iterdir()) == []
    assert not (untrusted / "compiled").exists()


async def test_a_client_that_never_answers_for_its_settings_is_still_served(
    tmp_path: Path,
) -> None:
    """After ``CONFIGURATION_TIMEOUT`` without an answer the server goes on
    with initializationOptions (here: not trusted), as when the request
    fails: what waited for the settings is answered, not held forever."""
    (ws,) = _folders(tmp_path, "ws")
    module = ws / "m.rkt"
    module.write_text(BASE + "(define (f x) x)\n")

    def silent(client: LanguageClient) -> None:
        client.protocol.fm._features.pop(types.WORKSPACE_CONFIGURATION)

        @client.feature(types.WORKSPACE_CONFIGURATION)  # type: ignore[untyped-decorator]
        async def configuration(params: types.ConfigurationParams) -> list[Any]:
            await asyncio.Event().wait()  # never
            return []

    async with lsp_session(ws, init_options={"trusted": False}, before_initialize=silent) as client:
        open_file(client, module)
        symbols = await asyncio.wait_for(
            client.text_document_document_symbol_async(
                types.DocumentSymbolParams(
                    text_document=types.TextDocumentIdentifier(uri=path_uri(module))
                )
            ),
            CONFIGURATION_TIMEOUT + 20,
        )
        assert symbols and [s.name for s in symbols] == ["f"]
        status = await asyncio.wait_for(_command(client, "raco-lsp.serverStatus"), 20)
        assert status["trusted"] is False
    assert not (ws / "compiled").exists()
