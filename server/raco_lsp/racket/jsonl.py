"""The client side of a long-lived helper that speaks JSON lines.

``data/agent.rkt`` (compiling) and ``data/test-runner.rkt`` (tests) keep the
same protocol, which this module is the one Python implementation of:

- once loaded, the helper writes ``{"event": "ready", ...}`` (no id);
- a request is one JSON object per line on its stdin, with an ``"op"`` and an
  ``"id"`` the client assigns; every event answering it carries that id;
- ``{"op": "shutdown"}`` asks the helper to exit (it exits at the end of its
  stdin too).

One reader task parses stdout into per-request queues, another keeps the tail
of stderr (and logs it).  When the process ends, every waiting request fails
with ``HelperDied`` (exit code and stderr tail), and ``on_exit`` says so if
nobody asked for it.  The process is started by the caller's factory, through
``racket/process.py`` (the one place that starts processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from raco_lsp.racket.process import stop_process

log = logging.getLogger(__name__)

Factory = Callable[[], Awaitable[asyncio.subprocess.Process]]
Event = dict[str, Any]
SHUTDOWN = "shutdown"
STDERR_LINES = 20
EXIT_GRACE = 2.0  # seconds for an exiting helper to finish and flush its stderr


def json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a one-shot helper's output, one per line (other
    lines are skipped)."""
    out = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


class HelperDied(Exception):
    """The helper process ended (or was never running) before answering."""

    def __init__(self, returncode: int | None, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"exit code {returncode}" + (f": {stderr}" if stderr else ""))


class Pending:
    """The events of one request, in order, until ``close`` (or ``with``)."""

    def __init__(self, helper: JsonLinesProcess, rid: int) -> None:
        self.helper = helper
        self.id = rid
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()

    async def next(self) -> Event:
        """The next event; ``HelperDied`` once the process has ended."""
        ev = await self._queue.get()
        if ev is None:
            self._queue.put_nowait(None)  # every later call fails the same way
            raise self.helper.died()
        return ev

    def close(self) -> None:
        self.helper._pending.pop(self.id, None)

    def __enter__(self) -> Pending:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class JsonLinesProcess:
    """One running helper process (see the module docstring)."""

    def __init__(
        self,
        name: str,
        proc: asyncio.subprocess.Process,
        *,
        on_exit: Callable[[JsonLinesProcess], None] | None = None,
    ) -> None:
        self.name = name
        self.proc = proc
        self._on_exit = on_exit
        self._pending: dict[int, Pending] = {}
        self._next_id = 0
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._asked_to_end = False
        self._ended = False
        self._stderr_task = asyncio.ensure_future(self._read_stderr())
        self._stdout_task = asyncio.ensure_future(self._read_stdout())

    @classmethod
    async def start(
        cls,
        name: str,
        factory: Factory,
        *,
        ready_timeout: float,
        on_exit: Callable[[JsonLinesProcess], None] | None = None,
    ) -> JsonLinesProcess:
        """Start the helper and wait for its ``ready`` event.  Raises
        ``HelperDied`` when it exits first and ``TimeoutError`` when it takes
        longer than ``ready_timeout`` (the process is then killed)."""
        helper = cls(name, await factory(), on_exit=on_exit)
        try:
            await asyncio.wait_for(asyncio.shield(helper._ready), ready_timeout)
        except BaseException:
            await helper.kill()
            raise
        return helper

    # -- state ------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return not self._ended and self.proc.returncode is None

    def stderr_tail(self, lines: int = 5) -> str:
        return " | ".join(list(self._stderr)[-lines:])

    def died(self) -> HelperDied:
        return HelperDied(self.proc.returncode, self.stderr_tail())

    # -- requests -----------------------------------------------------------------

    async def request(self, req: Mapping[str, Any]) -> Pending:
        """Send ``req`` with a fresh id; its events arrive in the ``Pending``."""
        self._next_id += 1
        pending = Pending(self, self._next_id)
        self._pending[pending.id] = pending
        try:
            await self.send({**req, "id": pending.id})
        except BaseException:
            pending.close()
            raise
        return pending

    async def send(self, msg: Mapping[str, Any]) -> None:
        """Write one line (no id added: ``cancel`` names the request it stops)."""
        stdin = self.proc.stdin
        if not self.running or stdin is None:
            raise self.died()
        try:
            stdin.write(json.dumps(msg).encode("utf-8") + b"\n")
            await stdin.drain()
        except (ConnectionError, RuntimeError) as e:
            raise self.died() from e

    # -- ending -----------------------------------------------------------------

    async def close(self, grace: float = EXIT_GRACE) -> None:
        """Ask the helper to exit (``shutdown``); kill it after ``grace`` seconds."""
        self._asked_to_end = True
        if self.running:
            with contextlib.suppress(Exception):
                await self.send({"op": SHUTDOWN})
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace)
        await self.kill()

    async def kill(self) -> None:
        """Kill the process group now; waiting requests fail with ``HelperDied``."""
        self._asked_to_end = True
        await stop_process(self.proc)
        for task in (self._stdout_task, self._stderr_task):
            if not task.done():
                task.cancel()
        self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if not self._ready.done():
            self._ready.set_exception(self.died())
            self._ready.exception()  # retrieved: nobody may be waiting any more
        for pending in list(self._pending.values()):
            pending._queue.put_nowait(None)
        if not self._asked_to_end and self._on_exit is not None:
            self._on_exit(self)

    # -- readers ------------------------------------------------------------------

    async def _read_stdout(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while line := await stdout.readline():
                self._dispatch(line)
        except ValueError as e:  # a line over the stream limit: out of step for good
            log.warning("%s: unreadable output (%s); stopping it", self.name, e)
            await stop_process(self.proc)
        finally:
            # Reap it and read the rest of its stderr, so the report has both
            # (``kill`` may cancel the stderr reader meanwhile).
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(
                    asyncio.shield(asyncio.gather(self.proc.wait(), self._stderr_task)),
                    EXIT_GRACE,
                )
            self._end()

    def _dispatch(self, line: bytes) -> None:
        try:
            ev = json.loads(line)
        except ValueError:
            log.warning("%s: not a JSON line: %r", self.name, line[:200])
            return
        if not isinstance(ev, dict):
            log.warning("%s: not a JSON object: %r", self.name, line[:200])
            return
        rid = ev.get("id")
        if ev.get("event") == "ready" and rid is None:
            if not self._ready.done():
                self._ready.set_result(None)
            return
        pending = self._pending.get(rid) if type(rid) is int else None
        if pending is None:
            log.debug("%s: event for no waiting request: %r", self.name, line[:200])
            return
        pending._queue.put_nowait(ev)

    async def _read_stderr(self) -> None:
        stderr = self.proc.stderr
        assert stderr is not None
        with contextlib.suppress(ValueError):
            while line := await stderr.readline():
                text = line.decode("utf-8", errors="replace").rstrip()
                self._stderr.append(text)
                log.info("%s stderr: %s", self.name, text)
