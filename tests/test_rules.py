"""Pattern-based macros that expand into requires (raco_lsp/syntax/rules.py).
Ground truth for the same shapes, compiled by compiler/cm: test_langs.py."""

from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.requires import reader_specs
from raco_lsp.syntax.rules import Datum, Rule, datum_of, expand, macro_requires, render, rule_macros


def _values(text: str, macros_text: str | None = None) -> list[str]:
    src = Source.from_text(text)
    macros = rule_macros(Source.from_text(macros_text)) if macros_text else rule_macros(src)
    return [s.value for s in macro_requires(src, macros)]


def test_ellipses_literals_and_tails() -> None:
    defs = """#lang racket/base
(define-syntax-rule (all m ...) (begin (require m ...)))
(define-syntax-rule (pairs [a b] ...) (require (only-in a b) ...))
(define-syntax-rule (tail first . rest) (require first))
(define-syntax-rule (around x (m ... last)) (require last m ...))
(define-syntax with
  (syntax-rules (using else)
    [(_ else) (void)]
    [(_ using lib body ...) (module+ test (require lib) body ...)]))
(define-syntax-rule (plain) (define x 1))
"""
    assert set(rule_macros(Source.from_text(defs))) == {"all", "pairs", "tail", "around", "with"}
    assert _values("(all a/b c/d)\n(all)", defs) == ["a/b", "c/d"]
    assert _values('(pairs [x/y f] ["z.rkt" g])', defs) == ["x/y", "z.rkt"]
    assert _values("(tail p/q r s . t)", defs) == ["p/q"]
    assert _values("(around 1 (m/a m/b m/c))", defs) == ["m/c", "m/a", "m/b"]
    assert _values("(with using rackunit (check-true #t))\n(with else)", defs) == ["rackunit"]
    # A literal must be there: (with other x) matches no clause.
    assert _values("(with other x)", defs) == []


def test_uses_that_are_not_expanded() -> None:
    defs = "(define-syntax-rule (all m ...) (begin (require m ...)))"
    assert _values(f"{defs}\n#;(all a/b)\n'(all c/d)\n(define (all-x) 1)\n; (all e/f)\n") == []
    # Used inside another macro's template: that macro's users require it.
    assert _values(f"{defs}\n(define-syntax-rule (m2) (all g/h))\n") == []
    # A macro used by a macro: expanded in turn.
    assert _values(f"{defs}\n(define-syntax-rule (m2) (all g/h))\n(m2)") == ["g/h"]


def _datum(text: str) -> Datum:
    src = Source.from_text(text)
    return datum_of(src, src.root.named_children[0])


def test_templates_with_bad_shapes_expand_to_nothing() -> None:
    form, pat = _datum("(m (a b) c)"), _datum("(_ x ...)")
    # x ... ... in a template is not followed; x used without its ellipsis neither.
    assert expand((Rule(frozenset(), pat, _datum("(require x ... ...)")),), form) is None
    assert expand((Rule(frozenset(), pat, _datum("(require x)")),), form) is None
    assert render(_datum("(m [a . b] 'c #'(d))")) == "(m [a . b] 'c #'(d))"


def test_reader_prefixes() -> None:
    src = Source.from_text(
        '#reader scribble/reader (module m racket/base)\n#reader(lib "x.rkt") 1\n'
        '"#reader no/string" ; #reader no/comment\n#;#reader no/datum-comment 2\n'
    )
    assert [s.value for s in reader_specs(src)] == ["scribble/reader", "x.rkt"]
