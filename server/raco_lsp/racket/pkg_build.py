"""The package-build service's steps on a workspace package.

What the service does (racket/pkg-build's main.rkt): archive the package as a
catalog serves it, install it on a fresh VM (``raco pkg install --auto``, the
catalog as the only source), check its dependencies right after on the same
VM (``raco setup -nxiID --check-pkg-deps``: nothing compiled again), then
test it on another fresh VM with ``raco test --drdr`` (90 s per file, 10
minutes for the whole package, no network).

Here each place where the service starts from a fresh VM starts from a fresh
isolated package scope (``Scope``: ``PLTADDONDIR``/``PLTUSERHOME`` under a
temporary directory): the user's packages and the installation are never
touched, and the installation's packages stand in for the catalog (``--deps
fail``: a ``deps`` entry that names no installed package is a missing
dependency).  Paths Racket reports in the installed copy are mapped back to
the workspace package.  The scopes, and why each is fresh:

- ``conflicts/``: what the archive collides with, before anything of it is
  installed (``data/pkg-conflicts.rkt`` finds every module and document of
  the archive that is already installed, by raco pkg install's rules;
  ``raco pkg install --dry-run`` confirms the first);
- ``install/``: the service's install VM: ``raco pkg install`` of the archive,
  then ``raco setup`` of it (compiles, builds the docs) with the dependency
  check at its end: the service checks there too, on what its install
  compiled, so no other scope compiles the package again;
- ``built/built/`` and ``built/binary-lib/``: the built form (``raco pkg
  create --from-install --built`` in the install's scope, what the service
  publishes) installed as on the test VM, as is and with ``--binary-lib``
  (when ``raco pkg install`` accepts it); each module of those installs is
  instantiated (``data/load-modules.rkt``), and the tests run in the as-is
  one.

Steps with no order between them run side by side (``_together``): the
archive and the lookup of sibling packages; the conflicts and the install
(the install assumes no conflicts and runs again with ``--force`` when there
are some and it failed, as the service builds a conflicting package and
reports the conflicts apart); the built form's two installs.

Documentation is built where the package declares ``scribblings`` (the
install's setup, as the service's install builds it); its errors are the
docs step's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from raco_lsp.core.records import Pos, Problem, Severity, Span
from raco_lsp.core.text import read_source
from raco_lsp.racket.env import data_file
from raco_lsp.racket.info import installed_packages
from raco_lsp.racket.jsonl import json_objects
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.pack import create_package_archive
from raco_lsp.racket.process import run_process
from raco_lsp.racket.setup import (
    NotInstalled,
    Scope,
    SetupError,
    SetupOutput,
    SetupReport,
    WorkspacePackage,
    find_packages,
    parse_setup_output,
    setup_argv,
)
from raco_lsp.racket.testing import FileResult, TestOptions, TestPool, TestReport, run_tests
from raco_lsp.racket.workspace import walk_files
from raco_lsp.syntax.info import parse_info

SERVICE_PLATFORM = "x86_64-linux-natipkg"  # data/pkg-conflicts.rkt's too
STEPS = ("archive", "conflicts", "install", "docs", "dependencies", "built", "tests")
SOURCE = "pkg-build"
TEST_TIMEOUT = 90.0  # the service's default per test file
PACKAGE_TEST_LIMIT = 600.0  # the service's hard limit for a package's tests
# Ways to start a process without network, tried in order at run time.
_NO_NETWORK = (("unshare", "-n"), ("unshare", "--map-current-user", "--net"))


@dataclass
class BuildStep:
    """One step's outcome: ``status`` is success, failure or skipped (``why``)."""

    name: str
    status: str = "skipped"
    why: str = ""
    seconds: float = 0.0
    log: str = ""  # the excerpt of the output that matters
    left_out: list[str] = field(default_factory=list)  # archive: paths not archived
    setup: SetupReport | None = None  # install, dependencies: what raco said
    tests: TestReport | None = None  # tests: all but the extra system dependencies
    extra: list[FileResult] = field(default_factory=list)  # tests: pass only outside
    problems: list[Problem] = field(default_factory=list)  # conflicts, built: at their files


@dataclass
class PkgBuildReport:
    package: WorkspacePackage
    steps: list[BuildStep]
    network_isolated: bool | None = None  # None: no tests ran
    # Packages of its repository installed into each scope first (``Siblings``).
    siblings: list[WorkspacePackage] = field(default_factory=list)

    def step(self, name: str) -> BuildStep:
        return next(s for s in self.steps if s.name == name)

    @property
    def categories(self) -> list[str]:
        """The service's result categories that apply, worst first."""
        out: list[str] = []
        if self.step("docs").status == "failure":  # raco pkg install fails
            return ["failure", "documentation"]
        if any(self.step(n).status == "failure" for n in ("archive", "install", "built")):
            return ["failure"]
        if self.step("dependencies").status == "failure":
            out.append("dependency problems")
        if self.step("tests").status == "failure":
            out.append("test failures")
        if self.step("tests").extra:
            out.append("extra system dependencies")
        if self.step("conflicts").status == "failure":
            out.append("conflicts")
        return out or ["success"]

    @property
    def verdict(self) -> str:
        return self.categories[0]


T1 = TypeVar("T1")
T2 = TypeVar("T2")


async def _together(a: Awaitable[T1], b: Awaitable[T2]) -> tuple[T1, T2]:
    """``a`` and ``b`` side by side (independent work, each in its own scope:
    the machine's cores run them at once); when one raises or this is
    cancelled, the other is cancelled (its processes killed) first."""
    tasks = (asyncio.ensure_future(a), asyncio.ensure_future(b))
    try:
        return await asyncio.gather(tasks[0], tasks[1])
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def dependency_problems(found: SetupOutput) -> bool:
    """What makes the service's ``raco setup --check-pkg-deps`` fail (unused
    dependencies are not checked by the service: a warning here)."""
    return bool(
        found.undeclared or found.not_installed or found.newer_versions or found.implied_undeclared
    )


def _excerpt(text: str, lines: int = 20) -> str:
    kept = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def _map_path(p: Path | None, src: Path, dst: Path) -> Path | None:
    if p is not None and p.is_relative_to(src):
        return dst / p.relative_to(src)
    return p


def remap_output(found: SetupOutput, src: Path, dst: Path) -> SetupOutput:
    """``found`` with paths in the copy ``src`` moved to the workspace ``dst``."""
    return replace(
        found,
        undeclared=[replace(u, source=_map_path(u.source, src, dst)) for u in found.undeclared],
        errors=[
            replace(e, path=_map_path(e.path, src, dst), target=_map_path(e.target, src, dst))
            for e in found.errors
        ],
    )


def remap_tests(report: TestReport, src: Path, dst: Path) -> TestReport:
    def file(f: FileResult) -> FileResult:
        items = [
            replace(
                i,
                path=_map_path(i.path, src, dst) or i.path,
                location=_map_path(i.location, src, dst),
            )
            for i in f.items
        ]
        return FileResult(_map_path(f.path, src, dst) or f.path, f.modules, items)

    return replace(report, files=[file(f) for f in report.files])


# -- sibling packages --------------------------------------------------------------


def declared_deps(directory: Path) -> list[str]:
    """The package names of ``deps`` and ``build-deps`` in ``directory``'s
    info.rkt, read statically (an entry's ``#:platform`` is not looked at)."""
    text = read_source(directory / "info.rkt")
    if text is None:
        return []
    info = parse_info(text)
    out: list[str] = []
    for name in ("deps", "build-deps"):
        d = info.define(name)
        v = d.value if d is not None else None
        if v is None or v.kind != "quote" or not v.items or v.items[0].kind != "list":
            continue
        for entry in v.items[0].items:
            first = entry.items[0] if entry.kind == "list" and entry.items else entry
            if first.kind == "string" and first.value:
                out.append(first.value)
    return out


def repository_root(directory: Path) -> Path:
    """The repository holding a package: the nearest folder with ``.git``,
    else the package's parent folder."""
    for d in [directory, *directory.parents]:
        if (d / ".git").exists():
            return d
    return directory.parent


@dataclass
class Siblings:
    """Packages of the package's repository that it needs (through ``deps``
    and ``build-deps``, transitively) and the installation lacks: the
    service's catalog would offer them, so each scope gets them first,
    copied from their folders."""

    packages: list[WorkspacePackage] = field(default_factory=list)

    async def into(self, install: RacketInstall, scope: Scope, timeout: float) -> str | None:
        """Install them into ``scope`` (``--copy``, no setup: what the package
        uses is compiled when it is); what went wrong, or None."""
        if not self.packages:
            return None
        assert install.raco is not None
        scope.make()
        argv = [str(install.raco), "pkg", "install", "--scope", "user", "--deps", "fail"]
        argv += ["--no-setup", "--copy", *(str(p.directory) for p in self.packages)]
        r = await run_process(argv, cwd=scope.root, env=scope.env(), timeout=timeout)
        if r.returncode == 0 and not r.timed_out:
            return None
        return "sibling packages did not install: " + _excerpt(r.stderr or r.stdout)


async def find_siblings(install: RacketInstall, pkg: WorkspacePackage) -> Siblings:
    """The ``Siblings`` of ``pkg`` (the repository is looked at only when a
    dependency is not in the installation)."""
    installed = {
        name for name, p in (await installed_packages(install)).items() if p.scope == "installation"
    }
    todo = [name for name in declared_deps(pkg.directory) if name not in installed]
    if not todo:
        return Siblings()
    root = repository_root(pkg.directory)
    others = {p.name: p for p in find_packages([root]) if p.directory != pkg.directory}
    need: dict[str, WorkspacePackage] = {}
    while todo:
        name = todo.pop()
        p = others.get(name)
        if p is None or name in need or name in installed:
            continue
        need[name] = p
        todo += declared_deps(p.directory)
    return Siblings(sorted(need.values(), key=lambda p: p.name))


# -- step 1: archive -----------------------------------------------------------


def _left_out(stage: Path, archive: Path) -> list[str]:
    """Paths of ``stage`` that ``archive`` lacks (a left-out directory once)."""
    try:
        with zipfile.ZipFile(archive) as z:
            names = {n.rstrip("/") for n in z.namelist()}
    except (OSError, zipfile.BadZipFile):
        return []
    inside = names
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(stage):
        rel_dir = Path(dirpath).relative_to(stage)
        for d in list(dirnames):
            rel = (rel_dir / d).as_posix()
            if rel not in inside and not any(n.startswith(rel + "/") for n in inside):
                out.append(rel + "/")
                dirnames.remove(d)
        out += [
            (rel_dir / f).as_posix() for f in filenames if (rel_dir / f).as_posix() not in inside
        ]
    return sorted(out)


@contextmanager
def _clock(step: BuildStep) -> Iterator[None]:
    """``step.seconds``: how long the block took (set however it ends)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        step.seconds = time.perf_counter() - started


async def _archive(
    install: RacketInstall, pkg: WorkspacePackage, work: Path
) -> tuple[BuildStep, Path | None]:
    step = BuildStep("archive")
    with _clock(step):
        made = await create_package_archive(
            install, pkg.directory, work / "archive", fmt="zip", mode="source"
        )
    step.log = _excerpt(made.output)
    archive = next((p for p in made.outputs if p.suffix == ".zip"), None)
    if not made.ok or archive is None:
        step.status, step.why = "failure", "; ".join(made.errors) or "raco pkg create failed"
        return step, None
    step.status = "success"
    step.left_out = _left_out(pkg.directory, archive)
    return step, archive


def _unpack(archive: Path, dest: Path) -> Path:
    """The archive's content (raco pkg create's zip: the package's files) in ``dest``."""
    dest.mkdir(parents=True)
    with zipfile.ZipFile(archive) as z:
        z.extractall(dest)
    return dest


# -- step 2: install and build ---------------------------------------------------


def _install_argv(
    install: RacketInstall, pkg: WorkspacePackage, archive: Path, *flags: str
) -> list[str]:
    """``raco pkg install`` of ``archive`` as ``pkg`` into the scope's user
    scope, the installation's packages as the only source."""
    assert install.raco is not None
    argv = [str(install.raco), "pkg", "install", "--scope", "user", "--deps", "fail", *flags]
    return [*argv, "--name", pkg.name, str(archive)]


def _missing(stderr: str) -> list[str]:
    """``raco pkg install --deps fail``'s ``missing packages:`` list."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "missing packages:":
            return [ln.strip() for ln in lines[i + 1 :] if ln.startswith("   ") and ln.strip()]
    return []


def has_scribblings(directory: Path) -> bool:
    """Does an info.rkt of the package at ``directory`` declare ``scribblings``
    (read statically)?"""
    for info in walk_files(directory, lambda name: name == "info.rkt"):
        text = read_source(info)
        if text is not None and parse_info(text).define("scribblings") is not None:
            return True
    return False


_SECTION = re.compile(r"^raco setup: --- (.*?) ---\s+\[(\d+):(\d+):(\d+)\]\s*$", re.M)


def section_seconds(stdout: str, section: str, ended: time.struct_time | None = None) -> float:
    """How long raco setup's ``--- SECTION ---`` took, by its timestamps (whole
    seconds: the next section's stamp minus its own; for the last section,
    ``ended``, the local time the run ended, when given)."""
    stamps = [(m.group(1), m.group(2, 3, 4)) for m in _SECTION.finditer(stdout)]
    if ended is not None:
        stamps.append(("", (str(ended.tm_hour), str(ended.tm_min), str(ended.tm_sec))))
    for (name, (h, m, sec)), (_, (h2, m2, sec2)) in itertools.pairwise(stamps):
        if name == section:
            diff = (int(h2) - int(h)) * 3600 + (int(m2) - int(m)) * 60 + int(sec2) - int(sec)
            return float(diff % 86400)
    return 0.0


def _is_doc_error(e: SetupError) -> bool:
    """An error of building the docs, or of compiling a document."""
    return e.kind == "doc" or any(
        p is not None and p.suffix == ".scrbl" for p in (e.path, e.target)
    )


async def _install_and_build(
    install: RacketInstall,
    pkg: WorkspacePackage,
    archive: Path,
    scope: Scope,
    timeout: float,
    force: bool = False,
    siblings: Siblings | None = None,
) -> tuple[BuildStep, BuildStep, BuildStep, Path | None]:
    """Install ``archive`` into the fresh ``scope`` and set it up as ``raco pkg
    install`` does (with its docs when it declares ``scribblings``, as the
    service builds them; otherwise ``--no-docs``), checking its dependencies
    in the same ``raco setup``, after the compiling and the docs, as the
    service checks right after its install on the same VM: nothing is
    compiled twice.  The install step, the docs step (errors of building or
    compiling documents), the dependencies step and the installed package's
    directory.  ``force``: despite conflicts."""
    assert install.raco is not None
    step = BuildStep("install")
    docs = BuildStep("docs", why="the package did not install")
    deps = BuildStep("dependencies", why="the package did not install and build")
    report = SetupReport(pkg, None)
    step.setup = report
    with _clock(step):
        scope.make()
        offered = await (siblings or Siblings()).into(install, scope, timeout)
        argv = _install_argv(install, pkg, archive, "--no-setup", *(["--force"] if force else []))
        r = await run_process(argv, cwd=scope.root, env=scope.env(), timeout=timeout)
        installed = scope.installed(pkg.name)
        if r.returncode != 0 or r.timed_out or installed is None:
            step.status, step.log = "failure", _excerpt(r.stderr or r.stdout)
            if offered:
                step.log = f"{offered}\n{step.log}"
            report.returncode, report.timed_out = r.returncode, r.timed_out
            missing = _missing(r.stderr)
            report.found.not_installed = [NotInstalled(m, None) for m in missing]
            if missing:
                step.why = "missing dependencies: " + ", ".join(missing)
            else:
                step.why = (
                    "raco pkg install timed out" if r.timed_out else "raco pkg install failed"
                )
                report.failures.append(f"{step.why}: {step.log}")
            return step, docs, deps, None
        with_docs = has_scribblings(installed)
        s = await run_process(
            setup_argv(install.raco, pkg.name, docs=with_docs),
            cwd=installed,
            env=scope.env(),
            timeout=timeout,
        )
        ended = time.localtime()
    report.returncode, report.timed_out = s.returncode, s.timed_out
    report.stdout, report.stderr = s.stdout, s.stderr
    found = parse_setup_output(
        s.stdout, s.stderr, package=pkg.name, cwd=installed, pkgs={pkg.name: installed}
    )
    found = remap_output(found, installed, pkg.directory)
    report.found.errors = [e for e in found.errors if not _is_doc_error(e)]
    doc_errors: list[SetupError] = []
    for e in found.errors:  # a document that fails to compile fails to build too: once
        if _is_doc_error(e) and all(
            (e.message, e.path, e.line) != (d.message, d.path, d.line) for d in doc_errors
        ):
            doc_errors.append(e)
    if not with_docs:
        docs.why = "no scribblings in info.rkt"
    else:
        docs.seconds = section_seconds(s.stdout, "building documentation")
        step.seconds -= docs.seconds
        docs.setup = replace(report, found=SetupOutput(errors=doc_errors))
        docs.status = "failure" if doc_errors else "success"
        docs.why = f"{len(doc_errors)} documentation errors" if doc_errors else "built"
        if doc_errors:
            docs.log = _excerpt(s.stderr)
    if s.timed_out or report.found.errors or (s.returncode != 0 and found.clean):
        step.status, step.log = "failure", _excerpt(s.stderr or s.stdout)
        step.why = "raco setup timed out" if s.timed_out else "raco setup failed"
        if not report.found.errors:
            report.failures.append(f"{step.why}: {step.log}")
        return step, docs, deps, installed
    step.status = "success"
    deps.seconds = section_seconds(s.stdout, "checking package dependencies", ended)
    step.seconds -= deps.seconds
    deps.setup = replace(report, found=replace(found, errors=[]))
    if doc_errors:
        deps.setup.found.unused = []  # what the failed documents use looks unused
    deps.log = _excerpt(s.stderr)
    if dependency_problems(deps.setup.found):
        deps.status, deps.why = "failure", "raco setup --check-pkg-deps reports problems"
    else:
        deps.status, deps.why = "success", ""
    return step, docs, deps, installed


# -- step 4: built form ------------------------------------------------------------

_MODULE_SUFFIXES = (".rkt", ".ss", ".scm", ".rktl")


def _compiled_modules(installed: Path) -> list[Path]:
    """The modules of an installed package that were compiled (their source
    path, which a binary install lacks), without info.rkt and docs."""
    out: list[Path] = []
    for zo in sorted(installed.rglob("compiled/*.zo")):
        if "doc" in zo.relative_to(installed).parts:
            continue
        stem, _, ext = zo.name[: -len(".zo")].rpartition("_")
        source = zo.parent.parent / f"{stem}.{ext}"
        if source.suffix in _MODULE_SUFFIXES and source.name != "info.rkt":
            out.append(source)
    return out


def load_problems(lines: str, installed: Path, pkg: WorkspacePackage, form: str) -> list[Problem]:
    """``data/load-modules.rkt``'s failures at the workspace file (and line,
    when the failure's context has one in the package)."""
    out: list[Problem] = []
    for r in json_objects(lines):
        if r.get("ok") is not False:
            continue
        path = Path(str(r.get("path", "")))
        span = Span.at_line_start()
        for frame in r.get("context") or []:
            if isinstance(frame, dict) and Path(str(frame.get("source"))) == path:
                span = Span.at_line_start(max(int(frame.get("line") or 1) - 1, 0))
                break
        where = _map_path(path, installed, pkg.directory) or path
        said = str(r.get("message", "")).replace(str(installed), str(pkg.directory))
        message = f"fails in {form} form when it runs: {said}"
        out.append(Problem(where, span, Severity.ERROR, message, SOURCE, "built-form"))
    return out


async def _built(
    install: RacketInstall,
    pkg: WorkspacePackage,
    from_scope: Scope,
    work: Path,
    timeout: float,
    with_docs: bool,
    force: bool,
    siblings: Siblings | None = None,
) -> tuple[BuildStep, tuple[Scope, Path] | None]:
    """The service's built package: ``raco pkg create --from-install --built``
    where the package was installed and built, then that archive installed into
    a fresh scope as is and with ``--binary-lib``, and each module instantiated.
    Also the scope and directory of the as-is install (where the tests run)."""
    assert install.raco is not None
    step = BuildStep("built")
    with _clock(step):
        dest = work / "archive"
        dest.mkdir(parents=True)
        argv = [
            str(install.raco),
            "pkg",
            "create",
            "--from-install",
            "--built",
            "--dest",
            str(dest),
        ]
        r = await run_process(
            [*argv, pkg.name], cwd=from_scope.root, env=from_scope.env(), timeout=timeout
        )
        archive = dest / f"{pkg.name}.zip"
        if r.returncode != 0 or r.timed_out or not archive.is_file():
            step.status, step.log = "failure", _excerpt(r.stderr or r.stdout)
            step.why = "raco pkg create --from-install --built failed"
            return step, None
        # The two installs are independent (each its own fresh scope): side by side.
        # --binary-lib drops the docs: none to set up there.
        forced = ["--force"] if force else []
        forms = await _together(
            _built_form(
                install, pkg, archive, work / "built", forced, with_docs, timeout, siblings
            ),
            _built_form(
                install,
                pkg,
                archive,
                work / "binary-lib",
                [*forced, "--binary-lib"],
                False,
                timeout,
                siblings,
            ),
        )
        for form in forms:
            step.problems += form.problems
    step.log = "\n".join(log for form in forms for log in form.logs)
    step.why = "; ".join(form.note for form in forms)
    unloaded = any(form.unloaded for form in forms)
    step.status = "failure" if step.problems or unloaded else "success"
    built = forms[0]
    return step, (built.scope, built.installed) if built.installed is not None else None


@dataclass
class _Form:
    """One install of the built archive: what the built step says of it."""

    scope: Scope
    installed: Path | None = None  # None: it did not install
    note: str = ""
    logs: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unloaded: bool = False  # the loader itself failed or timed out


async def _built_form(
    install: RacketInstall,
    pkg: WorkspacePackage,
    archive: Path,
    root: Path,
    flags: list[str],
    with_docs: bool,
    timeout: float,
    siblings: Siblings | None,
) -> _Form:
    """The built ``archive`` installed into the fresh scope at ``root`` with
    ``flags`` and set up, then each of its modules instantiated (``DISPLAY``
    unset).  With docs, set up as the install step does (``raco setup`` of
    the package: not the scope's doc index, which ``raco pkg install``'s own
    setup rebuilds, seconds more); without, by ``raco pkg install`` itself
    (one process less)."""
    assert install.raco is not None
    name = root.name
    out = _Form(Scope(root))
    out.scope.make()
    await (siblings or Siblings()).into(install, out.scope, timeout)
    setup = ["--no-setup"] if with_docs else ["-j", "1", "--no-docs"]
    r = await run_process(
        _install_argv(install, pkg, archive, *setup, *flags),
        cwd=out.scope.root,
        env=out.scope.env(),
        timeout=timeout,
    )
    installed = out.scope.installed(pkg.name)
    if "--binary-lib" in flags and "not compatible with the requested conversion" in r.stderr:
        out.note = f"{name}: not allowed by the package"
        return out
    failed = "raco pkg install"
    if with_docs and r.returncode == 0 and not r.timed_out and installed is not None:
        failed = "raco setup"
        r = await run_process(
            setup_argv(install.raco, pkg.name, docs=with_docs, check_deps=False),
            cwd=installed,
            env=out.scope.env(),
            timeout=timeout,
        )
    if r.returncode != 0 or r.timed_out or installed is None:
        out.logs.append(_excerpt(r.stderr or r.stdout))
        out.note = f"{name}: {failed} failed"
        out.problems.append(
            Problem(
                pkg.directory / "info.rkt",
                Span.at_line_start(),
                Severity.ERROR,
                f"the {name} form does not install: {out.logs[-1]}",
                SOURCE,
                "built-form",
            )
        )
        return out
    out.installed = installed
    env = out.scope.env()
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(var, None)
    modules = [str(m) for m in _compiled_modules(installed)]
    loaded = await run_process(
        [str(install.racket), str(data_file("load-modules.rkt")), *modules],
        cwd=installed,
        env=env,
        timeout=timeout,
    )
    found = load_problems(loaded.stdout, installed, pkg, name)
    if loaded.returncode != 0 or loaded.timed_out:
        out.logs.append(_excerpt(loaded.stderr or loaded.stdout))
        out.note = f"{name}: its modules could not be loaded"
        out.unloaded = True
    elif found:
        out.logs += [p.message for p in found]
        out.note = f"{name}: {len(found)} of {len(modules)} modules fail"
    else:
        out.note = f"{name}: {len(modules)} modules load"
    out.problems += found
    return out


# -- step 6: conflicts ---------------------------------------------------------


def _conflict_file(pkg: WorkspacePackage, module: str) -> Path:
    """The package's file for a module path ``raco pkg install`` names."""
    parts = module.split("/")
    rel = parts[1:] if pkg.collection == "string" else parts
    base = pkg.directory.joinpath(*rel) if rel else pkg.directory
    for candidate in [base.with_name(base.name + s) for s in _MODULE_SUFFIXES] + [
        base / "main.rkt"
    ]:
        if rel and candidate.is_file():
            return candidate
    return pkg.directory / "info.rkt"


def conflict_problems(stderr: str, pkg: WorkspacePackage) -> list[Problem]:
    """``raco pkg install``'s conflict report as problems at the package's files."""
    if "conflict" not in stderr:
        return []
    head = next((ln for ln in stderr.splitlines() if "conflict" in ln), "").strip()
    head = head.removeprefix("raco pkg install: ")
    others = [
        ln.split(":", 1)[1].strip()
        for ln in stderr.splitlines()
        if ln.strip().startswith("package:") and not ln.strip().endswith(".zip")
    ]
    with_what = f" (package {', '.join(others)})" if others else ""
    if "not part of a package" in stderr:
        with_what = " (an installation module that is not part of a package)"
    out = []
    for ln in stderr.splitlines():
        if ln.strip().startswith("module path:"):
            module = ln.split(":", 1)[1].strip()
            message = f"{head}: {module}{with_what}"
            where = _conflict_file(pkg, module)
            out.append(
                Problem(where, Span.at_line_start(), Severity.ERROR, message, SOURCE, "conflict")
            )
    return out or [
        Problem(
            pkg.directory / "info.rkt",
            Span.at_line_start(),
            Severity.ERROR,
            head,
            SOURCE,
            "conflict",
        )
    ]


def _literal_span(path: Path, literal: str) -> Span:
    """Where the string ``literal`` is first written in ``path`` (else line 1)."""
    text = read_source(path) or ""
    index = text.find(json.dumps(literal))
    if index < 0:
        return Span.at_line_start()
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    return Span(Pos(line, col), Pos(line, col + len(json.dumps(literal))))


def helper_conflicts(lines: str, content: Path, pkg: WorkspacePackage) -> list[Problem]:
    """``data/pkg-conflicts.rkt``'s answer (run on the archive's ``content``)
    as problems at the package's files: module and document conflicts are
    errors, platform-specific dependencies a note."""
    out: list[Problem] = []
    for r in json_objects(lines):
        other = r.get("package")
        kind = r.get("kind")
        if kind == "module":
            module = str(r.get("module"))
            if isinstance(other, str):
                message = f"packages conflict: {module} (package {other})"
            else:
                message = (
                    f"package conflicts with existing installed module: {module} "
                    "(an installation module that is not part of a package)"
                )
            where = _conflict_file(pkg, module)
            span = Span.at_line_start()
            out.append(Problem(where, span, Severity.ERROR, message, SOURCE, "conflict"))
            continue
        info = _map_path(Path(str(r.get("info"))), content, pkg.directory)
        if info is None:
            continue
        if kind == "doc":
            owner = f"package {other}" if isinstance(other, str) else "the installation"
            message = (
                f'document "{r.get("name")}" conflicts with the documentation of {owner} '
                "(the service installs every package's docs together)"
            )
            span = _literal_span(info, str(r.get("entry")))
            out.append(Problem(info, span, Severity.ERROR, message, SOURCE, "conflict"))
        elif kind == "platform":
            dep = str(r.get("package"))
            there = "installed" if r.get("service") else "not installed"
            here = "installed" if r.get("here") else "not installed"
            message = (
                f'"{dep}" is for #:platform {r.get("platform")}: the service builds on '
                f"{SERVICE_PLATFORM}, where it is {there} (here it is {here})"
            )
            span = _literal_span(info, dep)
            out.append(Problem(info, span, Severity.INFO, message, SOURCE, "natipkg"))
    return out


async def _conflicts(
    install: RacketInstall,
    pkg: WorkspacePackage,
    archive: Path,
    work: Path,
    timeout: float,
    siblings: Siblings | None = None,
) -> BuildStep:
    """Every conflict of the archive's content with the installation
    (``data/pkg-conflicts.rkt``: modules and documents), confirmed by what
    ``raco pkg install --dry-run --strict-doc-conflicts`` refuses (it stops
    at the first), both in a fresh scope."""
    step = BuildStep("conflicts")
    with _clock(step):
        scope = Scope(work / "scope")
        scope.make()
        await (siblings or Siblings()).into(install, scope, timeout)
        content = _unpack(archive, work / "content")
        helper = [str(install.racket), str(data_file("pkg-conflicts.rkt")), str(content), pkg.name]
        strict = ("--dry-run", "--no-setup", "--strict-doc-conflicts")
        argv = _install_argv(install, pkg, archive, *strict)
        found, r = await _together(  # both only read the scope
            run_process(helper, cwd=scope.root, env=scope.env(), timeout=timeout),
            run_process(argv, cwd=scope.root, env=scope.env(), timeout=timeout),
        )
    step.problems = helper_conflicts(found.stdout, content, pkg)
    errors = [p for p in step.problems if p.severity == Severity.ERROR]
    seen = {p.path for p in errors}  # raco's first conflict, unless the helper saw it
    step.problems += [p for p in conflict_problems(r.stderr, pkg) if p.path not in seen]
    notes = [p for p in step.problems if p.severity != Severity.ERROR]
    conflicts = len(step.problems) - len(notes)
    if conflicts:
        step.status, step.log = "failure", _excerpt(r.stderr)
        step.why = f"{conflicts} conflicts with installation packages"
    else:
        step.status = "success"  # any other install failure is the install step's
    if found.returncode != 0:
        step.log = _excerpt(found.stderr)
    if notes:
        step.why = "; ".join([*([step.why] if step.why else []), f"{len(notes)} platform notes"])
    return step


# -- step 5: tests -------------------------------------------------------------


async def no_network_prefix() -> list[str] | None:
    """An argv prefix that runs a command in a new network namespace, when
    this machine allows one (checked by running ``true`` in it)."""
    for prefix in _NO_NETWORK:
        exe = shutil.which(prefix[0])
        if exe is None:
            continue
        argv = [exe, *prefix[1:]]
        try:
            r = await run_process([*argv, "true"], cwd=Path("/"), env=dict(os.environ), timeout=30)
        except OSError:
            continue
        if r.returncode == 0:
            return argv
    return None


async def _tests(
    install: RacketInstall,
    pkg: WorkspacePackage,
    scope: Scope,
    installed: Path,
    no_network: Sequence[str] | None,
    limit: float,
) -> BuildStep:
    """The tests of the package installed in built form at ``installed`` (the
    built step's fresh install of the built archive), as ``raco test --drdr``
    in the minimal environment (no network when ``no_network``, no display);
    a file that fails there runs again with the user's environment, and one
    that passes then is an extra system dependency (``step.extra``), not a
    test failure.  ``limit`` bounds both runs together."""
    step = BuildStep("tests")
    with _clock(step):
        minimal = scope.env()
        for var in ("DISPLAY", "WAYLAND_DISPLAY"):
            minimal.pop(var, None)
        options = TestOptions(mode="drdr", timeout=TEST_TIMEOUT, jobs=1)
        pools = [TestPool(install, options, env=minimal, cwd=installed, wrapper=no_network or ())]

        async def both() -> tuple[TestReport, list[FileResult]]:
            report = await run_tests(install, [installed], options, pool=pools[0])
            failing = [f for f in report.files if f.failed or f.timed_out]
            if not failing:
                return report, []
            pools.append(TestPool(install, options, env=scope.env(), cwd=installed))
            extra = []
            for f in failing:
                again = await run_tests(install, [f.path], options, pool=pools[1])
                if again.files and again.exit_code == 0 and not again.problems:
                    extra.append(f)
            return report, extra

        try:
            report, extra = await asyncio.wait_for(both(), limit)
        except TimeoutError:
            step.status = "failure"
            step.why = f"the package's tests did not finish within the {limit:g} s limit"
            return step
        finally:
            for pool in pools:
                await pool.close()
    failed = replace(report, files=[f for f in report.files if all(f is not e for e in extra)])
    step.tests = remap_tests(failed, installed, pkg.directory)
    step.extra = remap_tests(TestReport(files=extra), installed, pkg.directory).files
    notes = []
    if failed.exit_code != 0 or failed.problems:
        step.status = "failure"
        notes.append(f"{failed.failed}/{report.total} test failures")
    else:
        step.status = "success"
        notes.append(f"{report.total - sum(f.total for f in extra)}/{report.total} passed")
    if extra:
        files = ", ".join(str(f.path.relative_to(pkg.directory)) for f in step.extra)
        notes.append(f"extra system dependencies: {files} pass only with your environment")
    step.why = "; ".join(notes)
    if step.status == "failure" or extra:
        step.log = _excerpt("\n".join(m.stderr for f in report.files for m in f.modules))
    return step


# -- all steps -----------------------------------------------------------------


async def pkg_build(
    install: RacketInstall,
    pkg: WorkspacePackage,
    *,
    timeout: float = 600.0,
    test_limit: float = PACKAGE_TEST_LIMIT,
    on_step: Callable[[BuildStep], None] | None = None,
) -> PkgBuildReport:
    """Run the service's steps on ``pkg``, each from a fresh scope under a
    temporary directory that is removed afterwards."""
    steps = {name: BuildStep(name) for name in STEPS}
    report = PkgBuildReport(pkg, list(steps.values()))

    def done(step: BuildStep) -> None:
        steps[step.name] = step
        report.steps = list(steps.values())
        if on_step:
            on_step(step)

    work = Path(tempfile.mkdtemp(prefix="raco-lsp-pkg-build-"))
    try:
        (step, archive), siblings = await _together(
            _archive(install, pkg, work), find_siblings(install, pkg)
        )
        done(step)
        if archive is None:
            for name in STEPS[1:]:
                done(BuildStep(name, why="the archive could not be made"))
            return report
        report.siblings = siblings.packages
        # The conflicts step and the install use separate fresh scopes: side by
        # side.  The install assumes no conflicts; when it fails and there are
        # some, it runs again in a fresh scope with --force, as the service
        # builds a conflicting package and reports the conflicts apart.
        scope = Scope(work / "install")
        step, (install_step, docs, deps, installed) = await _together(
            _conflicts(install, pkg, archive, work / "conflicts", timeout, siblings),
            _install_and_build(install, pkg, archive, scope, timeout, False, siblings),
        )
        done(step)
        force = step.status == "failure"
        if force and install_step.status != "success":
            scope.clear()
            install_step, docs, deps, installed = await _install_and_build(
                install, pkg, archive, scope, timeout, True, siblings
            )
        done(install_step)
        done(docs)
        done(deps)
        if install_step.status != "success" or installed is None:
            for name in STEPS[5:]:
                done(BuildStep(name, why="the package did not install and build"))
            return report
        with_docs = docs.status != "skipped"  # it has scribblings
        step, as_is = await _built(
            install, pkg, scope, work / "built", timeout, with_docs, force, siblings
        )
        done(step)
        if as_is is None:
            done(BuildStep("tests", why="the built form did not install"))
            return report
        no_network = await no_network_prefix()
        report.network_isolated = no_network is not None
        done(await _tests(install, pkg, *as_is, no_network, test_limit))
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
