from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.signature import code_signature


def _sig(text: str) -> str:
    return code_signature(Source.from_text(text))


def test_comments_are_found_where_the_parser_puts_them() -> None:
    # ";" in strings, characters, symbols and datum comments is not a comment.
    base = '(x "; s" #\\; |a;b| #;(y) #| a #| nested |# ; |#) ; end\n'
    same = '(x "; s" #\\; |a;b| #;(y) #| b #| nestex |# ; |#) ; END\n'
    assert _sig(base) == _sig(same)
    for part, other in [('"; s"', '"; t"'), ("#\\;", "#\\:"), ("|a;b|", "|a;c|"), ("(y)", "(z)")]:
        assert _sig(base) != _sig(base.replace(part, other)), part


def test_code_signature_ignores_what_the_compiler_does_not_see() -> None:
    base = '#lang racket/base\n(f 1) ; c\n#| b |#\n(g "; s")\n'
    assert _sig(base) == _sig(base.replace("; c", "; d") + ";; after\n\n")
    assert _sig(base) == _sig(base.replace("#| b |#", "#| B |#"))
    # Moving code (a longer comment before it), changing code or a string.
    assert _sig(base) != _sig(base.replace("; c", "; cc"))
    assert _sig(base) != _sig(base.replace("(f 1)", "(f 2)"))
    assert _sig(base) != _sig(base.replace("; s", "; t"))
