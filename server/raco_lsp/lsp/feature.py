"""What a feature is: a class that owns its state and its handlers.

A feature subclasses ``Feature``, overrides the hooks it needs (the server
calls only overridden ones), and marks its LSP extensions with ``@command``
(``workspace/executeCommand`` ids ``raco-lsp.*``) and ``@request`` (custom
``raco/*`` requests, whose params class is declared in ``lsp/protocol.py``).
``RacoLanguageServer.add_feature`` registers it; ``server.feature_of(Cls)``
finds it.  Document hooks get the path of a ``file:`` URI.

Handlers are methods, so their annotations must name real classes at run time
(pygls reads them to structure command arguments): no ``TYPE_CHECKING``-only
types in a handler's signature.  pygls also passes the server as the first
argument when that argument's annotation is a class the server is an instance
of (``object``): annotate what a handler ignores ``Any``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

F = TypeVar("F", bound=Callable[..., Any])

COMMAND_MARK = "_raco_lsp_command"
REQUEST_MARK = "_raco_lsp_request"


def command(name: str) -> Callable[[F], F]:
    """Mark a feature method as the handler of command ``name``."""

    def mark(fn: F) -> F:
        setattr(fn, COMMAND_MARK, name)
        return fn

    return mark


def request(method: str) -> Callable[[F], F]:
    """Mark a feature method as the handler of the custom request ``method``."""

    def mark(fn: F) -> F:
        setattr(fn, REQUEST_MARK, method)
        return fn

    return mark


class Feature:
    """Base class of the server's features.  Every hook may be a plain or an
    ``async`` method; results of list hooks are concatenated over features,
    and for ``hover``, ``completion_resolve``, ``signature_help``,
    ``prepare_rename`` and ``rename`` the first answer wins.  A hook that
    raises a pygls ``JsonRpcException`` answers the request with that error (a
    refused rename); other failures are logged."""

    def __init__(self, server: RacoLanguageServer) -> None:
        self.server = server

    # -- lifecycle --------------------------------------------------------------

    def on_configured(self) -> Any:
        """Settings applied (after initialization and each settings change),
        before any ``on_ready``: start, without waiting for it, what later
        work will need (the compile agent starts while the graph scans)."""

    def on_ready(self) -> Any:
        """After initialization and after each settings change."""

    def wait_idle(self) -> Any:
        """Resolve when this feature's background work is done (``raco-lsp.waitIdle``)."""

    def on_built(self, paths: list[Path]) -> Any:
        """A build wrote or touched these files."""

    def on_watched(self, changes: list[types.FileEvent]) -> Any:
        """``workspace/didChangeWatchedFiles``."""

    def on_shutdown(self) -> Any:
        """``shutdown``: stop background work and helper processes (the
        server kills whatever process is left afterwards)."""

    # -- documents --------------------------------------------------------------

    def on_open(self, path: Path) -> Any:
        pass

    def on_change(self, path: Path) -> Any:
        pass

    def on_save(self, path: Path) -> Any:
        pass

    def on_close(self, path: Path) -> Any:
        pass

    # -- language features --------------------------------------------------------

    def completion(self, params: types.CompletionParams) -> Any:
        """A list of ``CompletionItem``, a ``CompletionList`` (its items are
        added; one that is incomplete makes the answer incomplete) or None."""

    def completion_resolve(self, item: types.CompletionItem) -> Any:
        """``completionItem/resolve``: the item completed, or None when it is
        another feature's (the first answer wins)."""

    def signature_help(self, params: types.SignatureHelpParams) -> Any:
        """A ``SignatureHelp`` or None (the first answer wins)."""

    def hover(self, params: types.HoverParams) -> Any:
        """A ``Hover`` or None."""

    def code_actions(self, params: types.CodeActionParams) -> Any:
        """A list of ``CodeAction`` (or None)."""

    def code_lenses(self, params: types.CodeLensParams) -> Any:
        """A list of ``CodeLens`` (or None)."""

    def document_links(self, params: types.DocumentLinkParams) -> Any:
        """A list of ``DocumentLink`` (or None)."""

    def definitions(self, params: types.DefinitionParams) -> Any:
        """A list of ``Location`` (or None)."""

    def declarations(self, params: types.DeclarationParams) -> Any:
        """A list of ``Location`` (or None)."""

    def document_highlights(self, params: types.DocumentHighlightParams) -> Any:
        """A list of ``DocumentHighlight`` (or None)."""

    def references(self, params: types.ReferenceParams) -> Any:
        """A list of ``Location`` (or None)."""

    def prepare_rename(self, params: types.PrepareRenameParams) -> Any:
        """A ``PrepareRenameResult`` or None."""

    def rename(self, params: types.RenameParams) -> Any:
        """A ``WorkspaceEdit`` or None."""

    def document_symbols(self, params: types.DocumentSymbolParams) -> Any:
        """A list of ``DocumentSymbol`` (or None)."""


HOOKS = tuple(
    name for name in vars(Feature) if not name.startswith("_") and callable(getattr(Feature, name))
)


def overrides(feature: Feature, hook: str) -> bool:
    return getattr(type(feature), hook) is not getattr(Feature, hook)
