"""``raco-lsp.checkOnStartup``: after start, the stale modules of each trusted
folder are compiled in the background (cancellable progress), so errors in
files that were never opened are reported; opened files go first."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, save_file, wait_idle
from raco_lsp.lsp.uris import path_uri
from test_lsp_untrusted import make_payload_workspace

BASE = "#lang racket/base\n"


def _raco_make(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in diagnostics(client, path) if d.source == "raco make"]


def _workspace(ws: Path) -> dict[str, Path]:
    files = {
        "good.rkt": BASE + "(provide x)\n(define x 1)\n",
        "uses.rkt": BASE + '(require "good.rkt")\n(define y (+ x oops))\n',
        "lone.rkt": BASE + "(define)\n",
    }
    for name, text in files.items():
        (ws / name).write_text(text)
    return {name: ws / name for name in files}


async def test_errors_of_never_opened_modules_are_reported(ws: Path) -> None:
    files = _workspace(ws)
    async with lsp_session(ws) as client:
        await wait_idle(client)
        (d,) = _raco_make(client, files["uses.rkt"])
        assert d.message.startswith("oops: unbound identifier")
        (d,) = _raco_make(client, files["lone.rkt"])
        assert d.message.startswith("define: bad syntax")
        assert _raco_make(client, files["good.rkt"]) == []
        assert (ws / "compiled" / "good_rkt.zo").exists()
        begun: list[tuple[str, bool | None]] = []
        for reports in client.progress_reports.values():
            for r in reports:
                if isinstance(r, types.WorkDoneProgressBegin):
                    begun.append((r.title, r.cancellable))
        assert begun == [("Checking Racket workspace", True)]


async def test_the_opened_file_goes_first(ws: Path) -> None:
    files = _workspace(ws)
    opened = ws / "opened.rkt"
    opened.write_text(BASE + "(define z nope)\n")
    async with lsp_session(ws) as client:
        published = _record_publishes(client)
        open_file(client, opened)
        await wait_idle(client)
        assert published[0] == path_uri(opened)
        assert set(published) == {
            path_uri(p) for p in (opened, files["uses.rkt"], files["lone.rkt"])
        }


@pytest.mark.parametrize("off", [{"checkOnStartup": False}, {"compileOnSave": "off"}])
async def test_nothing_is_checked_with_the_setting_off(ws: Path, off: dict[str, Any]) -> None:
    files = _workspace(ws)
    async with lsp_session(ws, configuration={"raco-lsp": off}) as client:
        await wait_idle(client)
        assert all(_raco_make(client, f) == [] for f in files.values())
        assert not (ws / "compiled").exists()


async def test_an_untrusted_folder_is_not_checked(tmp_path: Path) -> None:
    trusted, untrusted = tmp_path / "trusted", tmp_path / "untrusted"
    trusted.mkdir()
    untrusted.mkdir()
    files = _workspace(trusted)
    marks = tmp_path / "marks"
    make_payload_workspace(untrusted, marks)
    config = {trusted: None, untrusted: {"raco-lsp": {"trusted": False}}}
    async with lsp_session(trusted, folders=config) as client:
        await wait_idle(client)
        (d,) = _raco_make(client, files["uses.rkt"])
        assert d.message.startswith("oops: unbound identifier")
    assert not marks.exists() or list(marks.iterdir()) == []
    assert not (untrusted / "compiled").exists()


def _broken_modules(ws: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        f = ws / f"m{i:02}.rkt"
        f.write_text(BASE + f"(define m{i} nope{i})\n")
        out.append(f)
    return out


async def _check_begun(client: LanguageClient) -> str:
    """The progress token of the check on startup, once it has begun."""
    while True:
        for token, reports in client.progress_reports.items():
            for r in reports:
                if isinstance(r, types.WorkDoneProgressBegin) and r.title.startswith("Checking"):
                    assert isinstance(token, str)
                    return token
        await asyncio.sleep(0.01)


def _ended(client: LanguageClient, token: str) -> str | None:
    for r in client.progress_reports[token]:
        if isinstance(r, types.WorkDoneProgressEnd):
            return r.message
    return None


def _record_publishes(client: LanguageClient) -> list[str]:
    """The uris of ``raco make`` diagnostics, in the order they arrive."""
    published: list[str] = []
    features = client.protocol.fm.features
    store = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        if any(d.source == "raco make" for d in params.diagnostics):
            published.append(params.uri)
        store(client, params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    return published


async def test_a_save_during_the_check_goes_first_and_the_check_goes_on(ws: Path) -> None:
    modules = _broken_modules(ws, 30)
    saved = ws / "saved.rkt"
    saved.write_text(BASE)
    async with lsp_session(ws, init_options={"jobs": 1}) as client:
        published = _record_publishes(client)
        token = await asyncio.wait_for(_check_begun(client), 60)
        open_file(client, saved)
        save_file(client, saved, BASE + "(define s nope)\n")
        await wait_idle(client)
        assert _ended(client, token) == "cancelled"
        last_module = max(published.index(path_uri(m)) for m in modules)
        assert published.index(path_uri(saved)) < last_module
        # What the check had not compiled was carried into the save's build.
        assert {path_uri(m) for m in modules} <= set(published)


async def test_a_check_the_user_cancels_is_not_carried_over(ws: Path) -> None:
    modules = _broken_modules(ws, 30)
    async with lsp_session(ws, init_options={"jobs": 1}) as client:
        published = _record_publishes(client)
        token = await asyncio.wait_for(_check_begun(client), 60)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await wait_idle(client)
        assert _ended(client, token) == "cancelled"
        checked = len(published)
        assert checked < len(modules)
        open_file(client, modules[-1])
        save_file(client, modules[-1], modules[-1].read_text())
        await wait_idle(client)
        assert len(set(published)) <= checked + 1


async def test_links_out_of_the_folder_are_not_compiled(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.rkt").write_text(BASE + "(define far 1)\n")
    (ws / "link").symlink_to(outside)
    files = _workspace(ws)
    async with lsp_session(ws) as client:
        await wait_idle(client)
        (d,) = _raco_make(client, files["uses.rkt"])
        assert d.message.startswith("oops: unbound identifier")
    assert sorted(p.name for p in outside.iterdir()) == ["far.rkt"]
