"""Check package through the server: progress, cancellation, diagnostics, quick fixes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, save_file
from raco_lsp.lsp.uris import path_uri
from setup_packages import MISSING_PKG, NEEDS_MISSING, TEST_ONLY, write_package

MAIN = (
    "#lang racket/base\n(require racket/list math/base)\n(provide f)\n"
    "(define (f) (first (list pi)))\n"
    "(module+ test\n  (require rackunit)\n  (check-equal? (f) pi))\n"
)
INFO = '#lang info\n(define collection "mypkg")\n(define deps \'("base"))\n'


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(cache)}


async def _run(client: LanguageClient, command: str, path: Path | None = None) -> Any:
    args = [{"uri": path_uri(path)}] if path is not None else []
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=args)
    )


def _setup_diags(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in diagnostics(client, path) if d.source == "raco setup"]


def _apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def off(p: types.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


async def _fix(client: LanguageClient, info: Path, title: str) -> None:
    diags = _setup_diags(client, info)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(info)),
            range=diags[0].range,
            context=types.CodeActionContext(diagnostics=diags),
        )
    )
    (action,) = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == title]
    assert action.edit is not None and action.edit.changes is not None
    save_file(client, info, _apply(info.read_text(), action.edit.changes[path_uri(info)]))


async def test_check_package_cancel_diagnostics_and_fixes(ws: Path, tmp_path: Path) -> None:
    pkg = ws / "mypkg"
    pkg.mkdir()
    (pkg / "main.rkt").write_text(MAIN)
    info = pkg / "info.rkt"
    info.write_text(INFO)
    cache = tmp_path / "cache"
    async with lsp_session(ws, env=_env(cache), init_options={"compileOnSave": "off"}) as client:
        open_file(client, info)
        packages = await client.protocol.send_request_async(  # type: ignore[no-untyped-call]
            "raco/workspacePackages", {}
        )
        assert [(p["name"], p["collection"]) for p in packages] == [("mypkg", "string")]

        # Cancelled from the client: the command says so, and no half-linked scope stays.
        earlier = set(client.progress_reports)
        task = asyncio.ensure_future(_run(client, "raco-lsp.checkPackage", info))
        for _ in range(200):
            if set(client.progress_reports) - earlier:
                break
            await asyncio.sleep(0.05)
        (token,) = set(client.progress_reports) - earlier
        await asyncio.sleep(0.5)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(task, 30)
        assert result["ok"] is False and result["cancelled"] is True
        reports = client.progress_reports[token]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert reports[0].title == "Check package mypkg"
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert reports[-1].message == "cancelled"
        assert not list((cache / "raco-lsp" / "scopes").glob("*/state.json"))

        result = await _run(client, "raco-lsp.checkPackage", info)
        assert result["ok"] is True and result["clean"] is False
        diags = _setup_diags(client, info)
        assert sorted(d.message.split(":")[0] for d in diags) == [
            'undeclared build dependency on "rackunit-lib"',
            'undeclared dependency on "math-lib"',
        ]
        assert all(d.range.start.line == 2 for d in diags)
        run_dep = next(d for d in diags if "math-lib" in d.message)
        assert run_dep.related_information is not None
        assert run_dep.related_information[0].location.uri == path_uri(pkg / "main.rkt")

        await _fix(client, info, 'Add "math-lib" to deps')
        await _fix(client, info, 'Add "rackunit-lib" to build-deps')
        assert info.read_text() == (
            '#lang info\n(define collection "mypkg")\n(define deps \'("base" "math-lib"))\n'
            '(define build-deps \'("rackunit-lib"))\n'
        )
        result = await _run(client, "raco-lsp.checkPackage", info)
        assert result["ok"] is True and result["clean"] is True, result
        assert _setup_diags(client, info) == []

        cleared = await _run(client, "raco-lsp.clearPackageScope")
        assert cleared["ok"] is True and len(cleared["cleared"]) == 1
        assert not Path(cleared["cleared"][0]).exists()


async def test_check_on_save_reports_unused_dependency(ws: Path, tmp_path: Path) -> None:
    pkg = ws / "lib"
    pkg.mkdir()
    (pkg / "main.rkt").write_text("#lang racket/base\n(provide x)\n(define x 1)\n")
    info = pkg / "info.rkt"
    info.write_text('#lang info\n(define collection "lib")\n(define deps \'("base"))\n')
    init = {"compileOnSave": "off", "setupOnSave": True}
    async with lsp_session(ws, env=_env(tmp_path / "cache"), init_options=init) as client:
        open_file(client, info)
        save_file(
            client,
            info,
            '#lang info\n(define collection "lib")\n(define deps \'("base" "db-lib"))\n',
        )
        await asyncio.wait_for(_run(client, "raco-lsp.setupIdle"), 120)
        (warn,) = _setup_diags(client, info)
        assert warn.severity == types.DiagnosticSeverity.Warning
        assert warn.message.startswith('unused dependency "db-lib"')
        assert (warn.range.start.line, warn.range.start.character) == (2, 22)
        await _fix(client, info, "Remove unused dependency")
        assert (
            info.read_text() == '#lang info\n(define collection "lib")\n(define deps \'("base"))\n'
        )


async def _titles(client: LanguageClient, info: Path) -> list[str]:
    diags = _setup_diags(client, info)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(info)),
            range=types.Range(start=types.Position(0, 0), end=types.Position(99, 0)),
            context=types.CodeActionContext(diagnostics=diags),
        )
    )
    return [a.title for a in actions or [] if isinstance(a, types.CodeAction)]


def _text_at(path: Path, r: types.Range) -> str:
    assert r.start.line == r.end.line
    return path.read_text().splitlines()[r.start.line][r.start.character : r.end.character]


async def test_build_only_and_missing_dependencies(ws: Path, tmp_path: Path) -> None:
    # Racket prints `"rackunit-lib" for run`: used only by the test submodule.
    tools_info = write_package(ws, "tools", ["base", "rackunit-lib"], {"main.rkt": TEST_ONLY})
    # A dependency that is not installed: main.rkt cannot compile, so math-lib looks unused.
    needs_info = write_package(
        ws, "needs", ["base", MISSING_PKG, "math-lib"], {"main.rkt": NEEDS_MISSING}
    )
    needs = needs_info.parent
    cache = tmp_path / "cache"
    async with lsp_session(ws, env=_env(cache), init_options={"compileOnSave": "off"}) as client:
        open_file(client, tools_info)
        result = await _run(client, "raco-lsp.checkPackage", tools_info)
        assert result["ok"] is True and result["clean"] is False
        warn = next(d for d in _setup_diags(client, tools_info) if "move it" in d.message)
        assert warn.severity == types.DiagnosticSeverity.Warning
        assert _text_at(tools_info, warn.range) == '"rackunit-lib"'
        await _fix(client, tools_info, 'Move "rackunit-lib" to build-deps')
        assert tools_info.read_text() == (
            '#lang info\n(define collection "tools")\n(define deps \'("base"))\n'
            '(define build-deps \'("rackunit-lib"))\n'
        )
        result = await _run(client, "raco-lsp.checkPackage", tools_info)
        assert result["clean"] is True and _setup_diags(client, tools_info) == []

        open_file(client, needs_info)
        result = await _run(client, "raco-lsp.checkPackage", needs_info)
        assert result["notInstalled"] == [MISSING_PKG]
        (missing,) = _setup_diags(client, needs_info)
        assert missing.severity == types.DiagnosticSeverity.Error
        assert missing.message.startswith(f'dependency "{MISSING_PKG}" is not installed')
        assert _text_at(needs_info, missing.range) == f'"{MISSING_PKG}"'
        assert "Remove unused dependency" not in await _titles(client, needs_info)
        (error,) = _setup_diags(client, needs / "main.rkt")
        assert "raco-lsp-no-such-collection" in error.message
