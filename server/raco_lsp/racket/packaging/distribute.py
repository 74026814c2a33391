"""``raco distribute``, bundling a distribution into ``NAME.tgz``, and the
smoke run: every executable run from a copy of the archive unpacked in a fresh
temporary directory, with a scrubbed environment (no PLT* variables, HOME an
empty directory, cwd there)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import (
    StepResult,
    first_lines,
    helper_path,
    packaging_env,
    raco_argv,
    remove_quietly,
    run_step,
)
from raco_lsp.racket.process import run_process

_MISSING_COLLECTION = re.compile(
    r"(?:collection not found|cannot open module file)[^\n]*\n(?:.*\n)*?\s*"
    r"(?:for module path|module path): (?P<mp>[^\n]+)"
)


def smoke_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A scrubbed environment for running a distributed program: no PLT*
    variables, HOME an empty directory, only PATH/LANG/LC_*/TERM kept."""
    src = os.environ if base is None else base
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home)}
    for k, v in src.items():
        if (k in ("LANG", "TERM") or k.startswith("LC_")) and not k.startswith("PLT"):
            env[k] = v
    return env


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
    argv = [*raco_argv(install), "distribute"]
    if collects_path:
        argv += ["--collects-path", collects_path]
    for d in collects_copy:
        argv += ["++collects-copy", str(Path(d).absolute())]
    argv += ["--", str(dest), *(str(Path(e).absolute()) for e in executables)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    result, _ = await run_step(step, argv, cwd=dest.parent, timeout=timeout, env=env)
    if result.ok:
        bins = [dest / "bin" / Path(e).name for e in executables]
        result.outputs = [dest, *(b for b in bins if b.exists())]
    elif not result.errors:
        if "is not a PLT executable" in result.output:
            result.errors.append(
                "raco distribute needs executables made by raco exe (not launchers or sources)"
            )
        else:
            result.errors.append(f"raco distribute failed: {first_lines(result.output)}")
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
        result, res = await run_step(step, argv, cwd=dist_dir.parent, timeout=timeout, env=tar_env)
        if result.ok and archive.is_file():
            result.outputs.append(archive)
        else:
            result.ok = False
            remove_quietly(archive)
            if not result.errors:
                result.errors.append(f"tar failed: {first_lines(result.output)}")
        return result
    argv = [str(install.racket), str(helper_path()), "bundle", str(archive_base), str(dist_dir)]
    result, res = await run_step(step, argv, cwd=dist_dir.parent, timeout=timeout, env=env)
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
                result.errors.append(f"bundling failed: {first_lines(result.output)}")
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
    args: Sequence[str] = (),
    keep: bool = False,
) -> tuple[StepResult, list[SmokeRun]]:
    """Copy ``archive`` to a fresh temporary directory (outside any workspace),
    unpack it and run each executable (paths inside the archive) with
    ``args``, an empty stdin, a scrubbed environment, HOME an empty directory
    and the cwd in the temporary directory.  The directory is removed afterwards.

    A missing module or a timeout fails the run; any other non-zero exit is a
    warning with the output (a command-line program may need arguments)."""
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
            res = await run_process(
                [str(exe), *args], cwd=cwd, env=smoke_env(home), timeout=timeout
            )
            text = (res.stdout + res.stderr).strip()
            missing = missing_modules(res.stderr)
            ok = res.returncode == 0 and not res.timed_out
            runs.append(SmokeRun(rel, ok, res.returncode, text, res.timed_out, missing))
            if ok:
                continue
            if not res.timed_out and not missing:
                shown = " ".join(args) if args else "no arguments"
                result.warnings.append(
                    f"{rel} exited with {res.returncode} (run with {shown} and an empty "
                    f"stdin; set raco-lsp.smokeArgs to pass arguments): "
                    f"{first_lines(text) or '(no output)'}"
                )
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
        result.output = "\n".join(
            f"$ {r.executable}\n{r.output}\n[exit {r.returncode}]" for r in runs
        )
        return result, runs
    finally:
        result.seconds = time.perf_counter() - started
        if not keep:
            await asyncio.to_thread(shutil.rmtree, tmp, True)
