"""Finding files in a workspace on disk: the one walker."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from raco_lsp.core.files import not_regular, special_file

MODULE_SUFFIXES = (".rkt", ".ss")
SKIP_DIRS = {"compiled", "node_modules", "doc"}


def walk_files(
    root: Path, want: Callable[[str], bool], *, max_depth: int | None = None
) -> Iterator[Path]:
    """The regular files under ``root`` whose name ``want`` accepts: each
    directory's files (sorted by name), then its subdirectories (likewise).

    One policy for every walk of a workspace: dot-files, dot-directories and
    the directories in ``SKIP_DIRS`` (``compiled/``, ``doc/``, as raco setup
    does) are skipped.  Symlinks are followed, to files and to directories
    (wherever they point: a folder may link a package from elsewhere), but
    each directory is entered once, by ``(st_dev, st_ino)``, so a link back
    (``sub/self -> .``, ``sub/up -> ..``) ends there and every file is listed
    under one path.  A wanted name that is not a regular file (a FIFO, a
    link to a device) is left out and reported once.  ``max_depth``: how
    many levels of directories below ``root`` are entered (None: all)."""
    seen: set[tuple[int, int]] = set()
    todo: list[tuple[str, int]] = [(str(root), 0)]
    while todo:
        directory, depth = todo.pop()
        try:
            st = os.stat(directory)
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        subdirs: list[str] = []
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                if e.is_dir():
                    if e.name not in SKIP_DIRS and (max_depth is None or depth < max_depth):
                        subdirs.append(e.path)
                    continue
                if not want(e.name):
                    continue
                mode = e.stat().st_mode
            except OSError:  # a dangling link, or gone meanwhile
                continue
            if stat.S_ISREG(mode):
                yield Path(e.path)
            else:
                not_regular(e.path, mode)
        todo.extend((d, depth + 1) for d in reversed(subdirs))


def walk_modules(root: Path, suffixes: tuple[str, ...] = MODULE_SUFFIXES) -> Iterator[Path]:
    """Module files under ``root`` (``walk_files``' policy)."""
    return walk_files(root, lambda name: name.endswith(suffixes))


def find_files(paths: Iterable[Path], want: Callable[[str], bool]) -> tuple[list[Path], list[str]]:
    """The files ``want`` accepts under ``paths`` (a file path is taken when
    it is a regular file, whatever its name).  Returns (files, problems); a
    missing path or a special file is a problem."""
    found: list[Path] = []
    problems: list[str] = []
    for p in paths:
        p = p.absolute()
        if (special := special_file(p)) is not None:
            problems.append(special)
        elif p.is_dir():
            found.extend(walk_files(p, want))
        elif p.is_file():
            found.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return sorted(dict.fromkeys(Path(os.path.normpath(f)) for f in found)), problems


def find_modules(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Racket module files under ``paths`` (files are taken as they are).
    Returns (modules, problems); a missing path is a problem."""
    return find_files(paths, lambda name: name.endswith(MODULE_SUFFIXES))
