"""The server's JSON-RPC behaviour: races and malformed messages never reach the
user as error pop-ups, and every request gets exactly one answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, save_file, wait_idle

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
