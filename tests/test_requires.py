from pathlib import Path

import pytest

from raco_lsp.core.records import Pos, Span
from raco_lsp.info.findings import TextEdit, apply_edits
from raco_lsp.syntax.module_facts import module_facts
from raco_lsp.syntax.parser import Source, captures
from raco_lsp.syntax.requires import extract_requires, require_removal, spec_names_file

SRC = """#lang racket/base
(require "util.rkt"
         (for-syntax racket/base)
         (only-in (lib "racket/list.rkt") first)
         (prefix-in s: (submod "sub/x.rkt" inner))
         (rename-in (file "/abs/y.rkt") [a b])
         (for-meta 1 (combine-in racket/string 'quoted)))
#;(require "commented.rkt")
; (require "line-comment.rkt")
(define s "(require \\"in-a-string.rkt\\")")
(module+ test (require rackunit))
"""


def test_query_requires_finds_every_require_form() -> None:
    src = Source.from_text(SRC)
    forms = captures("requires", src.root)["require"]
    # Two real forms and the #;-commented one (filtered later by requires.py).
    assert len(forms) == 3


def test_query_lang_finds_the_lang_name() -> None:
    src = Source.from_text("#lang racket/base\n(x)\n")
    (node,) = captures("lang", src.root)["lang"]
    assert src.text_of(node) == "racket/base"


def test_extracts_specs_through_wrappers() -> None:
    specs = extract_requires(Source.from_text(SRC))
    assert [(s.kind, s.value) for s in specs] == [
        ("relative", "util.rkt"),
        ("collection", "racket/base"),
        ("lib", "racket/list.rkt"),
        ("relative", "sub/x.rkt"),
        ("file", "/abs/y.rkt"),
        ("collection", "racket/string"),
        ("quote", "quoted"),
        ("collection", "rackunit"),
    ]
    assert specs[0].span == Span(Pos(1, 9), Pos(1, 19))


def test_ranges_count_characters_after_non_ascii() -> None:
    specs = extract_requires(Source.from_text('#lang racket\n(require "λλ.rkt" "b.rkt")\n'))
    assert specs[1].span == Span(Pos(1, 18), Pos(1, 25))


def test_spec_names_file() -> None:
    here = Path("/w/src/main.rkt")
    specs = extract_requires(
        Source.from_text(
            '#lang racket\n(require "../lib/u.rkt" mypkg/tool mypkg (lib "a/b.rkt"))\n'
        )
    )
    rel, coll, main, lib = specs
    assert spec_names_file(rel, here, Path("/w/lib/u.rkt"))
    assert not spec_names_file(rel, here, Path("/w/src/u.rkt"))
    assert spec_names_file(coll, here, Path("/pkgs/mypkg/tool.rkt"))
    assert spec_names_file(main, here, Path("/pkgs/mypkg/main.rkt"))
    assert not spec_names_file(main, here, Path("/pkgs/mypkg/tool.rkt"))
    assert spec_names_file(lib, here, Path("/c/a/b.rkt"))


def test_half_typed_source_does_not_raise() -> None:
    for text in ["(require", '(require "a.rkt" (only-in', "(require (submod", "\x00\xff(", ""]:
        extract_requires(Source.from_text(text))


def test_require_like_forms_and_raw_require_forms() -> None:
    src = Source.from_text(
        "(module m '#%kernel\n"
        '  (#%require "a.rkt" (for-meta 1 (only b x)) (prefix p: c) (just-meta 0 (rename d x y)))\n'
        "  (require-for-syntax e)\n"
        "  (require/typed f [g (-> Integer)])\n"
        "  (require/typed/provide (submod h sub) [i Any]))\n"
    )
    assert [(s.kind, s.value) for s in extract_requires(src)] == [
        ("relative", "a.rkt"),
        ("collection", "b"),
        ("collection", "c"),
        ("collection", "d"),
        ("collection", "e"),
        ("collection", "f"),
        ("collection", "h"),
    ]


def test_racket_require_forms() -> None:
    src = Source.from_text(
        '(require (multi-in racket (list string)) (multi-in "a" ("b.rkt" "c.rkt"))\n'
        '  (multi-in racket "mixed.rkt") (multi-in racket #:bad)\n'
        "  (subtract-in x/y only/consulted) (filtered-in f z/w)\n"
        '  (matching-identifiers-in #px"a" q/r))\n'
    )
    assert [(s.kind, s.value) for s in extract_requires(src)] == [
        ("collection", "racket/list"),
        ("collection", "racket/string"),
        ("relative", "a/b.rkt"),
        ("relative", "a/c.rkt"),
        ("collection", "x/y"),
        ("collection", "z/w"),
        ("collection", "q/r"),
    ]


def test_requires_in_quoted_data_and_syntax_templates_are_not_this_modules() -> None:
    src = Source.from_text(
        "#lang racket/base\n(require a)\n"
        "(define-syntax (m stx) #'(require b))\n"
        "(define-syntax (n stx) (quasisyntax (begin (require c))))\n"
        "(define data '((require d)))\n"
        "(define-syntax o (lambda (s) (quote-syntax (require e))))\n"
        "(begin-for-syntax (require f))\n"
        "(define-syntax-rule (p) (require g))\n"
        "(define-syntax q (syntax-rules () [(_) (require h)]))\n"
    )
    assert [s.value for s in extract_requires(src)] == ["a", "f"]


def test_query_implicit_deps_finds_its_forms() -> None:
    src = Source.from_text(
        "#lang racket/base\n(module configure-runtime '#%kernel)\n"
        "(begin-for-syntax (lazy-require [x (y)]))\n(lazy-require [z (w)])\n"
        '(include "inc.rktl")\n(include/rewrite (lib "a/b.rkt") name rw)\n'
        "(module zip racket/base\n  (module sub typed/racket)\n  (module* main #f)\n"
        "  (module+ test (require rackunit)))\n(define (f) (include-not x))\n"
    )
    heads = [src.text_of(n).split()[0][1:] for n in captures("implicit-deps", src.root)["implicit"]]
    assert sorted(heads) == sorted(
        [
            "module",
            "begin-for-syntax",
            "lazy-require",
            "lazy-require",
            "include",
            "include/rewrite",
            "module",
            "module",
            "module*",
        ]
    )


def test_implicit_forms_sorted_out() -> None:
    found = module_facts(
        "#lang racket/base\n(module configure-runtime '#%kernel)\n"
        "(begin-for-syntax (lazy-require [x (y)]))\n"
        '#;(include "no.rktl")\n(include "inc.rktl")\n'
        '(module zip "lang.rkt"\n  (module sub typed/racket)\n  (module* main #f))\n'
    )
    assert found.own_config and found.phase1_lazy_require
    assert [(s.kind, s.value) for s in found.includes] == [("relative", "inc.rktl")]
    assert sorted(found.module_langs) == [
        ("collection", "typed/racket"),
        ("relative", "lang.rkt"),
    ]
    plain = module_facts("#lang racket/base\n(lazy-require [x (y)])\n")
    assert not plain.phase1_lazy_require


@pytest.mark.parametrize(
    ("text", "module_path", "expected"),
    [
        # A spec among others on the form's line: with the blank before it.
        ("(require a b c)\n", "b", "(require a c)\n"),
        # The first spec: with the blank before it (after the form's name).
        ("(require a\n         b)\n", "a", "(require\n         b)\n"),
        # A spec alone on its line: the line goes.
        ("(require\n  a\n  b\n  c)\n", "b", "(require\n  a\n  c)\n"),
        # The wrapper around the module path goes with it.
        ("(require (only-in racket/set set) b)\n", "racket/set", "(require b)\n"),
        # In a nesting form with other specs: only that spec.
        ("(require (for-syntax a b) c)\n", "a", "(require (for-syntax b) c)\n"),
        # A nesting form left empty goes too.
        ("(require (for-syntax a) c)\n", "a", "(require c)\n"),
        # The only spec: the whole form, with its line (CRLF included).
        ("x\r\n(require a)\r\ny\r\n", "a", "x\r\ny\r\n"),
        # ... or with the blank before it when it shares its line.
        ("(module+ test (require rackunit))\n", "rackunit", "(module+ test)\n"),
        # Positions are characters: 𝄞 before the spec.
        ('(require "𝄞.rkt" "b.rkt")\n', '"b.rkt"', '(require "𝄞.rkt")\n'),
    ],
)
def test_require_removal(text: str, module_path: str, expected: str) -> None:
    src = Source.from_text(text)
    at = text.rindex(module_path)
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    span = Span(Pos(line, col), Pos(line, col + len(module_path)))
    removal = require_removal(src, span)
    assert removal is not None
    assert apply_edits(text, (TextEdit(removal, ""),)) == expected


def test_require_removal_of_no_require() -> None:
    src = Source.from_text("(define a 1)\n")
    assert require_removal(src, Span(Pos(0, 8), Pos(0, 9))) is None
