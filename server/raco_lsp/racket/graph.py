"""The module dependency graph of a workspace, as the compile manager sees it.

Nodes are the workspace's modules.  A node's edges come from two places:
its source (tree-sitter, preferring the editor buffer's text) and its
compiled ``.dep``; each edge says which of the two know it, so an edge the
buffer has but the last compile did not (or the reverse) is visible.

Staleness follows compiler/cm's two passes (docs/racket-facts.md §4):
pass 1 (missing/unreadable .dep, version, vm, source SHA-1, source or
dependency newer than the .zo) picks candidates; pass 2 recomputes the
combined dependency hash and only a difference (or a changed source) means a
recompile -- otherwise compiler/cm just touches the .zo.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raco_lsp.core.records import Span
from raco_lsp.core.text import decode_source
from raco_lsp.racket.cmhash import HashOracle
from raco_lsp.racket.deps import DepFile, read_dep, unreadable_reason
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.langs import (
    LangProfiles,
    lang_key,
    lang_spec,
    module_key,
    profilable,
)
from raco_lsp.racket.modpath import Resolution, Resolver, collection_file_parts
from raco_lsp.racket.workspace import walk_modules
from raco_lsp.syntax.module_facts import ModuleFacts, UntypedContract, module_facts
from raco_lsp.syntax.requires import RequireSpec
from raco_lsp.syntax.rules import Macros, expansion_requires
from raco_lsp.syntax.signature import code_signature_of

GRAPH_SUFFIXES = (".rkt", ".ss", ".scrbl")
TextOf = Callable[[Path], str | None]


@dataclass(frozen=True)
class Require:
    spec: RequireSpec
    resolution: Resolution


@dataclass
class ModuleNode:
    path: Path
    requires: list[Require] = field(default_factory=list)
    lang: str | None = None
    lang_span: Span | None = None
    lang_targets: list[Path] = field(default_factory=list)
    """What the module's languages bring (reader, module language and what
    its ``#%module-begin`` adds): from the language's profile when there is
    one, else from rules."""
    lang_rules: list[tuple[str | None, list[Path]]] = field(default_factory=list)
    """Per language of the module: its profile key (None when it cannot be
    profiled) and the targets the rules give."""
    implied: list[Path] = field(default_factory=list)
    """Dependencies that forms like ``lazy-require`` add when expanded."""
    own_config: bool = False
    """Declares its own ``configure-runtime`` submodule."""
    rule_macros: Macros = field(default_factory=dict)
    """Its pattern-based macros that expand into requires (for its users)."""
    dep: DepFile | None = None
    dep_path: Path | None = None
    dep_problems: list[str] = field(default_factory=list)
    from_buffer: bool = False

    def source_targets(self) -> list[Path]:
        out = [r.resolution.path for r in self.requires if r.resolution.path is not None]
        return list(dict.fromkeys([*self.lang_targets, *self.implied, *out]))


@dataclass(frozen=True)
class Edge:
    source: Path
    target: Path
    in_source: bool
    in_dep: bool


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
    new_hash: bool = False
    """Recompiling it certainly changes the hash its dependents recorded for
    it (``sha1(zo) ++ deps-sha1``): its dependency list or a dependency's
    hash changes, so its deps-sha1 does.  Its dependents then recompile for
    certain, not just maybe."""


UNKNOWN = Staleness(False, False, "unknown: Racket was not found")


class _Signatures:
    """Source SHA-1 -> code signature of every compiled-or-edited text read
    in this process (bounded, oldest forgotten first): when a module's
    source changes, the signature of the version its .dep names tells
    whether only comments changed."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._map: OrderedDict[str, str] = OrderedDict()

    def remember(self, digest: str, sig: str) -> None:
        self._map[digest] = sig
        self._map.move_to_end(digest)
        while len(self._map) > self.limit:
            self._map.popitem(last=False)

    def get(self, digest: str | None) -> str | None:
        return self._map.get(digest) if digest is not None else None

    def __contains__(self, digest: object) -> bool:
        return digest in self._map

    def clear(self) -> None:
        self._map.clear()


CODE_SIGNATURES = _Signatures()


def norm(p: Path) -> Path:
    return Path(os.path.normpath(p))


# Languages whose #%module-begin adds a configure-runtime submodule that
# requires racket/runtime-config (seen in every such module's .dep): racket,
# racket/base and the module they take it from, racket/private/pre-base.
RUNTIME_CONFIG_FILES = ("racket/main.rkt", "racket/base.rkt", "racket/private/pre-base.rkt")


# Languages whose module body is a list of module paths, each required and
# re-exported (scheme/private/provider/lang.rkt's #%module-begin).
BODY_REQUIRE_LANGS = {"scheme/private/provider"}

# Languages whose module body is evaluated at run time, form by form, in a
# namespace (racket/load): the body's requires and modules are not compiled.
BODY_EVAL_LANGS = {"racket/load", "scheme/load"}


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _file_form(path: Path) -> str:
    """``(file "/abs/path.rkt")``: a module path that means the same file
    from anywhere (Racket's string escapes are JSON's for such paths)."""
    return f"(file {json.dumps(str(path))})"


class ModuleGraph:
    def __init__(
        self,
        roots: Iterable[Path],
        resolver: Resolver,
        *,
        text_of: TextOf | None = None,
        profiles: LangProfiles | None = None,
    ) -> None:
        self.roots = [norm(r) for r in roots]
        self._root_strs = [str(r) for r in self.roots]
        self.resolver = resolver
        self.info: InstallInfo | None = resolver.info
        self.oracle = HashOracle(self.info, resolver, self._find_dep) if self.info else None
        self.text_of = text_of
        self.profiles = profiles if profiles is not None else LangProfiles()
        self._runtime_config_files: set[Path] | None = None
        self.nodes: dict[Path, ModuleNode] = {}
        self._rdeps: dict[Path, set[Path]] = defaultdict(set)
        self._fwd: dict[Path, set[Path]] = {}
        self._stale_memo: dict[Path, Staleness] = {}
        self._reexpanding: set[Path] = set()
        self._macro_paths: set[Path] = set()
        """The nodes that define require-producing macros."""

    def _find_dep(self, path: Path) -> Path | None:
        """A module's .dep: a node's as last read, else looked up."""
        node = self.nodes.get(path)
        if node is not None:
            return node.dep_path
        return self.info.find_dep(path) if self.info is not None else None

    # -- building ---------------------------------------------------------

    def contains(self, path: Path) -> bool:
        s = os.path.normpath(path)
        return any(s == r or s.startswith(r + os.sep) for r in self._root_strs)

    def scan(self) -> None:
        for root in self.roots:
            for path in walk_modules(root, GRAPH_SUFFIXES):
                self.update(path)

    def update(self, path: Path, text: str | None = None) -> ModuleNode:
        """(Re)read one module: from ``text`` (an editor buffer), else the
        buffer ``text_of`` knows, else the file on disk."""
        path = norm(path)
        from_buffer = text is not None
        if text is None and self.text_of is not None:
            text = self.text_of(path)
            from_buffer = text is not None
        if text is None:
            try:
                text = decode_source(path.read_bytes())
            except OSError:
                text = ""
        node = ModuleNode(path, from_buffer=from_buffer)
        if self.info is not None:
            node.dep_path = self.info.find_dep(path)
            if node.dep_path is not None:
                node.dep, node.dep_problems = read_dep(node.dep_path)
        # The text compiled last, seen before it is edited: remember what its
        # code was (see _code_unchanged).
        compiled = node.dep.source_sha1 if node.dep is not None else None
        facts = module_facts(
            text,
            body_eval_langs=BODY_EVAL_LANGS,
            body_require_langs=BODY_REQUIRE_LANGS,
            macro_names=[n for p in self._macro_paths for n in self.nodes[p].rule_macros],
            signature_if_sha1=compiled if compiled not in CODE_SIGNATURES else None,
        )
        if compiled is not None and facts.signature is not None:
            CODE_SIGNATURES.remember(compiled, facts.signature)
        node.lang, node.lang_span = facts.lang, facts.lang_span
        node.lang_rules = self._langs_of(facts, path)
        node.own_config = facts.own_config
        if facts.phase1_lazy_require:
            # lazy-require at phase 1 declares a racket/base submodule that
            # requires racket/runtime-path (racket/lazy-require.rkt).
            node.implied = [
                p
                for p in (
                    *self._module_lang_rules("collection", "racket/base", path),
                    self.resolver.resolve_collection(["racket", "runtime-path.rkt"]),
                )
                if p is not None
            ]
        node.requires = self._resolved(
            [*facts.readers, *facts.requires, *facts.body_requires], path
        )
        if facts.includes:
            included, included_rules = self._included(facts, path, {path})
            node.requires += included
            node.lang_rules += included_rules
        for contract in facts.untyped_contracts:
            self._untyped_contract(contract, node)
        node.rule_macros = facts.rule_macros
        if facts.macro_uses:
            macros = self._visible_macros(node)
            node.requires += self._resolved(expansion_requires(facts.macro_uses, macros), path)
        self._apply_lang(node)
        old = self.nodes.get(path)
        self.nodes[path] = node
        if node.rule_macros:
            self._macro_paths.add(path)
        else:
            self._macro_paths.discard(path)
        self._relink(path)
        self._forget(path)
        if (old.rule_macros if old is not None else {}) != node.rule_macros:
            self._reexpand_users(path)
        return node

    def _resolved(self, specs: Iterable[RequireSpec], requiring: Path) -> list[Require]:
        return [Require(s, self.resolver.resolve(s.kind, s.value, requiring)) for s in specs]

    def _untyped_contract(self, contract: UntypedContract, node: ModuleNode) -> None:
        """``(require/untyped-contract [(begin form ...)] m [name T] ...)``
        (typed/untyped-utils) declares a typed/racket/base submodule and a
        racket/base one that require m and typed/untyped-utils."""
        specs = [RequireSpec("collection", "typed/untyped-utils", contract.at), *contract.module]
        node.requires += self._resolved(specs, node.path)
        for lang in ("typed/racket/base", "racket/base"):
            rules = self._module_lang_rules("collection", lang, node.path)
            node.lang_rules.append(self._profile_key(module_key(lang), rules))

    def _visible_macros(self, node: ModuleNode) -> Macros:
        """The require-producing macros ``node`` can use: those of the graph
        modules it requires, and its own."""
        if not self._macro_paths:
            return node.rule_macros
        out: Macros = {}
        for r in node.requires:
            t = r.resolution.path
            if t is not None and t != node.path:
                t = norm(t)
                if t in self._macro_paths:
                    out.update(self.nodes[t].rule_macros)
        out.update(node.rule_macros)
        return out

    def _reexpand_users(self, path: Path) -> None:
        """``path``'s macros changed: read again the modules that use them."""
        if path in self._reexpanding:
            return
        self._reexpanding.add(path)
        try:
            for d in sorted(self._rdeps.get(path, ())):
                if d != path and d in self.nodes:
                    self.update(d)
        finally:
            self._reexpanding.discard(path)

    def forget_staleness(self) -> None:
        """Drop every staleness answer (files may have changed on disk
        without a notification: a save is a good moment to look again)."""
        self._stale_memo.clear()

    def _forget(self, path: Path) -> None:
        """Drop the staleness answers that can hang on ``path``: its own and
        those of everything that depends on it, directly or not."""
        memo = self._stale_memo
        if not memo:
            return
        memo.pop(path, None)
        seen = {path}
        todo = [path]
        while todo:
            for d in self._rdeps.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    memo.pop(d, None)
                    todo.append(d)

    def reread_dep(self, path: Path) -> None:
        node = self.nodes.get(norm(path))
        if node is None or self.info is None:
            return
        node.dep_path = self.info.find_dep(node.path)
        node.dep, node.dep_problems = (
            (None, []) if node.dep_path is None else read_dep(node.dep_path)
        )
        self._relink(node.path)
        self._forget(node.path)

    def refresh(self) -> None:
        """Look at the disk afresh: reread every node's .dep and forget the
        staleness answers (for when files may have changed unannounced)."""
        for path in list(self.nodes):
            if path.exists():
                self.reread_dep(path)
            else:
                self.remove(path)
        self._stale_memo.clear()

    def remove(self, path: Path) -> None:
        path = norm(path)
        gone = self.nodes.pop(path, None)
        if gone is not None:
            self._macro_paths.discard(path)
            self._forget(path)
            for t in self._fwd.pop(path, set()):
                self._rdeps[t].discard(path)
            if gone.rule_macros:
                self._reexpand_users(path)

    def _langs_of(self, facts: ModuleFacts, path: Path) -> list[tuple[str | None, list[Path]]]:
        """Profile key and rule targets of each language the module uses:
        its ``#lang`` line and its ``(module name LANG ...)`` forms."""
        rules: list[tuple[str | None, list[Path]]] = []
        line = facts.lang_line
        if line:
            spec = lang_spec(line)
            key = self._absolute_key(spec, path) if spec is not None else None
            rules.append(
                self._profile_key(
                    lang_key(key) if key is not None else None, self._lang_line_rules(line, path)
                )
            )
        for kind, lang in dict.fromkeys(facts.module_langs):
            key = module_key(lang) if kind == "collection" else None
            if kind == "relative":
                main = self.resolver.resolve("relative", lang, path).path
                key = module_key(_file_form(main)) if main is not None else None
            rules.append(self._profile_key(key, self._module_lang_rules(kind, lang, path)))
        return rules

    def _absolute_key(self, line: str, path: Path) -> str | None:
        """``line`` with its relative module paths (``s-exp "lang.rkt"``)
        made absolute, so that a module elsewhere means the same; None when
        one does not resolve."""
        if '"' not in line:
            return line
        out: list[str] = []
        at = 0
        for m in _STRING.finditer(line):
            found = self.resolver.resolve("relative", m.group(1), path).path
            if found is None:
                return None
            out += [line[at : m.start()], _file_form(found)]
            at = m.end()
        return "".join(out) + line[at:]

    def _included(
        self, facts: ModuleFacts, path: Path, seen: set[Path]
    ) -> tuple[list[Require], list[tuple[str | None, list[Path]]]]:
        """What the files named by ``include``-like forms bring: their
        resolved requires (shown at the include form) and languages."""
        requires: list[Require] = []
        rules: list[tuple[str | None, list[Path]]] = []
        for spec in facts.includes:
            target = self.resolver.resolve(spec.kind, spec.value, path).path
            if target is None or target in seen:
                continue
            seen.add(target)
            try:
                ifacts = module_facts(decode_source(target.read_bytes()))
            except OSError:
                continue
            for ispec in ifacts.requires:
                found = self.resolver.resolve(ispec.kind, ispec.value, target)
                if found.path is not None:
                    shown = RequireSpec(ispec.kind, ispec.value, spec.span)
                    requires.append(Require(shown, found))
            rules += self._langs_of(ifacts, target)
            if ifacts.includes:
                more, more_rules = self._included(ifacts, target, seen)
                requires += more
                rules += more_rules
        return requires, rules

    # -- languages ----------------------------------------------------------

    def _profile_key(self, key: str | None, rules: list[Path]) -> tuple[str | None, list[Path]]:
        """Keep ``key`` only for a language that lives in the installation
        (profiling compiles it, which runs its macros) and that names the
        language alone (``langs.profilable``)."""
        if key is None or self.info is None or not rules or not profilable(key):
            return None, rules
        if not all(self.info.in_installation(p) for p in rules):
            return None, rules
        return key, rules

    def _apply_lang(self, node: ModuleNode) -> None:
        out: list[Path] = []
        rc = (
            self.resolver.resolve_collection(["racket", "runtime-config.rkt"])
            if node.own_config
            else None
        )
        for i, (key, rules) in enumerate(node.lang_rules):
            profile = self.profiles.get(key) if key is not None else None
            got = profile if profile is not None else rules
            if i == 0 and node.own_config:
                # The module's own configure-runtime submodule stands in for
                # the one its language would add; submodules written in such
                # a language (that one included) still get theirs.
                got = [p for p in got if p != rc]
            out.extend(got)
        node.lang_targets = list(dict.fromkeys(out))

    def wanted_profiles(self) -> list[str]:
        """Profile keys used by some module and not known yet."""
        keys = (k for n in self.nodes.values() for k, _ in n.lang_rules if k is not None)
        return [k for k in dict.fromkeys(keys) if not self.profiles.has(k)]

    def apply_profiles(self) -> None:
        """Use the profiles learned since the modules were read."""
        for path, node in self.nodes.items():
            if any(k is not None for k, _ in node.lang_rules):
                self._apply_lang(node)
                self._relink(path)
        self._stale_memo.clear()

    def _module_lang_rules(self, kind: str, lang: str, requiring: Path) -> list[Path]:
        """``(module m LANG ...)``: LANG, and racket/runtime-config for the
        languages whose ``#%module-begin`` adds a configure-runtime submodule."""
        if kind == "relative":
            main = self.resolver.resolve("relative", lang, requiring).path
        else:
            parts = collection_file_parts(lang, "collection")
            main = self.resolver.resolve_collection(parts) if parts else None
        if main is None:
            return []
        if self._runtime_config_files is None:
            self._runtime_config_files = {
                p
                for f in RUNTIME_CONFIG_FILES
                for p in [self.resolver.resolve_collection(f.split("/"))]
                if p is not None
            }
        if main in self._runtime_config_files:
            rc = self.resolver.resolve_collection(["racket", "runtime-config.rkt"])
            return [main, rc] if rc is not None else [main]
        return [main]

    def _lang_line_rules(self, line: str, requiring: Path) -> list[Path]:
        """``#lang LINE`` without a profile: the reader module and the
        module language.  ``s-exp M`` reads with s-exp's reader into module
        language M; ``at-exp L`` wraps L's reader; ``reader M`` names the
        reader module; otherwise ``#lang X`` is X's ``reader`` submodule
        (when X exists, taken as the module language too) or X/lang/reader."""
        if self.info is None:
            return []
        words = line.split()
        name, rest = words[0], words[1:]

        def mod(text: str) -> list[Path]:
            if text.startswith('"') and text.endswith('"') and len(text) > 1:
                return self._module_lang_rules("relative", text[1:-1], requiring)
            return self._module_lang_rules("collection", text, requiring)

        def reader_of(coll: str) -> list[Path]:
            found = self.resolver.resolve_collection([coll, "lang", "reader.rkt"])
            return [found] if found is not None else []

        if name == "s-exp":
            return reader_of("s-exp") + (mod(rest[0]) if rest else [])
        if name == "reader":
            return mod(rest[0]) if rest else []
        if name == "at-exp":
            return reader_of("at-exp") + (
                self._lang_line_rules(" ".join(rest), requiring) if rest else []
            )
        main = self._module_lang_rules("collection", name, requiring)
        if main:
            return main
        parts = collection_file_parts(f"{name}/lang/reader", "collection")
        found = self.resolver.resolve_collection(parts) if parts else None
        return [found] if found is not None else []

    def dep_targets(self, node: ModuleNode) -> list[Path]:
        if node.dep is None or self.oracle is None:
            return []
        out = []
        for e in node.dep.deps:
            if e.kind != "module":
                continue
            p = self.oracle.entry_path(e)  # already normalised
            if p is not None:
                out.append(p)
        return list(dict.fromkeys(out))

    def _relink(self, path: Path) -> None:
        for t in self._fwd.get(path, set()):
            self._rdeps[t].discard(path)
        node = self.nodes[path]
        targets = set(node.source_targets()) | set(self.dep_targets(node))
        self._fwd[path] = targets
        for t in targets:
            self._rdeps[t].add(path)

    # -- queries ----------------------------------------------------------

    def edges(self, path: Path) -> list[Edge]:
        node = self.nodes.get(norm(path))
        if node is None:
            return []
        src = [norm(t) for t in node.source_targets()]
        dep = self.dep_targets(node)
        has_dep = node.dep is not None
        out = [Edge(node.path, t, True, (t in dep) if has_dep else False) for t in src]
        out += [Edge(node.path, t, False, True) for t in dep if t not in src]
        return out

    def dependencies(self, path: Path) -> list[Path]:
        return sorted(self._fwd.get(norm(path), set()))

    def dependents(self, path: Path) -> list[Path]:
        return sorted(self._rdeps.get(norm(path), set()))

    def recompile_order(self, path: Path) -> tuple[list[Path], list[list[Path]]]:
        """The saved module and its workspace dependents (reverse closure),
        each after the modules it depends on; plus the cycles found."""
        start = norm(path)
        seen = {start}
        todo = [start]
        while todo:
            for d in self._rdeps.get(todo.pop(), set()):
                if d in self.nodes and d not in seen:
                    seen.add(d)
                    todo.append(d)
        return _topo(seen, lambda p: self._fwd.get(p, set()) & seen, first=start)

    def staleness(self, path: Path) -> Staleness:
        if self.info is None or self.oracle is None:
            return UNKNOWN
        return self._stale(norm(path), set())

    def _stale(self, path: Path, visiting: set[Path]) -> Staleness:
        if path in self._stale_memo:
            return self._stale_memo[path]
        if path in visiting:
            return Staleness(True, False, None)  # a cycle: compiler/cm reports it
        visiting.add(path)
        try:
            result = self._compute_stale(path, visiting)
        finally:
            visiting.discard(path)
        self._stale_memo[path] = result
        return result

    def _compute_stale(self, path: Path, visiting: set[Path]) -> Staleness:
        """compiler/cm's ``compile-root`` for one module, without building."""
        assert self.info is not None and self.oracle is not None
        info, oracle = self.info, self.oracle
        name = path.name
        node = self.nodes.get(path)
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
            if self.contains(p) or not info.in_installation(p):
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
            dep_zo = self._find_dep(p)
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
        assert self.info is not None and self.oracle is not None
        name = path.name
        if sha1_only:
            # Dependencies are hashed without building them; one that would
            # need building has no hash, which forces a compile.
            for entry in dep.deps:
                p = self.oracle.entry_path(entry)
                if p is None or entry.kind == "ext":
                    continue
                sub_dep = self._find_dep(p)
                parsed = read_dep(sub_dep)[0] if sub_dep else None
                if parsed is None or parsed.version != self.info.version:
                    return Staleness(True, True, f"{p.name} needs compiling, so {name} does too")
                if self.oracle.file_sha1(p) != parsed.source_sha1 and (
                    self.contains(p) or not self.info.in_installation(p)
                ):
                    return Staleness(True, True, f"{p.name} changed since {name} was compiled")
        combined = self.oracle.combined(dep)
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
                    f"depends on {first}{more}, which will be recompiled: {cause}",
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
            try:
                data = path.read_bytes()
            except OSError:
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
        node = self.nodes.get(path)
        if node is None or self.oracle is None:
            return False
        recorded = set(self.dep_targets(node))
        if any(norm(t) not in recorded for t in node.source_targets()):
            return True
        for entry in dep.deps:
            p = self.oracle.entry_path(entry)
            if p is None or entry.kind == "ext":
                continue
            if p in self.nodes and p != path and self._stale(p, visiting).new_hash:
                return True
        return self.oracle.combined(dep) not in (None, dep.deps_sha1)

    # -- output -----------------------------------------------------------

    def to_json(self, paths: Iterable[Path] | None = None) -> dict[str, Any]:
        chosen = [norm(p) for p in paths] if paths is not None else sorted(self.nodes)
        nodes: list[dict[str, Any]] = []
        edges: list[dict[str, Any]] = []
        seen: set[Path] = set()
        for p in chosen:
            s = self.staleness(p)
            nodes.append({"path": str(p), "stale": s.stale, "reason": s.reason, "workspace": True})
            seen.add(p)
        for p in chosen:
            for e in self.edges(p):
                edges.append(
                    {
                        "from": str(e.source),
                        "to": str(e.target),
                        "inSource": e.in_source,
                        "inDep": e.in_dep,
                    }
                )
                if e.target not in seen:
                    seen.add(e.target)
                    inside = e.target in self.nodes
                    s = self.staleness(e.target) if inside else Staleness(True, False, None)
                    nodes.append(
                        {
                            "path": str(e.target),
                            "stale": s.stale,
                            "reason": s.reason,
                            "workspace": inside,
                        }
                    )
        return {"nodes": nodes, "edges": edges}


def _mtime(p: Path | None) -> int | None:
    """Modification time in whole seconds, as compiler/cm compares them."""
    if p is None:
        return None
    try:
        return int(os.stat(p).st_mtime)
    except OSError:
        return None


def _topo(
    nodes: set[Path], deps_of: Callable[[Path], set[Path]], *, first: Path
) -> tuple[list[Path], list[list[Path]]]:
    """Order ``nodes`` so each comes after its dependencies (Tarjan's SCCs,
    which come out dependencies-first); report strongly connected sets."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    on_stack: set[Path] = set()
    stack: list[Path] = []
    order: list[Path] = []
    cycles: list[list[Path]] = []
    counter = 0

    for root in sorted(nodes, key=lambda p: (p != first, str(p))):
        if root in index:
            continue
        # iterative Tarjan
        work: list[tuple[Path, list[Path]]] = [(root, sorted(deps_of(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            if children:
                w = children.pop()
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, sorted(deps_of(w))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comp.sort()
                if len(comp) > 1 or v in deps_of(v):
                    cycles.append(comp)
                order.extend(comp)
    return order, cycles
