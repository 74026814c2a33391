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


def make_typical_module(path: Path, requires: list[str], lines: int = 500) -> Path:
    """A module of about ``lines`` lines of everyday code: a struct,
    definitions with lets, loops, racket/list and racket/string calls, and
    uses of ``requires`` (module paths, each providing ``helper``)."""
    head = [
        "#lang racket/base",
        ";; a typical module: records, parsing, summaries",
        "(require racket/list racket/string "
        + " ".join(f'(prefix-in r{i}: "{r}")' for i, r in enumerate(requires))
        + ")",
        "(provide (struct-out entry) parse-line summarize)",
        "",
        "(struct entry (name score tags) #:transparent)",
        "",
        "(define (parse-line line)",
        '  (define parts (string-split line ","))',
        "  (entry (string-trim (first parts))",
        "         (string->number (second parts))",
        "         (drop parts 2)))",
        "",
    ]
    body: list[str] = []
    k = 0
    while len(head) + len(body) < lines - 12:
        r = f"r{k % len(requires)}:helper" if requires else "add1"
        body += [
            f";; block {k}",
            f"(define (score-{k} entries [bonus {k}])",
            "  (let* ([scores (map entry-score entries)]",
            "         [total (foldl + 0 scores)]",
            "         [best (if (null? scores) 0 (apply max scores))])",
            f"    (+ total best bonus ({r} {k}))))",
            "",
            f"(define (tags-{k} entries)",
            "  (remove-duplicates",
            "   (append* (for/list ([e (in-list entries)])",
            f'              (filter (lambda (t) (string-prefix? t "t{k}")) (entry-tags e))))))',
            "",
            f"(define (label-{k} e)",
            f'  (string-join (list (entry-name e) (number->string (score-{k} (list e)))) ":"))',
            "",
        ]
        k += 1
    tail = [
        "(define (summarize lines)",
        "  (define entries (map parse-line lines))",
        "  (for/fold ([acc '()]) ([e (in-list entries)] [i (in-naturals)])",
        "    (let ([name (entry-name e)])",
        "      (cons (list i name (last (cons 0 (entry-tags e)))) acc))))",
        "",
        "(module+ main",
        '  (summarize (list "a,1,t0x" "b,2,t1y")))',
    ]
    path.write_text("\n".join(head + body + tail) + "\n")
    return path
