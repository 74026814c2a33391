"""Static validation of info.rkt files (plain records, no LSP types).

``validate_info`` reads the text with tree-sitter (``syntax/info.py``),
checks the info-module grammar of the raco manual §6.4 (only ``define``s,
only the allowed primitives, no duplicates, ``#lang info``/``setup/infotab``),
evaluates what it can statically and checks each known field's value shape
(``info_catalog``), parallel launcher lists and referenced files.  Every
problem is at the range of the offending expression, and some carry quick
fixes (``Fix``).  Racket's own ``get-info`` is the ground truth for what the
static checks cannot see: see ``racket/info.py``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.records import Problem, Related, Severity, Span
from raco_lsp.info.catalog import (
    DISTRIBUTION_PREFERENCES,
    FIELDS,
    PARALLEL,
    SCRIBBLINGS_FLAGS,
    Field,
)
from raco_lsp.syntax.info import Datum, Define, InfoSyntax, parse_info

SOURCE = "info.rkt"

INFO_LANGS = {"info", "setup/infotab"}
# Module languages of the expanded (module info <lang> ...) form (§6.4).
INFO_MODULE_LANGS = {
    "info",
    "setup/infotab",
    '(lib "info/main.rkt")',
    '(lib "setup/infotab.ss")',
    '(lib "setup/infotab.rkt")',
    '(lib "main.rkt" "info")',
    '(lib "infotab.rkt" "setup")',
    '(lib "infotab.ss" "setup")',
}
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
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|(0|[1-9][0-9]?)(\.(0|[1-9][0-9]{0,2})){0,2}(?<!\.0))$")


@dataclass(frozen=True)
class Fix:
    """A quick fix: replace ``span`` with ``new_text``."""

    title: str
    span: Span
    new_text: str


@dataclass(frozen=True)
class Finding:
    problem: Problem
    fixes: tuple[Fix, ...] = ()


# -- static values -------------------------------------------------------------


@dataclass(frozen=True)
class Val:
    """A statically known value.  ``kind``: string, symbol, number, boolean,
    keyword, char, bytes, regex, list, pair, vector, hash or unknown.
    ``datum`` is where it comes from (for ranges); ``quoted`` tells whether
    the list was written as data (so its items' ranges are exact)."""

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


class _Evaluator:
    """Checks info-expr syntax and computes values where it can."""

    def __init__(self, info: InfoSyntax, path: Path, out: list[Finding]) -> None:
        self.info = info
        self.path = path
        self.out = out
        self.env: dict[str, Val] = {}
        self.all_names = {d.name for d in info.defines}

    def error(self, d: Datum, message: str, code: str) -> None:
        self.out.append(Finding(_problem(self.path, d.span, Severity.ERROR, message, code)))

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


def _problem(
    path: Path,
    span: Span,
    severity: Severity,
    message: str,
    code: str,
    related: tuple[Related, ...] = (),
) -> Problem:
    return Problem(path, span, severity, message, SOURCE, code, related)


# -- shape checks ---------------------------------------------------------------


@dataclass
class _Checker:
    path: Path
    out: list[Finding]
    check_files: bool
    exists: Callable[[Path], bool] = field(default=lambda p: os.path.exists(p))

    def add(
        self,
        v: Val | Datum,
        message: str,
        code: str,
        severity: Severity = Severity.ERROR,
        fixes: tuple[Fix, ...] = (),
    ) -> None:
        d = v.datum if isinstance(v, Val) else v
        self.out.append(Finding(_problem(self.path, d.span, severity, message, code), fixes))

    def list_of(self, v: Val, what: str, fname: str) -> tuple[Val, ...] | None:
        if v.kind == "list":
            return v.items
        if v.known:
            self.add(v, f"{fname}: expected {what}, found {_describe(v)}", "info-shape")
        return None

    def string(self, v: Val, fname: str, what: str = "a string") -> bool:
        if v.kind == "string" or not v.known:
            return True
        self.add(v, f"{fname}: expected {what}, found {_describe(v)}", "info-shape")
        return False

    def check(self, f: Field, v: Val) -> None:
        getattr(self, "shape_" + f.shape.replace("-", "_"), self.shape_any)(f, v)

    def shape_any(self, f: Field, v: Val) -> None:
        return

    def shape_string(self, f: Field, v: Val) -> None:
        self.string(v, f.name)

    def shape_collection(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text not in ("multi", "use-pkg-name"):
            self.add(
                v,
                f"collection: expected a string, 'multi or 'use-pkg-name, found '{v.text}",
                "info-shape",
            )
        elif v.kind not in ("symbol", "string", "unknown"):
            self.add(v, f"collection: expected a string, found {_describe(v)}", "info-shape")

    def shape_version(self, f: Field, v: Val) -> None:
        if v.known and v.kind != "string":
            # Old collection-level info files use a list here; raco pkg ignores them.
            self.add(
                v,
                f"version: expected a version string, found {_describe(v)}",
                "info-version",
                Severity.WARNING,
            )
            return
        if v.kind == "string" and not _VERSION.match(v.text):
            self.add(
                v,
                f'version: "{v.text}" is not a valid version (expected forms like "1.0", '
                '"1.2.3", "8.7.0.3": no leading zeros, no trailing ".0" part)',
                "info-version",
            )

    def shape_deps(self, f: Field, v: Val) -> None:
        items = self.list_of(v, "a list of dependencies", f.name)
        for item in items or ():
            if item.kind in ("string", "unknown"):
                continue
            if (
                item.kind != "list"
                or not item.items
                or item.items[0].kind
                not in (
                    "string",
                    "unknown",
                )
            ):
                self.add(
                    item,
                    f'{f.name}: each entry must be "pkg" or (list "pkg" \'#:version "v" ...), '
                    f"found {_describe(item)}",
                    "info-deps",
                )
                continue
            rest = item.items[1:]
            if len(rest) == 1 and rest[0].kind == "string":
                # The deprecated ("pkg" "version") form.
                if not _VERSION.match(rest[0].text):
                    self.add(
                        rest[0],
                        f'{f.name}: "{rest[0].text}" is not a valid version',
                        "info-version",
                    )
                continue
            i = 0
            seen: set[str] = set()
            while i < len(rest):
                kw = rest[i]
                if not kw.known:
                    i += 2
                    continue
                if kw.kind == "keyword" and kw.text in seen:
                    self.add(kw, f"{f.name}: {kw.text} appears twice in one entry", "info-deps")
                    break
                seen.add(kw.text)
                if kw.kind != "keyword" or kw.text not in ("#:version", "#:platform"):
                    self.add(
                        kw,
                        f"{f.name}: expected '#:version or '#:platform, found {_describe(kw)}",
                        "info-deps",
                    )
                    break
                if i + 1 >= len(rest):
                    self.add(kw, f"{f.name}: {kw.text} needs a value", "info-deps")
                    break
                val = rest[i + 1]
                if kw.text == "#:version" and val.kind == "string" and not _VERSION.match(val.text):
                    self.add(val, f'{f.name}: "{val.text}" is not a valid version', "info-version")
                elif kw.text == "#:version":
                    self.string(val, f.name, "a version string")
                elif val.kind == "symbol" and val.text not in ("unix", "windows", "macosx"):
                    self.add(
                        val,
                        f"{f.name}: a #:platform symbol must be 'unix, 'windows or 'macosx "
                        "(compared with (system-type))",
                        "info-deps",
                    )
                elif val.known and val.kind not in ("symbol", "string", "regex"):
                    self.add(
                        val,
                        f"{f.name}: #:platform expects a symbol, string or regexp, found "
                        f"{_describe(val)}",
                        "info-deps",
                    )
                i += 2

    def shape_implies(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "core":
            return
        for item in self.list_of(v, "a list of package names", f.name) or ():
            if item.kind == "symbol" and item.text == "core":
                continue
            self.string(item, f.name, "a package name string")

    def shape_string_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of strings", f.name) or ():
            self.string(item, f.name)

    def shape_authors(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of strings or symbols", f.name) or ():
            if item.known and item.kind not in ("string", "symbol"):
                self.add(item, f"{f.name}: expected a string or symbol", "info-shape")

    def shape_license(self, f: Field, v: Val) -> None:
        if v.known and v.kind not in ("symbol", "list", "string"):
            self.add(v, f"license: expected an SPDX expression, found {_describe(v)}", "info-shape")

    def shape_distribution_preference(self, f: Field, v: Val) -> None:
        if v.known and (v.kind != "symbol" or v.text not in DISTRIBUTION_PREFERENCES):
            self.add(
                v, "distribution-preference: expected 'source, 'built or 'binary", "info-shape"
            )

    def shape_setup_collects(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "all":
            return
        for item in self.list_of(v, "a list of collection paths or 'all", f.name) or ():
            if item.kind == "list":
                for s in item.items:
                    self.string(s, f.name)
            else:
                self.string(item, f.name)

    def shape_package_content_state(self, f: Field, v: Val) -> None:
        return

    def shape_path_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of path strings", f.name) or ():
            if self.string(item, f.name, "a path string") and item.kind == "string":
                self.path_exists(f, item)

    def shape_path(self, f: Field, v: Val) -> None:
        if self.string(v, f.name, "a path string") and v.kind == "string":
            self.path_exists(f, v)

    def shape_omit_paths(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "all":
            return
        for item in self.list_of(v, "a list of paths or 'all", f.name) or ():
            if item.kind == "regex":
                continue
            if self.string(item, f.name, "a path string or regexp") and item.kind == "string":
                self.path_exists(f, item)

    def shape_bytes_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of byte strings", f.name) or ():
            if item.known and item.kind != "bytes":
                self.add(
                    item,
                    f'{f.name}: expected a byte string such as #"rhm"',
                    "info-shape",
                    Severity.WARNING,
                )

    def shape_launcher_flags(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of flag lists", f.name) or ():
            for s in self.list_of(item, "a list of strings", f.name) or ():
                self.string(s, f.name)

    def shape_install_platform(self, f: Field, v: Val) -> None:
        if v.known and v.kind not in ("symbol", "string", "regex"):
            self.add(v, "install-platform: expected a symbol, string or regexp", "info-shape")

    def _module_entries(self, f: Field, v: Val, second: str) -> None:
        for item in self.list_of(v, "a list of lists", f.name) or ():
            parts = self.list_of(item, f"(list module-path {second})", f.name)
            if parts is None:
                continue
            if len(parts) != 2:
                self.add(
                    item, f"{f.name}: each entry must be (list module-path {second})", "info-shape"
                )
                continue
            if f.name == "test-responsibles" and parts[0].kind == "symbol":
                if parts[0].text != "all":
                    self.add(
                        parts[0], "test-responsibles: expected a path string or 'all", "info-shape"
                    )
            elif (
                self.string(parts[0], f.name, "a module path string") and parts[0].kind == "string"
            ):
                self.path_exists(f, parts[0])
            yield_second = parts[1]
            if f.name == "test-timeouts" and yield_second.known and yield_second.kind != "number":
                self.add(yield_second, "test-timeouts: expected a number of seconds", "info-shape")
            if f.name == "test-lock-names":
                self.string(yield_second, f.name)
            if f.name == "test-command-line-arguments":
                for s in self.list_of(yield_second, "a list of strings", f.name) or ():
                    self.string(s, f.name)

    def shape_test_args(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "(list argument ...)")

    def shape_test_timeouts(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "seconds")

    def shape_test_responsibles(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "party")

    def shape_test_lock_names(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "lock-name")

    def shape_raco_commands(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of command entries", f.name) or ():
            if not item.known:
                continue
            if item.kind != "list" or len(item.items) != 4:
                n = len(item.items) if item.kind == "list" else 0
                self.add(
                    item,
                    "raco-commands: each entry must be a 4-element list (command-string "
                    f"module-path description-string prominence), found "
                    f"{f'{n} elements' if item.kind == 'list' else _describe(item)}",
                    "info-raco-commands",
                )
                continue
            cmd, _mod, desc, prominence = item.items
            self.string(cmd, f.name, "a command-name string")
            self.string(desc, f.name, "a description string")
            if prominence.known and not (
                prominence.kind == "number" or (prominence.kind == "boolean" and _false(prominence))
            ):
                self.add(
                    prominence,
                    "raco-commands: prominence must be a number or #f",
                    "info-raco-commands",
                )

    def shape_scribblings(self, f: Field, v: Val) -> None:
        for doc in self.list_of(v, "a list of document entries", f.name) or ():
            if not doc.known:
                continue
            if doc.kind != "list" or not doc.items:
                self.add(
                    doc,
                    "scribblings: each document must be a list starting with its source file",
                    "info-scribblings",
                )
                continue
            parts = doc.items
            src = parts[0]
            if self.string(src, f.name, "a source path string") and src.kind == "string":
                if os.path.isabs(src.text) or not src.text:
                    self.add(
                        src, "scribblings: the source must be a relative path", "info-scribblings"
                    )
                else:
                    self.scribbling_source(src)
            if len(parts) > 1:
                self.flags(parts[1])
            if len(parts) > 2 and parts[2].known:
                cat = parts[2]
                if (
                    cat.kind != "list"
                    or not cat.items
                    or cat.items[0].kind
                    not in (
                        "symbol",
                        "string",
                        "unknown",
                    )
                ):
                    self.add(
                        cat,
                        "scribblings: a category must be a list starting with a "
                        "symbol, e.g. (library)",
                        "info-scribblings",
                    )
                elif len(cat.items) > 2:
                    self.add(
                        cat,
                        "scribblings: a category is (list symbol) or (list symbol sort-number)",
                        "info-scribblings",
                    )
                elif len(cat.items) > 1 and cat.items[1].known and cat.items[1].kind != "number":
                    self.add(
                        cat.items[1],
                        "scribblings: a category's sort position must be a number",
                        "info-scribblings",
                    )
            if (
                len(parts) > 3
                and parts[3].known
                and not (parts[3].kind == "string" or _false(parts[3]))
            ):
                self.add(
                    parts[3],
                    "scribblings: the document name must be a string or #f",
                    "info-scribblings",
                )
            if len(parts) > 4 and parts[4].known and not _positive_int(parts[4]):
                self.add(
                    parts[4], "scribblings: out-k must be a positive integer", "info-scribblings"
                )
            if len(parts) > 5 and parts[5].known and parts[5].kind != "number":
                self.add(parts[5], "scribblings: order-n must be a real number", "info-scribblings")
            if len(parts) > 6:
                self.add(
                    parts[6],
                    "scribblings: a document entry has at most 6 elements",
                    "info-scribblings",
                )

    def flags(self, flags: Val) -> None:
        if not flags.known:
            return
        if flags.kind != "list":
            self.add(
                flags,
                "scribblings: flags must be a list of mode symbols, e.g. (multi-page)",
                "info-scribblings",
            )
            return
        for flag in flags.items:
            if not flag.known:
                continue
            if flag.kind != "symbol":
                self.add(
                    flag,
                    f"scribblings: a flag must be a symbol, found {_describe(flag)}",
                    "info-flag",
                )
            elif flag.text not in SCRIBBLINGS_FLAGS:
                near = difflib.get_close_matches(
                    flag.text, list(SCRIBBLINGS_FLAGS), n=1, cutoff=0.6
                )
                fixes = (
                    (Fix(f"Change to '{near[0]}'", flag.datum.span, near[0]),)
                    if near and flag.datum.kind == "symbol"
                    else ()
                )
                hint = f"; did you mean '{near[0]}?" if near else ""
                self.add(
                    flag, f"scribblings: unknown flag '{flag.text}{hint}", "info-flag", fixes=fixes
                )

    def scribbling_source(self, src: Val) -> None:
        if not self.check_files:
            return
        rel = src.text
        target = self.path.parent / rel
        if self.exists(target):
            return
        # A pre-rendered doc/<name>/ directory makes the source optional.
        stem = Path(rel).stem
        if self.exists(self.path.parent / "doc" / stem):
            return
        self.add(
            src,
            f'scribblings: "{rel}" does not exist (relative to {self.path.parent})',
            "info-missing-file",
        )

    def path_exists(self, f: Field, v: Val) -> None:
        if not self.check_files or not f.paths or not v.text:
            return
        if os.path.isabs(v.text):
            return
        target = self.path.parent / v.text
        if self.exists(target):
            return
        if f.paths == "module" and self.exists(target.with_suffix(".rkt")):
            return
        # A collection can be spread over several directories (packages), so a
        # missing file here is a warning; raco setup decides.
        self.add(
            v,
            f'{f.name}: "{v.text}" does not exist (relative to {self.path.parent})',
            "info-missing-file",
            Severity.WARNING,
        )


def _false(v: Val) -> bool:
    return v.kind == "boolean" and v.text in ("#f", "#false")


def _positive_int(v: Val) -> bool:
    return v.kind == "number" and v.text.isdigit() and int(v.text) > 0


def _describe(v: Val) -> str:
    if v.kind == "unknown":
        return "a computed value"
    text = v.datum.text
    if len(text) > 40:
        text = text[:37] + "..."
    article = "an" if v.kind[0] in "aeiou" else "a"
    return f"{article} {v.kind} {text}"


# -- the whole file ------------------------------------------------------------


def validate_info(path: Path, text: str, *, check_files: bool = True) -> list[Finding]:
    """All static problems of one info.rkt's text (``path`` locates files)."""
    info = parse_info(text)
    return validate_syntax(path, info, check_files=check_files)


def validate_syntax(path: Path, info: InfoSyntax, *, check_files: bool = True) -> list[Finding]:
    out: list[Finding] = []

    def err(span: Span, message: str, code: str) -> None:
        out.append(Finding(_problem(path, span, Severity.ERROR, message, code)))

    for span, message in info.syntax_errors:
        err(span, f"read: {message}", "info-read")
    if info.style == "none":
        start = Span.at_line_start(0)
        if info.src.root.named_child_count or info.src.data.strip():
            err(
                start,
                "info.rkt must start with `#lang info` (get-info: info file does not contain a "
                "module of the right shape)",
                "info-no-lang",
            )
        return out
    if info.style == "lang" and info.lang not in INFO_LANGS and info.lang_span is not None:
        err(
            info.lang_span,
            f"#lang {info.lang}: info.rkt must use `#lang info` (or `#lang setup/infotab`)",
            "info-lang",
        )
        return out
    if info.style == "module":
        lang = " ".join((info.lang or "").split())
        if lang not in INFO_MODULE_LANGS and info.lang_span is not None:
            err(
                info.lang_span,
                f"an info module must use the `info` language, not {lang}",
                "info-lang",
            )
            return out
        if info.module_name != "info" and info.module_name_span is not None:
            err(
                info.module_name_span,
                "get-info: the info module must be named `info`, as in "
                "(module info setup/infotab ...)",
                "info-module-name",
            )
        for extra in info.extra_top:
            err(extra.span, "get-info: info file has multiple expressions", "info-multiple")
    for other in info.others:
        what = "a definition with a non-identifier name" if other.head == "define" else None
        err(
            other.span,
            "infotab-module: not a well-formed definition; info.rkt may only contain "
            f"(define id expr){' (' + what + ')' if what else ''}",
            "info-not-define",
        )
    ev = _Evaluator(info, path, out)
    seen: dict[str, Define] = {}
    checker = _Checker(path, out, check_files)
    values: dict[str, Val] = {}
    for d in info.defines:
        if d.name in seen:
            first = seen[d.name]
            out.append(
                Finding(
                    _problem(
                        path,
                        d.name_span,
                        Severity.ERROR,
                        f"infotab-module: duplicate definition of {d.name}",
                        "info-duplicate",
                        (Related(path, first.name_span, "first defined here"),),
                    )
                )
            )
        if d.value is None:
            err(d.form.span, f"define: bad syntax (no value for {d.name})", "info-syntax")
            continue
        if d.extra:
            err(d.extra[0].span, "define: bad syntax (more than one expression)", "info-syntax")
        value = ev.expr(d.value)
        if d.name not in seen:
            seen[d.name] = d
            ev.env[d.name] = value
            values[d.name] = value
            f = FIELDS.get(d.name)
            if f is not None:
                checker.check(f, value)
            else:
                _unknown_field(path, d, out)
    _parallel(path, info, values, out)
    _implies(path, values, out)
    return out


def _dep_names(v: Val | None) -> set[str] | None:
    if v is None or v.kind != "list":
        return None
    names: set[str] = set()
    for item in v.items:
        if item.kind == "string":
            names.add(item.text)
        elif item.kind == "list" and item.items and item.items[0].kind == "string":
            names.add(item.items[0].text)
        else:
            return None  # computed entries: cannot tell
    return names


def _implies(path: Path, values: dict[str, Val], out: list[Finding]) -> None:
    implies = values.get("implies")
    deps = _dep_names(values.get("deps"))
    if implies is None or implies.kind != "list" or deps is None:
        return
    for item in implies.items:
        if item.kind == "string" and item.text not in deps:
            out.append(
                Finding(
                    _problem(
                        path,
                        item.datum.span,
                        Severity.WARNING,
                        f'implies: "{item.text}" is not in deps, so implying it has no effect',
                        "info-implies",
                    )
                )
            )


def _unknown_field(path: Path, d: Define, out: list[Finding]) -> None:
    near = difflib.get_close_matches(d.name, list(FIELDS), n=1, cutoff=0.85)
    if not near or near[0] == d.name:
        return  # tools may define fields of their own
    out.append(
        Finding(
            _problem(
                path,
                d.name_span,
                Severity.WARNING,
                f"unknown info.rkt field `{d.name}`; did you mean `{near[0]}`?",
                "info-unknown-field",
            ),
            (Fix(f"Rename to `{near[0]}`", d.name_span, near[0]),),
        )
    )


def _parallel(path: Path, info: InfoSyntax, values: dict[str, Val], out: list[Finding]) -> None:
    for names_field, others in PARALLEL:
        names = values.get(names_field)
        if names is None or names.kind != "list":
            continue
        for other in others:
            v = values.get(other)
            if v is None or v.kind != "list" or len(v.items) == len(names.items):
                continue
            fixes: tuple[Fix, ...] = ()
            if len(v.items) < len(names.items) and other.endswith("-libraries"):
                missing = [n for n in names.items[len(v.items) :] if n.kind == "string"]
                fixes = _append_fix(
                    v, [f'"{n.text}.rkt"' for n in missing], f"Add the missing {other} entries"
                )
            elif len(v.items) > len(names.items) and other.endswith("-libraries"):
                extra = [
                    Path(i.text).stem for i in v.items[len(names.items) :] if i.kind == "string"
                ]
                fixes = _append_fix(
                    names, [f'"{e}"' for e in extra], f"Add the missing {names_field} entries"
                )
            where = info.define(other)
            names_def = info.define(names_field)
            out.append(
                Finding(
                    _problem(
                        path,
                        where.value.span if where and where.value else v.datum.span,
                        Severity.ERROR,
                        f"{other} has {len(v.items)} entries but {names_field} has "
                        f"{len(names.items)}: they must be parallel lists",
                        "info-parallel",
                        (
                            Related(
                                path,
                                names_def.value.span
                                if names_def and names_def.value
                                else names.datum.span,
                                f"{names_field} is here",
                            ),
                        ),
                    ),
                    fixes,
                )
            )


def _append_fix(v: Val, entries: list[str], title: str) -> tuple[Fix, ...]:
    """Insert ``entries`` before the closing paren of a literal list."""
    d = v.datum
    target = d.items[0] if d.kind == "quote" and d.items else d
    if target.kind != "list" or not entries or not target.text.endswith((")", "]")):
        return ()
    end = target.span.end
    at = Span(type(end)(end.line, end.col - 1), type(end)(end.line, end.col - 1))
    sep = " " if target.items else ""
    return (Fix(title, at, sep + " ".join(entries)),)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.problem.severity is Severity.ERROR for f in findings)
