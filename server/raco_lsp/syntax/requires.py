"""Require specs extracted from source with tree-sitter (grammars/requires.scm)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from raco_lsp.core.records import Span
from raco_lsp.syntax.parser import Source, captures, in_datum_comment, items_of

# Wrappers whose arguments (after ``skip`` leading non-spec arguments) are specs.
_NESTING = {
    "for-syntax": 0,
    "for-template": 0,
    "for-label": 0,
    "for-meta": 1,
    "for-space": 1,
    "combine-in": 0,
    "only-meta-in": 1,
    "only-space-in": 1,
    "just-meta": 1,  # the #%require forms
    "just-space": 1,
}
# Wrappers whose spec is argument number ``index``.
_WRAPPING = {
    "only-in": 0,
    "except-in": 0,
    "rename-in": 0,
    "prefix-in": 1,
    "relative-in": 1,
    # the raw forms of #%require
    "only": 0,
    "all-except": 0,
    "rename": 0,
    "prefix": 1,
    "prefix-all-except": 1,
    # racket/require
    "subtract-in": 0,  # the specs after the first are only consulted
    "filtered-in": 1,
    "matching-identifiers-in": 1,
}
# Require-like forms (grammars/requires.scm) whose first argument alone is a
# module path: (require/typed m [id type] ...).
_FIRST_ARG_ONLY = {
    "require/typed",
    "require/typed/provide",
    "unsafe-require/typed",
    "unsafe-require/typed/provide",
}
_MODULE_PATH_FORMS = {"file", "lib", "submod", "quote", "planet"}


@dataclass(frozen=True)
class RequireSpec:
    """One module path named by a require.

    ``kind`` is ``relative`` ("util.rkt"), ``collection`` (racket/list),
    ``file``, ``lib``, ``quote`` or ``planet``; ``value`` is the path text
    without quotes.  ``submod`` paths report their base module path.
    """

    kind: str
    value: str
    span: Span


def _string_value(src: Source, node: Node) -> str:
    return src.text_of(node)[1:-1]


def _spec(src: Source, node: Node, out: list[RequireSpec]) -> None:
    if node.type == "string":
        out.append(RequireSpec("relative", _string_value(src, node), src.span_of(node)))
        return
    if node.type == "symbol":
        out.append(RequireSpec("collection", src.text_of(node), src.span_of(node)))
        return
    if node.type == "quote":
        inner = items_of(node)
        if inner and inner[0].type == "symbol":
            out.append(RequireSpec("quote", src.text_of(inner[0]), src.span_of(node)))
        return
    if node.type != "list":
        return
    items = items_of(node)
    if not items or items[0].type != "symbol":
        return
    head = src.text_of(items[0])
    args = items[1:]
    if head in _NESTING:
        for arg in args[_NESTING[head] :]:
            _spec(src, arg, out)
    elif head in _WRAPPING:
        index = _WRAPPING[head]
        if len(args) > index:
            _spec(src, args[index], out)
    elif head == "multi-in":
        _multi_in(src, node, args, out)
    elif head == "submod":
        if args and not (args[0].type == "string" and _string_value(src, args[0]) in (".", "..")):
            base: list[RequireSpec] = []
            _spec(src, args[0], base)
            out.extend(RequireSpec(b.kind, b.value, src.span_of(node)) for b in base)
    elif head == "lib" and args and all(a.type == "string" for a in args):
        # (lib "b.rkt" "a") is the old form of (lib "a/b.rkt"): keep every part.
        value = " ".join(_string_value(src, a) for a in args)
        out.append(RequireSpec(head, value, src.span_of(node)))
    elif head in ("file", "planet"):
        if args and args[0].type == "string":
            out.append(RequireSpec(head, _string_value(src, args[0]), src.span_of(node)))
        elif args and head == "planet":
            out.append(RequireSpec(head, src.text_of(args[0]), src.span_of(node)))


def _multi_in(src: Source, node: Node, args: list[Node], out: list[RequireSpec]) -> None:
    """racket/require's ``(multi-in racket (list string))``: racket/list and
    racket/string; each part a symbol, a string or a list of either."""
    paths: list[tuple[str, str]] = [("", "")]  # (kind, path so far)
    for arg in args:
        alts = items_of(arg) if arg.type == "list" else [arg]
        nxt: list[tuple[str, str]] = []
        for kind, sofar in paths:
            for alt in alts:
                if alt.type not in ("symbol", "string"):
                    return
                k = "collection" if alt.type == "symbol" else "relative"
                if kind and k != kind:
                    return
                text = src.text_of(alt) if alt.type == "symbol" else _string_value(src, alt)
                nxt.append((k, f"{sofar}/{text}" if sofar else text))
        paths = nxt
    out.extend(RequireSpec(k, v, src.span_of(node)) for k, v in paths if v)


_QUOTING_NODES = {"quote", "quasiquote", "syntax", "quasisyntax"}
_QUOTING_HEADS = {
    b"quote",
    b"quasiquote",
    b"syntax",
    b"quasisyntax",
    b"quote-syntax",
    # pattern-based macros: what is inside is patterns and templates
    b"define-syntax-rule",
    b"syntax-rules",
    b"syntax-id-rules",
}


def in_template(src: Source, node: Node) -> bool:
    """True when ``node`` is quoted data or a syntax template (``#'(require
    x)`` or a ``define-syntax-rule`` body requires x in the macro's user, not
    here)."""
    parent = node.parent
    while parent is not None:
        if parent.type in _QUOTING_NODES:
            return True
        if parent.type == "list":
            head = parent.named_child(0)
            if (
                head is not None
                and head.type == "symbol"
                and src.data[head.start_byte : head.end_byte] in _QUOTING_HEADS
            ):
                return True
        parent = parent.parent
    return False


def specs_of(src: Source, node: Node) -> list[RequireSpec]:
    """The module paths one require spec (a datum) names."""
    out: list[RequireSpec] = []
    _spec(src, node, out)
    return out


def extract_requires(src: Source, caps: dict[str, list[Node]] | None = None) -> list[RequireSpec]:
    """Every module path required anywhere in the source, in text order.
    ``caps``: captures already made with grammars/requires.scm (or a
    combined query including it), to save a pass."""
    out: list[RequireSpec] = []
    if caps is None:
        caps = captures("requires", src.root)
    forms = sorted(caps.get("require", []), key=lambda n: n.start_byte)
    for form in forms:
        if in_datum_comment(form) or in_template(src, form):
            continue
        items = items_of(form)
        args = items[1:2] if src.text_of(items[0]) in _FIRST_ARG_ONLY else items[1:]
        for arg in args:
            _spec(src, arg, out)
    return out


def _norm(p: str) -> str:
    return os.path.normcase(os.path.normpath(p))


def spec_names_file(spec: RequireSpec, requiring: Path, target: Path) -> bool:
    """Does ``spec`` (written in ``requiring``) name the module file ``target``?

    Relative and ``file`` paths are resolved exactly; collection-based paths
    (``racket/list``, ``(lib "x/y.rkt")``) match when ``target`` ends with the
    collection-relative file they name.
    """
    t = _norm(str(target))
    if spec.kind in ("relative", "file"):
        base = str(requiring.parent)
        return _norm(os.path.join(base, spec.value)) == t or _same_file(
            os.path.join(base, spec.value), str(target)
        )
    if spec.kind in ("collection", "lib"):
        rel = spec.value
        if spec.kind == "lib" and "/" not in rel:
            rel = f"{rel}/main.rkt"
        candidates = (
            [rel] if rel.endswith((".rkt", ".ss", ".scm")) else [f"{rel}.rkt", f"{rel}/main.rkt"]
        )
        if spec.kind == "collection" and "/" not in rel:
            candidates = [f"{rel}/main.rkt"]
        return any(t.endswith(_norm("/" + c)) for c in candidates)
    return False


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def reader_specs(src: Source) -> list[RequireSpec]:
    """The reader modules named by ``#reader`` prefixes (``#reader
    scribble/reader (module ...)``): reading the module loads them, and the
    compile manager records them as dependencies."""
    out: list[RequireSpec] = []
    at = src.data.find(b"#reader")
    while at >= 0:
        token = src.root.descendant_for_byte_range(at, at + 7)
        ext = token.parent if token is not None else None
        if token is not None and token.type == "#reader" and ext is not None:
            datum = items_of(ext)
            if datum and not in_datum_comment(ext) and not in_template(src, ext):
                _spec(src, datum[0], out)
        at = src.data.find(b"#reader", at + 7)
    return out


def require_removal(src: Source, module_path: Span) -> Span | None:
    """What to delete to remove the require spec whose module path is at
    ``module_path`` (check-syntax's span of an unused require): the
    outermost spec around it that names no other module path (``(only-in
    racket/set set)``, ``(for-syntax m)``), or the whole require form when
    that was its only spec.  A spec or form alone on its lines goes with
    those lines; otherwise with the blank before it (or after it, when it is
    the first of its list).  None when no require form has that module path."""
    forms = sorted(captures("requires", src.root).get("require", []), key=lambda n: n.start_byte)
    for form in forms:
        if in_datum_comment(form) or in_template(src, form):
            continue
        found = _node_with_span(src, form, module_path)
        if found is None:
            continue
        node = found
        while node.parent is not None and node.parent != form:
            parent = node.parent
            items = items_of(parent)
            head = src.text_of(items[0]) if parent.type == "list" and items else ""
            if head in _NESTING and len(items[1 + _NESTING[head] :]) > 1:
                return _item_removal(src, node)
            node = parent
        items = items_of(form)
        if len(items) > 2 and src.text_of(items[0]) not in _FIRST_ARG_ONLY:
            return _item_removal(src, node)
        return _item_removal(src, form)
    return None


def _node_with_span(src: Source, node: Node, span: Span) -> Node | None:
    if src.span_of(node) == span:
        return node
    for child in node.named_children:
        found = _node_with_span(src, child, span)
        if found is not None:
            return found
    return None


def _item_removal(src: Source, node: Node) -> Span:
    """The span that removes ``node`` from the list it is in."""
    span = src.span_of(node)
    first = src.pos_of_byte(_line_start(src.data, node.start_byte))
    before = src.data[_line_start(src.data, node.start_byte) : node.start_byte]
    line_end = _line_end(src.data, node.end_byte)
    after = src.data[node.end_byte : line_end]
    if not before.strip() and not after.strip():
        # Alone on its lines: the lines go, their line break included.
        nxt = _next_line(src.data, line_end)
        return Span(first, src.pos_of_byte(nxt))
    parent = node.parent
    siblings = list(parent.named_children) if parent is not None else []
    at = next((i for i, n in enumerate(siblings) if n == node), -1)
    items = [n for n in siblings if n.type not in ("comment", "block_comment")]
    prev = next((n for n in reversed(siblings[:at]) if n in items), None) if at >= 0 else None
    following = next((n for n in siblings[at + 1 :] if n in items), None) if at >= 0 else None
    if prev is not None:
        return Span(src.pos_of_byte(prev.end_byte), span.end)
    if following is not None:
        return Span(span.start, src.pos_of_byte(following.start_byte))
    return span


def _line_start(data: bytes, offset: int) -> int:
    return max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1


def _line_end(data: bytes, offset: int) -> int:
    ends = [i for i in (data.find(b"\n", offset), data.find(b"\r", offset)) if i >= 0]
    return min(ends) if ends else len(data)


def _next_line(data: bytes, line_end: int) -> int:
    if data[line_end : line_end + 2] == b"\r\n":
        return line_end + 2
    return min(line_end + 1, len(data))
