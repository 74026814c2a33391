"""The ``raco-lsp`` command line: ``serve`` and ``check``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from raco_lsp import __version__
from raco_lsp.racket.locate import INSTALL_HINT, locate_racket


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raco-lsp", description="Build-aware language server and checker for Racket."
    )
    parser.add_argument("--version", action="version", version=f"raco-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the language server over stdio")
    serve.add_argument("--log-level", default="INFO", help="log level for stderr (default INFO)")

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
    return parser


def _info(args: argparse.Namespace) -> int:
    from raco_lsp.check import CheckReport, format_json, format_text
    from raco_lsp.info_check import check_info_files, find_info_files

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


def _check(args: argparse.Namespace) -> int:
    from raco_lsp.check import check_paths, find_modules, format_json, format_text

    install, problems = locate_racket(args.racket)
    if install is None:
        for p in problems:
            print(f"raco-lsp check: {p}", file=sys.stderr)
        print(f"raco-lsp check: {INSTALL_HINT}", file=sys.stderr)
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        logging.basicConfig(
            stream=sys.stderr,
            level=getattr(logging, str(args.log_level).upper(), logging.INFO),
            format="%(asctime)s %(name)s %(levelname)s: %(message)s",
        )
        from raco_lsp.server import run_stdio

        run_stdio()
        return 0
    if args.command in ("check", "info"):
        try:
            return _check(args) if args.command == "check" else _info(args)
        except BrokenPipeError:  # `raco-lsp check ... | head`
            sys.stderr.close()
            return 1
    return 2
