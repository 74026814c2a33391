"""Decode ``.plt`` archives (raco manual §10.1) in pure Python, extracting nothing.

A ``.plt`` file is base64(gzip(raw)); ``raw`` is ``PLT``, a config S-expression
(a ``lambda`` answering name/requires/conflicts/plt-relative?...), a setup
S-expression (``(unit ... (quote collections))``), then unpackables:
``dir <path-list>`` and ``file|file-replace <path-list> <size> *<bytes>``.
The S-expressions are *read*, never evaluated (as ``setup/unpack`` does).

``decode_plt`` never raises on bad input: it returns what it could read and
a list of problems.  ``listing_lines``/``config_lines`` print the same text
as ``raco unpack -l`` and ``raco unpack -c`` (8.7,
compiler/commands/unpack.rkt).
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raco_lsp.core.files import read_file


class Symbol(str):
    """A Racket symbol read from the archive (strings stay ``str``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Symbol({str(self)!r})"


class ReadError(Exception):
    pass


_DELIMS = b" \t\r\n\f\v()[]{}\"';`,"
_ESCAPES = {
    ord("n"): "\n",
    ord("t"): "\t",
    ord("r"): "\r",
    ord("a"): "\a",
    ord("b"): "\b",
    ord("v"): "\v",
    ord("f"): "\f",
    ord("e"): "\x1b",
    ord('"'): '"',
    ord("\\"): "\\",
    ord("'"): "'",
}
_NUMBER = re.compile(rb"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?\Z")


class _Reader:
    """A small reader for the data `raco pack` writes: lists, strings, byte
    strings, symbols, booleans, numbers and ``'`` quotes."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def _skip_ws(self) -> None:
        d = self.data
        while self.pos < len(d):
            c = d[self.pos]
            if c in b" \t\r\n\f\v":
                self.pos += 1
            elif c == ord(";"):
                end = d.find(b"\n", self.pos)
                self.pos = len(d) if end < 0 else end + 1
            else:
                return

    def at_eof(self) -> bool:
        self._skip_ws()
        return self.pos >= len(self.data)

    def read(self) -> Any:
        self._skip_ws()
        d = self.data
        if self.pos >= len(d):
            raise ReadError("unexpected end of archive")
        c = d[self.pos]
        if c in b"([{":
            close = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}[c]
            self.pos += 1
            items: list[Any] = []
            while True:
                self._skip_ws()
                if self.pos >= len(d):
                    raise ReadError("unclosed list")
                if d[self.pos] == close:
                    self.pos += 1
                    return items
                if d[self.pos] in b")]}":
                    raise ReadError(f"unexpected {chr(d[self.pos])!r} at byte {self.pos}")
                items.append(self.read())
        if c in b")]}":
            raise ReadError(f"unexpected {chr(c)!r} at byte {self.pos}")
        if c == ord("'"):
            self.pos += 1
            return [Symbol("quote"), self.read()]
        if c == ord('"'):
            return self._string()
        if c == ord("#") and d[self.pos + 1 : self.pos + 2] == b'"':
            self.pos += 1
            return self._string().encode("utf-8", errors="surrogateescape")
        start = self.pos
        while self.pos < len(d) and d[self.pos] not in _DELIMS:
            if d[self.pos] == ord("|"):
                end = d.find(b"|", self.pos + 1)
                if end < 0:
                    raise ReadError("unclosed |")
                self.pos = end + 1
            else:
                self.pos += 1
        tok = d[start : self.pos]
        if tok in (b"#t", b"#true"):
            return True
        if tok in (b"#f", b"#false"):
            return False
        if _NUMBER.match(tok):
            text = tok.decode("ascii")
            return float(text) if any(ch in text for ch in ".eE") else int(text)
        return Symbol(tok.replace(b"|", b"").decode("utf-8", errors="replace"))

    def _string(self) -> str:
        d = self.data
        self.pos += 1  # the opening quote
        out: list[str] = []
        chunk = bytearray()
        while True:
            if self.pos >= len(d):
                raise ReadError("unclosed string")
            c = d[self.pos]
            if c == ord('"'):
                self.pos += 1
                out.append(chunk.decode("utf-8", errors="replace"))
                return "".join(out)
            if c != ord("\\"):
                chunk.append(c)
                self.pos += 1
                continue
            out.append(chunk.decode("utf-8", errors="replace"))
            chunk = bytearray()
            e = d[self.pos + 1] if self.pos + 1 < len(d) else -1
            self.pos += 2
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif e in (ord("x"), ord("u"), ord("U")):
                limit = {ord("x"): 2, ord("u"): 4, ord("U"): 8}[e]
                m = re.match(rb"[0-9a-fA-F]{1,%d}" % limit, d[self.pos : self.pos + limit])
                if not m:
                    raise ReadError("bad \\x/\\u escape")
                self.pos += m.end()
                out.append(chr(int(m.group(), 16)))
            elif ord("0") <= e <= ord("7"):
                m = re.match(rb"[0-7]{1,3}", d[self.pos - 1 : self.pos + 2])
                assert m is not None
                self.pos += m.end() - 1
                out.append(chr(int(m.group(), 8)))
            elif e in (ord("\n"),):
                pass
            else:
                raise ReadError(f"unknown string escape at byte {self.pos - 2}")


@dataclass(frozen=True)
class PltEntry:
    kind: str
    """``dir``, ``file`` or ``file-replace``."""
    parts: tuple[str, ...]
    """The path list as stored: e.g. ("collects", "mypkg", "main.rkt")."""
    size: int | None = None

    @property
    def path(self) -> str:
        """The path `raco unpack -l` prints (``/`` separated, dirs end in ``/``)."""
        if not self.parts:
            return "./"
        text = "/".join(self.parts)
        return text + "/" if self.kind == "dir" else text

    @property
    def replace(self) -> bool:
        return self.kind == "file-replace"


@dataclass
class PltArchive:
    name: str | None = None
    requires: list[tuple[str, Any]] = field(default_factory=list)
    """(collection "a/b", version list) pairs."""
    conflicts: list[str] = field(default_factory=list)
    plt_relative: bool = False
    plt_home_relative: bool = False
    test_plt_dirs: Any = False
    setup_collections: list[str] = field(default_factory=list)
    entries: list[PltEntry] = field(default_factory=list)
    config_sexpr: Any = None
    setup_sexpr: Any = None
    config_recognized: bool = False
    setup_recognized: bool = False

    @property
    def unpack_target(self) -> str:
        """Where the archive unpacks, in `raco unpack -c` words."""
        if self.plt_home_relative:
            return "main installation"
        if self.plt_relative:
            return "user add-ons"
        return "locally"

    @property
    def fallback_dirs(self) -> list[str]:
        """``test-plt-dirs`` (``raco pack --all-users``): when one of these
        installation directories is not writable, the archive unpacks to the
        user add-ons instead of the main installation."""
        dirs = _strip_quote(self.test_plt_dirs)
        return [d for d in dirs if isinstance(d, str)] if isinstance(dirs, list) else []

    @property
    def files(self) -> list[PltEntry]:
        return [e for e in self.entries if e.kind != "dir"]


def _strip_quote(v: Any) -> Any:
    if isinstance(v, list) and len(v) == 2 and v[0] == Symbol("quote"):
        return v[1]
    return v


def _coll_name(c: Any) -> str:
    if isinstance(c, list) and all(isinstance(x, str) for x in c):
        return "/".join(c)
    return str(c)


def _parse_config(cfg: Any, out: PltArchive) -> None:
    """Match the shape `raco unpack -c` matches; otherwise keep the raw datum."""
    out.config_sexpr = cfg
    if not (isinstance(cfg, list) and len(cfg) == 3 and cfg[0] == "lambda"):
        return
    case = cfg[2]
    if not (isinstance(case, list) and len(case) >= 2 and case[0] == "case"):
        return
    answers: dict[str, Any] = {}
    for clause in case[2:]:
        if (
            isinstance(clause, list)
            and len(clause) == 2
            and isinstance(clause[0], list)
            and len(clause[0]) == 1
            and isinstance(clause[0][0], Symbol)
        ):
            answers[str(clause[0][0])] = clause[1]
    if "name" not in answers:
        return
    name = answers["name"]
    out.name = name if isinstance(name, str) else None
    reqs = _strip_quote(answers.get("requires", [Symbol("quote"), []]))
    if isinstance(reqs, list):
        for r in reqs:
            if isinstance(r, list) and len(r) >= 2:
                out.requires.append((_coll_name(r[0]), r[1]))
    confs = _strip_quote(answers.get("conflicts", [Symbol("quote"), []]))
    if isinstance(confs, list):
        out.conflicts = [_coll_name(c) for c in confs]
    out.plt_relative = answers.get("plt-relative?") not in (False, None)
    out.plt_home_relative = answers.get("plt-home-relative?") not in (False, None)
    out.test_plt_dirs = answers.get("test-plt-dirs", False)
    out.config_recognized = True


def _parse_setup(setup: Any, out: PltArchive) -> None:
    out.setup_sexpr = setup
    if (
        isinstance(setup, list)
        and len(setup) == 5
        and setup[0] == "unit"
        and isinstance(setup[4], list)
        and len(setup[4]) == 2
        and setup[4][0] == "quote"
        and isinstance(setup[4][1], list)
    ):
        out.setup_collections = [_coll_name(c) for c in setup[4][1]]
        out.setup_recognized = True


def raw_plt(data: bytes) -> tuple[bytes | None, str | None]:
    """The raw (decoded, decompressed) archive bytes, or an error."""
    try:
        packed = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data))
    except (binascii.Error, ValueError) as e:
        return None, f"not base64: {e}"
    try:
        # Concatenated gzip members and trailing garbage: decompress what we can.
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        raw = d.decompress(packed)
    except zlib.error as e:
        return None, f"not a gzip stream: {e}"
    return raw, None


def decode_plt(data: bytes) -> tuple[PltArchive, list[str]]:
    """Decode a ``.plt`` archive's bytes.  Never raises."""
    out = PltArchive()
    raw, err = raw_plt(data)
    if raw is None:
        return out, [err or "unreadable archive"]
    if not raw.startswith(b"PLT"):
        return out, ["not an unpackable distribution archive (no PLT header)"]
    r = _Reader(raw, 3)
    try:
        _parse_config(r.read(), out)
        _parse_setup(r.read(), out)
        while not r.at_eof():
            kind = r.read()
            if kind not in ("dir", "file", "file-replace"):
                return out, [f"unknown file tag {kind!r}"]
            parts_v = r.read()
            if not isinstance(parts_v, list) or not all(
                isinstance(p, str | bytes) for p in parts_v
            ):
                return out, [f"malformed path description: {parts_v!r}"]
            parts = tuple(
                p if isinstance(p, str) else p.decode("utf-8", errors="replace") for p in parts_v
            )
            if any(p == ".." for p in parts) or (parts and parts[0].startswith("/")):
                return out, [f"path is not relative: {'/'.join(parts)}"]
            if kind == "dir":
                out.entries.append(PltEntry("dir", parts))
                continue
            size = r.read()
            if not isinstance(size, int) or size < 0:
                return out, [f"expected a file size, got {size!r}"]
            star = raw.find(b"*", r.pos)
            if star < 0 or raw[r.pos : star].strip():
                return out, [f"no '*' before the data of {'/'.join(parts)}"]
            r.pos = star + 1 + size
            if r.pos > len(raw):
                out.entries.append(PltEntry(str(kind), parts, size))
                return out, [f"archive truncated inside {'/'.join(parts)}"]
            out.entries.append(PltEntry(str(kind), parts, size))
    except ReadError as e:
        return out, [str(e)]
    return out, []


def read_plt(path: Path) -> tuple[PltArchive, list[str]]:
    data, problem = read_file(path)
    if data is None:
        return PltArchive(), [problem or f"cannot read {path}"]
    return decode_plt(data)


def listing_lines(archive: PltArchive) -> list[str]:
    """What ``raco unpack -l`` prints, line by line."""
    lines = []
    for e in archive.entries:
        if e.kind == "dir" and not e.parts:
            continue
        lines.append(e.path + (" [replace]" if e.replace else ""))
    return lines


def _racket_write_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _racket_write(v: Any) -> str:
    if isinstance(v, bool):
        return "#t" if v else "#f"
    if isinstance(v, Symbol):
        return str(v)
    if isinstance(v, str):
        return _racket_write_string(v)
    if isinstance(v, list):
        return "(" + " ".join(_racket_write(x) for x in v) + ")"
    return str(v)


def config_lines(archive: PltArchive) -> list[str]:
    """The config part ``raco unpack -c`` prints (recognized shapes only)."""
    lines: list[str] = []
    if archive.config_recognized:
        lines += ["config:", f" name: {_racket_write(archive.name)}", " requires:"]
        lines += [f"  {_racket_write_string(c)} {_racket_write(v)}" for c, v in archive.requires]
        lines.append(" conflicts:")
        lines += [f"  {_racket_write_string(c)}" for c in archive.conflicts]
        target = archive.unpack_target
        lines.append(" unpack locally" if target == "locally" else f" unpack to {target}")
    else:
        lines += ["config function:", _racket_write(archive.config_sexpr)]
    if archive.setup_recognized:
        lines.append("setup collections:")
        lines += [f" {_racket_write_string(c)}" for c in archive.setup_collections]
    else:
        lines += ["setup unit:", _racket_write(archive.setup_sexpr)]
    return lines


def describe(archive: PltArchive, problems: list[str], *, max_files: int = 200) -> str:
    """A Markdown summary (for hovers and messages)."""
    lines = [f"**.plt archive** {_racket_write(archive.name) if archive.name else ''}".rstrip()]
    lines.append("")
    target = archive.unpack_target
    if archive.plt_home_relative and archive.fallback_dirs:
        dirs = ", ".join(archive.fallback_dirs)
        target += f" (user add-ons when one of {dirs} is not writable)"
    lines.append(f"- unpacks to: {target}")
    reqs = ", ".join(f"{c} {_racket_write(v)}" for c, v in archive.requires) or "none"
    lines.append(f"- requires: {reqs}")
    lines.append(f"- conflicts: {', '.join(archive.conflicts) or 'none'}")
    lines.append(f"- setup collections: {', '.join(archive.setup_collections) or 'none'}")
    files = archive.files
    total = sum(e.size or 0 for e in files)
    lines.append(f"- {len(files)} files, {total} bytes")
    lines.append("")
    shown = listing_lines(archive)
    lines.append("```")
    lines += shown[:max_files]
    if len(shown) > max_files:
        lines.append(f"... {len(shown) - max_files} more")
    lines.append("```")
    for p in problems:
        lines.append(f"\n**problem:** {p}")
    return "\n".join(lines)
