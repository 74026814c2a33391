"""Identifiers from check-syntax's view, through the real server and Racket:
go to a local definition and into racket/list's source, declarations (the
require spec of an import, a binder), highlights of a
binding and its uses, hover with an imported binding's origin; the analysis
on its own agent (a save never waits for it, a newer edit cancels it), of
unsaved buffers (nothing written), and kept, stale, when the text stops
expanding."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import (
    collect,
    diagnostics,
    lsp_session,
    open_file,
    rng,
    save_file,
    wait_idle,
)
from raco_lsp.lsp.uris import path_uri, uri_path
from test_orphans import children, cmdline

MAIN = """\
#lang racket/base
(require racket/list)
(define (helper x) (+ x 1))
(define y (helper (first (list 1 2))))
(let ([z 3]) (helper z))
"""


def _doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path_uri(path))


def _locations(got: object) -> list[types.Location]:
    assert got is None or isinstance(got, list)
    return [g for g in got or [] if isinstance(g, types.Location)]


async def _definition(
    client: LanguageClient, path: Path, line: int, col: int
) -> list[types.Location]:
    params = types.DefinitionParams(text_document=_doc(path), position=types.Position(line, col))
    return _locations(await client.text_document_definition_async(params))


async def _declaration(
    client: LanguageClient, path: Path, line: int, col: int
) -> list[types.Location]:
    params = types.DeclarationParams(text_document=_doc(path), position=types.Position(line, col))
    return _locations(await client.text_document_declaration_async(params))


async def _highlight_starts(
    client: LanguageClient, path: Path, line: int, col: int
) -> list[tuple[int, int]]:
    got = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=_doc(path), position=types.Position(line, col))
    )
    assert got is not None
    return sorted((h.range.start.line, h.range.start.character) for h in got)


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
        # Declaration: where this module binds it.  `first` -> the require
        # spec that imports it; `helper` and `z` -> their binders.
        assert [(d.uri, d.range) for d in await _declaration(client, main, 3, 20)] == [
            (path_uri(main), rng(1, 9, 1, 20))
        ]
        assert [d.range for d in await _declaration(client, main, 4, 15)] == [rng(2, 9, 2, 15)]
        assert [d.range for d in await _declaration(client, main, 4, 21)] == [rng(4, 7, 4, 8)]


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


async def test_a_saved_edit_is_analysed_again_and_a_failing_text_keeps_the_last_good(
    ws: Path,
) -> None:
    """A module that fails to expand keeps the last good analysis and says it
    is stale; answers only where the text before the position is unchanged."""
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
        _change(client, main, MAIN)  # unsaved, expands: fresh
        (loc,) = await _definition(client, main, 4, 15)
        assert loc.range == rng(2, 9, 2, 15)
        # An unbound identifier at the end: everything before it is unchanged.
        _change(client, main, MAIN + "(oops)\n")
        text = await _hover_text(client, main, 2, 10)
        assert text is not None and "2 bound occurrences" in text
        assert "analysis is stale: main.rkt:6:1: oops: unbound identifier" in text
        (loc,) = await _definition(client, main, 4, 15)
        assert loc.range == rng(2, 9, 2, 15)
        # In the middle: answers before the change only; spans after it moved.
        lines = MAIN.splitlines(keepends=True)
        _change(client, main, "".join([*lines[:4], "(oops)\n", *lines[4:]]))
        assert await _definition(client, main, 5, 15) == []  # text before it changed
        (loc,) = await _definition(client, main, 3, 12)
        assert loc.range == rng(2, 9, 2, 15)
        assert await _highlight_starts(client, main, 2, 10) == [(2, 9), (3, 11), (5, 14)]
        # Expanding again: fresh, not stale.
        _change(client, main, MAIN)
        text = await _hover_text(client, main, 2, 10)
        assert text is not None and "stale" not in text


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


ADJACENT = """\
#lang racket/base
(require (for-syntax racket/base))
(define-syntax (m stx)
  (syntax-case stx ()
    [(_ e) #'e]))
(m 1)
(define-syntax (n stx) #'later?)
(struct later ())
"""


async def test_the_cursor_between_adjacent_identifiers_is_on_the_one_after_it(
    ws: Path,
) -> None:
    """On the `e` of `#'e` (the cursor after `#'`, which is `syntax`'s span,
    and before `e`): the pattern variable, not `syntax` (found comparing with
    racket-langserver on the threading package, bench/compare_identifiers.py)."""
    main = ws / "main.rkt"
    main.write_text(ADJACENT, encoding="utf-8")
    async with lsp_session(ws) as client:
        await _opened(client, main)
        (loc,) = await _definition(client, main, 4, 13)
        assert loc.uri == path_uri(main) and loc.range == rng(4, 8, 4, 9)
        assert await _highlight_starts(client, main, 4, 13) == [(4, 8), (4, 13)]
        # Right after an identifier that nothing follows, the cursor is still on it.
        (loc,) = await _definition(client, main, 4, 14)
        assert loc.range == rng(4, 8, 4, 9)
        # On `later?` of `#'later?` (a template, no arrow: as `#'gvector?` in
        # data/gvector.rkt): not `syntax`.
        for loc in await _definition(client, main, 6, 25):
            target = uri_path(loc.uri)
            assert target is not None and target.name != "template.rkt", loc
        assert "(syntax template)" not in (await _hover_text(client, main, 6, 25) or "")


async def test_definition_of_an_import_from_a_submodule_of_the_same_file(ws: Path) -> None:
    """`foo` and `rb:foo` required from the file's own submodule `rb` go to
    its definition there (check-syntax draws both the require's arrow and
    one from the definition; found comparing with racket-langserver on
    sugar/test/test-require-modes.rkt)."""
    main = ws / "main.rkt"
    main.write_text(
        "#lang racket/base\n(module rb racket/base\n  (provide foo)\n  (define foo 1))\n"
        "(require (prefix-in rb: 'rb))\n(require 'rb)\n(list rb:foo foo)\n",
        encoding="utf-8",
    )
    async with lsp_session(ws) as client:
        await _opened(client, main)
        for col in (6, 9, 13):  # rb: of rb:foo, its foo, then foo
            (loc,) = await _definition(client, main, 6, col)
            assert loc.uri == path_uri(main) and loc.range == rng(3, 10, 3, 13), col
        assert await _highlight_starts(client, main, 6, 13) == [(2, 11), (3, 10), (6, 6), (6, 13)]


_versions = itertools.count(100)


def _change(client: LanguageClient, path: Path, text: str) -> None:
    """An unsaved edit: the whole buffer becomes ``text``."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=path_uri(path), version=next(_versions)
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def _until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Wait for ``condition`` (a bound on a hang, not a speed assertion)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def _hover_text(client: LanguageClient, path: Path, line: int, col: int) -> str | None:
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc(path), position=types.Position(line, col))
    )
    if hover is None:
        return None
    assert isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


def _slow_module(ws: Path) -> str:
    """A module whose expansion, once the file ``hold`` exists, says so
    (file ``holding``) and waits for the file ``release``."""
    hold, holding, release = (json.dumps(str(ws / n)) for n in ("hold", "holding", "release"))
    return f"""\
#lang racket/base
(require (for-syntax racket/base))
(define (helper x) (+ x 1))
(helper 2)
(begin-for-syntax
  (when (file-exists? {hold})
    (close-output-port (open-output-file {holding} #:exists 'truncate))
    (let loop () (unless (file-exists? {release}) (sleep 0.05) (loop)))))
"""


async def test_a_save_never_waits_for_an_analysis_and_an_edit_cancels_it(ws: Path) -> None:
    """While an analysis is in flight (its expansion waits), a save of another
    module gets its diagnostics; an edit of the analysed module cancels the
    analysis, and the request gets the analysis of the new text."""
    slow, other = ws / "slow.rkt", ws / "other.rkt"
    slow.write_text(_slow_module(ws), encoding="utf-8")
    other.write_text("#lang racket/base\n(define a 1)\n", encoding="utf-8")
    async with lsp_session(ws, init_options={"jobs": 1}) as client:
        open_file(client, slow)
        open_file(client, other)
        await wait_idle(client)
        assert diagnostics(client, other) == []
        (ws / "hold").touch()
        # Opening analysed it already (its unused requires): an edit makes a new one.
        _change(client, slow, _slow_module(ws) + ";; edited\n")
        hover = asyncio.ensure_future(_hover_text(client, slow, 2, 10))
        await _until((ws / "holding").exists, "the analysis reached the waiting macro")
        save_file(client, other, "#lang racket/base\n(define a undefined-thing)\n")
        await _until(lambda: bool(diagnostics(client, other)), "the save's diagnostics")
        assert "undefined-thing" in diagnostics(client, other)[0].message
        assert not hover.done()  # the analysis still waits: the save did not wait for it
        # An edit of the analysed module (the waiting macro gone): the analysis
        # in flight is cancelled and the hover gets the new text's.
        _change(client, slow, _slow_module(ws).split("(begin-for-syntax")[0])
        text = await asyncio.wait_for(hover, 60)
        assert not (ws / "release").exists()
        assert text is not None and "1 bound occurrence" in text


def _compiled_state(ws: Path) -> dict[str, int]:
    return {
        str(p.relative_to(ws)): p.stat().st_mtime_ns
        for p in sorted(ws.rglob("*"))
        if "compiled" in p.relative_to(ws).parts
    }


async def test_an_unsaved_buffer_is_analysed_and_nothing_is_written(ws: Path) -> None:
    lib = ws / "lib.rkt"
    lib.write_text("#lang racket/base\n(provide g)\n(define (g n) n)\n", encoding="utf-8")
    main = ws / "main.rkt"
    main.write_text(MAIN.replace("(require racket/list)", '(require racket/list "lib.rkt")'))
    async with lsp_session(ws) as client:
        await _opened(client, main)
        (loc,) = await _definition(client, main, 4, 15)
        assert loc.range == rng(2, 9, 2, 15)
        before = _compiled_state(ws)
        assert "compiled/main_rkt.zo" in before and "compiled/lib_rkt.zo" in before
        # Unsaved: a line inserted, and a binding only the buffer has.
        buffer = main.read_text().replace(
            "(define (helper", "(define (extra q) (g q))\n(define (helper"
        )
        buffer += "(extra 5)\n"
        _change(client, main, "#lang racket/base\n(oops")  # superseded at once
        _change(client, main, buffer)
        (loc,) = await _definition(client, main, 5, 15)  # helper, a line lower
        assert loc.uri == path_uri(main) and loc.range == rng(3, 9, 3, 15)
        (loc,) = await _definition(client, main, 6, 2)  # extra, defined in the buffer only
        assert loc.range == rng(2, 9, 2, 14)
        (loc,) = await _definition(client, main, 2, 19)  # g, into lib.rkt
        assert loc.uri == path_uri(lib) and loc.range == rng(2, 9, 2, 10)
        text = await _hover_text(client, main, 2, 10)
        assert text is not None and "stale" not in text
        await wait_idle(client)
        assert _compiled_state(ws) == before  # nothing written into compiled/
        assert main.read_text() != buffer


async def test_an_analysis_waits_for_its_own_build_only(ws: Path) -> None:
    """A saved module is analysed once its own diagnostics are published,
    while the build goes on with another module (whose compile waits)."""
    slow, main = ws / "slow.rkt", ws / "main.rkt"
    slow.write_text(_slow_module(ws), encoding="utf-8")
    main.write_text(MAIN, encoding="utf-8")
    async with lsp_session(ws, init_options={"jobs": 1}) as client:
        statuses = collect(client, "raco/buildStatus")
        open_file(client, slow)
        open_file(client, main)
        await wait_idle(client)
        (loc,) = await _definition(client, main, 4, 15)
        assert loc.range == rng(2, 9, 2, 15)
        (ws / "hold").touch()
        save_file(client, slow, _slow_module(ws) + "(define c 2)\n")
        await _until((ws / "holding").exists, "the build reached the waiting macro")
        save_file(client, main, MAIN + "(oops)\n")  # main first, then slow again
        (loc,) = await asyncio.wait_for(_definition(client, main, 4, 15), 60)
        assert loc.range == rng(2, 9, 2, 15)  # the last good analysis, carried over
        assert "oops" in diagnostics(client, main)[0].message  # published before
        assert statuses[-1]["building"] is True  # slow.rkt's compile still waits
        (ws / "release").touch()
        await wait_idle(client)
        assert statuses[-1]["building"] is False


async def test_the_analysis_agent_starts_with_a_trusted_folder_and_not_an_untrusted_one(
    ws: Path,
) -> None:
    """Started once the build side is idle, before any request, so the first
    answer does not wait for check-syntax to load; never for an untrusted
    folder."""
    (ws / "m.rkt").write_text("#lang racket/base\n(define x 1)\n")
    for trusted in (True, False):
        async with lsp_session(ws, init_options={"trusted": trusted}) as client:
            await wait_idle(client)
            server = client._server
            assert server is not None
            roles = [cmdline(p) for p in children(server.pid)]
            analysis = [r for r in roles if "agent.rkt analysis" in r]
            assert len(analysis) == (1 if trusted else 0), roles
