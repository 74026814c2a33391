"""Diagnostics stored per (source, uri), published merged per uri, so one
tool's run never wipes another's; and the conversion of plain ``Problem``
records into LSP diagnostics, and of their quick fixes into code actions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from raco_lsp.core.records import Pos, Problem, Severity, Span
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.info.findings import Finding
from raco_lsp.lsp.uris import path_uri, uri_path

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


class RangeConverter:
    """Turns character-based ``Span``s into LSP ranges in the client's
    position encoding, and client positions back into ``Pos``, using the open
    buffer's text when there is one (lines end at ``\n``, ``\r\n``, ``\r``): the one
    place positions are converted."""

    def __init__(self, codec: PositionCodec, text_of: Callable[[Path], str | None]) -> None:
        self._codec = codec
        self._text_of = text_of
        self._lines: dict[Path, list[str]] = {}

    def _lines_of(self, path: Path) -> list[str]:
        if path not in self._lines:
            text = self._text_of(path)
            if text is None:
                text = read_source(path) or ""
            self._lines[path] = TextIndex(text).lines
        return self._lines[path]

    def pos(self, path: Path, position: types.Position) -> Pos:
        """A client position in ``path`` as a character position (past the
        end of a line: its end; past the last line: the end of the text)."""
        lines = self._lines_of(path)
        if position.line >= len(lines):
            return Pos(len(lines) - 1, len(lines[-1]))
        return Pos(position.line, self.char_index(lines[position.line], position.character))

    def range(self, path: Path, span: Span) -> types.Range:
        server_range = types.Range(
            start=types.Position(line=span.start.line, character=span.start.col),
            end=types.Position(line=span.end.line, character=span.end.col),
        )
        return self._codec.range_to_client_units(self._lines_of(path), server_range)

    def units(self, text: str) -> int:
        """The length of ``text`` (no line break) in the client's position
        encoding: offsets into a label (signature help's parameters)."""
        units: int = self._codec.client_num_units(text)
        return units

    def char_index(self, line: str, character: int) -> int:
        """The index in ``line`` (a line of text, no line break) of the client's
        column ``character``, counted in the client's position encoding
        (UTF-16 by default: a character outside the BMP counts 2); past the
        end of the line, ``len(line)``."""
        if character >= self._codec.client_num_units(line):
            return len(line)
        where = types.Position(line=0, character=character)
        return self._codec.position_from_client_units([line], where).character

    def diagnostic(self, p: Problem) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=path_uri(r.path), range=self.range(r.path, r.span)),
                message=r.message,
            )
            for r in p.related
        ]
        return types.Diagnostic(
            range=self.range(p.path, p.span),
            message=p.message,
            severity=_SEVERITY[p.severity],
            source=p.source,
            code=p.code,
            related_information=related or None,
        )

    def quick_fixes(
        self, uri: str, path: Path, findings: Iterable[Finding], within: types.Range
    ) -> list[types.CodeAction]:
        """The quick fixes of the findings about ``path`` (the document
        ``uri``) whose diagnostic touches ``within``, as code actions."""
        out: list[types.CodeAction] = []
        for finding in findings:
            if finding.problem.path != path or not finding.fixes:
                continue
            diag = self.diagnostic(finding.problem)
            if not _overlaps(diag.range, within):
                continue
            for fix in finding.fixes:
                edits = [
                    types.TextEdit(range=self.range(path, e.span), new_text=e.new_text)
                    for e in fix.edits
                ]
                out.append(
                    types.CodeAction(
                        title=fix.title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=len(finding.fixes) == 1,
                        edit=types.WorkspaceEdit(changes={uri: edits}),
                    )
                )
        return out


def document_quick_fixes(
    server: RacoLanguageServer,
    params: types.CodeActionParams,
    findings: Mapping[Path, Iterable[Finding]],
) -> list[types.CodeAction]:
    """The quick fixes of ``findings`` (by file) on the document and range
    of a code action request."""
    path = uri_path(params.text_document.uri)
    if path is None or path not in findings:
        return []
    return server.range_converter().quick_fixes(
        params.text_document.uri, path, findings[path], params.range
    )


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


class DiagnosticStore:
    """Diagnostics per (source, uri); ``publish`` sends the union for a uri."""

    def __init__(self, send: Callable[[str, list[types.Diagnostic]], None]) -> None:
        self._send = send
        self._by_key: dict[tuple[str, str], list[types.Diagnostic]] = {}

    def put(self, source: str, uri: str, diagnostics: Iterable[types.Diagnostic]) -> None:
        items = list(diagnostics)
        if items:
            self._by_key[(source, uri)] = items
        else:
            self._by_key.pop((source, uri), None)
        self._send(uri, self.get(uri))

    def get(self, uri: str, source: str | None = None) -> list[types.Diagnostic]:
        return [
            d
            for (src, u), items in sorted(self._by_key.items())
            if u == uri and (source is None or src == source)
            for d in items
        ]

    def uris(self, source: str) -> set[str]:
        return {u for (src, u) in self._by_key if src == source}


Owned = Mapping[Path, Mapping[Path, list[Problem]]]
"""Problems by owner (e.g. the file whose compile or test run reported them),
then by the file they are in."""


def publish_owned(
    server: RacoLanguageServer, source: str, owned: Owned, files: Iterable[Path]
) -> None:
    """Publish, for each of ``files``, the union of what every owner reported
    there (duplicates once, in text order) under ``source``."""
    converter = server.range_converter()
    for f in files:
        seen: list[Problem] = []
        for problems in owned.values():
            for p in problems.get(f, []):
                if p not in seen:
                    seen.append(p)
        seen.sort(key=lambda p: (p.span.start, p.message))
        server.store.put(source, server.uri_of(f), [converter.diagnostic(p) for p in seen])


def publish_replacing(
    server: RacoLanguageServer, source: str, problems: Iterable[Problem], before: Iterable[Path]
) -> set[Path]:
    """Publish ``problems`` under ``source``, grouped by file, and clear the
    files of ``before`` (what the previous run published) that have none now;
    the files published."""
    converter = server.range_converter()
    by_path: dict[Path, list[types.Diagnostic]] = {}
    for p in problems:
        by_path.setdefault(p.path, []).append(converter.diagnostic(p))
    for old in set(before) - set(by_path):
        server.store.put(source, server.uri_of(old), [])
    for path, diags in by_path.items():
        server.store.put(source, server.uri_of(path), diags)
    return set(by_path)
