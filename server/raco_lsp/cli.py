"""The ``raco-lsp`` command line: ``serve``, ``check``, ``graph``, ``test``, and the packaging
commands ``exe``, ``dist``, ``pack``, ``inspect-plt`` (``dist_cli.py``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from raco_lsp import __version__
from raco_lsp.racket.locate import INSTALL_HINT, locate_or_report, locate_racket


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

    graph = sub.add_parser(
        "graph",
        help="print the module dependency graph of the modules under PATH",
        description="The compile manager's view of the modules under each PATH: every module "
        "with whether it is stale and why, and its requires (edges to modules outside PATH "
        "included). JSON: {nodes: [{path, stale, reason}], edges: [{from, to}]}.",
    )
    graph.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    graph.add_argument("--format", choices=("json", "dot"), default="json")
    graph.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    graph.add_argument(
        "--profile-languages",
        action="store_true",
        help="first compile an empty module in each installation language the modules use "
        "(cached), for the dependencies a language adds; runs installation code only, never "
        "the modules under PATH. Without it nothing is compiled: known profiles are used",
    )

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

    from raco_lsp.dist_cli import add_parsers

    add_parsers(sub)

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
    return parser


def _graph(args: argparse.Namespace) -> int:
    from raco_lsp.graph_cli import build_graph, write_dot, write_json
    from raco_lsp.racket.install import load_install_info_sync
    from raco_lsp.racket.workspace import find_modules

    _, missing = find_modules(args.paths)
    if missing:
        for m in missing:
            print(f"raco-lsp graph: {m}", file=sys.stderr)
        return 2
    install, problems = locate_racket(args.racket)
    info = None
    if install is None:
        print(
            "raco-lsp graph: Racket not found: collection paths are not resolved and "
            f"staleness is unknown. {INSTALL_HINT}",
            file=sys.stderr,
        )
    else:
        info, problems = load_install_info_sync(install)
        for p in problems:
            print(f"raco-lsp graph: {p}", file=sys.stderr)
    found: list[str] = []
    graph, modules = build_graph(args.paths, info, install, found, learn=args.profile_languages)
    for p in found:
        print(f"raco-lsp graph: {p}", file=sys.stderr)
    (write_dot if args.format == "dot" else write_json)(graph, modules, sys.stdout)
    return 0


def _test(args: argparse.Namespace) -> int:
    from raco_lsp.racket.testing import DEFAULT_TIMEOUT, TestOptions, run_tests
    from raco_lsp.testcmd import format_json, format_text

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
    from raco_lsp.check import check_paths, format_json, format_text
    from raco_lsp.racket.workspace import find_modules

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
    commands = {"check": _check, "graph": _graph, "test": _test, "info": _info}
    if args.command in commands:
        try:
            return commands[args.command](args)
        except BrokenPipeError:  # `raco-lsp check ... | head`
            sys.stderr.close()
            return 1
    if args.command == "setup":
        from raco_lsp.setup_check import run_cli

        return run_cli(
            args.path, as_json=args.json, racket=args.racket, docs=args.docs, clear=args.clear
        )
    if args.command in ("exe", "dist", "pack", "inspect-plt"):
        from raco_lsp.dist_cli import run

        return run(args)
    return 2
