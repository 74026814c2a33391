"""Package-build preflight in the editor: command ``raco-lsp.pkgBuild``.

Runs the package-build service's steps (``racket/pkg_build.py``, the same run
as ``raco-lsp pkg-build``) on the workspace package holding ``{"uri"}``, under
``$/progress`` with one report per step; a client cancel kills the step's
processes and the run's temporary scopes are removed.  Refused in an untrusted
folder and outside the workspace.  The problems become diagnostics with the
source ``pkg-build`` (info.rkt, failing files and tests; raco setup's quick
fixes on info.rkt), and a ``window/showMessage`` says the verdict.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from raco_lsp.features.setup import NO_TARGET, info_rkt_fixes, target_path
from raco_lsp.info.findings import Finding
from raco_lsp.info.pkg_build import report_findings, report_html, summary
from raco_lsp.lsp.diagnostics import publish_replacing
from raco_lsp.lsp.feature import Feature, command
from raco_lsp.lsp.progress import work_done
from raco_lsp.lsp.protocol import (
    PackageTarget,
    PackagingRefusal,
    PkgBuildResult,
    PkgBuildStepResult,
    SetupProblem,
)
from raco_lsp.racket.install import view_file, write_cache_text
from raco_lsp.racket.pkg_build import SOURCE, STEPS, BuildStep, PkgBuildReport, pkg_build
from raco_lsp.racket.setup import package_of

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer


class PkgBuild(Feature):
    """State: the last report per package directory, the files its
    diagnostics were published on, one run at a time per package."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.reports: dict[Path, PkgBuildReport] = {}
        self._published: dict[Path, set[Path]] = {}
        self._locks: dict[Path, asyncio.Lock] = {}

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        return info_rkt_fixes(self.server, params, self.reports, self.findings)

    def findings(self, pkg_dir: Path) -> list[Finding]:
        report = self.reports.get(pkg_dir)
        if report is None:
            return []
        return report_findings(report, self.server.open_text(pkg_dir / "info.rkt"))

    @command("raco-lsp.pkgBuild")
    async def pkg_build(
        self, target: PackageTarget = NO_TARGET
    ) -> PkgBuildResult | PackagingRefusal:
        """What the package-build service would say about the package holding
        ``{"uri": ...}``."""
        s = self.server
        path = target_path(target)
        if path is None:
            return PackagingRefusal(errors=["pkgBuild needs {uri} of a file in a package"])
        outside = s.outside_workspace([path])
        if outside:
            return PackagingRefusal(errors=outside)
        if not s.settings_for(path).trusted:
            why = "the workspace is not trusted: the package build runs no code"
            return PackagingRefusal(errors=[why])
        install = s.install_for(path)
        if install is None or install.raco is None:
            return PackagingRefusal(errors=["Racket (raco) was not found"])
        pkg = package_of(path, s.roots_for(path))
        if pkg is None:
            return PackagingRefusal(errors=[f"no package (info.rkt) holds {path}"])
        lock = self._locks.setdefault(pkg.directory, asyncio.Lock())
        try:
            async with lock, work_done(s, f"Package build {pkg.name}") as progress:
                progress.report(f"{STEPS[0]}…", done=0, total=len(STEPS))
                finished: list[BuildStep] = []

                def on_step(step: BuildStep) -> None:
                    finished.append(step)
                    message = f"{step.name}: {step.status}"
                    if len(finished) < len(STEPS):
                        message += f"; {STEPS[len(finished)]}…"
                    progress.report(message, done=len(finished), total=len(STEPS))

                report = await pkg_build(install, pkg, on_step=on_step)
        except asyncio.CancelledError:
            return PackagingRefusal(cancelled=True, errors=["cancelled"])
        self.reports[pkg.directory] = report
        # The results page, under the cache dir (never in the workspace).
        page = view_file("pkg-build", pkg.directory, f"{pkg.name}.html")
        html = str(page) if write_cache_text(page, report_html(report)) else None
        findings = self.findings(pkg.directory)
        before = self._published.get(pkg.directory, set())
        problems = [f.problem for f in findings]
        self._published[pkg.directory] = publish_replacing(s, SOURCE, problems, before)
        success = report.verdict == "success"
        s.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info if success else types.MessageType.Warning,
                message=f"Package build: {summary(report)}",
            )
        )
        return PkgBuildResult(
            package=pkg.name,
            directory=str(pkg.directory),
            verdict=report.verdict,
            categories=report.categories,
            network_isolated=report.network_isolated,
            steps=[
                PkgBuildStepResult(name=x.name, status=x.status, why=x.why, seconds=x.seconds)
                for x in report.steps
            ],
            problems=[SetupProblem.of(f) for f in findings],
            html=html,
        )
