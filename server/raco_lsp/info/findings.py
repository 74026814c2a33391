"""What the info.rkt checks hand out (plain records, no LSP types).

A ``Finding`` is a ``Problem`` plus the quick ``Fix``es that repair it; a fix
is a titled set of ``TextEdit``s in the problem's file.  The static checks
(``validate``) and the raco setup report (``setup_findings``) both produce
them; ``lsp/diagnostics.py`` turns them into code actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.records import Problem, Related, Severity, Span
from raco_lsp.core.text import TextIndex


@dataclass(frozen=True)
class TextEdit:
    """Replace ``span`` (character positions) with ``new_text``."""

    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    """A quick fix: edits applied together, in the file of the problem."""

    title: str
    edits: tuple[TextEdit, ...]

    @staticmethod
    def replace(title: str, span: Span, new_text: str) -> Fix:
        return Fix(title, (TextEdit(span, new_text),))


@dataclass(frozen=True)
class Finding:
    problem: Problem
    fixes: tuple[Fix, ...] = ()


@dataclass
class Findings:
    """The findings about one file, in the order they are found."""

    path: Path
    source: str
    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        span: Span,
        message: str,
        code: str,
        severity: Severity = Severity.ERROR,
        *,
        fixes: tuple[Fix, ...] = (),
        related: tuple[Related, ...] = (),
    ) -> None:
        problem = Problem(self.path, span, severity, message, self.source, code, related)
        self.items.append(Finding(problem, fixes))


def apply_edits(text: str, edits: tuple[TextEdit, ...]) -> str:
    """``text`` with ``edits`` applied (they must not overlap)."""
    index = TextIndex(text)
    for e in sorted(edits, key=lambda e: index.index_of(e.span.start), reverse=True):
        a, b = index.index_of(e.span.start), index.index_of(e.span.end)
        text = text[:a] + e.new_text + text[b:]
    return text
