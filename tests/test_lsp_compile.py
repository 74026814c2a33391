"""Compile-on-save diagnostics through the real server and real Racket."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from lsprotocol import types

from lsp_support import diagnostics, lsp_session, open_file, rng, save_file, wait_idle

BASE = "#lang racket/base\n"


async def test_unbound_identifier_exact_range(ws: Path) -> None:
    f = ws / "unbound.rkt"
    f.write_text(BASE)
    async with lsp_session(ws) as client:
        open_file(client, f)
        save_file(client, f, BASE + "(define (f x)\n  (+ x undefined-var))\n")
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        assert d.range == rng(2, 7, 2, 20)
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.message.startswith("undefined-var: unbound identifier")
        assert d.source == "raco make"


async def test_unclosed_paren_points_at_the_paren(ws: Path) -> None:
    f = ws / "eof.rkt"
    f.write_text(BASE)
    async with lsp_session(ws) as client:
        open_file(client, f)
        save_file(client, f, BASE + "(define x 1)\n(define (g y)\n  (list y\n")
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        # The innermost unclosed paren: `(list` on line 3.
        assert d.range == rng(3, 2, 3, 3)
        assert "expected a `)` to close `(`" in d.message


async def test_dependency_error_shows_in_both_files_then_clears(ws: Path) -> None:
    util = ws / "util.rkt"
    main = ws / "main.rkt"
    util.write_text(BASE + "(provide twice)\n(define (twice x) (* 2 x))\n")
    main.write_text(BASE + '(require racket/list\n         "util.rkt")\n(twice (first (list 1)))\n')
    async with lsp_session(ws) as client:
        open_file(client, main)
        await wait_idle(client)  # compiled on open: never compiled before
        assert diagnostics(client, main) == []
        assert (ws / "compiled" / "main_rkt.zo").exists()

        open_file(client, util)
        broken = BASE + "(provide twice)\n(define (twice x) (* 2 y))\n"
        save_file(client, util, broken)
        save_file(client, main, main.read_text())
        await wait_idle(client)
        (in_util,) = diagnostics(client, util)
        assert in_util.range == rng(2, 23, 2, 24)
        (in_main,) = diagnostics(client, main)
        assert in_main.range == rng(2, 9, 2, 19)  # the "util.rkt" require spec
        assert "util.rkt" in in_main.message
        assert in_main.related_information is not None
        (rel,) = in_main.related_information
        assert rel.location.uri.endswith("/util.rkt")
        assert rel.location.range == in_util.range

        save_file(client, util, BASE + "(provide twice)\n(define (twice x) (* 2 x))\n")
        await wait_idle(client)
        assert diagnostics(client, util) == []
        assert diagnostics(client, main) == []


async def test_ranges_with_tabs_crlf_and_non_bmp_text(ws: Path) -> None:
    f = ws / "unicode.rkt"
    f.write_text(BASE)
    # CRLF line ends, a tab, and text outside the BMP (2 UTF-16 units each).
    text = '#lang racket/base\r\n(define s "𝛌𝛌")\r\n\t(list "é𝛌" nope)\r\n'
    async with lsp_session(ws) as client:
        open_file(client, f)
        save_file(client, f, text)
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        # Line 2: TAB + `(list "é𝛌" ` is 12 code points = 13 UTF-16 units, then `nope`.
        assert d.range == rng(2, 13, 2, 17)
        assert d.message.startswith("nope: unbound identifier")


# Racket's column (in characters, as its UTF-8 port decodes the file) to a
# UTF-16 column: Racket reads the line itself.
_UTF16_COLUMN = r"""
(define args (current-command-line-arguments))
(define in (open-input-file (vector-ref args 0)))
(define line (for/last ([l (in-lines in 'any)] [_ (string->number (vector-ref args 1))]) l))
(define col (string->number (vector-ref args 2)))
(display (for/sum ([c (substring line 0 col)]) (if (> (char->integer c) #xFFFF) 2 1)))
"""


def raco_make_error_at(f: Path, tmp: Path) -> types.Position:
    """Where `raco make` (on a copy of ``f``) reports its error, in LSP
    UTF-16 units."""
    copy = tmp / f.name
    shutil.copy(f, copy)
    run = subprocess.run(
        ["raco", "make", copy.name], cwd=tmp, capture_output=True, stdin=subprocess.DEVNULL
    )
    assert run.returncode != 0
    m = re.search(rb":(\d+):(\d+): ", run.stderr)
    assert m is not None, run.stderr
    line, col = m.group(1).decode(), m.group(2).decode()
    utf16 = subprocess.run(
        ["racket", "-l", "racket/base", "-e", _UTF16_COLUMN, "--", str(copy), line, col],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    return types.Position(line=int(line) - 1, character=int(utf16))


async def test_invalid_utf8_before_an_error_does_not_shift_it(ws: Path, tmp_path: Path) -> None:
    # Racket decodes each byte of an invalid UTF-8 sequence as one character.
    same_line = ws / "same_line.rkt"
    same_line.write_bytes(
        BASE.encode()
        + b'(define s "a\xe2\x82x")\n(list "\xf0\x9f\x98 \xc0\xaf \xf0\x9d\x9b\x8c" nope)\n'
    )
    # Many invalid bytes on earlier lines, the error early on a short later line.
    drift = ws / "drift.rkt"
    drift.write_bytes(
        BASE.encode() + b'(define s "' + b"\xe2\x82" * 12 + b'\xff")\n(nope)\n(define t 1)\n'
    )
    async with lsp_session(ws) as client:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        for f in (same_line, drift):
            (d,) = diagnostics(client, f)
            assert d.message.startswith("nope: unbound identifier")
            start = raco_make_error_at(f, tmp_path)
            assert (f.name, d.range.start) == (f.name, start)
            assert d.range.end == types.Position(line=start.line, character=start.character + 4)
        assert raco_make_error_at(drift, tmp_path).line == 2


async def test_errors_without_location_go_on_the_first_line(ws: Path) -> None:
    badlang = ws / "badlang.rkt"
    badlang.write_text("#lang racket/bse\n(define x 1)\n")
    plain = ws / "plain.rkt"
    plain.write_text(
        BASE + "(require (for-syntax racket/base))\n"
        '(define-syntax (m stx) (error \'m "plain failure at expansion"))\n(m)\n'
    )
    async with lsp_session(ws) as client:
        open_file(client, badlang)
        open_file(client, plain)
        await wait_idle(client)
        (d1,) = diagnostics(client, badlang)
        assert d1.range == rng(0, 0, 0, 16)
        assert "collection not found" in d1.message
        assert "racket/bse" in d1.message
        (d2,) = diagnostics(client, plain)
        assert d2.range.start.line == 0
        assert "plain failure at expansion" in d2.message


async def test_two_quick_saves_publish_only_the_last(ws: Path) -> None:
    f = ws / "quick.rkt"
    f.write_text(BASE)
    async with lsp_session(ws) as client:
        open_file(client, f)
        save_file(client, f, BASE + "first-error\n")
        save_file(client, f, BASE + "\n\nsecond-error\n")
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        assert d.message.startswith("second-error")
        assert d.range.start.line == 3
        save_file(client, f, BASE + "third-error\n")
        save_file(client, f, BASE + "(define ok 1)\n")
        await wait_idle(client)
        assert diagnostics(client, f) == []


async def test_racket_missing_shows_message_and_server_stays_alive(ws: Path) -> None:
    f = ws / "a.rkt"
    f.write_text(BASE + "oops\n")
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(ws)  # nothing called racket there
    async with lsp_session(ws, env=env) as client:
        await wait_idle(client)
        open_file(client, f)
        save_file(client, f, BASE + "oops\n")
        status = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.serverStatus")
        )
        assert status is not None and status["racket"] is None
        (msg,) = [m for m in client.messages if "Racket not found" in m.message]
        assert msg.type == types.MessageType.Error
        assert "racketPath" in msg.message and "apt-get install racket" in msg.message
        assert diagnostics(client, f) == []
        built = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        assert built is not None
        assert built["compiled"] == [] and "Racket was not found" in built["skipped"]


async def test_racket_path_setting_from_configuration(ws: Path) -> None:
    f = ws / "a.rkt"
    f.write_text(BASE + "oops\n")
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(ws)
    racket_dir = str(Path(os.popen("command -v racket").read().strip()).parent)
    config = {"raco-lsp": {"racketPath": racket_dir}}
    async with lsp_session(ws, env=env, configuration=config) as client:
        await wait_idle(client)
        open_file(client, f)
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        assert d.message.startswith("oops: unbound identifier")


async def test_looping_macro_is_stopped_by_the_timeout(ws: Path) -> None:
    f = ws / "loop.rkt"
    f.write_text(
        BASE + "(require (for-syntax racket/base))\n"
        "(define-syntax (forever stx) (let loop () (loop)))\n(forever)\n"
    )
    async with lsp_session(ws, init_options={"compileTimeout": 3}) as client:
        open_file(client, f)
        await wait_idle(client)
        (d,) = diagnostics(client, f)
        assert "did not finish within 3 s" in d.message
        assert d.range.start.line == 0
