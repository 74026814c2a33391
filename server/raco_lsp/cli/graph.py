"""``raco-lsp graph PATH...``: the module dependency graph as JSON or dot."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.info.omits import compile_omit_rules
from raco_lsp.lsp import protocol
from raco_lsp.racket import langs
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.index import ModuleGraph
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.locate import INSTALL_HINT, RacketInstall, locate_racket
from raco_lsp.racket.modpath import Resolver
from raco_lsp.racket.workspace import find_modules


def build_graph(
    paths: Sequence[Path],
    info: InstallInfo | None,
    install: RacketInstall | None = None,
    problems: list[str] | None = None,
    *,
    learn: bool = False,
) -> tuple[ModuleGraph, list[Path]]:
    """The graph of the modules under ``paths``, without compiling them.
    With ``install`` the language profiles cached earlier are used; with
    ``learn`` too, the installation languages whose profile is not known
    yet are profiled first (racket/langs.py: installation code only)."""
    modules, _ = find_modules(paths, compile_omit_rules())
    roots = [norm(p.absolute() if p.is_dir() else p.absolute().parent) for p in paths]
    profiles = langs.load_cached(install) if install is not None else None
    graph = ModuleGraph(roots, Resolver(info), profiles=profiles)
    for m in modules:
        graph.update(m)
    for m in [p.absolute() for p in paths if p.is_file()]:
        graph.update(m)
    if learn and install is not None and info is not None and profiles is not None:
        found = langs.compute_sync(install, info, profiles, graph.wanted_profiles())
        if problems is not None:
            problems.extend(found)
        graph.apply_profiles()
    return graph, [m for m in map(norm, modules) if m in graph.nodes]


def _wire(graph: ModuleGraph, modules: list[Path]) -> dict[str, Any]:
    """The graph around ``modules`` as ``raco/moduleGraph`` answers it (without uris)."""
    out: dict[str, Any] = protocol.converter().unstructure(
        protocol.ModuleGraphResult.of(graph.view(modules))
    )
    return out


def graph_json(graph: ModuleGraph, modules: list[Path]) -> dict[str, Any]:
    j = _wire(graph, modules)
    return {
        "nodes": [
            {"path": n["path"], "stale": n["stale"], "certain": n["certain"], "reason": n["reason"]}
            for n in j["nodes"]
        ],
        "edges": [{"from": e["from"], "to": e["to"]} for e in j["edges"]],
    }


def _dot_id(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_dot(graph: ModuleGraph, modules: list[Path], out: TextIO) -> None:
    j = _wire(graph, modules)
    out.write("digraph modules {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n")
    for n in j["nodes"]:
        attrs = [f"label={_dot_id(Path(n['path']).name)}", f"tooltip={_dot_id(n['path'])}"]
        if not n["workspace"]:
            attrs.append("style=dashed")
        elif n["stale"]:
            attrs += ["color=red", f"xlabel={_dot_id('stale')}"]
        out.write(f"  {_dot_id(n['path'])} [{', '.join(attrs)}];\n")
    for e in j["edges"]:
        style = "" if e["inSource"] else " [style=dotted]"
        out.write(f"  {_dot_id(e['from'])} -> {_dot_id(e['to'])}{style};\n")
    out.write("}\n")


def write_json(graph: ModuleGraph, modules: list[Path], out: TextIO) -> None:
    json.dump(graph_json(graph, modules), out, indent=2)
    out.write("\n")


def add_parser(sub: Any) -> None:
    graph = sub.add_parser(
        "graph",
        help="print the module dependency graph of the modules under PATH",
        description="The compile manager's view of the modules under each PATH: every module "
        "with whether it is stale and why, and its requires (edges to modules outside PATH "
        "included). JSON: {nodes: [{path, stale, certain, reason}], edges: [{from, to}]}.",
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
    graph.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from raco_lsp.racket.install import load_install_info_sync

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
