"""Snapshots of the Racket installation, to prove we never write into it."""

from __future__ import annotations

import contextlib
import os
import subprocess
from functools import cache
from pathlib import Path

_DIRS = """
(require setup/dirs)
(for ([d (list (find-collects-dir) (find-pkgs-dir) (find-share-dir) (find-lib-dir))])
  (when d (displayln d)))
(for ([r (current-compiled-file-roots)] #:when (and (path? r) (absolute-path? r)))
  (displayln r))
"""


def installation_dirs() -> list[Path]:
    out = subprocess.run(
        ["racket", "-l", "racket/base", "-e", _DIRS],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    dirs = sorted({Path(line.strip()).resolve() for line in out.splitlines() if line.strip()})
    return [d for d in dirs if d.is_dir()]


@cache
def collects_and_pkgs_dirs() -> tuple[Path, ...]:
    """``find-collects-dir`` and ``find-pkgs-dir``: where the installation's
    own collections and packages (and their info.rkt files) live."""
    out = subprocess.run(
        [
            "racket",
            "-l",
            "racket/base",
            "-l",
            "setup/dirs",
            "-e",
            "(displayln (find-collects-dir)) (displayln (find-pkgs-dir))",
        ],
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    return tuple(Path(line) for line in out.split())


def snapshot(dirs: list[Path]) -> dict[str, int]:
    """mtime of every file and directory under ``dirs``."""
    result: dict[str, int] = {}
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d):
            for name in [*dirnames, *filenames]:
                p = os.path.join(dirpath, name)
                with contextlib.suppress(OSError):
                    result[p] = os.lstat(p).st_mtime_ns
    return result


def pkg_show() -> str:
    """The user's view of the installed packages: ``raco pkg show -a``."""
    return subprocess.run(
        ["raco", "pkg", "show", "-a"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=True,
    ).stdout
