"""``raco-lsp distro``: a distro-build site configuration's static plan, and
the makefile commands that run the build farm it configures."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from raco_lsp.core.files import read_file
from raco_lsp.core.records import Severity
from raco_lsp.core.text import decode_source
from raco_lsp.distro.checkout import TARGETS, find_source_checkout, make_command
from raco_lsp.distro.plan import DEFAULT_MODE, node_facts, walk_plan
from raco_lsp.distro.report import plan_report


def add_parser(sub: Any) -> None:
    distro = sub.add_parser(
        "distro",
        help="build-farm configurations (distro-build): the plan, and the make commands",
        description="Static plan of a distro-build site configuration, and the `make` "
        "commands of a Racket source checkout that drive the build farm.",
    )
    actions = distro.add_subparsers(dest="action", required=True)
    plan = actions.add_parser(
        "plan",
        help="validate CONFIG and print its plan",
        description="Print CONFIG's validation problems (path:line:col: severity: message), "
        "then the tree of groups and machines with each machine's effective options, how it "
        "is reached, its platform and installer name. Read statically: nothing runs. Exit 1 "
        "on errors.",
    )
    plan.add_argument("config", type=Path, metavar="CONFIG")
    plan.add_argument("--mode", default=DEFAULT_MODE, help="CONFIG_MODE (default: default)")
    plan.add_argument(
        "--dist-version",
        metavar="VERSION",
        help="version in installer names (default: the Racket installation's)",
    )
    plan.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    plan.add_argument("--json", action="store_true", help="print problems and plan as JSON")
    plan.set_defaults(run=run_plan)
    for target in TARGETS:
        make = actions.add_parser(
            target,
            help=f"print the `make {target}` command for CONFIG",
            description=f"Print the command that runs `make {target}` for CONFIG from the "
            "Racket source checkout holding it (or the current directory). Exit 1 when "
            "there is none.",
        )
        make.add_argument("config", type=Path, metavar="CONFIG")
        make.add_argument("--mode", help="CONFIG_MODE")
        make.add_argument("--release", action="store_true", help="RELEASE_MODE=--release")
        make.add_argument("--clean", action="store_true", help="CLEAN_MODE=--clean")
        make.set_defaults(run=run_make, target=target)


def _version(args: argparse.Namespace) -> str | None:
    if args.dist_version:
        return str(args.dist_version)
    from raco_lsp.racket.install import load_install_info
    from raco_lsp.racket.locate import locate_racket

    install, _ = locate_racket(args.racket)
    if install is None:
        return None
    info, _ = asyncio.run(load_install_info(install))
    return None if info is None else info.version


def run_plan(args: argparse.Namespace) -> int:
    from raco_lsp.cli.check import CheckReport, format_text
    from raco_lsp.lsp.protocol import DistroPlanResult, converter

    config: Path = args.config
    data, why = read_file(config)
    if data is None:
        print(f"raco-lsp distro: {why}", file=sys.stderr)
        return 2
    report = plan_report(
        config.absolute(), decode_source(data), mode=args.mode, version=_version(args)
    )
    problems = [f.problem for f in report.findings]
    errors = any(p.severity is Severity.ERROR for p in problems) or report.plan is None
    if args.json:
        json.dump(converter().unstructure(DistroPlanResult.of(report)), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 1 if errors else 0
    format_text(CheckReport([config], problems), Path.cwd(), sys.stdout, noun="configuration")
    for p in report.plan_problems:
        print(f"{config}: no plan: {p}")
    if report.plan is not None:
        print(f"plan (static, mode {report.plan.mode}):")
        for depth, node in walk_plan(report.plan.root):
            title, facts = node_facts(node)
            print("  " * (depth + 1) + title)
            for f in facts:
                print("  " * (depth + 2) + f)
    return 1 if errors else 0


def run_make(args: argparse.Namespace) -> int:
    config: Path = args.config
    checkout = find_source_checkout(config.absolute().parent) or find_source_checkout(Path.cwd())
    if checkout is None:
        print(
            f"raco-lsp distro: neither {config.absolute().parent} nor the current directory is "
            "in a Racket source checkout (a directory with racket/src and a Makefile with an "
            "`installers` target): run the build farm from one",
            file=sys.stderr,
        )
        return 1
    argv = make_command(
        args.target, checkout, config, mode=args.mode, release=args.release, clean=args.clean
    )
    print(f"cd {shlex.quote(str(checkout))} && {shlex.join(argv)}")
    return 0
