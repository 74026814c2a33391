"""Server settings, from initializationOptions and workspace/configuration.

All settings live under the ``raco-lsp`` section; both ``{"raco-lsp": {...}}``
and a flat ``{...}`` object are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SECTION = "raco-lsp"


@dataclass(frozen=True)
class Settings:
    racket_path: str | None = None
    """``raco-lsp.racketPath``: directory holding racket/raco, or the racket executable."""
    compile_timeout: float = 60.0
    """``raco-lsp.compileTimeout``: seconds before a compile is stopped."""
    compile_on_save: str = "file"
    """``raco-lsp.compileOnSave``: ``off`` or ``file``."""
    trusted: bool = True
    """``raco-lsp.trusted``: false for an untrusted folder: nothing is compiled."""
    dist_entries: tuple[str, ...] = ()
    """``raco-lsp.distEntries``: entry modules of Build distribution (relative to the
    workspace folder); empty: info.rkt's launcher libraries, else the current file."""
    dist_output: str = "dist"
    """``raco-lsp.distOutput``: where Build distribution writes (relative to the folder)."""
    smoke_timeout: float = 30.0
    """``raco-lsp.smokeTimeout``: seconds each executable may run in the smoke run."""
    problems: tuple[str, ...] = field(default=())


_COMPILE_ON_SAVE = ("off", "file")


def parse_settings(raw: Any, base: Settings | None = None) -> Settings:
    """Merge ``raw`` over ``base``; wrong values are kept out and reported."""
    s = base or Settings()
    if not isinstance(raw, dict):
        return s
    if isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    problems: list[str] = []
    changes: dict[str, Any] = {}

    if "racketPath" in raw:
        v = raw["racketPath"]
        if v is None or isinstance(v, str):
            changes["racket_path"] = v or None
        else:
            problems.append("raco-lsp.racketPath must be a string")
    if "compileTimeout" in raw:
        v = raw["compileTimeout"]
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
            changes["compile_timeout"] = float(v)
        else:
            problems.append("raco-lsp.compileTimeout must be a positive number of seconds")
    if "compileOnSave" in raw:
        v = raw["compileOnSave"]
        if v in _COMPILE_ON_SAVE:
            changes["compile_on_save"] = v
        else:
            problems.append(f"raco-lsp.compileOnSave must be one of {', '.join(_COMPILE_ON_SAVE)}")
    if "trusted" in raw:
        v = raw["trusted"]
        if isinstance(v, bool):
            changes["trusted"] = v
        else:
            problems.append("raco-lsp.trusted must be true or false")
    if "distEntries" in raw:
        v = raw["distEntries"]
        if isinstance(v, list) and all(isinstance(x, str) and x for x in v):
            changes["dist_entries"] = tuple(v)
        else:
            problems.append("raco-lsp.distEntries must be a list of module paths")
    if "distOutput" in raw:
        v = raw["distOutput"]
        if isinstance(v, str) and v:
            changes["dist_output"] = v
        else:
            problems.append("raco-lsp.distOutput must be a non-empty path")
    if "smokeTimeout" in raw:
        v = raw["smokeTimeout"]
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
            changes["smoke_timeout"] = float(v)
        else:
            problems.append("raco-lsp.smokeTimeout must be a positive number of seconds")
    return replace(s, **changes, problems=tuple(problems))
