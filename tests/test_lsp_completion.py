"""Completion of identifiers in scope and signature help, through the real
server and Racket (one server for the file): a module-level definition, an
import from racket/list (resolved with its installed documentation) but
not one except-in leaves out, a prefix-in name,
locals only inside their binding form, nothing in info.rkt; the active
parameter of a workspace procedure (defined here, and imported from another
workspace module) and of a racket/base one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import lsp_session, open_file, wait_idle
from raco_lsp.lsp.uris import path_uri, uri_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

UTIL = """\
#lang racket/base
(provide scale)
(define (scale factor value) (* factor value))
(call-with-output-file {marker} void)  ; runs only if util.rkt is instantiated
"""

MAIN = """\
#lang racket/base
(require (except-in racket/list last) (prefix-in s: racket/string) "util.rkt")
(define (area width height) (* width height))
(define (lap x) x)
(define totals 0)
(define (go items)
  (let ([total (length items)])
    (area total (first items))))
(s:string-trim (lap "x"))
(string-append (substring "abc" 1 2))
(scale 2 3)
(s:string-split (sort (list "b" "a") string<? #:key values))
"""

# CRLF line ends, a tab, and 𝄞 outside the BMP (two UTF-16 units).
WIDE = "#lang racket/base\r\n(define (emoji 𝄞\tb) (list 𝄞 b))\r\n(define x𝄞 (emoji 1\t2))\r\n"

INFO = """\
#lang info
(define collection "demo")
(define deps (list "base"))
"""


SITE = """\
#lang racket/base
(define x (list 1))
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[LanguageClient, Path]]:
    ws = tmp_path_factory.mktemp("completion") / "work space"
    ws.mkdir()
    marker = '"' + str(ws / "instantiated").replace("\\", "\\\\") + '"'
    (ws / "util.rkt").write_text(UTIL.format(marker=marker), encoding="utf-8")
    (ws / "main.rkt").write_text(MAIN, encoding="utf-8")
    (ws / "wide.rkt").write_bytes(WIDE.encode("utf-8"))
    (ws / "info.rkt").write_text(INFO, encoding="utf-8")
    (ws / "build").mkdir()
    (ws / "build" / "site.rkt").write_text(SITE, encoding="utf-8")
    async with lsp_session(ws) as client:
        open_file(client, ws / "main.rkt")
        open_file(client, ws / "wide.rkt")
        open_file(client, ws / "info.rkt")
        await wait_idle(client)
        yield client, ws


def _at(text: str, line: int, needle: str, after: int) -> types.Position:
    """The position ``after`` characters into ``needle`` on ``line``."""
    return types.Position(line, text.splitlines()[line].index(needle) + after)


async def _complete(
    client: LanguageClient, path: Path, pos: types.Position
) -> list[types.CompletionItem]:
    got = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)), position=pos
        )
    )
    if got is None:
        return []
    return list(got.items) if isinstance(got, types.CompletionList) else list(got)


async def _labels(
    client: LanguageClient, ws: Path, line: int, needle: str, after: int
) -> dict[str, types.CompletionItem]:
    items = await _complete(client, ws / "main.rkt", _at(MAIN, line, needle, after))
    return {i.label: i for i in items}


async def test_module_definition_with_its_signature_on_resolve(
    session: tuple[LanguageClient, Path],
) -> None:
    client, ws = session
    items = await _labels(client, ws, 7, "(area", 3)  # "ar|ea"
    area = items["area"]
    assert area.kind == types.CompletionItemKind.Function
    assert area.text_edit is not None and isinstance(area.text_edit, types.TextEdit)
    assert area.text_edit.range.start == _at(MAIN, 7, "(area", 1)
    assert all(label.startswith("ar") for label in items)
    resolved = await client.completion_item_resolve_async(area)
    assert isinstance(resolved.documentation, types.MarkupContent)
    assert "(area width height)" in resolved.documentation.value


async def test_installation_binding_with_its_documentation_on_resolve(
    session: tuple[LanguageClient, Path],
) -> None:
    """Resolving an import of the installation adds its installed
    documentation as hover shows it: the blue box and a link to the page at
    its anchor (also through a prefix-in name)."""
    client, ws = session
    items = await _labels(client, ws, 7, "(first", 3)  # "fi|rst"
    resolved = await client.completion_item_resolve_async(items["first"])
    assert isinstance(resolved.documentation, types.MarkupContent)
    doc = resolved.documentation.value
    assert "_procedure_" in doc and "(first lst) -> any/c" in doc
    assert "provided by `racket/list`" in doc
    link = re.search(r"\]\((file://[^)#]*)#([^)]+)\)", doc)
    assert link is not None and "first" in link.group(2)
    page = uri_path(link.group(1))
    assert page is not None and page.is_file()
    assert f'name="{unquote(link.group(2))}"' in page.read_text(encoding="utf-8")
    items = await _labels(client, ws, 8, "s:string-trim", 4)  # "s:s|tring-trim"
    resolved = await client.completion_item_resolve_async(items["s:string-trim"])
    assert isinstance(resolved.documentation, types.MarkupContent)
    assert "(string-trim" in resolved.documentation.value


async def test_imports_respect_except_in_and_prefix_in(
    session: tuple[LanguageClient, Path],
) -> None:
    client, ws = session
    items = await _labels(client, ws, 7, "(first", 3)  # "fi|rst"
    assert items["first"].detail == "racket/list"
    assert items["first"].kind == types.CompletionItemKind.Function
    items = await _labels(client, ws, 8, "(lap", 3)  # "la|p"
    assert "lap" in items and "lambda" in items
    assert "last" not in items  # except-in
    items = await _labels(client, ws, 8, "s:", 2)
    assert "s:string-trim" in items and "s:string-prefix?" in items
    assert items["s:string-trim"].detail == "racket/string"
    items = await _labels(client, ws, 9, "(string-append", 4)  # "str|": only prefixed
    assert "string-append" in items and "string-trim" not in items


async def test_locals_only_inside_their_binding_form(session: tuple[LanguageClient, Path]) -> None:
    client, ws = session
    items = await _labels(client, ws, 7, "total", 2)  # "to|tal" in the let's body
    assert items["total"].detail == "local" and "totals" in items
    assert items["total"].sort_text is not None and items["totals"].sort_text is not None
    assert items["total"].sort_text < items["totals"].sort_text
    items = await _labels(client, ws, 7, "items", 2)
    assert items["items"].detail == "local"
    items = await _labels(client, ws, 4, "totals", 2)  # at top level
    assert "totals" in items and "total" not in items and "items" not in items


async def test_nothing_from_identifiers_in_info_rkt_or_a_site_configuration(
    session: tuple[LanguageClient, Path],
) -> None:
    """info.rkt and distro-build's build/site.rkt have completion of their
    own: no identifiers there, even where the module would expand."""
    client, ws = session
    for path, text, line in ((ws / "info.rkt", INFO, 2), (ws / "build" / "site.rkt", SITE, 1)):
        open_file(client, path)
        items = await _complete(client, path, _at(text, line, "(list", 3))  # "li|st"
        assert not [
            i for i in items if isinstance(i.data, dict) and "raco-lsp.identifier" in i.data
        ]
        assert "list" not in {i.label for i in items}


async def _signature(
    client: LanguageClient, ws: Path, line: int, needle: str, after: int
) -> types.SignatureHelp | None:
    return await client.text_document_signature_help_async(
        types.SignatureHelpParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(ws / "main.rkt")),
            position=_at(MAIN, line, needle, after),
        )
    )


async def test_signature_help_active_parameter(session: tuple[LanguageClient, Path]) -> None:
    client, ws = session
    # (area total |(first items)): the second argument
    got = await _signature(client, ws, 7, "(area total ", len("(area total "))
    assert got is not None
    assert [s.label for s in got.signatures] == ["(area width height)"]
    assert got.active_parameter == 1
    sig = got.signatures[0]
    assert sig.parameters is not None
    offsets = sig.parameters[1].label
    assert not isinstance(offsets, str)
    assert sig.label[offsets[0] : offsets[1]] == "height"
    # while typing the first argument: "(area to|tal"
    got = await _signature(client, ws, 7, "total (first", 2)
    assert got is not None and got.active_parameter == 0
    # racket/base's substring: arity 2 or 3, on its third argument
    got = await _signature(client, ws, 9, "1 2)", 2)
    assert got is not None and got.active_parameter == 2
    assert got.signatures[0].label == "(substring v1 v2 [v3])"
    # scale, defined in util.rkt: its own parameter names
    got = await _signature(client, ws, 10, "3)", 0)
    assert got is not None and got.signatures[0].label == "(scale factor value)"
    assert got.active_parameter == 1
    # keyword procedures of the installation: their keywords, the one whose value is typed
    got = await _signature(client, ws, 11, "#:key ", 6)
    assert got is not None
    assert got.signatures[0].label == "(sort v1 v2 [#:cache-keys? v] [#:key v])"
    assert got.active_parameter == 3
    got = await _signature(client, ws, 11, "#:key", 3)  # typing "#:k"
    assert got is not None and got.active_parameter == 3
    got = await _signature(client, ws, 11, "string<?", 0)  # after a list argument
    assert got is not None and got.active_parameter == 1
    got = await _signature(client, ws, 11, "(sort", 0)  # s:string-split's first argument
    assert got is not None and got.active_parameter == 0
    assert got.signatures[0].label.startswith("(s:string-split v1 [v2] ")
    got = await _signature(client, ws, 6, "(length", 8)  # (length |items)
    assert got is not None and got.signatures[0].label == "(length v1)"
    # in a let's binding brackets, or on a macro use: nothing
    assert await _signature(client, ws, 6, "([total", 2) is None
    assert await _signature(client, ws, 6, "(let ", 5) is None


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


async def test_utf16_columns_crlf_and_tabs(session: tuple[LanguageClient, Path]) -> None:
    """Positions in and out are the client's UTF-16 columns of a CRLF file
    with tabs: the word completion replaces, and signature help's parameter
    offsets into its label."""
    client, ws = session
    wide = ws / "wide.rkt"
    line = WIDE.split("\r\n")[2]
    start = _utf16(line[: line.index("emoji")])
    typed = types.Position(2, start + 3)  # "(define x𝄞 (emo|ji"
    items = {i.label: i for i in await _complete(client, wide, typed)}
    edit = items["emoji"].text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.range == types.Range(types.Position(2, start), typed)
    at = types.Position(2, _utf16(line[: line.index("2)")]))  # (emoji 1\t|2)
    got = await client.text_document_signature_help_async(
        types.SignatureHelpParams(
            text_document=types.TextDocumentIdentifier(path_uri(wide)), position=at
        )
    )
    assert got is not None and got.active_parameter == 1
    (sig,) = got.signatures
    assert sig.label == "(emoji 𝄞 b)" and sig.parameters is not None
    units = sig.label.encode("utf-16-le")
    for param, name in zip(sig.parameters, ["𝄞", "b"], strict=True):
        assert not isinstance(param.label, str)
        start_unit, end_unit = param.label
        assert units[2 * start_unit : 2 * end_unit].decode("utf-16-le") == name


async def test_workspace_modules_are_not_instantiated(
    session: tuple[LanguageClient, Path],
) -> None:
    """Arities come from instantiating installation modules only: util.rkt's
    top level (which writes a file) never runs."""
    client, ws = session
    items = await _labels(client, ws, 10, "(scale", 3)  # "sc|ale"
    assert items["scale"].detail == '"util.rkt"'
    assert await _signature(client, ws, 10, "3)", 0) is not None
    assert not (ws / "instantiated").exists()
