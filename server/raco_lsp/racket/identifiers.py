"""Identifier analysis: check-syntax's view of one saved module, as records.

The compile agent's ``analyze`` op (``data/identifiers.rkt``) expands the
module in a fresh namespace against its compiled dependencies and reports
binding arrows, the files and names imported identifiers come from,
definition sites, mouse-over texts, unused requires, installed
documentation (page, anchor, blue box), Typed Racket's types and the
identifiers in scope (``data/scope.rkt``: module-level bindings, local
binders), in Racket positions;
``read_analysis`` turns that answer into an ``Analysis`` with character
positions of the text that was analysed (never raising on a bad answer).
When a later text does not expand, ``carried_over`` keeps the last good
analysis, its positions mapped to the new text where that text is unchanged,
marked stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import TextIndex

T = TypeVar("T")

DELIMITERS = "()[]{}\",'`;"
"""What ends a token in Racket's reader, besides whitespace."""


@dataclass(frozen=True)
class Arrow:
    """A binding (``binder``: a definition, a local binder, or the require
    spec of an import) and one use of it."""

    binder: Span
    use: Span
    imported: bool
    phase: int | None


@dataclass(frozen=True)
class Jump:
    """An imported identifier: ``name`` as the module ``file`` defines it."""

    span: Span
    name: str
    file: Path
    submodules: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """A definition site: ``name`` defined at ``span`` (in ``submodules``)."""

    span: Span
    name: str
    submodules: tuple[str, ...]


@dataclass(frozen=True)
class DocEntry:
    """A binding's installed documentation: the HTML page (``file``, when
    installed) and its ``anchor``, the index entry's ``label`` and the blue
    box lines (the first is the kind: procedure, syntax, ...)."""

    file: Path | None
    anchor: str
    label: str
    bluebox: tuple[str, ...]


@dataclass(frozen=True)
class Doc(DocEntry):
    """An identifier of the text (at ``span``) with installed documentation."""

    span: Span


def read_doc_entry(row: Any) -> DocEntry | None:
    """A ``doc_entries`` row (``[html-file, anchor, label, [line ...]]``), or
    None when it is not one."""
    if not (isinstance(row, list) and len(row) == 4):
        return None
    file, anchor, label, lines = row
    return DocEntry(
        Path(file) if isinstance(file, str) else None,
        anchor if isinstance(anchor, str) else "",
        label if isinstance(label, str) else "",
        tuple(x for x in lines if isinstance(x, str)) if isinstance(lines, list) else (),
    )


@dataclass(frozen=True)
class InScope:
    """A module-level binding of the module body (phase 0): ``kind``
    procedure, variable or syntax; ``origin`` definition, require or lang;
    ``module`` as the require names it; ``file`` and ``id``: the defining
    module and its name there; ``arities`` (min, max or None) of an
    installation procedure; ``params``: the signatures of a procedure the
    module defines (``[b]`` optional, ``r ...`` rest); ``keywords``: an
    installation procedure's keywords (``#:key``) and whether each is required."""

    name: str
    kind: str
    origin: str
    module: str | None
    file: Path | None
    id: str
    arities: tuple[tuple[int, int | None], ...] | None
    params: tuple[tuple[str, ...], ...] | None
    keywords: tuple[tuple[str, bool], ...] | None


@dataclass(frozen=True)
class Local:
    """A local binder and the span of the binding form around it (its scope,
    approximately); ``params`` when it is bound to a procedure."""

    span: Span
    name: str
    scope: Span
    params: tuple[tuple[str, ...], ...] | None


@dataclass(frozen=True)
class Analysis:
    arrows: tuple[Arrow, ...] = ()
    mouse: tuple[tuple[Span, str], ...] = ()
    jumps: tuple[Jump, ...] = ()
    targets: tuple[Target, ...] = ()
    unused: tuple[Span, ...] = ()
    """check-syntax's unused requires: the module path of each spec."""
    docs: tuple[Doc, ...] = ()
    types: tuple[tuple[Span, str], ...] = ()
    """Typed Racket's type tooltips."""
    stale: str | None = None
    """Why this is the last good analysis of an earlier text (the first line
    of the error of the current one), or None: the current text's."""
    fresh_until: Pos | None = None
    """Stale: where the current text starts to differ from the analysed one
    (at the text's end when it does not)."""

    scope: tuple[InScope, ...] = ()
    locals: tuple[Local, ...] = ()
    lines: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """The analysed text's lines (the current one's, when stale)."""

    def usable_at(self, pos: Pos) -> bool:
        """Whether answers at ``pos`` may come from this analysis: it is the
        current text's, or only text after ``pos`` changed since."""
        until = self.fresh_until
        return until is None or (pos.line, pos.col) < (until.line, until.col)

    def at(self, pos: Pos, items: Iterable[tuple[Span, T]]) -> list[T]:
        """The items whose span holds ``pos`` (``contains``), in order; those
        that only end at ``pos`` are left out when a word goes on there: the
        cursor between two adjacent tokens (``#'e``: ``syntax`` on the ``#'``,
        then ``e``) is on the one after it, as editors read a cursor at a
        word's start."""
        holding = [(span, item) for span, item in items if contains(span, pos)]
        if self._word_at(pos):
            holding = [(span, item) for span, item in holding if span.end != pos]
        return [item for _, item in holding]

    def _word_at(self, pos: Pos) -> bool:
        """Whether the character at ``pos`` of the analysed text is part of a
        token (no delimiter: whitespace, a paren, a quote, ...)."""
        line = self.lines[pos.line] if pos.line < len(self.lines) else ""
        return pos.col < len(line) and not (line[pos.col].isspace() or line[pos.col] in DELIMITERS)

    def binding_at(self, pos: Pos) -> tuple[Span, list[Arrow]] | None:
        """The binder of the identifier at ``pos`` (a binder or a use) and its
        arrows; imported bindings (whose binder is the require spec) too."""
        holding = self.at(
            pos,
            (
                (span, a)
                for a in self.arrows
                for span in ([a.use] if a.imported else [a.use, a.binder])
            ),
        )
        if not holding:
            return None
        # An import from a submodule of this file also has an arrow from its
        # definition here: that one (`(require 'sub)`, `prefix-in`).  Where a
        # macro made several binders of one name, the first in the text (the
        # arrows come in check-syntax's hash order).
        local = sorted((h for h in holding if not h.imported), key=lambda h: h.binder)
        a = local[0] if local else holding[0]
        binder = a.binder
        if a.imported:
            # One import: the arrows from this spec to uses of the same name.
            name_span = a.use
            jump = self.jump_at(name_span.start)
            same = [
                b
                for b in self.arrows
                if b.binder == binder
                and (j := self.jump_at(b.use.start)) is not None
                and jump is not None
                and (j.name, j.file) == (jump.name, jump.file)
            ]
            return binder, same or [a]
        return binder, [b for b in self.arrows if b.binder == binder]

    def binders_at(self, pos: Pos) -> list[Span]:
        """Where the identifier at ``pos`` is bound in this module, in text
        order: at a use, the binder of each of its arrows (a macro can make
        several binders of one name: ``define-generics``' fast defaults); at
        a binder, itself.  Empty for an imported identifier."""
        uses = self.at(pos, ((a.use, a) for a in self.arrows))
        if uses:
            # an import from a submodule of this file has both kinds: its definition
            return sorted({a.binder for a in uses if not a.imported})
        binding = self.binding_at(pos)
        return [] if binding is None or binding[1][0].imported else [binding[0]]

    def jump_at(self, pos: Pos) -> Jump | None:
        return next(iter(self.at(pos, ((j.span, j) for j in self.jumps))), None)

    def mouse_at(self, pos: Pos) -> list[tuple[Span, str]]:
        return self.at(pos, ((m[0], m) for m in self.mouse))

    def doc_at(self, pos: Pos) -> Doc | None:
        return next(iter(self.at(pos, ((d.span, d) for d in self.docs))), None)

    def types_at(self, pos: Pos) -> list[tuple[Span, str]]:
        return self.at(pos, ((t[0], t) for t in self.types))

    def target_of(self, name: str, submodules: tuple[str, ...]) -> Target | None:
        """Where the module defines ``name`` in ``submodules``."""
        return next(
            (t for t in self.targets if t.name == name and t.submodules == submodules), None
        )

    def target_named(self, name: str, submodules: tuple[str, ...]) -> Target | None:
        """Where the module defines ``name``: in ``submodules``, else anywhere."""
        return self.target_of(name, submodules) or next(
            (t for t in self.targets if t.name == name), None
        )

    def locals_at(self, pos: Pos) -> list[Local]:
        """The local binders whose scope holds ``pos``, innermost first, one per name."""
        inside = [b for b in self.locals if contains(b.scope, pos) and not contains(b.span, pos)]
        inside.sort(key=lambda b: (b.scope.start.line, b.scope.start.col), reverse=True)
        innermost: dict[str, Local] = {}
        for b in inside:
            innermost.setdefault(b.name, b)
        return list(innermost.values())

    def in_scope_named(self, name: str) -> InScope | None:
        return next((b for b in self.scope if b.name == name), None)


def contains(span: Span, pos: Pos) -> bool:
    """Whether ``pos`` is on the (non-empty) ``span``, its end included (the
    cursor right after an identifier is on it)."""
    if span.start == span.end:
        return False
    return (
        (span.start.line, span.start.col)
        <= (pos.line, pos.col)
        <= (
            span.end.line,
            span.end.col,
        )
    )


def read_analysis(answer: dict[str, Any], text: str) -> tuple[Analysis | None, list[str]]:
    """The agent's ``analysis`` event as an ``Analysis`` of ``text``, or None
    and why (the module did not expand, or the answer is malformed).
    Zero-width entries (introduced by macros, no source text) are left out."""
    if answer.get("cancelled"):
        return None, ["cancelled"]
    if isinstance(answer.get("error"), str):
        return None, [answer["error"]]
    index = TextIndex(text)
    problems: list[str] = []

    def span(left: Any, right: Any) -> Span | None:
        if not (isinstance(left, int) and isinstance(right, int)) or right <= left or left < 0:
            return None
        return Span(index.pos_of_offset(left), index.pos_of_offset(right))

    def rows(key: str, width: int) -> list[list[Any]]:
        value = answer.get(key)
        if not isinstance(value, list):
            problems.append(f"no {key} in the analysis")
            return []
        return [r for r in value if isinstance(r, list) and len(r) == width]

    def names(value: Any) -> tuple[str, ...]:
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    arrows = []
    for sl, sr, el, er, imported, phase in rows("arrows", 6):
        b, u = span(sl, sr), span(el, er)
        if b is not None and u is not None:
            arrows.append(Arrow(b, u, imported is True, phase if isinstance(phase, int) else None))
    mouse = []
    for left, right, txt in rows("mouse", 3):
        s = span(left, right)
        if s is not None and isinstance(txt, str):
            mouse.append((s, txt))
    jumps = []
    for left, right, name, file, subs in rows("jumps", 5):
        s = span(left, right)
        if s is not None and isinstance(name, str) and isinstance(file, str):
            jumps.append(Jump(s, name, Path(file), names(subs)))
    targets = []
    for left, right, name, subs in rows("targets", 4):
        s = span(left, right)
        if s is not None and isinstance(name, str):
            targets.append(Target(s, name, names(subs)))
    unused = []
    for left, right in rows("unused", 2):
        s = span(left, right)
        if s is not None:
            unused.append(s)
    entries = [read_doc_entry(r) for r in rows("doc_entries", 4)]
    docs = []
    for left, right, entry in rows("docs", 3):
        s = span(left, right)
        if s is not None and isinstance(entry, int) and 0 <= entry < len(entries):
            e = entries[entry]
            if e is not None:
                docs.append(Doc(e.file, e.anchor, e.label, e.bluebox, s))
    types = []
    for left, right, txt in rows("types", 3):
        s = span(left, right)
        if s is not None and isinstance(txt, str):
            types.append((s, txt))
    arrows.sort(key=lambda a: (a.use.start.line, a.use.start.col))
    unused.sort(key=lambda s: (s.start.line, s.start.col))
    scope, local = _read_scope(answer, span)
    return (
        Analysis(
            tuple(arrows),
            tuple(mouse),
            tuple(jumps),
            tuple(targets),
            tuple(dict.fromkeys(unused)),
            tuple(docs),
            tuple(types),
            scope=scope,
            locals=local,
            lines=tuple(index.lines),
        ),
        problems,
    )


def carried_over(good: Analysis, old: str, new: str, why: str) -> Analysis:
    """``good`` (the analysis of ``old``) for the text ``new``, which did not
    expand (``why``): spans mapped where the text around them is unchanged
    (before the first change, or after the last one, with a character of
    unchanged text on the far side), the others left out."""
    prefix = _common_prefix(old, new)
    limit = min(len(old), len(new)) - prefix
    suffix = _common_prefix(old[::-1][:limit], new[::-1][:limit])
    old_index, new_index = TextIndex(old), TextIndex(new)
    tail, delta = len(old) - suffix, len(new) - len(old)

    def moved(span: Span) -> Span | None:
        start, end = old_index.index_of(span.start), old_index.index_of(span.end)
        if end < prefix:
            return span
        if start > tail:
            return Span(new_index.pos_at(start + delta), new_index.pos_at(end + delta))
        return None

    arrows = []
    for a in good.arrows:
        binder, use = moved(a.binder), moved(a.use)
        if binder is not None and use is not None:
            arrows.append(replace(a, binder=binder, use=use))
    mouse = [(s, t) for s0, t in good.mouse if (s := moved(s0)) is not None]
    jumps = [replace(j, span=s) for j in good.jumps if (s := moved(j.span)) is not None]
    targets = [replace(t, span=s) for t in good.targets if (s := moved(t.span)) is not None]
    unused = [s for s0 in good.unused if (s := moved(s0)) is not None]
    docs = [replace(d, span=s) for d in good.docs if (s := moved(d.span)) is not None]
    types = [(s, t) for s0, t in good.types if (s := moved(s0)) is not None]
    local = [
        replace(v, span=s, scope=sc)
        for v in good.locals
        if (s := moved(v.span)) is not None and (sc := moved(v.scope)) is not None
    ]
    return replace(
        good,
        arrows=tuple(arrows),
        mouse=tuple(mouse),
        jumps=tuple(jumps),
        targets=tuple(targets),
        unused=tuple(unused),
        docs=tuple(docs),
        types=tuple(types),
        locals=tuple(local),
        lines=tuple(new_index.lines),
        stale=(why.strip().splitlines() or [""])[0],
        fresh_until=new_index.pos_at(prefix) if prefix < len(new) else Pos(len(new_index.lines), 0),
    )


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (bisection on slices: fast on
    megabytes of text)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


SHARED_MAX = 50_000
"""Bindings kept for sharing between analyses (most modules' language is the same)."""

_SHARED: dict[Any, InScope] = {}


def _frozen(v: Any) -> Any:
    return tuple(_frozen(x) for x in v) if isinstance(v, list) else v


def _read_scope(
    answer: dict[str, Any], span: Callable[[Any, Any], Span | None]
) -> tuple[tuple[InScope, ...], tuple[Local, ...]]:
    """The ``scope`` and ``locals`` keys (``data/scope.rkt``); bad rows are left out."""

    def strs(v: Any) -> tuple[str, ...] | None:
        return tuple(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else None

    def sigs(v: Any) -> tuple[tuple[str, ...], ...] | None:
        if not isinstance(v, list):
            return None
        out = [strs(s) for s in v]
        return tuple(s for s in out if s is not None) or None

    def arities(v: Any) -> tuple[tuple[int, int | None], ...] | None:
        if not isinstance(v, list):
            return None
        out = tuple(
            (lo, hi)
            for lo, hi in (a for a in v if isinstance(a, list) and len(a) == 2)
            if isinstance(lo, int) and (hi is None or isinstance(hi, int))
        )
        return out or None

    def keywords(v: Any) -> tuple[tuple[str, bool], ...] | None:
        if not isinstance(v, list):
            return None
        return tuple(
            (k, r)
            for k, r in (x for x in v if isinstance(x, list) and len(x) == 2)
            if isinstance(k, str) and isinstance(r, bool)
        )

    scope = []
    rows = answer.get("scope")
    for r in rows if isinstance(rows, list) else []:
        if not (isinstance(r, list) and len(r) == 9):
            continue
        key = _frozen(r)
        entry = _SHARED.get(key)
        if entry is None:
            name, kind, origin, module, file, ident, ar, params, kws = r
            if not all(isinstance(x, str) for x in (name, kind, origin, ident)):
                continue
            entry = InScope(
                name,
                kind,
                origin,
                module if isinstance(module, str) else None,
                Path(file) if isinstance(file, str) else None,
                ident,
                arities(ar),
                sigs(params),
                keywords(kws),
            )
            if len(_SHARED) >= SHARED_MAX:
                _SHARED.clear()
            _SHARED[key] = entry
        scope.append(entry)
    local = []
    rows = answer.get("locals")
    for r in rows if isinstance(rows, list) else []:
        if not (isinstance(r, list) and len(r) == 6) or not isinstance(r[2], str):
            continue
        b, sc = span(r[0], r[1]), span(r[3], r[4])
        if b is not None and sc is not None:
            local.append(Local(b, r[2], sc, sigs(r[5])))
    return tuple(scope), tuple(local)
