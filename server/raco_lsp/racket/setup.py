"""`raco setup` in an isolated package scope owned by raco-lsp.

The workspace package is linked (``raco pkg install --link --no-setup``) into a
scope of our own: ``PLTADDONDIR`` and ``PLTUSERHOME`` point under
``$XDG_CACHE_HOME/raco-lsp/scopes/<key>/`` (key: workspace + Racket version),
so the user's packages and the installation are never touched.  Then
``raco setup --check-pkg-deps --unused-pkg-deps --pkgs NAME`` runs there and its
output is parsed into plain records (docs/racket-facts.md §9).

A scope whose last run did not finish (killed, timed out, failed install) is
marked busy in ``state.json`` and wiped before the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.text import read_source
from raco_lsp.racket.install import cache_dir
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import packaging_env
from raco_lsp.racket.process import run_process
from raco_lsp.racket.workspace import walk_files
from raco_lsp.syntax.info import parse_info

_PKG_FIELDS = {"deps", "build-deps", "pkg-desc", "pkg-authors", "version"}


@dataclass(frozen=True)
class WorkspacePackage:
    name: str
    directory: Path
    # "string" (a single collection), "multi", "use-pkg-name" or "none".
    collection: str


@dataclass(frozen=True)
class Undeclared:
    mode: str  # "run" or "build"
    package: str  # the package that should be declared
    module: str  # the used module, as printed
    source: Path | None  # the dependent source file (the .rkt, not the .zo)


@dataclass(frozen=True)
class SetupError:
    kind: str  # "compile" or "doc"
    message: str
    path: Path | None
    line: int | None  # 1-based
    col: int | None  # 0-based
    target: Path | None  # the file being compiled / documented


@dataclass
class SetupReport:
    package: WorkspacePackage
    returncode: int | None
    timed_out: bool = False
    undeclared: list[Undeclared] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    errors: list[SetupError] = field(default_factory=list)
    # Failures of the harness itself (install failed, raco missing, ...).
    failures: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @property
    def clean(self) -> bool:
        return not (self.undeclared or self.unused or self.errors or self.failures)


# -- workspace packages --------------------------------------------------------


def _collection_kind(info_file: Path) -> str | None:
    """The package kind of a directory's info.rkt, None if it is not a package."""
    text = read_source(info_file)
    if text is None:
        return None
    info = parse_info(text)
    d = info.define("collection")
    if d is None or d.value is None:
        names = {x.name for x in info.defines}
        return "none" if names & _PKG_FIELDS else None
    v = d.value
    if v.kind == "string":
        return "string"
    if (
        v.kind == "quote"
        and v.items
        and v.items[0].kind == "symbol"
        and v.items[0].text in ("multi", "use-pkg-name")
    ):
        return v.items[0].text
    return None


_NAME_OK = re.compile(r"[^a-zA-Z0-9_+-]")


def package_name(directory: Path) -> str:
    return _NAME_OK.sub("-", directory.name) or "pkg"


def find_packages(roots: list[Path], max_depth: int = 3) -> list[WorkspacePackage]:
    """Packages under ``roots``: directories whose info.rkt makes them one.

    An info.rkt without ``collection`` counts only at the top (not inside
    another package) and only if it declares package fields (deps, pkg-desc...).
    """
    out: list[WorkspacePackage] = []
    for root in roots:
        for info_file in walk_files(root, "info.rkt".__eq__, max_depth=max_depth):
            here = info_file.parent
            kind = _collection_kind(info_file)
            inside = any(p.directory in here.parents for p in out)
            if kind is None or (inside and kind in ("none", "multi", "use-pkg-name")):
                continue
            if inside:
                continue
            out.append(WorkspacePackage(package_name(here), here, kind))
    return out


def package_of(path: Path, roots: list[Path]) -> WorkspacePackage | None:
    """The workspace package that holds ``path`` (outermost package directory)."""
    best: WorkspacePackage | None = None
    for d in [path, *path.parents]:
        if (d / "info.rkt").is_file():
            kind = _collection_kind(d / "info.rkt")
            if kind is not None:
                best = WorkspacePackage(package_name(d), d, kind)
        if d in roots:
            break
    return best


# -- the isolated scope --------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    root: Path

    @property
    def addon(self) -> Path:
        return self.root / "addon"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = packaging_env(base)
        for var in ("PLTCOLLECTS", "PLTCOMPILEDROOTS", "PLTUSERHOME", "PLTADDONDIR"):
            env.pop(var, None)
        env["PLTADDONDIR"] = str(self.addon)
        env["PLTUSERHOME"] = str(self.home)
        return env

    def read_state(self) -> dict[str, object]:
        try:
            data = json.loads(self.state_file.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict[str, object]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_file)

    def clear(self) -> None:
        """Remove the whole scope (links, info caches, docs)."""
        shutil.rmtree(self.root, ignore_errors=True)


def scopes_dir() -> Path:
    return cache_dir() / "scopes"


def scope_for(workspace: Path, racket_version: str) -> Scope:
    key = hashlib.sha1(f"{workspace.resolve()}\0{racket_version}".encode()).hexdigest()[:16]
    return Scope(scopes_dir() / key)


def _links_ok(scope: Scope, linked: dict[str, str]) -> bool:
    """Does the scope's package database still list every package we linked?"""
    try:
        db = (scope.addon).glob("*/pkgs/pkgs.rktd")
        text = "".join(p.read_text(errors="replace") for p in db)
    except OSError:
        return False
    return all(f'"{name}"' in text for name in linked)


async def racket_version(install: RacketInstall) -> str:
    r = await run_process(
        [str(install.racket), "-e", "(display (version))"],
        cwd=Path("/"),
        env=packaging_env(),
        timeout=60,
    )
    return r.stdout.strip() or "unknown"


# -- output parsing ------------------------------------------------------------

_PREFIX = "raco setup: "
_LOC = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


def source_of_compiled(p: Path) -> Path:
    """``dir/compiled/[sub/]main_rkt.zo`` -> ``dir/main.rkt``."""
    parts = p.parts
    if "compiled" not in parts:
        return p
    i = len(parts) - 1 - parts[::-1].index("compiled")
    stem = p.name
    for ext in (".zo", ".dep"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    base, _, ext = stem.rpartition("_")
    name = f"{base}.{ext}" if base else stem
    return Path(*parts[:i]) / name


def _resolve(text: str, cwd: Path, pkgs_root: Path) -> Path:
    if text.startswith("<pkgs>/"):
        return pkgs_root / text[len("<pkgs>/") :]
    p = Path(text)
    return p if p.is_absolute() else cwd / p


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def parse_setup_output(
    stdout: str, stderr: str, *, package: str, cwd: Path, pkgs_root: Path
) -> tuple[list[Undeclared], list[str], list[SetupError]]:
    """The dependency problems of ``package`` and the errors setup reported."""
    undeclared: list[Undeclared] = []
    unused: list[str] = []
    errors: list[SetupError] = []
    lines = (stderr + "\n" + stdout).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(_PREFIX + "found undeclared dependency:"):
            fields: dict[str, str] = {}
            j = i + 1
            while j < len(lines) and lines[j].startswith(_PREFIX + "  "):
                key, _, value = lines[j][len(_PREFIX) :].strip().partition(": ")
                fields[key] = value
                j += 1
            if _unquote(fields.get("for package", "")) == package:
                src = fields.get("dependent source")
                undeclared.append(
                    Undeclared(
                        mode=fields.get("mode", "run"),
                        package=_unquote(fields.get("on package", "")),
                        module=fields.get("used module", ""),
                        source=source_of_compiled(_resolve(src, cwd, pkgs_root)) if src else None,
                    )
                )
            i = j
            continue
        if line.startswith(_PREFIX + "unused dependenc"):
            j = i + 1
            target = ""
            names: list[str] = []
            while j < len(lines) and lines[j].startswith("  "):
                s = lines[j].strip()
                if s.startswith("for package:"):
                    target = _unquote(s.partition(":")[2])
                elif s.startswith('"'):
                    names.append(_unquote(s))
                j += 1
            if target == package:
                unused.extend(n for n in names if n not in unused)
            i = j
            continue
        if line.startswith(_PREFIX + "error: during "):
            head = line[len(_PREFIX + "error: during ") :]
            kind = "doc" if head.startswith("building docs") else "compile"
            target_text = head.partition(" for ")[2].strip()
            body: list[str] = []
            j = i + 1
            while j < len(lines) and lines[j].startswith(_PREFIX + "  "):
                body.append(lines[j][len(_PREFIX) + 2 :])
                j += 1
            target_file = _resolve(target_text, cwd, pkgs_root) if target_text else None
            for b in body:
                s = b.strip()
                if s.startswith("compiling: "):
                    target_file = _resolve(s[len("compiling: ") :], cwd, pkgs_root)
            first = body[0].strip() if body else head
            m = _LOC.match(first)
            rest = "\n".join(b.strip() for b in body[1:] if not b.strip().startswith("compiling:"))
            if m:
                msg = m.group("msg") + ("\n" + rest if rest else "")
                err = SetupError(
                    kind,
                    msg,
                    _resolve(m.group("path"), cwd, pkgs_root),
                    int(m.group("line")),
                    int(m.group("col")),
                    target_file,
                )
            else:
                msg = first + ("\n" + rest if rest else "")
                err = SetupError(kind, msg, None, None, None, target_file)
            ident = (err.kind, err.message, err.path, err.line, err.col)
            if all((e.kind, e.message, e.path, e.line, e.col) != ident for e in errors):
                errors.append(err)
            i = j
            continue
        i += 1
    return undeclared, unused, errors


# -- running -------------------------------------------------------------------


def setup_argv(raco: Path, package: str, *, docs: bool) -> list[str]:
    argv = [str(raco), "setup", "-j", "1"]
    if not docs:
        argv.append("--no-docs")
    return [*argv, "--check-pkg-deps", "--unused-pkg-deps", "--pkgs", package]


async def _ensure_linked(
    install: RacketInstall, scope: Scope, pkg: WorkspacePackage, timeout: float
) -> str | None:
    """Link ``pkg`` into ``scope``; an error message, or None."""
    assert install.raco is not None
    state = scope.read_state()
    linked = state.get("linked")
    linked = dict(linked) if isinstance(linked, dict) else {}
    stale = (
        state.get("busy")
        or linked.get(pkg.name, str(pkg.directory)) != str(pkg.directory)
        or any(v == str(pkg.directory) and k != pkg.name for k, v in linked.items())
        or (linked and not _links_ok(scope, linked))
    )
    if stale:
        scope.clear()
        linked = {}
    scope.home.mkdir(parents=True, exist_ok=True)
    scope.addon.mkdir(parents=True, exist_ok=True)
    if pkg.name in linked:
        scope.write_state({"busy": True, "linked": linked})
        return None
    scope.write_state({"busy": True, "linked": linked})
    argv = [str(install.raco), "pkg", "install", "--scope", "user", "--link", "--no-setup"]
    argv += ["--deps", "force", "--name", pkg.name, str(pkg.directory)]
    r = await run_process(argv, cwd=pkg.directory, env=scope.env(), timeout=timeout)
    if r.returncode != 0:
        scope.clear()
        why = "timed out" if r.timed_out else (r.stderr.strip() or r.stdout.strip())[-2000:]
        return f"cannot link {pkg.name} into the raco-lsp package scope: {why}"
    linked[pkg.name] = str(pkg.directory)
    scope.write_state({"busy": True, "linked": linked})
    return None


async def check_package(
    install: RacketInstall,
    pkg: WorkspacePackage,
    scope: Scope,
    *,
    docs: bool = False,
    timeout: float = 600,
) -> SetupReport:
    """Link ``pkg`` into ``scope`` and run ``raco setup`` with dependency checks."""
    report = SetupReport(pkg, None)
    if install.raco is None:
        report.failures.append("raco was not found next to racket")
        return report
    finished = False
    try:
        why = await _ensure_linked(install, scope, pkg, timeout)
        if why is not None:
            report.failures.append(why)
            finished = True
            return report
        r = await run_process(
            setup_argv(install.raco, pkg.name, docs=docs),
            cwd=pkg.directory,
            env=scope.env(),
            timeout=timeout,
        )
        report.returncode, report.timed_out = r.returncode, r.timed_out
        report.stdout, report.stderr = r.stdout, r.stderr
        if r.timed_out:
            report.failures.append(f"raco setup timed out after {timeout:g} s")
            return report
        report.undeclared, report.unused, report.errors = parse_setup_output(
            r.stdout, r.stderr, package=pkg.name, cwd=pkg.directory, pkgs_root=pkg.directory.parent
        )
        if r.returncode != 0 and not (report.undeclared or report.errors):
            tail = (r.stderr.strip() or r.stdout.strip())[-2000:]
            report.failures.append(f"raco setup failed (exit {r.returncode}): {tail}")
        finished = True
        return report
    finally:
        if finished:
            state = scope.read_state()
            if state:
                state["busy"] = False
                scope.write_state(state)
        else:
            # Killed, cancelled or timed out: start clean next time.
            scope.clear()
