"""The small static evaluator of info.rkt expressions (plain records).

An info.rkt definition's value is an expression of the restricted `info`
language: literals, quoted and quasiquoted data, references to earlier
definitions, ``if`` and a few primitives (docs/racket-facts.md §10).  The
``Evaluator`` reports what Racket would reject in an expression (an unbound
identifier, a use before definition, misused syntax) and computes the value
where it can (a ``Val``; ``unknown`` where it cannot), for the shape checks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from raco_lsp.info.findings import Findings
from raco_lsp.syntax.info import Datum, InfoSyntax

# What `#lang info` binds (setup/infotab, docs/racket-facts.md §10).
PRIMITIVES = {
    "list",
    "cons",
    "car",
    "cdr",
    "list*",
    "append",
    "reverse",
    "equal?",
    "make-immutable-hash",
    "hash",
    "hash-set",
    "hash-set*",
    "hash-remove",
    "hash-clear",
    "hash-update",
    "string-append",
    "path->string",
    "build-path",
    "collection-path",
    "system-library-subpath",
    "getenv",
}
SYNTAX_FORMS = {"quote", "quasiquote", "unquote", "unquote-splicing", "if", "define", "lib"}
SYNTAX_FORMS |= {"#%app", "#%datum", "#%top"}


@dataclass(frozen=True)
class Val:
    """A statically known value.  ``kind``: string, symbol, number, boolean,
    keyword, char, bytes, regex, list, pair, vector, hash or unknown.
    ``datum`` is where it comes from (for ranges)."""

    kind: str
    datum: Datum
    text: str = ""
    items: tuple[Val, ...] = ()

    @property
    def known(self) -> bool:
        return self.kind != "unknown"


_ATOM_KINDS = {
    "string": "string",
    "here_string": "string",
    "number": "number",
    "decimal": "number",
    "boolean": "boolean",
    "keyword": "keyword",
    "character": "char",
    "byte_string": "bytes",
    "regex": "regex",
    "symbol": "symbol",
}


def _atom(d: Datum) -> Val:
    kind = _ATOM_KINDS.get(d.kind, "unknown")
    text = d.value if d.kind == "string" and d.value is not None else d.text
    if kind == "symbol" and d.text.startswith("|") and d.text.endswith("|"):
        text = d.text[1:-1]
    return Val(kind, d, text)


class Evaluator:
    """Checks info-expr syntax and computes values where it can.  ``env``
    holds the values of the definitions evaluated so far."""

    def __init__(self, info: InfoSyntax, found: Findings) -> None:
        self.info = info
        self.found = found
        self.env: dict[str, Val] = {}
        self.all_names = {d.name for d in info.defines}

    def error(self, d: Datum, message: str, code: str) -> None:
        self.found.add(d.span, message, code)

    def quoted(self, d: Datum) -> Val:
        if d.kind == "list":
            items = d.items
            if len(items) >= 3 and items[-2].kind == "dot":
                return Val("pair", d, items=tuple(self.quoted(i) for i in items if i.kind != "dot"))
            return Val("list", d, items=tuple(self.quoted(i) for i in items))
        if d.kind in ("quote", "quasiquote", "unquote", "unquote_splicing", "syntax"):
            word = {"unquote_splicing": "unquote-splicing"}.get(d.kind, d.kind)
            head = Val("symbol", d, word)
            return Val("list", d, items=(head, *(self.quoted(i) for i in d.items)))
        if d.kind in ("vector", "hash"):
            return Val(d.kind, d)
        return _atom(d)

    def quasi(self, d: Datum, depth: int) -> Val:
        if d.kind == "unquote":
            if depth == 1:
                return self.expr(d.items[0]) if d.items else Val("unknown", d)
            for i in d.items:
                self.quasi(i, depth - 1)
            return Val("unknown", d)
        if d.kind == "quasiquote":
            for i in d.items:
                self.quasi(i, depth + 1)
            return Val("unknown", d)
        if d.kind == "list":
            items: list[Val] = []
            spliced = False
            for i in d.items:
                if i.kind == "unquote_splicing" and depth == 1:
                    v = self.expr(i.items[0]) if i.items else Val("unknown", i)
                    if v.kind == "list":
                        items.extend(v.items)
                    else:
                        spliced = True
                elif i.kind != "dot":
                    items.append(self.quasi(i, depth))
            if spliced or any(i.kind == "dot" for i in d.items):
                return Val("unknown", d)
            return Val("list", d, items=tuple(items))
        if d.kind in ("vector", "hash"):
            return Val(d.kind, d)
        return self.quoted(d)

    def expr(self, d: Datum) -> Val:
        kind = d.kind
        if kind == "quote":
            if not d.items:
                return Val("unknown", d)
            return self.quoted(d.items[0])
        if kind == "quasiquote":
            return self.quasi(d.items[0], 1) if d.items else Val("unknown", d)
        if kind in ("unquote", "unquote_splicing"):
            word = "unquote" if kind == "unquote" else "unquote-splicing"
            self.error(d, f"{word}: not in quasiquote", "info-syntax")
            return Val("unknown", d)
        if kind == "keyword":
            self.error(d, "#%datum: keyword misused as an expression", "info-syntax")
            return Val("unknown", d)
        if kind == "symbol":
            return self.ref(d)
        if kind == "list":
            return self.app(d)
        if kind in ("vector", "hash"):
            return Val(kind, d)
        if kind == "dot":
            self.error(d, "read: illegal use of `.`", "info-syntax")
            return Val("unknown", d)
        if kind == "syntax":
            self.error(d, "syntax: unbound identifier", "info-unbound")
            return Val("unknown", d)
        if kind == "other":
            return Val("unknown", d)  # unreadable text: reported as a syntax error
        return _atom(d)

    def ref(self, d: Datum) -> Val:
        name = d.text
        if name in self.env:
            return self.env[name]
        if name in self.all_names:
            self.error(
                d,
                f"{name}: used before its definition (info.rkt definitions run in order)",
                "info-use-before-definition",
            )
            return Val("unknown", d)
        if name in PRIMITIVES:
            return Val("unknown", d)
        if name in SYNTAX_FORMS:
            self.error(d, f"{name}: bad syntax", "info-syntax")
            return Val("unknown", d)
        self.error(d, _unbound(name), "info-unbound")
        return Val("unknown", d)

    def app(self, d: Datum) -> Val:
        if not d.items:
            self.error(d, "#%app: missing procedure expression", "info-syntax")
            return Val("unknown", d)
        head, args = d.items[0], d.items[1:]
        if head.kind != "symbol":
            for a in d.items:
                self.expr(a)
            return Val("unknown", d)
        name = head.text
        if name == "define":
            self.error(d, "define: not allowed in an expression context", "info-syntax")
            return Val("unknown", d)
        if name == "lib":
            self.error(
                d, "lib: misuse of module-path constructor (not within `require`)", "info-syntax"
            )
            return Val("unknown", d)
        if name in ("quote", "quasiquote", "unquote", "unquote-splicing"):
            # `(quote a b)`: the one-argument forms were read as abbreviations.
            self.error(d, f"{name}: bad syntax", "info-syntax")
            return Val("unknown", d)
        if name == "if":
            if len(args) != 3:
                self.error(d, "if: bad syntax (needs a test, a then and an else)", "info-syntax")
            for a in args:
                self.expr(a)
            return Val("unknown", d)
        if name in ("#%app", "#%top", "#%datum"):
            return Val("unknown", d)
        if name not in PRIMITIVES and name not in self.env and name not in self.all_names:
            self.error(head, _unbound(name), "info-unbound")
            for a in args:
                self.expr(a)
            return Val("unknown", d)
        if name not in PRIMITIVES:
            self.ref(head)
        vals = [self.expr(a) for a in args]
        return _apply(name, vals, d)


def static_values(info: InfoSyntax) -> dict[str, Val]:
    """Each definition's value as far as it is statically known (the first
    definition of a name; problems are not reported)."""
    ev = Evaluator(info, Findings(Path("info.rkt"), "info.rkt"))
    for d in info.defines:
        if d.value is not None and d.name not in ev.env:
            ev.env[d.name] = ev.expr(d.value)
    return ev.env


def _unbound(name: str) -> str:
    near = difflib.get_close_matches(name, sorted(PRIMITIVES), n=1, cutoff=0.8)
    hint = f"; did you mean `{near[0]}`?" if near else " (info.rkt allows only a few primitives)"
    return f"{name}: unbound identifier{hint}"


def _apply(name: str, vals: list[Val], d: Datum) -> Val:
    if not all(v.known for v in vals):
        return Val("unknown", d)
    if name == "list":
        return Val("list", d, items=tuple(vals))
    if name == "cons" and len(vals) == 2 and vals[1].kind == "list":
        return Val("list", d, items=(vals[0], *vals[1].items))
    if name == "list*" and vals and vals[-1].kind == "list":
        return Val("list", d, items=(*vals[:-1], *vals[-1].items))
    if name == "append" and all(v.kind == "list" for v in vals):
        return Val("list", d, items=tuple(i for v in vals for i in v.items))
    if name == "reverse" and len(vals) == 1 and vals[0].kind == "list":
        return Val("list", d, items=tuple(reversed(vals[0].items)))
    if name == "string-append" and all(v.kind == "string" for v in vals):
        return Val("string", d, "".join(v.text for v in vals))
    return Val("unknown", d)
