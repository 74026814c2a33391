"""``raco-lsp pkg-build PATH``: what the package-build service would say about
the package holding PATH (``racket/pkg_build.py`` runs the steps)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.core.records import Problem
from raco_lsp.info.pkg_build import report_html, sibling_note, step_problems
from raco_lsp.racket.locate import locate_or_report
from raco_lsp.racket.pkg_build import PkgBuildReport, pkg_build
from raco_lsp.racket.setup import package_of
from raco_lsp.racket.testing import FileResult, TestReport


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "pkg-build",
        help="what the package-build service would say about the package holding PATH",
        description="Run the package-build service's steps on the package holding PATH, each "
        "in a fresh isolated package scope: archive (raco pkg create --source), conflicts, "
        "install and build from the archive with its docs (only the installation's packages "
        "and the repository's sibling packages are available), dependency check (raco setup "
        "--check-pkg-deps), built form, tests on the built install (raco test --drdr, 10 "
        "minutes for the package, no network when the machine allows it, no DISPLAY; a file "
        "that passes only with your environment is an extra system dependency). Exit 0 on "
        "success, 1 otherwise, 2 on usage errors or when Racket is missing.",
    )
    p.add_argument("path", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the report as a self-contained page laid out like the service's",
    )
    p.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    p.set_defaults(run=run)


def _problem_json(p: Problem) -> dict[str, Any]:
    return {
        "path": str(p.path),
        "line": p.span.start.line + 1,
        "column": p.span.start.col + 1,
        "severity": p.severity.value,
        "message": p.message,
        "code": p.code,
    }


def _tests_json(tests: TestReport, extra: list[FileResult]) -> dict[str, Any]:
    """Counts over every test file; ``failed`` leaves out the files that pass
    with the user's environment (``extraSystemDependencies``)."""
    return {
        "failed": tests.failed,
        "total": tests.total + sum(f.total for f in extra),
        "files": len(tests.files) + len(extra),
        "extraSystemDependencies": [str(f.path) for f in extra],
    }


def report_json(report: PkgBuildReport) -> dict[str, Any]:
    steps = []
    for s in report.steps:
        tests = s.tests
        steps.append(
            {
                "name": s.name,
                "status": s.status,
                "why": s.why,
                "seconds": round(s.seconds, 3),
                "log": s.log,
                "leftOut": s.left_out,
                "problems": [_problem_json(p) for p in step_problems(s)],
                "tests": None if tests is None else _tests_json(tests, s.extra),
            }
        )
    return {
        "package": report.package.name,
        "directory": str(report.package.directory),
        "verdict": report.verdict,
        "categories": report.categories,
        "networkIsolated": report.network_isolated,
        "siblings": [{"name": p.name, "directory": str(p.directory)} for p in report.siblings],
        "steps": steps,
    }


def format_text(report: PkgBuildReport, cwd: Path, out: TextIO) -> None:
    for s in report.steps:
        why = f" ({s.why})" if s.why else ""
        out.write(f"{s.name:<13} {s.status:<8} {s.seconds:6.1f} s{why}\n")
        if s.left_out:
            out.write(f"  left out of the archive: {', '.join(s.left_out)}\n")
        for p in step_problems(s):
            shown = p.path.relative_to(cwd) if p.path.is_relative_to(cwd) else p.path
            where = f"{shown}:{p.span.start.line + 1}:{p.span.start.col + 1}"
            message = p.message.replace("\n", "\n    ")
            out.write(f"  {where}: {p.severity.value}: {message}\n")
        if (
            s.status == "failure"
            and s.log
            and s.setup is None
            and s.tests is None
            and not s.problems
        ):
            out.write("".join(f"  | {line}\n" for line in s.log.splitlines()))
    if report.network_isolated is not None:
        network = "network isolated" if report.network_isolated else "network not isolated"
        out.write(f"tests: {network}, DISPLAY unset\n")
    if report.siblings:
        out.write(f"{sibling_note(report)}\n")
    out.write(f"{report.package.name}: {', '.join(report.categories)}\n")


def run(args: argparse.Namespace) -> int:
    path = args.path.resolve()
    if not path.exists():
        print(f"raco-lsp pkg-build: no such file or directory: {path}", file=sys.stderr)
        return 2
    install = locate_or_report(args.racket, "pkg-build")
    if install is None or install.raco is None:
        if install is not None:
            print("raco-lsp pkg-build: raco was not found next to racket", file=sys.stderr)
        return 2
    pkg = package_of(path, [])
    if pkg is None:
        print(f"raco-lsp pkg-build: no package (info.rkt) holds {path}", file=sys.stderr)
        return 2
    report = asyncio.run(pkg_build(install, pkg))
    if args.html is not None:
        try:
            args.html.write_text(report_html(report), encoding="utf-8")
        except OSError as err:
            print(f"raco-lsp pkg-build: cannot write {args.html}: {err}", file=sys.stderr)
            return 2
    if args.json:
        json.dump(report_json(report), sys.stdout, indent=2)
        print()
    else:
        format_text(report, Path.cwd(), sys.stdout)
    return 0 if report.verdict == "success" else 1
