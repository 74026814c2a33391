"""``raco exe``: executables (``ExeOptions``) and the launchers info.rkt names."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.files import read_file
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.packaging.common import (
    ProgressFn,
    StepResult,
    first_lines,
    raco_argv,
    read_info,
    run_step,
)
from raco_lsp.syntax.dynamic_requires import has_main_submodule, has_top_level_effects
from raco_lsp.syntax.parser import Source


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


def module_warnings(module: Path) -> list[str]:
    """'Create executable' warnings: a module with neither a main submodule nor
    top-level effects makes an executable that does nothing."""
    data, _ = read_file(module)
    if data is None:
        return []
    src = Source(data)
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
    argv = [*raco_argv(install), "exe", "-o", str(out)]
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
    result, _ = await run_step(step, argv, cwd=module.parent, timeout=timeout, env=env)
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
            result.errors.append(f"raco exe failed for {module.name}: {first_lines(result.output)}")
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
