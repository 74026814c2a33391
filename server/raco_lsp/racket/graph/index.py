"""The graph's index: nodes, edges, the reverse index, updates, the
recompile order.

Nodes are the workspace's modules.  A node's edges come from two places:
its source (``syntax/module_facts``, preferring the editor buffer's text)
and its compiled ``.dep``; each edge says which of the two know it, so an
edge the buffer has but the last compile did not (or the reverse) is
visible.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.files import read_file, special_file
from raco_lsp.core.records import Span
from raco_lsp.core.text import decode_source
from raco_lsp.racket.cmhash import HashOracle
from raco_lsp.racket.deps import DepFile, read_dep
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.lang_rules import (
    BODY_EVAL_LANGS,
    BODY_REQUIRE_LANGS,
    FIRST_REQUIRE_LANGS,
    LangRule,
    LangRules,
    reproducible_lang,
)
from raco_lsp.racket.graph.staleness import CODE_SIGNATURES, Staleness, StalenessModel
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.langs import LangProfiles
from raco_lsp.racket.modpath import Resolution, Resolver
from raco_lsp.racket.workspace import OmitRules, Omits, walk_modules, walked
from raco_lsp.syntax.module_facts import ModuleFacts, UntypedContract, module_facts
from raco_lsp.syntax.requires import RequireSpec
from raco_lsp.syntax.rules import Macros, expansion_requires

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
    lang_rules: list[LangRule] = field(default_factory=list)
    """Per language of the module: its profile key (None when it cannot be
    profiled) and the targets the rules give."""
    implied: list[Path] = field(default_factory=list)
    """Dependencies that forms like ``lazy-require`` add when expanded."""
    own_config: bool = False
    """Declares its own ``configure-runtime`` submodule."""
    reproducible: bool = True
    """Recompiling the same code gives the same .zo (not so for Typed
    Racket: ``lang_rules.reproducible_lang``)."""
    rule_macros: Macros = field(default_factory=dict)
    """Its pattern-based macros that expand into requires (for its users)."""
    special_includes: list[Path] = field(default_factory=list)
    """Files it ``include``s that are not regular files (a FIFO, a link to
    /dev/zero): compiling the module would read them (core/files.py)."""
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
class ViewNode:
    path: Path
    staleness: Staleness
    workspace: bool
    """A node of the graph (else a module a node requires)."""


@dataclass
class GraphView:
    """Some modules of a graph, the edges from them and the modules those reach."""

    nodes: list[ViewNode]
    edges: list[Edge]


class ModuleGraph:
    def __init__(
        self,
        roots: Iterable[Path],
        resolver: Resolver,
        *,
        text_of: TextOf | None = None,
        profiles: LangProfiles | None = None,
        omits: Callable[[Path], Omits] | None = None,
    ) -> None:
        self.roots = [norm(r) for r in roots]
        self.omits = omits
        """Each directory's info.rkt omissions, for ``scan`` (raco setup's)."""
        self._root_strs = [str(r) for r in self.roots]
        self.resolver = resolver
        self.info: InstallInfo | None = resolver.info
        self.oracle = HashOracle(self.info, resolver, self.find_dep) if self.info else None
        self.text_of = text_of
        self.langs = LangRules(resolver, profiles)
        self.nodes: dict[Path, ModuleNode] = {}
        self._rdeps: dict[Path, set[Path]] = defaultdict(set)
        self._fwd: dict[Path, set[Path]] = {}
        self.edges_version = 0
        """Bumped whenever an edge may have changed (memo keys of edge walks)."""
        self._staleness = StalenessModel(self)
        self._reexpanding: set[Path] = set()
        self._macro_paths: set[Path] = set()
        """The nodes that define require-producing macros."""
        self.failures: dict[Path, str] = {}
        """Modules whose last compile failed: the first line of the error."""

    def find_dep(self, path: Path) -> Path | None:
        """A module's .dep: a node's as last read, else looked up."""
        node = self.nodes.get(path)
        if node is not None:
            return node.dep_path
        return self.info.find_dep(path) if self.info is not None else None

    # -- building ---------------------------------------------------------

    def contains(self, path: Path) -> bool:
        s = os.path.normpath(path)
        return any(s == r or s.startswith(r + os.sep) for r in self._root_strs)

    def _rules(self) -> OmitRules | None:
        return OmitRules(self.omits) if self.omits is not None else None

    def _walk(self) -> Iterator[Path]:
        for root in self.roots:
            yield from walk_modules(root, GRAPH_SUFFIXES, self._rules())

    def scan(self) -> None:
        for path in self._walk():
            self.update(path)

    def walks(self, path: Path) -> bool:
        """Whether ``scan`` reaches ``path`` (by its name and info.rkt's)."""
        return any(walked(root, norm(path), self._rules()) for root in self.roots)

    def rescan(self) -> list[Path]:
        """Walk again (an info.rkt changed what it omits): add the modules the
        walk reaches now, drop those under the roots it no longer reaches
        (unless read from an editor buffer).  Returns the dropped ones."""
        found = {norm(p) for p in self._walk()}
        gone = [
            p
            for p, n in self.nodes.items()
            if p not in found and not n.from_buffer and self.contains(p)
        ]
        for p in gone:
            self.remove(p)
        for p in sorted(found - self.nodes.keys()):
            self.update(p)
        return gone

    def update(self, path: Path, text: str | None = None) -> ModuleNode | None:
        """(Re)read one module: from ``text`` (an editor buffer), else the
        buffer ``text_of`` knows, else the file on disk.  A file that cannot
        be read (``read_file``: missing, not a regular file, bigger than the
        cap) is no node: None."""
        path = norm(path)
        from_buffer = text is not None
        if text is None and self.text_of is not None:
            text = self.text_of(path)
            from_buffer = text is not None
        if text is None:
            data, _ = read_file(path)
            if data is None:
                self.remove(path)
                return None
            text = decode_source(data)
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
            first_require_langs=FIRST_REQUIRE_LANGS,
            macro_names=[n for p in self._macro_paths for n in self.nodes[p].rule_macros],
            signature_if_sha1=compiled if compiled not in CODE_SIGNATURES else None,
        )
        if compiled is not None and facts.signature is not None:
            CODE_SIGNATURES.remember(compiled, facts.signature)
        node.lang, node.lang_span = facts.lang, facts.lang_span
        node.reproducible = reproducible_lang(facts.lang_line or facts.lang, facts.module_langs)
        node.lang_rules = self.langs.of_module(facts, path)
        node.own_config = facts.own_config
        if facts.phase1_lazy_require:
            node.implied = self.langs.lazy_require_submodule(path)
        node.requires = self._resolved(
            [*facts.readers, *facts.requires, *facts.body_requires], path
        )
        node.special_includes = []
        if facts.includes:
            included, included_rules = self._included(facts, path, {path}, node.special_includes)
            node.requires += included
            node.lang_rules += included_rules
        for contract in facts.untyped_contracts:
            self._untyped_contract(contract, node)
        node.rule_macros = facts.rule_macros
        if facts.macro_uses:
            macros = self._visible_macros(node)
            node.requires += self._resolved(expansion_requires(facts.macro_uses, macros), path)
        self.apply_lang(node)
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
            node.lang_rules.append(self.langs.submodule(lang, node.path))

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
        self._staleness.memo.clear()

    def _forget(self, path: Path) -> None:
        """Drop the staleness answers that can hang on ``path``: its own and
        those of everything that depends on it, directly or not."""
        if self._staleness.memo:
            self._staleness.forget(self._reverse_closure(path))

    def _reverse_closure(self, start: Path, *, nodes_only: bool = False) -> set[Path]:
        """``start`` and everything that depends on it, directly or not
        (``nodes_only``: only through the graph's own modules)."""
        seen = {start}
        todo = [start]
        while todo:
            for d in self._rdeps.get(todo.pop(), ()):
                if d not in seen and (not nodes_only or d in self.nodes):
                    seen.add(d)
                    todo.append(d)
        return seen

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

    def compiled(self, path: Path, error: str | None) -> None:
        """A compile of ``path`` ended: with ``error`` (its first line), or
        cleanly (None).  A stale module that failed is described as failing."""
        path = norm(path)
        if self.failures.get(path) != error:
            if error is None:
                del self.failures[path]
            else:
                self.failures[path] = error
            self._forget(path)

    def refresh(self) -> None:
        """Look at the disk afresh: reread every node's .dep and forget the
        staleness answers (for when files may have changed unannounced)."""
        for path in list(self.nodes):
            if path.exists():
                self.reread_dep(path)
            else:
                self.remove(path)
        self._staleness.memo.clear()

    def remove(self, path: Path) -> None:
        path = norm(path)
        gone = self.nodes.pop(path, None)
        if gone is not None:
            self._macro_paths.discard(path)
            self._forget(path)
            for t in self._fwd.pop(path, set()):
                self._rdeps[t].discard(path)
            self.edges_version += 1
            if gone.rule_macros:
                self._reexpand_users(path)

    def _included(
        self, facts: ModuleFacts, path: Path, seen: set[Path], special: list[Path]
    ) -> tuple[list[Require], list[LangRule]]:
        """What the files named by ``include``-like forms bring: their
        resolved requires (shown at the include form) and languages; the
        included files that are not regular files go into ``special``."""
        requires: list[Require] = []
        rules: list[LangRule] = []
        for spec in facts.includes:
            target = self.resolver.resolve(spec.kind, spec.value, path).path
            if target is None or target in seen:
                continue
            seen.add(target)
            data, _ = read_file(target)
            if data is None:
                if special_file(target) is not None:
                    special.append(target)
                continue
            ifacts = module_facts(decode_source(data))
            for ispec in ifacts.requires:
                found = self.resolver.resolve(ispec.kind, ispec.value, target)
                if found.path is not None:
                    shown = RequireSpec(ispec.kind, ispec.value, spec.span)
                    requires.append(Require(shown, found))
            rules += self.langs.of_module(ifacts, target)
            if ifacts.includes:
                more, more_rules = self._included(ifacts, target, seen, special)
                requires += more
                rules += more_rules
        return requires, rules

    # -- languages ----------------------------------------------------------

    def apply_lang(self, node: ModuleNode) -> None:
        """Set what ``node``'s languages bring, with the profiles known now."""
        node.lang_targets = self.langs.targets(node.lang_rules, node.own_config)

    def wanted_profiles(self) -> list[str]:
        """Profile keys used by some module and not known yet."""
        keys = (k for n in self.nodes.values() for k, _ in n.lang_rules if k is not None)
        return [k for k in dict.fromkeys(keys) if not self.langs.profiles.has(k)]

    def apply_profiles(self) -> None:
        """Use the profiles learned since the modules were read."""
        for path, node in self.nodes.items():
            if any(k is not None for k, _ in node.lang_rules):
                self.apply_lang(node)
                self._relink(path)
        self._staleness.memo.clear()

    def dep_targets(self, node: ModuleNode) -> list[Path]:
        return self._dep_modules(node.dep)

    def _dep_modules(self, dep: DepFile | None) -> list[Path]:
        """The modules a .dep records."""
        if dep is None or self.oracle is None:
            return []
        out = []
        for e in dep.deps:
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
        self.edges_version += 1
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

    def closure(self, path: Path, *, without: Path | None = None) -> set[Path]:
        """Every module ``path`` depends on, transitively (``path`` left out):
        a node's edges (its source's requires and its .dep's), any other
        module's recorded dependencies (its .dep).  ``without``: as if the
        direct edge from ``path`` to that module were gone."""
        start = norm(path)
        gone = norm(without) if without is not None else None
        todo = [t for t in self._direct(start) if t != gone]
        seen: set[Path] = set()
        while todo:
            p = todo.pop()
            if p in seen or p == start:
                continue
            seen.add(p)
            todo.extend(self._direct(p))
        return seen

    def _direct(self, path: Path) -> set[Path]:
        if path in self._fwd:
            return self._fwd[path]
        return set(self._dep_modules(self.oracle.dep_of(path) if self.oracle else None))

    def recompile_order(self, path: Path) -> tuple[list[Path], list[list[Path]]]:
        """The saved module and its workspace dependents (reverse closure),
        each after the modules it depends on; plus the cycles found."""
        start = norm(path)
        seen = self._reverse_closure(start, nodes_only=True)
        return _topo(seen, lambda p: self._fwd.get(p, set()) & seen, first=start)

    def staleness(self, path: Path) -> Staleness:
        return self._staleness.staleness(path)

    # -- output -----------------------------------------------------------

    def view(self, paths: Iterable[Path] | None = None) -> GraphView:
        """``paths`` (default: every node) with their staleness, each followed
        by the edges from it; the modules those edges reach are added after
        the first edge to each (outside the graph: not stale)."""
        chosen = [norm(p) for p in paths] if paths is not None else sorted(self.nodes)
        view = GraphView([ViewNode(p, self.staleness(p), True) for p in chosen], [])
        seen = set(chosen)
        for p in chosen:
            for e in self.edges(p):
                view.edges.append(e)
                if e.target not in seen:
                    seen.add(e.target)
                    inside = e.target in self.nodes
                    s = self.staleness(e.target) if inside else Staleness(True, False, None)
                    view.nodes.append(ViewNode(e.target, s, inside))
        return view


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
