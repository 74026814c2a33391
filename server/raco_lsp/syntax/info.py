"""Reading an ``info.rkt`` with tree-sitter into plain records.

Three shapes are understood: ``#lang info`` / ``#lang setup/infotab``, and the
expanded ``(module info <lang> (#%module-begin (define ...) ...))`` form that
Debian installs (grammars/info-module.scm).  Every ``(define ...)`` of the
module body becomes a ``Define`` (grammars/info-defines.scm); every other body
form is kept in ``InfoSyntax.others`` for the validator to report.

Values are converted to ``Datum`` trees: ``(quote x)`` and ``'x`` (and the
quasiquote/unquote forms) read the same, as they do for Racket's reader.
Nothing here raises on bad input.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import byte_index, decode_source
from raco_lsp.syntax.parser import Source, query

_SKIP = {"comment", "block_comment", "sexp_comment"}
_ABBREV = {
    "quote": "quote",
    "quasiquote": "quasiquote",
    "unquote": "unquote",
    "unquote-splicing": "unquote_splicing",
}
_ATOMS = {
    "symbol",
    "string",
    "number",
    "boolean",
    "keyword",
    "character",
    "byte_string",
    "here_string",
    "regex",
    "decimal",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b"}
_ESCAPE = re.compile(
    r"\\(?:x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|.)", re.S
)


def decode_string(text: str) -> str:
    """The value of a string literal's source text (quotes included)."""
    body = text[1:-1] if len(text) >= 2 and text.endswith('"') else text[1:]

    def one(m: re.Match[str]) -> str:
        esc = m.group(0)[1:]
        if esc[0] in "xuU":
            try:
                return chr(int(esc[1:], 16))
            except (ValueError, OverflowError):
                return esc
        if esc[0].isdigit():
            return chr(int(esc, 8) % 0x110000)
        if esc == "\n":
            return ""
        return _ESCAPES.get(esc, esc)

    return _ESCAPE.sub(one, body)


@dataclass(frozen=True)
class Datum:
    """One piece of read syntax.

    ``kind`` is ``list`` (also brackets and braces), ``vector``, ``hash``,
    ``quote``/``quasiquote``/``unquote``/``unquote_splicing`` (one item),
    ``dot``, an atom kind (``symbol``, ``string``, ``number``, ``boolean``,
    ``keyword``, ``character``, ``byte_string``, ``regex`` ...), or ``other``
    (anything else, including parse errors).  ``text`` is the source text;
    ``value`` the decoded content of a string.
    """

    kind: str
    text: str
    span: Span
    start: int
    end: int
    items: tuple[Datum, ...] = ()
    value: str | None = None

    @property
    def head(self) -> str | None:
        """The symbol in head position of a list, if any."""
        if self.kind == "list" and self.items and self.items[0].kind == "symbol":
            return self.items[0].text
        return None


@dataclass(frozen=True)
class Leaf:
    """The innermost syntax at a position (``leaf_at``): its kind (``symbol``,
    ``string``, ``keyword``, ``list``, ...), text and range, and the byte
    offset of the position itself."""

    kind: str
    text: str
    span: Span
    offset: int


@dataclass(frozen=True)
class Define:
    name: str
    name_span: Span
    value: Datum | None
    form: Datum
    # Extra expressions after the value (a malformed define).
    extra: tuple[Datum, ...] = ()


@dataclass
class InfoSyntax:
    """An info.rkt as read.  ``style`` is ``lang``, ``module`` or ``none``."""

    src: Source
    style: str
    lang: str | None = None
    lang_span: Span | None = None
    # The module form's name (must be `info`).
    module_name: str | None = None
    module_name_span: Span | None = None
    defines: list[Define] = field(default_factory=list)
    # Body forms that are not (define id expr) with a symbol id.
    others: list[Datum] = field(default_factory=list)
    # Top-level forms besides the module (the module form only).
    extra_top: list[Datum] = field(default_factory=list)
    # (span, message) for text tree-sitter could not read.
    syntax_errors: list[tuple[Span, str]] = field(default_factory=list)

    def define(self, name: str) -> Define | None:
        for d in self.defines:
            if d.name == name:
                return d
        return None


_ROWS: weakref.WeakKeyDictionary[Source, frozenset[int] | None] = weakref.WeakKeyDictionary()


def _span(src: Source, node: Node) -> Span:
    """``src.span_of(node)``, fast on ASCII lines: there tree-sitter's
    (row, byte column) points already are (line, character)."""
    if src not in _ROWS:
        data = src.data
        if re.search(rb"\r(?!\n)", data):
            _ROWS[src] = None  # lone CR: tree-sitter rows differ from our lines
        else:
            _ROWS[src] = frozenset(
                data.count(b"\n", 0, m.start()) for m in re.finditer(rb"[\x80-\xff]", data)
            )
    wide = _ROWS[src]
    if wide is None:
        return src.span_of(node)
    (r1, c1), (r2, c2) = node.start_point, node.end_point
    if r1 in wide or r2 in wide:
        return src.span_of(node)
    return Span(Pos(r1, c1), Pos(r2, c2))


def _children(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type not in _SKIP]


def to_datum(src: Source, node: Node) -> Datum:
    text = src.text_of(node)
    span = _span(src, node)
    kind = node.type
    if kind in ("quote", "quasiquote", "unquote", "unquote_splicing", "syntax"):
        inner = tuple(to_datum(src, c) for c in _children(node))
        return Datum(kind, text, span, node.start_byte, node.end_byte, inner[:1])
    if kind in ("list", "vector", "hash", "structure"):
        items: tuple[Datum, ...]
        if kind == "hash":
            inner_list = _children(node)
            items = tuple(to_datum(src, c) for c in inner_list)
        else:
            items = tuple(to_datum(src, c) for c in _children(node))
        if kind == "list" and len(items) == 2 and items[0].kind == "symbol":
            abbrev = _ABBREV.get(items[0].text)
            if abbrev is not None:
                return Datum(abbrev, text, span, node.start_byte, node.end_byte, items[1:])
        if node.has_error:
            kind = "list" if kind == "list" else kind
        return Datum(kind, text, span, node.start_byte, node.end_byte, items)
    if kind == "string":
        return Datum(kind, text, span, node.start_byte, node.end_byte, value=decode_string(text))
    if kind in _ATOMS or kind == "dot":
        return Datum(kind, text, span, node.start_byte, node.end_byte)
    return Datum("other", text, span, node.start_byte, node.end_byte)


def _syntax_errors(src: Source) -> list[tuple[Span, str]]:
    out: list[tuple[Span, str]] = []
    if not src.root.has_error:
        return out

    def walk(node: Node) -> None:
        if len(out) >= 20:
            return
        if node.is_missing:
            parent = node.parent
            where = src.span_of(parent) if parent is not None else src.span_of(node)
            opener = src.data[parent.start_byte : parent.start_byte + 1] if parent else b"("
            closer = {b"[": "]", b"{": "}"}.get(opener, ")")
            out.append(
                (
                    Span(where.start, _one_after(where.start)),
                    f"expected a `{closer}` to close `{decode_source(opener)}`",
                )
            )
            return
        if node.type == "ERROR":
            span = src.span_of(node)
            out.append((span, _error_message(src, node)))
            return
        if node.has_error:
            for c in node.children:
                walk(c)

    walk(src.root)
    return out


def _one_after(p: Pos) -> Pos:
    return Pos(p.line, p.col + 1)


def _error_message(src: Source, node: Node) -> str:
    text = src.text_of(node)
    opens = text.count("(") + text.count("[") + text.count("{")
    closes = text.count(")") + text.count("]") + text.count("}")
    if text.count('"') % 2 == 1:
        return "unterminated string"
    if opens > closes:
        return "expected a `)` to close `(`"
    if closes > opens:
        return "unexpected `)`"
    return "cannot read this text"


def _defines_in(src: Source, container: Node) -> dict[int, Node | None]:
    """Start byte of each define form directly in ``container`` -> its name node."""
    found: dict[int, Node | None] = {}
    cursor = QueryCursor(query("info-defines"))
    for _, caps in cursor.matches(container):
        forms = caps.get("define", [])
        if not forms or forms[0].parent is None or forms[0].parent.id != container.id:
            continue
        names = caps.get("name", [])
        found[forms[0].start_byte] = names[0] if names else None
    return found


def _read_body(src: Source, info: InfoSyntax, container: Node, forms: list[Node]) -> None:
    defines = _defines_in(src, container)
    for node in forms:
        datum = to_datum(src, node)
        if node.start_byte in defines and len(datum.items) >= 2 and datum.items[1].kind == "symbol":
            name = datum.items[1]
            value = datum.items[2] if len(datum.items) >= 3 else None
            info.defines.append(Define(name.text, name.span, value, datum, tuple(datum.items[3:])))
        else:
            info.others.append(datum)


def read_info(src: Source) -> InfoSyntax:
    """Read an info.rkt's module structure."""
    root = src.root
    top = _children(root)
    info = InfoSyntax(src, "none", syntax_errors=_syntax_errors(src))
    if top and top[0].type == "extension":
        lang_nodes = [c for c in top[0].named_children if c.type == "lang_name"]
        if lang_nodes:
            info.lang = src.text_of(lang_nodes[0])
            info.lang_span = src.span_of(lang_nodes[0])
        else:
            info.lang = ""
            info.lang_span = src.span_of(top[0])
        info.style = "lang"
        _read_body(src, info, root, top[1:])
        return info
    modules = [
        caps["module"][0]
        for _, caps in QueryCursor(query("info-module")).matches(root)
        if caps.get("module")
        and caps["module"][0].parent is not None
        and caps["module"][0].parent.id == root.id
    ]
    if not modules:
        return info
    module = modules[0]
    info.style = "module"
    info.extra_top = [to_datum(src, n) for n in top if n.id != module.id]
    parts = _children(module)
    info.module_name = src.text_of(parts[1]) if len(parts) > 1 else None
    info.module_name_span = src.span_of(parts[1]) if len(parts) > 1 else None
    info.lang = src.text_of(parts[2]) if len(parts) > 2 else None
    info.lang_span = src.span_of(parts[2]) if len(parts) > 2 else src.span_of(module)
    body = parts[3:]
    if len(body) == 1 and body[0].type == "list":
        inner = _children(body[0])
        if inner and inner[0].type == "symbol" and src.text_of(inner[0]) == "#%module-begin":
            _read_body(src, info, body[0], inner[1:])
            return info
    _read_body(src, info, module, body)
    return info


def define_forms(src: Source) -> dict[str, str]:
    """Every name defined by a ``(define name ...)`` anywhere -> the form's text
    (the first one wins); cheaper than ``read_info`` (no values read)."""
    out: dict[str, str] = {}
    for _, caps in QueryCursor(query("info-defines")).matches(src.root):
        names = caps.get("name", [])
        forms = caps.get("define", [])
        if names and forms and names[0].type == "symbol":
            out.setdefault(src.text_of(names[0]), src.text_of(forms[0]))
    return out


def parse_info(text: str) -> InfoSyntax:
    return read_info(Source.from_text(text))


def byte_offset(src: Source, pos: Pos) -> int:
    """The byte offset of a character position (clamped to the text)."""
    starts = [0] + [m.end() for m in re.finditer(rb"\r\n|\r|\n", src.data)]
    line = max(0, min(pos.line, len(starts) - 1))
    start = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(src.data)
    line_bytes = src.data[start:end].rstrip(b"\r\n")
    col = max(0, min(pos.col, len(decode_source(line_bytes))))
    return start + byte_index(line_bytes, col)


def leaf_at(src: Source, pos: Pos) -> Leaf | None:
    """The innermost node of ``src`` at ``pos`` (a character position)."""
    b = byte_offset(src, pos)
    node = src.root.descendant_for_byte_range(b, b)
    if node is None:
        return None
    return Leaf(node.type, src.text_of(node), src.span_of(node), b)
