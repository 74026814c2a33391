"""The ``raco-lsp test`` command: ``raco test`` in warm processes, with
failures at the failing check."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.racket.testing import FileResult, TestItemResult, TestReport


def _rel(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:
        return str(path)


def describe(item: TestItemResult) -> str:
    """``message (actual: A, expected: E)``, or the params when there are none."""
    text = item.message.replace("\n", " ").strip() or f"{item.check or 'check'} failed"
    if item.kind == "test-case" and item.name:
        text = f"{item.name}: {text}"
    if item.check and item.check not in text:
        text = f"{item.check}: {text}"
    if item.actual is not None or item.expected is not None:
        text += f" (actual: {item.actual}, expected: {item.expected})"
    elif item.params is not None and item.status == "failed":
        text += f" (params: {item.params})"
    return text


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
