"""Racket's own view of info.rkt files, through the shipped helper
``data/getinfo.rkt``: ``get-info/full`` (the ground truth for validation) and
the installed packages (for deps completion and hover)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from raco_lsp.core.records import Problem, Severity
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.jsonl import json_objects
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import run_process

SOURCE = "info.rkt"
# "path:line:col: " or "path::pos: " at the start of a Racket error message.
_LOC_PREFIX = re.compile(r"^(?:[^\n]*?):(?:\d+:\d+|:\d+): ")


@dataclass(frozen=True)
class InstalledPkg:
    name: str
    scope: str
    directory: Path | None


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def problem_of_error(
    info_file: Path, message: str, srclocs: Sequence[object], text: str | None
) -> Problem:
    """A get-info error as a ``Problem`` at the srcloc inside ``info_file``
    (the first line when Racket gave none)."""
    index = TextIndex(text if text is not None else (read_source(info_file) or ""))
    span = index.first_line()
    for loc in srclocs:
        if not isinstance(loc, dict):
            continue
        source = loc.get("source")
        if isinstance(source, str) and Path(source).name not in (info_file.name, "info.ss"):
            continue
        span = index.span_of(
            _int(loc.get("line")),
            _int(loc.get("column")),
            _int(loc.get("position")),
            _int(loc.get("span")),
        )
        break
    first = _LOC_PREFIX.sub("", message.strip(), count=1)
    return Problem(
        info_file,
        span,
        Severity.ERROR,
        f"get-info: {first}" if not first.startswith("get-info") else first,
        SOURCE,
        "get-info",
    )


async def get_info_problems(
    install: RacketInstall,
    files: Sequence[Path],
    *,
    timeout: float | None = 60.0,
    text_of: Callable[[Path], str | None] = read_source,
) -> dict[Path, list[Problem]]:
    """Run ``get-info/full`` on the directory of each info.rkt in ``files``.

    Returns the problems per file (an empty list when Racket accepted it);
    files Racket did not answer for (timeout, crash) are left out.
    """
    if not files:
        return {}
    by_dir = {str(f.parent): f for f in files}
    argv = [str(install.racket), str(data_file("getinfo.rkt")), "check", *by_dir]
    result = await run_process(argv, cwd=files[0].parent, env=racket_env(), timeout=timeout)
    out: dict[Path, list[Problem]] = {}
    for ev in json_objects(result.stdout):
        d = ev.get("dir")
        if not isinstance(d, str) or d not in by_dir:
            continue
        f = by_dir[d]
        if ev.get("ok") is True:
            out[f] = []
        elif isinstance(ev.get("message"), str):
            locs = ev.get("srclocs")
            out[f] = [
                problem_of_error(
                    f, str(ev["message"]), locs if isinstance(locs, list) else [], text_of(f)
                )
            ]
    return out


_PKG_CACHE: dict[str, dict[str, InstalledPkg]] = {}


async def installed_packages(
    install: RacketInstall, *, timeout: float | None = 60.0
) -> dict[str, InstalledPkg]:
    """The packages installed for ``install`` (installation and user scope),
    asked once per Racket executable and cached."""
    key = str(install.racket)
    if key in _PKG_CACHE:
        return _PKG_CACHE[key]
    argv = [str(install.racket), str(data_file("getinfo.rkt")), "pkgs"]
    result = await run_process(
        argv, cwd=data_file("getinfo.rkt").parent, env=racket_env(), timeout=timeout
    )
    pkgs: dict[str, InstalledPkg] = {}
    for ev in json_objects(result.stdout):
        name, scope, d = ev.get("pkg"), ev.get("scope"), ev.get("dir")
        if isinstance(name, str) and isinstance(scope, str) and name not in pkgs:
            pkgs[name] = InstalledPkg(name, scope, Path(d) if isinstance(d, str) else None)
    if result.returncode == 0 and not result.timed_out:
        _PKG_CACHE[key] = pkgs
    return pkgs


def cached_packages(install: RacketInstall | None) -> dict[str, InstalledPkg] | None:
    if install is None:
        return None
    return _PKG_CACHE.get(str(install.racket))
