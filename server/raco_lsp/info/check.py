"""``raco-lsp info`` (and the info.rkt part of ``raco-lsp check``): validate
every info.rkt under some paths, statically and then with Racket's own
``get-info`` for files the static checks found no error in."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from raco_lsp.core.records import Problem
from raco_lsp.core.text import read_source
from raco_lsp.info.validate import has_errors, validate_info
from raco_lsp.racket.info import get_info_problems
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.workspace import OmitRules, find_files

INFO_NAMES = ("info.rkt",)


def find_info_files(
    paths: Iterable[Path], rules: OmitRules | None = None
) -> tuple[list[Path], list[str]]:
    """info.rkt files under ``paths`` (a file path counts when it is an info.rkt)."""
    found, problems = find_files(paths, lambda name: name in INFO_NAMES, rules)
    return [f for f in found if f.name in INFO_NAMES], problems


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
