"""The language server: wiring of settings, the Racket installation and features.

pygls allows one handler per LSP method, so this module owns the handlers and
calls the hooks of the features (``lsp/feature.py``): a feature is a class in
``features/<name>.py``, registered in ``create_server`` with ``add_feature``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard, TypeVar, get_type_hints
from urllib.parse import unquote

import attrs
from cattrs import transform_error
from cattrs.errors import ClassValidationError
from lsprotocol import types
from pygls.exceptions import (
    FeatureRequestError,
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import MsgId
from pygls.protocol.language_server import lsp_method

from raco_lsp import __version__
from raco_lsp.core import files
from raco_lsp.core.text import read_source
from raco_lsp.features.compile_on_save import CompileOnSave
from raco_lsp.features.completion import Completion
from raco_lsp.features.distro import DistroConfig
from raco_lsp.features.identifiers import Identifiers
from raco_lsp.features.info_rkt import InfoRkt
from raco_lsp.features.module_graph import ModuleGraphFeature
from raco_lsp.features.packaging import PackagingFeature
from raco_lsp.features.pkg_build import PkgBuild
from raco_lsp.features.references import References
from raco_lsp.features.setup import PackageChecks
from raco_lsp.features.testing import TestFeature
from raco_lsp.features.unused_requires import UnusedRequires
from raco_lsp.lsp import protocol
from raco_lsp.lsp.diagnostics import DiagnosticStore, RangeConverter
from raco_lsp.lsp.feature import COMMAND_MARK, REQUEST_MARK, Feature, overrides
from raco_lsp.lsp.markup import as_plain, wants_plain
from raco_lsp.lsp.settings import SECTION, Settings, parse_settings
from raco_lsp.lsp.uris import path_uri, uri_path
from raco_lsp.racket import process
from raco_lsp.racket.locate import INSTALL_HINT, RacketInstall, locate_racket

log = logging.getLogger(__name__)

CONFIGURATION_TIMEOUT = 10.0
"""Seconds to wait for the client's answer to ``workspace/configuration``:
what waits for the settings must not wait forever on a client that never
answers (then initializationOptions hold, as when the request fails)."""

T = TypeVar("T")
FeatureT = TypeVar("FeatureT", bound=Feature)
F = TypeVar("F", bound=Callable[..., Any])


def _handler(method: Callable[..., Any], ready: asyncio.Event) -> Callable[..., Any]:
    """A feature's bound method as a pygls handler: a plain function (pygls
    sets attributes on handlers, which a bound method refuses) with the
    method's signature and resolved annotations (pygls reads both).  It
    first waits for ``ready`` (a command or request sent as the server
    starts is decided by the client's settings)."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        await ready.wait()
        result = method(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
    call.__annotations__ = get_type_hints(method)
    call.__name__ = call.__qualname__ = method.__qualname__
    return call


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


@dataclass
class Unreadable:
    """A message from the client that could not be deserialised (wrong params
    shape, missing fields, a bad id): ``RacoProtocol`` still answers it."""

    data: dict[str, Any]
    problem: str


def _valid_id(msg_id: Any) -> TypeGuard[MsgId]:
    return isinstance(msg_id, (str, int)) and not isinstance(msg_id, bool)


def _takes_no_arguments(handler: Callable[..., Any]) -> bool:
    try:
        inspect.signature(handler).bind()
    except TypeError:
        return False
    return True


class RacoProtocol(LanguageServerProtocol):
    """pygls' protocol, with every request answered exactly once.

    - A request pygls cannot deserialise gets an ``InvalidParams`` error
      (``InvalidRequest`` when its method or id is unusable); pygls would
      raise out of its reader loop and never answer.  An unreadable
      notification is logged and ignored, an unreadable response fails the
      request it answers.
    - A request after ``shutdown`` gets ``InvalidRequest`` (pygls drops it).
    - ``workspace/executeCommand`` with ``arguments: []`` (what
      vscode-languageclient sends for a command run from the palette) calls a
      handler whose arguments are all optional with none; pygls refuses it.
    - The answer to a request of ours whose awaiting task was cancelled (a
      build cancelled by the next save while ``window/workDoneProgress/create``
      was out) is dropped at debug level; pygls would call ``set_result`` on the
      cancelled future and report the ``InvalidStateError`` to the user.
    """

    exit_without_shutdown = False
    exiting = False
    """Set by ``exit``: what tasks still send while pygls ends the process
    (a cancelled build's last ``raco/buildStatus``) is dropped, not written to
    a closed stdout and reported as an error."""

    def _send_data(self, data: Any) -> None:
        if self.exiting:
            log.debug("exiting: not sent: %.200s", data)
            return
        super()._send_data(data)

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        """Our ``raco/*`` requests structure as their ``lsp/protocol.py`` params."""
        return protocol.request_message_type(method) or super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" in data and "method" in data and "params" not in data:
            # JSON-RPC lets a message leave out params; pygls' generic
            # message types (our raco/* requests) require the field.
            data = {**data, "params": None}
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            cause = exc.__cause__
            if isinstance(cause, ClassValidationError):
                problem = "; ".join(transform_error(cause))
            else:
                problem = str(cause or exc)
            return Unreadable(data, problem)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unreadable):
            self._handle_unreadable(message)
        elif (
            self._shutdown
            and isinstance(getattr(message, "method", None), str)
            and message.method != types.EXIT
            and _valid_id(getattr(message, "id", None))
        ):
            self._send_response(
                message.id,
                error=JsonRpcInvalidRequest(
                    message=f"{message.method}: the server is shutting down"
                ).to_response_error(),
            )
        else:
            super().handle_message(message)

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        handler = self.fm.commands.get(params.command)
        empty = params.arguments is not None and len(params.arguments) == 0
        if empty and handler is not None and _takes_no_arguments(handler):
            params = attrs.evolve(params, arguments=None)
        return (yield from super().lsp_workspace__execute_command(params))

    def _handle_unreadable(self, message: Unreadable) -> None:
        data, problem = message.data, message.problem
        method, msg_id = data.get("method"), data.get("id")
        if "id" in data and "method" in data:
            log.warning("request %r (id %r) not readable: %s", method, msg_id, problem)
            if isinstance(method, str) and _valid_id(msg_id):
                invalid = JsonRpcInvalidParams(message=f"{method}: {problem}")
                self._send_response(msg_id, error=invalid.to_response_error())
            else:  # JSON-RPC: an invalid request is answered with id null
                bad = JsonRpcInvalidRequest(message=f"invalid request: {problem}")
                self._send_data({"jsonrpc": "2.0", "id": None, "error": bad.to_response_error()})
        elif "id" in data:
            log.warning("response to %r not readable: %s", msg_id, problem)
            if _valid_id(msg_id):  # fail the request it answers
                error = JsonRpcInvalidParams(message=f"unreadable response: {problem}")
                self._handle_response(msg_id, error=error.to_response_error())
        else:
            log.warning("notification %r not readable, ignored: %s", method, problem)

    def _handle_response(
        self, msg_id: MsgId, result: Any | None = None, error: types.ResponseError | None = None
    ) -> None:
        future = self._request_futures.get(msg_id)
        if future is not None and future.cancelled():
            del self._request_futures[msg_id]
            log.debug("answer to request %r arrived after it was cancelled", msg_id)
            return
        super()._handle_response(msg_id, result, error)


class RacoLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "raco-lsp",
            __version__,
            protocol_cls=RacoProtocol,
            converter_factory=protocol.converter,
        )
        self.features: list[Feature] = []
        self.base_settings = Settings()
        """What holds without a folder: initializationOptions, then the client's
        answer for no scope (or ``didChangeConfiguration``'s settings)."""
        self.folder_settings: dict[Path, Settings] = {}
        """Each workspace folder's own answer (``scopeUri``), over the base."""
        self._installs: dict[str | None, tuple[RacketInstall | None, list[str]]] = {}
        self.started = asyncio.Event()  # the initialized handler is done
        self.configured = asyncio.Event()
        """The client's first answer to ``workspace/configuration`` is in (or
        it asks none): until then trust is unknown and fails closed."""
        self._arrived = asyncio.Event()  # set and replaced when settings arrive
        self._readying: set[asyncio.Future[Any]] = set()  # on_ready hooks running
        self.store = DiagnosticStore(self._send_diagnostics)

        self._shown: set[str] = set()
        self._read_only_roots: set[Path] = set()

    def command(self, command_name: str) -> Callable[[F], F]:
        """pygls resolves a command handler's annotations when the command is
        called with arguments: resolve them now, so a name imported only for
        type checking fails at start-up, not on the first call with arguments."""
        register = super().command(command_name)

        def checked(handler: F) -> F:
            get_type_hints(handler)
            return register(handler)

        return checked

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows every error outside a request's answer as "Error in
        server: ..." (``window/showMessage``).  Those are internal races, our
        bugs, or notifications the client got wrong (``didChange`` of a document
        it never opened): nothing the user can act on, so they go to the log.
        Failed requests are answered with an error and logged by pygls."""
        if source is FeatureRequestError:
            return
        log.warning(
            "%s: %s",
            getattr(source, "__name__", source),
            error,
            exc_info=sys.exc_info()[0] is not None,
        )

    # -- features -------------------------------------------------------------

    def add_feature(self, feature: Feature) -> None:
        """Register a feature: its hooks, and its ``@command``/``@request``
        methods, which wait for the client's settings (``configured``)."""
        self.features.append(feature)
        for name in dir(type(feature)):
            fn = getattr(type(feature), name, None)
            if (cmd := getattr(fn, COMMAND_MARK, None)) is not None:
                self.command(cmd)(_handler(getattr(feature, name), self.configured))
            if (method := getattr(fn, REQUEST_MARK, None)) is not None:
                self.feature(method)(_handler(getattr(feature, name), self.configured))

    def feature_of(self, cls: type[FeatureT]) -> FeatureT:
        """The registered feature of class ``cls``."""
        for f in self.features:
            if isinstance(f, cls):
                return f
        raise LookupError(f"no {cls.__name__} registered")

    async def call_hooks(self, hook: str, *args: Any) -> list[Any]:
        """Call ``hook`` on every feature that overrides it; the results in
        order (a failing hook is logged and left out)."""
        results = []
        for f in self.features:
            if not overrides(f, hook):
                continue
            try:
                results.append(await _call(getattr(f, hook), *args))
            except JsonRpcException:
                raise  # the hook's answer to the request is this error
            except Exception:
                log.exception("%s.%s failed", type(f).__name__, hook)
        return results

    async def answer_hooks(self, hook: str, *args: Any) -> list[Any]:
        """``call_hooks`` for what the client sends (requests, watched
        files): once its settings are in, so that trust is known."""
        await self.configured.wait()
        return await self.call_hooks(hook, *args)

    async def gather_hooks(self, hook: str, *args: Any) -> list[Any]:
        """The concatenated lists that ``hook`` returns (``answer_hooks``)."""
        return [x for r in await self.answer_hooks(hook, *args) if r for x in r]

    # -- helpers shared by features ----------------------------------------

    def _send_diagnostics(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def uri_of(self, path: Path) -> str:
        return path_uri(path)

    def open_text(self, path: Path) -> str | None:
        uri = self.uri_of(path)
        # pygls keys open documents by the *unquoted* URI (a space stays a space).
        docs = self.workspace.text_documents
        doc = docs.get(uri) or docs.get(unquote(uri))
        return doc.source if doc is not None else None

    def current_text(self, path: Path) -> str | None:
        """The text of ``path`` as the user sees it: the open buffer's, else
        the file's (``read_source``); None when it cannot be read."""
        text = self.open_text(path)
        return text if text is not None else read_source(path)

    def range_converter(self) -> RangeConverter:
        return RangeConverter(self.workspace.position_codec, self.open_text)

    def client_roots(self) -> list[Path]:
        """The workspace folders as the client names them (its root path when
        it sent no folders)."""
        roots = [p for f in self.workspace.folders.values() if (p := uri_path(f.uri))]
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def folders(self) -> list[Path]:
        """The workspace folders: ``client_roots`` less those inside the Racket
        installation.  An installation file opened on its own (after
        go-to-definition on ``racket/list``) gets its directory as the root
        from some clients, and that is no workspace: nothing is scanned,
        watched or compiled there."""
        kept = []
        for root in self.client_roots():
            if not self.in_installation(root):
                kept.append(root)
            elif root not in self._read_only_roots:
                self._read_only_roots.add(root)
                log.info("%s is inside the Racket installation: read-only, not a workspace", root)
        return kept

    def in_installation(self, path: Path) -> bool:
        """Whether ``path`` is in the Racket installation (its collects, share
        and packages directories, symlinks resolved or not), as far as it is
        known yet."""
        try:
            info = self.feature_of(ModuleGraphFeature).info
        except LookupError:
            return False
        return info is not None and (
            info.in_installation(path) or info.in_installation(Path(os.path.realpath(path)))
        )

    def workspace_roots(self) -> list[Path]:
        """The workspace folders with symlinks resolved."""
        return [Path(os.path.realpath(r)) for r in self.folders()]

    def outside_workspace(self, paths: list[Path]) -> list[str]:
        """Why commands refuse these paths: one message per path that is not
        inside a workspace folder once symlinks are resolved (a path that does
        not exist yet is judged by its nearest existing parent).  Commands
        that read or write files act only inside the workspace."""
        roots = self.workspace_roots()
        out = []
        for p in dict.fromkeys(paths):
            real = Path(os.path.realpath(p))
            if not any(real.is_relative_to(r) for r in roots):
                out.append(
                    f"{p} is outside the workspace folders: raco-lsp reads and writes only "
                    "inside them"
                )
        return out

    def roots_for(self, path: Path) -> list[Path]:
        """The workspace folders that hold ``path`` (its directory if none)."""
        return [r for r in self.folders() if path.is_relative_to(r)] or [path.parent]

    def show_once(self, message: str, kind: types.MessageType) -> None:
        if message in self._shown:
            return
        self._shown.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # -- settings: file -> folder -> settings, in one place -------------------

    def folder_of(self, path: Path) -> Path | None:
        """The innermost workspace folder holding ``path`` (as the client names it)."""
        holding = [r for r in self.folders() if path.is_relative_to(r)]
        return max(holding, key=lambda r: len(r.parts)) if holding else None

    def settings_for(self, path: Path) -> Settings:
        """The settings of the folder holding ``path``.  A file outside every
        folder gets the workspace-wide ``settings`` (trusted only if every
        folder is).  Not trusted while the client's answer for that folder
        has not arrived (``settings_known``)."""
        folder = self.folder_of(path)
        if folder is None:
            return self.settings
        found = self.folder_settings.get(folder)
        if found is None:
            s = self.settings
            return s if not s.trusted or self._known([folder]) else replace(s, trusted=False)
        return found if self.configured.is_set() else replace(found, trusted=False)

    @property
    def settings(self) -> Settings:
        """The settings of work that belongs to no one folder: the base
        settings, trusted only when every folder is and the client's
        settings of every folder are known (fails closed)."""
        s = self.base_settings
        if s.trusted and (
            not all(f.trusted for f in self.folder_settings.values())
            or not self._known(self.folders())
        ):
            s = replace(s, trusted=False)
        return s

    def _known(self, folders: list[Path]) -> bool:
        """Whether the client has answered for these folders (a client that
        asks nothing answers with initializationOptions)."""
        if not self.configured.is_set():
            return False
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return True
        return all(f in self.folder_settings for f in folders)

    def settings_known(self, path: Path) -> bool:
        """Whether the settings that apply to ``path`` have arrived."""
        folder = self.folder_of(path)
        return self._known([folder] if folder is not None else self.folders())

    def settings_arrived(self) -> None:
        """Wake what waits in ``until_settings_known``."""
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def until_settings_known(self, path: Path) -> None:
        """Until the client's settings for ``path`` have arrived: work asked
        for before then (a file opened or saved as the server starts, or in a
        folder just added) is decided by them, not by a guess."""
        while not self.settings_known(path):
            await self._arrived.wait()

    def install_for(self, path: Path) -> RacketInstall | None:
        """The Racket of the folder holding ``path`` (its ``racketPath``)."""
        return self._locate(self.settings_for(path).racket_path)[0]

    @property
    def install(self) -> RacketInstall | None:
        """The Racket of the base settings."""
        return self._locate(self.base_settings.racket_path)[0]

    @property
    def install_problems(self) -> list[str]:
        return self._locate(self.base_settings.racket_path)[1]

    def _locate(self, racket_path: str | None) -> tuple[RacketInstall | None, list[str]]:
        if racket_path not in self._installs:
            self._installs[racket_path] = locate_racket(racket_path)
        return self._installs[racket_path]

    def apply_settings(self, base: Settings, folders: dict[Path, Settings] | None = None) -> None:
        """Take new settings (``folders``: each folder's; None keeps them) and
        look for each Racket they name again."""
        self.base_settings = base
        if folders is not None:
            self.folder_settings = folders
        files.set_max_file_size(base.max_file_size * files.MB)
        self._installs = {}
        self.settings_arrived()
        for folder, s in [(None, base), *self.folder_settings.items()]:
            where = "" if folder is None else f" ({folder})"
            for problem in s.problems:
                self.show_once(f"raco-lsp: {problem}{where}", types.MessageType.Warning)
            install, problems = self._locate(s.racket_path)
            if install is None:
                self.show_once(
                    "raco-lsp: Racket not found. "
                    + " ".join(problems)
                    + " "
                    + INSTALL_HINT
                    + " Compiling is disabled until then; the server keeps running.",
                    types.MessageType.Error,
                )
            else:
                log.info("using racket at %s%s", install.racket, where)
            if not s.trusted:
                log.info("not trusted%s: nothing will be compiled", where or " (workspace)")

    async def fetch_configuration(self) -> None:
        """Ask the client for the settings without a scope and for each
        folder's (``scopeUri``); an answer that is not an object keeps what
        was there.  A folder's settings are its answer over the base."""
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return
        folders = self.folders()
        items = [types.ConfigurationItem(section=SECTION)] + [
            types.ConfigurationItem(scope_uri=path_uri(f), section=SECTION) for f in folders
        ]
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(types.ConfigurationParams(items=items)),
                CONFIGURATION_TIMEOUT,
            )
        except Exception as e:  # a client that fails the request: keep what we have
            why = f"no answer in {CONFIGURATION_TIMEOUT:g} s" if isinstance(e, TimeoutError) else e
            log.warning("workspace/configuration failed: %s", why)
            # a folder it never answered for has the base settings
            known = {f: self.folder_settings.get(f, self.base_settings) for f in folders}
            self.apply_settings(self.base_settings, {**self.folder_settings, **known})
            return
        answers = list(result) if isinstance(result, list | tuple) else []
        answers += [None] * (len(items) - len(answers))
        base = parse_settings(answers[0], self.base_settings)
        per_folder = {
            f: parse_settings(a, base) if isinstance(a, dict) else base
            for f, a in zip(folders, answers[1:], strict=True)
        }
        self.apply_settings(base, per_folder)

    async def notify_ready(self) -> None:
        await self.call_hooks("on_configured")
        task = asyncio.ensure_future(self.call_hooks("on_ready"))
        self._readying.add(task)
        task.add_done_callback(self._readying.discard)
        await task

    async def settled(self) -> None:
        """Until initialization and every settings change have been taken in
        (the features' ``on_ready`` hooks are done)."""
        await self.started.wait()
        while self._readying:
            await asyncio.wait(list(self._readying))

    async def notify_built(self, paths: list[Path]) -> None:
        await self.call_hooks("on_built", paths)

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "racket": str(self.install.racket) if self.install else None,
            "racketProblems": self.install_problems,
            "trusted": self.settings.trusted,
            "compileOnSave": self.settings.compile_on_save,
            "agent": self.feature_of(CompileOnSave).agent_status(),
        }


async def _run_hooks(ls: RacoLanguageServer, uri: str, name: str) -> None:
    path = uri_path(uri)
    if path is not None:
        await ls.until_settings_known(path)
        await ls.call_hooks(name, path)


COMPLETION_TRIGGERS = ['"', "'", "(", "[", " ", "/", "#", "-"]


def create_server() -> RacoLanguageServer:
    server = RacoLanguageServer()
    server.add_feature(ModuleGraphFeature(server))
    server.add_feature(CompileOnSave(server))
    server.add_feature(TestFeature(server))
    server.add_feature(PackagingFeature(server))
    server.add_feature(InfoRkt(server))
    server.add_feature(PackageChecks(server))
    server.add_feature(DistroConfig(server))
    server.add_feature(Identifiers(server))
    server.add_feature(References(server))
    server.add_feature(UnusedRequires(server))
    server.add_feature(Completion(server))
    server.add_feature(PkgBuild(server))

    @server.feature(types.INITIALIZE)
    def initialize(ls: RacoLanguageServer, params: types.InitializeParams) -> None:
        ls.base_settings = parse_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RacoLanguageServer, params: types.InitializedParams) -> None:
        # Settings from initializationOptions first, so a client without
        # workspace/configuration still gets them; then the client's view.
        ls.apply_settings(ls.base_settings)
        try:
            await ls.fetch_configuration()
        finally:
            ls.configured.set()
            ls.settings_arrived()
        log.info("settings: %s", ls.base_settings)
        for folder, s in ls.folder_settings.items():
            if s != ls.base_settings:
                log.info("settings of %s: %s", folder, s)
        try:
            await ls.notify_ready()
        finally:
            ls.started.set()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: RacoLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            await ls.fetch_configuration()
        else:
            ls.apply_settings(parse_settings(params.settings, ls.base_settings))
        await ls.notify_ready()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_workspace_folders(
        ls: RacoLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        # pygls has updated ls.workspace: ask each folder now there again.
        await ls.fetch_configuration()
        await ls.notify_ready()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: RacoLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        await ls.answer_hooks("on_watched", list(params.changes))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: RacoLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        await _run_hooks(ls, params.text_document.uri, "on_open")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: RacoLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        await _run_hooks(ls, params.text_document.uri, "on_change")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: RacoLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        await _run_hooks(ls, params.text_document.uri, "on_save")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: RacoLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        await _run_hooks(ls, params.text_document.uri, "on_close")

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS, resolve_provider=True),
    )
    async def completion(
        ls: RacoLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        items: list[types.CompletionItem] = []
        incomplete = False
        for r in await ls.answer_hooks("completion", params):
            if isinstance(r, types.CompletionList):
                items += r.items
                incomplete = incomplete or r.is_incomplete
            elif r:
                items += r
        text = ls.client_capabilities.text_document
        item = text.completion.completion_item if text and text.completion else None
        if wants_plain(item.documentation_format if item else None):
            for i in items:
                if isinstance(i.documentation, types.MarkupContent):
                    i.documentation = as_plain(i.documentation)
        return types.CompletionList(is_incomplete=incomplete, items=items) if items else None

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    async def completion_resolve(
        ls: RacoLanguageServer, item: types.CompletionItem
    ) -> types.CompletionItem:
        for result in await ls.answer_hooks("completion_resolve", item):
            if isinstance(result, types.CompletionItem):
                item = result
                break
        text = ls.client_capabilities.text_document
        caps = text.completion.completion_item if text and text.completion else None
        if isinstance(item.documentation, types.MarkupContent) and wants_plain(
            caps.documentation_format if caps else None
        ):
            item.documentation = as_plain(item.documentation)
        return item

    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=["(", " "]),
    )
    async def signature_help(
        ls: RacoLanguageServer, params: types.SignatureHelpParams
    ) -> types.SignatureHelp | None:
        for result in await ls.answer_hooks("signature_help", params):
            if isinstance(result, types.SignatureHelp):
                return result
        return None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: RacoLanguageServer, params: types.HoverParams) -> types.Hover | None:
        for result in await ls.answer_hooks("hover", params):
            if result is not None:
                assert isinstance(result, types.Hover)
                text = ls.client_capabilities.text_document
                formats = text.hover.content_format if text and text.hover else None
                if wants_plain(formats) and isinstance(result.contents, types.MarkupContent):
                    result = types.Hover(contents=as_plain(result.contents), range=result.range)
                return result
        return None

    def gathered(method: str, hook: str) -> None:
        """``method``'s answer: the concatenated lists of ``hook`` (None if empty)."""

        async def handler(ls: RacoLanguageServer, params: Any) -> list[Any] | None:
            return await ls.gather_hooks(hook, params) or None

        handler.__name__ = handler.__qualname__ = hook
        server.feature(method)(handler)

    gathered(types.TEXT_DOCUMENT_CODE_ACTION, "code_actions")
    gathered(types.TEXT_DOCUMENT_CODE_LENS, "code_lenses")
    gathered(types.TEXT_DOCUMENT_DOCUMENT_LINK, "document_links")
    gathered(types.TEXT_DOCUMENT_DEFINITION, "definitions")
    gathered(types.TEXT_DOCUMENT_DECLARATION, "declarations")
    gathered(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT, "document_highlights")
    gathered(types.TEXT_DOCUMENT_REFERENCES, "references")
    gathered(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, "document_symbols")

    def first(method: str, hook: str) -> None:
        """``method``'s answer: the first answer of ``hook`` that is not None."""

        async def handler(ls: RacoLanguageServer, params: Any) -> Any:
            return next((r for r in await ls.answer_hooks(hook, params) if r is not None), None)

        handler.__name__ = handler.__qualname__ = hook
        server.feature(method)(handler)

    first(types.TEXT_DOCUMENT_PREPARE_RENAME, "prepare_rename")
    first(types.TEXT_DOCUMENT_RENAME, "rename")

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: RacoLanguageServer, params: None) -> None:
        await ls.call_hooks("on_shutdown")
        process.kill_all()

    @server.feature(types.EXIT)
    def exit_(ls: RacoLanguageServer, params: None) -> None:
        # Runs before pygls ends the process (with or without a shutdown
        # first): nothing more goes to the client, every helper dies.
        assert isinstance(ls.protocol, RacoProtocol)
        ls.protocol.exiting = True
        ls.protocol.exit_without_shutdown = not ls.protocol._shutdown
        process.kill_all()

    @server.command("raco-lsp.serverStatus")
    def server_status(ls: RacoLanguageServer, *args: Any) -> dict[str, Any]:
        return ls.status()

    @server.command("raco-lsp.waitIdle")
    async def wait_idle(ls: RacoLanguageServer, *args: Any) -> bool:
        """Resolves when no build is running or queued and the module graph
        has applied every change (for tests and scripts)."""
        await ls.settled()  # the check on startup begins in an on_ready hook
        await ls.feature_of(ModuleGraphFeature).wait_idle()  # first: builds wait for its scan
        await ls.call_hooks("wait_idle")
        return True

    return server


def run_stdio() -> int:
    """Serve over stdio; the exit code the protocol asks for (1 after an
    ``exit`` that no ``shutdown`` came before)."""
    server = create_server()
    try:
        server.start_io()
    finally:
        process.kill_all()
    asyncio.set_event_loop(None)
    protocol = server.protocol
    return 1 if isinstance(protocol, RacoProtocol) and protocol.exit_without_shutdown else 0
