"""Client of the persistent Racket compile agent (``data/agent.rkt``).

The agent saves Racket's start-up and compiler/cm's load on every save.  The
client has an explicit state (starting, idle, building, crashed, stopped),
starts the process through an injected factory (tests can pass a fake),
forwards the agent's stderr to the log, replaces the agent when a compile
times out or the process dies, and recycles it between requests when its
memory grows past a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.core.text import read_source
from raco_lsp.racket.compile import CompileRun, TextSource, parse_events
from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import start_process, stop_process

log = logging.getLogger(__name__)

AgentFactory = Callable[[], Awaitable[asyncio.subprocess.Process]]
READY_TIMEOUT = 60.0
CANCEL_GRACE = 2.0


class AgentState(Enum):
    STARTING = "starting"
    IDLE = "idle"
    BUILDING = "building"
    CRASHED = "crashed"
    STOPPED = "stopped"


class AgentCrashed(Exception):
    """The agent process died while working; the request was not completed."""


def racket_agent_factory(install: RacketInstall) -> AgentFactory:
    async def start() -> asyncio.subprocess.Process:
        return await start_process(
            [str(install.racket), str(data_file("agent.rkt"))],
            cwd=Path.home() if Path.home().is_dir() else Path("/"),
            env=racket_env(),
        )

    return start


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process (Linux), or None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class CompileAgent:
    def __init__(
        self,
        factory: AgentFactory,
        *,
        memory_limit: int = 2 * 1024**3,
        on_state: Callable[[AgentState], None] | None = None,
    ) -> None:
        self._factory = factory
        self.memory_limit = memory_limit
        self._on_state = on_state
        self.state = AgentState.STOPPED
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._waiters: dict[int, asyncio.Queue[dict[str, Any] | None]] = {}
        self._next_id = 0
        self._lock = asyncio.Lock()
        self._stderr_tail: list[str] = []
        self._stopping = False
        self.restarts = 0
        self.compiles = 0

    # -- lifecycle --------------------------------------------------------

    def _set(self, state: AgentState) -> None:
        if state is not self.state:
            log.debug("agent: %s -> %s", self.state.value, state.value)
        self.state = state
        if self._on_state is not None:
            self._on_state(state)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            return
        if self.state is AgentState.CRASHED:
            # It died on its own (killed, crashed): this start replaces it.
            self.restarts += 1
            log.warning("restarting the compile agent: it had exited")
        self._set(AgentState.STARTING)
        self._stderr_tail = []
        proc = await self._factory()
        self._proc = proc
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._reader = asyncio.create_task(self._read(proc))
        self._stderr_task = asyncio.create_task(self._forward_stderr(proc))
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT)
        except BaseException:
            await self._kill()
            self._set(AgentState.CRASHED)
            raise
        self._set(AgentState.IDLE)

    async def stop(self) -> None:
        proc = self._proc
        self._stopping = True
        try:
            if proc is not None and proc.returncode is None and proc.stdin is not None:
                with contextlib.suppress(Exception):
                    proc.stdin.write(b'{"op": "shutdown"}\n')
                    await proc.stdin.drain()
                    await asyncio.wait_for(proc.wait(), 2)
            await self._kill()
        finally:
            self._stopping = False
        self._set(AgentState.STOPPED)

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            await stop_process(proc)
        for task in (self._reader, self._stderr_task):
            if task is not None and not task.done():
                task.cancel()
        self._fail_waiters()

    async def restart(self, why: str) -> None:
        log.warning("restarting the compile agent: %s", why)
        self.restarts += 1
        await self._kill()
        await self.start()

    # -- I/O ----------------------------------------------------------------

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        try:
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                try:
                    ev = json.loads(line)
                except ValueError:
                    log.warning("agent: unreadable line %r", line[:200])
                    continue
                if not isinstance(ev, dict):
                    continue
                if ev.get("event") == "ready":
                    if self._ready is not None and not self._ready.done():
                        self._ready.set_result(None)
                    continue
                queue = self._waiters.get(ev.get("id"))  # type: ignore[arg-type]
                if queue is not None:
                    queue.put_nowait(ev)
        finally:
            # Reap it first, so the crash report has the exit code.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(proc.wait()), 2)
            if self._proc is proc and not self._stopping:
                log.warning(
                    "compile agent exited (code %s)%s",
                    proc.returncode,
                    ": " + " | ".join(self._stderr_tail[-5:]) if self._stderr_tail else "",
                )
                self._set(AgentState.CRASHED)
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(AgentCrashed("the agent exited while starting"))
            self._fail_waiters()

    async def _forward_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while True:
            line = await proc.stderr.readline()
            if not line:
                return
            text = line.decode("utf-8", errors="replace").rstrip()
            self._stderr_tail = [*self._stderr_tail[-19:], text]
            log.info("agent stderr: %s", text)

    def _fail_waiters(self) -> None:
        for queue in self._waiters.values():
            queue.put_nowait(None)

    def _send(self, req: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise AgentCrashed("the agent is not running")
        proc.stdin.write(json.dumps(req).encode() + b"\n")

    # -- requests ---------------------------------------------------------

    async def ping(self) -> int | None:
        async with self._lock:
            await self.start()
            events = await self._request({"op": "ping"}, until="pong", timeout=10)
            memory = events[-1].get("memory") if events else None
            return memory if isinstance(memory, int) else None

    async def _request(
        self, req: dict[str, Any], *, until: str, timeout: float | None
    ) -> list[dict[str, Any]]:
        self._next_id += 1
        rid = self._next_id
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._waiters[rid] = queue
        events: list[dict[str, Any]] = []
        try:
            self._send({**req, "id": rid})

            async def collect() -> None:
                while True:
                    ev = await queue.get()
                    if ev is None:
                        raise AgentCrashed(self._crash_reason())
                    events.append(ev)
                    if ev.get("event") == until:
                        return

            try:
                await asyncio.wait_for(collect(), timeout)
            except asyncio.CancelledError:
                # Ask the agent to stop; replace it if it does not in time.
                stopped = False
                with contextlib.suppress(Exception):
                    self._send({"op": "cancel", "id": rid})
                    stopped = await asyncio.wait_for(self._drain(queue, until), CANCEL_GRACE)
                if not stopped:
                    await self.restart("a cancelled compile did not stop in time")
                raise
            return events
        finally:
            self._waiters.pop(rid, None)

    @staticmethod
    async def _drain(queue: asyncio.Queue[dict[str, Any] | None], until: str) -> bool:
        """Wait for the end of a cancelled request: True if the agent said so."""
        while True:
            ev = await queue.get()
            if ev is None:
                return False
            if ev.get("event") == until:
                return True

    def _crash_reason(self) -> str:
        proc = self._proc
        code = proc.returncode if proc is not None else None
        tail = " | ".join(self._stderr_tail[-5:])
        return f"the compile agent died (exit code {code}){': ' + tail if tail else ''}"

    async def compile(
        self,
        files: Sequence[Path],
        *,
        roots: Sequence[Path],
        timeout: float | None,
        text_of: TextSource = read_source,
    ) -> CompileRun:
        """Compile ``files``; a timeout is reported as a problem and the agent
        replaced.  Raises ``AgentCrashed`` when the process dies meanwhile
        (the caller decides whether to retry) and ``CancelledError`` when
        cancelled (the agent stops compiling, or is replaced)."""
        async with self._lock:
            await self.start()
            self._set(AgentState.BUILDING)
            req = {
                "op": "compile",
                "files": [str(f) for f in files],
                "roots": [str(r) for r in roots],
            }
            try:
                events = await self._request(req, until="result", timeout=timeout)
            except TimeoutError:
                await self.restart(f"compile of {', '.join(f.name for f in files)} timed out")
                run = CompileRun(timed_out=True)
                for f in files:
                    run.problems.append(
                        Problem(
                            f,
                            Span.at_line_start(),
                            Severity.ERROR,
                            f"compilation did not finish within {timeout:g} s and was stopped "
                            "(raco-lsp.compileTimeout); a macro may be looping",
                            "raco make",
                            code="timeout",
                        )
                    )
                return run
            finally:
                if self.state is AgentState.BUILDING:
                    self._set(AgentState.IDLE)
            self.compiles += 1
            await self._maybe_recycle()
        lines = [json.dumps(e) for e in events]
        return parse_events(lines, list(files), text_of)

    async def _maybe_recycle(self) -> None:
        pid = self.pid
        rss = rss_bytes(pid) if pid is not None else None
        if rss is not None and rss > self.memory_limit:
            await self.restart(
                f"memory {rss // 2**20} MB is over the limit of {self.memory_limit // 2**20} MB"
            )

    def rss(self) -> int | None:
        pid = self.pid
        return rss_bytes(pid) if pid is not None else None
