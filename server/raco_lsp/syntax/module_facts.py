"""What a module's source says about its dependencies, as one plain record.

``module_facts`` parses a module once and runs ``requires.scm``, ``lang.scm``
and ``implicit-deps.scm`` as one combined query (one pass per file; their
capture names are distinct).  Keep that query small: two patterns that both
match most lists made tree-sitter's ``captures()`` quadratic on a 5 MB
module.  Everything else is found by byte search (``#reader``,
``require/untyped-contract``, macro definitions and uses).

What the facts mean for the compile manager (which files a language brings,
what a ``lazy-require`` at phase 1 adds) is ``racket/graph``'s business: the
record only says what is written.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from tree_sitter import Node

from raco_lsp.core.records import Span
from raco_lsp.core.text import decode_source
from raco_lsp.syntax.parser import Source, captures, in_datum_comment, items_of
from raco_lsp.syntax.requires import (
    RequireSpec,
    extract_requires,
    in_template,
    reader_specs,
    specs_of,
)
from raco_lsp.syntax.rules import Macros, MacroUses, head_uses, macro_uses, rule_macros
from raco_lsp.syntax.signature import code_signature

QUERIES = ("requires", "lang", "implicit-deps")

# ``#!r6rs`` and the like, after comments: the reader's short form of ``#lang r6rs``.
HASH_BANG_LANG = re.compile(
    rb"(\s*(?:;[^\n]*\n\s*)*)#!([A-Za-z][A-Za-z0-9_+\-/]*)[ \t]*(?:\r?\n|$)"
)


@dataclass(frozen=True)
class UntypedContract:
    """``(require/untyped-contract [(begin form ...)] m [name T] ...)``."""

    at: Span
    """The form's head symbol."""
    module: list[RequireSpec]
    """What ``m`` names."""


@dataclass
class ModuleFacts:
    lang: str | None = None
    """The ``#lang`` (or ``#!``) language name."""
    lang_span: Span | None = None
    lang_line: str | None = None
    """The whole ``#lang`` line after ``#lang`` (``s-exp syntax/module-reader``),
    without a trailing comment."""
    readers: list[RequireSpec] = field(default_factory=list)
    """Modules named by ``#reader`` prefixes."""
    requires: list[RequireSpec] = field(default_factory=list)
    """Modules named by require forms, in text order."""
    body_requires: list[RequireSpec] = field(default_factory=list)
    """For a language in ``body_require_langs``: the module paths its body lists."""
    module_langs: list[tuple[str, str]] = field(default_factory=list)
    """(kind, text) of each ``(module name LANG ...)``: ``collection`` and a
    symbol, or ``relative`` and a path string (``(module* name #f ...)`` has none)."""
    own_config: bool = False
    """Declares its own ``configure-runtime`` submodule."""
    phase1_lazy_require: bool = False
    """Has a ``lazy-require`` inside ``begin-for-syntax``."""
    includes: list[RequireSpec] = field(default_factory=list)
    """The files ``include``/``include/rewrite`` forms name."""
    untyped_contracts: list[UntypedContract] = field(default_factory=list)
    rule_macros: Macros = field(default_factory=dict)
    """Its pattern-based macros that expand into requires."""
    macro_uses: MacroUses = field(default_factory=dict)
    """Uses of its own ``rule_macros`` and of the ``macro_names`` asked for."""
    signature: str | None = None
    """``code_signature`` of the text, when asked for and its SHA-1 matched."""


def _body(src: Source, lang: str | None, line: str | None) -> tuple[str | None, list[Node]]:
    """The module language (``#lang s-exp M``: M) and the module body's
    top-level forms (after the ``#lang`` line's language, and after M)."""
    children = [c for c in src.root.named_children if c.type != "comment"]
    if children and children[0].type == "extension":
        children = children[1:]
    words = (line or "").split()
    if lang == "s-exp" and len(words) > 1 and children and src.text_of(children[0]) == words[1]:
        return words[1], children[1:]
    return lang, children


def module_facts(
    text: str,
    *,
    body_eval_langs: Collection[str] = (),
    body_require_langs: Collection[str] = (),
    first_require_langs: Collection[str] = (),
    macro_names: Collection[str] = (),
    signature_if_sha1: str | None = None,
) -> ModuleFacts:
    """The facts of the module ``text``.

    ``body_eval_langs``: languages whose body is evaluated at run time
    (nothing in it is compiled, so only the language and ``#reader``
    prefixes count).  ``body_require_langs``: languages whose body is a list
    of module paths; ``first_require_langs``: languages whose body starts with
    a module path they require (``#lang s-exp srfi/provider srfi/1/list``).
    For ``#lang s-exp M`` the language is M.  ``macro_names``: macros defined elsewhere whose uses
    to collect.  ``signature_if_sha1``: compute the code signature when the
    text's SHA-1 is this digest."""
    src = Source.from_text(text)
    caps = captures(QUERIES, src.root)
    out = ModuleFacts()
    out.lang, out.lang_span, out.lang_line = _lang(src, caps)
    out.readers = reader_specs(src)
    if signature_if_sha1 is not None and hashlib.sha1(src.data).hexdigest() == signature_if_sha1:
        out.signature = code_signature(src)
    if out.lang in body_eval_langs:
        return out
    out.requires = extract_requires(src, caps)
    module_lang, body = _body(src, out.lang, out.lang_line)
    if module_lang in body_require_langs or module_lang in first_require_langs:
        paths = [c for c in body if c.type in ("symbol", "string", "list")]
        if module_lang not in body_require_langs:
            paths = paths[:1]
        for child in paths:
            out.body_requires += specs_of(src, child)
    _implicit(src, caps, out)
    if b"require/untyped-contract" in src.data:
        out.untyped_contracts = _untyped_contracts(src)
    out.rule_macros = rule_macros(src)
    names = [*out.rule_macros, *(n for n in macro_names if n not in out.rule_macros)]
    out.macro_uses = macro_uses(src, names)
    return out


def _lang(src: Source, caps: dict[str, list[Node]]) -> tuple[str | None, Span | None, str | None]:
    """The ``#lang`` name, its span, and the whole line after ``#lang``
    (``s-exp syntax/module-reader``), without a trailing comment."""
    nodes = caps.get("lang", [])
    if not nodes:
        m = HASH_BANG_LANG.match(src.data)
        if m is None:
            return None, None, None
        name = decode_source(m.group(2))
        start = len(m.group(1)) + 2
        return name, Span(src.pos_of_byte(start), src.pos_of_byte(start + len(m.group(2)))), name
    n = min(nodes, key=lambda x: x.start_byte)
    end = src.data.find(b"\n", n.start_byte)
    line = src.data[n.start_byte : end if end >= 0 else len(src.data)]
    text = decode_source(line).split(";")[0].strip()
    return src.text_of(n).strip(), src.span_of(n), text or None


def _implicit(src: Source, caps: dict[str, list[Node]], out: ModuleFacts) -> None:
    """Sort out what grammars/implicit-deps.scm found, by form."""
    phase1: list[Node] = []
    lazy: list[Node] = []
    for form in caps.get("implicit", []):
        items = items_of(form)
        head = src.text_of(items[0])
        if head in ("module", "module*"):
            if len(items) > 1 and src.text_of(items[1]) == "configure-runtime":
                out.own_config = True
            if len(items) > 2:
                lang = items[2]
                if lang.type == "symbol" and src.text_of(lang) != "#f":
                    out.module_langs.append(("collection", src.text_of(lang)))
                elif lang.type == "string":
                    out.module_langs.append(("relative", src.text_of(lang)[1:-1]))
        elif head == "begin-for-syntax":
            phase1.append(form)
        elif head == "lazy-require":
            lazy.append(form)
        elif len(items) > 1 and not in_datum_comment(form):  # include, include/rewrite
            out.includes += specs_of(src, items[1])
    out.phase1_lazy_require = any(_inside(n, phase1) for n in lazy)


def _inside(node: Node, outers: list[Node]) -> bool:
    return any(o.start_byte < node.start_byte and node.end_byte <= o.end_byte for o in outers)


def _untyped_contracts(src: Source) -> list[UntypedContract]:
    out = []
    for form in head_uses(src, b"require/untyped-contract"):
        if in_datum_comment(form) or in_template(src, form):
            continue
        items = items_of(form)
        head = items[1].named_child(0) if len(items) > 1 and items[1].type == "list" else None
        begin = head is not None and src.text_of(head) == "begin"
        mod = items[2 if begin else 1] if len(items) > (2 if begin else 1) else None
        module = specs_of(src, mod) if mod is not None else []
        out.append(UntypedContract(src.span_of(items[0]), module))
    return out
