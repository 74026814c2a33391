"""``raco-lsp pkg-build PATH``: what the package-build service would say about
the package holding PATH (``racket/pkg_build.py`` runs the steps)."""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.core.records import Problem
from raco_lsp.info.pkg_build import step_problems
from raco_lsp.racket.locate import locate_or_report
from raco_lsp.racket.pkg_build import PkgBuildReport, pkg_build
from raco_lsp.racket.setup import package_of

NOT_YET = ("documentation", "tests on the built install", "extra system dependencies")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "pkg-build",
        help="what the package-build service would say about the package holding PATH",
        description="Run the package-build service's steps on the package holding PATH, each "
        "in a fresh isolated package scope: archive (raco pkg create --source), install and "
        "build from the archive (only the installation's packages are available), dependency "
        "check (raco setup --check-pkg-deps), tests (raco test --drdr, 10 minutes for the "
        "package, no network when the machine allows it, no DISPLAY). Exit 0 on success, 1 "
        "otherwise, 2 on usage errors or when Racket is missing.",
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
                "tests": None
                if tests is None
                else {"failed": tests.failed, "total": tests.total, "files": len(tests.files)},
            }
        )
    return {
        "package": report.package.name,
        "directory": str(report.package.directory),
        "verdict": report.verdict,
        "categories": report.categories,
        "networkIsolated": report.network_isolated,
        "notYetChecked": list(NOT_YET),
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
    out.write(f"not yet checked: {', '.join(NOT_YET)}\n")
    out.write(f"{report.package.name}: {', '.join(report.categories)}\n")


_STYLE = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
td { border: 1px solid #ccc; padding: 0.4em 0.8em; vertical-align: top; }
.go { background-color: #ccffcc } .ok { background-color: #ccffff }
.yield { background-color: #ffffcc } .brake { background-color: #ffeecc }
.stop { background-color: #ffcccc }
.author, .annotation { font-size: small; font-weight: normal; }
pre.log { background: #f4f4f4; padding: 0.5em; overflow-x: auto; }
"""


def _status_cell(report: PkgBuildReport) -> tuple[str, str]:
    """The service's status column: its colour class and its text (linking to
    the logs below, as the service links to its log files)."""

    def link(step: str, text: str) -> str:
        return f'<a href="#log-{step}">{html.escape(text)}</a>'

    if report.verdict == "failure":
        failed = next(s.name for s in report.steps if s.status == "failure")
        return "stop", link(failed, "install fails")
    results = [link("install", "install succeeds")]
    if report.step("dependencies").status == "failure":
        results.append(link("dependencies", "dependency problems"))
    tests = report.step("tests").status
    if tests == "failure":
        results.append(link("tests", "test failures"))
    elif tests == "success":
        results.append(link("tests", "no test failures"))
    text = results[0] + (" with " + " and with ".join(results[1:]) if results[1:] else "")
    cats = report.categories
    colour = (
        "brake" if "dependency problems" in cats else "yield" if "test failures" in cats else "go"
    )
    return colour, text


def report_html(report: PkgBuildReport) -> str:
    """A self-contained page laid out like the service's results page: one row
    (package, docs, status, conflicts), then each step's problems and log."""
    e = html.escape
    name = e(report.package.name)
    colour, status = _status_cell(report)
    conflicts = report.step("conflicts").status == "failure"
    conflict_cell = (
        '<td class="stop" id="conflicts"><a href="#log-conflicts">conflicts</a></td>'
        if conflicts
        else '<td class="neutral" id="conflicts"></td>'
    )
    rows = [
        f'<tr><td id="package">{name}<div class="author">{e(str(report.package.directory))}'
        "</div></td>",
        '<td id="docs">Docs: <span class="annotation">(not built: not yet checked)</span></td>',
        f'<td class="{colour}" id="status">{status}</td>',
        conflict_cell + "</tr>",
    ]
    sections = []
    for s in report.steps:
        problems = "".join(
            f'<li class="problem {p.severity.value}"><code>{e(str(p.path))}:'
            f"{p.span.start.line + 1}:{p.span.start.col + 1}</code>: "
            f"{e(p.message)}</li>"
            for p in step_problems(s)
        )
        sections.append(
            f'<section class="step {s.status}" id="log-{s.name}">'
            f"<h2>{e(s.name)}: {e(s.status)}</h2>"
            f'<p class="why">{e(s.why)} ({s.seconds:.1f} s)</p>'
            + (f'<ul class="problems">{problems}</ul>' if problems else "")
            + (
                f'<p class="left-out">left out of the archive: {e(", ".join(s.left_out))}</p>'
                if s.left_out
                else ""
            )
            + (f'<pre class="log">{e(s.log)}</pre>' if s.log else "")
            + "</section>"
        )
    notes = []
    if report.network_isolated is not None:
        network = "network isolated" if report.network_isolated else "network not isolated"
        notes.append(f"tests: {network}, DISPLAY unset")
    notes.append(f"not yet checked: {', '.join(NOT_YET)}")
    verdict = e(", ".join(report.categories))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Package Build Results: {name}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>Package Build Results</h1>\n"
        f'<p id="verdict">{name}: {verdict}</p>\n'
        f'<table id="summary">{"".join(rows)}</table>\n'
        + "\n".join(sections)
        + "\n"
        + "".join(f'<p class="note">{e(n)}</p>' for n in notes)
        + "\n</body></html>\n"
    )


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
