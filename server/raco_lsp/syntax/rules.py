"""Pattern-based macros that expand into requires.

A ``define-syntax-rule`` (or ``(define-syntax NAME (syntax-rules ...))``)
whose template holds a ``require`` form requires modules in the module that
*uses* it, not in the module that defines it::

    (define-syntax-rule (provide-all lib ...) (begin (require lib ...) ...))
    (provide-all ffi/unsafe ffi/vector)

This module finds such macros and expands their uses far enough to see the
required module paths: syntax-rules pattern matching (literals, ``_``,
ellipses, dotted tails) and template substitution on plain data read from
the tree-sitter tree.  Procedural macros (``syntax-case``) are not run.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from raco_lsp.core.records import Span
from raco_lsp.syntax.parser import Source, captures, in_datum_comment
from raco_lsp.syntax.requires import RequireSpec, extract_requires, in_template, reader_specs


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Atom:
    text: str


@dataclass(frozen=True)
class Lst:
    items: tuple[Datum, ...]
    tail: Datum | None = None
    open: str = "("


@dataclass(frozen=True)
class Pre:
    """A prefixed datum: ``'x``, ```x``, ``,x``, ``#'x`` and the like."""

    prefix: str
    inner: Datum


Datum = Sym | Atom | Lst | Pre


@dataclass(frozen=True)
class Rule:
    literals: frozenset[str]
    pattern: Datum
    template: Datum


Macros = dict[str, tuple[Rule, ...]]

_PREFIX_NODES = {
    "quote",
    "quasiquote",
    "syntax",
    "quasisyntax",
    "unquote",
    "unquote_splicing",
    "unsyntax",
    "unsyntax_splicing",
}
_CLOSE = {"(": ")", "[": "]", "{": "}"}
ELLIPSIS = Sym("...")
MAX_DEPTH = 4
"""Expansions of expansions looked into (a macro using another macro)."""


def datum_of(src: Source, node: Node) -> Datum:
    if node.type == "symbol":
        return Sym(src.text_of(node))
    if node.type == "list":
        items: list[Datum] = []
        tail: Datum | None = None
        seen_dot = False
        for c in node.named_children:
            if c.type in ("comment", "block_comment") or in_datum_comment(c):
                continue
            if c.type == "dot":
                seen_dot = True
            elif seen_dot:
                tail = datum_of(src, c)
            else:
                items.append(datum_of(src, c))
        opener = src.text_of(node)[:1]
        return Lst(tuple(items), tail, opener if opener in _CLOSE else "(")
    if node.type in _PREFIX_NODES and node.named_children:
        first = node.children[0]
        return Pre(src.text_of(first), datum_of(src, node.named_children[-1]))
    return Atom(src.text_of(node))


def render(d: Datum) -> str:
    if isinstance(d, Sym):
        return d.name
    if isinstance(d, Atom):
        return d.text
    if isinstance(d, Pre):
        return d.prefix + render(d.inner)
    body = " ".join(render(i) for i in d.items)
    if d.tail is not None:
        body += " . " + render(d.tail)
    return d.open + body + _CLOSE[d.open]


# -- finding the macros -------------------------------------------------------


def head_uses(src: Source, name: bytes) -> list[Node]:
    """The lists whose head is the symbol ``name``."""
    out: list[Node] = []
    pattern = re.compile(rb"[(\[{][ \t\r\n]*(" + re.escape(name) + rb")(?=[\s()\[\]{}\"';]|$)")
    for m in pattern.finditer(src.data):
        sym = src.root.descendant_for_byte_range(m.start(1), m.end(1))
        if sym is None or sym.type != "symbol" or src.text_of(sym) != name.decode():
            continue
        lst = sym.parent
        if lst is None or lst.type != "list" or lst.named_child(0) != sym:
            continue
        out.append(lst)
    return out


def _has_require(d: Datum, macros: set[str] | frozenset[str] = frozenset()) -> bool:
    """Does ``d`` hold a require-like form, or a use of one of ``macros``?"""
    if isinstance(d, Lst):
        head = d.items[0] if d.items else None
        if isinstance(head, Sym) and ("require" in head.name or head.name in macros):
            return True
        return any(_has_require(i, macros) for i in d.items) or (
            d.tail is not None and _has_require(d.tail, macros)
        )
    if isinstance(d, Pre):
        return _has_require(d.inner, macros)
    return False


def rule_macros(src: Source) -> Macros:
    """The module's pattern-based macros whose templates require modules,
    directly or through another such macro."""
    if b"require" not in src.data or b"syntax-rule" not in src.data:
        return {}
    out: dict[str, list[Rule]] = {}
    _all_rule_macros(src, out)
    keep = {n for n, rules in out.items() if any(_has_require(r.template) for r in rules)}
    while True:
        more = {
            n
            for n, rules in out.items()
            if n not in keep and any(_has_require(r.template, keep) for r in rules)
        }
        if not more:
            break
        keep |= more
    return {k: tuple(v) for k, v in out.items() if k in keep}


def _all_rule_macros(src: Source, out: dict[str, list[Rule]]) -> None:
    for form in head_uses(src, b"define-syntax-rule"):
        if in_datum_comment(form):
            continue
        d = datum_of(src, form)
        assert isinstance(d, Lst)
        if len(d.items) == 3 and isinstance(d.items[1], Lst) and d.items[1].items:
            name = d.items[1].items[0]
            if isinstance(name, Sym):
                out.setdefault(name.name, []).append(Rule(frozenset(), d.items[1], d.items[2]))
    for form in head_uses(src, b"syntax-rules"):
        parent = form.parent
        if parent is None or parent.type != "list" or in_datum_comment(form):
            continue
        outer = datum_of(src, parent)
        assert isinstance(outer, Lst)
        # (define-syntax NAME (syntax-rules (lit ...) [pattern template] ...))
        if not (
            len(outer.items) == 3
            and outer.items[0] == Sym("define-syntax")
            and isinstance(outer.items[1], Sym)
        ):
            continue
        d = outer.items[2]
        assert isinstance(d, Lst)
        if len(d.items) < 2 or not isinstance(d.items[1], Lst):
            continue
        lits = frozenset(i.name for i in d.items[1].items if isinstance(i, Sym))
        for clause in d.items[2:]:
            if isinstance(clause, Lst) and len(clause.items) == 2:
                out.setdefault(outer.items[1].name, []).append(
                    Rule(lits, clause.items[0], clause.items[1])
                )


# -- matching and substituting -------------------------------------------------


@dataclass(frozen=True)
class _Many:
    """What a pattern variable under an ellipsis matched, once per repetition."""

    each: tuple[object, ...]


Binds = dict[str, object]


def _vars(p: Datum, lits: frozenset[str]) -> set[str]:
    if isinstance(p, Sym):
        return set() if p.name in ("_", "...") or p.name in lits else {p.name}
    if isinstance(p, Lst):
        out: set[str] = set()
        for i in p.items:
            out |= _vars(i, lits)
        if p.tail is not None:
            out |= _vars(p.tail, lits)
        return out
    if isinstance(p, Pre):
        return _vars(p.inner, lits)
    return set()


def _match(p: Datum, f: Datum, lits: frozenset[str], b: Binds) -> bool:
    if isinstance(p, Sym):
        if p.name == "_":
            return True
        if p.name in lits:
            return f == p
        b[p.name] = f
        return True
    if isinstance(p, Atom):
        return isinstance(f, Atom) and f.text == p.text
    if isinstance(p, Pre):
        return isinstance(f, Pre) and f.prefix == p.prefix and _match(p.inner, f.inner, lits, b)
    if not isinstance(f, Lst):
        return False
    items = list(p.items)
    forms = list(f.items)
    if ELLIPSIS in items[1:]:
        at = items.index(ELLIPSIS, 1) - 1
        before, rep, after = items[:at], items[at], items[at + 2 :]
        if len(forms) < len(before) + len(after):
            return False
        cut = len(forms) - len(after)
        if not all(
            _match(x, y, lits, b) for x, y in zip(before, forms[: len(before)], strict=True)
        ):
            return False
        each: list[Binds] = []
        for y in forms[len(before) : cut]:
            sub: Binds = {}
            if not _match(rep, y, lits, sub):
                return False
            each.append(sub)
        for v in _vars(rep, lits):
            b[v] = _Many(tuple(s.get(v) for s in each))
        if not all(_match(x, y, lits, b) for x, y in zip(after, forms[cut:], strict=True)):
            return False
        return p.tail is None or (f.tail is not None and _match(p.tail, f.tail, lits, b))
    if p.tail is None:
        if len(forms) != len(items) or f.tail is not None:
            return False
        return all(_match(x, y, lits, b) for x, y in zip(items, forms, strict=True))
    if len(forms) < len(items):
        return False
    if not all(_match(x, y, lits, b) for x, y in zip(items, forms[: len(items)], strict=True)):
        return False
    rest = Lst(tuple(forms[len(items) :]), f.tail, f.open)
    return _match(p.tail, rest if rest.items else (f.tail or rest), lits, b)


class _NoExpansion(Exception):
    pass


def _subst(t: Datum, b: Binds) -> Datum:
    if isinstance(t, Sym):
        if t.name in b:
            v = b[t.name]
            if isinstance(v, _Many) or v is None:
                raise _NoExpansion
            assert isinstance(v, Sym | Atom | Lst | Pre)
            return v
        return t
    if isinstance(t, Pre):
        return Pre(t.prefix, _subst(t.inner, b))
    if isinstance(t, Atom):
        return t
    out: list[Datum] = []
    items = list(t.items)
    i = 0
    while i < len(items):
        item = items[i]
        if item == ELLIPSIS and i + 1 < len(items) and items[i + 1] == ELLIPSIS:
            out.append(ELLIPSIS)  # (... ...) escapes an ellipsis
            i += 2
            continue
        if i + 1 < len(items) and items[i + 1] == ELLIPSIS:
            if i + 2 < len(items) and items[i + 2] == ELLIPSIS:
                raise _NoExpansion  # x ... ...: not followed
            out.extend(_repeat(item, b))
            i += 2
            continue
        out.append(_subst(item, b))
        i += 1
    tail = _subst(t.tail, b) if t.tail is not None else None
    return Lst(tuple(out), tail, t.open)


def _repeat(t: Datum, b: Binds) -> list[Datum]:
    names = [n for n in _vars(t, frozenset()) if isinstance(b.get(n), _Many)]
    if not names:
        raise _NoExpansion
    counts = {len(b[n].each) for n in names}  # type: ignore[attr-defined]
    if len(counts) != 1:
        raise _NoExpansion
    out = []
    for k in range(counts.pop()):
        sub = dict(b)
        for n in names:
            sub[n] = b[n].each[k]  # type: ignore[attr-defined]
        out.append(_subst(t, sub))
    return out


def expand(rules: tuple[Rule, ...], form: Datum) -> Datum | None:
    """One step of expanding ``form`` with the first rule that matches it."""
    for rule in rules:
        if not isinstance(rule.pattern, Lst) or not isinstance(form, Lst):
            continue
        # The macro's own name (or _) in head position is not matched.
        head_p = Lst(rule.pattern.items[1:], rule.pattern.tail, rule.pattern.open)
        head_f = Lst(form.items[1:], form.tail, form.open)
        b: Binds = {}
        if _match(head_p, head_f, rule.literals, b):
            try:
                return _subst(rule.template, b)
            except _NoExpansion:
                return None
    return None


@dataclass(frozen=True)
class MacroUse:
    """A use of a macro: the form as data, and where its head symbol is."""

    form: Datum
    at: Span


MacroUses = dict[str, list[MacroUse]]


def macro_uses(src: Source, names: Iterable[str]) -> MacroUses:
    """The uses in ``src`` of the macros called ``names`` (not commented
    out, not quoted), by name, in text order."""
    out: MacroUses = {}
    for name in names:
        if name.encode() not in src.data:
            continue
        for use in head_uses(src, name.encode()):
            if in_datum_comment(use) or in_template(src, use):
                continue
            head = use.named_child(0)
            at = src.span_of(head if head is not None else use)
            out.setdefault(name, []).append(MacroUse(datum_of(src, use), at))
    return out


def expansion_requires(uses: MacroUses, macros: Macros, depth: int = 0) -> list[RequireSpec]:
    """The module paths that ``uses`` of ``macros`` require, each shown at
    the use's head symbol."""
    out: list[RequireSpec] = []
    if not macros or depth >= MAX_DEPTH:
        return out
    for name, rules in macros.items():
        for use in uses.get(name, ()):
            expanded = expand(rules, use.form)
            if expanded is None:
                continue
            inner = Source.from_text(render(expanded))
            specs = [
                *reader_specs(inner),
                *extract_requires(inner, captures("requires", inner.root)),
                *macro_requires(inner, macros, depth + 1),
            ]
            out += [RequireSpec(s.kind, s.value, use.at) for s in specs]
    return out


def macro_requires(src: Source, macros: Macros, depth: int = 0) -> list[RequireSpec]:
    """The module paths that uses of ``macros`` in ``src`` require, each
    shown at the use's head symbol."""
    if not macros or depth >= MAX_DEPTH:
        return []
    return expansion_requires(macro_uses(src, macros), macros, depth)
