"""Executables, distributions and archives as commands and code actions.

Commands (each takes one JSON object argument, typed in ``lsp/protocol.py``'s
packaging section; reports ``$/progress``, can be cancelled from the client,
and answers ``{"ok", "errors", ...paths}``):

- ``raco-lsp.createExecutable``  {uri|module, output?, gui?, libs?, launcher?, ico?, icns?,
  aux?, embedDlls?, overwrite?}; the default output is ``<folder>/<distOutput>/exe/<module name>``
- ``raco-lsp.createDistribution`` {modules|uri, output?, name?, libs?, collectsCopy?,
  sharedCollects?}: executables + ``raco distribute`` (no archive, no smoke run); the
  default output is ``<folder>/<distOutput>/bundle``, so executables and distributions
  never meet
- ``raco-lsp.buildDistribution`` {modules?|uri?, output?, name?, libs?, smoke?, smokeArgs?,
  bundler?}:
  executables, distribution, archive, smoke run
- ``raco-lsp.packCollection`` {uri|dir, output?, collection?, atPlt?, replace?, setup?,
  includeCompiled?}
- ``raco-lsp.createPackageArchive`` {uri|dir, dest?, format?, mode?}
- ``raco-lsp.createLaunchers`` {uri|dir, dest?}

Request ``raco/inspectPlt`` {uri|path} decodes a ``.plt`` archive without
extracting it; hovering in an open ``.plt`` file, or on a ``"….plt"`` string,
shows the same.  Nothing runs in an untrusted workspace (raco exe expands and
compiles code; info.rkt is evaluated).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from raco_lsp.core.text import TextIndex
from raco_lsp.lsp.feature import Feature, command, request
from raco_lsp.lsp.progress import Progress, work_done
from raco_lsp.lsp.protocol import (
    BUNDLE_FOLDER,
    EXE_FOLDER,
    CreateExecutableArgs,
    Distribution,
    DistributionArgs,
    InspectPltParams,
    LaunchersArgs,
    PackageArchiveArgs,
    PackagingRefusal,
    PackagingStep,
    PackCollectionArgs,
    PltInfo,
    PltProblems,
)
from raco_lsp.lsp.uris import path_or_uri, uri_path
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import ProgressFn, read_info
from raco_lsp.racket.packaging.exe import ExeOptions, create_executable, create_launchers
from raco_lsp.racket.packaging.pack import create_package_archive, pack_collection
from raco_lsp.racket.packaging.pipeline import Entry, build_distribution
from raco_lsp.racket.plt import describe, read_plt
from raco_lsp.syntax.dynamic_requires import lib_suggestions, workspace_dynamic_requires

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

Answer = TypeVar("Answer", PackagingStep, Distribution)

_PLT_STRING = re.compile(r'"([^"\n]*\.plt)"')
_MODULE_SUFFIXES = (".rkt", ".ss", ".scm")

# Commands called without an argument act as if given {}.
_NO_EXE = CreateExecutableArgs()
_NO_DIST = DistributionArgs()
_NO_PACK = PackCollectionArgs()
_NO_PKG = PackageArchiveArgs()
_NO_LAUNCHERS = LaunchersArgs()


def _path_of(path: str | None, uri: str | None) -> Path | None:
    """``path`` (a file system path or a ``file:`` URI) when given, else ``uri``."""
    if path:
        return path_or_uri(path)
    return uri_path(uri) if uri else None


def _folder(path: str | None, uri: str | None, in_folder: Callable[[Path], bool]) -> Path | None:
    """The folder ``path`` (else ``uri``) names, or the folder of the file it
    names (when ``in_folder(target)``)."""
    target = _path_of(path, uri)
    if target is None:
        return None
    return target.parent if in_folder(target) else target


def _path_or(given: str | None, default: Path) -> Path:
    return Path(given) if given else default


def _output(given: str | None, root: Path, default: Path) -> Path:
    """An ``output`` argument (relative to the workspace folder ``root``), else ``default``."""
    return root / given if given else default


def _reporter(p: Progress) -> ProgressFn:
    def report(msg: str, done: int, total: int) -> None:
        p.report(msg, done=done, total=total)

    return report


def _refused(*errors: str) -> PackagingRefusal:
    return PackagingRefusal(errors=list(errors))


class PackagingFeature(Feature):
    """The packaging commands (one job at a time), code actions, ``.plt`` hover
    and ``raco/inspectPlt``."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self._lock = asyncio.Lock()

    # -- helpers ----------------------------------------------------------------

    def _root(self, path: Path) -> Path:
        return self.server.roots_for(path)[0]

    def _dist_output(self, path: Path) -> Path:
        """The ``raco-lsp.distOutput`` folder of ``path``'s workspace folder."""
        return self._root(path) / self.server.settings.dist_output

    def _refusal(self, paths: list[Path] | None = None) -> PackagingRefusal | None:
        """Why a packaging command must not run: an untrusted workspace, no
        Racket, or a path it would read or write outside the workspace."""
        ls = self.server
        trusted = [ls.settings_for(p).trusted for p in paths] if paths else [ls.settings.trusted]
        if not all(trusted):
            return _refused("the workspace is not trusted: packaging runs no code")
        outside = ls.outside_workspace(paths or [])
        if outside:
            return _refused(*outside)
        if ls.install is None:
            return _refused("Racket was not found: " + " ".join(ls.install_problems))
        return None

    async def _run_job(
        self,
        title: str,
        job: Callable[[RacketInstall, Progress], Awaitable[Answer]],
        paths: list[Path],
    ) -> Answer | PackagingRefusal:
        """Run ``job`` one at a time, under work-done progress; turn a client
        cancel into ``{"ok": false, "cancelled": true}``.  ``paths``: every file
        or folder the job reads or writes, confined to the workspace."""
        refused = self._refusal(paths)
        if refused is not None:
            self._tell(title, refused)
            return refused
        install = self.server.install
        assert install is not None
        progress: Progress | None = None
        try:
            async with self._lock, work_done(self.server, title) as p:
                progress = p
                result = await job(install, p)
        except asyncio.CancelledError:
            if progress is not None and progress.cancelled_by_client:
                return PackagingRefusal(cancelled=True, errors=[f"{title}: cancelled"])
            raise
        self._tell(title, result)
        return result

    def _tell(self, title: str, result: PackagingStep | Distribution | PackagingRefusal) -> None:
        """Say how a job went (run from a code action, the answer alone shows nothing)."""
        if isinstance(result, PackagingRefusal):
            msg = f"{title}: not run: " + "; ".join(result.errors[:3])
            kind = types.MessageType.Warning
        elif result.ok:
            if isinstance(result, Distribution):
                where = result.archive or ""
            else:
                where = ", ".join(result.outputs[:3])
            msg = f"{title}: done" + (f" — {where}" if where else "")
            kind = types.MessageType.Info
        else:
            errors = result.errors or ["failed"]
            msg = f"{title} failed: " + "; ".join(errors[:3])
            kind = types.MessageType.Error
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=msg))

    async def _entries(self, arg: DistributionArgs) -> tuple[list[Entry], Path | None]:
        """Entry modules: the ``modules`` argument, else ``raco-lsp.distEntries``,
        else the launcher libraries of info.rkt in the workspace folder, else the
        current file (``uri``)."""
        ls = self.server
        current = _path_of(None, arg.uri)
        folder = Path(ls.workspace.root_path) if ls.workspace.root_path else Path.cwd()
        modules = [folder / m for m in arg.modules]  # absolute paths stay as they are
        if modules:
            return [Entry(m) for m in modules], self._root(modules[0])
        if current is not None:
            root = self._root(current)
        elif ls.workspace.root_path:
            root = Path(ls.workspace.root_path)
        else:
            return [], None
        if ls.settings.dist_entries:
            return [Entry(root / m) for m in ls.settings.dist_entries], root
        if (root / "info.rkt").is_file() and ls.install is not None:
            info, _ = await read_info(ls.install, root)
            launchers = [x for x in info.get("launchers", []) if isinstance(x, dict)]
            if launchers:
                return [Entry(root / str(x["library"]), str(x["name"])) for x in launchers], root
        if current is not None and current.suffix in _MODULE_SUFFIXES:
            return [Entry(current)], root
        return [], root

    async def _distribution(
        self, arg: DistributionArgs, title: str, *, archive: bool
    ) -> Distribution | PackagingRefusal:
        ls = self.server
        refused = self._refusal()
        current = _path_of(None, arg.uri)
        if refused is None and current is not None and ls.outside_workspace([current]):
            refused = _refused(*ls.outside_workspace([current]))
        if refused is not None:
            self._tell(title, refused)
            return refused
        entries, root = await self._entries(arg)
        if not entries or root is None:
            refused = _refused(
                "no entry modules: pass {modules}, set raco-lsp.distEntries, list "
                "racket-launcher-libraries in info.rkt, or run it from a module"
            )
            self._tell(title, refused)
            return refused
        output = _output(arg.output, root, root / ls.settings.dist_output / BUNDLE_FOLDER)
        collects_copy = [Path(x) for x in arg.collects_copy]
        files = [*(e.module for e in entries), output, *collects_copy]

        async def job(install: RacketInstall, p: Progress) -> Distribution:
            r = await build_distribution(
                install,
                entries,
                output,
                name=arg.name,
                libs=arg.libs,
                gui=arg.gui,
                collects_copy=collects_copy,
                shared_collects=arg.shared_collects,
                archive=archive,
                bundler=arg.bundler or "auto",
                smoke=arg.smoke is not False,
                smoke_timeout=ls.settings.smoke_timeout,
                smoke_args=(ls.settings.smoke_args if arg.smoke_args is None else arg.smoke_args),
                progress=_reporter(p),
            )
            return Distribution.of(r)

        return await self._run_job(title, job, files)

    # -- commands ---------------------------------------------------------------

    @command("raco-lsp.createExecutable")
    async def cmd_create_executable(
        self, arg: CreateExecutableArgs = _NO_EXE
    ) -> PackagingStep | PackagingRefusal:
        module = _path_of(arg.module, arg.uri)
        if module is None:
            return _refused("createExecutable needs {uri} or {module}")
        opts = ExeOptions(
            output=_output(
                arg.output, self._root(module), self._dist_output(module) / EXE_FOLDER / module.stem
            ),
            gui=arg.gui,
            libs=arg.libs,
            launcher=arg.launcher,
            ico=Path(arg.ico) if arg.ico is not None else None,
            icns=Path(arg.icns) if arg.icns is not None else None,
            aux=[Path(x) for x in arg.aux],
            embed_dlls=arg.embed_dlls,
            overwrite=arg.overwrite is not False,
        )
        extra = (opts.output, opts.ico, opts.icns)
        files = [module, *opts.aux, *(x for x in extra if x is not None)]

        async def job(install: RacketInstall, p: Progress) -> PackagingStep:
            p.report(f"raco exe {module.name}")
            step = await create_executable(install, module, opts)
            libs = lib_suggestions(workspace_dynamic_requires(module, self._root(module)))
            return PackagingStep.of(step, lib_suggestions=libs)

        return await self._run_job("Create executable", job, files)

    @command("raco-lsp.createDistribution")
    async def cmd_create_distribution(
        self, arg: DistributionArgs = _NO_DIST
    ) -> Distribution | PackagingRefusal:
        return await self._distribution(arg, "Create distribution", archive=False)

    @command("raco-lsp.buildDistribution")
    async def cmd_build_distribution(
        self, arg: DistributionArgs = _NO_DIST
    ) -> Distribution | PackagingRefusal:
        return await self._distribution(arg, "Build distribution", archive=True)

    @command("raco-lsp.packCollection")
    async def cmd_pack_collection(
        self, arg: PackCollectionArgs = _NO_PACK
    ) -> PackagingStep | PackagingRefusal:
        coll_dir = _folder(arg.dir, arg.uri, lambda p: p.name == "info.rkt")
        if coll_dir is None:
            return _refused("packCollection needs {uri} or {dir}")
        out_dir = self._dist_output(coll_dir)
        files = [coll_dir, out_dir, *([Path(arg.output)] if arg.output else [])]

        async def job(install: RacketInstall, p: Progress) -> PackagingStep:
            collection = arg.collection
            if collection is None:
                info, _ = await read_info(install, coll_dir)
                c = info.get("collection")
                collection = c if isinstance(c, str) else coll_dir.name
            output = _path_or(arg.output, out_dir / f"{collection}.plt")
            p.report(f"raco pack {collection}")
            step = await pack_collection(
                install,
                coll_dir,
                output,
                collection=collection,
                at_plt=arg.at_plt,
                replace=arg.replace,
                setup=arg.setup,
                include_compiled=arg.include_compiled,
                exclude=[out_dir],
            )
            plt = PltInfo.of(*read_plt(output)) if step.ok else None
            return PackagingStep.of(step, plt=plt)

        return await self._run_job("Pack collection", job, files)

    @command("raco-lsp.createPackageArchive")
    async def cmd_create_package_archive(
        self, arg: PackageArchiveArgs = _NO_PKG
    ) -> PackagingStep | PackagingRefusal:
        pkg_dir = _folder(arg.dir, arg.uri, Path.is_file)
        if pkg_dir is None:
            return _refused("createPackageArchive needs {uri} or {dir}")
        dest_dir = _path_or(arg.dest, self._dist_output(pkg_dir))

        async def job(install: RacketInstall, p: Progress) -> PackagingStep:
            p.report(f"raco pkg create {pkg_dir.name}")
            step = await create_package_archive(
                install,
                pkg_dir,
                dest_dir,
                fmt=arg.format or "zip",
                mode=arg.mode or "as-is",
                exclude=[self._dist_output(pkg_dir)],
            )
            return PackagingStep.of(step)

        return await self._run_job("Create package archive", job, [pkg_dir, dest_dir])

    @command("raco-lsp.createLaunchers")
    async def cmd_create_launchers(
        self, arg: LaunchersArgs = _NO_LAUNCHERS
    ) -> PackagingStep | PackagingRefusal:
        coll_dir = _folder(arg.dir, arg.uri, Path.is_file)
        if coll_dir is None:
            return _refused("createLaunchers needs {uri} or {dir}")
        dest_dir = _path_or(arg.dest, self._dist_output(coll_dir) / "launchers")

        async def job(install: RacketInstall, p: Progress) -> PackagingStep:
            step = await create_launchers(install, coll_dir, dest_dir, progress=_reporter(p))
            return PackagingStep.of(step)

        return await self._run_job("Create launchers", job, [coll_dir, dest_dir])

    @request("raco/inspectPlt")
    def inspect_plt(self, params: InspectPltParams | None) -> PltInfo | PltProblems:
        path = _path_of(params.path, params.uri) if params is not None else None
        if path is None:
            return PltProblems(problems=["raco/inspectPlt needs {uri} or {path}"])
        outside = self.server.outside_workspace([path])
        if outside:
            return PltProblems(problems=outside)
        return PltInfo.of(*read_plt(path))

    # -- hooks --------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        ls = self.server
        if not ls.settings.trusted or ls.install is None:
            return []
        only = params.context.only
        if only and types.CodeActionKind.Empty not in only:
            return []
        uri = params.text_document.uri
        path = uri_path(uri)
        if path is None:
            return []
        if path.name == "info.rkt":
            return [
                _command_action("Pack collection as .plt", "raco-lsp.packCollection", {"uri": uri}),
                _command_action(
                    "Create package archive (raco pkg create)",
                    "raco-lsp.createPackageArchive",
                    {"uri": uri},
                ),
                _command_action("Create launchers", "raco-lsp.createLaunchers", {"uri": uri}),
            ]
        if path.suffix not in _MODULE_SUFFIXES:
            return []
        actions = [_command_action("Create executable", "raco-lsp.createExecutable", {"uri": uri})]
        libs = lib_suggestions(workspace_dynamic_requires(path, self._root(path)))
        if libs:
            flags = " ".join(f"++lib {x}" for x in libs)
            actions.append(
                _command_action(
                    f"Create executable with {flags}",
                    "raco-lsp.createExecutable",
                    {"uri": uri, "libs": libs},
                )
            )
        actions.append(
            _command_action(
                "Build distribution of this module",
                "raco-lsp.buildDistribution",
                {"modules": [str(path)], "libs": libs},
            )
        )
        return actions

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        path = uri_path(params.text_document.uri)
        if path is None:
            return None
        target = path if path.suffix == ".plt" else self._plt_string_at(path, params.position)
        if target is None or not target.is_file():
            return None
        archive, problems = read_plt(target)
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=describe(archive, problems)
            )
        )

    def _plt_string_at(self, path: Path, position: types.Position) -> Path | None:
        """The ``.plt`` file a ``"….plt"`` string at ``position`` of the open
        ``path`` names (relative to ``path``'s folder)."""
        text = self.server.open_text(path)
        if text is None:
            return None
        lines = TextIndex(text).lines
        if position.line >= len(lines):
            return None
        line = lines[position.line]
        at = self.server.range_converter().char_index(line, position.character)
        for m in _PLT_STRING.finditer(line):
            if m.start() <= at <= m.end():
                candidate = Path(m.group(1))
                return candidate if candidate.is_absolute() else path.parent / candidate
        return None


def _command_action(title: str, command: str, arg: dict[str, Any]) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.Empty,
        command=types.Command(title=title, command=command, arguments=[arg]),
    )
