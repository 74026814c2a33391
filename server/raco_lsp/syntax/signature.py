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

from raco_lsp.syntax.parser import Source, captures

_NOT_NEWLINE = re.compile(rb"[^\r\n]")


def code_signature(src: Source) -> str:
    data = src.data
    if b";" in data or b"#|" in data:
        buf = bytearray(data)
        for n in captures("comments", src.root).get("comment", []):
            buf[n.start_byte : n.end_byte] = _NOT_NEWLINE.sub(b" ", data[n.start_byte : n.end_byte])
        data = bytes(buf)
    return hashlib.sha1(data.rstrip()).hexdigest()
