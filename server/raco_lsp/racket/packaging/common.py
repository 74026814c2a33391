"""What the packaging steps share: ``StepResult``, the environment they run
in, ``run_step`` (every step's process goes through ``process.run_process``
with an argv list, so paths with spaces and quotes are plain arguments) and
``read_info`` (info.rkt's collection and launchers, via ``data/packaging.rkt``).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import ProcessResult, run_process

ProgressFn = Callable[[str, int, int], None]
"""``(message, done, total)``."""

_DISK_FULL = re.compile(r"No space left on device|errno=28\b|ENOSPC", re.IGNORECASE)


def helper_path() -> Path:
    return data_file("packaging.rkt")


def packaging_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for raco exe/distribute/pack: the server's, minus
    variables that would make the compile manager write into the installation."""
    return racket_env(base)


@dataclass
class StepResult:
    """The outcome of one packaging step."""

    step: str
    ok: bool
    argv: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    output: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    """``++lib`` module paths that would likely fix the step."""
    seconds: float = 0.0


def common_errors(res: ProcessResult, step: str, timeout: float | None) -> list[str]:
    """Errors any step can meet: a timeout, a full disk."""
    text = res.stdout + res.stderr
    errors: list[str] = []
    if res.timed_out:
        errors.append(f"{step} did not finish within {timeout:g} s and was stopped")
    if _DISK_FULL.search(text):
        errors.append(f"{step}: the disk is full (No space left on device); free some space")
    return errors


def first_lines(text: str, n: int = 3) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[:n])


async def run_step(
    step: str,
    argv: list[str],
    *,
    cwd: Path,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
) -> tuple[StepResult, ProcessResult | None]:
    """Run ``argv`` as the step ``step`` (in ``packaging_env()`` unless
    ``env`` is given): ok when it exits 0 in time; the output and the
    common errors filled in.  The process result is None when it could not start."""
    started = time.perf_counter()
    try:
        res = await run_process(
            argv, cwd=cwd, env=env if env is not None else packaging_env(), timeout=timeout
        )
    except OSError as e:
        return StepResult(step, False, argv, errors=[f"{step}: cannot run {argv[0]}: {e}"]), None
    result = StepResult(step, res.returncode == 0 and not res.timed_out, argv)
    result.output = (res.stdout + res.stderr).strip()
    result.seconds = time.perf_counter() - started
    result.errors += common_errors(res, step, timeout)
    return result, res


def raco_argv(install: RacketInstall) -> list[str]:
    """How to start ``raco``."""
    if install.raco is not None:
        return [str(install.raco)]
    return [str(install.racket), "-N", "raco", "-l-", "raco"]


async def read_info(
    install: RacketInstall, directory: Path, *, timeout: float | None = 60.0
) -> tuple[dict[str, Any], list[str]]:
    """info.rkt's collection, name and launchers (via setup/getinfo); evaluates
    info.rkt, so only for trusted folders."""
    argv = [str(install.racket), str(helper_path()), "info", str(directory.absolute())]
    try:
        res = await run_process(argv, cwd=directory, env=packaging_env(), timeout=timeout)
    except OSError as e:
        return {}, [f"cannot run racket: {e}"]
    if res.returncode != 0:
        return {}, [f"info.rkt: {first_lines(res.stderr)}"]
    try:
        data = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}, ["info.rkt: unreadable answer from the helper"]
    return (data if isinstance(data, dict) else {}), []


def remove_quietly(p: Path) -> None:
    with contextlib.suppress(OSError):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
