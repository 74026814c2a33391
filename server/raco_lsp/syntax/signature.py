"""What the compiler sees of a source: its code, not its comments.

Racket's compiled code keeps source locations, so any edit that moves a
token changes the ``.zo``; an edit confined to comments (same length) or
after the last token does not.  ``code_signature`` hashes the source with
every comment blanked to spaces (newlines kept, so positions stay) and the
trailing blank space dropped: two versions with the same signature compile
to the same code.
"""

from __future__ import annotations

import hashlib
import re

from raco_lsp.syntax.parser import Source

_NOT_NEWLINE = re.compile(rb"[^\r\n]")


_COMMENT_START = re.compile(rb";|#\|")


def code_signature(src: Source) -> str:
    data = src.data
    buf: bytearray | None = None
    at = 0
    # Comments start at a ";" or "#|" that the parser did not take as part of
    # a string, character or symbol; found by byte search (cheaper than a
    # query on the many small files of a workspace).
    while (m := _COMMENT_START.search(data, at)) is not None:
        node = src.root.descendant_for_byte_range(m.start(), m.end())
        while node is not None and node.type not in ("comment", "block_comment"):
            if node.start_byte < m.start() or node.type == "program":
                node = None
                break
            node = node.parent
        if node is None or node.start_byte != m.start():
            at = m.end()
            continue
        if buf is None:
            buf = bytearray(data)
        buf[node.start_byte : node.end_byte] = _NOT_NEWLINE.sub(
            b" ", data[node.start_byte : node.end_byte]
        )
        at = max(node.end_byte, m.end())
    return hashlib.sha1((bytes(buf) if buf is not None else data).rstrip()).hexdigest()


def code_signature_of(data: bytes) -> str:
    """``code_signature`` of a source given as bytes."""
    return code_signature(Source(data))
