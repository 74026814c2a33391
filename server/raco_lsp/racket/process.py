"""Run Racket processes: argv lists, explicit cwd/env, stdin closed, own
process group, killed on cancellation, timeout and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_live: set[asyncio.subprocess.Process] = set()


@dataclass(frozen=True)
class ProcessResult:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
) -> ProcessResult:
    """Run ``argv`` to completion, or kill its whole process group.

    Cancelling the calling task kills the process group and re-raises.
    """
    log.debug("run %s (cwd %s)", list(argv), cwd)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    _live.add(proc)
    timed_out = False
    try:
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            timed_out = True
            _kill_group(proc)
            out, err = await proc.communicate()
    except BaseException:
        _kill_group(proc)
        with contextlib.suppress(Exception):
            await asyncio.shield(proc.wait())
        raise
    finally:
        _live.discard(proc)
    return ProcessResult(
        proc.returncode,
        out.decode("utf-8", errors="replace"),
        err.decode("utf-8", errors="replace"),
        timed_out,
    )


def kill_all() -> None:
    """Kill every process still running (server shutdown)."""
    for proc in list(_live):
        _kill_group(proc)


async def start_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
) -> asyncio.subprocess.Process:
    """Start a long-lived helper that talks over stdin/stdout (JSON lines).

    Same rules as ``run_process`` (argv list, explicit cwd/env, own process
    group, killed by ``kill_all``); stdin is a pipe for requests.  Stop it
    with ``stop_process``.
    """
    log.debug("start %s (cwd %s)", list(argv), cwd)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=dict(env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=64 * 1024 * 1024,
    )
    _live.add(proc)
    return proc


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Kill a process started by ``start_process`` (its whole group) and reap it."""
    _kill_group(proc)
    with contextlib.suppress(Exception):
        await asyncio.shield(proc.wait())
    _live.discard(proc)
