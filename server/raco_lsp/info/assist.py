"""Completion and hover for info.rkt (plain records, no LSP types).

Completion must work on half-typed text, where tree-sitter's error recovery
flattens the unfinished lists around the cursor.  So the completion context
(which lists enclose the cursor, at which element) comes from a small lexical
scan of the text before the cursor; the rest of the file (already-defined
fields, package names used by deps) comes from the tree-sitter reading.
Hover works on complete text and uses the tree-sitter tree directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.info.catalog import (
    DEPS_KEYWORDS,
    DISTRIBUTION_PREFERENCES,
    FIELDS,
    INSTALL_PLATFORMS,
    SCRIBBLINGS_CATEGORIES,
    SCRIBBLINGS_FLAGS,
    field_markdown,
)
from raco_lsp.syntax.info import InfoSyntax, define_forms, leaf_at, parse_info, read_info
from raco_lsp.syntax.parser import Source

_DELIMS = set("()[]{}\"';`, \t\r\n")
_MODULE_HEADS = {"module", "#%module-begin"}
_LIST_HEADS = {"list", "list*", "cons", "append"}
_QUOTE_HEADS = {"quote", "quasiquote"}


@dataclass(frozen=True)
class PackageInfo:
    """A package that deps may name: installed or in the workspace."""

    name: str
    where: str  # "installation", "user" or "workspace"
    directory: Path | None = None


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: str  # field, value, package, file, keyword, lang
    detail: str
    doc: str
    insert_text: str
    snippet: bool
    replace: Span  # the range the insert text replaces


@dataclass(frozen=True)
class HoverInfo:
    markdown: str
    span: Span


@lru_cache(maxsize=8)
def read_cached(text: str) -> tuple[Source, InfoSyntax]:
    """The tree-sitter reading of ``text``; completion and hover ask for the
    same text many times between edits."""
    src = Source.from_text(text)
    return src, read_info(src)


@lru_cache(maxsize=8)
def defined_fields(text: str) -> dict[str, str]:
    """Defined names -> their define form's text (tree-sitter, no value reading)."""
    return define_forms(Source.from_text(text))


# -- lexical context ----------------------------------------------------------


@dataclass
class _Frame:
    start: int  # offset of the opening paren
    index: int  # element index in the parent (-1 at top level)
    quoted: bool  # written as data: '( `( or inside one
    items: list[str] = field(default_factory=list)  # element texts ("(" for lists)

    @property
    def head(self) -> str | None:
        return self.items[0] if self.items and self.items[0] != "(" else None


@dataclass
class ScanContext:
    frames: list[_Frame]
    token: str  # the partial atom before the cursor ("" if none)
    token_start: int
    in_string: bool
    quote_prefix: bool  # a ' or ` right before the token


_TOKEN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<comment>;[^\n]*)
    |(?P<block>\#\|.*?(?:\|\#|\Z))
    |(?P<str>"(?:\\.|[^"\\])*"?)
    |(?P<open>\#?[(\[{])
    |(?P<close>[)\]}])
    |(?P<quote>['`])
    |(?P<unquote>,@?)
    |(?P<atom>[^\s()\[\]{}";'`,]+)
    |(?P<other>.)
    """,
    re.X | re.S,
)


def scan(text: str, end: int) -> ScanContext:
    """Which lists enclose offset ``end`` of ``text``, and the partial token
    before it (tokens come from a regular expression, so this is fast)."""
    frames: list[_Frame] = []
    pending_quote = False
    for m in _TOKEN.finditer(text, 0, end):
        kind = m.lastgroup
        at_end = m.end() == end
        if kind == "ws":
            continue
        if kind == "comment":
            if at_end:
                return ScanContext(frames, "", end, False, False)  # in a comment
            continue
        if kind == "block":
            if not m.group().endswith("|#") or len(m.group()) < 4:
                return ScanContext(frames, "", end, False, False)
            continue
        if kind == "quote":
            pending_quote = True
            continue
        if kind == "unquote":
            pending_quote = False
            continue
        if kind == "open":
            i = m.start()
            if frames and m.group() == "(" and (i == 0 or text[i - 1] in "\r\n"):
                # A paren in column 0 starts a new top-level form: recover from
                # an unclosed form above (a half-typed define).
                frames.clear()
            parent_quoted = bool(frames) and (frames[-1].quoted or frames[-1].head in _QUOTE_HEADS)
            index = len(frames[-1].items) if frames else -1
            frames.append(_Frame(m.end() - 1, index, parent_quoted or pending_quote))
            pending_quote = False
            continue
        if kind == "close":
            if frames:
                frames.pop()
                if frames:
                    frames[-1].items.append("(")
            pending_quote = False
            continue
        token = m.group()
        if kind == "str":
            if at_end and (len(token) < 2 or not token.endswith('"')):
                return ScanContext(frames, token[1:], m.start() + 1, True, pending_quote)
        elif at_end:
            return ScanContext(frames, token, m.start(), False, pending_quote)
        if frames:
            frames[-1].items.append(token)
        pending_quote = False
    return ScanContext(frames, "", end, False, pending_quote)


# -- completion ---------------------------------------------------------------


def complete(
    text: str,
    pos: Pos,
    path: Path,
    packages: Mapping[str, PackageInfo] | None = None,
) -> list[Suggestion]:
    """What may be typed at ``pos`` in the info.rkt ``text``."""
    index = TextIndex(text)
    offset = index.index_of(pos)
    ctx = scan(text, offset)
    replace = Span(index.pos_at(ctx.token_start), pos)
    if not ctx.frames:
        if not ctx.in_string and pos.line == 0 and "#lang".startswith(ctx.token[:5] or "#"):
            return [
                Suggestion(
                    label,
                    "lang",
                    "info.rkt module language",
                    "An info.rkt is a module in the restricted `info` language.",
                    label,
                    False,
                    replace,
                )
                for label in ("#lang info",)
                if label.startswith(ctx.token)
            ]
        return []
    frames = ctx.frames
    k = 0
    while k < len(frames) and frames[k].head in _MODULE_HEADS:
        k += 1
    if k >= len(frames):
        return []
    define = frames[k]
    forms = defined_fields(text)
    defined = set(forms)
    if not define.items and not ctx.in_string:
        return _define_forms(ctx, replace, defined, text, offset)
    if define.head != "define":
        return []
    if len(frames) == k + 1 and len(define.items) == 1 and not ctx.in_string:
        return _field_names(ctx, replace, defined, text, offset)
    if len(define.items) < 2:
        return []
    fname = define.items[1]
    # Element indices from the value down to the cursor, list heads skipped.
    idx: list[int] = []
    for f in frames[k + 1 :]:
        idx.append(f.index)
    current = len(frames[-1].items)
    idx.append(current)
    rel = _normalize(frames[k:], idx)
    if rel is None:
        return []
    return _value_completions(fname, rel, ctx, replace, path, packages or {}, forms)


def _normalize(frames: list[_Frame], idx: list[int]) -> list[int] | None:
    """Indices relative to the data: drop the `list` heads of unquoted lists."""
    out: list[int] = []
    for n, i in enumerate(idx):
        frame = frames[n]
        if n == 0:
            if i != 2:
                return None
            out.append(0)
            continue
        if not frame.quoted and frame.head in _QUOTE_HEADS:
            if i != 1:
                return None
            continue  # (quote datum): the datum stands where the quote form is
        if not frame.quoted and frame.head in _LIST_HEADS:
            if i == 0:
                return None
            i -= 1
        out.append(i)
    return out[1:]


def _rest_of_line_closes(text: str, offset: int) -> bool:
    j = offset
    while j < len(text) and text[j] not in _DELIMS:
        j += 1
    rest = text[j : text.find("\n", j) if "\n" in text[j:] else len(text)].strip()
    return rest == "" or rest.startswith((")", "]"))


def _field_names(
    ctx: ScanContext, replace: Span, defined: set[str], text: str, offset: int
) -> list[Suggestion]:
    with_value = _rest_of_line_closes(text, offset)
    out = []
    for f in FIELDS.values():
        if f.name in defined or not f.name.startswith(ctx.token):
            continue
        insert = f"{f.name} {f.snippet}" if with_value else f.name
        out.append(
            Suggestion(f.name, "field", f.tool, field_markdown(f), insert, with_value, replace)
        )
    return out


def _define_forms(
    ctx: ScanContext, replace: Span, defined: set[str], text: str, offset: int
) -> list[Suggestion]:
    out = []
    if "define".startswith(ctx.token):
        out.append(
            Suggestion("define", "keyword", "(define id expr)", "", "define ", False, replace)
        )
    if not ctx.token or ctx.token.startswith("d"):
        return out
    for f in FIELDS.values():
        if f.name in defined or not f.name.startswith(ctx.token):
            continue
        out.append(
            Suggestion(
                f.name,
                "field",
                f.tool,
                field_markdown(f),
                f"define {f.name} {f.snippet}",
                True,
                replace,
            )
        )
    return out


def _symbols(
    names: Mapping[str, str], ctx: ScanContext, replace: Span, kind: str, detail: str
) -> list[Suggestion]:
    if ctx.in_string:
        return []
    quote = "" if (ctx.quote_prefix or _in_data(ctx)) else "'"
    token = ctx.token.lstrip("'")
    return [
        Suggestion(name, kind, detail, doc, quote + name, False, replace)
        for name, doc in names.items()
        if name.startswith(token)
    ]


def _in_data(ctx: ScanContext) -> bool:
    return bool(ctx.frames) and (ctx.frames[-1].quoted or ctx.frames[-1].head in _QUOTE_HEADS)


def _value_completions(
    fname: str,
    rel: list[int],
    ctx: ScanContext,
    replace: Span,
    path: Path,
    packages: Mapping[str, PackageInfo],
    forms: Mapping[str, str],
) -> list[Suggestion]:
    f = FIELDS.get(fname)
    if f is None:
        return []
    depth = len(rel)
    if f.shape == "scribblings":
        if depth == 3 and rel[1] == 1:
            return _symbols(SCRIBBLINGS_FLAGS, ctx, replace, "value", "scribblings flag")
        if depth == 3 and rel[1] == 2 and rel[2] == 0:
            return _symbols(SCRIBBLINGS_CATEGORIES, ctx, replace, "value", "document category")
        if depth == 2 and rel[1] == 0 and ctx.in_string:
            return _files(path, ctx, replace, (".scrbl",))
        return []
    if f.shape == "deps":
        if ctx.in_string and (depth == 1 or (depth == 2 and rel[1] == 0)):
            return _packages(packages, ctx, replace, path)
        if depth == 2 and rel[1] > 0 and not ctx.in_string:
            quote = "" if _in_data(ctx) or ctx.quote_prefix else "'"
            token = ctx.token.lstrip("'")
            return [
                Suggestion(kw, "keyword", "deps entry option", doc, quote + kw, False, replace)
                for kw, doc in DEPS_KEYWORDS.items()
                if kw.startswith(token)
            ]
        return []
    if f.shape == "implies" and ctx.in_string and depth == 1:
        deps = forms.get("deps", "")
        names = {n: p for n, p in packages.items() if f'"{n}"' in deps}
        return _packages(names or packages, ctx, replace, path)
    if f.shape == "install-platform" and depth == 0:
        return _symbols(INSTALL_PLATFORMS, ctx, replace, "value", "(system-type)")
    if f.shape == "distribution-preference" and depth == 0:
        return _symbols(dict.fromkeys(DISTRIBUTION_PREFERENCES, ""), ctx, replace, "value", fname)
    if f.shape == "collection" and depth == 0 and not ctx.in_string:
        kinds = {"multi": "Each subdirectory is a collection.", "use-pkg-name": "The package name."}
        return _symbols(kinds, ctx, replace, "value", "collection")
    if f.paths and ctx.in_string and depth in (0, 1):
        suffixes = (".rkt", ".ss", ".scm") if f.paths == "module" else ()
        return _files(path, ctx, replace, suffixes)
    return []


def _packages(
    packages: Mapping[str, PackageInfo], ctx: ScanContext, replace: Span, path: Path
) -> list[Suggestion]:
    own = path.parent.name
    return [
        Suggestion(
            p.name,
            "package",
            f"{p.where} package",
            f"`{p.directory}`" if p.directory else "",
            p.name,
            False,
            replace,
        )
        for p in packages.values()
        if p.name.startswith(ctx.token) and p.name != own
    ]


def _files(
    path: Path, ctx: ScanContext, replace: Span, suffixes: tuple[str, ...]
) -> list[Suggestion]:
    base = path.parent
    sub, _, _ = ctx.token.rpartition("/")
    directory = base / sub if sub else base
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)[:500]
    except OSError:
        return []
    out = []
    for e in entries:
        if e.name.startswith(".") or e.name in ("compiled", "info.rkt"):
            continue
        rel = f"{sub}/{e.name}" if sub else e.name
        try:
            is_dir = e.is_dir()
        except OSError:
            continue
        if not is_dir and suffixes and not e.name.endswith(suffixes):
            continue
        if not rel.startswith(ctx.token):
            continue
        out.append(
            Suggestion(
                rel + ("/" if is_dir else ""),
                "file",
                "directory" if is_dir else "file",
                "",
                rel + ("/" if is_dir else ""),
                False,
                replace,
            )
        )
    return out


# -- hover --------------------------------------------------------------------


@lru_cache(maxsize=512)
def _pkg_desc(directory: str, mtime: float) -> str | None:
    text = read_source(Path(directory) / "info.rkt")
    if text is None:
        return None
    d = parse_info(text).define("pkg-desc")
    if d is not None and d.value is not None and d.value.kind == "string":
        return d.value.value
    return None


def package_description(directory: Path | None) -> str | None:
    if directory is None:
        return None
    try:
        mtime = (directory / "info.rkt").stat().st_mtime
    except OSError:
        return None
    return _pkg_desc(str(directory), mtime)


def hover(
    text: str, pos: Pos, path: Path, packages: Mapping[str, PackageInfo] | None = None
) -> HoverInfo | None:
    src, info = read_cached(text)
    leaf = leaf_at(src, pos)
    if leaf is None:
        return None
    b, span, word = leaf.offset, leaf.span, leaf.text
    if info.lang_span is not None and info.lang_span.start <= pos <= info.lang_span.end:
        return HoverInfo(
            f"**{info.lang}** — the info-module language: only `(define id expr)` forms, "
            "with literals, quoted data and a few primitives (list, cons, append, "
            "string-append, build-path, hash, if, ...). Tools read the definitions with "
            "`get-info` from `setup/getinfo`.",
            info.lang_span,
        )
    for d in info.defines:
        if d.name_span.start <= pos <= d.name_span.end:
            f = FIELDS.get(d.name)
            if f is not None:
                return HoverInfo(field_markdown(f), d.name_span)
            return HoverInfo(f"**{d.name}** — not a field raco-lsp knows", d.name_span)
    define = next(
        (d for d in info.defines if d.value is not None and d.value.start <= b <= d.value.end),
        None,
    )
    if define is None:
        return None
    f = FIELDS.get(define.name)
    if f is None:
        return None
    if (
        leaf.kind == "string"
        and f.shape in ("deps", "implies", "string-list")
        and define.name
        in (
            "deps",
            "build-deps",
            "implies",
            "update-implies",
        )
    ):
        name = word.strip('"')
        p = (packages or {}).get(name)
        if p is None:
            return HoverInfo(f"**{name}** — package not installed here", span)
        desc = package_description(p.directory)
        lines = [f"**{name}** — {p.where} package"]
        if desc:
            lines.append(desc)
        if p.directory:
            lines.append(f"Installed at `{p.directory}`")
        return HoverInfo("\n\n".join(lines), span)
    if leaf.kind == "symbol":
        for table, what in (
            (SCRIBBLINGS_FLAGS, "scribblings flag") if f.shape == "scribblings" else ({}, ""),
            (SCRIBBLINGS_CATEGORIES, "document category") if f.shape == "scribblings" else ({}, ""),
            (INSTALL_PLATFORMS, "platform") if f.shape == "install-platform" else ({}, ""),
        ):
            if word in table:
                return HoverInfo(f"**'{word}** — {what}\n\n{table[word]}", span)
    if leaf.kind == "keyword" and word in DEPS_KEYWORDS:
        return HoverInfo(f"**{word}**\n\n{DEPS_KEYWORDS[word]}", span)
    return None
