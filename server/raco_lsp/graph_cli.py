"""``raco-lsp graph PATH...``: the module dependency graph as JSON or dot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from raco_lsp.racket import langs
from raco_lsp.racket.graph import ModuleGraph, norm
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.modpath import Resolver
from raco_lsp.racket.workspace import find_modules


def build_graph(
    paths: Sequence[Path],
    info: InstallInfo | None,
    install: RacketInstall | None = None,
    problems: list[str] | None = None,
) -> tuple[ModuleGraph, list[Path]]:
    """The graph of the modules under ``paths``; with ``install``, the
    module languages they use are profiled first (cached; racket/langs.py)."""
    modules, _ = find_modules(paths)
    roots = [norm(p.absolute() if p.is_dir() else p.absolute().parent) for p in paths]
    profiles = langs.load_cached(install) if install is not None else None
    graph = ModuleGraph(roots, Resolver(info), profiles=profiles)
    for m in modules:
        graph.update(m)
    for m in [p.absolute() for p in paths if p.is_file()]:
        graph.update(m)
    if install is not None and info is not None and profiles is not None:
        found = langs.compute_sync(install, info, profiles, graph.wanted_profiles())
        if problems is not None:
            problems.extend(found)
        graph.apply_profiles()
    return graph, [m for m in map(norm, modules) if m in graph.nodes]


def graph_json(graph: ModuleGraph, modules: list[Path]) -> dict[str, Any]:
    j = graph.to_json(modules)
    return {
        "nodes": [
            {"path": n["path"], "stale": n["stale"], "reason": n["reason"]} for n in j["nodes"]
        ],
        "edges": [{"from": e["from"], "to": e["to"]} for e in j["edges"]],
    }


def _dot_id(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_dot(graph: ModuleGraph, modules: list[Path], out: TextIO) -> None:
    j = graph.to_json(modules)
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
