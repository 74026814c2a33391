import json
import subprocess
from pathlib import Path
from typing import Any

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import TextIndex, byte_index, decode_source
from raco_lsp.syntax.parser import Source


def test_positions_count_characters_not_bytes() -> None:
    text = "#lang racket/base\n(define λλλ 1) (oops)\n"
    idx = TextIndex(text)
    position = text.index("(oops)") + 1  # Racket positions are 1-based
    assert idx.span_of(2, 999, position, 6) == Span(Pos(1, 15), Pos(1, 21))


def test_crlf_counts_as_one_position() -> None:
    text = "#lang racket/base\r\n(a)\r\n(bad)\r\n"
    idx = TextIndex(text)
    # Racket: line 1 is 17 chars + 1 position for CRLF, line 2 is 3 + 1.
    position = 17 + 1 + 3 + 1 + 1
    assert idx.span_of(3, 0, position, 5) == Span(Pos(2, 0), Pos(2, 5))


def test_lone_cr_is_a_line_break() -> None:
    idx = TextIndex("a\rbc\rd")
    assert idx.pos_of_offset(3) == Pos(1, 1)
    assert idx.lines == ["a", "bc", "d"]


def test_tab_column_is_expanded_but_position_is_not() -> None:
    text = "#lang racket/base\n\t(let ((x)) x)\n"
    idx = TextIndex(text)
    # docs/racket-facts.md §8: a leading tab put `(x)` at col=14 pos=26 (1-based).
    by_position = idx.span_of(2, 14, 26, 3)
    by_column = idx.span_of(2, 14, None, 3)
    assert by_position == Span(Pos(1, 7), Pos(1, 10))
    assert by_column == by_position


def test_missing_location_goes_to_first_line() -> None:
    idx = TextIndex("#lang racket/bse\n(x)\n")
    assert idx.span_of(None, None, None, None) == Span(Pos(0, 0), Pos(0, 16))


def test_out_of_range_positions_are_clamped() -> None:
    idx = TextIndex("ab\ncd")
    assert idx.pos_of_offset(100) == Pos(1, 2)
    assert idx.pos_of_offset(-3) == Pos(0, 0)


# -- decoding as Racket does ---------------------------------------------------

_INVALID_SHAPES = {
    "truncated 2-byte": b"a\xc3x",
    "truncated 3-byte": b"a\xe2\x82x",
    "truncated 4-byte (1 of 3 continuations)": b"a\xf0\x9fx",
    "truncated 4-byte (2 of 3 continuations)": b"a\xf0\x9f\x98x",
    "lone continuation bytes": b"a\x80\xbf\x80x",
    "overlong 2-byte": b"a\xc0\xafx\xc1\xbfy",
    "overlong 3-byte": b"a\xe0\x80\xafx\xe0\x9f\xbfy",
    "overlong 4-byte": b"a\xf0\x80\x80\xafx",
    "UTF-8 encoded surrogates": b"a\xed\xa0\x80x\xed\xbf\xbfy",
    "above U+10FFFF": b"a\xf4\x90\x80\x80x",
    "bytes F5-FF": b"a\xf5\x80\x80\x80x\xf8\x88\x80\x80\x80y\xfez\xff",
    "truncated 2-byte at the end": b"a\xc3",
    "truncated 3-byte at the end": b"a\xe2\x82",
    "truncated 4-byte at the end": b"a\xf0\x9f\x98",
    "truncated before a valid sequence": b"\xe2\x82\xe2\x82\xac\xf0\xf0\x9f\x98\x80",
    "invalid bytes around line breaks": b"\xe2\r\n\x82\r\xc3\n\xff",
    "valid multibyte": "é€𝛌 x".encode(),
}

# Racket reads each case through a UTF-8 port with line counting on (what
# srclocs use), and also decodes it with bytes->string/utf-8.
_RACKET_DECODE = r"""
(define in (open-input-file (vector-ref (current-command-line-arguments) 0)))
(for ([line (in-lines in)])
  (define bs (list->bytes (map string->number (regexp-split #rx" " line))))
  (define p (open-input-bytes bs))
  (port-count-lines! p)
  (define chars (for/list ([c (in-producer (lambda () (read-char p)) eof)]) (char->integer c)))
  (define-values (ln col pos) (port-next-location p))
  (define whole (map char->integer (string->list (bytes->string/utf-8 bs #\uFFFD))))
  (write-json (list chars whole (sub1 pos)))
  (newline))
"""


def _racket(program: str, f: Path) -> str:
    """What ``program`` (racket/base + json) prints about file ``f``."""
    return subprocess.run(
        ["racket", "-l", "racket/base", "-l", "json", "-e", program, "--", str(f)],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout


def _racket_decodings(cases: list[bytes], tmp: Path) -> list[Any]:
    f = tmp / "cases.txt"
    f.write_text("".join(" ".join(str(b) for b in c) + "\n" for c in cases))
    return [json.loads(line) for line in _racket(_RACKET_DECODE, f).splitlines()]


def test_decode_source_matches_racket_on_every_invalid_shape(tmp_path: Path) -> None:
    cases = list(_INVALID_SHAPES.values())
    for (name, data), (chars, whole, positions) in zip(
        _INVALID_SHAPES.items(), _racket_decodings(cases, tmp_path), strict=True
    ):
        ours = decode_source(data)
        assert [ord(c) for c in ours] == chars == whole, name
        # Racket's position after the last character (CRLF counts once).
        assert positions == len(ours) - ours.count("\r\n"), name


def test_byte_index_inverts_decode_source() -> None:
    for name, data in _INVALID_SHAPES.items():
        text = decode_source(data)
        for k in range(len(text) + 1):
            assert decode_source(data[: byte_index(data, k)]) == text[:k], (name, k)
        assert byte_index(data, len(text) + 5) == len(data)


_RACKET_SRCLOC = r"""
(define path (vector-ref (current-command-line-arguments) 0))
(define in (open-input-file path))
(port-count-lines! in)
(define stx (parameterize ([read-accept-reader #t]) (read-syntax path in)))
(let find ([s stx])
  (cond [(eq? (syntax-e s) 'nope)
         (write-json (list (syntax-line s) (syntax-column s) (syntax-position s)))]
        [(syntax->list s) => (lambda (l) (for-each find l))]
        [else (void)]))
"""


def test_tree_sitter_positions_agree_with_the_racket_reader_after_invalid_bytes(
    tmp_path: Path,
) -> None:
    f = tmp_path / "m.rkt"
    f.write_bytes(
        b'#lang racket/base\n(define s "a\xe2\x82x \xc0\xaf")\n'
        b'(define t "\xf0\x9f\x98 \xed\xa0\x80") (list "\xff\x80" nope)\n'
    )
    line, column, position = json.loads(_racket(_RACKET_SRCLOC, f))
    src = Source(f.read_bytes())
    at = src.data.index(b"nope")
    nope = src.root.descendant_for_byte_range(at, at + 4)
    assert nope is not None and nope.type == "symbol"
    start = src.span_of(nope).start
    assert start == Pos(line - 1, column)
    assert start == TextIndex(decode_source(f.read_bytes())).pos_of_offset(position - 1)


def test_text_index_string_offsets() -> None:
    text = "a\r\nb\U0001f600c\rd\x0ce\n"
    idx = TextIndex(text)
    assert idx.lines == ["a", "b\U0001f600c", "d\x0ce", ""]
    for i, ch in enumerate(text):
        if ch not in "\r\n":
            pos = idx.pos_at(i)
            assert idx.index_of(pos) == i
            assert idx.lines[pos.line][pos.col] == ch
    assert idx.pos_at(2) == Pos(0, 1)  # inside CRLF: the end of the line
    assert idx.index_of(Pos(1, 99)) == text.index("\r", 3)  # clamped to the line
    assert idx.index_of(Pos(9, 0)) == len(text)
