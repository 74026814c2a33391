from raco_lsp.syntax.parser import Source, captures
from raco_lsp.syntax.signature import code_signature


def _sig(text: str) -> str:
    return code_signature(Source.from_text(text))


def test_query_comments_finds_line_and_block_comments() -> None:
    src = Source.from_text('(x "; not a comment" #\\;) ; a\n#| b |#\n')
    found = [src.text_of(n) for n in captures("comments", src.root)["comment"]]
    assert found == ["; a", "#| b |#"]


def test_code_signature_ignores_what_the_compiler_does_not_see() -> None:
    base = '#lang racket/base\n(f 1) ; c\n#| b |#\n(g "; s")\n'
    assert _sig(base) == _sig(base.replace("; c", "; d") + ";; after\n\n")
    assert _sig(base) == _sig(base.replace("#| b |#", "#| B |#"))
    # Moving code (a longer comment before it), changing code or a string.
    assert _sig(base) != _sig(base.replace("; c", "; cc"))
    assert _sig(base) != _sig(base.replace("(f 1)", "(f 2)"))
    assert _sig(base) != _sig(base.replace("; s", "; t"))
