"""The module graph through the real server: links, definition, hover, code
lens, unresolved-require diagnostics, and the raco/* requests."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_support import (
    SERVER,
    collect,
    diagnostics,
    lsp_session,
    open_file,
    record_registrations,
    request,
    rng,
    save_file,
    wait_idle,
)
from raco_lsp.lsp.uris import path_uri, uri_path
from raco_lsp.racket.install import cache_dir

BASE = "#lang racket/base\n"
CREATED = types.FileChangeType.Created


def doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path_uri(path))


async def test_links_definition_hover_and_lens(example: Path) -> None:
    main = example / "main.rkt"
    subprocess.run(["raco", "make", str(main)], check=True)
    async with lsp_session(example) as client:
        open_file(client, main)
        await wait_idle(client)
        links = await client.text_document_document_link_async(
            types.DocumentLinkParams(text_document=doc(main))
        )
        assert links is not None
        by_target = {Path(str(link.target)).name: link.range for link in links}
        assert by_target["greet.rkt"] == rng(3, 9, 3, 20)
        assert by_target["cmdline.rkt"] == rng(2, 9, 2, 23)
        assert any(str(link.target).endswith("/rackunit/main.rkt") for link in links)

        defs = await client.text_document_definition_async(
            types.DefinitionParams(
                text_document=doc(main), position=types.Position(line=3, character=12)
            )
        )
        assert isinstance(defs, list) and defs[0].uri == path_uri(example / "greet.rkt")

        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=doc(main), position=types.Position(line=2, character=12)
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "racket/cmdline" in hover.contents.value
        assert "installation module" in hover.contents.value

        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=doc(example / "text.rkt"))
        )
        assert lenses is not None
        # Only the module graph's lens (the test feature adds "Run tests" lenses).
        (lens,) = [
            x for x in lenses if x.command and x.command.command == "raco-lsp.showModuleGraph"
        ]
        assert lens.range.start.line == 0
        assert lens.command is not None
        assert lens.command.title.endswith("1 dependent · up to date")

        # Edit text.rkt on disk: greet.rkt's hover now says why it is stale.
        text = example / "text.rkt"
        text.write_text(text.read_text() + ";; changed\n")
        open_file(client, example / "greet.rkt")
        save_file(client, example / "greet.rkt", (example / "greet.rkt").read_text())
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=doc(example / "greet.rkt"),
                position=types.Position(line=3, character=12),
            )
        )
        await wait_idle(client)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "text.rkt changed since it was compiled" in hover.contents.value


async def test_hover_and_definition_positions_after_an_emoji_and_a_form_feed(ws: Path) -> None:
    # The client counts UTF-16 units (the emoji is two) and lines as LSP does;
    # a form feed (a page break, common in Racket sources) is no line break
    # for Racket or LSP, though Python's str.splitlines takes it for one.
    (ws / "b.rkt").write_text(BASE)
    m = ws / "m.rkt"
    m.write_text(BASE + "\x0c\n" + '(define s "\U0001f600") (require "b.rkt")\n')
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        open_file(client, m)
        await wait_idle(client)
        # "b.rkt" spans characters 24-31 of line 2, UTF-16 units 25-32.
        for character, found in ((25, True), (32, True), (33, False), (24, False)):
            at = types.Position(line=2, character=character)
            hover = await client.text_document_hover_async(
                types.HoverParams(text_document=doc(m), position=at)
            )
            defs = await client.text_document_definition_async(
                types.DefinitionParams(text_document=doc(m), position=at)
            )
            if not found:
                # Nothing about the module b.rkt (the identifier `require`
                # ends at 24: the identifier hover may answer there).
                assert hover is None or "b.rkt" not in str(hover.contents), character
                locations = defs if isinstance(defs, list) else [defs] if defs else []
                uris = [d.uri for d in locations if isinstance(d, types.Location)]
                assert path_uri(ws / "b.rkt") not in uris, character
                continue
            assert hover is not None and isinstance(hover.contents, types.MarkupContent)
            assert hover.contents.value.startswith("**require** `b.rkt`")
            assert hover.range == rng(2, 25, 2, 32)
            assert isinstance(defs, list) and [d.uri for d in defs] == [path_uri(ws / "b.rkt")]


async def test_unresolved_require_diagnostic_with_suggestion(ws: Path) -> None:
    f = ws / "m.rkt"
    f.write_text(BASE)
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        open_file(client, f)
        await wait_idle(client)
        text = BASE + '(require racket/lsit\n         "nope.rkt")\n'
        save_file(client, f, text)
        await wait_idle(client)
        found = {d.message: d.range for d in diagnostics(client, f) if d.source == "module graph"}
        assert found == {
            "cannot find module racket/lsit — did you mean racket/list?": rng(1, 9, 1, 20),
            f"cannot find module file nope.rkt ({ws / 'nope.rkt'})": rng(2, 9, 2, 19),
        }
        save_file(client, f, BASE + "(require racket/list)\n")
        await wait_idle(client)
        assert [d for d in diagnostics(client, f) if d.source == "module graph"] == []


async def test_graph_requests(ws: Path) -> None:
    (ws / "leaf.rkt").write_text(BASE)
    (ws / "mid.rkt").write_text(BASE + '(require "leaf.rkt")\n')
    (ws / "top.rkt").write_text(BASE + '(require "mid.rkt")\n')
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        leaf = {"uri": path_uri(ws / "leaf.rkt")}
        order = await request(client, "raco/recompileOrder", leaf)
        assert [Path(p).name for p in order["order"]] == ["leaf.rkt", "mid.rkt", "top.rkt"]
        assert order["cycles"] == []
        dependents = await request(client, "raco/dependents", leaf)
        assert [d["path"] for d in dependents] == [str(ws / "mid.rkt")]
        graph = await request(client, "raco/moduleGraph", leaf)
        names = {Path(n["path"]).name: n for n in graph["nodes"]}
        assert names["leaf.rkt"]["stale"]
        assert names["leaf.rkt"]["reason"] == "leaf.rkt has never been compiled"
        assert names["leaf.rkt"]["uri"] == path_uri(ws / "leaf.rkt")
        edges = {(Path(e["from"]).name, Path(e["to"]).name) for e in graph["edges"]}
        assert {("mid.rkt", "leaf.rkt"), ("leaf.rkt", "base.rkt")} <= edges
        # A language the server had to profile: racket/unit reads with its own
        # reader into the module language racket/unit/lang, as compiler/cm records.
        unit = ws / "unit.rkt"
        unit.write_text("#lang racket/unit\n(import)\n(export)\n")
        open_file(client, unit)
        await wait_idle(client)
        deps = await request(client, "raco/dependencies", {"uri": path_uri(unit)})
        tails = {"/".join(Path(d["path"]).parts[-3:]) for d in deps}
        assert {"racket/unit/lang.rkt", "unit/lang/reader.rkt"} <= tails
        assert "collects/racket/unit.rkt" not in tails


async def test_workspace_scan_skips_what_raco_setup_skips(ws: Path) -> None:
    """The server's graph has the modules raco setup compiles (as
    tests/test_cli_check.py compares): a dependent under a directory
    info.rkt's compile-omit-paths names, under doc/ or .hidden/ is no
    node, so saving what it requires never compiles it."""
    (ws / "info.rkt").write_text('#lang info\n(define compile-omit-paths \'("omitted"))\n')
    (ws / "leaf.rkt").write_text(BASE)
    for d in ("omitted", "doc", ".hidden", "node_modules", "kept"):
        (ws / d).mkdir()
        (ws / d / "user.rkt").write_text(BASE + '(require "../leaf.rkt")\n')
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        leaf = {"uri": path_uri(ws / "leaf.rkt")}
        dependents = await request(client, "raco/dependents", leaf)
        assert sorted(d["path"] for d in dependents) == [
            str(ws / "kept" / "user.rkt"),
            str(ws / "node_modules" / "user.rkt"),
        ]

        async def changed(*paths: Path) -> list[str]:
            client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[types.FileEvent(uri=path_uri(p), type=CREATED) for p in paths]
                )
            )
            found = await request(client, "raco/dependents", leaf)
            return sorted(Path(d["path"]).relative_to(ws).as_posix() for d in found)

        # info.rkt changes what it omits: the graph follows.
        (ws / "info.rkt").write_text('#lang info\n(define compile-omit-paths \'("kept"))\n')
        assert await changed(ws / "info.rkt") == ["node_modules/user.rkt", "omitted/user.rkt"]
        # New files appear: only where the scan looks.
        for d in ("doc", "kept", "sub"):
            (ws / d).mkdir(exist_ok=True)
            (ws / d / "new.rkt").write_text(BASE + '(require "../leaf.rkt")\n')
        assert await changed(*(ws / d / "new.rkt" for d in ("doc", "kept", "sub"))) == [
            "node_modules/user.rkt",
            "omitted/user.rkt",
            "sub/new.rkt",
        ]


def test_graph_cli_json_and_dot(example: Path) -> None:
    cli = [sys.executable, "-m", "raco_lsp", "graph"]
    out = subprocess.run([*cli, str(example)], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    paths = {n["path"]: n for n in j["nodes"]}
    main = str(example / "main.rkt")
    assert (
        paths[main]["stale"] is True and paths[main]["reason"] == "main.rkt has never been compiled"
    )
    assert {"from": main, "to": str(example / "greet.rkt")} in j["edges"]
    assert any(e["to"].endswith("racket/cmdline.rkt") for e in j["edges"])  # outside PATH too
    dot = subprocess.run(
        [*cli, "--format", "dot", str(example)], check=True, capture_output=True, text=True
    ).stdout
    assert dot.startswith("digraph modules {")
    assert f'"{main}" -> "{example / "greet.rkt"}";' in dot


def test_graph_cli_reports_an_unreadable_dep(ws: Path) -> None:
    (ws / "leaf.rkt").write_text(BASE)
    (ws / "top.rkt").write_text(BASE + '(require "leaf.rkt")\n')
    subprocess.run(["raco", "make", str(ws / "top.rkt")], check=True)
    (ws / "compiled" / "leaf_rkt.dep").write_bytes(b'("8.7" ta6le ("0a1b')
    out = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "graph", str(ws)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    reason = {Path(n["path"]).name: n["reason"] for n in json.loads(out)["nodes"]}
    assert reason["leaf.rkt"] == "unreadable .dep (leaf_rkt.dep: unterminated list)"
    assert (
        reason["top.rkt"]
        == f"depends on leaf.rkt, which may compile to new code: {reason['leaf.rkt']}"
    )


async def test_watched_dep_change_and_multi_root(tmp_path: Path) -> None:
    a, b = tmp_path / "root a", tmp_path / "root b"
    a.mkdir()
    b.mkdir()
    (a / "x.rkt").write_text(BASE)
    (b / "y.rkt").write_text(BASE + '(require "z.rkt")\n')
    (b / "z.rkt").write_text(BASE)
    client = await ClientServerConfig(server_command=SERVER).start()
    assert isinstance(client, LanguageClient)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"compileOnSave": "off"},
            workspace_folders=[
                types.WorkspaceFolder(uri=path_uri(a), name="a"),
                types.WorkspaceFolder(uri=path_uri(b), name="b"),
            ],
        )
    )
    try:
        whole = await request(client, "raco/moduleGraph", None)
        names = {Path(n["path"]).name: n for n in whole["nodes"] if n["workspace"]}
        assert set(names) == {"x.rkt", "y.rkt", "z.rkt"}  # both folders
        assert names["y.rkt"]["reason"] == "y.rkt has never been compiled"

        # Compiled outside the editor: the client reports the new .dep files.
        subprocess.run(["raco", "make", str(b / "y.rkt")], check=True)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=path_uri(b / "compiled" / n), type=types.FileChangeType.Created
                    )
                    for n in ("y_rkt.dep", "z_rkt.dep")
                ]
            )
        )
        after = await request(client, "raco/moduleGraph", {"uri": path_uri(b / "y.rkt")})
        y = next(n for n in after["nodes"] if n["path"] == str(b / "y.rkt"))
        assert (y["stale"], y["reason"]) == (False, None)

        # A new module appears on disk.
        (a / "w.rkt").write_text(BASE + '(require "x.rkt")\n')
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=path_uri(a / "w.rkt"), type=types.FileChangeType.Created)
                ]
            )
        )
        dependents = await request(client, "raco/dependents", {"uri": path_uri(a / "x.rkt")})
        assert [d["path"] for d in dependents] == [str(a / "w.rkt")]
    finally:
        await asyncio.wait_for(client.shutdown_session(), 20)


async def test_with_watchers_saves_follow_the_reported_changes(ws: Path) -> None:
    """A client with file watchers (our registration accepted) reports
    changes made outside the editor; a save then re-examines only what they
    and the saved module touch, and still builds what they made stale."""
    a, b = ws / "a.rkt", ws / "b.rkt"
    a.write_text(BASE + "(provide f)\n(define (f) 1)\n")
    b.write_text(BASE + '(require "a.rkt")\n(f)\n')
    subprocess.run(["raco", "make", str(b)], check=True, stdin=subprocess.DEVNULL)
    registered: list[str] = []
    async with lsp_session(ws, before_initialize=record_registrations(registered)) as client:
        open_file(client, b)
        await wait_idle(client)
        assert "workspace/didChangeWatchedFiles" in registered
        assert diagnostics(client, b) == []

        def changed(*paths: Path) -> None:
            client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[
                        types.FileEvent(uri=path_uri(p), type=types.FileChangeType.Changed)
                        for p in paths
                    ]
                )
            )

        # a.rkt no longer provides f, changed by another tool and reported.
        a.write_text(BASE + "(provide g)\n(define (g) 1)\n")
        changed(a)
        save_file(client, b, b.read_text())
        await wait_idle(client)
        (err,) = diagnostics(client, b)
        assert "f: unbound identifier" in err.message

        # Fixed and compiled outside the editor (raco make), reported file by
        # file: b.rkt is up to date and a save compiles nothing.
        a.write_text(BASE + "(provide f)\n(define (f) 2)\n")
        b.write_text(BASE + '(require "a.rkt")\n(f)\n')
        subprocess.run(["raco", "make", str(b)], check=True, stdin=subprocess.DEVNULL)
        compiled = ws / "compiled"
        changed(a, *(compiled / f"{m}_rkt.{x}" for m in "ab" for x in ("zo", "dep")))
        deps = await request(client, "raco/dependencies", {"uri": path_uri(b)})
        (dep,) = [d for d in deps if d["workspace"]]
        assert (Path(dep["path"]).name, dep["stale"]) == ("a.rkt", False)
        zo = (compiled / "b_rkt.zo").stat().st_mtime_ns
        # Saved unchanged (the file is not written again: a newer second
        # would make compiler/cm touch the .zo, rightly).
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=doc(b)))
        await wait_idle(client)
        assert diagnostics(client, b) == []
        assert (compiled / "b_rkt.zo").stat().st_mtime_ns == zo


async def test_show_module_graph_command(ws: Path) -> None:
    (ws / "a.rkt").write_text(BASE + '(require "b.rkt")\n')
    (ws / "b.rkt").write_text(BASE)
    (ws / "other.rkt").write_text(BASE)
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="raco-lsp.showModuleGraph", arguments=[path_uri(ws / "b.rkt")]
            )
        )
        assert result is not None
        names = {Path(n["path"]).name for n in result["nodes"]}
        assert {"a.rkt", "b.rkt"} <= names  # b and its dependent a
        assert "other.rkt" not in names  # not the whole workspace


def _graph_lens(lenses: Sequence[types.CodeLens] | None) -> str:
    (lens,) = [x for x in lenses or [] if x.command and x.command.command.endswith("ModuleGraph")]
    assert lens.command is not None
    return lens.command.title


async def test_lens_and_hover_after_a_failed_then_a_fixed_build(ws: Path) -> None:
    """A module that fails to compile is described as failing, not as never
    compiled; fixed and saved, the client is asked to refresh its lenses (it
    declares refreshSupport) and the graph view is told, and the lens then
    says up to date."""
    broken = ws / "broken.rkt"
    broken.write_text(BASE + "(oops)\n")
    user = ws / "user.rkt"
    user.write_text(BASE + '(require "broken.rkt")\n')
    async with lsp_session(ws) as client:
        refreshes = collect(client, types.WORKSPACE_CODE_LENS_REFRESH)
        changed = collect(client, "raco/moduleGraphChanged")
        open_file(client, broken)  # stale: compiled on open, and fails
        await wait_idle(client)
        assert diagnostics(client, broken)
        lens = _graph_lens(
            await client.text_document_code_lens_async(
                types.CodeLensParams(text_document=doc(broken))
            )
        )
        assert lens.endswith("· failed to compile: oops: unbound identifier"), lens
        open_file(client, user)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=doc(user), position=types.Position(line=1, character=12)
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "failed to compile: oops: unbound identifier" in hover.contents.value
        assert "never been compiled" not in hover.contents.value

        before, notified = len(refreshes), len(changed)
        save_file(client, broken, BASE + "(define oops 1)\n")
        await wait_idle(client)
        assert not diagnostics(client, broken)
        for _ in range(100):  # the refresh was sent before waitIdle's answer
            if len(refreshes) > before:
                break
            await asyncio.sleep(0.05)
        assert len(refreshes) > before and len(changed) > notified
        lens = _graph_lens(
            await client.text_document_code_lens_async(
                types.CodeLensParams(text_document=doc(broken))
            )
        )
        assert lens.endswith("1 dependent · up to date"), lens


async def test_no_lens_refresh_for_a_client_without_refresh_support(ws: Path) -> None:
    (ws / "a.rkt").write_text(BASE)
    caps = client_capabilities("visual-studio-code")
    assert caps.workspace is not None and caps.workspace.code_lens is not None
    caps.workspace.code_lens.refresh_support = False
    async with lsp_session(ws, capabilities=caps) as client:
        refreshes = collect(client, types.WORKSPACE_CODE_LENS_REFRESH)
        changed = collect(client, "raco/moduleGraphChanged")
        open_file(client, ws / "a.rkt")
        save_file(client, ws / "a.rkt", BASE + "(define x 1)\n")
        await wait_idle(client)
        assert changed and not refreshes


def generic_client(show_document: bool) -> types.ClientCapabilities:
    """A client such as Neovim's: no raco-lsp extension; ``window/showDocument`` or not."""
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(
            show_document=types.ShowDocumentClientCapabilities(support=show_document)
        )
    )


async def _run_graph_lens(client: LanguageClient, path: Path) -> None:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(path))
    )
    assert lenses is not None
    (lens,) = [x for x in lenses if x.command and x.command.command == "raco-lsp.showModuleGraph"]
    assert lens.command is not None
    await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=lens.command.command, arguments=lens.command.arguments
            )
        ),
        60,
    )


@pytest.mark.parametrize("show_document", [True, False])
async def test_graph_lens_shows_the_graph_in_a_generic_client(
    ws: Path, show_document: bool
) -> None:
    """The lens's command shows something: a generated view (``window/showDocument``)
    when the client has it, else a ``window/showMessage`` summary."""
    (ws / "a.rkt").write_text(BASE + '(require "b.rkt")\n')
    (ws / "b.rkt").write_text(BASE + '(require "c.rkt")\n')
    (ws / "c.rkt").write_text(BASE)
    async with lsp_session(
        ws, init_options={"compileOnSave": "off"}, capabilities=generic_client(show_document)
    ) as client:
        open_file(client, ws / "b.rkt")
        await _run_graph_lens(client, ws / "b.rkt")
        summaries = [m.message for m in client.messages if m.message.startswith("b.rkt")]
        if not show_document:
            assert client.shown_documents == []
            (summary,) = summaries
            assert "requires 3: c.rkt, racket/base.rkt" in summary
            assert summary.endswith("; required by 1: a.rkt")
            return
        assert summaries == []
        (shown,) = client.shown_documents
        view = uri_path(shown.uri)
        assert view is not None and view.is_relative_to(cache_dir())  # not in the workspace
        assert not view.is_relative_to(ws)
        text = view.read_text(encoding="utf-8")
        assert text.startswith("# Module graph: b.rkt\n")
        requires = text.split("## Requires (3)", 1)[1].split("## Required by (1)")  # racket/base
        assert "- c.rkt — " in requires[0] and str(ws / "c.rkt") in requires[0]
        assert "- a.rkt — " in requires[1] and str(ws / "a.rkt") in requires[1]
