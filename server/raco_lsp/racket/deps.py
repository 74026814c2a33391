"""Read compiler/cm ``.dep`` files (docs/racket-facts.md §2).

A ``.dep`` holds one written list: ``(VERSION VM (SRC-SHA1 . DEPS-SHA1) DEP ...)``.
The reader never raises: it returns ``(DepFile | None, problems)``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

_TOKEN = re.compile(
    rb"""\s*(?:
        (?P<open>[(\[])
      | (?P<close>[)\]])
      | (?P<bytes>\#"(?:[^"\\]|\\.)*")
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<atom>[^\s()\[\]"]+)
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"\\": b"\\", b'"': b'"', b"a": b"\a"}

Datum = bytes | str | int | bool | None | list["Datum"] | tuple["Datum", "Datum"]


class _ParseError(Exception):
    pass


class Sym(str):
    """A Racket symbol (distinct from a Racket string, which is ``str``)."""


def _unescape(body: bytes) -> bytes:
    if b"\\" not in body:
        return body
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i : i + 1]
        if c == b"\\" and i + 1 < len(body):
            nxt = body[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            if nxt.isdigit():  # octal escape, as `write` prints non-ASCII bytes
                m = re.match(rb"[0-7]{1,3}", body[i + 1 :])
                assert m is not None
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
                continue
            out += nxt
            i += 2
            continue
        out += c
        i += 1
    return bytes(out)


def _read(data: bytes) -> tuple[Datum, list[tuple[int, int]]]:
    """Read one datum; also return the byte spans of the outermost list's items."""
    pos = 0
    depth = 0
    spans: list[tuple[int, int]] = []

    def datum() -> Datum:
        nonlocal pos, depth
        m = _TOKEN.match(data, pos)
        if m is None:
            raise _ParseError(f"unreadable text at byte {pos}")
        pos = m.end()
        if m.group("open"):
            items: list[Datum] = []
            depth += 1
            while True:
                m2 = _TOKEN.match(data, pos)
                if m2 is None:
                    raise _ParseError("unterminated list")
                if m2.group("close"):
                    pos = m2.end()
                    depth -= 1
                    return items
                if m2.group("atom") == b".":
                    pos = m2.end()
                    tail = datum()
                    m3 = _TOKEN.match(data, pos)
                    if m3 is None or not m3.group("close"):
                        raise _ParseError("bad dotted pair")
                    pos = m3.end()
                    if len(items) != 1:
                        raise _ParseError("unsupported improper list")
                    depth -= 1
                    return (items[0], tail)
                start = m2.start(m2.lastgroup) if m2.lastgroup else m2.start()
                top = depth == 1
                items.append(datum())
                if top:
                    spans.append((start, pos))
        if m.group("close"):
            raise _ParseError("unexpected )")
        if m.group("bytes"):
            return _unescape(m.group("bytes")[2:-1])
        if m.group("string"):
            return _unescape(m.group("string")[1:-1]).decode("utf-8", errors="replace")
        atom = m.group("atom").decode("utf-8", errors="replace")
        if atom in ("#f", "#false"):
            return False
        if atom in ("#t", "#true"):
            return True
        if re.fullmatch(r"-?\d+", atom):
            return int(atom)
        return Sym(atom)

    value = datum()
    if _TOKEN.match(data, pos) is not None and data[pos:].strip():
        raise _ParseError("trailing data")
    return value, spans


@dataclass(frozen=True)
class DepEntry:
    # ``raw`` is the entry exactly as written in the .dep (Racket's `write`),
    # which is what compiler/cm hashes.
    """One dependency: ``kind`` is ``module`` or ``ext``; ``indirect`` marks
    ``(indirect ...)``; ``path`` is absolute for path entries, ``collects`` holds
    the collection-relative elements for ``(collects ...)`` entries."""

    kind: str
    path: Path | None
    collects: tuple[str, ...] | None = None
    indirect: bool = False
    raw: str = ""


@dataclass(frozen=True)
class DepFile:
    version: str
    vm: str | None
    source_sha1: str
    deps_sha1: str
    deps: tuple[DepEntry, ...] = field(default=())
    assume_compiled_sha1: str | None = None


def _strip(d: Datum, tag: str) -> tuple[bool, Datum]:
    """``(tag . X)`` and ``(tag x ...)`` both give X (the latter as a list)."""
    if isinstance(d, tuple) and d[0] == tag:
        return True, d[1]
    if isinstance(d, list) and len(d) > 1 and d[0] == tag:
        return True, d[1] if len(d) == 2 and isinstance(d[1], bytes) else d[1:]
    return False, d


def _entry(d: Datum) -> DepEntry | None:
    indirect, d = _strip(d, "indirect")
    is_ext, d = _strip(d, "ext")
    kind = "ext" if is_ext else "module"
    if isinstance(d, bytes):
        return DepEntry(kind, Path(os.fsdecode(d)), None, indirect)
    if (
        isinstance(d, list)
        and len(d) > 1
        and d[0] == "collects"
        and all(isinstance(x, bytes) for x in d[1:])
    ):
        parts = tuple(os.fsdecode(x) for x in d[1:] if isinstance(x, bytes))
        return DepEntry(kind, None, parts, indirect)
    return None


_BYTES = rb'#"[^"\\]*+(?:\\.[^"\\]*+)*+"'  # "unrolled": a run of plain bytes at a time
_FAST_HEADER = re.compile(
    rb'\s*\("((?:[^"\\]|\\.)*)" (#f|[^\s()"]+) \("([0-9a-f]*)" \. '
    rb'(?:"([0-9a-f]*)"|\("([0-9a-f]*)" \. "([0-9a-f]*)"\))\)'
)
# Possessive runs (Python 3.11+): no backtracking into them, so an
# unclosed "(aaaa..." fails in linear time.
_ENTRY_RE = _BYTES + rb'|\((?:[^()"]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+\)'
_FAST_ENTRY = re.compile(_ENTRY_RE)
_WHITE = b" \t\n\r\f\v"
_FAST_TOKEN = re.compile(_BYTES + rb"|[^\s()]+")


_ENTRY_CACHE: dict[bytes, DepEntry | None] = {}
_ENTRY_CACHE_MAX = 200_000


def _fast_entry(raw: bytes) -> DepEntry | None:
    """One entry; entries are immutable and repeat across files (every
    racket/base module names racket/base.rkt), so they are interned."""
    found = _ENTRY_CACHE.get(raw, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    entry = _parse_entry(raw)
    if len(_ENTRY_CACHE) >= _ENTRY_CACHE_MAX:
        _ENTRY_CACHE.clear()
    _ENTRY_CACHE[raw] = entry
    return entry


_MISSING = object()


def _parse_entry(raw: bytes) -> DepEntry | None:
    text = raw.decode("utf-8", errors="replace")
    if raw.startswith(b'#"'):
        return DepEntry("module", Path(os.fsdecode(_unescape(raw[2:-1]))), None, False, text)
    tokens = _FAST_TOKEN.findall(raw[1:-1])
    indirect = bool(tokens) and tokens[0] == b"indirect"
    if indirect:
        tokens = tokens[1:]
    ext = bool(tokens) and tokens[0] == b"ext"
    if ext:
        tokens = tokens[1:]
    if tokens and tokens[0] == b".":
        tokens = tokens[1:]
    kind = "ext" if ext else "module"
    if len(tokens) == 1 and tokens[0].startswith(b'#"'):
        return DepEntry(kind, Path(os.fsdecode(_unescape(tokens[0][2:-1]))), None, indirect, text)
    if (
        len(tokens) > 1
        and tokens[0] == b"collects"
        and all(t.startswith(b'#"') for t in tokens[1:])
    ):
        parts = tuple(os.fsdecode(_unescape(t[2:-1])) for t in tokens[1:])
        return DepEntry(kind, None, parts, indirect, text)
    return None


def _fast_parse(data: bytes) -> DepFile | None:
    """The usual shape of a .dep, read with regular expressions; None when
    the file has any other shape (the general reader then decides)."""
    m = _FAST_HEADER.match(data)
    if m is None or (m.group(2) != b"#f" and m.group(2).startswith(b"#")):
        return None
    version, vm, src, deps_sha, mi_deps, mi_assume = m.groups()
    body = data[m.end() :]
    found = _FAST_ENTRY.findall(body)
    # The body must be these entries, white space and the closing ")": its
    # non-space bytes are then exactly theirs followed by ")" (entries start
    # with '#"' or '(', so nothing else can line up).
    if body.translate(None, _WHITE) != b"".join(found).translate(None, _WHITE) + b")":
        return None
    get = _ENTRY_CACHE.get
    entries: list[DepEntry] = []
    for raw in found:
        entry = get(raw) or _fast_entry(raw)
        if entry is None:
            return None
        entries.append(entry)
    return DepFile(
        _unescape(version).decode("utf-8", errors="replace"),
        None if vm == b"#f" else vm.decode("utf-8", errors="replace"),
        src.decode(),
        (deps_sha if deps_sha is not None else mi_deps).decode(),
        tuple(entries),
        mi_assume.decode() if mi_assume is not None else None,
    )


def parse_dep(data: bytes) -> tuple[DepFile | None, list[str]]:
    fast = _fast_parse(data)
    if fast is not None:
        return fast, []
    if not data.strip():
        return None, ["empty file"]
    try:
        value, spans = _read(data)
    except (_ParseError, RecursionError, ValueError) as e:
        return None, [str(e)]
    if not isinstance(value, list) or len(value) < 3:
        return None, ["not a list of version, vm and hashes"]
    version, vm, hashes, *rest = value
    if not isinstance(version, str) or isinstance(version, Sym):
        return None, ["the version is not a string"]
    if not (vm is False or isinstance(vm, Sym)):
        return None, ["the vm is not a symbol or #f"]
    assume: str | None = None
    if isinstance(hashes, tuple) and isinstance(hashes[1], tuple):
        src, (deps_sha, assume_d) = hashes[0], hashes[1]
        assume = assume_d if isinstance(assume_d, str) else None
    elif isinstance(hashes, tuple):
        src, deps_sha = hashes
    else:
        return None, ["no (source-sha1 . deps-sha1) pair"]
    if not isinstance(src, str) or not isinstance(deps_sha, str):
        return None, ["the hashes are not strings"]
    problems: list[str] = []
    entries: list[DepEntry] = []
    raws = [data[a:b].decode("utf-8", errors="replace") for a, b in spans[3:]]
    for d, raw in zip(rest, raws, strict=True):
        entry = _entry(d)
        if entry is None:
            problems.append(f"unrecognised dependency entry {d!r}")
        else:
            entries.append(replace(entry, raw=raw))
    return (
        DepFile(version, str(vm) if vm else None, src, deps_sha, tuple(entries), assume),
        problems,
    )


def read_dep(path: Path) -> tuple[DepFile | None, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, [f"cannot read {path}: {e.strerror or e}"]
    return parse_dep(data)


def unreadable_reason(dep_path: Path, problems: list[str]) -> str:
    """Why a module whose .dep exists but cannot be read is stale (the same
    words in the graph's staleness and when the build removes the .dep)."""
    return f"unreadable .dep ({dep_path.name}: {problems[0] if problems else 'no datum'})"


def discard_unreadable_dep(source: Path) -> str | None:
    """Remove ``source``'s .dep when it cannot be read, and say why.

    compiler/cm 8.7 does not recompile a module whose .dep it cannot read:
    a read error (a truncated file) or a datum that is not its list (garbage,
    an empty file) makes ``raco make`` fail, every time.  Without the .dep,
    cm sees a module never compiled and compiles it (the .zo is
    overwritten), so removing it repairs the tree.  Only ever called on
    workspace modules that are about to be compiled."""
    dep_path = compiled_paths(source)[1]
    if not dep_path.exists():
        return None
    dep, problems = read_dep(dep_path)
    if dep is not None:
        return None
    try:
        dep_path.unlink()
    except OSError:
        return None
    return unreadable_reason(dep_path, problems)


def compiled_paths(source: Path, compiled_dir: str = "compiled") -> tuple[Path, Path]:
    """The ``.zo`` and ``.dep`` that compiler/cm writes for ``source`` with the
    ``same`` root: ``<dir>/compiled/<name>_<ext>.zo``."""
    stem = source.name.replace(".", "_")
    base = source.parent / compiled_dir
    return base / f"{stem}.zo", base / f"{stem}.dep"
