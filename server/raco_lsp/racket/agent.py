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

from raco_lsp.core.text import read_source
from raco_lsp.racket.compile import (
    CompileRun,
    TextSource,
    parse_events,
    timeout_message,
    unfinished_problem,
)
from raco_lsp.racket.env import racket_env
from raco_lsp.racket.helpers import discard_compiled, helper_file
from raco_lsp.racket.jsonl import HelperDied, JsonLinesProcess, Pending
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import start_process

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


def racket_agent_factory(install: RacketInstall, role: str = "compile") -> AgentFactory:
    """``role`` ("compile" or "analysis") is the agent's one argument: what it
    is for, as ``ps`` and the bench's memory figures show it; an analysis
    agent loads check-syntax before it says it is ready."""

    async def start() -> asyncio.subprocess.Process:
        return await start_process(
            [str(install.racket), str(helper_file(install, "agent.rkt")), role],
            cwd=Path.home() if Path.home().is_dir() else Path("/"),
            env=racket_env(),
        )

    return start


def racket_agent(install: RacketInstall, role: str = "compile") -> CompileAgent:
    """An agent of ``install`` (``role``: see ``racket_agent_factory``): from
    the helpers' compiled copy; when it will not start from there, the copy
    is removed and it starts from their source."""
    factory = racket_agent_factory(install, role)
    return CompileAgent(factory, retry_start=lambda e: discard_compiled(install, e))


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
        retry_start: Callable[[HelperDied], bool] | None = None,
    ) -> None:
        """``retry_start``: called when the process exits while starting; True
        to start once more (``racket_agent``: from the helper's source)."""
        self._factory = factory
        self._retry_start = retry_start
        self.memory_limit = memory_limit
        self._on_state = on_state
        self.state = AgentState.STOPPED
        self._helper: JsonLinesProcess | None = None
        self._lock = asyncio.Lock()
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
        return self._helper.pid if self._helper is not None else None

    async def start(self) -> None:
        if (
            self._helper is not None
            and self._helper.running
            and self.state is not AgentState.CRASHED
        ):
            return
        died = self._helper is not None and not self._helper.running
        if self.state is AgentState.CRASHED or died:
            # It died on its own (killed, crashed): this start replaces it
            # (its exit may be reaped before our exit callback has run).
            self.restarts += 1
            log.warning("restarting the compile agent: it had exited")
        self._set(AgentState.STARTING)
        old, self._helper = self._helper, None
        if old is not None:
            await old.kill()  # reaped and forgotten
        for again in (True, False):
            try:
                self._helper = await JsonLinesProcess.start(
                    "compile agent",
                    self._factory,
                    ready_timeout=READY_TIMEOUT,
                    on_exit=self._exited,
                )
            except HelperDied as e:
                if again and self._retry_start is not None and self._retry_start(e):
                    continue  # e.g. the helper's compiled copy would not load
                self._set(AgentState.CRASHED)
                raise AgentCrashed(f"the agent exited while starting ({e})") from e
            except BaseException:
                self._set(AgentState.CRASHED)
                raise
            break
        self._set(AgentState.IDLE)

    def _exited(self, helper: JsonLinesProcess) -> None:
        """The process ended without being asked to."""
        if helper is self._helper:
            tail = helper.stderr_tail()
            log.warning(
                "compile agent exited (code %s)%s",
                helper.proc.returncode,
                ": " + tail if tail else "",
            )
            self._set(AgentState.CRASHED)

    async def warm_up(self) -> None:
        """Start the process now (as ``compile`` would), so that the first
        compile does not wait for Racket and compiler/cm to load."""
        async with self._lock:
            await self.start()

    async def stop(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            await helper.close()
        self._set(AgentState.STOPPED)

    async def stop_if_idle(self) -> bool:
        """Stop the process if it runs and no request is in flight (the next
        request starts it again); whether it was stopped."""
        if self._lock.locked() or self.state is not AgentState.IDLE:
            return False
        async with self._lock:
            if self.state is not AgentState.IDLE:
                return False
            await self.stop()
            return True

    async def restart(self, why: str) -> None:
        log.warning("restarting the compile agent: %s", why)
        self.restarts += 1
        helper, self._helper = self._helper, None
        if helper is not None:
            await helper.kill()
        await self.start()

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
        helper = self._helper
        if helper is None:
            raise AgentCrashed("the agent is not running")
        events: list[dict[str, Any]] = []
        try:
            pending = await helper.request(req)
        except HelperDied as e:
            self._set(AgentState.CRASHED)  # the next start replaces it
            raise AgentCrashed(_crash_reason(e)) from e
        with pending:

            async def collect() -> None:
                while True:
                    ev = await pending.next()
                    events.append(ev)
                    if ev.get("event") == until:
                        return

            try:
                await asyncio.wait_for(collect(), timeout)
            except HelperDied as e:
                # Dead even if its exit was not reaped yet: the next start
                # replaces it instead of writing to it again.
                self._set(AgentState.CRASHED)
                raise AgentCrashed(_crash_reason(e)) from e
            except asyncio.CancelledError:
                # Ask the agent to stop; replace it if it does not in time.
                stopped = False
                with contextlib.suppress(Exception):
                    await helper.send({"op": "cancel", "id": pending.id})
                    stopped = await asyncio.wait_for(_drain(pending, until), CANCEL_GRACE)
                if not stopped:
                    await self.restart("a cancelled compile did not stop in time")
                raise
            return events

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
                unfinished_problem(run, files, timeout_message(timeout), "timeout", text_of)
                return run
            finally:
                if self.state is AgentState.BUILDING:
                    self._set(AgentState.IDLE)
            self.compiles += 1
            await self._maybe_recycle()
        lines = [json.dumps(e) for e in events]
        return parse_events(lines, list(files), text_of)

    async def analyze(
        self, file: Path, *, timeout: float | None, text: str | None = None
    ) -> dict[str, Any]:
        """The agent's ``analyze`` answer for ``file`` (``data/identifiers.rkt``),
        or for ``text`` read as ``file``'s (an unsaved buffer): check-syntax's
        view as JSON, or ``{"error": ...}``.  A timeout replaces the agent;
        ``AgentCrashed`` and ``CancelledError`` as for ``compile`` (a cancel
        breaks the analysis in the agent)."""
        req: dict[str, Any] = {"op": "analyze", "file": str(file)}
        if text is not None:
            req["text"] = text
        async with self._lock:
            await self.start()
            self._set(AgentState.BUILDING)
            try:
                events = await self._request(req, until="analysis", timeout=timeout)
            except TimeoutError:
                await self.restart(f"analysis of {file.name} timed out")
                return {"error": f"the analysis of {file.name} timed out after {timeout} s"}
            finally:
                if self.state is AgentState.BUILDING:
                    self._set(AgentState.IDLE)
            await self._maybe_recycle()
        return events[-1] if events else {"error": "no answer"}

    async def doc(self, module: str, names: Sequence[str], *, timeout: float | None) -> Any:
        """The agent's ``doc`` answer (``data/identifiers.rkt``'s
        ``binding-doc``): the installed documentation of the first of
        ``names`` that installation module ``module`` (a module path as
        Racket prints it) exports, as a ``doc_entries`` row, or None.
        ``AgentCrashed`` and ``CancelledError`` as for ``analyze``."""
        async with self._lock:
            await self.start()
            try:
                events = await self._request(
                    {"op": "doc", "module": module, "names": list(names)},
                    until="doc",
                    timeout=timeout,
                )
            except TimeoutError:
                await self.restart("a documentation look-up timed out")
                return None
        return events[-1].get("entry") if events else None

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


async def _drain(pending: Pending, until: str) -> bool:
    """Wait for the end of a cancelled request: True if the agent said so."""
    try:
        while (await pending.next()).get("event") != until:
            pass
    except HelperDied:
        return False
    return True


def _crash_reason(e: HelperDied) -> str:
    return f"the compile agent died (exit code {e.returncode}){': ' + e.stderr if e.stderr else ''}"
