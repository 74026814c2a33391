"""Markdown for plain-text clients (lsp/markup.py)."""

from __future__ import annotations

from lsprotocol import types

from raco_lsp.lsp.markup import plain_text, wants_plain


def test_plain_text_keeps_the_words() -> None:
    md = "## racket/list\n**require** `broken.rkt`: see [docs](https://x/y) and *this*\n"
    md += "```racket\n(define x 1)\n```\n\\*not emphasis\\*"
    assert plain_text(md) == (
        "racket/list\nrequire broken.rkt: see docs (https://x/y) and this\n(define x 1)\n"
        "*not emphasis*"
    )


def test_only_a_client_without_markdown_wants_plain_text() -> None:
    assert wants_plain([types.MarkupKind.PlainText])
    assert not wants_plain([types.MarkupKind.PlainText, types.MarkupKind.Markdown])
    assert not wants_plain(None) and not wants_plain([])
