"""Check package: `raco setup` dependency checks as info.rkt diagnostics and fixes.

Command ``raco-lsp.checkPackage`` (also on save of info.rkt with
``raco-lsp.setupOnSave``) links the workspace package into raco-lsp's own
package scope and runs ``raco setup --check-pkg-deps --unused-pkg-deps``, under
``$/progress`` with cancellation.  Diagnostics use the source ``raco setup``.
``raco-lsp.clearPackageScope`` removes the scope; ``raco/workspacePackages``
lists the workspace packages.  Nothing runs in an untrusted workspace.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from raco_lsp.info.findings import Finding
from raco_lsp.info.setup_findings import SOURCE, findings_of, report_json
from raco_lsp.lsp.progress import work_done
from raco_lsp.racket.setup import (
    Scope,
    SetupReport,
    WorkspacePackage,
    check_package,
    find_packages,
    package_of,
    racket_version,
    scope_for,
)

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)


def _arg_path(ls: RacoLanguageServer, args: tuple[Any, ...]) -> Path | None:
    a: Any = args[0] if args else None
    if isinstance(a, list | tuple) and a and not hasattr(a, "_fields"):
        a = a[0]
    if hasattr(a, "_asdict"):
        a = a._asdict()
    uri = a.get("uri") if isinstance(a, dict) else a if isinstance(a, str) else None
    if not uri:
        return None
    from raco_lsp.lsp.server import uri_path

    return uri_path(uri)


class PackageChecks:
    def __init__(self, server: RacoLanguageServer) -> None:
        self._server = server
        self.reports: dict[Path, SetupReport] = {}
        self._published: dict[Path, set[Path]] = {}
        self._locks: dict[Path, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._version: str | None = None

    def package(self, path: Path) -> WorkspacePackage | None:
        return package_of(path, self._server.roots_for(path))

    async def scope(self, pkg: WorkspacePackage) -> Scope | None:
        install = self._server.install
        if install is None:
            return None
        if self._version is None:
            self._version = await racket_version(install)
        return scope_for(self._server.roots_for(pkg.directory)[0], self._version)

    def findings(self, pkg_dir: Path) -> list[Finding]:
        report = self.reports.get(pkg_dir)
        if report is None:
            return []
        text = self._server.open_text(pkg_dir / "info.rkt")
        return findings_of(report, text)

    def publish(self, pkg_dir: Path) -> list[Finding]:
        findings = self.findings(pkg_dir)
        converter = self._server.range_converter()
        by_path: dict[Path, list[types.Diagnostic]] = {}
        for f in findings:
            by_path.setdefault(f.problem.path, []).append(converter.diagnostic(f.problem))
        for old in self._published.get(pkg_dir, set()) - set(by_path):
            self._server.store.put(SOURCE, self._server.uri_of(old), [])
        for p, diags in by_path.items():
            self._server.store.put(SOURCE, self._server.uri_of(p), diags)
        self._published[pkg_dir] = set(by_path)
        return findings

    async def check(self, path: Path) -> dict[str, Any]:
        s = self._server
        if not s.settings.trusted:
            why = "the workspace is not trusted: raco setup runs no code"
            return {"ok": False, "errors": [why]}
        install = s.install
        if install is None:
            return {"ok": False, "errors": ["Racket was not found"]}
        pkg = self.package(path)
        if pkg is None:
            return {"ok": False, "errors": [f"no package (info.rkt) holds {path}"]}
        scope = await self.scope(pkg)
        assert scope is not None
        lock = self._locks.setdefault(scope.root, asyncio.Lock())
        async with lock, work_done(s, f"Check package {pkg.name}") as p:
            p.report(f"raco setup --check-pkg-deps {pkg.name}", done=0, total=1)
            report = await check_package(
                install, pkg, scope, docs=s.settings.setup_docs, timeout=600
            )
            p.report("done", done=1, total=1)
        self.reports[pkg.directory] = report
        findings = self.publish(pkg.directory)
        return {"ok": True, **report_json(report, findings)}

    def check_in_background(self, path: Path) -> None:
        task = asyncio.ensure_future(self._quiet_check(path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quiet_check(self, path: Path) -> None:
        try:
            await self.check(path)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("check package failed for %s", path)

    async def wait_idle(self) -> None:
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.wait(pending)


def register(server: RacoLanguageServer) -> None:
    checks = PackageChecks(server)

    def on_save(ls: RacoLanguageServer, path: Path) -> None:
        if path.name == "info.rkt" and ls.settings.setup_on_save and ls.settings.trusted:
            checks.check_in_background(path)

    def code_action(
        ls: RacoLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        from raco_lsp.lsp.server import uri_path

        path = uri_path(params.text_document.uri)
        if path is None or path.name != "info.rkt" or path.parent not in checks.reports:
            return []
        return ls.range_converter().quick_fixes(
            params.text_document.uri, path, checks.findings(path.parent), params.range
        )

    server.providers.on_save.append(on_save)
    server.providers.code_action.append(code_action)

    @server.command("raco-lsp.checkPackage")
    async def cmd_check_package(ls: Any, *args: Any) -> dict[str, Any]:
        """Check the package holding ``{"uri": ...}`` with raco setup."""
        path = _arg_path(ls, args)
        if path is None:
            return {"ok": False, "errors": ["checkPackage needs {uri} of a file in a package"]}
        outside = ls.outside_workspace([path])
        if outside:
            return {"ok": False, "errors": outside}
        try:
            return await checks.check(path)
        except asyncio.CancelledError:
            return {"ok": False, "cancelled": True, "errors": ["cancelled"]}

    @server.command("raco-lsp.clearPackageScope")
    async def cmd_clear_scope(ls: Any, *args: Any) -> dict[str, Any]:
        """Remove raco-lsp's package scope(s) of the workspace (or of ``{"uri": ...}``)."""
        path = _arg_path(ls, args)
        roots: list[Path] = []
        if path is not None:
            outside = ls.outside_workspace([path])
            if outside:
                return {"ok": False, "errors": outside}
            roots = [server.roots_for(path)[0]]
        else:
            for folder in server.workspace.folders.values():
                fs = to_fs_path(folder.uri)
                if fs:
                    roots.append(Path(fs))
        if server.install is None:
            return {"ok": False, "errors": ["Racket was not found"]}
        cleared: list[str] = []
        for root in roots:
            scope = await checks.scope(WorkspacePackage("", root, "none"))
            if scope is None:
                continue
            async with checks._locks.setdefault(scope.root, asyncio.Lock()):
                scope.clear()
            cleared.append(str(scope.root))
        return {"ok": True, "cleared": cleared}

    @server.command("raco-lsp.setupIdle")
    async def cmd_setup_idle(ls: Any, *args: Any) -> bool:
        """Resolves when no check started on save is running (for tests)."""
        await checks.wait_idle()
        return True

    @server.feature("raco/workspacePackages")
    def workspace_packages(ls: Any, params: Any) -> list[dict[str, str]]:
        roots = []
        for folder in server.workspace.folders.values():
            fs = to_fs_path(folder.uri)
            if fs:
                roots.append(Path(fs))
        return [
            {"name": p.name, "directory": str(p.directory), "collection": p.collection}
            for p in find_packages(roots)
        ]
