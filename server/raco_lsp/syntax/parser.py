"""Tree-sitter parsing of Racket source, and the queries in grammars/."""

from __future__ import annotations

import bisect
import re
from functools import cache
from importlib import resources
from pathlib import Path

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree
from tree_sitter_language_pack import get_language

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import decode_source

_BREAK = re.compile(rb"\r\n|\r|\n")


@cache
def language() -> Language:
    lang: Language = get_language("racket")
    return lang


def _grammars_dir() -> Path:
    packaged = resources.files("raco_lsp").joinpath("grammars")
    if packaged.is_dir():
        return Path(str(packaged))
    # Editable install / source checkout: grammars/ sits at the repository root.
    return Path(__file__).resolve().parents[3] / "grammars"


@cache
def query(name: str) -> Query:
    """The compiled query grammars/<name>.scm."""
    src = (_grammars_dir() / f"{name}.scm").read_text(encoding="utf-8")
    return Query(language(), src)


@cache
def combined_query(names: tuple[str, ...]) -> Query:
    """Several grammars/*.scm files as one query, for one pass over a tree
    (their capture names must be distinct)."""
    src = "\n".join((_grammars_dir() / f"{n}.scm").read_text(encoding="utf-8") for n in names)
    return Query(language(), src)


def captures(name: str | tuple[str, ...], node: Node) -> dict[str, list[Node]]:
    """Captures of grammars/<name>.scm (or of several, in one pass)."""
    q = query(name) if isinstance(name, str) else combined_query(name)
    result: dict[str, list[Node]] = QueryCursor(q).captures(node)
    return result


class Source:
    """A parsed text plus the mapping from tree-sitter bytes to ``Pos``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.tree: Tree = Parser(language()).parse(data)
        self._line_starts = [0] + [m.end() for m in _BREAK.finditer(data)]

    @classmethod
    def from_text(cls, text: str) -> Source:
        return cls(text.encode("utf-8", errors="surrogateescape"))

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text_of(self, node: Node) -> str:
        return decode_source(self.data[node.start_byte : node.end_byte])

    def pos_of_byte(self, offset: int) -> Pos:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        col = len(decode_source(self.data[start:offset]))
        return Pos(line, col)

    def span_of(self, node: Node) -> Span:
        return Span(self.pos_of_byte(node.start_byte), self.pos_of_byte(node.end_byte))


def items_of(node: Node) -> list[Node]:
    """A form's subforms: its named children without comments."""
    return [c for c in node.named_children if c.type not in ("comment", "block_comment")]


def in_datum_comment(node: Node) -> bool:
    """True when ``node`` sits inside a ``#;`` datum comment."""
    parent = node.parent
    while parent is not None:
        if parent.type == "sexp_comment":
            return True
        parent = parent.parent
    return False
