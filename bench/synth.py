"""Synthetic Racket workspaces with layered requires, for benchmarks and tests.

``make_workspace(root, 200)`` writes ``root/info.rkt`` and 200 modules in
layers ``l00/ .. lNN/``: every module of layer k > 0 requires ``fanout``
modules of layer k-1 (relative paths, ``"../l00/m0003.rkt"``) plus
``racket/list``; ``main.rkt`` requires the whole last layer.  With
``tests=True`` each module has a ``test`` submodule with rackunit checks
(all passing).  Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Synth:
    root: Path
    modules: list[Path]  # every module, layer by layer, main.rkt last
    layers: list[list[Path]]

    @property
    def main(self) -> Path:
        return self.modules[-1]


def make_workspace(
    root: Path,
    n: int,
    *,
    layers: int = 10,
    fanout: int = 3,
    tests: bool = False,
    seed: int = 0,
) -> Synth:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "info.rkt").write_text(
        '#lang info\n(define collection "synth")\n(define deps \'("base" "rackunit-lib"))\n'
    )
    n_layers = max(1, min(layers, n))
    per_layer = [n // n_layers + (1 if i < n % n_layers else 0) for i in range(n_layers)]
    all_layers: list[list[Path]] = []
    count = 0
    for layer, size in enumerate(per_layer):
        d = root / f"l{layer:02d}"
        d.mkdir(exist_ok=True)
        mods: list[Path] = []
        for _ in range(size):
            name = f"m{count:04d}"
            count += 1
            below = all_layers[-1] if all_layers else []
            deps = rng.sample(below, min(fanout, len(below))) if below else []
            prefixed = " ".join(
                f'(prefix-in {p.stem}: "../{p.parent.name}/{p.name}")' for p in deps
            )
            body = " ".join(f"({p.stem}:value)" for p in deps) or "0"
            text = (
                "#lang racket/base\n"
                f";; synthetic module {name}, layer {layer}\n"
                f"(require racket/list {prefixed})\n"
                "(provide value helper)\n"
                f"(define (helper x) (+ x {len(deps)}))\n"
                f"(define (value) (helper (+ {body} (length (range {layer}))))) \n"
            )
            if tests:
                text += (
                    "(module+ test\n"
                    "  (require rackunit)\n"
                    "  (check-equal? (helper 1) "
                    f"{1 + len(deps)})\n"
                    "  (check-true (exact-integer? (value))))\n"
                )
            path = d / f"{name}.rkt"
            path.write_text(text)
            mods.append(path)
        all_layers.append(mods)
    top = all_layers[-1]
    main = root / "main.rkt"
    main.write_text(
        "#lang racket/base\n"
        + "(require "
        + " ".join(f'(prefix-in {p.stem}: "{p.parent.name}/{p.name}")' for p in top)
        + ")\n"
        + "(module+ main (displayln (+ "
        + " ".join(f"({p.stem}:value)" for p in top)
        + ")))\n"
    )
    modules = [p for layer_mods in all_layers for p in layer_mods] + [main]
    return Synth(root, modules, all_layers)
