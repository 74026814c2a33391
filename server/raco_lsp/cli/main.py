"""The ``raco-lsp`` command line: ``serve`` and one module per subcommand
(``check``, ``graph``, ``test``, ``info``, ``setup``, ``pkg-build``, ``distro``, and the
packaging commands ``exe``, ``dist``, ``pack``, ``inspect-plt`` in ``dist.py``).  Each module
has ``add_parser(sub)``, which sets ``run`` on its parser."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from raco_lsp import __version__
from raco_lsp.cli import check, dist, distro, graph, info, pkg_build, setup, test


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raco-lsp", description="Build-aware language server and checker for Racket."
    )
    parser.add_argument("--version", action="version", version=f"raco-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the language server over stdio")
    serve.add_argument(
        "--log-level",
        default="INFO",
        help="log level for stderr (default INFO: what the server does; DEBUG adds the "
        "JSON-RPC traffic)",
    )
    for module in (check, graph, test, dist, info, setup, pkg_build, distro):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        level = getattr(logging, str(args.log_level).upper(), logging.INFO)
        logging.basicConfig(
            stream=sys.stderr, level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
        )
        if level > logging.DEBUG:
            # pygls logs every message sent at INFO: the protocol traffic is for
            # --log-level DEBUG; the log otherwise says what the server does.
            logging.getLogger("pygls").setLevel(logging.WARNING)
        from raco_lsp.lsp.server import run_stdio

        return run_stdio()
    try:
        code: int = args.run(args)
        return code
    except BrokenPipeError:  # `raco-lsp check ... | head`
        sys.stderr.close()
        return 1
