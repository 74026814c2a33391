"""No helper outlives its parent: the kernel kills what racket/process.py
started when the parent dies (Linux), and a busy test runner also exits as
soon as its stdin ends.  The waits below are deadlines for an event, not
timings."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from raco_lsp.racket.env import data_file
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.process import start_process, stop_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

SPIN = """#lang racket/base
(module+ test
  (close-output-port (open-output-file "started" #:exists 'truncate))
  (let loop () (loop)))
"""


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(x) for x in task.read_text().split()]
    return out


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def wait_for(event: Callable[[], bool], deadline: float) -> bool:
    end = time.monotonic() + deadline
    while not event():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kill_orphans(pids: list[int]) -> None:
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_cli_takes_its_busy_test_runner_along(ws: Path) -> None:
    (ws / "spin.rkt").write_text(SPIN)
    cli = subprocess.Popen(
        [sys.executable, "-m", "raco_lsp", "test", "-j", "1", "--timeout", "600", str(ws)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runners: list[int] = []
    try:
        assert wait_for(lambda: (ws / "started").exists(), 120), "the test never started"
        runners = [p for p in children(cli.pid) if "test-runner.rkt" in cmdline(p)]
        assert runners
        cli.kill()
        cli.wait()
        assert wait_for(lambda: not any(alive(p) for p in runners), 30), "the runner survived"
    finally:
        cli.kill()
        cli.wait()
        kill_orphans(runners)


HELPER = """
import asyncio, os, sys
from pathlib import Path
from raco_lsp.racket.process import run_process
asyncio.run(run_process(["sleep", "600"], cwd=Path("."), env=dict(os.environ), timeout=None))
"""


def test_helpers_die_with_their_parent() -> None:
    """``sleep`` ignores its stdin: only the parent-death signal stops it."""
    parent = subprocess.Popen([sys.executable, "-c", HELPER])
    helpers: list[int] = []
    try:
        assert wait_for(lambda: bool(children(parent.pid)), 60)
        helpers = children(parent.pid)
        assert wait_for(lambda: all("sleep" in cmdline(p) for p in helpers), 60)
        parent.kill()
        parent.wait()
        assert wait_for(lambda: not any(alive(p) for p in helpers), 30), "the helper survived"
    finally:
        parent.kill()
        parent.wait()
        kill_orphans(helpers)


async def test_a_busy_runner_exits_when_its_stdin_ends(ws: Path) -> None:
    (ws / "spin.rkt").write_text(SPIN)
    install, _ = locate_racket(None)
    assert install is not None
    proc = await start_process(
        [str(install.racket), str(data_file("test-runner.rkt"))], cwd=ws, env=dict(os.environ)
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert b'"ready"' in await asyncio.wait_for(proc.stdout.readline(), 120)
        run = {"op": "run", "id": 1, "file": str(ws / "spin.rkt"), "timeout": 600}
        proc.stdin.write(json.dumps(run).encode() + b"\n")
        await proc.stdin.drain()
        for _ in range(1200):
            if (ws / "started").exists():
                break
            await asyncio.sleep(0.1)
        assert (ws / "started").exists(), "the test never started"
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 30)  # TimeoutError: the runner kept spinning
    finally:
        await stop_process(proc)
