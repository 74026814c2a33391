"""What a module language brings into every module written in it.

A module's compiled ``.dep`` lists more than its ``require`` forms: the
``#lang`` reader module (``s-exp/lang/reader.rkt``), the module language's
own additions (``racket/base`` adds a ``configure-runtime`` submodule that
requires ``racket/runtime-config``; Typed Racket's ``#%module-begin``
requires two dozen of its environment modules), and so on.  No reading of
the source can know these, so we ask the compile manager: an empty module
in the language (``#lang LINE`` or ``(module m LANG)``) is compiled once
with compiler/cm, in a temporary directory, and the module dependencies in
its ``.dep`` are the language's *profile*.  Profiles are cached on disk per
Racket installation (they change only when the installation does).

Only languages that live in the installation are profiled: compiling runs
the language's macros, and installation code is as trusted as Racket
itself, while a workspace language is the user's code (workspace trust).
A language whose empty module does not compile (``racket/unit`` wants an
``import`` clause) gets no profile; the graph then falls back to rules.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.text import decode_source
from raco_lsp.racket.deps import read_dep
from raco_lsp.racket.env import data_file
from raco_lsp.racket.install import (
    InstallInfo,
    cache_dir,
    cache_key,
    cache_stamp,
    write_cache_file,
)
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.modpath import Resolver
from raco_lsp.racket.process import run_process
from raco_lsp.syntax.module_facts import HASH_BANG_LANG

CACHE_FORMAT = 2


# What ``#lang`` accepts as a language name, and what relative module path
# strings may contain: nothing that could carry code.
_NAME = re.compile(r"[A-Za-z0-9_+\-./]+")
_RELATIVE = re.compile(r'"[A-Za-z0-9_+\-./%]+"')
# A module path in a key, once relative strings are made absolute (graph.lang_rules.file_form).
_SAFE_MODULE_KEY = re.compile(r'[A-Za-z0-9_+\-./]+|\(file "[^"\\\r\n]+"\)')


# Languages that wrap the language named after them (``#lang at-exp racket``).
_WRAPPERS = ("at-exp", "2d")
_KEYWORD = re.compile(r"#:[A-Za-z0-9_+\-]+")


def lang_spec(line: str) -> str | None:
    """The language part of a ``#lang`` line, and nothing else: the
    language name, plus the module path that ``s-exp``/``reader`` take, the
    language ``at-exp``/``2d`` wrap (``#lang at-exp s-exp "x.rkt"``) and the
    keyword options right after the name (``#lang typed/racket #:no-optimize``:
    a keyword carries no code).  None when that part is not a plain module path.

    The rest of the line is module body, i.e. the user's code: it must
    never reach the profiler, which compiles ``#lang SPEC`` (a one-line
    module ``#lang racket/base (begin-for-syntax ...)`` would run)."""
    words = line.split()
    if not words or not _NAME.fullmatch(words[0]):
        return None
    name = words[0]
    if name in ("s-exp", "reader"):
        if len(words) < 2 or not (_NAME.fullmatch(words[1]) or _RELATIVE.fullmatch(words[1])):
            return None
        return f"{name} {words[1]}"
    if name in _WRAPPERS:
        inner = lang_spec(" ".join(words[1:]))
        return f"{name} {inner}" if inner is not None else None
    options = []
    for w in words[1:]:
        if not _KEYWORD.fullmatch(w):
            break
        options.append(w)
    return " ".join([name, *options])


def lang_key(spec: str) -> str:
    """The profile key of a ``#lang`` language (``lang_spec`` of the line)."""
    return "lang " + spec


def module_key(lang: str) -> str:
    """The profile key of a ``(module name LANG ...)`` form's language."""
    return "module " + lang


def profilable(key: str) -> bool:
    """Whether ``key`` names a language and nothing more, so that compiling
    an empty module in it runs only that language's code (checked again
    right before compiling, whatever produced the key)."""
    kind, _, rest = key.partition(" ")
    if kind == "lang":
        while rest.split(" ", 1)[0] in _WRAPPERS:
            rest = rest.partition(" ")[2]
        head, _, arg = rest.partition(" ")
        if head in ("s-exp", "reader"):
            return bool(_SAFE_MODULE_KEY.fullmatch(arg))
        name, *options = rest.split(" ")
        return bool(_NAME.fullmatch(name)) and all(_KEYWORD.fullmatch(o) for o in options)
    if kind == "module":
        return bool(_SAFE_MODULE_KEY.fullmatch(rest))
    return False


def _module_text(key: str) -> str:
    kind, _, rest = key.partition(" ")
    if kind == "lang":
        return f"#lang {rest}\n"
    return f"(module m {rest})\n"


@dataclass
class LangProfiles:
    """Profiles by key: the dependency files, or None when Racket could not
    compile an empty module in that language."""

    known: dict[str, tuple[Path, ...] | None] = field(default_factory=dict)
    observed: dict[str, tuple[Path, ...] | None] = field(default_factory=dict)
    """For languages whose empty module does not compile: what every
    installation module in that language depends on (from their .dep
    files; None with fewer than two such modules)."""

    def get(self, key: str) -> tuple[Path, ...] | None:
        found = self.known.get(key)
        return found if found is not None else self.observed.get(key)

    def has(self, key: str) -> bool:
        return key in self.known


def _cache_file(install: RacketInstall) -> Path:
    return cache_dir() / f"langs-{cache_key(install)}.json"


def load_cached(install: RacketInstall) -> LangProfiles:
    """The profiles computed earlier for this installation (none when the
    installation changed since)."""
    try:
        data = json.loads(_cache_file(install).read_text())
        if data.get("format") != CACHE_FORMAT or data.get("stamp") != cache_stamp(install):
            return LangProfiles()
        return LangProfiles(
            {
                k: None if v is None else tuple(Path(p) for p in v)
                for k, v in data["profiles"].items()
            },
            {
                k: None if v is None else tuple(Path(p) for p in v)
                for k, v in data["observed"].items()
            },
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return LangProfiles()


def save(install: RacketInstall, profiles: LangProfiles) -> None:
    data = {
        "format": CACHE_FORMAT,
        "stamp": cache_stamp(install),
        "profiles": {
            k: None if v is None else [str(p) for p in v] for k, v in profiles.known.items()
        },
        "observed": {
            k: None if v is None else [str(p) for p in v] for k, v in profiles.observed.items()
        },
    }
    write_cache_file(_cache_file(install), data)


async def compute(
    install: RacketInstall,
    info: InstallInfo,
    keys: list[str],
    *,
    timeout: float = 300,
) -> tuple[dict[str, tuple[Path, ...] | None], list[str]]:
    """Profile ``keys`` with one Racket process (compiler/cm, like
    ``raco make``); returns the new profiles and problems.  Keys whose
    empty module fails to compile map to None.  A timeout or a crash
    yields no profiles at all (they will be asked for again later)."""
    refused: dict[str, tuple[Path, ...] | None] = {k: None for k in keys if not profilable(k)}
    keys = [k for k in keys if k not in refused]
    if not keys:
        return refused, []
    resolver = Resolver(info)
    with tempfile.TemporaryDirectory(prefix="raco-lsp-langs-") as tmp:
        work = Path(tmp)
        files = []
        for i, key in enumerate(keys):
            f = work / f"p{i}.rkt"
            f.write_text(_module_text(key), encoding="utf-8")
            files.append(f)
        result = await run_process(
            [str(install.racket), str(data_file("compile.rkt")), "--", *map(str, files)],
            cwd=work,
            env=dict(os.environ),
            timeout=timeout,
        )
        if result.timed_out or result.returncode not in (0, 1):
            why = "timed out" if result.timed_out else result.stderr.strip()[:300]
            return {}, [f"could not profile module languages: {why}"]
        out: dict[str, tuple[Path, ...] | None] = dict(refused)
        for key, f in zip(keys, files, strict=True):
            dep_path = work / "compiled" / f"{f.stem}_rkt.dep"
            dep, _ = read_dep(dep_path) if dep_path.exists() else (None, [])
            if dep is None:
                out[key] = None
                continue
            paths: list[Path] = []
            for e in dep.deps:
                if e.kind != "module" or e.indirect:
                    continue
                p = (
                    Path(os.path.normpath(e.path))
                    if e.path is not None
                    else resolver.resolve_collection(list(e.collects or ()))
                )
                if p is not None and not p.is_relative_to(work):
                    paths.append(p)
            out[key] = tuple(dict.fromkeys(paths))
        return out, []


_LANG_LINE = re.compile(rb"^[ \t]*#lang[ \t]+([^\r\n]*)", re.MULTILINE)
_MODULE_FORM = re.compile(rb"\(module\*?[ \t\r\n]+[^ \t\r\n()]+[ \t\r\n]+([^ \t\r\n()\"]+)")


def keys_of_text(data: bytes) -> set[str]:
    """The profile keys a module's text uses, by a quick scan (for
    searching the installation; the graph itself uses tree-sitter)."""
    keys = set()
    m = _LANG_LINE.search(data, 0, 4096)
    if m:
        spec = lang_spec(decode_source(m.group(1)).split(";")[0])
        if spec:
            keys.add(lang_key(spec))
    elif bang := HASH_BANG_LANG.match(data):
        keys.add(lang_key(decode_source(bang.group(2))))
    for m in _MODULE_FORM.finditer(data):
        keys.add(module_key(decode_source(m.group(1))))
    return keys


Users = dict[str, list[tuple[Path, frozenset[Path]]]]


def observe(info: InstallInfo, keys: set[str]) -> Users:
    """For each key, the installation modules written in that language and
    the module dependencies their .dep files record."""
    from raco_lsp.racket.cmhash import HashOracle  # avoid an import cycle

    resolver = Resolver(info)
    oracle = HashOracle(info, resolver)
    users: Users = {k: [] for k in keys}
    if not keys:
        return users
    for root in info.compiled_roots:
        if root == "same":
            continue
        for dirpath, _, files in os.walk(root):
            for f in files:
                if not f.endswith(".dep"):
                    continue
                stem, _, ext = f[: -len(".dep")].rpartition("_")
                src = Path(str(Path(dirpath).parent)[len(root) :]) / f"{stem}.{ext}"
                try:
                    data = src.read_bytes()
                except OSError:
                    continue
                found = keys_of_text(data) & keys
                if not found:
                    continue
                dep, _ = read_dep(Path(dirpath) / f)
                if dep is None:
                    continue
                deps = frozenset(
                    p
                    for e in dep.deps
                    if e.kind == "module" and not e.indirect
                    for p in [oracle.entry_path(e)]
                    if p is not None
                )
                for k in found:
                    users[k].append((src, deps))
    return users


def intersect(
    users: list[tuple[Path, frozenset[Path]]], exclude: Path | None = None, minimum: int = 2
) -> tuple[Path, ...] | None:
    """What every user (but ``exclude``) depends on; None with fewer than
    ``minimum`` users."""
    sets = [deps for path, deps in users if path != exclude]
    if len(sets) < minimum:
        return None
    common = frozenset.intersection(*sets)
    return tuple(sorted(common))


def compute_sync(
    install: RacketInstall, info: InstallInfo, profiles: LangProfiles, keys: list[str]
) -> list[str]:
    """Profile the keys not yet known, add them, save; returns problems."""
    todo = [k for k in dict.fromkeys(keys) if not profiles.has(k)]
    if not todo:
        return []
    new, problems = asyncio.run(compute(install, info, todo))
    add(info, profiles, new)
    if new:
        save(install, profiles)
    return problems


def add(info: InstallInfo, profiles: LangProfiles, new: dict[str, tuple[Path, ...] | None]) -> None:
    """Take freshly computed profiles; observe the installation's modules
    for the languages whose empty module did not compile."""
    profiles.known.update(new)
    failed = {k for k, v in new.items() if v is None}
    for k, users in observe(info, failed).items():
        profiles.observed[k] = intersect(users)
