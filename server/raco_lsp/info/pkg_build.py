"""A package-build report (``racket/pkg_build.py``) as findings, shared by
``raco-lsp pkg-build`` and the server's ``raco-lsp.pkgBuild``: raco setup's
problems as ``setup_findings`` makes them (on info.rkt, with the same quick
fixes, and at compile errors), failing tests at the failing check or module;
every problem has the source ``pkg-build``."""

from __future__ import annotations

from dataclasses import replace

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.info.findings import Finding
from raco_lsp.info.setup_findings import findings_of
from raco_lsp.racket.pkg_build import SOURCE, BuildStep, PkgBuildReport
from raco_lsp.racket.testing import describe


def step_findings(step: BuildStep, info_text: str | None = None) -> list[Finding]:
    """A step's problems at their files (``info_text``: info.rkt's text, when
    an editor buffer differs from the file)."""
    out: list[Finding] = [Finding(replace(p, source=SOURCE)) for p in step.problems]
    if step.setup is not None:
        for f in findings_of(step.setup, info_text):
            out.append(Finding(replace(f.problem, source=SOURCE), f.fixes))
    if step.tests is not None:
        for file in step.tests.files:
            for item in file.items:
                if item.status == "passed":
                    continue
                span = item.span or Span.at_line_start()
                where = item.location or file.path
                problem = Problem(where, span, Severity.ERROR, describe(item), SOURCE, "test")
                out.append(Finding(problem))
    return out


def step_problems(step: BuildStep) -> list[Problem]:
    return [f.problem for f in step_findings(step)]


def report_findings(report: PkgBuildReport, info_text: str | None = None) -> list[Finding]:
    """Every step's findings, in step order."""
    return [f for s in report.steps for f in step_findings(s, info_text)]


def summary(report: PkgBuildReport) -> str:
    """One line: the package, the verdict's categories and each failed step's why."""
    failed = [f"{s.name}: {s.why}" for s in report.steps if s.status == "failure" and s.why]
    detail = f" ({'; '.join(failed)})" if failed else ""
    return f"{report.package.name}: {', '.join(report.categories)}{detail}"
