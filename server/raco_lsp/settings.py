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
    compile_on_save: str = "dependents"
    """``raco-lsp.compileOnSave``: ``off``, ``file`` (the saved module and what
    it requires), ``dependents`` (also its workspace dependents) or
    ``workspace`` (also everything stale in the workspace)."""
    debounce: float = 0.15
    """``raco-lsp.debounce``: seconds to wait after a save before building."""
    agent_memory_limit: int = 2048
    """``raco-lsp.agentMemoryLimit``: MB of resident memory after which the
    compile agent is replaced between requests."""
    trusted: bool = True
    """``raco-lsp.trusted``: false for an untrusted folder: nothing is compiled."""
    problems: tuple[str, ...] = field(default=())


_COMPILE_ON_SAVE = ("off", "file", "dependents", "workspace")


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
    if "debounce" in raw:
        v = raw["debounce"]
        if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 10:
            changes["debounce"] = float(v)
        else:
            problems.append("raco-lsp.debounce must be a number of seconds between 0 and 10")
    if "agentMemoryLimit" in raw:
        v = raw["agentMemoryLimit"]
        if isinstance(v, int) and not isinstance(v, bool) and v >= 64:
            changes["agent_memory_limit"] = v
        else:
            problems.append("raco-lsp.agentMemoryLimit must be a whole number of MB (>= 64)")
    if "trusted" in raw:
        v = raw["trusted"]
        if isinstance(v, bool):
            changes["trusted"] = v
        else:
            problems.append("raco-lsp.trusted must be true or false")
    return replace(s, **changes, problems=tuple(problems))
