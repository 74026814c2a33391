"""Staleness: compiler/cm's decision for one module, without building.

A model of ``compile-root`` / ``maybe-compile-zo`` (docs/racket-facts.md §4):
pass 1 (missing/unreadable .dep, version, vm, source SHA-1, source or
dependency newer than the .zo) picks candidates, recursing into a
dependency only when the module's own checks pass; pass 2 recomputes the
combined dependency hash (sha1-only for "newer src") and only a difference
(or a changed source) means a recompile -- otherwise compiler/cm just
touches the .zo.  ``certain=False`` when the answer hangs on a dependency's
new ``.zo``, or on one that has no hash now.

Answers are memoised; the graph forgets a module's answer and its
dependents' when the module changes.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from raco_lsp.core.files import read_file
from raco_lsp.racket.deps import DepFile, read_dep, unreadable_reason
from raco_lsp.racket.graph import norm
from raco_lsp.racket.install import cache_dir, write_cache_file
from raco_lsp.syntax.signature import code_signature_of

if TYPE_CHECKING:
    from raco_lsp.racket.graph.index import ModuleGraph


@dataclass(frozen=True)
class Staleness:
    known: bool
    stale: bool
    reason: str | None
    certain: bool = True
    """False when the answer hangs on a dependency's recompile producing
    different compiled code (compiler/cm may then only touch this module)."""
    cause: str | None = None
    """For a module stale through a dependency: the first-hand reason there."""
    touched: bool = False
    """Not stale, but compiler/cm will touch the .zo (a newer timestamp with
    the same hashes), which makes dependents look again."""
    same_hash: bool = False
    """Stale, but recompiling it gives the very same hash (only comments or
    trailing space changed): dependents are only touched."""
    failed: str | None = None
    """Stale, and its last compile failed: the first line of the error."""
    new_hash: bool = False
    """Recompiling it certainly changes the hash its dependents recorded for
    it (``sha1(zo) ++ deps-sha1``): its dependency list or a dependency's
    hash changes, so its deps-sha1 does.  Its dependents then recompile for
    certain, not just maybe."""


UNKNOWN = Staleness(False, False, "unknown: Racket was not found")


class _Signatures:
    """Source SHA-1 -> code signature of every compiled-or-edited text read
    (bounded, oldest forgotten first): when a module's source changes, the
    signature of the version its .dep names tells whether only comments
    changed.  Kept on disk under the cache directory (the newest
    ``disk_limit``), so a fresh process knows what an earlier one read; a
    missing, corrupt or foreign file is ignored."""

    FORMAT = "raco-lsp code signatures 1"

    def __init__(self, limit: int = 200_000, disk_limit: int = 20_000) -> None:
        self.limit = limit
        self.disk_limit = disk_limit
        self._map: OrderedDict[str, str] = OrderedDict()
        self._loaded = False
        self._dirty = False

    @staticmethod
    def file() -> Path:
        return cache_dir() / "code-signatures.json"

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            if not self.file().is_file():
                return
            data = json.loads(self.file().read_text())
            items = data["signatures"] if data.get("format") == self.FORMAT else []
            disk = [(k, v) for k, v in items if isinstance(k, str) and isinstance(v, str)]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return
        self._map = OrderedDict(disk[-self.disk_limit :])

    def remember(self, digest: str, sig: str) -> None:
        self._load()
        if self._map.get(digest) != sig:
            self._dirty = True
        self._map[digest] = sig
        self._map.move_to_end(digest)
        while len(self._map) > self.limit:
            self._map.popitem(last=False)

    def get(self, digest: str | None) -> str | None:
        self._load()
        return self._map.get(digest) if digest is not None else None

    def __contains__(self, digest: object) -> bool:
        self._load()
        return digest in self._map

    def save(self) -> None:
        """Write what changed since the last save (never raises)."""
        if self._dirty:
            self._dirty = False
            items = list(self._map.items())[-self.disk_limit :]
            write_cache_file(self.file(), {"format": self.FORMAT, "signatures": items})

    def clear(self) -> None:
        """Forget everything, and do not read the disk again."""
        self._map.clear()
        self._loaded = True
        self._dirty = False


CODE_SIGNATURES = _Signatures()
atexit.register(CODE_SIGNATURES.save)


class StalenessModel:
    """The staleness answers of one graph's modules."""

    def __init__(self, graph: ModuleGraph) -> None:
        self.graph = graph
        self.memo: dict[Path, Staleness] = {}

    def staleness(self, path: Path) -> Staleness:
        if self.graph.info is None or self.graph.oracle is None:
            return UNKNOWN
        return self._stale(norm(path), set())

    def forget(self, paths: Iterable[Path]) -> None:
        for p in paths:
            self.memo.pop(p, None)

    def _stale(self, path: Path, visiting: set[Path]) -> Staleness:
        if path in self.memo:
            return self.memo[path]
        if path in visiting:
            return Staleness(True, False, None)  # a cycle: compiler/cm reports it
        visiting.add(path)
        try:
            result = self._compute_stale(path, visiting)
        finally:
            visiting.discard(path)
        failed = self.graph.failures.get(path)
        if failed is not None and result.stale:
            # Its last compile failed: that, not "never compiled", is the news.
            result = replace(
                result, reason=f"{path.name} failed to compile: {failed}", failed=failed
            )
        self.memo[path] = result
        return result

    def _compute_stale(self, path: Path, visiting: set[Path]) -> Staleness:
        """compiler/cm's ``compile-root`` for one module, without building."""
        assert self.graph.info is not None and self.graph.oracle is not None
        info, oracle = self.graph.info, self.graph.oracle
        name = path.name
        node = self.graph.nodes.get(path)
        if node is None:
            dep_path = info.find_dep(path)
            dep, problems = read_dep(dep_path) if dep_path else (None, [])
        else:
            dep_path, dep, problems = node.dep_path, node.dep, node.dep_problems
        if dep_path is None:
            return Staleness(True, True, f"{name} has never been compiled")
        if dep is None:
            return Staleness(True, True, unreadable_reason(dep_path, problems))
        if dep.version != info.version:
            return Staleness(
                True, True, f"{name} was compiled by Racket {dep.version}, not {info.version}"
            )
        if dep.vm is not None and dep.vm != info.vm:
            return Staleness(True, True, f"{name} was compiled for {dep.vm}, not {info.vm}")
        if dep.vm is None:
            return Staleness(True, True, f"{name} was compiled machine-independent")
        zo = dep_path.with_suffix(".zo")
        zo_time = _mtime(zo)
        if zo_time is None:
            return Staleness(True, True, f"{zo.name} is missing")
        digest = oracle.file_sha1(path)
        if digest != dep.source_sha1:
            same_code = self._code_unchanged(path, digest, dep)
            new_hash = not same_code if same_code is not None else False
            new_hash = new_hash or self._new_deps(path, dep, visiting)
            reproducible = node is None or node.reproducible
            if same_code and not new_hash and not reproducible:
                return Staleness(
                    True,
                    True,
                    f"{name} changed since it was compiled, outside its code; its language "
                    "does not always compile the same code to the same bytes",
                )
            if same_code and not new_hash:
                return Staleness(
                    True,
                    True,
                    f"{name} changed since it was compiled, outside its code (comments, "
                    "trailing space): its compiled code stays the same",
                    same_hash=True,
                )
            return Staleness(True, True, f"{name} changed since it was compiled", new_hash=new_hash)
        if (_mtime(path) or 0) > zo_time:
            # "newer src": straight to pass 2, dependencies hashed as they are.
            return self._pass2(path, dep, [], [], sha1_only=True)
        newer: list[str] = []
        rebuilt: list[tuple[str, str | None, bool]] = []
        for entry in dep.deps:
            p = oracle.entry_path(entry)
            if p is None:
                return Staleness(True, True, f"dependency {entry.raw} of {name} cannot be found")
            if entry.kind == "ext":
                t = _mtime(p)
                if t is None:
                    return Staleness(True, True, f"{p.name} (used by {name}) is missing")
                if t > zo_time:
                    newer.append(p.name)
                continue
            if self.graph.contains(p) or not info.in_installation(p):
                sub = self._stale(p, visiting)
                if sub.same_hash:
                    # Rewritten with the same code: newer, same hash.
                    newer.append(p.name)
                    continue
                if sub.stale:
                    rebuilt.append((p.name, sub.cause or sub.reason, sub.new_hash))
                    continue
                if sub.touched:
                    newer.append(p.name)
                    continue
            dep_zo = self.graph.find_dep(p)
            t = _mtime(dep_zo.with_suffix(".zo")) if dep_zo else _mtime(p)
            if t is not None and t > zo_time:
                newer.append(p.name)
        if not newer and not rebuilt:
            return Staleness(True, False, None)
        return self._pass2(path, dep, newer, rebuilt, sha1_only=False)

    def _pass2(
        self,
        path: Path,
        dep: DepFile,
        newer: list[str],
        rebuilt: list[tuple[str, str | None, bool]],
        *,
        sha1_only: bool,
    ) -> Staleness:
        """compiler/cm's ``maybe-compile-zo``: recompile unless the recorded
        dependency hash still holds, in which case the .zo is only touched."""
        assert self.graph.info is not None and self.graph.oracle is not None
        name = path.name
        if sha1_only:
            # Dependencies are hashed without building them; one that would
            # need building has no hash, which forces a compile.
            for entry in dep.deps:
                p = self.graph.oracle.entry_path(entry)
                if p is None or entry.kind == "ext":
                    continue
                sub_dep = self.graph.find_dep(p)
                parsed = read_dep(sub_dep)[0] if sub_dep else None
                if parsed is None or parsed.version != self.graph.info.version:
                    return Staleness(True, True, f"{p.name} needs compiling, so {name} does too")
                if self.graph.oracle.file_sha1(p) != parsed.source_sha1 and (
                    self.graph.contains(p) or not self.graph.info.in_installation(p)
                ):
                    return Staleness(True, True, f"{p.name} changed since {name} was compiled")
        combined = self.graph.oracle.combined(dep)
        same = combined == dep.deps_sha1
        if rebuilt:
            first, cause, _ = next((r for r in rebuilt if r[2]), rebuilt[0])
            more = f" (and {len(rebuilt) - 1} more)" if len(rebuilt) > 1 else ""
            # A dependency to be rebuilt may have no hash now (an unreadable
            # .dep, no .zo); rebuilt from the same code it gets back the
            # hash recorded here, so only a certain new hash decides.
            same = same or combined is None
            if same and any(r[2] for r in rebuilt):
                return Staleness(
                    True,
                    True,
                    f"depends on {first}{more}, which will be recompiled with a new hash: {cause}",
                    cause=cause,
                    new_hash=True,
                )
            if same:
                return Staleness(
                    True,
                    True,
                    f"depends on {first}{more}, which may compile to new code: {cause}",
                    certain=False,
                    cause=cause,
                )
        if same:
            return Staleness(True, False, None, touched=True)
        # The dependencies' hashes differ from those recorded already, so
        # the recorded deps-sha1 changes with the recompile.
        if newer:
            return Staleness(
                True,
                True,
                f"{', '.join(newer)} changed since {name} was compiled",
                new_hash=True,
            )
        if rebuilt:
            return Staleness(
                True, True, f"depends on {rebuilt[0][0]}, which will be recompiled", new_hash=True
            )
        return Staleness(
            True,
            True,
            f"the dependencies of {name} changed since it was compiled",
            new_hash=True,
        )

    def _code_unchanged(self, path: Path, digest: str | None, dep: DepFile) -> bool | None:
        """Does the source on disk (SHA-1 ``digest``) have the same code as
        the version compiled?  None when that version was never read here
        (or the file cannot be read)."""
        if digest is None:
            return None
        new = CODE_SIGNATURES.get(digest)
        if new is None:
            data, _ = read_file(path)
            if data is None:
                return None
            if hashlib.sha1(data).hexdigest() != digest:
                return None  # changed again meanwhile
            new = code_signature_of(data)
            # Remembered: once compiled, this is the version edits start from.
            CODE_SIGNATURES.remember(digest, new)
        old = CODE_SIGNATURES.get(dep.source_sha1)
        return None if old is None else old == new

    def _new_deps(self, path: Path, dep: DepFile, visiting: set[Path]) -> bool:
        """Will recompiling ``path`` (whose source changed) record other
        dependencies, or other hashes for them?  True when its source
        requires a module its .dep does not list, or a dependency's hash
        changes for certain."""
        node = self.graph.nodes.get(path)
        if node is None or self.graph.oracle is None:
            return False
        recorded = set(self.graph.dep_targets(node))
        if any(norm(t) not in recorded for t in node.source_targets()):
            return True
        for entry in dep.deps:
            p = self.graph.oracle.entry_path(entry)
            if p is None or entry.kind == "ext":
                continue
            if p in self.graph.nodes and p != path and self._stale(p, visiting).new_hash:
                return True
        return self.graph.oracle.combined(dep) not in (None, dep.deps_sha1)


def _mtime(p: Path | None) -> int | None:
    """Modification time in whole seconds, as compiler/cm compares them."""
    if p is None:
        return None
    try:
        return int(os.stat(p).st_mtime)
    except OSError:
        return None
