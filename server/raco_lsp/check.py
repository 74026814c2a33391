"""``raco-lsp check``: compile every module under some paths and report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.info_check import check_info_files, find_info_files
from raco_lsp.racket.compile import SOURCE, compile_modules
from raco_lsp.racket.deps import discard_unreadable_dep
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.records import Problem, Severity, Span
from raco_lsp.racket.workspace import find_modules


@dataclass
class CheckReport:
    modules: list[Path]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


async def check_paths(
    install: RacketInstall, paths: Sequence[Path], *, timeout: float | None = None
) -> CheckReport:
    modules, _ = find_modules(paths)
    roots = [p.absolute() if p.is_dir() else p.absolute().parent for p in paths if p.exists()]
    report = CheckReport(modules)
    if not modules:
        return report
    # compiler/cm fails on an unreadable .dep instead of recompiling: remove
    # it (the module then compiles afresh) and say so.
    repaired = [
        Problem(m, Span.at_line_start(), Severity.WARNING, f"{why}: recompiled", SOURCE)
        for m in modules
        if (why := discard_unreadable_dep(m)) is not None
    ]
    run = await compile_modules(install, modules, roots=roots, timeout=timeout)
    problems = [*repaired, *run.problems]
    # info.rkt problems too (static checks plus get-info); compiling an
    # info.rkt already reports what would stop get-info, so only new ones.
    info_files, _ = find_info_files(paths)
    failed = {p.path for p in problems if p.severity is Severity.ERROR}
    for p in await check_info_files(info_files, install, timeout=timeout):
        if not (p.code == "get-info" and p.path in failed):
            problems.append(p)
    report.problems = sorted(problems, key=lambda p: (str(p.path), p.span.start, p.message))
    return report


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def format_text(report: CheckReport, cwd: Path, out: TextIO, *, noun: str = "module") -> None:
    """``path:line:col: severity: message`` (1-based line and column)."""
    for p in report.problems:
        first, *rest = p.message.splitlines() or [""]
        start = p.span.start
        out.write(
            f"{display_path(p.path, cwd)}:{start.line + 1}:{start.col + 1}: "
            f"{p.severity.value}: {first}\n"
        )
        for line in rest:
            out.write(f"    {line.strip()}\n")
    files = len({p.path for p in report.problems if p.severity is Severity.ERROR})
    n = len(report.modules)
    summary = f"checked {n} {noun}{'s' if n != 1 else ''}: "
    if report.errors:
        summary += f"{report.errors} error{'s' if report.errors != 1 else ''} in {files} file"
        summary += "s" if files != 1 else ""
    else:
        summary += "no errors"
    if report.warnings:
        summary += f", {report.warnings} warning{'s' if report.warnings != 1 else ''}"
    out.write(summary + "\n")


def problem_json(p: Problem) -> dict[str, Any]:
    return {
        "path": str(p.path),
        "line": p.span.start.line + 1,
        "column": p.span.start.col + 1,
        "endLine": p.span.end.line + 1,
        "endColumn": p.span.end.col + 1,
        "severity": p.severity.value,
        "message": p.message,
        "source": p.source,
        "code": p.code,
        "related": [
            {
                "path": str(r.path),
                "line": r.span.start.line + 1,
                "column": r.span.start.col + 1,
                "message": r.message,
            }
            for r in p.related
        ],
    }


def format_json(report: CheckReport, out: TextIO) -> None:
    json.dump(
        {
            "modules": [str(m) for m in report.modules],
            "problems": [problem_json(p) for p in report.problems],
            "errors": report.errors,
            "warnings": report.warnings,
        },
        out,
        indent=2,
    )
    out.write("\n")
