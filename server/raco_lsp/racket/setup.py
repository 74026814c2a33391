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
from collections.abc import Mapping
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
    package: str  # the package that should be declared ("base" for Racket's `core`)
    module: str  # the used module as printed, or `document "NAME"` for documentation
    source: Path | None  # the dependent source file (the .rkt, not the .zo)


@dataclass(frozen=True)
class Unused:
    package: str
    # Printed with ` for run`: declared for run time but used only to build
    # (a test or doc submodule, a macro's compile-time code): belongs in build-deps.
    for_run: bool = False


@dataclass(frozen=True)
class NotInstalled:
    package: str
    dependency_of: str | None  # the package that declares it, when Racket says


@dataclass(frozen=True)
class NewerVersion:
    package: str  # the dependency
    wanted: str  # the version the package asks for
    current: str | None  # the installed version (None when only the summary said)


@dataclass(frozen=True)
class SharedModule:
    module: str  # as printed, e.g. (lib "x/main.rkt")
    others: tuple[str, ...]  # the other packages that provide it


@dataclass(frozen=True)
class SetupError:
    kind: str  # "compile" or "doc"
    message: str
    path: Path | None
    line: int | None  # 1-based
    col: int | None  # 0-based
    target: Path | None  # the file being compiled / documented


@dataclass
class SetupOutput:
    """What ``raco setup --check-pkg-deps`` said about one package
    (setup/private/pkg-deps.rkt's reports, docs/racket-facts.md §9)."""

    undeclared: list[Undeclared] = field(default_factory=list)
    unused: list[Unused] = field(default_factory=list)
    not_installed: list[NotInstalled] = field(default_factory=list)
    newer_versions: list[NewerVersion] = field(default_factory=list)
    # `implies` names a package that `deps` does not declare.
    implied_undeclared: list[str] = field(default_factory=list)
    shared_modules: list[SharedModule] = field(default_factory=list)
    # "package declares no dependencies": Racket skipped its dependency check.
    no_deps: bool = False
    errors: list[SetupError] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.undeclared
            or self.unused
            or self.not_installed
            or self.newer_versions
            or self.implied_undeclared
            or self.shared_modules
            or self.no_deps
            or self.errors
        )


@dataclass
class SetupReport:
    package: WorkspacePackage
    returncode: int | None
    timed_out: bool = False
    found: SetupOutput = field(default_factory=SetupOutput)
    # Failures of the harness itself (install failed, raco missing, ...).
    failures: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @property
    def clean(self) -> bool:
        return self.found.clean and not self.failures


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

    def make(self) -> None:
        """Create the scope's add-on and home directories."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.addon.mkdir(parents=True, exist_ok=True)

    def installed(self, package: str) -> Path | None:
        """Where ``raco pkg install --scope user`` put ``package`` here."""
        return next(iter(sorted(self.addon.glob(f"*/pkgs/{package}"))), None)

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


def _resolve(text: str, cwd: Path, pkgs: Mapping[str, Path]) -> Path:
    """A path as raco setup prints it: ``<pkgs>/P/sub`` is ``sub`` in package P
    (setup/path-to-relative.rkt), others are relative to ``cwd``."""
    if text.startswith("<pkgs>/"):
        name, _, sub = text[len("<pkgs>/") :].partition("/")
        if name in pkgs:
            return pkgs[name] / sub if sub else pkgs[name]
        return Path(text)
    p = Path(text)
    return p if p.is_absolute() else cwd / p


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _name(s: str) -> str:
    """A package name printed with ``~s`` (quoted) or ``~a``; Racket's ``core``
    (the built-in modules, printed as a symbol) is the package "base"."""
    s = s.strip()
    m = _QUOTED.match(s)
    if m:
        return _unescape(m.group(1))
    return "base" if s == "core" else s


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _fields(body: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for b in body:
        key, sep, value = b.strip().partition(": ")
        if sep and key not in out:
            out[key] = value
        elif not sep and b.strip().endswith(":"):
            out.setdefault(b.strip()[:-1], "")
    return out


def _listed(body: list[str]) -> list[str]:
    """The list items of a block: lines indented three or more spaces."""
    return [b.strip() for b in body if b.startswith("   ")]


_UNUSED_ITEM = re.compile(r'^"(?P<name>(?:[^"\\]|\\.)*)"(?P<run> for run)?$')
_VERSION_ITEM = re.compile(r'^"(?P<name>(?:[^"\\]|\\.)*)" version "(?P<version>[^"]*)"$')


def _blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    """raco setup's reports: (first line, the lines that continue it), prefix removed.

    A report's continuation lines carry the prefix and are indented, except in
    the unused-dependency report, printed by one ``setup-fprintf``: only its first
    line has the prefix.
    """
    out: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith(_PREFIX) or line.startswith(_PREFIX + " "):
            continue
        head = line[len(_PREFIX) :]
        bare = head.startswith("unused dependenc")
        body: list[str] = []
        while i < len(lines):
            nxt = lines[i]
            if nxt.startswith(_PREFIX + " "):
                body.append(nxt[len(_PREFIX) :])
            elif bare and nxt.startswith(" "):
                body.append(nxt)
            else:
                break
            i += 1
        out.append((head, body))
    return out


def _error(head: str, body: list[str], cwd: Path, pkgs: Mapping[str, Path]) -> SetupError:
    """``error: during WHAT for NAME`` and its message lines."""
    head = head[len("error: during ") :]
    kind = "doc" if head.startswith("building docs") else "compile"
    target_text = head.partition(" for ")[2].strip()
    msg_lines = [b[2:] for b in body]
    target = _resolve(target_text, cwd, pkgs) if target_text else None
    for b in msg_lines:
        s = b.strip()
        if s.startswith("compiling: "):
            target = _resolve(s[len("compiling: ") :], cwd, pkgs)
    first = msg_lines[0].strip() if msg_lines else head
    rest = "\n".join(b.strip() for b in msg_lines[1:] if not b.strip().startswith("compiling:"))
    m = _LOC.match(first)
    if m:
        msg = m.group("msg") + ("\n" + rest if rest else "")
        path = _resolve(m.group("path"), cwd, pkgs)
        return SetupError(kind, msg, path, int(m.group("line")), int(m.group("col")), target)
    return SetupError(kind, first + ("\n" + rest if rest else ""), None, None, None, target)


def parse_setup_output(
    stdout: str, stderr: str, *, package: str, cwd: Path, pkgs: Mapping[str, Path]
) -> SetupOutput:
    """What raco setup said about ``package``: every report of
    setup/private/pkg-deps.rkt (others' packages are left out), and the errors.

    ``pkgs`` maps package names to their directories, for ``<pkgs>/P/...`` paths.
    """
    out = SetupOutput()
    for head, body in _blocks((stderr + "\n" + stdout).splitlines()):
        f = _fields(body)
        mine = _name(f.get("for package", "")) == package
        if head == "found undeclared dependency:" and mine:
            mode = f.get("mode", "run")
            if mode.startswith("build (of documentation)"):
                document = f"document {f.get('to document', '')}"
                u = Undeclared("build", _name(f.get("on package", "")), document, None)
            else:
                src = f.get("dependent source")
                source = source_of_compiled(_resolve(src, cwd, pkgs)) if src else None
                u = Undeclared(
                    mode, _name(f.get("on package", "")), f.get("used module", ""), source
                )
            if u not in out.undeclared:
                out.undeclared.append(u)
        elif head.startswith("unused dependenc") and mine:
            for item in _listed(body):
                m = _UNUSED_ITEM.match(item)
                if m:
                    unused = Unused(_unescape(m["name"]), m["run"] is not None)
                    if unused not in out.unused:
                        out.unused.append(unused)
        elif head.startswith("package not installed: "):
            name = _name(head[len("package not installed: ") :])
            of = f.get("dependency of")
            known = [n for n in out.not_installed if n.package == name]
            if not known:
                out.not_installed.append(NotInstalled(name, _name(of) if of else None))
        elif head == "package depends on newer version:" and _name(f.get("package", "")) == package:
            if "depends on package" in f:
                wanted = [(f["depends on package"], f.get("depends on version", ""))]
                current = f.get("current package version")
            else:  # the summary: `needed package versions:` then `"P" version "V"` lines
                items = [_VERSION_ITEM.match(x) for x in _listed(body)]
                wanted = [(m["name"], m["version"]) for m in items if m]
                current = None
            for dep, version in wanted:
                v = NewerVersion(_name(dep), _name(version), current and _name(current))
                if all((n.package, n.wanted) != (v.package, v.wanted) for n in out.newer_versions):
                    out.newer_versions.append(v)
        elif head == "implied package is not declared as a dependency:":
            if _name(f.get("in package", "")) == package:
                implied = _name(f.get("implied package", ""))
                if implied not in out.implied_undeclared:
                    out.implied_undeclared.append(implied)
        elif head == "module provided by multiple packages:":
            providers = [
                _name(f[k]) for k in ("providing package", "other providing package") if k in f
            ]
            providers += [_name(x) for x in _listed(body)]
            if package in providers:
                module = f.get("module", "")
                others = tuple(sorted({p for p in providers if p != package}))
                if all(s.module != module for s in out.shared_modules):
                    out.shared_modules.append(SharedModule(module, others))
        elif head.startswith("package declares no dependencies: "):
            out.no_deps = out.no_deps or _name(head.partition(": ")[2]) == package
        elif head.startswith("error: during "):
            err = _error(head, body, cwd, pkgs)
            ident = (err.kind, err.message, err.path, err.line, err.col)
            if all((e.kind, e.message, e.path, e.line, e.col) != ident for e in out.errors):
                out.errors.append(err)
    return out


# -- running -------------------------------------------------------------------


def setup_argv(raco: Path, package: str, *, docs: bool, check_deps: bool = True) -> list[str]:
    # --avoid-main: never write into the main installation.  Without it a
    # package raco pkg cannot map to a collection (an invalid `collection`
    # in info.rkt) makes `--pkgs P` set up the whole installation, which as
    # root rewrites its launchers, icons and compiled files.
    argv = [str(raco), "setup", "-j", "1", "--avoid-main"]
    if not docs:
        argv.append("--no-docs")
    if check_deps:
        argv += ["--check-pkg-deps", "--unused-pkg-deps"]
    return [*argv, "--pkgs", package]


async def _ensure_linked(
    install: RacketInstall, scope: Scope, pkg: WorkspacePackage, timeout: float, force: bool
) -> str | None:
    """Link ``pkg`` into ``scope`` (``force``: despite conflicts); an error
    message, or None."""
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
    scope.make()
    if pkg.name in linked:
        scope.write_state({"busy": True, "linked": linked})
        return None
    scope.write_state({"busy": True, "linked": linked})
    argv = [str(install.raco), "pkg", "install", "--scope", "user", "--link", "--no-setup"]
    argv += ["--deps", "force", *(["--force"] if force else [])]
    argv += ["--name", pkg.name, str(pkg.directory)]
    r = await run_process(argv, cwd=pkg.directory, env=scope.env(), timeout=timeout)
    # raco pkg links a package whose info.rkt `collection` is invalid, with
    # a complaint and exit 0; it then has no collection to set up.
    if r.returncode != 0 or "bad `collection` definition" in r.stderr:
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
    force: bool = False,
) -> SetupReport:
    """Link ``pkg`` into ``scope`` and run ``raco setup`` with dependency checks
    (``force``: link it despite conflicts with installed packages)."""
    report = SetupReport(pkg, None)
    if install.raco is None:
        report.failures.append("raco was not found next to racket")
        return report
    finished = False
    try:
        why = await _ensure_linked(install, scope, pkg, timeout, force)
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
        report.found = parse_setup_output(
            r.stdout, r.stderr, package=pkg.name, cwd=pkg.directory, pkgs={pkg.name: pkg.directory}
        )
        if r.returncode != 0 and report.found.clean:
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
