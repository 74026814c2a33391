"""``raco pack`` (a collection, or paths) and ``raco pkg create``.  Both run
on a staged view of the directory without its outputs (``_stage``), so an
archive never holds itself or earlier builds."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import (
    StepResult,
    first_lines,
    packaging_env,
    raco_argv,
    run_step,
)


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
        argv = [*raco_argv(install), "pack", "--collect"]
        argv += _pack_flags(at_plt, replace, include_compiled, plt_name, setup)
        argv += ["--", str(output), coll]
        result, _ = await run_step(step, argv, cwd=tmp, timeout=timeout, env=env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _require_output(result, output)


def _pack_flags(
    at_plt: bool, replace: bool, include_compiled: bool, plt_name: str | None, setup: Sequence[str]
) -> list[str]:
    flags = []
    if at_plt:
        flags.append("--at-plt")
    if replace:
        flags.append("--replace")
    if include_compiled:
        flags.append("--include-compiled")
    if plt_name:
        flags += ["--plt-name", plt_name]
    for s in setup:
        flags += ["++setup", s]
    return flags


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
            result.errors.append(f"raco pack failed: {first_lines(result.output)}")
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
    argv = [*raco_argv(install), "pack", *_pack_flags(at_plt, replace, False, plt_name, setup)]
    argv += ["--", str(output), *paths]
    output.parent.mkdir(parents=True, exist_ok=True)
    result, _ = await run_step(step, argv, cwd=base, timeout=timeout)
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
        argv = [*raco_argv(install), "pkg", "create", "--format", fmt, f"--{mode}"]
        argv += ["--dest", str(made), "--", str(stage)]
        result, _ = await run_step(step, argv, cwd=stage.parent, timeout=timeout)
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
                result.errors.append(f"raco pkg create failed: {first_lines(result.output)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result
