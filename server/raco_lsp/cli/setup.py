"""``raco-lsp setup PATH``: check the package holding PATH with raco setup,
in raco-lsp's own package scope."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from raco_lsp.info.setup_findings import findings_of
from raco_lsp.lsp import protocol
from raco_lsp.racket.locate import locate_or_report
from raco_lsp.racket.setup import (
    SetupReport,
    check_package,
    package_of,
    racket_version,
    scope_for,
)


def add_parser(sub: Any) -> None:
    setup = sub.add_parser(
        "setup",
        help="check the package holding PATH with raco setup (isolated package scope)",
        description="Link the package into raco-lsp's own package scope and run raco setup "
        "--check-pkg-deps --unused-pkg-deps on it. Exit 1 on problems.",
    )
    setup.add_argument("path", type=Path, metavar="PATH")
    setup.add_argument("--json", action="store_true", help="print the report as JSON")
    setup.add_argument("--docs", action="store_true", help="also build the documentation")
    setup.add_argument("--clear", action="store_true", help="clear the package scope first")
    setup.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    setup.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_cli(
        args.path, as_json=args.json, racket=args.racket, docs=args.docs, clear=args.clear
    )


def run_cli(path: Path, *, as_json: bool, racket: str | None, docs: bool, clear: bool) -> int:
    """`raco-lsp setup PATH`: check the package holding PATH; 1 on problems."""
    path = path.resolve()
    install = locate_or_report(racket, "setup")
    if install is None:
        return 2
    pkg = package_of(path, [])
    if pkg is None:
        print(f"raco-lsp setup: no package (info.rkt) holds {path}", file=sys.stderr)
        return 2

    async def go() -> SetupReport:
        scope = scope_for(pkg.directory, await racket_version(install))
        if clear:
            scope.clear()
        return await check_package(install, pkg, scope, docs=docs)

    report = asyncio.run(go())
    findings = findings_of(report)
    if as_json:
        result = protocol.SetupReportResult.of(report, findings)
        json.dump(protocol.converter().unstructure(result), sys.stdout, indent=2)
        print()
    else:
        cwd = Path.cwd()
        for f in findings:
            pr = f.problem
            shown = pr.path.relative_to(cwd) if pr.path.is_relative_to(cwd) else pr.path
            where = f"{shown}:{pr.span.start.line + 1}:{pr.span.start.col + 1}"
            print(f"{where}: {pr.severity.value}: {pr.message}")
            for r in pr.related:
                print(f"  {r.path}:{r.span.start.line + 1}:{r.span.start.col + 1}: {r.message}")
            for x in f.fixes:
                print(f"  fix: {x.title}")
        summary = "clean" if report.clean else f"{len(findings)} problem(s)"
        print(f"{report.package.name}: {summary}")
    return 0 if report.clean else 1
