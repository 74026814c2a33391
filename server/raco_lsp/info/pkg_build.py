"""A package-build report (``racket/pkg_build.py``) as findings, shared by
``raco-lsp pkg-build`` and the server's ``raco-lsp.pkgBuild``: raco setup's
problems as ``setup_findings`` makes them (on info.rkt, with the same quick
fixes, and at compile errors), failing tests at the failing check or module;
every problem has the source ``pkg-build``."""

from __future__ import annotations

import html
from dataclasses import replace

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.info.findings import Finding
from raco_lsp.info.setup_findings import findings_of
from raco_lsp.racket.pkg_build import SOURCE, BuildStep, PkgBuildReport
from raco_lsp.racket.testing import FileResult, describe


def step_findings(step: BuildStep, info_text: str | None = None) -> list[Finding]:
    """A step's problems at their files (``info_text``: info.rkt's text, when
    an editor buffer differs from the file)."""
    out: list[Finding] = [Finding(replace(p, source=SOURCE)) for p in step.problems]
    if step.setup is not None:
        for f in findings_of(step.setup, info_text):
            out.append(Finding(replace(f.problem, source=SOURCE), f.fixes))
    if step.tests is not None:
        out += _test_findings(step.tests.files, Severity.ERROR, "test", "")
    out += _test_findings(
        step.extra,
        Severity.WARNING,
        "extra-system-dependencies",
        "fails without network and display, passes with yours (extra system dependencies): ",
    )
    return out


def _test_findings(
    files: list[FileResult], severity: Severity, code: str, prefix: str
) -> list[Finding]:
    """The failing checks (or modules) of ``files``, at the check or module."""
    out = []
    for file in files:
        for item in file.items:
            if item.status == "passed":
                continue
            span = item.span or Span.at_line_start()
            where = item.location or file.path
            problem = Problem(where, span, severity, prefix + describe(item), SOURCE, code)
            out.append(Finding(problem))
    return out


def step_problems(step: BuildStep) -> list[Problem]:
    return [f.problem for f in step_findings(step)]


def report_findings(report: PkgBuildReport, info_text: str | None = None) -> list[Finding]:
    """Every step's findings, in step order."""
    return [f for s in report.steps for f in step_findings(s, info_text)]


def sibling_note(report: PkgBuildReport) -> str:
    """What the run installed from the package's repository (the service's
    catalog would offer those packages)."""
    names = ", ".join(f"{p.name} ({p.directory})" for p in report.siblings)
    return f"installed first in each scope, from their folders in the repository: {names}"


def summary(report: PkgBuildReport) -> str:
    """One line: the package, the verdict's categories and each failed step's why."""
    failed = [f"{s.name}: {s.why}" for s in report.steps if s.status == "failure" and s.why]
    detail = f" ({'; '.join(failed)})" if failed else ""
    return f"{report.package.name}: {', '.join(report.categories)}{detail}"


_STYLE = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
td { border: 1px solid #ccc; padding: 0.4em 0.8em; vertical-align: top; }
.go { background-color: #ccffcc } .ok { background-color: #ccffff }
.yield { background-color: #ffffcc } .brake { background-color: #ffeecc }
.stop { background-color: #ffcccc }
.author, .annotation { font-size: small; font-weight: normal; }
pre.log { background: #f4f4f4; padding: 0.5em; overflow-x: auto; }
"""


def _status_cell(report: PkgBuildReport) -> tuple[str, str]:
    """The service's status column: its colour class and its text (linking to
    the logs below, as the service links to its log files)."""

    def link(step: str, text: str) -> str:
        return f'<a href="#log-{step}">{html.escape(text)}</a>'

    if report.verdict == "failure":
        steps = ("archive", "install", "docs", "built")
        failed = next(s.name for s in report.steps if s.status == "failure" and s.name in steps)
        return "stop", link(failed, "install fails")
    results = [link("install", "install succeeds")]
    if report.step("dependencies").status == "failure":
        results.append(link("dependencies", "dependency problems"))
    tests = report.step("tests").status
    if tests == "failure":
        results.append(link("tests", "test failures"))
    elif tests == "success":
        results.append(link("tests", "no test failures"))
    if report.step("tests").extra:
        results.append(link("tests", "extra system dependencies"))
    text = results[0] + (" with " + " and with ".join(results[1:]) if results[1:] else "")
    cats = report.categories
    colour = (
        "brake"
        if "dependency problems" in cats
        else "yield"
        if "test failures" in cats
        else "ok"
        if "extra system dependencies" in cats
        else "go"
    )
    return colour, text


def _docs_cell(docs: BuildStep) -> str:
    if docs.status == "skipped":
        return f'Docs: <span class="annotation">(not built: {html.escape(docs.why)})</span>'
    text = "built" if docs.status == "success" else "build errors"
    return f'Docs: <a href="#log-docs">{text}</a>'


def report_html(report: PkgBuildReport) -> str:
    """A self-contained page laid out like the service's results page: one row
    (package, docs, status, conflicts), then each step's problems and log."""
    e = html.escape
    name = e(report.package.name)
    colour, status = _status_cell(report)
    conflicts = report.step("conflicts").status == "failure"
    conflict_cell = (
        '<td class="stop" id="conflicts"><a href="#log-conflicts">conflicts</a></td>'
        if conflicts
        else '<td class="neutral" id="conflicts"></td>'
    )
    rows = [
        f'<tr><td id="package">{name}<div class="author">{e(str(report.package.directory))}'
        "</div></td>",
        f'<td id="docs">{_docs_cell(report.step("docs"))}</td>',
        f'<td class="{colour}" id="status">{status}</td>',
        conflict_cell + "</tr>",
    ]
    sections = []
    for s in report.steps:
        problems = "".join(
            f'<li class="problem {p.severity.value}"><code>{e(str(p.path))}:'
            f"{p.span.start.line + 1}:{p.span.start.col + 1}</code>: "
            f"{e(p.message)}</li>"
            for p in step_problems(s)
        )
        sections.append(
            f'<section class="step {s.status}" id="log-{s.name}">'
            f"<h2>{e(s.name)}: {e(s.status)}</h2>"
            f'<p class="why">{e(s.why)} ({s.seconds:.1f} s)</p>'
            + (f'<ul class="problems">{problems}</ul>' if problems else "")
            + (
                f'<p class="left-out">left out of the archive: {e(", ".join(s.left_out))}</p>'
                if s.left_out
                else ""
            )
            + (f'<pre class="log">{e(s.log)}</pre>' if s.log else "")
            + "</section>"
        )
    notes = []
    if report.network_isolated is not None:
        network = "network isolated" if report.network_isolated else "network not isolated"
        notes.append(f"tests: {network}, DISPLAY unset")
    if report.siblings:
        notes.append(sibling_note(report))
    verdict = e(", ".join(report.categories))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Package Build Results: {name}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>Package Build Results</h1>\n"
        f'<p id="verdict">{name}: {verdict}</p>\n'
        f'<table id="summary">{"".join(rows)}</table>\n'
        + "\n".join(sections)
        + "\n"
        + "".join(f'<p class="note">{e(n)}</p>' for n in notes)
        + "\n</body></html>\n"
    )
