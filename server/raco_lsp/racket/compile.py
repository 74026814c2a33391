"""Compile modules with compiler/cm (the compile manager ``raco make`` uses) in
a Racket subprocess, and turn what it reports into ``Problem`` records."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raco_lsp.core.records import Problem, Related, Severity, Span
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import run_process
from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.requires import extract_requires, spec_names_file

SOURCE = "raco make"
TextSource = Callable[[Path], str | None]
_LANG_LINE = re.compile(r"^[ \t]*#lang\b.*$", re.MULTILINE)


@dataclass
class FileOutcome:
    """What happened to one requested file."""

    path: Path
    ok: bool = False
    finished: bool = False
    output: str = ""


@dataclass
class CompileRun:
    """The result of one compile request (one or more files)."""

    files: dict[Path, FileOutcome] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    compiled: list[Path] = field(default_factory=list)
    touched: list[Path] = field(default_factory=list)
    timed_out: bool = False
    crashed: str | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.timed_out
            and self.crashed is None
            and all(f.ok for f in self.files.values())
            and not any(p.severity is Severity.ERROR for p in self.problems)
        )

    def failure(self, target: Path) -> str | None:
        """None when ``target`` compiled; else the first line of the first
        error (one reported in ``target`` first)."""
        outcome = self.files.get(target)
        if outcome is not None and outcome.ok and not self.timed_out and self.crashed is None:
            return None
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        first = next((p for p in errors if p.path == target), errors[0] if errors else None)
        if first is not None:
            return first.message.strip().split("\n", 1)[0]
        return self.crashed or "no error reported"


def timeout_message(timeout: float | None) -> str:
    return (
        f"compilation did not finish within {timeout or 0:g} s and was stopped "
        "(raco-lsp.compileTimeout); a macro may be looping"
    )


def unfinished_problem(
    run: CompileRun, files: Sequence[Path], message: str, code: str, text_of: TextSource
) -> None:
    """Report ``message`` on each of ``files`` that did not finish compiling."""
    for f in files:
        outcome = run.files.get(f)
        if outcome is None or not outcome.finished:
            run.problems.append(
                Problem(f, _first_line(f, text_of), Severity.ERROR, message, SOURCE, code=code)
            )


async def compile_modules(
    install: RacketInstall,
    files: Sequence[Path],
    *,
    roots: Iterable[Path] = (),
    timeout: float | None = 60.0,
    text_of: TextSource = read_source,
    env: Mapping[str, str] | None = None,
) -> CompileRun:
    """Compile ``files`` (absolute paths) and report problems.

    Never raises for compile failures, a timeout or a crashed Racket: they
    are reported as problems on the files concerned.
    """
    argv = [str(install.racket), str(data_file("compile.rkt"))]
    for root in roots:
        argv += ["--root", str(root)]
    argv += ["--", *(str(f) for f in files)]
    cwd = files[0].parent if files else Path.cwd()
    result = await run_process(argv, cwd=cwd, env=racket_env(env), timeout=timeout)
    run = parse_events(result.stdout.splitlines(), files, text_of)
    if result.timed_out:
        run.timed_out = True
        unfinished_problem(run, files, timeout_message(timeout), "timeout", text_of)
    elif not any(o.finished for o in run.files.values()) or (
        result.returncode not in (0, 1) and not all(o.finished for o in run.files.values())
    ):
        detail = (result.stderr.strip() or f"exit code {result.returncode}").splitlines()
        run.crashed = "\n".join(detail[:20])
        message = f"the Racket compile process failed: {run.crashed}"
        unfinished_problem(run, files, message, "crash", text_of)
    return run


def parse_events(
    lines: Iterable[str], files: Sequence[Path], text_of: TextSource = read_source
) -> CompileRun:
    """Fold the helper's JSON-lines events into a ``CompileRun``."""
    run = CompileRun(files={f: FileOutcome(f) for f in files})
    by_str = {str(f): f for f in files}
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if not isinstance(ev, dict):
            continue
        kind = ev.get("event")
        target = by_str.get(str(ev.get("file")))
        if kind == "compiled":
            run.compiled.append(Path(str(ev["file"])))
        elif kind == "touched":
            run.touched.append(Path(str(ev["file"])))
        elif kind == "output" and target is not None:
            run.files[target].output += str(ev.get("text", ""))
        elif kind == "done" and target is not None:
            run.files[target].finished = True
            run.files[target].ok = bool(ev.get("ok"))
        elif kind == "error":
            origin = target or Path(str(ev.get("file")))
            for p in error_problems(ev, origin, text_of):
                if p not in run.problems:
                    run.problems.append(p)
    return run


def _first_line(path: Path, text_of: TextSource) -> Span:
    text = text_of(path)
    return TextIndex(text).first_line() if text is not None else Span.at_line_start()


def _lang_line(path: Path, text_of: TextSource) -> Span:
    text = text_of(path)
    if text is None:
        return Span.at_line_start()
    index = TextIndex(text)
    m = _LANG_LINE.search(text)
    if m is None:
        return index.first_line()
    line = text.count("\n", 0, m.start())
    return Span(index.pos_of_line_column(line + 1, 0), index.pos_of_line_column(line + 1, 10**9))


def _tidy(message: str) -> str:
    """Drop the long collection-directory listing from module-not-found errors."""
    lines = message.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "in collection directories:":
            return "\n".join(lines[:i])
    return message


def error_problems(ev: Mapping[str, Any], origin: Path, text_of: TextSource) -> list[Problem]:
    """One error event: the problem where it happened, plus one on each
    ``require`` along the compilation-context chain that pulled it in."""
    message = _tidy(str(ev.get("message", "")))
    context = [Path(str(p)) for p in ev.get("context", []) if p]
    srclocs = [s for s in ev.get("srclocs", []) if isinstance(s, dict)]
    kind = str(ev.get("kind", "error"))

    where: Path | None = None
    span: Span | None = None
    for loc in srclocs:
        source = loc.get("source")
        if isinstance(source, str) and os.path.isabs(source):
            text = text_of(Path(source))
            if text is None:
                continue
            where = Path(source)
            span = TextIndex(text).span_of(
                loc.get("line"), loc.get("column"), loc.get("position"), loc.get("span")
            )
            break
    if where is None or span is None:
        where = context[0] if context else origin
        span = (
            _lang_line(where, text_of)
            if "/lang/reader" in message or "#lang" in message
            else _first_line(where, text_of)
        )
    primary = Problem(where, span, Severity.ERROR, message, SOURCE, code=kind)
    problems = [primary]

    # context is innermost first: context[i] was required by context[i + 1].
    # When the requested file itself was up to date and compiler/cm rebuilt a
    # stale dependency while checking it, the file is not on the chain.
    if context and context[-1] != origin:
        context.append(origin)
    headline = message.splitlines()[0] if message else "compilation failed"
    for dependency, dependent in itertools.pairwise(context):
        if dependent == where:
            continue
        site = require_site(dependent, dependency, text_of)
        if site is not None:
            text = f"required module {dependency.name} failed to compile: {headline}"
        else:
            site = _first_line(dependent, text_of)
            text = (
                f"module {dependency.name}, required through another module, "
                f"failed to compile: {headline}"
            )
        problems.append(
            Problem(
                dependent,
                site,
                Severity.ERROR,
                text,
                SOURCE,
                code="dependency",
                related=(Related(where, span, message),),
            )
        )
    return problems


def require_site(dependent: Path, dependency: Path, text_of: TextSource) -> Span | None:
    """The range of the require spec in ``dependent`` that names ``dependency``,
    or None when no spec names it directly."""
    text = text_of(dependent)
    if text is None:
        return None
    for spec in extract_requires(Source.from_text(text)):
        if spec_names_file(spec, dependent, dependency):
            return spec.span
    return None
