"""What module resolution needs to know about a Racket installation.

Asked of Racket once (``data/install-info.rkt``, ~0.3 s) and cached on disk,
keyed by the racket executable and the environment variables Racket reads
for resolution (``RESOLUTION_VARS``); the cache is dropped when a collection
links file or the executable changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raco_lsp.racket.env import data_file
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import run_process

CACHE_FORMAT = 2

# What Racket reads to find collections, links files, add-on and config
# directories and compiled files (docs/racket-facts.md §5, §6; re-checked
# with ``find-system-path``: HOME and XDG_DATA_HOME move the add-on dir).
RESOLUTION_VARS = (
    "PLTCOLLECTS",
    "PLTADDONDIR",
    "PLTUSERHOME",
    "PLTCONFIGDIR",
    "PLTCOMPILEDROOTS",
    "PLT_ZO_PATH",
    "HOME",
    "XDG_DATA_HOME",
)


@dataclass(frozen=True)
class SearchStep:
    """One place the module name resolver looks, in order: the collection
    paths (``kind == "paths"``), or one collection links file."""

    kind: str
    dirs: tuple[Path, ...] = ()
    collections: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    roots: tuple[Path, ...] = ()
    file: Path | None = None


@dataclass(frozen=True)
class InstallInfo:
    version: str
    vm: str | None
    compiled_roots: tuple[str, ...]  # "same" or absolute directories
    compiled_modes: tuple[str, ...]  # e.g. ("compiled",)
    collects_dir: Path
    pkgs_dir: Path | None
    share_dir: Path | None
    search: tuple[SearchStep, ...]

    def collection_dirs(self, name: str) -> list[Path]:
        """Directories that may hold collection ``name``, in resolver order.
        Link roots (Debian has ~80) are listed once, so only roots that
        have a ``name`` directory at that moment are named."""
        out: list[Path] = []
        for step in self.search:
            if step.kind == "paths":
                out.extend(d / name for d in step.dirs)
            else:
                out.extend(step.collections.get(name, ()))
                out.extend(r / name for r in step.roots if name in self._subdirs(r))
        return out

    def _subdirs(self, root: Path) -> frozenset[str]:
        listings: dict[Path, frozenset[str]] = self.__dict__.setdefault("_listings", {})
        found = listings.get(root)
        if found is None:
            try:
                with os.scandir(root) as it:
                    found = frozenset(e.name for e in it if e.is_dir())
            except OSError:
                found = frozenset()
            listings[root] = found
        return found

    def collection_names(self) -> set[str]:
        names: set[str] = set()
        for step in self.search:
            dirs = list(step.dirs) + list(step.roots)
            names.update(step.collections)
            for d in dirs:
                with contextlib.suppress(OSError):
                    names.update(e.name for e in os.scandir(d) if e.is_dir())
        return names

    def installation_dirs(self) -> list[Path]:
        return [d for d in (self.collects_dir, self.pkgs_dir, self.share_dir) if d is not None]

    def in_installation(self, path: Path) -> bool:
        """Whether ``path`` is one of ``installation_dirs`` or inside one."""
        s = str(path) + os.sep
        return any(s.startswith(prefix) for prefix in self._install_prefixes)

    @property
    def _install_prefixes(self) -> tuple[str, ...]:
        cached = self.__dict__.get("_prefixes")
        if cached is None:
            cached = tuple(os.path.join(str(d), "") for d in self.installation_dirs())
            object.__setattr__(self, "_prefixes", cached)
        return cached

    def dep_candidates(self, source: Path) -> list[str]:
        """Where compiler/cm looks for ``source``'s ``.dep``, first match wins
        (every root, every mode; docs/racket-facts.md §5)."""
        parent, name = os.path.split(str(source))
        stem = name.replace(".", "_") + ".dep"
        out: list[str] = []
        for root in self.compiled_roots:
            if root == "same":
                base = parent
            elif os.path.isabs(root):
                base = root.rstrip("/") + parent
            else:
                base = os.path.join(parent, root)
            out.extend(os.path.join(base, mode, stem) for mode in self.compiled_modes)
        return out

    def find_dep(self, source: Path) -> Path | None:
        """The ``.dep`` in force for ``source``.  Installation answers are
        cached (the installation does not change under us); workspace ones
        are looked up each time, as compiling creates them."""
        cache: dict[Path, Path | None] = self.__dict__.setdefault("_dep_cache", {})
        if source in cache:
            return cache[source]
        found = None
        for cand in self.dep_candidates(source):
            if os.path.exists(cand):
                found = Path(cand)
                break
        if self.in_installation(source):
            cache[source] = found
        return found


def _from_json(d: dict[str, Any]) -> InstallInfo:
    steps = []
    for s in d["search"]:
        if s["kind"] == "paths":
            steps.append(SearchStep("paths", dirs=tuple(Path(x) for x in s["dirs"])))
        else:
            steps.append(
                SearchStep(
                    "links",
                    collections={
                        name: tuple(Path(x) for x in dirs) for name, dirs in s["collections"]
                    },
                    roots=tuple(Path(x) for x in s["roots"]),
                    file=Path(s["file"]),
                )
            )
    return InstallInfo(
        version=d["version"],
        vm=d["vm"],
        compiled_roots=tuple(d["compiledRoots"]),
        compiled_modes=tuple(d["compiledModes"]),
        collects_dir=Path(d["collectsDir"]),
        pkgs_dir=Path(d["pkgsDir"]) if d.get("pkgsDir") else None,
        share_dir=Path(d["shareDir"]) if d.get("shareDir") else None,
        search=tuple(steps),
    )


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "raco-lsp"


def view_file(kind: str, about: Path | None, name: str) -> Path:
    """Where a generated view (a page the server writes for the client to
    show, never in the workspace) about ``about`` goes: under the cache dir,
    one file per kind and subject; ``name`` ends with its suffix."""
    key = hashlib.sha1(str(about).encode()).hexdigest()[:12]
    return cache_dir() / "views" / f"{kind}-{key}-{name}"


def _mtime(p: Path) -> float | None:
    try:
        return p.stat().st_mtime
    except OSError:
        return None


def resolution_env() -> dict[str, str | None]:
    """The values of ``RESOLUTION_VARS`` now (None: unset)."""
    return {v: os.environ.get(v) for v in RESOLUTION_VARS}


def cache_key(install: RacketInstall) -> str:
    """Names the cache files about one racket executable as the current
    environment makes it resolve modules (``resolution_env``)."""
    ident = json.dumps([str(install.racket.resolve()), resolution_env()], sort_keys=True)
    return hashlib.sha1(ident.encode()).hexdigest()[:16]


def _cache_file(install: RacketInstall) -> Path:
    return cache_dir() / f"install-{cache_key(install)}.json"


def cache_stamp(install: RacketInstall) -> dict[str, Any]:
    """What must not have changed for a cache about this installation to
    hold: the racket executable, the resolution environment and the
    collection links files (the installation description cached by
    ``load_install_info`` names them)."""
    links: dict[str, float | None] = {}
    try:
        data = json.loads(_cache_file(install).read_text())
        links = dict(data.get("linksMtimes", {}))
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return {
        "racket": str(install.racket.resolve()),
        "racketMtime": _mtime(install.racket.resolve()),
        "env": resolution_env(),
        "links": {f: _mtime(Path(f)) for f in sorted(links)},
    }


def _read_cache(install: RacketInstall) -> InstallInfo | None:
    try:
        data = json.loads(_cache_file(install).read_text())
        if data.get("format") != CACHE_FORMAT:
            return None
        if data.get("racketMtime") != _mtime(install.racket.resolve()):
            return None
        if data.get("env") != resolution_env():
            return None
        for f, m in data.get("linksMtimes", {}).items():
            if _mtime(Path(f)) != m:
                return None
        return _from_json(data["info"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(install: RacketInstall, raw: dict[str, Any]) -> None:
    links = {s["file"]: _mtime(Path(s["file"])) for s in raw["search"] if s["kind"] == "links"}
    data = {
        "format": CACHE_FORMAT,
        "racketMtime": _mtime(install.racket.resolve()),
        "env": resolution_env(),
        "linksMtimes": links,
        "info": raw,
    }
    write_cache_file(_cache_file(install), data)


def write_cache_file(target: Path, data: Any) -> None:
    """Write JSON so that a reader never sees half a file; a cache that
    cannot be written is no error."""
    write_cache_text(target, json.dumps(data))


def write_cache_text(target: Path, text: str) -> bool:
    """Write ``text`` so that a reader never sees half a file; False when it
    cannot be written."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError:
        return False
    return True


async def load_install_info(
    install: RacketInstall, *, use_cache: bool = True
) -> tuple[InstallInfo | None, list[str]]:
    if use_cache and (cached := _read_cache(install)) is not None:
        return cached, []
    result = await run_process(
        [str(install.racket), str(data_file("install-info.rkt"))],
        cwd=Path.home() if Path.home().is_dir() else Path("/"),
        env=dict(os.environ),
        timeout=60,
    )
    if result.returncode != 0:
        return None, [f"cannot query the Racket installation: {result.stderr.strip()[:500]}"]
    try:
        raw = json.loads(result.stdout)
        info = _from_json(raw)
    except (ValueError, KeyError, TypeError) as e:
        return None, [f"unexpected installation description from Racket: {e}"]
    _write_cache(install, raw)
    return info, []


def load_install_info_sync(install: RacketInstall) -> tuple[InstallInfo | None, list[str]]:
    return asyncio.run(load_install_info(install))
