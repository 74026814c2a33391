"""grammars/dynamic-requires.scm and grammars/main-submodule.scm."""

from __future__ import annotations

from pathlib import Path

from raco_lsp.core.records import Pos
from raco_lsp.syntax.dynamic_requires import (
    find_dynamic_requires,
    has_main_submodule,
    has_top_level_effects,
    lib_suggestions,
    workspace_dynamic_requires,
)
from raco_lsp.syntax.parser import Source

TEXT = """#lang racket/base
(define f (dynamic-require 'racket/string 'string-join))
(dynamic-require (quote racket/set) #f)
#;(dynamic-require 'racket/commented-out #f)
; (dynamic-require 'racket/in-comment #f)
(lazy-require [racket/list (first)] ["plug in.rkt" (g)])
(define-runtime-module-path-index mpi (lib "racket/vector"))
(define (load name) (dynamic-require name #f))
(module+ main (dynamic-require '(submod racket/private/x y) #f))
"""


def test_finds_module_paths_loaded_at_run_time() -> None:
    found = find_dynamic_requires(Source.from_text(TEXT), Path("/w s/a.rkt"))
    assert [(d.form, d.lib) for d in found] == [
        ("dynamic-require", "racket/string"),
        ("dynamic-require", "racket/set"),
        ("lazy-require", "racket/list"),
        ("lazy-require", "/w s/plug in.rkt"),
        ("define-runtime-module-path-index", "racket/vector"),
        ("dynamic-require", None),  # computed at run time: no suggestion
        ("dynamic-require", "racket/private/x"),
    ]
    assert found[0].span.start == Pos(1, 27)
    # ++lib embeds (lib "X"): file paths are never suggested.
    assert lib_suggestions(found) == [
        "racket/string",
        "racket/set",
        "racket/list",
        "racket/vector",
        "racket/private/x",
    ]


def test_follows_workspace_requires(tmp_path: Path) -> None:
    main = '#lang racket/base\n(require "sub/helper.rkt" racket/list)\n'
    (tmp_path / "main.rkt").write_text(main)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "helper.rkt").write_text(
        '#lang racket/base\n(require "../main.rkt")\n(dynamic-require \'json #f)\n'
    )
    found = workspace_dynamic_requires(tmp_path / "main.rkt", tmp_path)
    assert lib_suggestions(found) == ["json"]


def test_main_submodule_and_effects() -> None:
    src = Source.from_text("#lang racket/base\n(provide f)\n(define (f) 1)\n")
    assert not has_main_submodule(src) and not has_top_level_effects(src)
    src = Source.from_text("#lang racket/base\n(define (f) 1)\n(module+ main (f))\n")
    assert has_main_submodule(src)
    src = Source.from_text("#lang racket/base\n#;(module+ main 1)\n(displayln 1)\n")
    assert not has_main_submodule(src) and has_top_level_effects(src)
