"""Server settings, from initializationOptions and workspace/configuration.

All settings live under the ``raco-lsp`` section; both ``{"raco-lsp": {...}}``
and a flat ``{...}`` object are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from raco_lsp.core.files import DEFAULT_MAX_FILE_SIZE, MB

SECTION = "raco-lsp"


@dataclass(frozen=True)
class Settings:
    racket_path: str | None = None
    """``raco-lsp.racketPath``: directory holding racket/raco, or the racket executable."""
    compile_timeout: float = 60.0
    """``raco-lsp.compileTimeout``: seconds before a compile is stopped."""
    check_on_startup: bool = True
    """``raco-lsp.checkOnStartup``: after start, compile the stale modules of each
    trusted folder in the background, so that every error shows, not only
    those of open files."""
    compile_on_save: str = "dependents"
    """``raco-lsp.compileOnSave``: ``off``, ``file`` (the saved module and what
    it requires), ``dependents`` (also its workspace dependents) or
    ``workspace`` (also everything stale in the workspace)."""
    jobs: int = 0
    """``raco-lsp.jobs``: compile agents working at once; 0 means one per core."""
    debounce: float = 0.15
    """``raco-lsp.debounce``: seconds a save that cancels a running build waits
    before the next build (a save with no build running starts at once)."""
    agent_memory_limit: int = 2048
    """``raco-lsp.agentMemoryLimit``: MB of resident memory after which the
    compile agent is replaced between requests."""
    spare_agent_timeout: float = 60.0
    """``raco-lsp.spareAgentTimeout``: seconds the compile agents beyond the
    first of each Racket stay idle before they are stopped (each starts again
    for a build that can use it); 0 keeps them."""
    trusted: bool = True
    """``raco-lsp.trusted``: false for an untrusted folder: nothing runs Racket on the
    workspace's code.  Any value but a JSON boolean counts as false."""
    test_mode: str = "default"
    """``raco-lsp.test.mode``: ``default`` (raco test) or ``drdr`` (raco test --drdr)."""
    test_timeout: float = 90.0
    """``raco-lsp.test.timeout``: default seconds per test file (info.rkt/config override)."""
    test_jobs: int = 0
    """``raco-lsp.test.jobs``: warm test processes; 0 means one per core."""
    dist_entries: tuple[str, ...] = ()
    """``raco-lsp.distEntries``: entry modules of Build distribution (relative to the
    workspace folder); empty: info.rkt's launcher libraries, else the current file."""
    dist_output: str = "dist"
    """``raco-lsp.distOutput``: where Build distribution writes (relative to the folder)."""
    smoke_timeout: float = 30.0
    """``raco-lsp.smokeTimeout``: seconds each executable may run in the smoke run."""
    smoke_args: tuple[str, ...] = ()
    """``raco-lsp.smokeArgs``: the arguments each executable gets in the smoke run."""
    setup_on_save: bool = False
    """``raco-lsp.setupOnSave``: check the package with raco setup when its info.rkt is saved."""
    setup_docs: bool = False
    """``raco-lsp.setupDocs``: also build the documentation in "Check package"."""
    max_file_size: int = DEFAULT_MAX_FILE_SIZE // MB
    """``raco-lsp.maxFileSize``: MB; bigger files (and anything but regular
    files) are never read (core/files.py)."""
    problems: tuple[str, ...] = field(default=())


_COMPILE_ON_SAVE = ("off", "file", "dependents", "workspace")
_TEST_MODES = ("default", "drdr")


def _test_key(raw: dict[str, Any], key: str) -> tuple[bool, Any]:
    """``test.<key>`` as a nested object (VS Code) or a dotted flat key."""
    nested = raw.get("test")
    if isinstance(nested, dict) and key in nested:
        return True, nested[key]
    if f"test.{key}" in raw:
        return True, raw[f"test.{key}"]
    return False, None


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
    if "jobs" in raw:
        v = raw["jobs"]
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 64:
            changes["jobs"] = v
        else:
            problems.append("raco-lsp.jobs must be a whole number from 0 (one per core) to 64")
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
    if "spareAgentTimeout" in raw:
        v = raw["spareAgentTimeout"]
        if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
            changes["spare_agent_timeout"] = float(v)
        else:
            problems.append(
                "raco-lsp.spareAgentTimeout must be a number of seconds (>= 0; 0 keeps them)"
            )
    if "trusted" in raw:
        v = raw["trusted"]
        if isinstance(v, bool):
            changes["trusted"] = v
        else:
            # Fail closed: a value that is not plainly true (a string
            # "false", null, 0, ...) means the folder is not trusted.
            changes["trusted"] = False
            problems.append(
                "raco-lsp.trusted must be true or false: the workspace is treated as untrusted"
            )
    found, v = _test_key(raw, "mode")
    if found:
        if v in _TEST_MODES:
            changes["test_mode"] = v
        else:
            problems.append(f"raco-lsp.test.mode must be one of {', '.join(_TEST_MODES)}")
    found, v = _test_key(raw, "timeout")
    if found:
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
            changes["test_timeout"] = float(v)
        else:
            problems.append("raco-lsp.test.timeout must be a positive number of seconds")
    found, v = _test_key(raw, "jobs")
    if found:
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            changes["test_jobs"] = v
        else:
            problems.append("raco-lsp.test.jobs must be a whole number (0: one per core)")
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
    if "smokeArgs" in raw:
        v = raw["smokeArgs"]
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            changes["smoke_args"] = tuple(v)
        else:
            problems.append("raco-lsp.smokeArgs must be a list of strings")
    for key, attr in (
        ("setupOnSave", "setup_on_save"),
        ("setupDocs", "setup_docs"),
        ("checkOnStartup", "check_on_startup"),
    ):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool):
                changes[attr] = v
            else:
                problems.append(f"raco-lsp.{key} must be true or false")
    if "maxFileSize" in raw:
        v = raw["maxFileSize"]
        if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
            changes["max_file_size"] = v
        else:
            problems.append("raco-lsp.maxFileSize must be a whole number of MB (>= 1)")
    return replace(s, **changes, problems=tuple(problems))
