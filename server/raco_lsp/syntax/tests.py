"""Test discovery with tree-sitter: test submodules, test-case/test-suite/
test-begin groups and rackunit checks, with their ranges
(grammars/tests-submodules.scm, tests-cases.scm, tests-checks.scm)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from raco_lsp.core.records import Span
from raco_lsp.syntax.parser import Source, captures, in_datum_comment, items_of

_ESCAPE = re.compile(r'\\(["\\abtnvfre])')
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
}


@dataclass
class TestNode:
    """One discovered test item.

    ``kind``: ``submodule`` (name is the submodule's), ``test-case``,
    ``test-suite``, ``test-begin`` (name is the label: a string literal's
    value, else the expression's text; empty for test-begin) or ``check``
    (name is the check, e.g. ``check-equal?``; ``subject`` the source text
    of its first argument, on one line, shortened).  ``span`` covers the form.
    """

    __test__ = False  # not a pytest class

    kind: str
    name: str
    span: Span
    name_span: Span | None = None
    children: list[TestNode] = field(default_factory=list)
    subject: str = ""

    def walk(self) -> Iterable[TestNode]:
        yield self
        for c in self.children:
            yield from c.walk()


def string_value(text: str) -> str:
    """The value of a Racket string literal's text (common escapes only)."""
    body = text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else text
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _unique(nodes: Iterable[Node]) -> list[Node]:
    seen: dict[tuple[int, int], Node] = {}
    for n in nodes:
        if not in_datum_comment(n):
            seen.setdefault((n.start_byte, n.end_byte), n)
    return list(seen.values())


_DEFINERS = {"define", "define-check", "define-simple-check", "define-binary-check"}


def _is_definition_header(source: Source, node: Node) -> bool:
    """``(check-in x)`` in ``(define (check-in x) ...)`` is not a check."""
    parent = node.parent
    if parent is None or parent.type != "list":
        return False
    items = items_of(parent)
    return (
        len(items) >= 2
        and items[1] == node
        and items[0].type == "symbol"
        and source.text_of(items[0]) in _DEFINERS
    )


SUBJECT_WIDTH = 40


def _one_line(text: str) -> str:
    """``text`` with its white space runs as single spaces, cut to ``SUBJECT_WIDTH``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SUBJECT_WIDTH else flat[: SUBJECT_WIDTH - 1] + "…"


def discover(source: Source, submodules: Iterable[str] = ("test",)) -> list[TestNode]:
    """The test tree of one file: test submodules (named in ``submodules``),
    groups and checks, nested by where they are."""
    wanted = set(submodules)
    flat: list[tuple[Node, TestNode]] = []
    for node in _unique(captures("tests-submodules", source.root).get("submodule", [])):
        items = items_of(node)
        if len(items) >= 2 and source.text_of(items[1]) in wanted:
            flat.append(
                (
                    node,
                    TestNode(
                        "submodule",
                        source.text_of(items[1]),
                        source.span_of(node),
                        source.span_of(items[1]),
                    ),
                )
            )
    for node in _unique(captures("tests-cases", source.root).get("form", [])):
        items = items_of(node)
        kind = source.text_of(items[0])
        name, name_span = "", None
        if kind != "test-begin" and len(items) >= 2:
            label = items[1]
            text = source.text_of(label)
            name = string_value(text) if label.type == "string" else text
            name_span = source.span_of(label)
        flat.append((node, TestNode(kind, name, source.span_of(node), name_span)))
    for node in _unique(captures("tests-checks", source.root).get("check", [])):
        if _is_definition_header(source, node):
            continue
        items = items_of(node)
        head = items[0]
        check = TestNode("check", source.text_of(head), source.span_of(node), source.span_of(head))
        if len(items) >= 2:
            check.subject = _one_line(source.text_of(items[1]))
        flat.append((node, check))
    # Nest by containment (outer forms first at equal starts).
    flat.sort(key=lambda p: (p[0].start_byte, -p[0].end_byte))
    roots: list[TestNode] = []
    stack: list[tuple[Node, TestNode]] = []
    for node, item in flat:
        while stack and stack[-1][0].end_byte < node.end_byte:
            stack.pop()
        if stack:
            stack[-1][1].children.append(item)
        else:
            roots.append(item)
        stack.append((node, item))
    return roots
