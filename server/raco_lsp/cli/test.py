"""The ``raco-lsp test`` command: ``raco test`` in warm processes, with
failures at the failing check."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.racket.locate import locate_or_report
from raco_lsp.racket.testing import FileResult, TestItemResult, TestReport, describe


def _rel(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:
        return str(path)


def format_text(report: TestReport, cwd: Path, out: TextIO) -> None:
    for missing in report.missing:
        out.write(f"raco-lsp test: no such file or directory: {missing}\n")
    for problem in report.problems:
        out.write(f"raco-lsp test: {problem}\n")
    for f in report.files:
        for item in f.items:
            if item.status == "passed":
                continue
            where = item.location or f.path
            line, col = (item.span.start.line + 1, item.span.start.col + 1) if item.span else (1, 1)
            kind = "failure" if item.status == "failed" else "error"
            out.write(f"{_rel(where, cwd)}:{line}:{col}: {kind}: {describe(item)}\n")
    timeouts = sum(1 for f in report.files if f.timed_out)
    if report.failed:
        out.write(f"{report.failed}/{report.total} test failures\n")
    elif report.total:
        out.write(f"{report.total} test{'s' if report.total != 1 else ''} passed\n")
    else:
        out.write("no tests ran\n")
    if timeouts:
        out.write(f"{timeouts} file{'s' if timeouts != 1 else ''} timed out\n")


def _span(item: TestItemResult) -> dict[str, int] | None:
    if item.span is None:
        return None
    s = item.span
    return {
        "line": s.start.line,
        "column": s.start.col,
        "endLine": s.end.line,
        "endColumn": s.end.col,
    }


def item_json(item: TestItemResult) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "status": item.status,
        "name": item.name,
        "check": item.check,
        "module": item.module,
        "location": str(item.location) if item.location else None,
        "range": _span(item),
        "message": item.message,
        "actual": item.actual,
        "expected": item.expected,
        "params": item.params,
        "expression": item.expression,
        "duration": item.duration,
    }


def file_json(f: FileResult) -> dict[str, Any]:
    return {
        "path": str(f.path),
        "status": f.status,
        "failed": f.failed,
        "total": f.total,
        "timedOut": f.timed_out,
        "modules": [
            {
                "module": m.module,
                "status": m.status,
                "failed": m.failed,
                "total": m.total,
                "message": m.message,
                "exitCode": m.exit_code,
                "stdout": m.stdout,
                "stderr": m.stderr,
                "duration": m.duration,
            }
            for m in f.modules
        ],
        "items": [item_json(i) for i in f.items],
    }


def format_json(report: TestReport, out: TextIO) -> None:
    json.dump(
        {
            "failed": report.failed,
            "total": report.total,
            "exitCode": report.exit_code,
            "missing": report.missing,
            "problems": report.problems,
            "files": [file_json(f) for f in report.files],
        },
        out,
        indent=2,
    )
    out.write("\n")


def add_parser(sub: Any) -> None:
    test = sub.add_parser(
        "test",
        help="run tests as `raco test` does, in warm Racket processes",
        description="Run the tests under each PATH as `raco test PATH...` does (info.rkt "
        "test-* keys, `test` submodules, the `config` submodule), each file in a fresh "
        "namespace of a warm Racket process. Prints path:line:col: failure: message "
        "(actual/expected) per failing check and a summary. Exit 0 when all pass, 1 on "
        "failures or errors, 2 on a timeout.",
    )
    test.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    test.add_argument("--json", action="store_true", help="print structured results as JSON")
    test.add_argument(
        "--drdr", action="store_true", help="package-build service semantics (raco test --drdr)"
    )
    test.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    test.add_argument("-j", "--jobs", type=int, default=0, help="parallel runners (default: cores)")
    test.add_argument(
        "--timeout", type=float, default=None, help="default per-file timeout (default 90 s)"
    )
    test.add_argument(
        "-s", "--submodule", action="append", default=[], help="submodule to run (default test)"
    )
    test.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from raco_lsp.racket.testing import DEFAULT_TIMEOUT, TestOptions, run_tests

    install = locate_or_report(args.racket, "test")
    if install is None:
        return 1
    options = TestOptions(
        mode="drdr" if args.drdr else "default",
        timeout=args.timeout if args.timeout and args.timeout > 0 else DEFAULT_TIMEOUT,
        submodules=tuple(args.submodule),
        jobs=args.jobs,
    )
    report = asyncio.run(run_tests(install, [p.absolute() for p in args.paths], options))
    if args.json:
        format_json(report, sys.stdout)
    else:
        format_text(report, Path.cwd(), sys.stdout)
    return report.exit_code
