"""``raco-lsp check``: compile every module under some paths and report."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.info.check import check_info_files, find_info_files
from raco_lsp.info.omits import compile_omit_rules
from raco_lsp.racket.compile import SOURCE, compile_modules
from raco_lsp.racket.deps import discard_unreadable_dep
from raco_lsp.racket.locate import RacketInstall, locate_or_report
from raco_lsp.racket.workspace import find_modules


@dataclass
class CheckReport:
    modules: list[Path]
    problems: list[Problem] = field(default_factory=list)
    # What info.rkt's compile-omit-paths left out, as raco setup does.
    omitted: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


async def check_paths(
    install: RacketInstall, paths: Sequence[Path], *, timeout: float | None = None
) -> CheckReport:
    rules = compile_omit_rules()
    modules, _ = find_modules(paths, rules)
    roots = [p.absolute() if p.is_dir() else p.absolute().parent for p in paths if p.exists()]
    report = CheckReport(modules, omitted=sorted(set(rules.omitted)))
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
    info_files, _ = find_info_files(paths, compile_omit_rules())
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
    for o in report.omitted:
        out.write(f"{display_path(o, cwd)}: skipped (compile-omit-paths in info.rkt)\n")
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
            "omitted": [str(o) for o in report.omitted],
        },
        out,
        indent=2,
    )
    out.write("\n")


def add_parser(sub: Any) -> None:
    check = sub.add_parser(
        "check",
        help="compile every Racket module under PATH and report problems",
        description="Compile every Racket module under each PATH with the compile manager "
        "(as `raco make` does) and print one line per problem: path:line:col: severity: "
        "message (1-based line and column, counted in characters). Exit 1 on errors.",
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    check.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    check.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before giving up (default 600)"
    )
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    install = locate_or_report(args.racket, "check")
    if install is None:
        return 2
    _, missing = find_modules(args.paths)
    if missing:
        for m in missing:
            print(f"raco-lsp check: {m}", file=sys.stderr)
        return 2
    report = asyncio.run(check_paths(install, args.paths, timeout=args.timeout))
    if args.json:
        format_json(report, sys.stdout)
    else:
        format_text(report, Path.cwd(), sys.stdout)
    return 1 if report.errors else 0
