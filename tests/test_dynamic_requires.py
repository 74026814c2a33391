"""grammars/dynamic-requires.scm and grammars/main-submodule.scm."""

from __future__ import annotations

from pathlib import Path

from raco_lsp.core.records import Pos
from raco_lsp.syntax.dynamic_requires import (
    find_dynamic_requires,
    has_main_submodule,
    has_top_level_effects,
    lang_libs,
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


def test_runtime_path_given_to_dynamic_require(tmp_path: Path) -> None:
    """A define-runtime-path given to dynamic-require loads a module from its
    source at run time: its reader, languages and collection requires."""
    (tmp_path / "main.rkt").write_text(
        "#lang racket/base\n(require racket/runtime-path)\n"
        '(define-runtime-path server "server.rkt")\n'
        '(define-runtime-path icon "icon.png")\n'
        '#;(define-runtime-path commented "nope.rkt")\n'
        "(define (go) ((dynamic-require server 'serve)))\n"
        "(dynamic-require commented #f)\n"
        "(build-path icon)\n"
    )
    (tmp_path / "server.rkt").write_text(
        "#lang s-exp racket/base\n"
        '(require (only-in racket/list first) "util.rkt" (lib "json/main.rkt"))\n'
        "(module+ test (require rackunit))\n"
        "(define (f stx) (syntax-case stx () [(module m-name rest ...) 1]))\n"
    )
    found = workspace_dynamic_requires(tmp_path / "main.rkt", tmp_path)
    assert [(d.form, d.lib) for d in found] == [
        ("dynamic-require", None),
        ("define-runtime-path", "s-exp/lang/reader"),
        ("define-runtime-path", "racket/base"),
        ("define-runtime-path", "racket/list"),
        ("define-runtime-path", str(tmp_path / "util.rkt")),
        ("define-runtime-path", "json/main.rkt"),
        ("define-runtime-path", "rackunit"),
        ("dynamic-require", None),  # `commented` is no runtime path
    ]
    assert {d.source for d in found[:-1]} == {tmp_path / "server.rkt"}
    assert found[0].span.start == Pos(5, 31)
    assert lib_suggestions(found) == [
        "s-exp/lang/reader",
        "racket/base",
        "racket/list",
        "json/main.rkt",
        "rackunit",
    ]


def test_lang_libs() -> None:
    assert lang_libs("racket/base") == ["racket/base/lang/reader", "racket/base"]
    assert lang_libs("at-exp racket") == ["at-exp/lang/reader", "racket/lang/reader", "racket"]
    assert lang_libs('reader "my-reader.rkt"') == ["reader/lang/reader"]
    assert lang_libs(None) == []
