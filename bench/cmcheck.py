"""Asking compiler/cm what it really recompiles, and what the graph predicts.

Shared by the staleness fidelity test and the graph benchmark.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

from bench.synth import Synth
from raco_lsp.racket.env import data_file
from raco_lsp.racket.graph.index import ModuleGraph

EDITS = ("touch", "comment", "content", "dependency", "ext")
EXT_FILE = "extra.rktl"


def add_ext_file(synth: Synth) -> None:
    """Make a layer-1 module ``include`` an ext file (recorded in its .dep as
    an ext dependency), so that "ext" edits have something to change."""
    (synth.root / EXT_FILE).write_text("(define extra 1)\n")
    user = synth.layers[1][0]
    user.write_text(
        user.read_text().replace("(require racket/list", "(require racket/include racket/list")
        + f'(include "../{EXT_FILE}")\n'
    )


def apply_edit(synth: Synth, kind: str, step: int, rng: random.Random) -> Path:
    """One edit of ``kind`` (see EDITS) to a random module but the main one;
    returns the file changed.  A dependency edit adds a require of a module
    one layer down; an ext edit rewrites the file from ``add_ext_file``."""
    target = rng.choice(synth.modules[:-1])
    if kind == "touch":
        os.utime(target)
    elif kind == "comment":
        target.write_text(target.read_text() + f";; edit {step}\n")
    elif kind == "content":
        target.write_text(target.read_text().replace("(+ x ", f"(+ {step} x ", 1))
    elif kind == "dependency":
        layer = next(i for i, mods in enumerate(synth.layers) if target in mods)
        if layer == 0:
            target = synth.layers[1][0]
            layer = 1
        extra = rng.choice(synth.layers[layer - 1])
        target.write_text(
            target.read_text()
            + f'(require (only-in "../{extra.parent.name}/{extra.name}" [helper h{step}]))\n'
        )
    else:
        target = synth.root / EXT_FILE
        target.write_text(f"(define extra {step})\n")
    return target


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
        ["racket", str(data_file("compile.rkt")), "--", str(main)],
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
