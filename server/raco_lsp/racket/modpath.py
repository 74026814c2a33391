"""Resolve module paths to files the way Racket's module name resolver does,
without running Racket (collection paths and links come from ``InstallInfo``).

- ``"x/y.rkt"``: relative to the requiring file; ``.ss`` falls back to ``.rkt``.
- ``a/b`` (collection symbol): collection ``a``, file ``b.rkt``; ``a`` alone is
  ``a/main.rkt``.
- ``(lib "a/b.rkt")``, ``(lib "b.rkt" "a")``, ``(lib "a")`` likewise.
- ``(file "p")``: a path, relative to the requiring file unless absolute.
- ``(submod m ...)``: the file of ``m``; ``(quote x)`` names no file.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from raco_lsp.racket.install import InstallInfo

_SUFFIXES = (".rkt", ".ss", ".scm", ".rktl", ".scrbl")


@dataclass(frozen=True)
class Resolution:
    path: Path | None
    """The file, or None when not found (or not a file: quote, planet)."""
    problem: str | None = None
    """Why it could not be resolved, with a suggestion when there is one."""
    collection: str | None = None
    """For collection-based paths: the collection-relative name, e.g. racket/list."""


def _exists_with_ss_str(p: str) -> Path | None:
    """The file ``p`` names, or its ``.ss``/``.rkt`` twin (as the module name
    resolver accepts either); os.path on strings, without pathlib's cost per probe
    (the installation graph probes thousands of collection files)."""
    if os.path.isfile(p):
        return Path(p)
    root, ext = os.path.splitext(p)
    other = {".rkt": ".ss", ".ss": ".rkt"}.get(ext)
    if other is not None and os.path.isfile(root + other):
        return Path(root + other)
    return None


def collection_file_parts(value: str, kind: str) -> list[str] | None:
    """``racket/list`` → ["racket", "list.rkt"]; ``racket`` → [racket, main.rkt]."""
    if kind == "lib" and " " in value:  # (lib "b.rkt" "a") was flattened as "b.rkt a"
        file, *colls = value.split(" ")
        return [*colls, file] if colls else None
    parts = [p for p in value.split("/") if p]
    if not parts:
        return None
    if len(parts) == 1:
        parts = [parts[0], "main.rkt"]
    elif not any(parts[-1].endswith(s) for s in _SUFFIXES):
        parts[-1] += ".rkt"
    return parts


class Resolver:
    def __init__(self, info: InstallInfo | None) -> None:
        self.info = info
        self._coll_cache: dict[str, list[Path]] = {}
        self._coll_str_cache: dict[str, list[str]] = {}
        self._file_cache: dict[tuple[str, ...], Path] = {}
        self._names: set[str] | None = None

    def _dirs(self, collection: str) -> list[Path]:
        if collection not in self._coll_cache:
            dirs = self.info.collection_dirs(collection) if self.info else []
            self._coll_cache[collection] = [d for d in dirs if d.is_dir()]
        return self._coll_cache[collection]

    def _dir_strs(self, collection: str) -> list[str]:
        found = self._coll_str_cache.get(collection)
        if found is None:
            found = self._coll_str_cache[collection] = [str(d) for d in self._dirs(collection)]
        return found

    def resolve_collection(self, parts: list[str]) -> Path | None:
        """The first collection directory holding the file (installation
        results are cached: the installation does not change under us)."""
        key = tuple(parts)
        cached = self._file_cache.get(key)
        if cached is not None:
            return cached
        rest = os.path.join(*parts[1:]) if len(parts) > 1 else ""
        for d in self._dir_strs(parts[0]):
            found = _exists_with_ss_str(os.path.join(d, rest))
            if found is not None:
                if self.info is not None and self.info.in_installation(found):
                    self._file_cache[key] = found
                return found
        return None

    def resolve(self, kind: str, value: str, requiring: Path) -> Resolution:
        if kind in ("relative", "file"):
            # os.path on strings: a workspace has thousands of these.
            target = os.path.normpath(
                value
                if os.path.isabs(value)
                else os.path.join(os.path.dirname(os.fspath(requiring)), value)
            )
            found = _exists_with_ss_str(target)
            if found is not None:
                return Resolution(found)
            return Resolution(None, self._missing_file(value, Path(target)))
        if kind in ("collection", "lib"):
            parts = collection_file_parts(value, kind)
            if parts is None:
                return Resolution(None, f"bad module path {value!r}")
            name = "/".join(parts)
            if self.info is None:
                return Resolution(None, None, name)  # cannot know without Racket
            found = self.resolve_collection(parts)
            if found is not None:
                return Resolution(found, None, name)
            return Resolution(None, self._missing_collection(value, parts), name)
        return Resolution(None)

    def _missing_file(self, value: str, target: Path) -> str:
        msg = f"cannot find module file {value} ({target})"
        try:
            siblings = [p.name for p in target.parent.iterdir() if p.suffix in _SUFFIXES]
        except OSError:
            return msg
        close = difflib.get_close_matches(target.name, siblings, n=1, cutoff=0.7)
        if close:
            suggestion = str(Path(value).parent / close[0]) if "/" in value else close[0]
            msg += f' — did you mean "{suggestion}"?'
        return msg

    def _missing_collection(self, value: str, parts: list[str]) -> str:
        dirs = self._dirs(parts[0])
        if not dirs:
            if self._names is None:
                self._names = self.info.collection_names() if self.info else set()
            close = difflib.get_close_matches(parts[0], sorted(self._names), n=1, cutoff=0.75)
            hint = f" — did you mean {_swap_first(value, close[0])}?" if close else ""
            return f"cannot find module {value}: no collection {parts[0]!r}{hint}"
        # Collection exists: look for a near miss among its files.
        want = "/".join(parts[1:])
        candidates: set[str] = set()
        for d in dirs:
            base = d.joinpath(*parts[1:-1])
            try:
                for e in os.scandir(base):
                    if e.is_file() and e.name.endswith((".rkt", ".ss")):
                        candidates.add("/".join([*parts[1:-1], e.name]))
                    elif e.is_dir() and not e.name.startswith((".", "compiled")):
                        candidates.add("/".join([*parts[1:-1], e.name, "main.rkt"]))
            except OSError:
                continue
        close = difflib.get_close_matches(want, sorted(candidates), n=1, cutoff=0.7)
        hint = ""
        if close:
            hint = f" — did you mean {_module_name(parts[0], close[0])}?"
        return f"cannot find module {value}{hint}"


def _swap_first(value: str, first: str) -> str:
    rest = value.split("/")[1:]
    return "/".join([first, *rest])


def _module_name(collection: str, rel: str) -> str:
    if rel.endswith("/main.rkt"):
        rel = rel[: -len("/main.rkt")]
    elif rel.endswith(".rkt"):
        rel = rel[: -len(".rkt")]
    return f"{collection}/{rel}"
