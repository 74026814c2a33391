"""Recompute compiler/cm's combined dependency hash (docs/racket-facts.md §3).

For each dependency: an ext file contributes its SHA-1; a module contributes
``sha1(its .zo) ++ the deps-sha1 recorded in its .dep`` ("" when that .dep is
from another version/machine; no hash when it cannot be read, on which
compiler/cm fails).  The list of ``(STRING . DEP)`` pairs, sorted by STRING,
is ``write``n and hashed.  ``DepEntry.raw`` is the
entry exactly as ``write`` printed it, so the text is rebuilt byte for byte.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from raco_lsp.core.files import read_file
from raco_lsp.racket.deps import DepEntry, DepFile, read_dep
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.modpath import Resolver


class HashOracle:
    """Caches file hashes by (path, mtime, size); cheap to keep per session."""

    def __init__(
        self,
        info: InstallInfo,
        resolver: Resolver,
        find_dep: Callable[[Path], Path | None] | None = None,
    ) -> None:
        self.info = info
        self.resolver = resolver
        self.find_dep = find_dep or info.find_dep
        """Where a module's .dep is (a graph answers from its nodes)."""
        self._sha1: dict[Path, tuple[int, int, str | None]] = {}
        self._deps: dict[Path, tuple[int, DepFile | None]] = {}
        self._entry_paths: dict[str, Path | None] = {}

    def file_sha1(self, path: Path) -> str | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        cached = self._sha1.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        data, _ = read_file(path)
        digest = None if data is None else hashlib.sha1(data).hexdigest()
        self._sha1[path] = (st.st_mtime_ns, st.st_size, digest)
        return digest

    def dep_of(self, source: Path) -> DepFile | None:
        dep_path = self.find_dep(source)
        if dep_path is None:
            return None
        try:
            mtime = os.stat(dep_path).st_mtime_ns
        except OSError:
            return None
        cached = self._deps.get(dep_path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        dep, _ = read_dep(dep_path)
        self._deps[dep_path] = (mtime, dep)
        return dep

    def entry_path(self, entry: DepEntry) -> Path | None:
        """The file a dependency entry names (normalised), cached by its text."""
        key = entry.raw or repr((entry.path, entry.collects))
        if key in self._entry_paths:
            return self._entry_paths[key]
        found: Path | None = None
        if entry.path is not None:
            found = Path(os.path.normpath(entry.path))
        elif entry.collects:
            found = self.resolver.resolve_collection(list(entry.collects))
        self._entry_paths[key] = found
        return found

    def compiled_hash(self, source: Path) -> str | None:
        """``sha1(zo) ++ imports-sha1``, as compiler/cm's try-file-sha1."""
        dep_path = self.find_dep(source)
        if dep_path is None:
            return None
        zo = dep_path.with_suffix(".zo")
        zo_sha = self.file_sha1(zo)
        if zo_sha is None:
            return None
        dep = self.dep_of(source)
        if dep is None:
            return None
        ok = dep.version == self.info.version and (dep.vm is None or dep.vm == self.info.vm)
        imports = dep.deps_sha1 if ok else ""
        assumed = dep.assume_compiled_sha1 if ok else None
        return (assumed or zo_sha) + imports

    def entry_hash(self, entry: DepEntry) -> str | None:
        path = self.entry_path(entry)
        if path is None:
            return None
        if entry.kind == "ext":
            return self.file_sha1(path)
        return self.compiled_hash(path)

    def combined(self, dep: DepFile) -> str | None:
        """The DEPS-SHA1 compiler/cm would record now; None if some
        dependency has no hash available."""
        items: list[tuple[str, str]] = []
        for entry in dep.deps:
            h = self.entry_hash(entry)
            if h is None:
                return None
            raw = entry.raw
            text = f'("{h}" {raw[1:]}' if raw.startswith("(") else f'("{h}" . {raw})'
            items.append((h, text))
        items.sort(key=lambda x: x[0])
        written = "(" + " ".join(t for _, t in items) + ")"
        return hashlib.sha1(written.encode("utf-8")).hexdigest()
