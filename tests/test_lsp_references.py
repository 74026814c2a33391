"""References, rename and document symbols through the real server and
Racket, on three workspace modules: a.rkt defines and provides `f` and
`(rename-out [g h])`, b.rkt requires them (only-in), uses `f` and `h` and provides
them again, c.rkt requires b.rkt, uses `f`, and has a macro-introduced
binding and a submodule; stale analyses.  One server for the file, with a trusted folder
and an untrusted one (document symbols only: tree-sitter)."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_support import lsp_session, open_file, wait_idle
from raco_lsp.lsp.uris import path_uri, uri_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

A = """\
#lang racket/base
(provide f (rename-out [g h]))
(define (f x) (+ x 1))
(define (g n) (* n 2))
(f (g 1))
(module+ test
  (require rackunit)
  (check-equal? (f 1) 2)
  (test-case "g doubles" (check-equal? (g 2) 4)))
"""
B = """\
#lang racket/base
(require (only-in "a.rkt" f h))
(provide f h)
(define (twice x) (f (h x)))
"""
C = """\
#lang racket/base
(require (for-syntax racket/base racket/syntax) racket/list "b.rkt")
(define-syntax (define-getter stx)
  (syntax-case stx ()
    [(_ name val)
     (with-syntax ([get (format-id #'name "get-~a" #'name #:source #'name)])
       #'(define (get) val))]))
(define-getter size 3)
(define total (+ (f 1) (get-size) (first (list 1))))
(let ([k 2]) (f k))
(module+ main
  (displayln (f total)))
(define (ignore y) 0)
"""
BROKEN = """\
#lang racket/base
(define (ok x) x)
(struct pt (x y))
(define-syntax-rule (swap a b) (list b a))
(module+ test
  (require rackunit)
  (check-equal? (ok 1) 1))
(define (broken x
(define z 3)
"""


Place = tuple[str, int, int, int]
"""(file name, line, start, end) of a one-line range."""


@dataclass
class Session:
    client: LanguageClient
    a: Path
    b: Path
    c: Path
    untrusted: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Session]:
    root = tmp_path_factory.mktemp("refs")
    ws, other = root / "work space", root / "untrusted"
    ws.mkdir()
    other.mkdir()
    for name, text in (("a.rkt", A), ("b.rkt", B), ("c.rkt", C)):
        (ws / name).write_text(text, encoding="utf-8")
    (other / "broken.rkt").write_text(BROKEN, encoding="utf-8")
    config = {ws: None, other: {"raco-lsp": {"trusted": False}}}
    async with lsp_session(ws, folders=config) as client:
        for name in ("a.rkt", "b.rkt", "c.rkt"):
            open_file(client, ws / name)
        await wait_idle(client)
        yield Session(client, ws / "a.rkt", ws / "b.rkt", ws / "c.rkt", other / "broken.rkt")


def _doc(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path_uri(path))


def words(path: Path, word: str) -> set[Place]:
    """Every place ``word`` is written as a whole identifier: (file name, line,
    start, end)."""
    pattern = re.compile(rf"(?<![^\s()\[\]]){re.escape(word)}(?![^\s()\[\]])")
    return {
        (path.name, n, m.start(), m.end())
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines())
        for m in pattern.finditer(line)
    }


def place(uri: str, r: types.Range) -> Place:
    path = uri_path(uri)
    assert path is not None and r.start.line == r.end.line
    return (path.name, r.start.line, r.start.character, r.end.character)


async def references(
    s: Session, path: Path, line: int, col: int, *, declaration: bool = True
) -> set[Place]:
    got = await s.client.text_document_references_async(
        types.ReferenceParams(
            text_document=_doc(path),
            position=types.Position(line, col),
            context=types.ReferenceContext(include_declaration=declaration),
        )
    )
    return {place(loc.uri, loc.range) for loc in got or []}


async def rename(s: Session, path: Path, line: int, col: int, new: str) -> set[Place]:
    edit = await s.client.text_document_rename_async(
        types.RenameParams(
            text_document=_doc(path), position=types.Position(line, col), new_name=new
        )
    )
    assert edit is not None and edit.changes is not None
    out = set()
    for uri, edits in edit.changes.items():
        for e in edits:
            assert e.new_text == new
            out.add(place(uri, e.range))
    return out


async def refused(s: Session, path: Path, line: int, col: int, new: str = "other") -> str:
    with pytest.raises(JsonRpcException) as prepared:
        await s.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=_doc(path), position=types.Position(line, col))
        )
    with pytest.raises(JsonRpcException) as renamed:
        await rename(s, path, line, col, new)
    assert prepared.value.message == renamed.value.message
    return prepared.value.message


async def test_references_of_an_export_across_its_importers(session: Session) -> None:
    s = session
    every_f = words(s.a, "f") | words(s.b, "f") | words(s.c, "f")
    assert len(every_f) == 10
    definition = ("a.rkt", 2, 9, 10)
    # From the definition, from a re-exported use in c.rkt, from b.rkt's provide.
    assert await references(s, s.a, 2, 9) == every_f
    assert await references(s, s.c, 9, 14) == every_f
    assert await references(s, s.b, 2, 9) == every_f
    assert await references(s, s.c, 9, 14, declaration=False) == every_f - {definition}
    # Through the rename-out: b.rkt's h is a.rkt's g.
    every_g = words(s.a, "g") | words(s.b, "h")
    assert len(every_g) == 7
    assert await references(s, s.b, 3, 22) == every_g
    # A local binding: its binder and its use, in the file.
    assert await references(s, s.c, 9, 16) == words(s.c, "k")
    # racket/list's first: its use in this file.
    assert await references(s, s.c, 8, 36) == words(s.c, "first")


async def test_rename_an_export_across_its_importers(session: Session) -> None:
    s = session
    every_f = words(s.a, "f") | words(s.b, "f") | words(s.c, "f")
    prepared = await s.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=_doc(s.c), position=types.Position(9, 14))
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "f"
    assert place(path_uri(s.c), prepared.range) == ("c.rkt", 9, 14, 15)
    assert await rename(s, s.c, 9, 14, "f2") == every_f
    assert await rename(s, s.a, 2, 9, "add-one") == every_f
    # g, provided as h: a.rkt's side of the rename-out changes, b.rkt keeps h.
    assert await rename(s, s.a, 3, 9, "double") == words(s.a, "g")


async def test_rename_a_local(session: Session) -> None:
    s = session
    assert await rename(s, s.c, 9, 16, "kk") == words(s.c, "k")
    assert len(words(s.c, "k")) == 2
    # An argument nothing uses (no arrows: check-syntax's mouse-over says so).
    assert await rename(s, s.c, 12, 16, "unused") == words(s.c, "y") == {("c.rkt", 12, 16, 17)}


async def test_rename_refusals(session: Session) -> None:
    s = session
    message = await refused(s, s.c, 8, 37)  # first, from racket/list
    assert "`first` is defined in the Racket installation" in message
    message = await refused(s, s.c, 7, 16)  # size in (define-getter size 3): defines get-size
    assert "`get-size` is introduced by a macro" in message
    message = await refused(s, s.c, 8, 26)  # (get-size): check-syntax draws no arrow to it
    assert "No binding" in message and "macro" in message
    message = await refused(s, s.b, 3, 22)  # h: g of a.rkt under its rename-out name
    assert "`h` is `g`" in message
    for bad in ("two words", "12", "#t", "a(b", "x;comment", ""):
        with pytest.raises(JsonRpcException) as bad_name:
            await rename(s, s.a, 2, 9, bad)
        assert "is not a Racket identifier" in bad_name.value.message


_versions = itertools.count(100)


def _change(s: Session, path: Path, text: str) -> None:
    """An unsaved edit: the whole buffer becomes ``text``."""
    s.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=path_uri(path), version=next(_versions)
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_stale_analyses_answer_references_only_where_usable_and_no_rename(
    session: Session,
) -> None:
    """When c.rkt's text stops expanding, its last good analysis answers
    references only where the text before the position is unchanged, and a
    rename that would come from it (in the file, or in an importer) is refused."""
    s = session
    every_k = words(s.c, "k")
    try:
        _change(s, s.c, C + "(oops)\n")  # unbound, after everything else
        assert await references(s, s.c, 9, 16) == every_k
        message = await refused(s, s.c, 9, 16)
        assert "c.rkt does not expand" in message and "stale" in message
        lines = C.splitlines(keepends=True)
        _change(s, s.c, "".join([lines[0], "(oops)\n", *lines[1:]]))
        assert await references(s, s.c, 10, 16) == set()  # the text before it changed
        with pytest.raises(JsonRpcException) as renamed:
            await rename(s, s.a, 2, 9, "f3")  # c.rkt imports f (through b.rkt)
        assert "c.rkt does not expand" in renamed.value.message
    finally:
        _change(s, s.c, C)
    assert await references(s, s.c, 9, 16) == every_k


def _outline(symbols: Sequence[types.DocumentSymbol]) -> list[object]:
    return [
        (sym.name, sym.kind, _outline(sym.children)) if sym.children else (sym.name, sym.kind)
        for sym in symbols
    ]


async def test_document_symbols_of_a_module_with_tests(session: Session) -> None:
    got = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(session.a))
    )
    assert got is not None
    symbols = [g for g in got if isinstance(g, types.DocumentSymbol)]
    K = types.SymbolKind
    assert _outline(symbols) == [
        ("f", K.Function),
        ("g", K.Function),
        (
            "test",
            K.Module,
            [
                ("check-equal? (f 1)", K.Method),
                ("g doubles", K.Method, [("check-equal? (g 2)", K.Method)]),
            ],
        ),
    ]
    assert place(path_uri(session.a), symbols[0].selection_range) == ("a.rkt", 2, 9, 10)


async def test_document_symbols_of_broken_code_in_an_untrusted_folder(session: Session) -> None:
    open_file(session.client, session.untrusted)
    got = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(session.untrusted))
    )
    assert got is not None
    K = types.SymbolKind
    assert _outline([g for g in got if isinstance(g, types.DocumentSymbol)]) == [
        ("ok", K.Function),
        ("pt", K.Struct),
        ("swap", K.Operator),
        ("test", K.Module, [("check-equal? (ok 1)", K.Method)]),
        ("z", K.Variable),
    ]
    # Nothing ran Racket there.
    assert not (session.untrusted.parent / "compiled").exists()
    # And no references: the analysis runs macros.
    assert await references(session, session.untrusted, 1, 9) == set()
