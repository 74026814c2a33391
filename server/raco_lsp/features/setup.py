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
from collections.abc import Callable, Container
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from raco_lsp.info.findings import Finding
from raco_lsp.info.setup_findings import SOURCE, findings_of
from raco_lsp.lsp.diagnostics import publish_replacing
from raco_lsp.lsp.feature import Feature, command, request
from raco_lsp.lsp.progress import work_done
from raco_lsp.lsp.protocol import (
    CheckPackageResult,
    ClearScopeResult,
    PackageTarget,
    PackagingRefusal,
    WorkspacePackageEntry,
)
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

NO_TARGET = PackageTarget()


def target_path(target: PackageTarget) -> Path | None:
    from raco_lsp.lsp.uris import uri_path

    return uri_path(target.uri) if target.uri else None


def info_rkt_fixes(
    server: RacoLanguageServer,
    params: types.CodeActionParams,
    checked: Container[Path],
    findings: Callable[[Path], list[Finding]],
) -> list[types.CodeAction]:
    """The quick fixes on an info.rkt whose package directory was ``checked``,
    from ``findings(package directory)``."""
    from raco_lsp.lsp.uris import uri_path

    path = uri_path(params.text_document.uri)
    if path is None or path.name != "info.rkt" or path.parent not in checked:
        return []
    return server.range_converter().quick_fixes(
        params.text_document.uri, path, findings(path.parent), params.range
    )


class PackageChecks(Feature):
    """raco setup checks of workspace packages.  State: the last report per
    package directory, the files each package's diagnostics were published
    on, one lock per package scope, the checks started on save."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.reports: dict[Path, SetupReport] = {}
        self._published: dict[Path, set[Path]] = {}
        self._locks: dict[Path, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._version: str | None = None

    # -- hooks ----------------------------------------------------------------

    def on_save(self, path: Path) -> None:
        s = self.server.settings_for(path)
        if path.name == "info.rkt" and s.setup_on_save and s.trusted:
            self.check_in_background(path)

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        return info_rkt_fixes(self.server, params, self.reports, self.findings)

    # -- commands and requests ------------------------------------------------

    @command("raco-lsp.checkPackage")
    async def check_package(
        self, target: PackageTarget = NO_TARGET
    ) -> CheckPackageResult | PackagingRefusal:
        """Check the package holding ``{"uri": ...}`` with raco setup."""
        path = target_path(target)
        if path is None:
            return PackagingRefusal(errors=["checkPackage needs {uri} of a file in a package"])
        outside = self.server.outside_workspace([path])
        if outside:
            return PackagingRefusal(errors=outside)
        try:
            return await self.check(path)
        except asyncio.CancelledError:
            return PackagingRefusal(cancelled=True, errors=["cancelled"])

    @command("raco-lsp.clearPackageScope")
    async def clear_package_scope(
        self, target: PackageTarget = NO_TARGET
    ) -> ClearScopeResult | PackagingRefusal:
        """Remove raco-lsp's package scope(s) of the workspace (or of ``{"uri": ...}``)."""
        path = target_path(target)
        roots: list[Path] = []
        if path is not None:
            outside = self.server.outside_workspace([path])
            if outside:
                return PackagingRefusal(errors=outside)
            roots = [self.server.roots_for(path)[0]]
        else:
            roots = self.server.folders()
        if self.server.install is None:
            return PackagingRefusal(errors=["Racket was not found"])
        cleared: list[str] = []
        for root in roots:
            scope = await self.scope(WorkspacePackage("", root, "none"))
            if scope is None:
                continue
            async with self._locks.setdefault(scope.root, asyncio.Lock()):
                scope.clear()
            cleared.append(str(scope.root))
        return ClearScopeResult(cleared=cleared)

    @command("raco-lsp.setupIdle")
    async def setup_idle(self, *_: Any) -> bool:
        """Resolves when no check started on save is running (for tests)."""
        await self.idle()
        return True

    @request("raco/workspacePackages")
    def workspace_packages(self, params: Any) -> list[WorkspacePackageEntry]:
        """The workspace packages (no params: whatever comes is ignored)."""
        return [
            WorkspacePackageEntry(name=p.name, directory=str(p.directory), collection=p.collection)
            for p in find_packages(self.server.folders())
        ]

    # -- checks ---------------------------------------------------------------

    def package(self, path: Path) -> WorkspacePackage | None:
        return package_of(path, self.server.roots_for(path))

    async def scope(self, pkg: WorkspacePackage) -> Scope | None:
        install = self.server.install
        if install is None:
            return None
        if self._version is None:
            self._version = await racket_version(install)
        return scope_for(self.server.roots_for(pkg.directory)[0], self._version)

    def findings(self, pkg_dir: Path) -> list[Finding]:
        report = self.reports.get(pkg_dir)
        if report is None:
            return []
        text = self.server.open_text(pkg_dir / "info.rkt")
        return findings_of(report, text)

    def publish(self, pkg_dir: Path) -> list[Finding]:
        findings = self.findings(pkg_dir)
        before = self._published.get(pkg_dir, set())
        problems = [f.problem for f in findings]
        self._published[pkg_dir] = publish_replacing(self.server, SOURCE, problems, before)
        return findings

    async def check(self, path: Path) -> CheckPackageResult | PackagingRefusal:
        s = self.server
        if not s.settings_for(path).trusted:
            why = "the workspace is not trusted: raco setup runs no code"
            return PackagingRefusal(errors=[why])
        install = s.install_for(path)
        if install is None:
            return PackagingRefusal(errors=["Racket was not found"])
        pkg = self.package(path)
        if pkg is None:
            return PackagingRefusal(errors=[f"no package (info.rkt) holds {path}"])
        scope = await self.scope(pkg)
        assert scope is not None
        lock = self._locks.setdefault(scope.root, asyncio.Lock())
        async with lock, work_done(s, f"Check package {pkg.name}") as p:
            p.report(f"raco setup --check-pkg-deps {pkg.name}", done=0, total=1)
            report = await check_package(
                install, pkg, scope, docs=s.settings_for(path).setup_docs, timeout=600
            )
            p.report("done", done=1, total=1)
        self.reports[pkg.directory] = report
        findings = self.publish(pkg.directory)
        return CheckPackageResult.of(report, findings)

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

    async def idle(self) -> None:
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.wait(pending)
