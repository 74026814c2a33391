"""``raco-lsp info`` (and the info.rkt part of ``raco-lsp check``): validate
every info.rkt under some paths, statically and then with Racket's own
``get-info`` for files the static checks found no error in."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from raco_lsp.core.records import Problem
from raco_lsp.core.text import read_source
from raco_lsp.info.validate import has_errors, validate_info
from raco_lsp.racket.info import get_info_problems
from raco_lsp.racket.locate import RacketInstall

INFO_NAMES = ("info.rkt",)
_SKIP_DIRS = {"compiled", "node_modules", "doc"}


def find_info_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """info.rkt files under ``paths`` (a file path counts when it is an info.rkt)."""
    found: list[Path] = []
    missing: list[str] = []
    for p in paths:
        p = p.absolute()
        if p.is_file():
            if p.name in INFO_NAMES:
                found.append(p)
        elif p.is_dir():
            found.extend(_walk(p))
        else:
            missing.append(f"{p}: no such file or directory")
    return sorted(dict.fromkeys(Path(os.path.normpath(f)) for f in found)), missing


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        if "info.rkt" in filenames:
            yield Path(dirpath) / "info.rkt"


async def check_info_files(
    files: list[Path], install: RacketInstall | None, *, timeout: float | None = 120.0
) -> list[Problem]:
    """Static problems of each file, plus get-info's error for files the
    static checks found no error in (when Racket is available)."""
    problems: list[Problem] = []
    clean: list[Path] = []
    for f in files:
        text = read_source(f)
        if text is None:
            continue
        findings = validate_info(f, text)
        problems.extend(x.problem for x in findings)
        if not has_errors(findings):
            clean.append(f)
    if install is not None and clean:
        truth = await get_info_problems(install, clean, timeout=timeout)
        for found in truth.values():
            problems.extend(found)
    return sorted(problems, key=lambda p: (str(p.path), p.span.start, p.message))
