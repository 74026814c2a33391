"""Unused requires through the real server and Racket: check-syntax's
warnings (tag Unnecessary) at the client's UTF-16 positions in a CRLF file
with tabs, the cost figure checked against ``raco make --vv``'s own walk of
the dependency closure, and the quick fix's exact edits (a spec out of a
form; a whole form that had only that spec)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from lsp_support import diagnostics, lsp_session, wait_idle
from raco_lsp.lsp.uris import path_uri

# 𝄞 is outside the BMP: two UTF-16 units before "a.rkt" on its line.
MAIN = (
    "#lang racket/base\r\n"
    '(require "b.rkt"\t#|𝄞|# "a.rkt"\r\n'
    "\t racket/list)\r\n"
    "(require (only-in racket/string string-trim))\r\n"
    "(define x\t(first (list b)))\r\n"
)
WITHOUT_A = MAIN.replace('\t#|𝄞|# "a.rkt"', "")
WITHOUT_STRING = MAIN.replace("(require (only-in racket/string string-trim))\r\n", "")


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _range_of(text: str, needle: str) -> types.Range:
    """``needle``'s range in ``text`` in UTF-16 units (lines end at CRLF)."""
    lines = text.split("\r\n")
    for n, line in enumerate(lines):
        if needle in line:
            col = _utf16(line[: line.index(needle)])
            return types.Range(
                start=types.Position(n, col), end=types.Position(n, col + _utf16(needle))
            )
    raise AssertionError(needle)


def _apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """``edits`` (UTF-16 positions, CRLF lines) applied to ``text``."""
    lines = text.split("\r\n")

    def offset(p: types.Position) -> int:
        before = sum(len(line) + 2 for line in lines[: p.line])
        units = lines[p.line].encode("utf-16-le")[: p.character * 2]
        return before + len(units.decode("utf-16-le"))

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


def _closure(module: Path) -> set[str]:
    """The modules ``raco make --vv`` checks for ``module`` (its dependency
    closure, as compiler/cm walks it), the module itself left out."""
    run = subprocess.run(
        ["raco", "make", "--vv", str(module)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr
    found = set(re.findall(r"checking: (.*)", run.stdout))
    return found - {str(module)}


async def test_unused_requires_their_cost_and_their_fix(ws: Path) -> None:
    (ws / "c.rkt").write_text("#lang racket/base\n(provide c)\n(define c 3)\n")
    (ws / "a.rkt").write_text(
        '#lang racket/base\n(require "c.rkt" racket/set)\n(provide a)\n(define a (set c))\n'
    )
    (ws / "b.rkt").write_text("#lang racket/base\n(provide b)\n(define b 2)\n")
    main = ws / "main.rkt"
    main.write_bytes(MAIN.encode())
    # The oracle: raco make's own walk, with and without the edge to a.rkt.
    without = ws / "without.rkt"
    without.write_bytes(WITHOUT_A.encode())
    closure = _closure(main)
    gone = closure - _closure(without)
    for f in [without, *(ws / "compiled").glob("without_rkt.*")]:
        f.unlink()
    assert {Path(p).name for p in gone} >= {"a.rkt", "c.rkt", "set.rkt"}
    assert "b.rkt" not in {Path(p).name for p in gone}
    in_ws = {p for p in gone if Path(p).is_relative_to(ws)}

    async with lsp_session(ws) as client:
        # The buffer as the editor has it: CRLF kept (open_file reads universal newlines).
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path_uri(main), language_id="racket", version=1, text=MAIN
                )
            )
        )
        await wait_idle(client)
        found = sorted(
            (d for d in diagnostics(client, main) if d.code == "unused-require"),
            key=lambda d: d.range.start.line,
        )
        assert [d.range for d in found] == [
            _range_of(MAIN, '"a.rkt"'),
            _range_of(MAIN, "racket/string"),
        ]
        for d in found:
            assert d.severity == types.DiagnosticSeverity.Warning
            assert list(d.tags or []) == [types.DiagnosticTag.Unnecessary]
            assert d.source == "racket-identifiers"
        print(found[0].message)
        assert found[0].message.startswith('unused require: "a.rkt"\n')
        figure = re.search(r"takes (\d+) of the (\d+) modules", found[0].message)
        assert figure is not None, found[0].message
        assert (int(figure.group(1)), int(figure.group(2))) == (len(gone), len(closure))
        assert f"({len(in_ws)} of the workspace, {len(gone) - len(in_ws)} others)" in (
            found[0].message
        )

        for d, expected in [(found[0], WITHOUT_A), (found[1], WITHOUT_STRING)]:
            actions = await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=path_uri(main)),
                    range=d.range,
                    context=types.CodeActionContext(diagnostics=[d]),
                )
            )
            (fix,) = [
                a
                for a in actions or []
                if isinstance(a, types.CodeAction) and a.title == "Remove unused require"
            ]
            assert fix.kind == types.CodeActionKind.QuickFix
            assert fix.edit is not None and fix.edit.changes is not None
            assert _apply(MAIN, fix.edit.changes[path_uri(main)]) == expected
