"""Finding files in a workspace on disk: the one walker."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.files import not_regular, special_file

MODULE_SUFFIXES = (".rkt", ".ss")
# raco setup's implicit omissions (setup/private/omitted-paths.rkt: "doc"
# everywhere but the main collects tree), with dot-names.
SKIP_DIRS = {"compiled", "CVS", "doc"}


@dataclass(frozen=True)
class Omits:
    """What one directory's info.rkt leaves out (raco setup's
    ``compile-omit-paths``): everything, or paths relative to the directory
    (as tuples of names) and regexps matched against relative paths."""

    everything: bool = False
    paths: tuple[tuple[str, ...], ...] = ()
    regexps: tuple[re.Pattern[str], ...] = ()
    # Matched against each file's whole path, as raco test's test-omit-paths.
    file_regexps: tuple[re.Pattern[str], ...] = ()


@dataclass
class OmitRules:
    """info.rkt omissions for a walk: ``of(directory)`` reads a directory's
    own; each entry left out because of them is added to ``omitted``.
    ``by_name``: skip ``SKIP_DIRS`` and dot-directories (raco setup); False
    enters every directory (raco test: only dot-files are skipped)."""

    of: Callable[[Path], Omits]
    omitted: list[Path] = field(default_factory=list)
    by_name: bool = True


@dataclass(frozen=True)
class _Inherited:
    """Omissions from enclosing directories that reach into this one, as
    setup/private/omitted-paths.rkt accumulates them."""

    paths: tuple[tuple[str, ...], ...] = ()
    regexps: tuple[tuple[str, re.Pattern[str]], ...] = ()  # (prefix, rx)
    file_regexps: tuple[re.Pattern[str], ...] = ()


def walk_files(
    root: Path,
    want: Callable[[str], bool],
    *,
    max_depth: int | None = None,
    rules: OmitRules | None = None,
) -> Iterator[Path]:
    """The regular files under ``root`` whose name ``want`` accepts: each
    directory's files (sorted by name), then its subdirectories (likewise).

    One policy for every walk of a workspace: dot-files, dot-directories
    (``.git``, ``.venv``) and the directories in ``SKIP_DIRS`` are skipped,
    as raco setup does, and nothing else (``node_modules`` is entered, as
    raco setup does).  With ``rules``, what each directory's info.rkt omits
    (``compile-omit-paths``: names, relative paths, regexps, ``'all``) is
    skipped too, from ``root`` down.  Symlinks are followed, to files and to
    directories (wherever they point: a folder may link a package from
    elsewhere), but each directory is entered once, by ``(st_dev, st_ino)``,
    so a link back (``sub/self -> .``, ``sub/up -> ..``) ends there and every
    file is listed under one path.  A wanted name that is not a regular file
    (a FIFO, a link to a device) is left out and reported once.
    ``max_depth``: how many levels of directories below ``root`` are entered
    (None: all)."""
    seen: set[tuple[int, int]] = set()
    todo: list[tuple[str, int, _Inherited]] = [(str(root), 0, _Inherited())]
    while todo:
        directory, depth, inherited = todo.pop()
        try:
            st = os.stat(directory)
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        omits = inherited
        if rules is not None:
            own = rules.of(Path(directory))
            if own.everything:
                rules.omitted.append(Path(directory))
                continue
            omits = _combine(inherited, own)
        by_name = rules is None or rules.by_name
        subdirs: list[tuple[str, _Inherited]] = []
        for e in entries:
            if e.name.startswith(".") and by_name:
                continue
            if rules is not None and _omitted(e.name, omits):
                rules.omitted.append(Path(e.path))
                continue
            try:
                if e.is_dir():
                    skipped = by_name and e.name in SKIP_DIRS
                    if not skipped and (max_depth is None or depth < max_depth):
                        subdirs.append((e.path, _inside(e.name, omits)))
                    continue
                if e.name.startswith(".") or not want(e.name):
                    continue
                if rules is not None and any(rx.search(e.path) for rx in omits.file_regexps):
                    rules.omitted.append(Path(e.path))
                    continue
                mode = e.stat().st_mode
            except OSError:  # a dangling link, or gone meanwhile
                continue
            if stat.S_ISREG(mode):
                yield Path(e.path)
            else:
                not_regular(e.path, mode)
        todo.extend((d, depth + 1, inside) for d, inside in reversed(subdirs))


def walked(root: Path, path: Path, rules: OmitRules | None = None) -> bool:
    """Whether ``walk_files(root, ..., rules=rules)`` reaches ``path`` by its
    path under ``root`` (names and info.rkt omissions; links are not looked
    at, nor is ``want`` asked)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts:
        return False
    by_name = rules is None or rules.by_name
    omits = _Inherited()
    directory = root
    for i, entry in enumerate(parts):
        if rules is not None:
            own = rules.of(directory)
            if own.everything:
                return False
            omits = _combine(omits, own)
        last = i == len(parts) - 1
        if entry.startswith(".") and (by_name or last):
            return False
        if rules is not None and _omitted(entry, omits):
            return False
        if last:
            break
        if by_name and entry in SKIP_DIRS:
            return False
        omits = _inside(entry, omits)
        directory = directory / entry
    return not any(rx.search(str(path)) for rx in omits.file_regexps)


def _combine(inherited: _Inherited, own: Omits) -> _Inherited:
    """A directory's omissions: those reaching into it, and its info.rkt's."""
    return _Inherited(
        inherited.paths + own.paths,
        inherited.regexps + tuple(("", rx) for rx in own.regexps),
        inherited.file_regexps + own.file_regexps,
    )


def _omitted(name: str, omits: _Inherited) -> bool:
    return (name,) in omits.paths or any(
        rx.search(f"{prefix}/{name}" if prefix else name) for prefix, rx in omits.regexps
    )


def _inside(name: str, omits: _Inherited) -> _Inherited:
    """The omissions that reach into subdirectory ``name``."""
    return _Inherited(
        tuple(p[1:] for p in omits.paths if len(p) > 1 and p[0] == name),
        tuple((f"{prefix}/{name}" if prefix else name, rx) for prefix, rx in omits.regexps),
        omits.file_regexps,
    )


def walk_modules(
    root: Path, suffixes: tuple[str, ...] = MODULE_SUFFIXES, rules: OmitRules | None = None
) -> Iterator[Path]:
    """Module files under ``root`` (``walk_files``' policy)."""
    return walk_files(root, lambda name: name.endswith(suffixes), rules=rules)


def find_files(
    paths: Iterable[Path], want: Callable[[str], bool], rules: OmitRules | None = None
) -> tuple[list[Path], list[str]]:
    """The files ``want`` accepts under ``paths`` (a file path is taken when
    it is a regular file, whatever its name, as ``raco make`` takes it).
    Returns (files, problems); a missing path or a special file is a
    problem.  ``rules``: info.rkt omissions for the walks (``walk_files``)."""
    found: list[Path] = []
    problems: list[str] = []
    for p in paths:
        p = p.absolute()
        if (special := special_file(p)) is not None:
            problems.append(special)
        elif p.is_dir():
            found.extend(walk_files(p, want, rules=rules))
        elif p.is_file():
            found.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return sorted(dict.fromkeys(Path(os.path.normpath(f)) for f in found)), problems


def find_modules(
    paths: Iterable[Path], rules: OmitRules | None = None
) -> tuple[list[Path], list[str]]:
    """Racket module files under ``paths`` (files are taken as they are).
    Returns (modules, problems); a missing path is a problem."""
    return find_files(paths, lambda name: name.endswith(MODULE_SUFFIXES), rules)
