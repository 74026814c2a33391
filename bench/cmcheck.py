"""Asking compiler/cm what it really recompiles, and what the graph predicts.

Shared by the staleness fidelity test and the graph benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from raco_lsp.racket.compile import helper_path
from raco_lsp.racket.graph import ModuleGraph

EDITS = ("touch", "comment", "content", "dependency", "ext")


def shift_back(root: Path, seconds: int = 10) -> None:
    """Move every file's mtime back by the same amount, so whatever is edited
    next is newer than everything (compiler/cm compares whole seconds and
    rejects sources from the future)."""
    for f in root.rglob("*"):
        if f.is_file():
            t = int(f.stat().st_mtime) - seconds
            os.utime(f, (t, t))


def recompiled(main: Path) -> set[str]:
    """What compiler/cm really compiles now (its own log, via our helper)."""
    out = subprocess.run(
        ["racket", str(helper_path()), "--", str(main)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    events = [json.loads(line) for line in out.splitlines()]
    return {Path(e["file"]).name for e in events if e["event"] == "compiled"}


def predicted(g: ModuleGraph, main: Path | None = None) -> tuple[set[str], set[str]]:
    """(certainly recompiled, possibly recompiled) according to the graph,
    among the workspace modules ``main`` reaches (all when None)."""
    sure: set[str] = set()
    maybe: set[str] = set()
    reach = set(g.nodes)
    if main is not None:
        reach, todo = {main}, [main]
        while todo:
            for d in g.dependencies(todo.pop()):
                if d in g.nodes and d not in reach:
                    reach.add(d)
                    todo.append(d)
    for p in reach:
        s = g.staleness(p)
        if s.stale:
            (sure if s.certain else maybe).add(p.name)
    return sure, maybe
