"""info.rkt intelligence through the real server (and real Racket)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from info_support import offset
from lsp_support import diagnostics, lsp_session, open_file, rng, save_file
from raco_lsp.core.records import Pos
from raco_lsp.lsp.uris import path_uri

L = "#lang info\n"


async def info_idle(client: LanguageClient) -> None:
    await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.infoIdle")
        ),
        60,
    )


async def labels(client: LanguageClient, path: Path, line: int, col: int) -> list[str]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)),
            position=types.Position(line=line, character=col),
        )
    )
    assert result is None or isinstance(result, types.CompletionList)
    return [i.label for i in result.items] if result else []


def apply_edit(text: str, edit: types.WorkspaceEdit, uri: str) -> str:
    assert edit.changes is not None
    for e in sorted(
        edit.changes[uri], key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start = offset(text, Pos(e.range.start.line, e.range.start.character))
        end = offset(text, Pos(e.range.end.line, e.range.end.character))
        text = text[:start] + e.new_text + text[end:]
    return text


async def test_completion_hover_and_diagnostic(ws: Path) -> None:
    pkg = ws / "mypkg"
    pkg.mkdir()
    f = pkg / "info.rkt"
    f.write_text(L + '(define version "1.02")\n')
    (ws / "otherpkg").mkdir()
    (ws / "otherpkg" / "info.rkt").write_text(L + '(define pkg-desc "Another one")\n')
    async with lsp_session(ws) as client:
        open_file(client, f)
        await info_idle(client)
        (d,) = diagnostics(client, f)
        assert d.range == rng(1, 16, 1, 22)
        assert d.source == "info.rkt" and d.severity == types.DiagnosticSeverity.Error
        assert "not a valid version" in d.message

        text = L + '(define version "1.0")\n(define \n(define deps \'("rackunit-l"))\n'
        text += '(define scribblings \'(("m.scrbl" (multi-))))\n'
        save_file(client, f, text)
        names = await labels(client, f, 2, 8)
        assert "test-omit-paths" in names and "pkg-desc" in names
        assert "version" not in names and "scribblings" not in names  # already defined
        assert await labels(client, f, 3, 26) == ["rackunit-lib"]  # installed packages
        save_file(client, f, text.replace('"rackunit-l"', '"otherp"'))
        assert await labels(client, f, 3, 22) == ["otherpkg"]  # a workspace package
        save_file(client, f, text)
        assert await labels(client, f, 4, 40) == ["multi-page"]

        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(line=1, character=10),
            )
        )
        assert hover is not None and hover.range == rng(1, 8, 1, 15)
        assert isinstance(hover.contents, types.MarkupContent)
        assert "**version**" in hover.contents.value


async def test_quick_fixes_produce_valid_info_files(ws: Path) -> None:
    for name in ("a.rkt", "b.rkt", "m.scrbl"):
        (ws / name).write_text("")
    f = ws / "info.rkt"
    text = (
        L + '(define scriblings \'(("m.scrbl" (multi-pag))))\n'
        '(define racket-launcher-names \'("a" "b"))\n'
        '(define racket-launcher-libraries \'("a.rkt"))\n'
    )
    f.write_text(text)
    uri = path_uri(f)
    async with lsp_session(ws) as client:
        open_file(client, f)
        await info_idle(client)
        assert {d.severity for d in diagnostics(client, f)} == {
            types.DiagnosticSeverity.Warning,  # scriblings: unknown field
            types.DiagnosticSeverity.Error,  # parallel lists
        }
        titles = []
        for _ in range(3):
            first = diagnostics(client, f)[0]
            actions = await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=first.range,
                    context=types.CodeActionContext(diagnostics=[first]),
                )
            )
            assert actions, first
            # The quick fix for this diagnostic (packaging offers its own actions on info.rkt).
            (action,) = [
                a
                for a in actions
                if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix
            ]
            assert action.edit is not None
            titles.append(action.title)
            text = apply_edit(text, action.edit, uri)
            save_file(client, f, text)
            await info_idle(client)
        assert titles == [
            "Rename to `scribblings`",
            "Change to 'multi-page'",
            "Add the missing racket-launcher-libraries entries",
        ]
        assert diagnostics(client, f) == []  # static checks and get-info agree
        assert '(define racket-launcher-libraries \'("a.rkt" "b.rkt"))' in text


async def test_get_info_reports_what_static_checks_miss(ws: Path) -> None:
    f = ws / "info.rkt"
    f.write_text(L + "(define x 1)\n")
    async with lsp_session(ws) as client:
        open_file(client, f)
        save_file(client, f, L + "(define x (car (list)))\n")
        await info_idle(client)
        (d,) = diagnostics(client, f)
        assert d.source == "info.rkt"
        assert d.message.startswith("get-info: car: contract violation")
        assert d.range == rng(0, 0, 0, 10)  # no srcloc from Racket: the #lang line
        save_file(client, f, L + "(define x (car (list 1)))\n")
        await info_idle(client)
        assert diagnostics(client, f) == []


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


async def test_positions_after_an_emoji_and_a_form_feed(ws: Path) -> None:
    # The client counts UTF-16 units, and lines end only at \n, \r\n and \r:
    # a form feed (a page break; whitespace to Racket) does not end one.
    # (The comment is long: a module-graph hover converting the position on
    # lines split at the form feed would clamp it in place.)
    f = ws / "info.rkt"
    comment = ";; one page\x0canother page, long enough for the position\n"
    line = '(define scribblings \'(("\U0001f600.scrbl" (multi-page))))'
    f.write_text(L + comment + line + "\n", encoding="utf-8")
    at = line.index("multi-page")
    async with lsp_session(ws) as client:
        open_file(client, f)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(line=2, character=_utf16(line[: at + 3])),
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.value.startswith("**'multi-page** — scribblings flag")
        assert hover.range == rng(2, _utf16(line[:at]), 2, _utf16(line[: at + 10]))

        typed = line[: at + 6]  # (multi-
        save_file(client, f, L + comment + typed + "\n")
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(line=2, character=_utf16(typed)),
            )
        )
        assert isinstance(result, types.CompletionList)
        (item,) = result.items
        assert item.label == "multi-page" and isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.range == rng(2, _utf16(line[:at]), 2, _utf16(typed))


def plain_text_client() -> types.ClientCapabilities:
    """VS Code's capabilities, but hover and completion documentation in plain
    text only (eglot without markdown-mode asks for that)."""
    caps = client_capabilities("visual-studio-code")
    text = caps.text_document
    assert text is not None and text.hover is not None and text.completion is not None
    assert text.completion.completion_item is not None
    text.hover.content_format = [types.MarkupKind.PlainText]
    text.completion.completion_item.documentation_format = [types.MarkupKind.PlainText]
    return caps


async def test_plain_text_clients_get_plain_text(ws: Path) -> None:
    f = ws / "info.rkt"
    f.write_text(L + '(define version "1.0")\n(define \n')
    async with lsp_session(ws, capabilities=plain_text_client()) as client:
        open_file(client, f)
        await info_idle(client)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(line=1, character=10),
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.kind == types.MarkupKind.PlainText
        assert "version" in hover.contents.value
        assert "**" not in hover.contents.value and "`" not in hover.contents.value
        done = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(line=2, character=8),
            )
        )
        assert done is not None
        items = done.items if isinstance(done, types.CompletionList) else done
        docs = [i.documentation for i in items if isinstance(i.documentation, types.MarkupContent)]
        assert docs and all(d.kind == types.MarkupKind.PlainText for d in docs)
        assert not any("`" in d.value for d in docs)
