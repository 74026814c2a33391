"""Small packages for the raco setup tests (test_setup.py, test_lsp_setup.py)."""

from __future__ import annotations

import json
from pathlib import Path

# rackunit only in the test submodule: raco setup prints `"rackunit-lib" for run`.
TEST_ONLY = (
    "#lang racket/base\n(provide f)\n(define (f) 1)\n"
    "(module+ test\n  (require rackunit)\n  (check-equal? (f) 1))\n"
)
# A collection no installed package provides: the module cannot compile.
NEEDS_MISSING = (
    "#lang racket/base\n(require raco-lsp-no-such-collection math/base)\n(define x pi)\n"
)
MISSING_PKG = "raco-lsp-no-such-pkg"


def info_text(name: str, deps: list[str]) -> str:
    quoted = " ".join(json.dumps(d) for d in deps)
    return f"#lang info\n(define collection {json.dumps(name)})\n(define deps '({quoted}))\n"


def write_package(
    root: Path, name: str, deps: list[str], files: dict[str, str], collection: str | None = None
) -> Path:
    """``root/name`` with an info.rkt (``collection``, by default ``name``; ``deps``)
    and ``files``; the info.rkt's path."""
    d = root / name
    d.mkdir(parents=True)
    for rel, text in files.items():
        (d / rel).write_text(text)
    info = d / "info.rkt"
    info.write_text(info_text(collection or name, deps))
    return info
