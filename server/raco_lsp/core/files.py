"""Reading workspace files: regular files only, never blocking, never more
than a size cap.

Every read of a workspace file's content goes through ``read_file``: a
symlink to ``/dev/zero`` or a FIFO named ``x.rkt`` must neither eat the
memory nor block the server.  The cap is process-wide: the server sets it
from ``raco-lsp.maxFileSize``; the command line keeps the default.  Each
skipped file is logged once (a warning), and the problem is returned to the
caller.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 8 * MB

_max_size = DEFAULT_MAX_FILE_SIZE
_reported: set[tuple[str, str]] = set()

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def set_max_file_size(size: int) -> None:
    """The cap ``read_file`` applies when not given one (bytes)."""
    global _max_size
    _max_size = size


def max_file_size() -> int:
    return _max_size


def skipped(path: Path | str, why: str) -> str:
    """``path: why`` as a problem, logged the first time it is seen."""
    problem = f"{path}: {why}"
    key = (str(path), why)
    if key not in _reported:
        _reported.add(key)
        log.warning("skipped %s", problem)
    return problem


def not_regular(path: Path | str, mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return skipped(path, f"not a regular file ({kind}): not read")


def special_file(path: Path | str) -> str | None:
    """Why ``path`` is not read, when it is there but neither a regular file
    nor a directory (reported once); else None."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return not_regular(path, mode)


def _too_big(path: Path | str, size: int, cap: int) -> str:
    return skipped(
        path,
        f"{size / MB:.1f} MB, more than raco-lsp.maxFileSize ({cap / MB:g} MB): not read",
    )


def read_file(path: Path | str, cap: int | None = None) -> tuple[bytes | None, str | None]:
    """The content of a regular file of at most ``cap`` bytes (default: the
    process-wide cap), else ``(None, problem)``.  Checks the file with stat
    before opening it and with fstat after (opened non-blocking, so a FIFO
    swapped in meanwhile cannot block), then reads at most ``cap + 1`` bytes.
    Never raises on bad input."""
    limit = _max_size if cap is None else cap
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return None, f"{path}: a directory"
        if not stat.S_ISREG(st.st_mode):
            return None, not_regular(path, st.st_mode)
        if st.st_size > limit:
            return None, _too_big(path, st.st_size, limit)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as e:
        return None, f"cannot read {path}: {getattr(e, 'strerror', None) or e}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, not_regular(path, st.st_mode)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, MB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as e:
        return None, f"cannot read {path}: {e.strerror or e}"
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew since stat
        return None, _too_big(path, len(data), limit)
    return data, None
