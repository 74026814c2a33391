"""Helpers for the info.rkt tests."""

from __future__ import annotations

from raco_lsp.core.records import Pos
from raco_lsp.info.findings import Fix, apply_edits


def offset(text: str, pos: Pos) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: pos.line]) + pos.col


def apply_fix(text: str, fix: Fix) -> str:
    return apply_edits(text, fix.edits)


def cursor(marked: str) -> tuple[str, Pos]:
    """Text with a `|` cursor mark -> (text, position of the mark)."""
    i = marked.index("|")
    text = marked[:i] + marked[i + 1 :]
    before = text[:i]
    return text, Pos(before.count("\n"), i - (before.rfind("\n") + 1))
