"""Find the Racket installation to use."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "Install Racket (Debian/Ubuntu: `sudo apt-get install racket`; elsewhere: "
    "https://download.racket-lang.org) or set `raco-lsp.racketPath` to the "
    "directory that holds `racket` and `raco` (or to the `racket` executable)."
)


@dataclass(frozen=True)
class RacketInstall:
    racket: Path
    raco: Path | None

    @property
    def bindir(self) -> Path:
        return self.racket.parent


def _executable(p: Path) -> bool:
    return p.is_file() and os.access(p, os.X_OK)


def _from_dir(d: Path) -> RacketInstall | None:
    for bindir in (d, d / "bin"):
        racket = bindir / "racket"
        if _executable(racket):
            raco = bindir / "raco"
            return RacketInstall(racket, raco if _executable(raco) else None)
    return None


def locate_racket(
    configured: str | None = None, path_env: str | None = None
) -> tuple[RacketInstall | None, list[str]]:
    """Find racket: the configured path (directory or executable), else PATH.

    Returns the installation (or None) and the problems met on the way, in
    words a user can act on.  Never raises.
    """
    problems: list[str] = []
    if configured:
        p = Path(os.path.expanduser(configured))
        if p.is_dir():
            found = _from_dir(p)
            if found:
                return found, problems
            problems.append(f"raco-lsp.racketPath {configured!r} holds no `racket` executable.")
        elif _executable(p):
            if p.name.startswith("raco"):
                racket = p.with_name("racket")
                if _executable(racket):
                    return RacketInstall(racket, p), problems
                problems.append(f"raco-lsp.racketPath {configured!r}: no `racket` beside it.")
            else:
                raco = p.with_name("raco")
                return RacketInstall(p, raco if _executable(raco) else None), problems
        else:
            problems.append(
                f"raco-lsp.racketPath {configured!r} is neither a directory nor an executable."
            )
    search = path_env if path_env is not None else os.environ.get("PATH", "")
    racket_s = shutil.which("racket", path=search)
    if racket_s:
        racket = Path(racket_s)
        raco_s = shutil.which("raco", path=search)
        return RacketInstall(racket, Path(raco_s) if raco_s else None), problems
    problems.append("Racket was not found on PATH.")
    return None, problems


def locate_or_report(configured: str | None, prog: str) -> RacketInstall | None:
    """For command-line tools: the installation, or None after telling the
    user on stderr what was wrong and how to fix it."""
    install, problems = locate_racket(configured)
    if install is None:
        for p in problems:
            print(f"raco-lsp {prog}: {p}", file=sys.stderr)
        print(f"raco-lsp {prog}: {INSTALL_HINT}", file=sys.stderr)
    return install
