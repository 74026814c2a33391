"""Checks that relate info.rkt fields to each other (plain records):
parallel lists (``catalog.PARALLEL``), and ``implies`` within ``deps``."""

from __future__ import annotations

from pathlib import Path

from raco_lsp.core.records import Pos, Related, Severity, Span
from raco_lsp.info.catalog import PARALLEL
from raco_lsp.info.evaluator import Val
from raco_lsp.info.findings import Findings, Fix
from raco_lsp.syntax.info import InfoSyntax


def check_relations(info: InfoSyntax, values: dict[str, Val], found: Findings) -> None:
    """``values``: the computed value of each field (first definitions)."""
    _parallel(info, values, found)
    _implies(values, found)


def _dep_names(v: Val | None) -> set[str] | None:
    if v is None or v.kind != "list":
        return None
    names: set[str] = set()
    for item in v.items:
        if item.kind == "string":
            names.add(item.text)
        elif item.kind == "list" and item.items and item.items[0].kind == "string":
            names.add(item.items[0].text)
        else:
            return None  # computed entries: cannot tell
    return names


def _implies(values: dict[str, Val], found: Findings) -> None:
    implies = values.get("implies")
    deps = _dep_names(values.get("deps"))
    if implies is None or implies.kind != "list" or deps is None:
        return
    for item in implies.items:
        if item.kind == "string" and item.text not in deps:
            found.add(
                item.datum.span,
                f'implies: "{item.text}" is not in deps, so implying it has no effect',
                "info-implies",
                Severity.WARNING,
            )


def _parallel(info: InfoSyntax, values: dict[str, Val], found: Findings) -> None:
    for names_field, others in PARALLEL:
        names = values.get(names_field)
        if names is None or names.kind != "list":
            continue
        for other in others:
            v = values.get(other)
            if v is None or v.kind != "list" or len(v.items) == len(names.items):
                continue
            fixes: tuple[Fix, ...] = ()
            if len(v.items) < len(names.items) and other.endswith("-libraries"):
                missing = [n for n in names.items[len(v.items) :] if n.kind == "string"]
                fixes = _append_fix(
                    v, [f'"{n.text}.rkt"' for n in missing], f"Add the missing {other} entries"
                )
            elif len(v.items) > len(names.items) and other.endswith("-libraries"):
                extra = [
                    Path(i.text).stem for i in v.items[len(names.items) :] if i.kind == "string"
                ]
                fixes = _append_fix(
                    names, [f'"{e}"' for e in extra], f"Add the missing {names_field} entries"
                )
            where = info.define(other)
            names_def = info.define(names_field)
            names_span = names_def.value.span if names_def and names_def.value else names.datum.span
            found.add(
                where.value.span if where and where.value else v.datum.span,
                f"{other} has {len(v.items)} entries but {names_field} has "
                f"{len(names.items)}: they must be parallel lists",
                "info-parallel",
                fixes=fixes,
                related=(Related(found.path, names_span, f"{names_field} is here"),),
            )


def _append_fix(v: Val, entries: list[str], title: str) -> tuple[Fix, ...]:
    """Insert ``entries`` before the closing paren of a literal list."""
    d = v.datum
    target = d.items[0] if d.kind == "quote" and d.items else d
    if target.kind != "list" or not entries or not target.text.endswith((")", "]")):
        return ()
    end = target.span.end
    at = Pos(end.line, end.col - 1)
    sep = " " if target.items else ""
    return (Fix.replace(title, Span(at, at), sep + " ".join(entries)),)
