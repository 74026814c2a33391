"""``raco-lsp exe | dist | pack | inspect-plt``: the packaging commands on the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from raco_lsp.lsp.protocol import Distribution, PackagingStep, PltInfo, converter
from raco_lsp.racket.locate import RacketInstall, locate_or_report
from raco_lsp.racket.packaging.common import StepResult
from raco_lsp.racket.packaging.exe import ExeOptions, create_executable
from raco_lsp.racket.packaging.pack import pack_collection, pack_paths
from raco_lsp.racket.packaging.pipeline import Entry, build_distribution
from raco_lsp.racket.plt import config_lines, listing_lines, read_plt


def add_parser(sub: Any) -> None:
    """``exe``, ``dist``, ``pack`` and ``inspect-plt``."""
    exe = sub.add_parser(
        "exe",
        help="make a stand-alone executable with raco exe",
        prefix_chars="-+",
        description="Run `raco exe` on MODULE (argv list, never a shell). Prints the "
        "executable's path; exit 1 on failure.",
    )
    exe.add_argument("module", type=Path, metavar="MODULE")
    exe.add_argument("-o", "--output", type=Path, help="the executable (default: beside MODULE)")
    exe.add_argument("--gui", action="store_true", help="a GUI executable (gracket)")
    exe.add_argument("-l", "--launcher", action="store_true", help="a launcher script")
    exe.add_argument("++lib", dest="libs", action="append", default=[], metavar="MODULE-PATH")
    exe.add_argument("--racket", metavar="PATH", help="racket executable or its directory")
    exe.add_argument("--json", action="store_true", help="print the result as JSON")

    dist = sub.add_parser(
        "dist",
        help="build a distribution: executables, raco distribute, archive, smoke run",
        prefix_chars="-+",
        description="The whole Build distribution pipeline for each MODULE: raco exe, raco "
        "distribute into OUTPUT/NAME, bundle OUTPUT/NAME.tgz, then run each executable from a "
        "copy of the archive unpacked in a fresh temporary directory with a scrubbed "
        "environment. Prints the archive's path; exit 1 when a step or the smoke run fails.",
    )
    dist.add_argument("modules", nargs="+", type=Path, metavar="MODULE")
    dist.add_argument("--output", "-o", type=Path, required=True, metavar="DIR")
    dist.add_argument("--name", help="the distribution's name (default: the first executable's)")
    dist.add_argument("++lib", dest="libs", action="append", default=[], metavar="MODULE-PATH")
    dist.add_argument("++collects-copy", dest="collects_copy", action="append", default=[])
    dist.add_argument("--gui", action="store_true")
    dist.add_argument(
        "--bundler",
        choices=["auto", "tar", "racket"],
        default="auto",
        help="tar -czf (Linux default) or compiler/bundle-dist",
    )
    dist.add_argument("--no-smoke", action="store_true", help="skip the smoke run")
    dist.add_argument("--smoke-timeout", type=float, default=30.0)
    dist.add_argument(
        "--smoke-args",
        type=shlex.split,
        default=[],
        metavar="ARGS",
        help="arguments for the smoke run, split as a shell would "
        "(e.g. --smoke-args='--name world'); default none. A non-zero exit is a warning",
    )
    dist.add_argument("--no-overwrite", action="store_true", help="fail if outputs exist")
    dist.add_argument("--racket", metavar="PATH")
    dist.add_argument("--json", action="store_true", help="print the result as JSON")

    pack = sub.add_parser(
        "pack",
        help="make a .plt archive with raco pack",
        prefix_chars="-+",
        description="`raco pack --collect` of the collection in DIR (named by --collection, "
        "default DIR's name), or with --paths, of the files and directories PATH... relative "
        "to DIR.",
    )
    pack.add_argument("output", type=Path, metavar="OUTPUT.plt")
    pack.add_argument("dir", type=Path, metavar="DIR")
    pack.add_argument("paths", nargs="*", metavar="PATH")
    pack.add_argument("--paths", dest="as_paths", action="store_true")
    pack.add_argument("--collection")
    pack.add_argument("--at-plt", action="store_true")
    pack.add_argument("--replace", action="store_true")
    pack.add_argument("--include-compiled", action="store_true")
    pack.add_argument("++setup", dest="setup", action="append", default=[])
    pack.add_argument("--plt-name")
    pack.add_argument("--racket", metavar="PATH")
    pack.add_argument("--json", action="store_true")

    inspect = sub.add_parser(
        "inspect-plt",
        help="list a .plt archive without extracting it",
        description="Decode a .plt archive in Python and print what `raco unpack -l` prints "
        "(with -c, the config too), without extracting anything.",
    )
    inspect.add_argument("archive", type=Path)
    inspect.add_argument("-c", "--config", action="store_true")
    inspect.add_argument("--json", action="store_true")
    for p in (exe, dist, pack, inspect):
        p.set_defaults(run=run)


def _print_json(answer: PltInfo | Distribution | PackagingStep) -> None:
    """What the server's packaging commands answer, as JSON."""
    print(json.dumps(converter().unstructure(answer), indent=2))


def _install(args: argparse.Namespace, prog: str) -> RacketInstall | None:
    return locate_or_report(args.racket, prog)


def _print_step(step: StepResult, prog: str) -> None:
    for w in step.warnings:
        print(f"raco-lsp {prog}: warning: {w}", file=sys.stderr)
    if not step.ok:
        if step.output and step.step != "smoke run":
            print(step.output, file=sys.stderr)
        for e in step.errors:
            print(f"raco-lsp {prog}: {e}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.command == "inspect-plt":
        archive, problems = read_plt(args.archive)
        if args.json:
            _print_json(PltInfo.of(archive, problems))
        else:
            lines = (config_lines(archive) if args.config else []) + listing_lines(archive)
            print("\n".join(lines))
            for p in problems:
                print(f"raco-lsp inspect-plt: {p}", file=sys.stderr)
        return 1 if problems else 0
    install = _install(args, args.command)
    if install is None:
        return 2
    if args.command == "exe":
        step = asyncio.run(
            create_executable(
                install,
                args.module,
                ExeOptions(
                    output=args.output, gui=args.gui, libs=args.libs, launcher=args.launcher
                ),
            )
        )
        return _report(step, args, "exe")
    if args.command == "pack":
        if args.as_paths:
            step = asyncio.run(
                pack_paths(
                    install,
                    args.dir,
                    args.paths,
                    args.output,
                    at_plt=args.at_plt,
                    replace=args.replace,
                    setup=args.setup,
                    plt_name=args.plt_name,
                )
            )
        else:
            step = asyncio.run(
                pack_collection(
                    install,
                    args.dir,
                    args.output,
                    collection=args.collection,
                    at_plt=args.at_plt,
                    replace=args.replace,
                    setup=args.setup,
                    include_compiled=args.include_compiled,
                    plt_name=args.plt_name,
                )
            )
        return _report(step, args, "pack")
    assert args.command == "dist"

    def progress(msg: str, done: int, total: int) -> None:
        if not args.json:
            print(f"[{done}/{total}] {msg}", file=sys.stderr, flush=True)

    result = asyncio.run(
        build_distribution(
            install,
            [Entry(m) for m in args.modules],
            args.output,
            name=args.name,
            libs=args.libs,
            gui=args.gui,
            collects_copy=[Path(d) for d in args.collects_copy],
            bundler=args.bundler,
            smoke=not args.no_smoke,
            smoke_timeout=args.smoke_timeout,
            smoke_args=args.smoke_args,
            overwrite=not args.no_overwrite,
            progress=progress,
        )
    )
    if args.json:
        _print_json(Distribution.of(result))
        return 0 if result.ok else 1
    for step in result.steps:
        _print_step(step, "dist")
    for run_ in result.smoke:
        status = (
            "ok" if run_.ok else "FAILED" if run_.timed_out or run_.missing_modules else "warning"
        )
        print(f"smoke run {run_.executable}: {status} (exit {run_.returncode})", file=sys.stderr)
        if not run_.ok and run_.output:
            print("  " + run_.output.replace("\n", "\n  "), file=sys.stderr)
    if result.suggestions:
        libs = " ".join(f"++lib {s}" for s in result.suggestions)
        print(f"raco-lsp dist: suggestion: rebuild with {libs}", file=sys.stderr)
    elif not result.ok and result.source_suggestions:
        libs = " ".join(f"++lib {s}" for s in result.source_suggestions)
        print(f"raco-lsp dist: modules loaded at run time in the sources: {libs}", file=sys.stderr)
    if result.archive is not None:
        print(result.archive)
    return 0 if result.ok else 1


def _report(step: StepResult, args: argparse.Namespace, prog: str) -> int:
    if args.json:
        _print_json(PackagingStep.of(step))
    else:
        _print_step(step, prog)
        for p in step.outputs:
            print(p)
    return 0 if step.ok else 1
