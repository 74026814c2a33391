"""Identifiers from check-syntax's view, through the real server and Racket:
go to a local definition and into racket/list's source, highlights of a
binding and its uses, hover with an imported binding's origin."""

from __future__ import annotations

import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import lsp_session, open_file, rng, save_file, wait_idle
from raco_lsp.lsp.uris import path_uri, uri_path

MAIN = """\
#lang racket/base
(require racket/list)
(define (helper x) (+ x 1))
(define y (helper (first (list 1 2))))
(let ([z 3]) (helper z))
"""


def _doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path_uri(path))


async def _definition(
    client: LanguageClient, path: Path, line: int, col: int
) -> list[types.Location]:
    got = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(path), position=types.Position(line, col))
    )
    assert got is None or isinstance(got, list)
    return [g for g in got or [] if isinstance(g, types.Location)]


async def _opened(client: LanguageClient, path: Path) -> None:
    open_file(client, path)
    await wait_idle(client)


async def test_definition_local_and_into_racket_list(ws: Path) -> None:
    main = ws / "main.rkt"
    main.write_text(MAIN, encoding="utf-8")
    async with lsp_session(ws) as client:
        await _opened(client, main)
        started = time.monotonic()
        # `helper` in (helper z) -> its definition on line 2.
        (loc,) = await _definition(client, main, 4, 15)
        print(f"first definition request (analysis): {(time.monotonic() - started) * 1000:.0f} ms")
        assert loc.uri == path_uri(main) and loc.range == rng(2, 9, 2, 15)
        # `z` in (helper z) -> the let binder.
        (loc,) = await _definition(client, main, 4, 21)
        assert loc.range == rng(4, 7, 4, 8)
        # `first` -> racket/list's own source, where it defines first.
        (loc,) = await _definition(client, main, 3, 20)
        target = uri_path(loc.uri)
        assert target is not None and target.name == "list.rkt"
        assert target.parent.name == "racket"
        lines = target.read_text(encoding="utf-8").splitlines()
        assert loc.range.start.line > 0
        line = lines[loc.range.start.line]
        assert line[loc.range.start.character : loc.range.end.character] == "first"
        assert "(define (first" in line
        # The require string still goes to the module (the module graph's answer).
        (loc,) = await _definition(client, main, 1, 12)
        assert uri_path(loc.uri) == target and loc.range == rng(0, 0, 0, 0)


async def test_highlights_and_hover(ws: Path) -> None:
    main = ws / "main.rkt"
    main.write_text(MAIN, encoding="utf-8")
    async with lsp_session(ws) as client:
        await _opened(client, main)
        got = await client.text_document_document_highlight_async(
            types.DocumentHighlightParams(text_document=_doc(main), position=types.Position(2, 10))
        )
        assert got is not None
        assert sorted((h.range.start.line, h.range.start.character, h.kind) for h in got) == [
            (2, 9, types.DocumentHighlightKind.Write),
            (3, 11, types.DocumentHighlightKind.Read),
            (4, 14, types.DocumentHighlightKind.Read),
        ]
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(main), position=types.Position(3, 20))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "imported from racket/list as first" in hover.contents.value
        assert hover.range == rng(3, 19, 3, 24)
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(main), position=types.Position(2, 10))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "2 bound occurrences" in hover.contents.value


async def test_a_saved_edit_is_analysed_again_and_unsaved_edits_get_no_answer(ws: Path) -> None:
    main = ws / "main.rkt"
    main.write_text(MAIN, encoding="utf-8")
    async with lsp_session(ws) as client:
        await _opened(client, main)
        (loc,) = await _definition(client, main, 4, 15)
        assert loc.range == rng(2, 9, 2, 15)
        # Saved with a line inserted: the analysis of the new content.
        save_file(
            client, main, MAIN.replace("(define (helper", ";; one more line\n(define (helper")
        )
        await wait_idle(client)
        started = time.monotonic()
        (loc,) = await _definition(client, main, 5, 15)
        print(f"definition after a save (warm agent): {(time.monotonic() - started) * 1000:.0f} ms")
        assert loc.range == rng(3, 9, 3, 15)
        # An unsaved edit: the saved analysis no longer matches the buffer.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=path_uri(main), version=99),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=MAIN)],
            )
        )
        assert await _definition(client, main, 4, 15) == []


async def test_definition_into_a_workspace_module_through_rename_out(ws: Path) -> None:
    lib = ws / "lib.rkt"
    lib.write_text(
        "#lang racket/base\n(provide (rename-out [g h]))\n\n(define (g n) (* n 2))\n",
        encoding="utf-8",
    )
    main = ws / "main.rkt"
    main.write_text('#lang racket/base\n(require "lib.rkt")\n(h 21)\n', encoding="utf-8")
    async with lsp_session(ws) as client:
        await _opened(client, main)
        (loc,) = await _definition(client, main, 2, 1)
        assert loc.uri == path_uri(lib) and loc.range == rng(3, 9, 3, 10)
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(main), position=types.Position(2, 1))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "imported from" in hover.contents.value
        assert "(defines it as g)" in hover.contents.value
