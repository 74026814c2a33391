"""Executables, distributions and archives as commands and code actions.

Commands (each takes one JSON object argument, reports ``$/progress``, can be
cancelled from the client, and returns ``{"ok", "errors", ...paths}``):

- ``raco-lsp.createExecutable``  {uri|module, output?, gui?, libs?, launcher?, ico?, icns?,
  aux?, embedDlls?}; the default output is ``<folder>/<distOutput>/<module name>``
- ``raco-lsp.createDistribution`` {modules|uri, output?, name?, libs?, collectsCopy?,
  sharedCollects?}: executables + ``raco distribute`` (no archive, no smoke run)
- ``raco-lsp.buildDistribution`` {modules?|uri?, output?, name?, libs?, smoke?}: executables,
  distribution, archive, smoke run
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
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from raco_lsp.lsp.progress import Progress, work_done
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import StepResult, read_info
from raco_lsp.racket.packaging.exe import ExeOptions, create_executable, create_launchers
from raco_lsp.racket.packaging.pack import create_package_archive, pack_collection
from raco_lsp.racket.packaging.pipeline import DistributionResult, Entry, build_distribution
from raco_lsp.racket.plt import describe, read_plt
from raco_lsp.syntax.dynamic_requires import lib_suggestions, workspace_dynamic_requires

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

_lock = asyncio.Lock()
_PLT_STRING = re.compile(r'"([^"\n]*\.plt)"')


def _arg(args: tuple[Any, ...]) -> dict[str, Any]:
    if args and isinstance(args[0], dict):
        return args[0]
    return {}


def _params_dict(params: Any) -> dict[str, Any]:
    """Custom-request params arrive as a dict or as pygls' named tuple."""
    if isinstance(params, dict):
        return params
    if hasattr(params, "_asdict"):
        return dict(params._asdict())
    return {k: getattr(params, k) for k in ("uri", "path") if hasattr(params, k)}


def _path_arg(ls: RacoLanguageServer, a: dict[str, Any], *keys: str) -> Path | None:
    from raco_lsp.lsp.server import uri_path

    for k in keys:
        v = a.get(k)
        if isinstance(v, str) and v:
            if k == "uri" or v.startswith("file:"):
                return uri_path(v)
            return Path(v)
    return None


def _root(ls: RacoLanguageServer, path: Path) -> Path:
    return ls.roots_for(path)[0]


def _strings(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _refusal(ls: RacoLanguageServer, paths: list[Path] | None = None) -> dict[str, Any] | None:
    """Why a packaging command must not run: an untrusted workspace, no
    Racket, or a path it would read or write outside the workspace."""
    if not ls.settings.trusted:
        return {"ok": False, "errors": ["the workspace is not trusted: packaging runs no code"]}
    outside = ls.outside_workspace(paths or [])
    if outside:
        return {"ok": False, "errors": outside}
    if ls.install is None:
        return {"ok": False, "errors": ["Racket was not found: " + " ".join(ls.install_problems)]}
    return None


async def _run_job(
    ls: RacoLanguageServer,
    title: str,
    job: Callable[[RacketInstall, Progress], Awaitable[dict[str, Any]]],
    paths: list[Path],
) -> dict[str, Any]:
    """Run ``job`` one at a time, under work-done progress; turn a client
    cancel into ``{"ok": false, "cancelled": true}``.  ``paths``: every file
    or folder the job reads or writes, confined to the workspace."""
    refused = _refusal(ls, paths)
    if refused is not None:
        return refused
    install = ls.install
    assert install is not None
    progress: Progress | None = None
    try:
        async with _lock, work_done(ls, title) as p:
            progress = p
            result = await job(install, p)
    except asyncio.CancelledError:
        if progress is not None and progress.cancelled_by_client:
            return {"ok": False, "cancelled": True, "errors": [f"{title}: cancelled"]}
        raise
    _tell(ls, title, result)
    return result


def _tell(ls: RacoLanguageServer, title: str, result: dict[str, Any]) -> None:
    if result.get("ok"):
        where = result.get("archive") or ", ".join(result.get("outputs", [])[:3])
        msg = f"{title}: done" + (f" — {where}" if where else "")
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=msg))
    else:
        errors = result.get("errors") or ["failed"]
        msg = f"{title} failed: " + "; ".join(str(e) for e in errors[:3])
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=msg))


def _step_json(step: StepResult) -> dict[str, Any]:
    return step.to_json()


def _dist_json(r: DistributionResult) -> dict[str, Any]:
    return r.to_json()


def _reporter(p: Progress) -> Callable[[str, int, int], None]:
    def report(msg: str, done: int, total: int) -> None:
        p.report(msg, done=done, total=total)

    return report


async def _entries(ls: RacoLanguageServer, a: dict[str, Any]) -> tuple[list[Entry], Path | None]:
    """Entry modules: the ``modules`` argument, else ``raco-lsp.distEntries``,
    else the launcher libraries of info.rkt in the workspace folder, else the
    current file (``uri``)."""
    current = _path_arg(ls, a, "uri")
    folder = Path(ls.workspace.root_path) if ls.workspace.root_path else Path.cwd()
    modules = [folder / m for m in _strings(a.get("modules"))]  # absolute paths stay as they are
    if modules:
        return [Entry(m) for m in modules], _root(ls, modules[0])
    if current is not None:
        root = _root(ls, current)
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
    if current is not None and current.suffix in (".rkt", ".ss", ".scm"):
        return [Entry(current)], root
    return [], root


def _path_or(a: dict[str, Any], key: str, default: Path) -> Path:
    """The argument ``key`` as a path when it is a non-empty string, else ``default``."""
    given = a.get(key)
    return Path(given) if isinstance(given, str) and given else default


def _output_dir(ls: RacoLanguageServer, a: dict[str, Any], root: Path) -> Path:
    out = a.get("output")
    if isinstance(out, str) and out:
        return Path(out) if Path(out).is_absolute() else root / out
    return root / ls.settings.dist_output


def register(server: RacoLanguageServer) -> None:
    # Handlers take ``ls: Any``: pygls evaluates their annotations at run time,
    # and RacoLanguageServer is only imported for type checking here.
    server.providers.code_action.append(code_actions)
    server.providers.hover.append(hover)

    @server.command("raco-lsp.createExecutable")
    async def cmd_create_executable(ls: Any, *args: Any) -> dict[str, Any]:
        a = _arg(args)
        module = _path_arg(ls, a, "module", "uri")
        if module is None:
            return {"ok": False, "errors": ["createExecutable needs {uri} or {module}"]}

        default = _root(ls, module) / ls.settings.dist_output / module.stem
        opts = ExeOptions(
            output=_path_or(a, "output", default),
            gui=bool(a.get("gui")),
            libs=_strings(a.get("libs")),
            launcher=bool(a.get("launcher")),
            ico=Path(a["ico"]) if isinstance(a.get("ico"), str) else None,
            icns=Path(a["icns"]) if isinstance(a.get("icns"), str) else None,
            aux=[Path(x) for x in _strings(a.get("aux"))],
            embed_dlls=bool(a.get("embedDlls")),
            overwrite=a.get("overwrite", True) is not False,
        )
        extra = (opts.output, opts.ico, opts.icns)
        files = [module, *opts.aux, *(x for x in extra if x is not None)]

        async def job(install: RacketInstall, p: Progress) -> dict[str, Any]:
            p.report(f"raco exe {module.name}")
            step = await create_executable(install, module, opts)
            result = _step_json(step)
            result["libSuggestions"] = lib_suggestions(
                workspace_dynamic_requires(module, _root(ls, module))
            )
            return result

        return await _run_job(ls, "Create executable", job, files)

    async def _distribution(
        ls: RacoLanguageServer, a: dict[str, Any], title: str, *, archive: bool
    ) -> dict[str, Any]:
        refused = _refusal(ls)
        if refused is not None:
            return refused
        current = _path_arg(ls, a, "uri")
        if current is not None and ls.outside_workspace([current]):
            return {"ok": False, "errors": ls.outside_workspace([current])}
        entries, root = await _entries(ls, a)
        if not entries or root is None:
            return {
                "ok": False,
                "errors": [
                    "no entry modules: pass {modules}, set raco-lsp.distEntries, list "
                    "racket-launcher-libraries in info.rkt, or run it from a module"
                ],
            }

        output = _output_dir(ls, a, root)
        collects_copy = [Path(x) for x in _strings(a.get("collectsCopy"))]
        files = [*(e.module for e in entries), output, *collects_copy]

        async def job(install: RacketInstall, p: Progress) -> dict[str, Any]:
            smoke = a.get("smoke", True) is not False
            r = await build_distribution(
                install,
                entries,
                output,
                name=a.get("name") if isinstance(a.get("name"), str) else None,
                libs=_strings(a.get("libs")),
                gui=bool(a.get("gui")),
                collects_copy=collects_copy,
                shared_collects=bool(a.get("sharedCollects")),
                archive=archive,
                bundler=str(a.get("bundler") or "auto"),
                smoke=smoke,
                smoke_timeout=ls.settings.smoke_timeout,
                progress=_reporter(p),
            )
            return _dist_json(r)

        return await _run_job(ls, title, job, files)

    @server.command("raco-lsp.createDistribution")
    async def cmd_create_distribution(ls: Any, *args: Any) -> dict[str, Any]:
        return await _distribution(ls, _arg(args), "Create distribution", archive=False)

    @server.command("raco-lsp.buildDistribution")
    async def cmd_build_distribution(ls: Any, *args: Any) -> dict[str, Any]:
        return await _distribution(ls, _arg(args), "Build distribution", archive=True)

    @server.command("raco-lsp.packCollection")
    async def cmd_pack_collection(ls: Any, *args: Any) -> dict[str, Any]:
        a = _arg(args)
        target = _path_arg(ls, a, "dir", "uri")
        if target is None:
            return {"ok": False, "errors": ["packCollection needs {uri} or {dir}"]}
        coll_dir = target.parent if target.name == "info.rkt" else target
        out_dir = _root(ls, coll_dir) / ls.settings.dist_output
        given = a.get("output")
        files = [coll_dir, out_dir, *([Path(given)] if isinstance(given, str) and given else [])]

        async def job(install: RacketInstall, p: Progress) -> dict[str, Any]:
            collection = a.get("collection")
            if not isinstance(collection, str):
                info, _ = await read_info(install, coll_dir)
                c = info.get("collection")
                collection = c if isinstance(c, str) else coll_dir.name
            output = _path_or(a, "output", out_dir / f"{collection}.plt")
            p.report(f"raco pack {collection}")
            step = await pack_collection(
                install,
                coll_dir,
                output,
                collection=collection,
                at_plt=bool(a.get("atPlt")),
                replace=bool(a.get("replace")),
                setup=_strings(a.get("setup")),
                include_compiled=bool(a.get("includeCompiled")),
                exclude=[_root(ls, coll_dir) / ls.settings.dist_output],
            )
            result = _step_json(step)
            if step.ok:
                archive, problems = read_plt(output)
                result["plt"] = {**archive.to_json(), "problems": problems}
            return result

        return await _run_job(ls, "Pack collection", job, files)

    @server.command("raco-lsp.createPackageArchive")
    async def cmd_create_package_archive(ls: Any, *args: Any) -> dict[str, Any]:
        a = _arg(args)
        target = _path_arg(ls, a, "dir", "uri")
        if target is None:
            return {"ok": False, "errors": ["createPackageArchive needs {uri} or {dir}"]}
        pkg_dir = target.parent if target.is_file() else target
        dest_dir = _path_or(a, "dest", _root(ls, pkg_dir) / ls.settings.dist_output)

        async def job(install: RacketInstall, p: Progress) -> dict[str, Any]:
            p.report(f"raco pkg create {pkg_dir.name}")
            step = await create_package_archive(
                install,
                pkg_dir,
                dest_dir,
                fmt=str(a.get("format") or "zip"),
                mode=str(a.get("mode") or "as-is"),
                exclude=[_root(ls, pkg_dir) / ls.settings.dist_output],
            )
            return _step_json(step)

        return await _run_job(ls, "Create package archive", job, [pkg_dir, dest_dir])

    @server.command("raco-lsp.createLaunchers")
    async def cmd_create_launchers(ls: Any, *args: Any) -> dict[str, Any]:
        a = _arg(args)
        target = _path_arg(ls, a, "dir", "uri")
        if target is None:
            return {"ok": False, "errors": ["createLaunchers needs {uri} or {dir}"]}
        coll_dir = target.parent if target.is_file() else target
        dest_dir = _path_or(a, "dest", _root(ls, coll_dir) / ls.settings.dist_output / "launchers")

        async def job(install: RacketInstall, p: Progress) -> dict[str, Any]:
            step = await create_launchers(install, coll_dir, dest_dir, progress=_reporter(p))
            return _step_json(step)

        return await _run_job(ls, "Create launchers", job, [coll_dir, dest_dir])

    @server.feature("raco/inspectPlt")
    def inspect_plt(ls: Any, params: Any) -> dict[str, Any]:
        a = _params_dict(params)
        path = _path_arg(ls, a, "path", "uri")
        if path is None:
            return {"problems": ["raco/inspectPlt needs {uri} or {path}"]}
        outside = ls.outside_workspace([path])
        if outside:
            return {"problems": outside}
        archive, problems = read_plt(path)
        return {**archive.to_json(), "problems": problems}


def _command_action(title: str, command: str, arg: dict[str, Any]) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.Empty,
        command=types.Command(title=title, command=command, arguments=[arg]),
    )


def code_actions(ls: RacoLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    from raco_lsp.lsp.server import uri_path

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
    if path.suffix not in (".rkt", ".ss", ".scm"):
        return []
    actions = [_command_action("Create executable", "raco-lsp.createExecutable", {"uri": uri})]
    libs = lib_suggestions(workspace_dynamic_requires(path, _root(ls, path)))
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


def hover(ls: RacoLanguageServer, params: types.HoverParams) -> types.Hover | None:
    from raco_lsp.lsp.server import uri_path

    path = uri_path(params.text_document.uri)
    if path is None:
        return None
    target: Path | None = None
    if path.suffix == ".plt":
        target = path
    else:
        text = ls.open_text(path)
        if text is None:
            return None
        lines = text.splitlines()
        if params.position.line >= len(lines):
            return None
        line = lines[params.position.line]
        for m in _PLT_STRING.finditer(line):
            # Positions are UTF-16 by default; for ASCII file names they agree.
            if m.start() <= params.position.character <= m.end():
                candidate = Path(m.group(1))
                target = candidate if candidate.is_absolute() else path.parent / candidate
                break
    if target is None or not target.is_file():
        return None
    archive, problems = read_plt(target)
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=describe(archive, problems)
        )
    )
