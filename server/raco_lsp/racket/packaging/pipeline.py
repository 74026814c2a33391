"""``build_distribution``, the whole "Build distribution" pipeline:
executables -> ``raco distribute`` -> ``.tgz`` -> smoke run of every
executable from a copy of the archive (see ``distribute.smoke_run``).

The steps, in order: ``_plan`` (entry modules, executable names, output
paths: nothing runs but info.rkt's launchers are read), the modules the
sources load at run time (``syntax.dynamic_requires``), ``_clear_outputs``,
then ``_Build.executables``, ``.distribution``, ``.archive``,
``.drop_intermediates`` and ``.smoke``.  A failed step ends the
pipeline; its ``StepResult`` says why.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.files import read_file
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import ProgressFn, StepResult, read_info
from raco_lsp.racket.packaging.distribute import SmokeRun, bundle, create_distribution, smoke_run
from raco_lsp.racket.packaging.exe import ExeOptions, create_executable
from raco_lsp.syntax.dynamic_requires import (
    DynamicRequire,
    has_main_submodule,
    lib_suggestions,
    workspace_dynamic_requires,
)
from raco_lsp.syntax.parser import Source

STEP = "build distribution"
"""The name of the pipeline's own refusals (before any raco step runs)."""


@dataclass
class Entry:
    """An entry module and the executable name to give it."""

    module: Path
    name: str | None = None


@dataclass
class DistributionResult:
    ok: bool = False
    archive: Path | None = None
    dist_dir: Path | None = None
    executables: list[Path] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    smoke: list[SmokeRun] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    """``++lib`` module paths, from each step in order: the modules the sources
    load at run time that ``libs`` lacks (raco exe), the smoke run's failures."""
    source_suggestions: list[str] = field(default_factory=list)
    """``++lib`` module paths for every module the sources load at run time."""

    @property
    def errors(self) -> list[str]:
        return [e for s in self.steps for e in s.errors]

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.steps for w in s.warnings]


def exe_name(entry: Entry, launchers: Mapping[Path, str] | None = None) -> str:
    if entry.name:
        return entry.name
    if launchers and entry.module.absolute() in launchers:
        return launchers[entry.module.absolute()]
    return entry.module.stem


async def launcher_names(install: RacketInstall, modules: Sequence[Path]) -> dict[Path, str]:
    """Executable names from ``racket-launcher-names`` for modules listed in
    their directory's ``racket-launcher-libraries``."""
    names: dict[Path, str] = {}
    for d in sorted({m.absolute().parent for m in modules}):
        if not (d / "info.rkt").is_file():
            continue
        info, _ = await read_info(install, d)
        for lau in info.get("launchers", []):
            if isinstance(lau, dict) and isinstance(lau.get("library"), str):
                names.setdefault((d / lau["library"]).absolute(), str(lau.get("name")))
    return names


async def build_distribution(
    install: RacketInstall,
    entries: Sequence[Entry],
    output_dir: Path,
    *,
    name: str | None = None,
    libs: Sequence[str] = (),
    gui: bool = False,
    collects_copy: Sequence[Path] = (),
    shared_collects: bool = False,
    archive: bool = True,
    bundler: str = "auto",
    smoke: bool = True,
    smoke_timeout: float = 30.0,
    smoke_args: Sequence[str] = (),
    timeout: float | None = 600.0,
    overwrite: bool = True,
    progress: ProgressFn | None = None,
) -> DistributionResult:
    """Executables -> distribution directory -> archive -> smoke run.

    Writes into ``output_dir``: ``.build/`` (the executables raco exe makes),
    ``NAME/`` (the distribution: bin/, lib/) and ``NAME.tgz``.  With
    ``overwrite`` those three are replaced; nothing else is touched.

    ``shared_collects``: the raco manual's way for several executables: one
    ``--collects-dest`` directory for all, copied in with ``++collects-copy``.
    In 8.7 an executable made with ``--collects-dest`` does not run its
    ``main`` submodule (docs/racket-facts.md §12), so when any entry has one
    the executables are built self-contained instead, with a warning.
    """
    out = DistributionResult()
    plan = await _plan(install, entries, output_dir.absolute(), name, shared_collects)
    if isinstance(plan, StepResult):
        out.steps.append(plan)
        return out
    smoke = smoke and archive
    build = _Build(install, plan, out, progress, timeout, total=len(entries) + 1 + archive + smoke)
    loads = {m: workspace_dynamic_requires(m, _root_of(m)) for m in plan.modules}
    out.source_suggestions = lib_suggestions([d for found in loads.values() for d in found])
    refused = await _clear_outputs(plan, overwrite)
    if refused is not None:
        out.steps.append(refused)
        return out
    if not await build.executables(gui, libs, loads) or not await build.distribution(collects_copy):
        return _finish(out)
    if archive and not await build.archive(bundler):
        return _finish(out)
    await build.drop_intermediates()
    if smoke:
        await build.smoke(smoke_timeout, smoke_args)
    build.report("done")
    return _finish(out)


@dataclass
class _Plan:
    """What a build makes and where, decided before any raco step runs."""

    modules: list[Path]
    names: list[str]
    """The executables' names, one per module."""
    dist_name: str
    output_dir: Path
    build: Path
    """``OUTPUT/.build``: where raco exe writes (removed once distributed)."""
    dist_dir: Path
    shared_dir: Path | None
    """The shared ``--collects-dest`` directory, when executables share one."""
    warnings: list[str]
    """For the first executable's step."""

    def archives(self) -> list[Path]:
        """Archives of an earlier build (``NAME.tgz``, ``.zip``, ``.dmg``)."""
        found = self.output_dir.glob(f"{glob_escape(self.dist_name)}.*")
        return [p for p in found if p.is_file() and p.suffix in (".tgz", ".zip", ".dmg")]


async def _plan(
    install: RacketInstall,
    entries: Sequence[Entry],
    output_dir: Path,
    name: str | None,
    shared_collects: bool,
) -> _Plan | StepResult:
    """The plan, or the refusal: no entries, two executables with one name."""
    if not entries:
        return StepResult(STEP, False, errors=["no entry modules"])
    modules = [e.module.absolute() for e in entries]
    launchers = await launcher_names(install, modules)
    names = [exe_name(e, launchers) for e in entries]
    if len(set(names)) != len(names):
        return StepResult(STEP, False, errors=[f"duplicate names: {names}"])
    dist_name = name or names[0]
    build = output_dir / ".build"
    warnings: list[str] = []
    if shared_collects and len(entries) > 1:
        with_main = [m.name for m in modules if _has_main(m)]
        if with_main:
            shared_collects = False
            warnings.append(
                "not sharing library code between executables: raco exe 8.7 with "
                "--collects-dest does not run the `main` submodule, which "
                f"{', '.join(with_main)} use(s); building self-contained executables instead"
            )
    else:
        shared_collects = False
    return _Plan(
        modules=modules,
        names=names,
        dist_name=dist_name,
        output_dir=output_dir,
        build=build,
        dist_dir=output_dir / dist_name,
        shared_dir=build / "collects" if shared_collects else None,
        warnings=warnings,
    )


def _not_embedded(
    module: Path, loads: Sequence[DynamicRequire], libs: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The ``++lib`` suggestions, and warnings, for the modules ``module``'s
    sources load at run time that ``libs`` lacks: the executable runs until
    it loads one (which a smoke run may never reach).  A module file loaded
    from its source (``define-runtime-path``) that requires files by relative
    path cannot be fixed with ``++lib``: ``raco distribute`` copies only it."""
    missing = [lib for lib in lib_suggestions(list(loads)) if lib not in libs]
    warnings: list[str] = []
    if missing:
        flags = " ".join(f"++lib {lib}" for lib in missing)
        sources = sorted({d.source.name for d in loads if d.source and d.lib in missing})
        via = (
            f" ({', '.join(sources)}: compiled from its source at run time, through "
            "define-runtime-path, it needs its #lang reader, language and requires)"
            if sources
            else ""
        )
        warnings.append(
            f"{module.name} loads modules at run time that the executable does not embed"
            f"{via}: rebuild with {flags}"
        )
    for source in sorted({d.source for d in loads if d.source is not None}):
        files = [
            Path(d.lib).name
            for d in loads
            if d.source == source and d.lib and Path(d.lib).is_absolute()
        ]
        if files:
            warnings.append(
                f"{source.name}, loaded from its source at run time through "
                f"define-runtime-path, requires {', '.join(files)}, which raco distribute "
                "does not copy: load it with define-runtime-module-path-index instead, "
                "which embeds it and what it requires, compiled"
            )
    return missing, warnings


async def _clear_outputs(plan: _Plan, overwrite: bool) -> StepResult | None:
    """Remove an earlier build's outputs (``.build/``, ``NAME/``, ``NAME.*``),
    or the refusal: they exist and ``overwrite`` is off, or ``NAME/`` holds
    more than a distribution."""
    existing = [p for p in (plan.build, plan.dist_dir) if p.exists()]
    archives = plan.archives()
    if (existing or archives) and not overwrite:
        errors = [f"output exists: {p}" for p in [*existing, *archives]]
        return StepResult(STEP, False, errors=errors)
    dist_dir = plan.dist_dir
    if dist_dir.exists() and not (dist_dir.is_dir() and _looks_like_distribution(dist_dir)):
        errors = [f"output exists and is not a distribution: {dist_dir}; choose another"]
        return StepResult(STEP, False, errors=errors)
    for p in existing:
        await asyncio.to_thread(shutil.rmtree, p, True)
    for p in archives:
        p.unlink()
    return None


@dataclass
class _Build:
    """The raco steps of one build, recorded in ``out``, with progress."""

    install: RacketInstall
    plan: _Plan
    out: DistributionResult
    progress: ProgressFn | None
    timeout: float | None
    total: int
    done: int = 0

    def report(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg, self.done, self.total)

    def _record(self, step: StepResult) -> bool:
        self.out.steps.append(step)
        self.done += 1
        return step.ok

    async def executables(
        self, gui: bool, libs: Sequence[str], loads: Mapping[Path, list[DynamicRequire]]
    ) -> bool:
        """1. ``raco exe`` each entry into ``.build/``; what its sources load at
        run time that ``libs`` lacks is a warning with ``++lib`` suggestions."""
        plan, warnings = self.plan, self.plan.warnings
        for entry_module, exe in zip(plan.modules, plan.names, strict=True):
            self.report(f"raco exe {entry_module.name}")
            options = ExeOptions(
                output=plan.build / exe, gui=gui, libs=list(libs), collects_dest=plan.shared_dir
            )
            step = await create_executable(
                self.install, entry_module, options, timeout=self.timeout
            )
            missing, not_embedded = _not_embedded(entry_module, loads[entry_module], libs)
            step.warnings = warnings + step.warnings + not_embedded
            step.suggestions += missing
            warnings = []
            if not self._record(step):
                return False
            self.out.executables += step.outputs
        return True

    async def distribution(self, collects_copy: Sequence[Path]) -> bool:
        """2. ``raco distribute`` them into ``NAME/``."""
        self.report("raco distribute")
        plan = self.plan
        copies = [*collects_copy, *([plan.shared_dir] if plan.shared_dir else [])]
        step = await create_distribution(
            self.install,
            plan.dist_dir,
            self.out.executables,
            collects_copy=copies,
            timeout=self.timeout,
        )
        if not self._record(step):
            return False
        self.out.dist_dir = plan.dist_dir
        return True

    async def archive(self, bundler: str) -> bool:
        """3. Bundle ``NAME/`` into ``NAME.tgz``."""
        plan = self.plan
        self.report(f"bundling {plan.dist_name}")
        step = await bundle(
            self.install,
            plan.dist_dir,
            plan.output_dir / plan.dist_name,
            method=bundler,
            timeout=self.timeout,
        )
        if not self._record(step):
            return False
        self.out.archive = step.outputs[0]
        return True

    async def drop_intermediates(self) -> None:
        """The executables are in the distribution now; the ones in ``.build/`` go."""
        await asyncio.to_thread(shutil.rmtree, self.plan.build, True)
        self.out.executables = [self.plan.dist_dir / "bin" / exe for exe in self.plan.names]

    async def smoke(self, timeout: float, args: Sequence[str]) -> None:
        """4. Run each executable from a copy of the archive."""
        assert self.out.archive is not None
        self.report("smoke run")
        plan = self.plan
        step, runs = await smoke_run(
            self.out.archive,
            [f"{plan.dist_name}/bin/{exe}" for exe in plan.names],
            timeout=timeout,
            args=args,
        )
        self._record(step)
        self.out.smoke = runs


def _looks_like_distribution(d: Path) -> bool:
    try:
        return {p.name for p in d.iterdir()} <= {"bin", "lib", "collects"}
    except OSError:
        return False


def _has_main(module: Path) -> bool:
    data, _ = read_file(module)
    return data is not None and has_main_submodule(Source(data))


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def _root_of(module: Path) -> Path:
    """The package root around ``module``: the top-most ancestor directory
    (up to 4 levels) that has an info.rkt, else the module's directory."""
    root = module.parent
    d = module.parent
    for _ in range(4):
        if (d / "info.rkt").is_file():
            root = d
        if d.parent == d:
            break
        d = d.parent
    return root


def _finish(out: DistributionResult) -> DistributionResult:
    out.ok = bool(out.steps) and all(s.ok for s in out.steps)
    for s in out.steps:
        for lib in s.suggestions:
            if lib not in out.suggestions:
                out.suggestions.append(lib)
    return out
