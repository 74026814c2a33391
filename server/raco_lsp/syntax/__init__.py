"""Tree-sitter parsing and queries over Racket source.

Invariant: nothing in this package imports pygls or lsprotocol.
"""
