"""A module's outline from tree-sitter alone (no Racket: works in untrusted
folders and on code that does not read): module-level definitions,
submodules with their contents, and the tests at the top of test
submodules (``syntax/tests.py``'s discovery).  Also whether a text is one
Racket identifier (what a rename may write)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from tree_sitter import Node

from raco_lsp.core.records import Span
from raco_lsp.syntax.parser import Source, items_of
from raco_lsp.syntax.tests import TestNode, discover

SUBMODULE_FORMS = {"module": 3, "module*": 3, "module+": 2}
"""Submodule forms and where their body starts."""

STRUCT_FORMS = {"struct", "define-struct", "define-record-type"}
MULTI_FORMS = {"define-values", "define-syntaxes", "define-values-for-syntax"}
FUNCTION_VALUES = {"lambda", "λ", "case-lambda", "match-lambda", "match-lambda*"}


@dataclass
class Symbol:
    """``kind``: ``function``, ``variable``, ``macro``, ``struct``,
    ``submodule`` or ``test``; ``detail`` the form that made it
    (``define-syntax-rule``, ``module+``, ``check-equal?`` ...)."""

    kind: str
    name: str
    span: Span
    name_span: Span
    detail: str
    children: list[Symbol] = field(default_factory=list)


def is_identifier(text: str) -> bool:
    """Whether ``text`` reads as exactly one symbol (not a number, a
    boolean, a keyword, two symbols or a symbol and a comment)."""
    if not text or text == ".":
        return False
    source = Source.from_text(text)
    root = source.root
    return (
        root.child_count == 1
        and root.children[0].type == "symbol"
        and root.children[0].end_byte == len(source.data)
        and not root.has_error
    )


def outline(source: Source, test_submodules: tuple[str, ...] = ("test",)) -> list[Symbol]:
    """The module's definitions and submodules, in source order, with the
    tests (test-case, test-suite, checks) of its test submodules."""
    tests = {n.span: n.children for n in discover(source, test_submodules) if n.kind == "submodule"}
    return _forms(source, source.root.named_children, tests)


def _forms(source: Source, nodes: list[Node], tests: dict[Span, list[TestNode]]) -> list[Symbol]:
    out: list[Symbol] = []
    for node in nodes:
        if node.type == "ERROR":  # broken code: the forms tree-sitter recovered
            out += _forms(source, node.named_children, tests)
        elif node.type == "list":
            out += _form(source, node, tests)
    return out


def _form(source: Source, node: Node, tests: dict[Span, list[TestNode]]) -> list[Symbol]:
    items = items_of(node)
    if len(items) < 2 or items[0].type != "symbol":
        return []
    head = source.text_of(items[0])
    if head == "begin":
        return _forms(source, items[1:], tests)
    if head in SUBMODULE_FORMS:
        if items[1].type != "symbol":
            return []
        span = source.span_of(node)
        sub = Symbol("submodule", source.text_of(items[1]), span, source.span_of(items[1]), head)
        sub.children = _forms(source, items[SUBMODULE_FORMS[head] :], tests)
        sub.children += [_test(t) for t in tests.get(span, [])]
        sub.children.sort(key=lambda s: (s.span.start.line, s.span.start.col))
        return [sub]
    if not (head in ("define", "struct") or head.startswith(("define-", "define/"))):
        return []
    span = source.span_of(node)
    macro = "syntax" in head or "macro" in head
    if head in MULTI_FORMS:
        if items[1].type != "list":
            return []
        return [
            Symbol(
                "macro" if macro else "variable", source.text_of(n), span, source.span_of(n), head
            )
            for n in items_of(items[1])
            if n.type == "symbol"
        ]
    name = items[1]
    curried = name.type == "list"
    while name.type == "list":  # (define (f x) ...), (define ((f a) b) ...), (struct (p super))
        parts = items_of(name)
        if not parts:
            return []
        name = parts[0]
    if name.type != "symbol":
        return []
    if head in STRUCT_FORMS:
        kind = "struct"
    elif macro:
        kind = "macro"
    elif curried or (
        len(items) >= 3
        and items[2].type == "list"
        and (value := items_of(items[2]))
        and source.text_of(value[0]) in FUNCTION_VALUES
    ):
        kind = "function"
    else:
        kind = "variable"
    return [Symbol(kind, source.text_of(name), span, source.span_of(name), head)]


def _test(node: TestNode) -> Symbol:
    name = node.name if node.kind != "check" else f"{node.name} {node.subject}".strip()
    return Symbol(
        "test",
        name or node.kind,
        node.span,
        node.name_span or node.span,
        node.kind,
        [_test(c) for c in node.children],
    )


NAMING_REQUIRES = {"only-in", "except-in", "rename-in"}


def names_in_requires(
    source: Source, module_path: Span, names: Collection[str | None]
) -> list[Span]:
    """Where a require names one of ``names`` of the module whose path is written at
    ``module_path``: ``(only-in m name)``, ``(except-in m name)``,
    ``(rename-in m [name new])`` (check-syntax reports no binding there)."""
    out: list[Span] = []
    todo = [source.root]
    while todo:
        node = todo.pop()
        todo += [c for c in node.named_children if c.type in ("list", "ERROR")]
        items = items_of(node) if node.type == "list" else []
        if (
            len(items) < 3
            or source.text_of(items[0]) not in NAMING_REQUIRES
            or source.span_of(items[1]) != module_path
        ):
            continue
        for item in items[2:]:
            named = items_of(item)[:1] if item.type == "list" else [item]
            out += [source.span_of(n) for n in named if source.text_of(n) in names]
    return out
