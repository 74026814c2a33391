"""``raco-lsp info``: validate the info.rkt files under some paths."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from raco_lsp.racket.locate import locate_racket


def add_parser(sub: Any) -> None:
    info = sub.add_parser(
        "info",
        help="validate the info.rkt files under PATH",
        description="Validate every info.rkt under each PATH (statically, then with Racket's "
        "get-info when Racket is available) and print path:line:col: severity: message. "
        "Exit 1 on errors.",
    )
    info.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    info.add_argument("--json", action="store_true", help="print the problems as JSON")
    info.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    info.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from raco_lsp.cli.check import CheckReport, format_json, format_text
    from raco_lsp.info.check import check_info_files, find_info_files

    files, missing = find_info_files(args.paths)
    for m in missing:
        print(f"raco-lsp info: {m}", file=sys.stderr)
    if missing:
        return 2
    install, _ = locate_racket(args.racket)
    if install is None:
        print("raco-lsp info: Racket not found; only the static checks ran", file=sys.stderr)
    report = CheckReport(files, asyncio.run(check_info_files(files, install)))
    if args.json:
        format_json(report, sys.stdout)
    else:
        format_text(report, Path.cwd(), sys.stdout, noun="info.rkt file")
    return 1 if report.errors else 0
