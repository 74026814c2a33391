from raco_lsp.racket.records import Pos, Span
from raco_lsp.racket.text import TextIndex


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
