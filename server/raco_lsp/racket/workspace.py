"""Finding the Racket modules of a workspace on disk."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

MODULE_SUFFIXES = (".rkt", ".ss")
SKIP_DIRS = {"compiled", "node_modules", "doc"}


def walk_modules(root: Path, suffixes: tuple[str, ...] = MODULE_SUFFIXES) -> Iterator[Path]:
    """Module files under ``root``: skips ``compiled/`` and ``doc/`` directories
    and dot-files, as raco setup does.  Follows no symlinked directories twice."""
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(suffixes) and not name.startswith("."):
                yield Path(dirpath) / name


def find_modules(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Racket module files under ``paths`` (files are taken as they are).
    Returns (modules, problems); a missing path is a problem."""
    found: list[Path] = []
    problems: list[str] = []
    for p in paths:
        p = p.absolute()
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            found.extend(walk_modules(p))
        else:
            problems.append(f"{p}: no such file or directory")
    unique = sorted(dict.fromkeys(Path(os.path.normpath(f)) for f in found))
    return unique, problems
