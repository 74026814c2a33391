"""Markdown for clients that want plain text.

Features write hover texts and completion documentation in Markdown; a client
that lists only ``plaintext`` in ``hover.contentFormat`` (or
``completionItem.documentationFormat``), eglot without markdown-mode for one,
gets them as plain text: emphasis, code spans and fences, headings and link
syntax are taken out, the words stay."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

_FENCE = re.compile(r"^```[^\n]*\n?", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]*)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_KEPT = re.compile("\0(\\d+)\0")


def plain_text(markdown: str) -> str:
    # Escaped characters are set aside first, so ``\*`` is never emphasis.
    text = _ESCAPE.sub(lambda m: f"\0{ord(m.group(1))}\0", markdown)
    text = _FENCE.sub("", text)
    text = _HEADING.sub("", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    text = _CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3), text)
    return _KEPT.sub(lambda m: chr(int(m.group(1))), text)


def wants_plain(formats: Sequence[types.MarkupKind] | None) -> bool:
    """Whether a client's format list (most preferred first) rules Markdown
    out: it names formats, and Markdown is not among them."""
    return bool(formats) and types.MarkupKind.Markdown not in (formats or ())


def as_plain(content: types.MarkupContent) -> types.MarkupContent:
    if content.kind != types.MarkupKind.Markdown:
        return content
    return types.MarkupContent(kind=types.MarkupKind.PlainText, value=plain_text(content.value))
