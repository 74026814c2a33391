"""Package-build preflight through the server (``raco-lsp.pkgBuild``), with real
Racket and real raco pkg: diagnostics, the verdict message, progress per step,
cancellation; the user's packages and the installation are the same afterwards."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file
from raco_lsp.lsp.uris import path_uri

INFO = '#lang info\n(define collection "undeclpkg")\n(define deps \'("base"))\n'
MAIN = "#lang racket/base\n(require math/base)\n(provide y)\n(define y pi)\n"


def _package(ws: Path) -> Path:
    pkg = ws / "undeclpkg"
    pkg.mkdir()
    (pkg / "info.rkt").write_text(INFO)
    (pkg / "main.rkt").write_text(MAIN)
    return pkg


@asynccontextmanager
async def _session(ws: Path, tmp_path: Path) -> AsyncIterator[tuple[LanguageClient, Path]]:
    """A server on ``ws`` holding the package; its temporary directory is
    ``tmp_path/tmp``, where the run's scopes go."""
    pkg = _package(ws)
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path / "tmp")}
    async with lsp_session(ws, env=env, init_options={"compileOnSave": "off"}) as client:
        yield client, pkg


async def _pkg_build(client: LanguageClient, path: Path) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="raco-lsp.pkgBuild", arguments=[{"uri": path_uri(path)}])
    )


async def _new_token(client: LanguageClient, earlier: set[Any]) -> Any:
    for _ in range(600):
        if new := set(client.progress_reports) - earlier:
            (token,) = new
            return token
        await asyncio.sleep(0.05)
    raise AssertionError("no progress")


def _scopes(tmp: Path) -> list[Path]:
    """The run's temporary directories (its fresh scopes)."""
    return list(tmp.glob("raco-lsp-pkg-build-*"))


def _messages(reports: list[Any]) -> list[str]:
    return [r.message or "" for r in reports if isinstance(r, types.WorkDoneProgressReport)]


async def test_undeclared_dependency_on_info_rkt_and_the_verdict(
    ws: Path, tmp_path: Path, untouched: None
) -> None:
    async with _session(ws, tmp_path) as (client, pkg):
        info = pkg / "info.rkt"
        open_file(client, info)
        earlier = set(client.progress_reports)
        result = await asyncio.wait_for(_pkg_build(client, pkg / "main.rkt"), 600)
        assert result["ok"] is True and result["verdict"] == "dependency problems", result
        assert [(s["name"], s["status"]) for s in result["steps"]] == [
            ("archive", "success"),
            ("conflicts", "success"),
            ("install", "success"),
            ("docs", "skipped"),  # no scribblings
            ("dependencies", "failure"),
            ("built", "success"),
            ("tests", "success"),
        ]
        # The results page, beside the answer: outside the workspace.
        page = Path(result["html"])
        assert not page.is_relative_to(ws) and page.suffix == ".html"
        assert "<title>Package Build Results: undeclpkg</title>" in page.read_text()
        diags = [d for d in diagnostics(client, info) if d.source == "pkg-build"]
        (diag,) = diags
        assert diag.code == "undeclared" and '"math-lib"' in diag.message
        # At `deps` in `(define deps '("base"))`.
        assert diag.range == types.Range(
            start=types.Position(line=2, character=8), end=types.Position(line=2, character=12)
        )
        assert [d for d in diagnostics(client, pkg / "main.rkt") if d.source == "pkg-build"] == []
        (summary,) = [m for m in client.messages if m.message.startswith("Package build:")]
        assert summary.type == types.MessageType.Warning
        assert summary.message.startswith("Package build: undeclpkg: dependency problems")
        # One progress report per step.
        (token,) = set(client.progress_reports) - earlier
        reports = client.progress_reports[token]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert reports[0].title == "Package build undeclpkg"
        steps = [m.split(":")[0] for m in _messages(reports) if ":" in m]
        assert steps == [
            "archive",
            "conflicts",
            "install",
            "docs",
            "dependencies",
            "built",
            "tests",
        ]
        # raco setup's quick fix, on the pkg-build diagnostic.
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(info)),
                range=diag.range,
                context=types.CodeActionContext(diagnostics=[diag]),
            )
        )
        titles = [a.title for a in actions or [] if isinstance(a, types.CodeAction)]
        assert 'Add "math-lib" to deps' in titles
    assert _scopes(tmp_path / "tmp") == []


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append(argv.replace("\0", " "))
    return found


async def test_cancel_kills_the_step_and_removes_its_scopes(
    ws: Path, tmp_path: Path, untouched: None
) -> None:
    tmp = tmp_path / "tmp"
    async with _session(ws, tmp_path) as (client, pkg):
        earlier = set(client.progress_reports)
        task = asyncio.ensure_future(_pkg_build(client, pkg / "info.rkt"))
        token = await _new_token(client, earlier)
        # Once the archive is made, the install step runs raco in a scope under tmp.
        prefix = str(tmp / "raco-lsp-pkg-build-")
        for _ in range(1200):
            archived = any(
                m.startswith("archive:") for m in _messages(client.progress_reports[token])
            )
            if archived and _processes_mentioning(prefix):
                break
            await asyncio.sleep(0.05)
        assert _scopes(tmp) != [] and _processes_mentioning(prefix) != []
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(task, 60)
        assert result["ok"] is False and result["cancelled"] is True
        reports = client.progress_reports[token]
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert reports[-1].message == "cancelled"
        assert _scopes(tmp) == []
        assert _processes_mentioning(prefix) == []
        assert not [m for m in client.messages if m.message.startswith("Package build:")]
        assert [d for d in diagnostics(client, pkg / "info.rkt") if d.source == "pkg-build"] == []
