"""Completion of identifiers in scope and signature help, from the analysis.

Both ask ``Identifiers.analysis`` (trusted folders only; the module's
bindings as ``data/scope.rkt`` reports them) and scan the text around the
cursor with info.rkt's lexical scan (``info/assist.scan``): the word being
typed, the innermost list and the argument the cursor is on.

- Completion: the locals whose binding form holds the cursor, then the
  module's definitions, its requires' bindings and its language's, those
  that start with the word at the cursor (at most ``LIMIT``; a longer list
  is marked incomplete, so the client asks again as the word grows).  Never
  in info.rkt or a distro-build configuration (their features complete
  those), in a string, or after a quote.  ``completionItem/resolve`` adds
  the signature and where the binding comes from.
- Signature help in ``(f arg ...)``: the parameters of a procedure the module
  (or a workspace module it imports from) defines, or the arity and keywords
  of an installation procedure; the active parameter is the positional
  argument at the cursor, or the keyword whose value (or name) is typed.

While the text does not expand (typing), both answer from the last good
analysis (``Analysis.stale``): its module-level names do not depend on
positions, and the locals it keeps are those whose binding form's text is
unchanged (``carried_over``), so none is offered at a place it does not bind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from raco_lsp.core.records import Span
from raco_lsp.core.text import TextIndex
from raco_lsp.distro.validate import is_site_config
from raco_lsp.features.compile_on_save import is_module_path
from raco_lsp.features.identifiers import Identifiers
from raco_lsp.features.info_rkt import is_info_file
from raco_lsp.info.assist import ScanContext, scan
from raco_lsp.lsp.feature import Feature
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket.identifiers import Analysis, InScope, Local

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

LIMIT = 300
"""Items at most in one completion answer."""

DATA_KEY = "raco-lsp.identifier"

_ORDER = {"definition": "1", "require": "2", "lang": "3"}
_KINDS = {
    "procedure": types.CompletionItemKind.Function,
    "variable": types.CompletionItemKind.Variable,
    "syntax": types.CompletionItemKind.Keyword,
}

Signatures = tuple[tuple[str, ...], ...]


class Completion(Feature):
    """Identifier completion and signature help.  No state of its own: the
    analyses are ``Identifiers``'."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)

    async def _context(
        self, uri: str, position: types.Position
    ) -> tuple[Path, Analysis, ScanContext, Span] | None:
        """The module's analysis, the scan at the cursor and the span of the
        word before it; None where identifiers are not completed."""
        path = uri_path(uri)
        if path is None or not is_module_path(path) or is_info_file(path):
            return None
        text = self.server.current_text(path) or ""
        if is_site_config(path, text):
            return None
        conv = self.server.range_converter()
        pos = conv.pos(path, position)
        index = TextIndex(text)
        ctx = scan(text, index.index_of(pos))
        if ctx.in_string or ctx.quote_prefix:
            return None
        analysis = await self.server.feature_of(Identifiers).analysis(path)
        if analysis is None:
            return None
        return path, analysis, ctx, Span(index.pos_at(ctx.token_start), pos)

    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        found = await self._context(params.text_document.uri, params.position)
        if found is None:
            return None
        path, analysis, ctx, word = found
        if ctx.token.startswith("#"):
            return None  # a keyword, #t, #:x, #(...)
        rng = self.server.range_converter().range(path, word)
        items: list[types.CompletionItem] = []
        seen: set[str] = set()
        for b in analysis.locals_at(word.end):
            if b.name.startswith(ctx.token) and b.name not in seen:
                seen.add(b.name)
                items.append(_local_item(b, rng, params.text_document.uri))
        module_level = sorted(
            (s for s in analysis.scope if s.name.startswith(ctx.token) and s.name not in seen),
            key=lambda s: (_ORDER.get(s.origin, "4"), s.name),
        )
        for s in module_level:
            items.append(_item(s, rng, params.text_document.uri))
        return types.CompletionList(is_incomplete=len(items) > LIMIT, items=items[:LIMIT])

    async def completion_resolve(self, item: types.CompletionItem) -> types.CompletionItem | None:
        data = item.data
        if not (isinstance(data, dict) and isinstance(data.get(DATA_KEY), str)):
            return None
        path = uri_path(str(data.get("uri", "")))
        if path is None:
            return item
        analysis = await self.server.feature_of(Identifiers).analysis(path)
        if analysis is None:
            return item
        name = data[DATA_KEY]
        identifiers = self.server.feature_of(Identifiers)
        lines = []
        if data.get("local"):
            b = next((b for b in analysis.locals if b.name == name), None)
            lines.append("local binding")
            sigs = b.params if b is not None else None
        else:
            s = analysis.in_scope_named(name)
            if s is None:
                return item
            doc = await identifiers.documentation(path, s)
            # The blue box, when documented, says more than the arity.
            sigs = None if doc is not None and doc.bluebox else await self._signatures(s)
            lines.append(_origin(s))
            if doc is not None:
                lines[:0] = identifiers.doc_lines(doc)
        if sigs:
            code = "\n".join(_label(name, p) for p in sigs)
            lines.insert(0, f"```racket\n{code}\n```")
        item.documentation = types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n".join(lines)
        )
        return item

    async def _signatures(self, s: InScope) -> Signatures | None:
        """The parameter lists of ``s``: its own, those of the workspace module
        that defines it (from that module's analysis), or its arity's."""
        if s.params:
            return s.params
        if s.arities:
            return (_from_arities(s.arities, s.keywords or ()),)
        if s.kind == "syntax" or s.file is None or not is_module_path(s.file):
            return None
        site = await self.server.feature_of(Identifiers).analysis(s.file, definition_site=True)
        there = site.in_scope_named(s.id) if site is not None else None
        return there.params if there is not None and there.origin == "definition" else None

    async def signature_help(self, params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        found = await self._context(params.text_document.uri, params.position)
        if found is None:
            return None
        path, analysis, ctx, word = found
        frame = ctx.frames[-1] if ctx.frames else None
        text = self.server.current_text(path) or ""
        if frame is None or frame.quoted or text[frame.start] != "(" or frame.head is None:
            return None
        if not frame.items:
            return None  # on the head itself
        name = frame.head
        local = next((b for b in analysis.locals_at(word.end) if b.name == name), None)
        if local is not None:
            sigs = local.params
        else:
            s = analysis.in_scope_named(name)
            sigs = await self._signatures(s) if s is not None and s.kind != "syntax" else None
        if not sigs:
            return None
        # The arguments before the cursor (the head is items[0]; the word
        # being typed is not in items): positional ones, and the keyword
        # whose value (or name) is being typed, if any.
        args = frame.items[1:]
        keyword = ctx.token if ctx.token.startswith("#:") else None
        arg, i = 0, 0
        while i < len(args):
            if args[i].startswith("#:"):
                if i == len(args) - 1:
                    keyword = args[i]
                i += 2
            else:
                arg, i = arg + 1, i + 1
        active = next((k for k, p in enumerate(sigs) if _active(p, arg, keyword) is not None), 0)
        units = self.server.range_converter().units
        return types.SignatureHelp(
            signatures=[_signature(name, p, units) for p in sigs],
            active_signature=active,
            active_parameter=_active(sigs[active], arg, keyword),
        )


def _origin(s: InScope) -> str:
    if s.origin == "definition":
        return "defined in this module"
    where = f"`{s.module}`" if s.module else "its module"
    renamed = f" (as `{s.id}`)" if s.id != s.name and s.file is not None else ""
    return f"provided by {where}{renamed}" + (
        " (the module language)" if s.origin == "lang" else ""
    )


def _item(s: InScope, rng: types.Range, uri: str) -> types.CompletionItem:
    return types.CompletionItem(
        label=s.name,
        kind=_KINDS.get(s.kind, types.CompletionItemKind.Text),
        detail=s.module if s.module is not None else "defined here",
        sort_text=f"{_ORDER.get(s.origin, '4')}{s.name}",
        text_edit=types.TextEdit(range=rng, new_text=s.name),
        data={DATA_KEY: s.name, "uri": uri},
    )


def _local_item(b: Local, rng: types.Range, uri: str) -> types.CompletionItem:
    return types.CompletionItem(
        label=b.name,
        kind=types.CompletionItemKind.Function if b.params else types.CompletionItemKind.Variable,
        detail="local",
        sort_text=f"0{b.name}",
        text_edit=types.TextEdit(range=rng, new_text=b.name),
        data={DATA_KEY: b.name, "uri": uri, "local": True},
    )


def _from_arities(
    arities: tuple[tuple[int, int | None], ...], keywords: tuple[tuple[str, bool], ...]
) -> tuple[str, ...]:
    """One parameter list that covers the arities (v1 v2 [v3], or v1 v ...),
    then the keywords (#:k v, [#:k v] when optional)."""
    lo = min(a for a, _ in arities)
    highs = [b for _, b in arities]
    positional = tuple(f"v{i + 1}" for i in range(lo))
    if None in highs:
        positional += ("v ...",)
    else:
        top = max(b for b in highs if b is not None)
        positional += tuple(f"[v{i + 1}]" for i in range(lo, top))
    return positional + tuple(f"{k} v" if req else f"[{k} v]" for k, req in keywords)


def _label(name: str, params: tuple[str, ...]) -> str:
    return f"({' '.join((name, *params))})"


def _signature(
    name: str, params: tuple[str, ...], units: Callable[[str], int]
) -> types.SignatureInformation:
    """The signature ``(name param ...)``, its parameters as offsets into it
    in the client's position encoding (``units``: a text's length in it)."""
    label = _label(name, params)
    offsets: list[types.ParameterInformation] = []
    at = units(f"({name}")
    for p in params:
        at += 1
        offsets.append(types.ParameterInformation(label=(at, at + units(p))))
        at += units(p)
    return types.SignatureInformation(label=label, parameters=offsets)


def _active(params: tuple[str, ...], arg: int, keyword: str | None) -> int | None:
    """The index in ``params`` of keyword ``keyword`` (a prefix of it while
    it is typed), else of positional argument ``arg``; None if it has none."""
    names = [p.strip("[]").split(" ")[0] for p in params]
    if keyword is not None:
        exact = (k for k, n in enumerate(names) if n == keyword)
        started = (k for k, n in enumerate(names) if n.startswith("#:") and n.startswith(keyword))
        return next(exact, None) if keyword in names else next(started, None)
    positional = [p for p in names if not p.startswith("#:")]
    if arg < len(positional):
        return arg
    if positional and params[len(positional) - 1].endswith(" ..."):
        return len(positional) - 1
    return None
