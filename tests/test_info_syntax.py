"""The info.rkt reader (syntax/info.py) and its queries (grammars/info-*.scm)."""

from __future__ import annotations

from tree_sitter import QueryCursor

from raco_lsp.core.records import Pos, Span
from raco_lsp.syntax.info import Leaf, decode_string, leaf_at, parse_info
from raco_lsp.syntax.parser import Source, query


def test_info_module_query_captures_the_expanded_form() -> None:
    src = Source.from_text("(module info setup/infotab (#%module-begin (define x 1)))")
    ((_, caps),) = QueryCursor(query("info-module")).matches(src.root)
    assert [src.text_of(n) for n in caps["name"]] == ["info"]
    assert [src.text_of(n) for n in caps["lang"]] == ["setup/infotab"]
    assert src.text_of(caps["module"][0]).startswith("(module info")


def test_info_defines_query_pairs_forms_with_names() -> None:
    src = Source.from_text("#lang info\n(define a 1)\n(define (f) 2)\n(define)\n(list 1)\n")
    pairs = [
        (src.text_of(c["define"][0]), [src.text_of(n) for n in c.get("name", [])])
        for _, c in QueryCursor(query("info-defines")).matches(src.root)
    ]
    assert sorted(pairs) == [("(define (f) 2)", ["(f)"]), ("(define a 1)", ["a"]), ("(define)", [])]


def test_lang_form() -> None:
    info = parse_info('#lang info\n;; c\n(define collection "x")\n#;(define y 2)\n(oops)\n')
    assert info.style == "lang" and info.lang == "info"
    assert info.lang_span == Span(Pos(0, 6), Pos(0, 10))
    (d,) = info.defines
    assert d.name == "collection" and d.name_span == Span(Pos(2, 8), Pos(2, 18))
    assert d.value is not None and d.value.kind == "string" and d.value.value == "x"
    assert [o.text for o in info.others] == ["(oops)"]


def test_expanded_module_form_with_long_quote() -> None:
    text = (
        "(module info setup/infotab (#%module-begin (define collection (quote multi)) "
        '(define deps (quasiquote ("base" ("racket" #:version (unquote version)))))))'
    )
    info = parse_info(text)
    assert info.style == "module" and info.lang == "setup/infotab" and info.module_name == "info"
    assert [d.name for d in info.defines] == ["collection", "deps"]
    value = info.defines[0].value
    assert value is not None and value.kind == "quote" and value.items[0].text == "multi"
    deps = info.defines[1].value
    assert deps is not None and deps.kind == "quasiquote"
    assert deps.items[0].items[1].items[2].kind == "unquote"


def test_module_form_without_module_begin() -> None:
    info = parse_info('(module info info\n  (define name "Q")\n  (define t name))\n')
    assert info.style == "module" and info.lang == "info"
    assert [d.name for d in info.defines] == ["name", "t"]


def test_no_module_and_syntax_errors_never_raise() -> None:
    assert parse_info("(define x 1)").style == "none"
    info = parse_info('#lang info\n(define x (list 1 2)\n(define y "abc')
    assert info.syntax_errors
    assert parse_info("").style == "none"


def test_decode_string() -> None:
    assert decode_string(r'"a\nb\x41\u03bb\\"') == "a\nbAλ\\"


def test_fast_spans_equal_the_parser_spans() -> None:
    from raco_lsp.syntax.info import _span

    for text in [
        '#lang info\n(define deps \'("base"))\n',
        '#lang info\r\n(define x "é𝛌")\r\n\t(define y 1)\n',
        '#lang info\r(define x 1)\r(define y "λ")',
        '(define λ \'a)\n(define b "𝛌") (define c 3)\n',
    ]:
        src = Source.from_text(text)
        stack = [src.root]
        while stack:
            node = stack.pop()
            assert _span(src, node) == src.span_of(node), (text, node)
            stack.extend(node.children)


def test_leaf_at_counts_characters() -> None:
    text = '#lang info\n(define pkg-desc "\U0001f600")(define deps \'("base"))\n'
    src = Source.from_text(text)
    start = len('(define pkg-desc "\U0001f600")(define deps \'(')
    leaf = leaf_at(src, Pos(1, start + 2))  # inside "base", after the emoji
    assert leaf is not None
    assert leaf == Leaf("string", '"base"', Span(Pos(1, start), Pos(1, start + 6)), leaf.offset)
    assert src.data[leaf.offset :].startswith(b'ase"')
