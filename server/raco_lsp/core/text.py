"""Map Racket source locations to 0-based (line, character) positions.

Racket reports positions 1-based and counted in characters, with CRLF
counting as ONE position; columns are 0-based but a TAB moves the column to
the next multiple of 8 (docs/racket-facts.md §8).  Lines end at ``\\n``,
``\\r\\n`` or a lone ``\\r``, exactly as LSP counts them.

Source bytes become text only through ``decode_source``, which decodes as
Racket's UTF-8 ports do, so that character counts agree with Racket's.
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Callable
from pathlib import Path

from raco_lsp.core.files import read_file
from raco_lsp.core.records import Pos, Span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _one_per_byte(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd" * (exc.end - exc.start), exc.end


_RACKET_UTF8 = "raco-lsp-racket-utf8"
codecs.register_error(_RACKET_UTF8, _one_per_byte)


def decode_source(data: bytes) -> str:
    """Decode source bytes as Racket's UTF-8 ports (and ``read-char``) do:
    every byte of an invalid sequence is one U+FFFD (a truncated 3-byte
    sequence is 2 characters, where Python's ``errors="replace"`` makes 1).
    Python reports each invalid stretch as a maximal prefix of a sequence
    whose bytes Racket all rejects one by one, so the handler only repeats
    the replacement; valid UTF-8 never reaches it."""
    return data.decode("utf-8", _RACKET_UTF8)


def byte_index(data: bytes, chars: int) -> int:
    """Where, in ``data``, character ``chars`` of ``decode_source(data)``
    starts (clamped to the end)."""
    start, chars = 0, max(chars, 0)
    while True:
        try:
            text = data[start:].decode("utf-8")
        except UnicodeDecodeError as e:
            bad_start, bad_end = start + e.start, start + e.end
        else:
            return start + len(text[:chars].encode("utf-8"))
        valid = data[start:bad_start].decode("utf-8")
        if chars <= len(valid):
            return start + len(valid[:chars].encode("utf-8"))
        chars -= len(valid)
        if chars < bad_end - bad_start:
            return bad_start + chars  # one character per invalid byte
        chars -= bad_end - bad_start
        start = bad_end


def read_source(path: Path) -> str | None:
    data, _ = read_file(path)
    return None if data is None else decode_source(data)


def span_texts(text: str | None) -> Callable[[Span], str | None]:
    """What ``text`` says at a span (None when there is no text)."""
    index = TextIndex(text) if text is not None else None

    def at(span: Span) -> str | None:
        if text is None or index is None:
            return None
        return text[index.index_of(span.start) : index.index_of(span.end)]

    return at


class TextIndex:
    """Line table of one text, to turn Racket positions into ``Pos``."""

    def __init__(self, text: str) -> None:
        self.lines: list[str] = []
        # Racket position (0-based) of the first character of each line.
        self._starts: list[int] = []
        # Index in ``text`` of the first character of each line.
        self._index: list[int] = []
        pos = 0
        last = 0
        for m in _LINE_BREAK.finditer(text):
            line = text[last : m.start()]
            self.lines.append(line)
            self._starts.append(pos)
            self._index.append(last)
            pos += len(line) + 1  # a line break is one position, even CRLF
            last = m.end()
        self.lines.append(text[last:])
        self._starts.append(pos)
        self._index.append(last)
        self._end = pos + len(self.lines[-1])

    def pos_of_offset(self, position0: int) -> Pos:
        """Racket position (0-based, i.e. ``position - 1``) to ``Pos``."""
        position0 = max(0, min(position0, self._end))
        line = bisect.bisect_right(self._starts, position0) - 1
        col = position0 - self._starts[line]
        return Pos(line, min(col, len(self.lines[line])))

    def pos_of_line_column(self, line1: int, column: int) -> Pos:
        """Racket line (1-based) and tab-expanded column (0-based) to ``Pos``."""
        line = max(0, min(line1 - 1, len(self.lines) - 1))
        text = self.lines[line]
        visual = 0
        for i, ch in enumerate(text):
            if visual >= column:
                return Pos(line, i)
            visual = (visual // 8 + 1) * 8 if ch == "\t" else visual + 1
        return Pos(line, len(text))

    def span_of(
        self,
        line: int | None,
        column: int | None,
        position: int | None,
        span: int | None,
    ) -> Span:
        """The range a Racket srcloc covers; a location-less srcloc is line 0."""
        if position is not None and position >= 1:
            start = self.pos_of_offset(position - 1)
            end = self.pos_of_offset(position - 1 + max(span or 0, 0))
            return Span(start, end)
        if line is not None and line >= 1:
            start = self.pos_of_line_column(line, column or 0)
            if span:
                end_col = min(start.col + span, len(self.lines[start.line]))
                return Span(start, Pos(start.line, end_col))
            return Span(start, Pos(start.line, len(self.lines[start.line])))
        return self.first_line()

    def first_line(self) -> Span:
        return Span(Pos(0, 0), Pos(0, len(self.lines[0])))

    def index_of(self, pos: Pos) -> int:
        """The index in the text of ``pos`` (clamped to its line, and to the
        text's end)."""
        if pos.line >= len(self.lines):
            return self._index[-1] + len(self.lines[-1])
        line = max(pos.line, 0)
        return self._index[line] + max(0, min(pos.col, len(self.lines[line])))

    def pos_at(self, index: int) -> Pos:
        """The ``Pos`` of index ``index`` of the text (inside a line break:
        the end of its line)."""
        line = max(bisect.bisect_right(self._index, index) - 1, 0)
        return Pos(line, max(0, min(index - self._index[line], len(self.lines[line]))))
