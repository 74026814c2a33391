"""References, rename and document symbols.

References and rename ask ``Identifiers.analysis`` (check-syntax's view;
trusted folders only):

- A local binding: its binder and the uses its arrows reach, in the file.
- A module-level definition, or a use of one imported from a workspace
  module: the definition, the uses in its own module, and in every module
  that imports it, directly or through re-exports (the module graph's
  reverse closure of the defining file, never a scan of the workspace): the
  uses whose jump target is (that file, that name).  A ``rename-out`` is
  seen through: the importer's ``h`` jumps to ``g``.
- An identifier imported from outside the workspace (the installation):
  its uses in the file.

An analysis kept from an earlier text that expanded (the current one does
not: ``Analysis.stale``) answers references only where ``usable_at``
allows (the text before the position is unchanged); a rename from one is
refused, in the file or in an importer: the uses in the changed text are
unknown.

A rename edits only the occurrences that are written as the old name: an
importer that uses the binding under a ``rename-out`` (or ``rename-in``)
name keeps that name.  It is refused, with a message the user sees, for a
binding defined outside the workspace, one introduced by a macro (the
binder's text is not the name, or check-syntax saw no binder in the file),
a new name that is not one Racket identifier, or when a module it would
edit cannot be analysed.

Document symbols come from tree-sitter (``syntax/symbols.py``): no Racket,
so untrusted folders and code that does not read get them too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import span_texts
from raco_lsp.features.compile_on_save import is_module_path
from raco_lsp.features.identifiers import Identifiers
from raco_lsp.features.module_graph import ModuleGraphFeature
from raco_lsp.lsp.feature import Feature
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket.graph import norm
from raco_lsp.racket.identifiers import Analysis
from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.symbols import Symbol, is_identifier, names_in_requires, outline

log = logging.getLogger(__name__)

SYMBOL_KINDS = {
    "function": types.SymbolKind.Function,
    "variable": types.SymbolKind.Variable,
    "macro": types.SymbolKind.Operator,
    "struct": types.SymbolKind.Struct,
    "submodule": types.SymbolKind.Module,
    "test": types.SymbolKind.Method,
}


UNUSED = "no bound occurrences"
"""check-syntax's mouse-over text on a binder nothing refers to."""


class Refused(JsonRpcException):
    """A rename the server will not make: the request fails with this message."""

    CODE = types.LSPErrorCodes.RequestFailed


@dataclass(frozen=True)
class Binding:
    """What the identifier at a position refers to.

    ``file``/``name``/``submodules``: a module-level definition (``file``
    outside the workspace: an import whose definition is out of reach).
    ``local``: the binder and uses of a binding seen only in ``at`` (a
    local, or the uses of an import from outside the workspace)."""

    at: Path
    span: Span
    """The identifier at the position."""
    file: Path | None = None
    name: str = ""
    submodules: tuple[str, ...] = ()
    binder: Span | None = None
    uses: tuple[Span, ...] = ()
    stale: str | None = None
    """Found in the last good analysis of ``at``, whose text no longer expands (why)."""


@dataclass
class Occurrences:
    """Every place a binding is written, per file; ``declaration`` the binder."""

    declaration: tuple[Path, Span] | None
    uses: dict[Path, list[Span]]
    unanalysed: list[Path]
    """Modules that may use it but could not be analysed."""
    modules: list[Path]
    """The defining module and its importers (a local binding's file)."""
    stale: list[Path] = field(default_factory=list)
    """Modules whose uses come from the last good analysis (the text does not
    expand): positions mapped, uses in the changed text unknown."""


class References(Feature):
    """Find references, rename and document symbols.  No state of its own:
    the analyses are ``Identifiers``' cache."""

    # -- what is at a position ----------------------------------------------

    async def _binding(self, uri: str, position: types.Position) -> Binding | None:
        path = uri_path(uri)
        if path is None or not is_module_path(path):
            return None
        analysis = await self.server.feature_of(Identifiers).analysis(path)
        if analysis is None:
            return None
        pos = self.server.range_converter().pos(path, position)
        if not analysis.usable_at(pos):
            return None  # stale, and the text before the position changed
        found = self._binding_in(path, analysis, pos)
        return None if found is None else replace(found, stale=analysis.stale)

    def _binding_in(self, path: Path, analysis: Analysis, pos: Pos) -> Binding | None:
        jump = analysis.jump_at(pos)
        binding = analysis.binding_at(pos)
        if jump is not None:
            if self._in_workspace(jump.file):
                return Binding(path, jump.span, norm(jump.file), jump.name, jump.submodules)
            uses = tuple(a.use for a in binding[1]) if binding is not None else (jump.span,)
            return Binding(path, jump.span, norm(jump.file), jump.name, jump.submodules, uses=uses)
        if binding is not None:
            binder, arrows = binding
            span = next(
                iter(analysis.at(pos, ((s, s) for s in [binder, *(a.use for a in arrows)]))), binder
            )
            target = next((t for t in analysis.targets if t.span == binder), None)
            if target is not None:
                return Binding(path, span, norm(path), target.name, target.submodules, binder)
            return Binding(path, span, binder=binder, uses=tuple(a.use for a in arrows))
        target = next(iter(analysis.at(pos, ((t.span, t) for t in analysis.targets))), None)
        if target is not None:  # a definition nothing in the file uses
            return Binding(
                path, target.span, norm(path), target.name, target.submodules, target.span
            )
        unused = next((s for s, t in analysis.mouse_at(pos) if t == UNUSED), None)
        if unused is not None:  # a local binder: no arrows
            return Binding(path, unused, binder=unused)
        return None

    def _in_workspace(self, path: Path) -> bool:
        return self.server.folder_of(path) is not None and not self.server.in_installation(path)

    def _module_level(self, b: Binding) -> bool:
        return b.file is not None and self._in_workspace(b.file)

    async def _occurrences(self, b: Binding) -> Occurrences:
        if not self._module_level(b):
            decl = (b.at, b.binder) if b.binder is not None else None
            stale = [b.at] if b.stale is not None else []
            return Occurrences(decl, {b.at: list(b.uses)}, [], [b.at], stale)
        assert b.file is not None
        identifiers = self.server.feature_of(Identifiers)
        graph = self.server.feature_of(ModuleGraphFeature)
        await graph.ready.wait()
        importers: dict[Path, None] = {}
        for g in list(graph.graphs.values()):
            order, _ = g.recompile_order(b.file)
            importers.update(dict.fromkeys(p for p in order if p != b.file and p in g.nodes))
        files = [b.file, *importers]
        analyses = await asyncio.gather(*(identifiers.analysis(p) for p in files))
        found = Occurrences(None, {}, [], files)
        for p, a in zip(files, analyses, strict=True):
            if a is None:
                log.info("references of %s: %s could not be analysed", b.name, p)
                found.unanalysed.append(p)
                continue
            if a.stale is not None:
                found.stale.append(p)
            spans = [
                j.span
                for j in a.jumps
                if norm(j.file) == b.file and j.name == b.name and j.submodules == b.submodules
            ]
            if p == b.file:
                target = a.target_of(b.name, b.submodules)
                if target is not None:
                    found.declaration = (p, target.span)
                    spans += [x.use for x in a.arrows if x.binder == target.span]
            text = self._texts(p)
            spans += self._named_in_requires(p, set(files), {b.name, *map(text, spans)})
            if spans:
                found.uses[p] = sorted(set(spans), key=lambda s: (s.start.line, s.start.col))
        return found

    # -- references -----------------------------------------------------------

    async def references(self, params: types.ReferenceParams) -> list[types.Location]:
        b = await self._binding(params.text_document.uri, params.position)
        if b is None:
            return []
        found = await self._occurrences(b)
        conv = self.server.range_converter()
        spans: list[tuple[Path, Span]] = []
        if params.context.include_declaration and found.declaration is not None:
            spans.append(found.declaration)
        spans += [(p, s) for p, ss in found.uses.items() for s in ss]
        return [
            types.Location(uri=self.server.uri_of(p), range=conv.range(p, s))
            for p, s in dict.fromkeys(spans)
        ]

    # -- rename ---------------------------------------------------------------

    async def _renamable(self, uri: str, position: types.Position) -> Binding:
        """The binding at the position, or ``Refused`` saying why it cannot be renamed."""
        path = uri_path(uri)
        if path is not None and not self.server.settings_for(path).trusted:
            raise Refused("raco-lsp renames only in trusted folders (it expands the modules)")
        b = await self._binding(uri, position)
        if b is None or path is None:
            raise Refused(
                "No binding that raco-lsp can see here (not an identifier, a binding a macro "
                "introduced, or the module does not expand as it is now)"
            )
        if b.stale is not None:
            raise Refused(_stale_message([path]))
        text = self._texts(path)
        written = text(b.span)
        if b.file is not None and not self._in_workspace(b.file):
            where = "the Racket installation" if self.server.in_installation(b.file) else b.file
            raise Refused(
                f"`{written}` is defined in {where}, outside the workspace: raco-lsp renames "
                "only bindings defined in the workspace"
            )
        if b.binder is not None:
            _check_binder(text(b.binder), b.name or written)
        if b.file is not None and written != b.name:
            raise Refused(
                f"`{written}` is `{b.name}` of {b.file.name} under another name (rename-out or "
                f"rename-in): rename `{b.name}` where it is defined"
            )
        return b

    async def prepare_rename(
        self, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        path = uri_path(params.text_document.uri)
        b = await self._renamable(params.text_document.uri, params.position)
        assert path is not None
        conv = self.server.range_converter()
        return types.PrepareRenamePlaceholder(
            range=conv.range(path, b.span), placeholder=self._texts(path)(b.span) or ""
        )

    async def rename(self, params: types.RenameParams) -> types.WorkspaceEdit | None:
        path = uri_path(params.text_document.uri)
        b = await self._renamable(params.text_document.uri, params.position)
        assert path is not None
        if not is_identifier(params.new_name):
            raise Refused(f"`{params.new_name}` is not a Racket identifier")
        old = self._texts(path)(b.span)
        if old is None:
            raise Refused(f"{path} cannot be read")
        found = await self._occurrences(b)
        if found.unanalysed:
            names = ", ".join(str(p) for p in found.unanalysed)
            raise Refused(
                f"Cannot rename `{old}`: these modules could not be analysed (an untrusted "
                f"folder, unreadable, or no text of theirs ever expanded): {names}"
            )
        if found.stale:
            raise Refused(_stale_message(found.stale))
        spans: dict[Path, list[Span]] = {p: list(ss) for p, ss in found.uses.items()}
        if found.declaration is not None:
            where, binder = found.declaration
            _check_binder(self._texts(where)(binder), old)
            spans.setdefault(where, []).append(binder)
        elif b.file is not None:
            raise Refused(
                f"`{old}` has no definition written in {b.file.name} (a macro made it): "
                "raco-lsp does not rename macro-made bindings"
            )
        conv = self.server.range_converter()
        changes: dict[str, list[types.TextEdit]] = {}
        for p, ss in spans.items():
            text = self._texts(p)
            edits = [
                types.TextEdit(range=conv.range(p, s), new_text=params.new_name)
                for s in dict.fromkeys(ss)
                if text(s) == old  # a rename-out/rename-in name or a macro's stays
            ]
            if edits:
                changes[self.server.uri_of(p)] = edits
        return types.WorkspaceEdit(changes=changes) if changes else None

    def _named_in_requires(
        self, path: Path, modules: set[Path], names: set[str | None]
    ) -> list[Span]:
        """Where ``path``'s requires name one of ``names`` imported from one of
        ``modules`` (``only-in``, ``except-in``, ``rename-in``): check-syntax
        reports no binding there."""
        node = self.server.feature_of(ModuleGraphFeature).node(path)
        text = self.server.current_text(path)
        if node is None or text is None:
            return []
        specs = [
            r.spec.span
            for r in node.requires
            if r.resolution.path is not None and norm(r.resolution.path) in modules
        ]
        source = Source.from_text(text) if specs else None
        return [
            found
            for span in specs
            if source is not None
            for found in names_in_requires(source, span, names)
        ]

    def _texts(self, path: Path) -> Callable[[Span], str | None]:
        """The text at a span of ``path`` (its open buffer, else the file)."""
        return span_texts(self.server.current_text(path))

    # -- document symbols -----------------------------------------------------

    def document_symbols(self, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        path = uri_path(params.text_document.uri)
        if path is None or not is_module_path(path):
            return []
        text = self.server.current_text(path)
        if text is None:
            return []
        conv = self.server.range_converter()
        return [
            _symbol(s, lambda span: conv.range(path, span)) for s in outline(Source.from_text(text))
        ]


def _stale_message(paths: list[Path]) -> str:
    names = ", ".join(p.name for p in paths)
    return (
        f"Cannot rename: the current text of {names} does not expand (its analysis is "
        "stale: uses in the changed text are unknown); fix it first"
    )


def _check_binder(written: str | None, name: str | None) -> None:
    """Refuse a binding whose binder is not written as its name: a macro made it."""
    if written != name:
        raise Refused(
            f"`{name}` is introduced by a macro (its binder is written `{written}`): "
            "raco-lsp does not rename macro-made bindings"
        )


def _symbol(s: Symbol, rng: Callable[[Span], types.Range]) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=s.name,
        detail=s.detail,
        kind=SYMBOL_KINDS[s.kind],
        range=rng(s.span),
        selection_range=rng(s.name_span),
        children=[_symbol(c, rng) for c in s.children] or None,
    )
