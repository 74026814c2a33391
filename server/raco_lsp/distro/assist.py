"""Completion and hover for distro-build site configurations (plain records).

Completion reads the text before the cursor with info.rkt's lexical scan
(``info.assist.scan``: which lists enclose the cursor, at which element), so
it works on half-typed text; hover reads the tree-sitter leaf at the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import TextIndex
from raco_lsp.distro.catalog import (
    FORMS,
    KEYWORDS,
    NAMES,
    SHAPES,
    Keyword,
    keyword_markdown,
    name_markdown,
)
from raco_lsp.info.assist import HoverInfo, PackageInfo, ScanContext, Suggestion, scan
from raco_lsp.syntax.info import leaf_at
from raco_lsp.syntax.parser import Source

_PACKAGE_KEYWORDS = ("#:pkgs", "#:test-pkgs")


def complete(text: str, pos: Pos, packages: Mapping[str, PackageInfo]) -> list[Suggestion]:
    """What may be typed at ``pos`` in the site configuration ``text``."""
    index = TextIndex(text)
    ctx = scan(text, index.index_of(pos))
    replace = Span(index.pos_at(ctx.token_start), pos)
    frames = ctx.frames
    if len(frames) >= 2 and frames[-2].head in FORMS and frames[-2].items[-1] in _PACKAGE_KEYWORDS:
        inner = frames[-1]
        if inner.quoted or inner.head == "list":
            return _packages(ctx, replace, packages)
    if ctx.in_string:
        return []
    if not frames:
        return [
            Suggestion(
                name, "keyword", NAMES[name][0], NAMES[name][1], f"({name} $0)", True, replace
            )
            for name in FORMS
            if name.startswith(ctx.token)
        ]
    frame = frames[-1]
    if frame.quoted:
        return []
    if not frame.items:
        return [
            Suggestion(name, "keyword", sig, doc, name, False, replace)
            for name, (sig, doc) in NAMES.items()
            if name.startswith(ctx.token)
        ]
    if frame.head not in FORMS:
        return []
    last = frame.items[-1] if len(frame.items) > 1 else ""
    k = KEYWORDS.get(last[2:]) if last.startswith("#:") else None
    if k is not None:
        return _values(k, ctx, replace)
    if ctx.token and not ctx.token.startswith("#"):
        return []
    outermost = sum(1 for f in frames if f.head in FORMS) == 1
    given = set(frame.items)
    return [
        Suggestion(
            "#:" + k.name,
            "field",
            SHAPES[k.shape][0] + (" (top level only)" if k.top else ""),
            keyword_markdown(k),
            f"#:{k.name} {_snippet(k)}",
            True,
            replace,
        )
        for k in KEYWORDS.values()
        if ("#:" + k.name).startswith(ctx.token)
        and "#:" + k.name not in given
        and (outermost or not k.top)
    ]


def _snippet(k: Keyword) -> str:
    if k.choices:
        quote = "'" if k.shape.startswith("symbol") else ""
        return quote + "${1|" + ",".join(k.choices) + "|}"
    return SHAPES[k.shape][1]


def _values(k: Keyword, ctx: ScanContext, replace: Span) -> list[Suggestion]:
    if k.shape == "boolean":
        values = ["#t", "#f"]
    elif k.choices and k.shape.startswith("symbol"):
        values = [c if ctx.quote_prefix else "'" + c for c in k.choices]
    else:
        values = list(k.choices)
    if k.shape.endswith("-or-false") and values:
        values.append("#f")
    token = ctx.token
    return [
        Suggestion(v, "value", f"#:{k.name}", "", v, False, replace)
        for v in values
        if v.startswith(token) or v.lstrip("'").startswith(token)
    ]


def _packages(
    ctx: ScanContext, replace: Span, packages: Mapping[str, PackageInfo]
) -> list[Suggestion]:
    used = {item.strip('"') for item in ctx.frames[-1].items}
    return [
        Suggestion(
            name,
            "package",
            f"{p.where} package",
            "",
            name if ctx.in_string else f'"{name}"',
            False,
            replace,
        )
        for name, p in sorted(packages.items())
        if name.startswith(ctx.token.lstrip('"')) and name not in used
    ]


def hover(text: str, pos: Pos) -> HoverInfo | None:
    """The documentation of the keyword or language name at ``pos``."""
    leaf = leaf_at(Source.from_text(text), pos)
    if leaf is None:
        return None
    if leaf.kind == "keyword" and leaf.text[2:] in KEYWORDS:
        return HoverInfo(keyword_markdown(KEYWORDS[leaf.text[2:]]), leaf.span)
    if leaf.kind == "symbol" and leaf.text in NAMES:
        return HoverInfo(name_markdown(leaf.text), leaf.span)
    return None
