"""Server-initiated work-done progress (``$/progress``) with real cancellation.

Usage in a feature::

    async with work_done(ls, "Compiling") as progress:
        progress.report("util.rkt", done=1, total=3)
        ...

When the client cancels, the task running the block is cancelled (so the
subprocess it awaits is killed by ``racket.process``) and ``CancelledError``
propagates out of the block.  Clients without ``window.workDoneProgress``
get no progress messages; the work runs the same.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, ls: RacoLanguageServer | None, token: str | None) -> None:
        self._ls = ls
        self.token = token
        self.cancelled_by_client = False
        self.pending: types.WorkDoneProgressReport | None = None
        """The newest report made before the client acknowledged the token
        (sent right after ``begin``)."""

    def report(self, message: str, *, done: int | None = None, total: int | None = None) -> None:
        if self._ls is None:
            return
        percentage = int(100 * done / total) if done is not None and total else None
        value = types.WorkDoneProgressReport(message=message, percentage=percentage)
        if self.token is None:
            self.pending = value
            return
        self._ls.work_done_progress.report(self.token, value)


def client_supports_progress(ls: RacoLanguageServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window is not None and window.work_done_progress)


@asynccontextmanager
async def work_done(
    ls: RacoLanguageServer, title: str, *, cancellable: bool = True
) -> AsyncIterator[Progress]:
    """Progress around the block.  The work starts at once: LSP lets the
    server use the token only once the client answered
    ``window/workDoneProgress/create``, so ``begin`` (and the newest report)
    go out when that answer arrives; work that ends before it shows none."""
    if not client_supports_progress(ls):
        yield Progress(None, None)
        return
    token = f"raco-lsp/{uuid.uuid4()}"
    progress = Progress(ls, None)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    finished = False

    def on_cancel(f: Any) -> None:
        if f.cancelled() and task is not None and not finished:
            progress.cancelled_by_client = True
            loop.call_soon_threadsafe(task.cancel)

    def on_created(f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:  # the client refused
            why = "cancelled" if f.cancelled() else f.exception()
            log.debug("window/workDoneProgress/create failed: %s", why)
            ls.work_done_progress.tokens.pop(token, None)
            return
        if finished:
            ls.work_done_progress.tokens.pop(token, None)
            return
        progress.token = token
        future = ls.work_done_progress.tokens.get(token)
        if future is not None:
            future.add_done_callback(on_cancel)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=cancellable, percentage=0)
        )
        if progress.pending is not None:
            ls.work_done_progress.report(token, progress.pending)
            progress.pending = None

    created = asyncio.ensure_future(ls.work_done_progress.create_async(token))
    created.add_done_callback(on_created)
    message = "done"
    try:
        yield progress
    except asyncio.CancelledError:
        message = "cancelled"
        raise
    except Exception:
        message = "failed"
        raise
    finally:
        finished = True
        if progress.token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            ls.work_done_progress.tokens.pop(token, None)
