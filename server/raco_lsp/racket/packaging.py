"""Executables, distributions and archives: ``raco exe``, ``raco distribute``,
bundling (compiler/bundle-dist), smoke runs, ``raco pack``, ``raco pkg create``
and launchers.  Every step runs through ``process.run_process`` with an argv
list (paths with spaces and quotes are plain arguments) and returns a
``StepResult`` with its outputs, its output text and actionable errors.

``build_distribution`` is the whole "Build distribution" pipeline:
executables -> ``raco distribute`` -> ``.tgz`` -> smoke run of every executable
from a copy of the archive unpacked in a fresh temporary directory, with a
scrubbed environment (no PLT* variables, HOME an empty directory, cwd there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from raco_lsp.racket.env import racket_env
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import ProcessResult, run_process
from raco_lsp.syntax.dynamic_requires import (
    has_main_submodule,
    has_top_level_effects,
    lib_suggestions,
    workspace_dynamic_requires,
)
from raco_lsp.syntax.parser import Source

ProgressFn = Callable[[str, int, int], None]

_MISSING_COLLECTION = re.compile(
    r"(?:collection not found|cannot open module file)[^\n]*\n(?:.*\n)*?\s*"
    r"(?:for module path|module path): (?P<mp>[^\n]+)"
)
_DISK_FULL = re.compile(r"No space left on device|errno=28\b|ENOSPC", re.IGNORECASE)


def helper_path() -> Path:
    return Path(str(resources.files("raco_lsp").joinpath("racket/data/packaging.rkt")))


def packaging_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for raco exe/distribute/pack: the server's, minus
    variables that would make the compile manager write into the installation."""
    return racket_env(base)


def smoke_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A scrubbed environment for running a distributed program: no PLT*
    variables, HOME an empty directory, only PATH/LANG/LC_*/TERM kept."""
    src = os.environ if base is None else base
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home)}
    for k, v in src.items():
        if (k in ("LANG", "TERM") or k.startswith("LC_")) and not k.startswith("PLT"):
            env[k] = v
    return env


@dataclass
class StepResult:
    """The outcome of one packaging step."""

    step: str
    ok: bool
    argv: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    output: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    """``++lib`` module paths that would likely fix the step."""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "ok": self.ok,
            "argv": self.argv,
            "outputs": [str(p) for p in self.outputs],
            "output": self.output,
            "errors": self.errors,
            "warnings": self.warnings,
            "suggestions": self.suggestions,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ExeOptions:
    output: Path | None = None
    """The executable to write; default: the module's name without suffix, beside it."""
    gui: bool = False
    libs: list[str] = field(default_factory=list)
    launcher: bool = False
    ico: Path | None = None
    icns: Path | None = None
    aux: list[Path] = field(default_factory=list)
    embed_dlls: bool = False
    collects_dest: Path | None = None
    collects_path: str | None = None
    overwrite: bool = True


def missing_modules(output: str) -> list[str]:
    """Module paths a program failed to find ("collection not found")."""
    found: list[str] = []
    for m in _MISSING_COLLECTION.finditer(output):
        mp = m.group("mp").strip()
        if mp.startswith("#<path:"):  # cannot open module file: module path: #<path:/x.rkt>
            mp = mp.removeprefix("#<path:").removesuffix(">")
        elif mp.startswith("(file "):
            mp = mp.removeprefix("(file ").removesuffix(")").strip('"')
        if mp not in found:
            found.append(mp)
    return found


def _common_errors(res: ProcessResult, step: str, timeout: float | None) -> list[str]:
    text = res.stdout + res.stderr
    errors: list[str] = []
    if res.timed_out:
        errors.append(f"{step} did not finish within {timeout:g} s and was stopped")
    if _DISK_FULL.search(text):
        errors.append(f"{step}: the disk is full (No space left on device); free some space")
    return errors


def _first_lines(text: str, n: int = 3) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[:n])


async def _run(
    install: RacketInstall,
    step: str,
    argv: list[str],
    *,
    cwd: Path,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
) -> tuple[StepResult, ProcessResult | None]:
    started = time.perf_counter()
    try:
        res = await run_process(
            argv, cwd=cwd, env=env if env is not None else packaging_env(), timeout=timeout
        )
    except OSError as e:
        return StepResult(step, False, argv, errors=[f"{step}: cannot run {argv[0]}: {e}"]), None
    result = StepResult(step, res.returncode == 0 and not res.timed_out, argv)
    result.output = (res.stdout + res.stderr).strip()
    result.seconds = time.perf_counter() - started
    result.errors += _common_errors(res, step, timeout)
    return result, res


def _raco(install: RacketInstall) -> list[str]:
    if install.raco is not None:
        return [str(install.raco)]
    return [str(install.racket), "-N", "raco", "-l-", "raco"]


def module_warnings(module: Path) -> list[str]:
    """'Create executable' warnings: a module with neither a main submodule nor
    top-level effects makes an executable that does nothing."""
    try:
        src = Source(module.read_bytes())
    except OSError:
        return []
    if has_main_submodule(src) or has_top_level_effects(src):
        return []
    return [
        f"{module.name} has no `main` submodule and no top-level effects: "
        "the executable will do nothing when run"
    ]


def default_exe_path(module: Path, launcher: bool = False) -> Path:
    return module.with_suffix("")


async def create_executable(
    install: RacketInstall,
    module: Path,
    options: ExeOptions | None = None,
    *,
    timeout: float | None = 300.0,
    env: Mapping[str, str] | None = None,
) -> StepResult:
    """``raco exe`` for ``module``."""
    opts = options or ExeOptions()
    module = module.absolute()
    out = (opts.output or default_exe_path(module)).absolute()
    step = "raco exe"
    if not module.is_file():
        return StepResult(step, False, errors=[f"module not found: {module}"])
    if out.is_dir():
        return StepResult(
            step, False, errors=[f"output {out} is a directory: name a file for the executable"]
        )
    if out.exists() and not opts.overwrite:
        return StepResult(step, False, errors=[f"output exists: {out} (remove it or overwrite)"])
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [*_raco(install), "exe", "-o", str(out)]
    if opts.gui:
        argv.append("--gui")
    if opts.launcher:
        argv.append("--launcher")
    if opts.embed_dlls:
        argv.append("--embed-dlls")
    if opts.ico:
        argv += ["--ico", str(opts.ico)]
    if opts.icns:
        argv += ["--icns", str(opts.icns)]
    if opts.collects_dest:
        argv += ["--collects-dest", str(opts.collects_dest)]
    if opts.collects_path:
        argv += ["--collects-path", opts.collects_path]
    for lib in opts.libs:
        argv += ["++lib", lib]
    for aux in opts.aux:
        argv += ["++aux", str(aux)]
    argv += ["--", str(module)]
    result, _ = await _run(install, step, argv, cwd=module.parent, timeout=timeout, env=env)
    result.warnings += module_warnings(module)
    if result.ok and out.exists():
        result.outputs.append(out)
    elif result.ok:
        result.ok = False
        result.errors.append(f"raco exe exited 0 but wrote no {out}")
    elif not result.errors:
        if "source file does not exist" in result.output:
            result.errors.append(f"module not found: {module}")
        else:
            result.errors.append(
                f"raco exe failed for {module.name}: {_first_lines(result.output)}"
            )
    return result


async def create_distribution(
    install: RacketInstall,
    dest: Path,
    executables: Sequence[Path],
    *,
    collects_copy: Sequence[Path] = (),
    collects_path: str | None = None,
    timeout: float | None = 300.0,
    env: Mapping[str, str] | None = None,
) -> StepResult:
    """``raco distribute DEST EXE...`` (with ``++collects-copy`` directories)."""
    step = "raco distribute"
    dest = dest.absolute()
    missing = [str(e) for e in executables if not Path(e).is_file()]
    if missing:
        return StepResult(step, False, errors=[f"executable not found: {m}" for m in missing])
    if dest.exists() and not dest.is_dir():
        return StepResult(step, False, errors=[f"output exists and is not a directory: {dest}"])
    argv = [*_raco(install), "distribute"]
    if collects_path:
        argv += ["--collects-path", collects_path]
    for d in collects_copy:
        argv += ["++collects-copy", str(Path(d).absolute())]
    argv += ["--", str(dest), *(str(Path(e).absolute()) for e in executables)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    result, _ = await _run(install, step, argv, cwd=dest.parent, timeout=timeout, env=env)
    if result.ok:
        bins = [dest / "bin" / Path(e).name for e in executables]
        result.outputs = [dest, *(b for b in bins if b.exists())]
    elif not result.errors:
        if "is not a PLT executable" in result.output:
            result.errors.append(
                "raco distribute needs executables made by raco exe (not launchers or sources)"
            )
        else:
            result.errors.append(f"raco distribute failed: {_first_lines(result.output)}")
    return result


def bundle_method(method: str = "auto") -> str:
    """``tar`` or ``racket``.  ``auto`` picks ``tar`` on Linux when GNU tar
    is there: the same ``NAME.tgz`` layout as compiler/bundle-dist (whose
    ``.tgz`` is the Unix format), but gzip in C takes ~2 s where
    bundle-dist's pure-Racket gzip takes ~10 s.  Elsewhere bundle-dist makes
    the platform's format (``.zip`` on Windows, ``.dmg`` on Mac OS)."""
    if method in ("tar", "racket"):
        return method
    if sys.platform.startswith("linux") and shutil.which("tar") and shutil.which("gzip"):
        return "tar"
    return "racket"


async def bundle(
    install: RacketInstall,
    dist_dir: Path,
    archive_base: Path,
    *,
    method: str = "auto",
    timeout: float | None = 600.0,
    env: Mapping[str, str] | None = None,
) -> StepResult:
    """Pack ``DIST_DIR`` into ``ARCHIVE_BASE.tgz`` (entries ``NAME/...``, NAME
    being DIST_DIR's name): with compiler/bundle-dist's ``bundle-directory``
    (``method="racket"``), or with ``tar -czf`` (``method="tar"``); see
    ``bundle_method``.  Fails when the archive exists, as bundle-directory does."""
    step = "bundle"
    dist_dir = dist_dir.absolute()
    archive_base = archive_base.absolute()
    if not dist_dir.is_dir():
        return StepResult(step, False, errors=[f"distribution directory not found: {dist_dir}"])
    archive_base.parent.mkdir(parents=True, exist_ok=True)
    if bundle_method(method) == "tar":
        archive = archive_base.with_name(archive_base.name + ".tgz")
        if archive.exists():
            return StepResult(step, False, errors=[f"archive exists: {archive} (remove it first)"])
        argv = ["tar", "-czf", str(archive), "-C", str(dist_dir.parent), "--", dist_dir.name]
        tar_env = {**packaging_env(env), "LC_ALL": "C"}
        result, res = await _run(
            install, step, argv, cwd=dist_dir.parent, timeout=timeout, env=tar_env
        )
        if result.ok and archive.is_file():
            result.outputs.append(archive)
        else:
            result.ok = False
            remove_quietly(archive)
            if not result.errors:
                result.errors.append(f"tar failed: {_first_lines(result.output)}")
        return result
    argv = [str(install.racket), str(helper_path()), "bundle", str(archive_base), str(dist_dir)]
    result, res = await _run(install, step, argv, cwd=dist_dir.parent, timeout=timeout, env=env)
    if res is None:
        return result
    try:
        made = json.loads(res.stdout.strip().splitlines()[-1]).get("archive")
    except (ValueError, IndexError, AttributeError):
        made = None
    if result.ok and isinstance(made, str):
        result.outputs.append(Path(made))
        result.output = res.stderr.strip()
    else:
        result.ok = False
        if not result.errors:
            if "exists" in result.output:
                result.errors.append(f"archive exists: {archive_base}.* (remove it first)")
            else:
                result.errors.append(f"bundling failed: {_first_lines(result.output)}")
    return result


@dataclass
class SmokeRun:
    executable: str
    """Its path inside the archive, e.g. ``hello/bin/hello``."""
    ok: bool
    returncode: int | None
    output: str
    timed_out: bool
    missing_modules: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "executable": self.executable,
            "ok": self.ok,
            "returncode": self.returncode,
            "output": self.output,
            "timedOut": self.timed_out,
            "missingModules": self.missing_modules,
        }


def _extract(archive: Path, into: Path) -> list[str]:
    """Unpack a .tgz/.zip into ``into``; return member names."""
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            z.extractall(into)
            return z.namelist()
    with tarfile.open(archive, "r:*") as t:
        t.extractall(into, filter="data")
        return t.getnames()


async def smoke_run(
    archive: Path,
    executables: Sequence[str],
    *,
    timeout: float = 30.0,
    keep: bool = False,
) -> tuple[StepResult, list[SmokeRun]]:
    """Copy ``archive`` to a fresh temporary directory (outside any workspace),
    unpack it and run each executable (paths inside the archive) with no
    arguments, a scrubbed environment, HOME an empty directory and the cwd
    in the temporary directory.  The directory is removed afterwards."""
    step = "smoke run"
    started = time.perf_counter()
    result = StepResult(step, True)
    runs: list[SmokeRun] = []
    tmp = Path(tempfile.mkdtemp(prefix="raco-lsp-smoke-"))
    try:
        copy = tmp / archive.name
        try:
            await asyncio.to_thread(shutil.copy2, archive, copy)
            unpacked = tmp / "unpacked"
            unpacked.mkdir()
            await asyncio.to_thread(_extract, copy, unpacked)
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as e:
            result.ok = False
            result.errors.append(f"cannot unpack {archive.name}: {e}")
            return result, runs
        home = tmp / "home"
        home.mkdir()
        cwd = tmp / "cwd"
        cwd.mkdir()
        for rel in executables:
            exe = unpacked / rel
            if not exe.is_file():
                runs.append(SmokeRun(rel, False, None, f"{rel} is not in the archive", False))
                result.errors.append(f"{rel} is not in the archive")
                result.ok = False
                continue
            res = await run_process([str(exe)], cwd=cwd, env=smoke_env(home), timeout=timeout)
            text = (res.stdout + res.stderr).strip()
            missing = missing_modules(res.stderr)
            ok = res.returncode == 0 and not res.timed_out
            runs.append(SmokeRun(rel, ok, res.returncode, text, res.timed_out, missing))
            if ok:
                continue
            result.ok = False
            if res.timed_out:
                result.errors.append(
                    f"{rel} was still running after {timeout:g} s (stopped); a program that "
                    "waits for input or runs forever cannot be smoke-run"
                )
            elif missing:
                for mp in missing:
                    if Path(mp).is_absolute():
                        result.errors.append(
                            f"{rel}: module file {mp} is loaded at run time but is not in "
                            "the distribution (++lib takes collection paths): load it "
                            "through define-runtime-module-path-index, or put it in a "
                            "collection and rebuild with ++lib"
                        )
                        continue
                    result.errors.append(
                        f"{rel}: module {mp} is loaded at run time but is not in the "
                        f"executable: rebuild with ++lib {mp}"
                    )
                    if mp not in result.suggestions:
                        result.suggestions.append(mp)
            else:
                result.errors.append(
                    f"{rel} exited with {res.returncode}: {_first_lines(text) or '(no output)'}"
                )
        result.output = "\n".join(
            f"$ {r.executable}\n{r.output}\n[exit {r.returncode}]" for r in runs
        )
        return result, runs
    finally:
        result.seconds = time.perf_counter() - started
        if not keep:
            await asyncio.to_thread(shutil.rmtree, tmp, True)


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
    """``++lib`` module paths: from the smoke run's failures first, then the
    dynamic requires found in the sources."""
    source_suggestions: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [e for s in self.steps for e in s.errors]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "archive": str(self.archive) if self.archive else None,
            "distDir": str(self.dist_dir) if self.dist_dir else None,
            "executables": [str(p) for p in self.executables],
            "steps": [s.to_json() for s in self.steps],
            "smoke": [r.to_json() for r in self.smoke],
            "errors": self.errors,
            "suggestions": self.suggestions,
            "sourceSuggestions": self.source_suggestions,
        }


_NAME_OK = re.compile(r"[^\w.\- '\"()+,@]")


def exe_name(entry: Entry, launchers: Mapping[Path, str] | None = None) -> str:
    if entry.name:
        return entry.name
    if launchers and entry.module.absolute() in launchers:
        return launchers[entry.module.absolute()]
    return entry.module.stem


def _looks_like_distribution(d: Path) -> bool:
    try:
        return {p.name for p in d.iterdir()} <= {"bin", "lib", "collects"}
    except OSError:
        return False


async def read_info(
    install: RacketInstall, directory: Path, *, timeout: float | None = 60.0
) -> tuple[dict[str, Any], list[str]]:
    """info.rkt's collection, name and launchers (via setup/getinfo); evaluates
    info.rkt, so only for trusted folders."""
    argv = [str(install.racket), str(helper_path()), "info", str(directory.absolute())]
    try:
        res = await run_process(argv, cwd=directory, env=packaging_env(), timeout=timeout)
    except OSError as e:
        return {}, [f"cannot run racket: {e}"]
    if res.returncode != 0:
        return {}, [f"info.rkt: {_first_lines(res.stderr)}"]
    try:
        data = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}, ["info.rkt: unreadable answer from the helper"]
    return (data if isinstance(data, dict) else {}), []


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
    if not entries:
        out.steps.append(StepResult("build distribution", False, errors=["no entry modules"]))
        return out
    modules = [e.module.absolute() for e in entries]
    launchers = await launcher_names(install, modules)
    names = [exe_name(e, launchers) for e in entries]
    if len(set(names)) != len(names):
        out.steps.append(
            StepResult("build distribution", False, errors=[f"duplicate names: {names}"])
        )
        return out
    dist_name = name or names[0]
    output_dir = output_dir.absolute()
    build = output_dir / ".build"
    dist_dir = output_dir / dist_name
    smoke = smoke and archive
    total = len(entries) + 1 + (1 if archive else 0) + (1 if smoke else 0)
    done = 0
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
    shared_dir = build / "collects" if shared_collects else None

    def report(msg: str) -> None:
        if progress is not None:
            progress(msg, done, total)

    # Sources: ++lib suggestions for modules loaded at run time.
    for m in modules:
        for lib in lib_suggestions(workspace_dynamic_requires(m, _root_of(m))):
            if lib not in out.source_suggestions:
                out.source_suggestions.append(lib)

    existing = [p for p in (build, dist_dir) if p.exists()]
    archives = [p for p in output_dir.glob(f"{glob_escape(dist_name)}.*") if p.is_file()]
    archives = [p for p in archives if p.suffix in (".tgz", ".zip", ".dmg")]
    if (existing or archives) and not overwrite:
        out.steps.append(
            StepResult(
                "build distribution",
                False,
                errors=[f"output exists: {p}" for p in [*existing, *archives]],
            )
        )
        return out
    if dist_dir.exists() and not (dist_dir.is_dir() and _looks_like_distribution(dist_dir)):
        out.steps.append(
            StepResult(
                "build distribution",
                False,
                errors=[f"output exists and is not a distribution: {dist_dir}; choose another"],
            )
        )
        return out
    for p in existing:
        await asyncio.to_thread(shutil.rmtree, p, True)
    for p in archives:
        p.unlink()

    # 1. Executables.
    for entry_module, exe in zip(modules, names, strict=True):
        report(f"raco exe {entry_module.name}")
        step = await create_executable(
            install,
            entry_module,
            ExeOptions(output=build / exe, gui=gui, libs=list(libs), collects_dest=shared_dir),
            timeout=timeout,
        )
        step.warnings = warnings + step.warnings
        warnings = []
        out.steps.append(step)
        done += 1
        if not step.ok:
            return _finish(out)
        out.executables += step.outputs

    # 2. Distribution.
    report("raco distribute")
    copies = [*collects_copy, *([shared_dir] if shared_dir else [])]
    step = await create_distribution(
        install, dist_dir, out.executables, collects_copy=copies, timeout=timeout
    )
    out.steps.append(step)
    done += 1
    if not step.ok:
        return _finish(out)
    out.dist_dir = dist_dir
    if not archive:
        await asyncio.to_thread(shutil.rmtree, build, True)
        out.executables = [dist_dir / "bin" / exe for exe in names]
        report("done")
        return _finish(out)

    # 3. Archive.
    report(f"bundling {dist_name}")
    step = await bundle(install, dist_dir, output_dir / dist_name, method=bundler, timeout=timeout)
    out.steps.append(step)
    done += 1
    if not step.ok:
        return _finish(out)
    out.archive = step.outputs[0]
    # The executables are in the distribution now; the intermediate ones go.
    await asyncio.to_thread(shutil.rmtree, build, True)
    out.executables = [dist_dir / "bin" / exe for exe in names]

    # 4. Smoke run.
    if smoke:
        report("smoke run")
        step, runs = await smoke_run(
            out.archive, [f"{dist_name}/bin/{exe}" for exe in names], timeout=smoke_timeout
        )
        out.steps.append(step)
        out.smoke = runs
        done += 1
    report("done")
    return _finish(out)


def _has_main(module: Path) -> bool:
    try:
        return has_main_submodule(Source(module.read_bytes()))
    except OSError:
        return False


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


# -- raco pack / raco pkg create / launchers -----------------------------------


async def pack_collection(
    install: RacketInstall,
    collection_dir: Path,
    output: Path,
    *,
    collection: str | None = None,
    at_plt: bool = False,
    replace: bool = False,
    setup: Sequence[str] = (),
    include_compiled: bool = False,
    plt_name: str | None = None,
    exclude: Sequence[Path] = (),
    overwrite: bool = True,
    timeout: float | None = 300.0,
) -> StepResult:
    """``raco pack --collect`` of the collection in ``collection_dir``.

    raco pack finds collections through the collection paths, so the
    collection is staged under its name (``collection``, default: the
    directory's name) in a temporary directory put first in PLTCOLLECTS: a
    directory of symlinks to the collection's entries, minus ``exclude`` and
    the entry that holds ``output`` (so an output folder such as ``dist/``
    inside the collection is never packed into the archive)."""
    step = "raco pack"
    collection_dir = collection_dir.absolute()
    output = output.absolute()
    coll = collection or collection_dir.name
    if not collection_dir.is_dir():
        return StepResult(step, False, errors=[f"collection directory not found: {collection_dir}"])
    if "/" in coll or coll in ("", ".", ".."):
        return StepResult(step, False, errors=[f"not a collection name: {coll!r}"])
    if output.exists() and not overwrite:
        return StepResult(step, False, errors=[f"output exists: {output}"])
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="raco-lsp-pack-"))
    try:
        _stage(collection_dir, tmp / coll, [output, *exclude], copy=False)
        env = packaging_env()
        env["PLTCOLLECTS"] = f"{tmp}{os.pathsep}"  # the trailing separator keeps the defaults
        argv = [*_raco(install), "pack", "--collect"]
        if at_plt:
            argv.append("--at-plt")
        if replace:
            argv.append("--replace")
        if include_compiled:
            argv.append("--include-compiled")
        if plt_name:
            argv += ["--plt-name", plt_name]
        for s in setup:
            argv += ["++setup", s]
        argv += ["--", str(output), coll]
        result, _ = await _run(install, step, argv, cwd=tmp, timeout=timeout, env=env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _require_output(result, output)


def _stage(src: Path, stage: Path, leave_out: Sequence[Path], *, copy: bool) -> None:
    """Make ``stage`` stand for the directory ``src`` without the paths in
    ``leave_out`` (outputs such as ``dist/``, which must never be archived
    into themselves): directories that hold a left-out path are made anew,
    everything else is a symlink to the original (``copy=False``; enough for
    raco pack) or a copy, hard-linked where the file system allows
    (``copy=True``: raco pkg create archives symlinked directories as
    empty).  Symlinks inside ``src`` stay symlinks."""
    src_real = Path(os.path.realpath(src))
    out = {
        Path(os.path.realpath(p.absolute()))
        for p in leave_out
        if Path(os.path.realpath(p.absolute())).is_relative_to(src_real)
    }
    out.discard(src_real)

    def link_or_copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    def fill(directory: Path, into: Path) -> None:
        into.mkdir()
        for child in sorted(directory.iterdir()):
            real = Path(os.path.realpath(child)) if not child.is_symlink() else None
            if real is not None and real in out:
                continue
            if real is not None and child.is_dir() and any(o.is_relative_to(real) for o in out):
                fill(child, into / child.name)
            elif not copy:
                (into / child.name).symlink_to(child, target_is_directory=child.is_dir())
            elif child.is_dir() and not child.is_symlink():
                shutil.copytree(child, into / child.name, symlinks=True, copy_function=link_or_copy)
            elif child.is_symlink():
                (into / child.name).symlink_to(os.readlink(child))
            elif child.is_file():
                link_or_copy(str(child), str(into / child.name))

    fill(src, stage)


def _require_output(result: StepResult, output: Path) -> StepResult:
    """A raco pack run succeeded only if it wrote ``output``."""
    if result.ok and output.is_file():
        result.outputs.append(output)
    else:
        result.ok = False
        if not result.errors:
            result.errors.append(f"raco pack failed: {_first_lines(result.output)}")
    return result


async def pack_paths(
    install: RacketInstall,
    base: Path,
    paths: Sequence[str],
    output: Path,
    *,
    at_plt: bool = False,
    replace: bool = False,
    setup: Sequence[str] = (),
    plt_name: str | None = None,
    timeout: float | None = 300.0,
) -> StepResult:
    """``raco pack OUTPUT PATH...`` with paths relative to ``base`` (raco pack
    wants relative paths; it leaves ``compiled`` directories out)."""
    step = "raco pack"
    output = output.absolute()
    bad = [p for p in paths if Path(p).is_absolute() or not (base / p).exists()]
    if bad:
        return StepResult(step, False, errors=[f"not found under {base}: {b}" for b in bad])
    argv = [*_raco(install), "pack"]
    if at_plt:
        argv.append("--at-plt")
    if replace:
        argv.append("--replace")
    if plt_name:
        argv += ["--plt-name", plt_name]
    for s in setup:
        argv += ["++setup", s]
    argv += ["--", str(output), *paths]
    output.parent.mkdir(parents=True, exist_ok=True)
    result, _ = await _run(install, step, argv, cwd=base, timeout=timeout)
    return _require_output(result, output)


async def create_package_archive(
    install: RacketInstall,
    package_dir: Path,
    dest: Path,
    *,
    fmt: str = "zip",
    mode: str = "as-is",
    exclude: Sequence[Path] = (),
    timeout: float | None = 300.0,
) -> StepResult:
    """``raco pkg create --format FMT --MODE --dest DEST DIR``: the archive and
    its ``.CHECKSUM`` file, without ``dest`` and ``exclude`` when they lie
    inside the package."""
    step = "raco pkg create"
    package_dir = package_dir.absolute()
    dest = dest.absolute()
    if fmt not in ("zip", "tgz", "plt"):
        return StepResult(step, False, errors=[f"unknown format {fmt!r}: zip, tgz or plt"])
    if mode not in ("as-is", "source", "binary", "binary-lib", "built"):
        return StepResult(step, False, errors=[f"unknown mode {mode!r}"])
    if not package_dir.is_dir():
        return StepResult(step, False, errors=[f"package directory not found: {package_dir}"])
    # raco pkg create archives the whole directory: it runs on a staged copy
    # without the destination and the other ``exclude``d output folders, and
    # writes into a temporary folder, so the archive never holds itself or
    # earlier outputs, and a failed or cancelled run leaves nothing in dest.
    tmp = Path(tempfile.mkdtemp(prefix="raco-lsp-pkg-create-"))
    try:
        stage = tmp / "stage" / package_dir.name
        stage.parent.mkdir()
        _stage(package_dir, stage, [dest, *exclude], copy=True)
        made = tmp / "out"
        made.mkdir()
        argv = [*_raco(install), "pkg", "create", "--format", fmt, f"--{mode}", "--dest", str(made)]
        argv += ["--", str(stage)]
        result, _ = await _run(install, step, argv, cwd=stage.parent, timeout=timeout)
        name = f"{package_dir.name}.{fmt}"
        if result.ok and (made / name).is_file():
            dest.mkdir(parents=True, exist_ok=True)
            for f in (name, name + ".CHECKSUM"):
                if (made / f).is_file():
                    shutil.move(made / f, dest / f)
                    result.outputs.append(dest / f)
        else:
            result.ok = False
            if not result.errors:
                result.errors.append(f"raco pkg create failed: {_first_lines(result.output)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


async def create_launchers(
    install: RacketInstall,
    collection_dir: Path,
    dest: Path,
    *,
    timeout: float | None = 120.0,
    progress: ProgressFn | None = None,
) -> StepResult:
    """The launchers info.rkt names (``racket-launcher-names``/``-libraries``,
    ``gracket-…``), made with ``raco exe --launcher`` into ``dest``."""
    step = "launchers"
    collection_dir = collection_dir.absolute()
    info, problems = await read_info(install, collection_dir, timeout=timeout)
    if problems:
        return StepResult(step, False, errors=problems)
    launchers = [x for x in info.get("launchers", []) if isinstance(x, dict)]
    if not launchers:
        return StepResult(
            step,
            False,
            errors=[f"{collection_dir / 'info.rkt'} names no racket-launcher-names/-libraries"],
        )
    result = StepResult(step, True)
    started = time.perf_counter()
    for i, lau in enumerate(launchers):
        if progress is not None:
            progress(f"launcher {lau.get('name')}", i, len(launchers))
        one = await create_executable(
            install,
            collection_dir / str(lau.get("library")),
            ExeOptions(
                output=dest.absolute() / str(lau.get("name")),
                launcher=True,
                gui=lau.get("kind") == "gracket",
            ),
            timeout=timeout,
        )
        result.argv = one.argv
        result.outputs += one.outputs
        result.errors += one.errors
        result.output = "\n".join(x for x in (result.output, one.output) if x)
        result.ok = result.ok and one.ok
    result.seconds = time.perf_counter() - started
    return result


def remove_quietly(p: Path) -> None:
    with contextlib.suppress(OSError):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
