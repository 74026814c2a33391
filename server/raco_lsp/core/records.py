"""Plain records shared by the Racket and syntax layers.

Lines and columns are 0-based; columns count characters (code points), not
bytes and not UTF-16 units.  The features layer converts to LSP types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


@dataclass(frozen=True, order=True)
class Pos:
    line: int
    col: int


@dataclass(frozen=True, order=True)
class Span:
    start: Pos
    end: Pos

    @staticmethod
    def at_line_start(line: int = 0) -> Span:
        return Span(Pos(line, 0), Pos(line, 0))


@dataclass(frozen=True)
class Related:
    path: Path
    span: Span
    message: str


@dataclass(frozen=True)
class Problem:
    """One thing to tell the user about, at one place in one file."""

    path: Path
    span: Span
    severity: Severity
    message: str
    source: str
    code: str | None = None
    related: tuple[Related, ...] = field(default=())
