"""Run Racket processes: argv lists, explicit cwd/env, stdin closed, own
process group, killed on cancellation, timeout and shutdown, and (Linux)
killed by the kernel when this process dies."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_live: set[asyncio.subprocess.Process] = set()


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    f: Callable[..., int] = prctl
    return f


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks Linux to SIGKILL the child when its parent
    dies (``prctl(PR_SET_PDEATHSIG)``), so no helper outlives a server or
    CLI that was killed (``kill -9`` runs none of our clean-up).  None
    elsewhere.

    The signal fires when the *thread* that forked the child exits.  Every
    process here is started by ``asyncio.create_subprocess_exec``, which forks
    in the event loop's thread, and the loop runs in the main thread
    (``asyncio.run`` in the CLI, pygls' ``start_io`` in the server): that
    thread lives as long as the process, so the signal means the process is
    gone.  (``asyncio.to_thread`` work never starts processes.)"""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


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


async def _spawn(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], *, stdin: int, **kwargs: Any
) -> asyncio.subprocess.Process:
    """The one place a process starts: an argv list (never a shell), explicit
    cwd and env, stdout/stderr piped, its own session (process group), and
    dead with its parent."""
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=dict(env),
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_die_with_parent(),
        **kwargs,
    )


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
    proc = await _spawn(argv, cwd, env, stdin=asyncio.subprocess.DEVNULL)
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
    proc = await _spawn(argv, cwd, env, stdin=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024)
    _live.add(proc)
    return proc


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Kill a process started by ``start_process`` (its whole group) and reap it."""
    _kill_group(proc)
    with contextlib.suppress(Exception):
        await asyncio.shield(proc.wait())
    _live.discard(proc)
