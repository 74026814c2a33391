"""Hover from the analysis, through the real server and Racket: the
installed documentation's blue box and a link to its page for imported
bindings, and Typed Racket's types."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import lsp_session, open_file, wait_idle
from raco_lsp.lsp.uris import path_uri, uri_path

MAIN = """\
#lang racket/base
(require racket/list)
(define s (string-append "a" "b"))
(first (list s))
"""

TYPED = """\
#lang typed/racket/base
(define x : Integer 5)
(define (f [y : Integer]) : Integer (+ y x))
(f x)
"""


async def _hover(client: LanguageClient, path: Path, line: int, col: int) -> str:
    got = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)),
            position=types.Position(line, col),
        )
    )
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    return got.contents.value


async def test_hover_shows_docs_and_typed_racket_types(ws: Path) -> None:
    main = ws / "main.rkt"
    main.write_text(MAIN, encoding="utf-8")
    typed = ws / "typed.rkt"
    typed.write_text(TYPED, encoding="utf-8")
    async with lsp_session(ws) as client:
        open_file(client, main)
        open_file(client, typed)
        await wait_idle(client, timeout=600)

        # racket/base's string-append: its blue box and its page in the installed docs.
        text = await _hover(client, main, 2, 14)
        print(text)
        assert "(string-append str ...) -> string?" in text
        assert "_procedure_" in text
        link = text[text.index("](file://") + 2 : text.rindex(")")]
        page, anchor = link.split("#")
        html = uri_path(page)
        assert html is not None and html.is_file()
        assert f'name="{unquote(anchor)}"' in html.read_text(encoding="utf-8")
        assert "imported from racket/base" in text
        # racket/list's first.
        text = await _hover(client, main, 3, 2)
        assert "(first lst) -> any/c" in text and "lst : list?" in text

        # Typed Racket: the type of a variable, and of a function.
        text = await _hover(client, typed, 3, 3)
        print(text)
        assert text.startswith("```racket\nInteger\n```")
        text = await _hover(client, typed, 3, 1)
        assert "(-> Integer Integer)" in text
