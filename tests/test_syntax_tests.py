from raco_lsp.core.records import Pos, Span
from raco_lsp.syntax.parser import Source, captures
from raco_lsp.syntax.tests import discover, string_value

SRC = """#lang racket/base
(require rackunit)
(check-equal? 1 1)
(module+ test
  (test-case "adds \\"one\\""
    (check-equal? (+ 1 1) 2)
    (check = 1 1))
  #;(check-true #f)
  (test-begin (check-true #t))
  (test-suite (string-append "s" "uite") (test-case "inner" (check-false #f))))
(module* test #f (check-not-exn void))
(module main racket/base (check-true #t))
(define (check-in x) x)
(check-in 2)
"""


def test_query_submodules_finds_every_submodule_form() -> None:
    src = Source.from_text(SRC)
    caps = captures("tests-submodules", src.root)
    assert sorted(src.text_of(n) for n in caps["name"]) == ["main", "test", "test"]


def test_query_cases_finds_test_groups() -> None:
    src = Source.from_text(SRC)
    forms = captures("tests-cases", src.root)["form"]
    heads = sorted(src.text_of(f.named_children[0]) for f in forms)
    assert heads == ["test-begin", "test-case", "test-case", "test-suite"]


def test_query_checks_finds_check_forms() -> None:
    src = Source.from_text(SRC)
    checks = captures("tests-checks", src.root)["check"]
    names = [src.text_of(c.named_children[0]) for c in checks]
    # every check-... and `check`, including the #;-commented one (dropped later)
    assert sorted(names) == sorted(
        [
            "check-equal?",
            "check-equal?",
            "check",
            "check-true",
            "check-true",
            "check-false",
            "check-not-exn",
            "check-true",
            "check-in",
            "check-in",
        ]
    )


def test_discover_builds_the_tree_with_ranges() -> None:
    roots = discover(Source.from_text(SRC))
    assert [(r.kind, r.name) for r in roots] == [
        ("check", "check-equal?"),
        ("submodule", "test"),
        ("submodule", "test"),
        ("check", "check-true"),  # in `main`, not a test submodule
        ("check", "check-in"),  # any check- form counts, not its definition
    ]
    sub = roots[1]
    assert sub.span == Span(Pos(3, 0), Pos(9, 79))
    assert [(c.kind, c.name) for c in sub.children] == [
        ("test-case", 'adds "one"'),
        ("test-begin", ""),
        ("test-suite", '(string-append "s" "uite")'),
    ]
    case = sub.children[0]
    assert case.span.start == Pos(4, 2)
    assert case.name_span == Span(Pos(4, 13), Pos(4, 27))
    assert [(c.name, c.span.start) for c in case.children] == [
        ("check-equal?", Pos(5, 4)),
        ("check", Pos(6, 4)),
    ]
    suite = sub.children[2]
    assert [(c.kind, c.name) for c in suite.children] == [("test-case", "inner")]
    assert [c.name for c in suite.children[0].children] == ["check-false"]


def test_discover_other_submodule_names() -> None:
    roots = discover(Source.from_text(SRC), ["main"])
    assert ("submodule", "main") in [(r.kind, r.name) for r in roots]


def test_string_value() -> None:
    assert string_value('"a\\"b\\\\c\\n"') == 'a"b\\c\n'
