"""Static validation of info.rkt files (plain records, no LSP types).

``validate_info`` reads the text with tree-sitter (``syntax/info.py``) and
runs, in order: the info-module grammar of the raco manual §6.4
(``grammar.py``), then for each definition the small static evaluator of its
expression (``evaluator.py``) and the check of the field's value shape and of
the files it names (``shapes.py``), then the checks between fields
(``relations.py``: parallel lists, implies).  Every problem is at the range of
the offending expression, and some carry quick fixes (``findings.Fix``).
Racket's own ``get-info`` is the ground truth for what the static checks
cannot see: see ``racket/info.py``.
"""

from __future__ import annotations

from pathlib import Path

from raco_lsp.core.records import Severity
from raco_lsp.info.catalog import FIELDS
from raco_lsp.info.evaluator import Evaluator, Val
from raco_lsp.info.findings import Finding, Findings
from raco_lsp.info.grammar import check_define, check_module
from raco_lsp.info.relations import check_relations
from raco_lsp.info.shapes import ShapeChecker, unknown_field
from raco_lsp.syntax.info import Define, InfoSyntax, parse_info

SOURCE = "info.rkt"


def validate_info(path: Path, text: str, *, check_files: bool = True) -> list[Finding]:
    """All static problems of one info.rkt's text (``path`` locates files)."""
    info = parse_info(text)
    return validate_syntax(path, info, check_files=check_files)


def validate_syntax(path: Path, info: InfoSyntax, *, check_files: bool = True) -> list[Finding]:
    found = Findings(path, SOURCE)
    if not check_module(info, found):
        return found.items
    ev = Evaluator(info, found)
    shapes = ShapeChecker(found, check_files)
    seen: dict[str, Define] = {}
    values: dict[str, Val] = {}
    for d in info.defines:
        if not check_define(d, seen.get(d.name), found):
            continue
        assert d.value is not None
        value = ev.expr(d.value)
        if d.name not in seen:
            seen[d.name] = d
            ev.env[d.name] = value
            values[d.name] = value
            f = FIELDS.get(d.name)
            if f is not None:
                shapes.check(f, value)
            else:
                unknown_field(d, found)
    check_relations(info, values, found)
    return found.items


def has_errors(findings: list[Finding]) -> bool:
    return any(f.problem.severity is Severity.ERROR for f in findings)
