"""Run tests as ``raco test`` does, in warm Racket processes, with structured results.

``racket/data/test-runner.rkt`` is a long-lived Racket process: it plans which
files ``raco test PATH...`` would run (honouring ``info.rkt`` ``test-*`` keys,
read by Racket's own ``get-info/full``) and runs each test module in a fresh
namespace, reporting every check and test-case and the per-module summary
``raco test`` would compute in its default (process) mode.  ``TestPool`` keeps
``jobs`` such processes warm; a process that hangs past its hard deadline or
dies is killed and replaced, and the file is reported as timed out or failed.

Counting follows ``raco test``: a module that raises, exits non-zero, times
out or (in drdr mode) writes to stderr counts as 1 failure out of 1; one that
calls ``(exit 0)`` counts as 0 out of 1; otherwise the ``test-log!`` totals.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from raco_lsp.core.files import special_file
from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.racket.env import racket_env
from raco_lsp.racket.helpers import discard_compiled, helper_file
from raco_lsp.racket.jsonl import HelperDied, JsonLinesProcess
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.process import start_process
from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.tests import discover

log = logging.getLogger(__name__)

SOURCE = "raco test"
DEFAULT_TIMEOUT = 90.0
HARD_GRACE = 15.0  # seconds past a file's timeout before its process is killed
STARTUP_TIMEOUT = 60.0  # seconds for a runner process to load
TextSource = Callable[[Path], str | None]


@dataclass(frozen=True)
class TestOptions:
    """How to run: ``mode`` is ``"default"`` or ``"drdr"`` (``raco test --drdr``)."""

    __test__ = False  # not a pytest class

    mode: str = "default"
    timeout: float = DEFAULT_TIMEOUT
    submodules: tuple[str, ...] = ()
    jobs: int = 0  # 0: one per core
    ignore_stderr_patterns: tuple[str, ...] = ()
    hard_grace: float = HARD_GRACE
    """Seconds past a file's timeout before its Racket process is killed."""

    @property
    def drdr(self) -> bool:
        return self.mode == "drdr"

    def job_count(self) -> int:
        return self.jobs if self.jobs > 0 else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class PlannedFile:
    """A file ``raco test`` would run, with its ``info.rkt`` settings."""

    path: Path
    args: tuple[str, ...] = ()
    timeout: float | None = None
    lock_name: str | None = None
    ignore_stderr: Any = None
    random: bool = False


@dataclass(frozen=True)
class Plan:
    files: list[PlannedFile]
    missing: list[str]
    problems: list[str]


@dataclass(frozen=True)
class TestItemResult:
    """One check, test-case or whole-module outcome.

    ``status``: ``passed``, ``failed`` (a check failed) or ``errored`` (an
    exception, a timeout, an exit, stderr output in drdr mode).  ``kind``:
    ``check`` (a check outside any test-case), ``test-case`` or ``module``.
    ``span`` is in ``location`` (usually ``path``), None when unknown.
    """

    __test__ = False  # not a pytest class

    path: Path
    kind: str
    status: str
    name: str | None
    check: str | None
    module: str
    location: Path | None = None
    span: Span | None = None
    message: str = ""
    actual: str | None = None
    expected: str | None = None
    params: str | None = None
    expression: str | None = None
    duration: float | None = None
    extra: tuple[tuple[str, str], ...] = ()


def describe(item: TestItemResult) -> str:
    """``message (actual: A, expected: E)``, or the params when there are none."""
    text = item.message.replace("\n", " ").strip() or f"{item.check or 'check'} failed"
    if item.kind == "test-case" and item.name:
        text = f"{item.name}: {text}"
    if item.check and item.check not in text:
        text = f"{item.check}: {text}"
    if item.actual is not None or item.expected is not None:
        text += f" (actual: {item.actual}, expected: {item.expected})"
    elif item.params is not None and item.status == "failed":
        text += f" (params: {item.params})"
    return text


@dataclass
class ModuleResult:
    module: str
    status: str  # pass | fail | error | timeout | exit | stderr
    failed: int
    total: int
    message: str | None = None
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    duration: float = 0.0


@dataclass
class FileResult:
    path: Path
    modules: list[ModuleResult] = field(default_factory=list)
    items: list[TestItemResult] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.modules)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def timed_out(self) -> bool:
        return any(m.status == "timeout" for m in self.modules)

    @property
    def duration(self) -> float:
        """Seconds: the file's modules' runs."""
        return sum(m.duration for m in self.modules)

    @property
    def status(self) -> str:
        if self.timed_out:
            return "timeout"
        if any(m.status in ("error", "exit", "stderr") and m.failed for m in self.modules):
            return "error"
        return "fail" if self.failed else "pass"


@dataclass
class TestReport:
    __test__ = False  # not a pytest class

    files: list[FileResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.files)

    @property
    def total(self) -> int:
        return sum(f.total for f in self.files)

    @property
    def exit_code(self) -> int:
        """As ``raco test``: 2 on any timeout, 1 on failures or errors, else 0."""
        if any(f.timed_out for f in self.files):
            return 2
        return 1 if self.failed or self.missing else 0


ItemCallback = Callable[[TestItemResult], None]


# -- events -> records ---------------------------------------------------------


def _opt_str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _span_of_loc(loc: Any, text_of: TextSource) -> tuple[Path, Span] | None:
    if not isinstance(loc, dict):
        return None
    source = loc.get("source")
    if not isinstance(source, str) or not os.path.isabs(source):
        return None
    text = text_of(Path(source))
    if text is None:
        return None
    span = TextIndex(text).span_of(
        loc.get("line"), loc.get("column"), loc.get("position"), loc.get("span")
    )
    return Path(source), span


def _where(ev: Mapping[str, Any], text_of: TextSource) -> tuple[Path, Span] | None:
    raw = ev.get("info")
    info: dict[str, Any] = raw if isinstance(raw, dict) else {}
    candidates = [info.get("location"), ev.get("context"), *list(ev.get("srclocs") or [])]
    for loc in candidates:
        found = _span_of_loc(loc, text_of)
        if found is not None:
            return found
    return None


_STATUS = {"success": "passed", "failure": "failed", "error": "errored"}


def item_of_event(
    path: Path, module: str, ev: Mapping[str, Any], text_of: TextSource = read_source
) -> TestItemResult | None:
    """A ``check`` or ``test-case`` event as a ``TestItemResult``."""
    kind = ev.get("event")
    if kind not in ("check", "test-case"):
        return None
    raw = ev.get("info")
    info: dict[str, Any] = raw if isinstance(raw, dict) else {}
    where = _where(ev, text_of)
    message = _opt_str(info.get("message")) or _opt_str(ev.get("message")) or ""
    status = _STATUS.get(str(ev.get("status")), "errored")
    if status == "failed" and not message:
        message = f"{info.get('name', 'check')} failed"
    duration = ev.get("duration_ms")
    extra = tuple(
        (str(k), str(v))
        for k, v in (info.get("other") or [])
        if isinstance(k, str) and isinstance(v, str)
    )
    return TestItemResult(
        path=path,
        kind=str(kind),
        status=status,
        name=_opt_str(ev.get("name")) if kind == "test-case" else _opt_str(info.get("name")),
        check=_opt_str(info.get("name")),
        module=module,
        location=where[0] if where else None,
        span=where[1] if where else None,
        message=message,
        actual=_opt_str(info.get("actual")),
        expected=_opt_str(info.get("expected")),
        params=_opt_str(info.get("params")),
        expression=_opt_str(info.get("expression")),
        duration=duration / 1000.0 if isinstance(duration, int | float) else None,
        extra=extra,
    )


def module_of_event(ev: Mapping[str, Any]) -> ModuleResult:
    def num(key: str) -> int:
        v = ev.get(key)
        return v if isinstance(v, int) else 0

    duration = ev.get("duration_ms")
    code = ev.get("exit_code")
    return ModuleResult(
        module=str(ev.get("module", "")),
        status=str(ev.get("status", "error")),
        failed=num("failed"),
        total=num("total"),
        message=_opt_str(ev.get("message")),
        stdout=str(ev.get("stdout") or ""),
        stderr=str(ev.get("stderr") or ""),
        exit_code=code if isinstance(code, int) else None,
        duration=duration / 1000.0 if isinstance(duration, int | float) else 0.0,
    )


def module_item(
    path: Path,
    ev: Mapping[str, Any],
    mod: ModuleResult,
    text_of: TextSource = read_source,
    duration: float | None = None,
) -> TestItemResult | None:
    """An item for a module that did not finish normally (error, timeout,
    exit...); ``duration``: the module's time its other results do not cover."""
    if mod.status in ("pass", "fail"):
        return None
    where = _where(ev, text_of)
    return TestItemResult(
        path=path,
        kind="module",
        status="passed" if mod.failed == 0 else "errored",
        name=mod.module,
        check=None,
        module=mod.module,
        location=where[0] if where else None,
        span=where[1] if where else None,
        message=f"raco test: {mod.message}" if mod.message else f"raco test: {mod.status}",
        duration=mod.duration if duration is None else duration,
    )


def placed(item: TestItemResult, text_of: TextSource = read_source) -> TestItemResult:
    """Give a location-less result a place in its file: the test-case of that
    name, else the test submodule's head, else the first line."""
    if item.span is not None:
        return item
    text = text_of(item.path)
    if text is None:
        return item
    nodes = [n for root in discover(Source.from_text(text), ("test",)) for n in root.walk()]
    span: Span | None = None
    if item.kind == "test-case":
        span = next(
            (
                n.span
                for n in nodes
                if n.kind in ("test-case", "test-suite") and n.name == item.name
            ),
            None,
        )
    if span is None:
        sub = item.module.rstrip(")").rsplit(" ", 1)[-1] if item.module.startswith("(") else ""
        span = next(
            (
                Span(n.span.start, n.name_span.end if n.name_span else n.span.start)
                for n in nodes
                if n.kind == "submodule" and n.name == sub
            ),
            None,
        )
    if span is None:
        span = TextIndex(text).first_line()
    return replace(item, location=item.path, span=span)


# -- failures only rackunit's printout knows about (test-suite runs) -----------

_RULE = "-" * 20
_KEY = re.compile(r"^([a-z][a-z0-9-]*):\s*(.*)$")
_LOCATION = re.compile(r"^(.*):(\d+):(\d+)$")


@dataclass(frozen=True)
class PrintedFailure:
    """One ``--------------------`` block rackunit printed to stderr."""

    names: tuple[str, ...]  # test-case (and suite) names, outermost first
    status: str  # failed | errored
    fields: tuple[tuple[str, str], ...]
    message: str

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.fields if k == key), None)


def parse_printed_failures(stderr: str) -> list[PrintedFailure]:
    """rackunit's FAILURE/ERROR blocks, as printed by raco test and text-ui."""
    out: list[PrintedFailure] = []
    block: list[str] | None = None
    for line in stderr.splitlines():
        if line == _RULE:
            if block is not None:
                parsed = _parse_block(block)
                if parsed is not None:
                    out.append(parsed)
                block = None
            else:
                block = []
        elif block is not None:
            block.append(line)
    return out


def _parse_block(lines: list[str]) -> PrintedFailure | None:
    try:
        at = next(i for i, text in enumerate(lines) if text in ("FAILURE", "ERROR"))
    except StopIteration:
        return None
    names: tuple[str, ...] = ()
    if at > 0:
        names = tuple(n.strip() for n in lines[at - 1].split(" > "))
    fields: list[tuple[str, str]] = []
    rest: list[str] = []
    in_message = False  # after a blank line: the error's message
    for line in lines[at + 1 :]:
        m = _KEY.match(line)
        if not line and not in_message:
            in_message = True
        elif in_message:
            rest.append(line)
        elif m:
            fields.append((m.group(1), m.group(2)))
        elif line.startswith(" ") and fields:
            k, v = fields[-1]
            fields[-1] = (k, (v + "\n" + line.strip()).strip())
    status = "failed" if lines[at] == "FAILURE" else "errored"
    message = "\n".join(rest).strip()
    return PrintedFailure(names, status, tuple(fields), message)


def _unquote(v: str | None) -> str | None:
    if v is not None and len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return v


def printed_items(
    path: Path,
    module: str,
    printed: list[PrintedFailure],
    seen: list[TestItemResult],
    text_of: TextSource,
) -> list[TestItemResult]:
    """Items for printed failures that no observed result accounts for."""
    located = {
        (i.location, i.span.start.line, i.span.start.col)
        for i in seen
        if i.status != "passed" and i.span is not None
    }
    out: list[TestItemResult] = []
    for p in printed:
        where: tuple[Path, Span] | None = None
        loc = p.get("location")
        m = _LOCATION.match(loc) if loc else None
        if m:
            file = (path.parent / m.group(1)).resolve()
            text = text_of(file)
            if text is not None:
                index = TextIndex(text)
                start = index.pos_of_line_column(int(m.group(2)), int(m.group(3)))
                where = file, Span(start, Pos(start.line, len(index.lines[start.line])))
        if where is not None and (where[0], where[1].start.line, where[1].start.col) in located:
            continue  # already reported with full details
        if (
            where is None
            and p.names
            and any(i.kind == "test-case" and i.name == p.names[-1] for i in seen)
        ):
            continue
        out.append(
            TestItemResult(
                path=path,
                kind="test-case" if p.names else "check",
                status=p.status,
                name=p.names[-1] if p.names else p.get("name"),
                check=p.get("name"),
                module=module,
                location=where[0] if where else None,
                span=where[1] if where else None,
                message=_unquote(p.get("message")) or p.message or f"{p.get('name')} failed",
                actual=p.get("actual"),
                expected=p.get("expected"),
                params=p.get("params"),
                expression=p.get("expression"),
            )
        )
    return out


# -- one warm runner -----------------------------------------------------------


class RunnerDied(Exception):
    pass


class Runner:
    """One ``test-runner.rkt`` process, started when first asked."""

    def __init__(
        self,
        install: RacketInstall,
        env: Mapping[str, str],
        cwd: Path,
        wrapper: Sequence[str] = (),
    ) -> None:
        self._install = install
        self._env = dict(env)
        self._cwd = cwd
        self._wrapper = list(wrapper)
        self._helper: JsonLinesProcess | None = None

    async def _ensure(self) -> JsonLinesProcess:
        if self._helper is None or not self._helper.running:
            if self._helper is not None:
                await self._helper.kill()  # reaped and forgotten

            async def start() -> asyncio.subprocess.Process:
                racket = str(self._install.racket)
                runner = str(helper_file(self._install, "test-runner.rkt"))
                # -N: tests see (find-system-path 'run-file) as racket itself,
                # as in raco test's child process (`command-line`'s program name).
                return await start_process(
                    [*self._wrapper, racket, "-N", racket, "-t", runner],
                    cwd=self._cwd,
                    env=self._env,
                )

            self._helper = None
            # Start-up (loading rackunit...) does not count against a test's timeout.
            for again in (True, False):
                try:
                    self._helper = await JsonLinesProcess.start(
                        "test runner", start, ready_timeout=STARTUP_TIMEOUT
                    )
                except TimeoutError as e:
                    raise RunnerDied(
                        f"the test runner did not start within {STARTUP_TIMEOUT:g} s"
                    ) from e
                except HelperDied as e:
                    if again and discard_compiled(self._install, e):
                        continue  # the compiled copy would not load: from source
                    raise RunnerDied(str(e)) from e
                break
        assert self._helper is not None
        return self._helper

    async def kill(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            await helper.kill()

    async def close(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            await helper.close()

    async def request(
        self,
        req: dict[str, Any],
        until: Iterable[str],
        on_event: Callable[[dict[str, Any]], None],
        deadline: float | None,
        grace: float | None = None,
    ) -> bool:
        """Send ``req``; feed events to ``on_event`` until one of kind in
        ``until`` (or ``runner-error``).  False when the deadline (seconds from
        now) passed (the process is then killed); ``RunnerDied`` when the
        process died.  With ``grace``, a ``module`` event carrying the module's
        own timeout moves the deadline to that timeout plus ``grace``."""
        helper = await self._ensure()
        stop = set(until) | {"runner-error"}
        loop = asyncio.get_running_loop()
        until_time = None if deadline is None else loop.time() + deadline
        try:
            with await helper.request(req) as pending:
                while True:
                    remaining = None if until_time is None else max(0.0, until_time - loop.time())
                    ev = await asyncio.wait_for(pending.next(), remaining)
                    if "event" not in ev:
                        continue
                    on_event(ev)
                    if ev["event"] in stop:
                        return True
                    seconds = ev.get("timeout")
                    if (
                        ev["event"] == "module"
                        and grace is not None
                        and isinstance(seconds, int | float)
                    ):
                        # The module's own timeout (config submodule) rules.
                        until_time = loop.time() + seconds + grace
        except TimeoutError:
            await self.kill()
            return False
        except HelperDied as e:
            await self.kill()
            raise RunnerDied(str(e)) from e
        except BaseException:
            await self.kill()
            raise


# -- the pool --------------------------------------------------------------------


def runs_configure_runtime(options: TestOptions, path_count: int) -> bool:
    """Whether ``raco test`` runs a module's ``configure-runtime`` submodule first:
    not with ``-s``, nor for several PATHs outside ``--drdr`` (they run in process
    mode without it; one PATH, even a directory, keeps it: docs/racket-facts.md §14)."""
    return not options.submodules and (options.drdr or path_count <= 1)


def runner_env(options: TestOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = racket_env(base)
    if options.drdr:
        env["PLT_PKG_BUILD_SERVICE"] = "1"
    return env


class TestPool:
    """``jobs`` warm runners; files are dealt to whichever is free."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        install: RacketInstall,
        options: TestOptions,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        wrapper: Sequence[str] = (),
    ) -> None:
        """``wrapper``: an argv prefix for each runner (``unshare -n``: no network)."""
        self.install = install
        self.options = options
        env_ = runner_env(options, env)
        cwd_ = cwd or Path.cwd()
        self._runners = [Runner(install, env_, cwd_, wrapper) for _ in range(options.job_count())]
        self._idle: asyncio.Queue[Runner] = asyncio.Queue()
        for r in self._runners:
            self._idle.put_nowait(r)

    async def close(self) -> None:
        await asyncio.gather(*(r.close() for r in self._runners), return_exceptions=True)

    async def plan(self, paths: Sequence[Path]) -> Plan:
        runner = await self._idle.get()
        result: dict[str, Any] = {}
        try:

            def keep(ev: dict[str, Any]) -> None:
                result.update(ev)

            ok = await runner.request(
                {
                    "op": "plan",
                    "paths": [str(p) for p in paths],
                    "check_suffix": self.options.drdr,
                },
                ["plan"],
                keep,
                120.0,
            )
        except RunnerDied as e:
            return Plan([], [], [f"the Racket test runner failed: {e}"])
        finally:
            self._idle.put_nowait(runner)
        if not ok or result.get("event") != "plan":
            return Plan([], [], [str(result.get("message", "planning tests timed out"))])
        files = [
            PlannedFile(
                path=Path(str(f["file"])),
                args=tuple(str(a) for a in f.get("args") or []),
                timeout=float(f["timeout"]) if isinstance(f.get("timeout"), int | float) else None,
                lock_name=_opt_str(f.get("lock_name")),
                ignore_stderr=f.get("ignore_stderr"),
                random=bool(f.get("random")),
            )
            for f in result.get("files") or []
            if isinstance(f, dict) and "file" in f and special_file(str(f["file"])) is None
        ]
        problems = [
            f"{p.get('dir')}/info.rkt: {p.get('message')}"
            for p in result.get("problems") or []
            if isinstance(p, dict)
        ]
        return Plan(files, [str(m) for m in result.get("missing") or []], problems)

    async def run_file(
        self,
        planned: PlannedFile,
        on_item: ItemCallback | None = None,
        text_of: TextSource = read_source,
        *,
        path_count: int = 1,
    ) -> FileResult:
        """Run one planned file; ``path_count`` is how many PATHs the run was given."""
        o = self.options
        timeout = planned.timeout if planned.timeout is not None else o.timeout
        req = {
            "op": "run",
            "file": str(planned.path),
            "submodules": list(o.submodules or ("test",)),
            "first_avail": o.drdr,
            "run_if_absent": True,
            "configure_runtime": runs_configure_runtime(o, path_count),
            "args": list(planned.args),
            "timeout": int(timeout) if float(timeout).is_integer() else timeout,
            "check_stderr": o.drdr,
            "ignore_stderr": planned.ignore_stderr,
            "ignore_stderr_patterns": list(o.ignore_stderr_patterns),
            "lock_name": planned.lock_name,
            "random": planned.random,
            "fresh_user": o.drdr,
        }
        result = FileResult(planned.path)
        current: list[str] = [""]
        # A module's latest check or test-case is held until the next result
        # or the module's end: the last one's time runs to the module's end,
        # so a module's results add up to its run.
        held: list[TestItemResult] = []
        spent = [0.0]  # seconds of the current module its results account for

        def send(item: TestItemResult) -> None:
            item = placed(item, text_of)
            result.items.append(item)
            if on_item:
                on_item(item)

        def release(tail: float = 0.0) -> None:
            if held:
                item = held.pop()
                if tail > 0 and item.duration is not None:
                    item = replace(item, duration=item.duration + tail)
                send(item)

        def add(item: TestItemResult) -> None:
            release()
            send(item)

        def on_event(ev: dict[str, Any]) -> None:
            kind = ev.get("event")
            if kind == "module":
                current[0] = str(ev.get("module", ""))
                spent[0] = 0.0
            elif kind in ("check", "test-case"):
                item = item_of_event(planned.path, current[0], ev, text_of)
                if item is not None:
                    release()
                    held.append(item)
                    spent[0] += item.duration or 0.0
            elif kind == "module-done":
                mod = module_of_event(ev)
                result.modules.append(mod)
                tail = max(0.0, mod.duration - spent[0])
                extra = module_item(planned.path, ev, mod, text_of, tail)
                release(0.0 if extra is not None else tail)
                tests_failed = ev.get("tests_failed")
                seen = [i for i in result.items if i.module == current[0] and i.status != "passed"]
                if (
                    mod.status == "fail"
                    and isinstance(tests_failed, int)
                    and tests_failed > len(seen)
                ):
                    # Failures rackunit counted but did not let us observe
                    # (test-suite runs): what it printed says where.
                    printed = printed_items(
                        planned.path,
                        mod.module,
                        parse_printed_failures(mod.stderr),
                        seen,
                        text_of,
                    )
                    for item in printed[: tests_failed - len(seen)]:
                        add(item)
                current[0] = ""
                if extra is not None:
                    add(extra)
            elif kind == "runner-error":
                self._unfinished(result, current[0], "error", str(ev.get("message")), add)

        runner = await self._idle.get()
        try:
            ok = await runner.request(req, ["done"], on_event, timeout + o.hard_grace, o.hard_grace)
            if not ok:
                self._unfinished(
                    result,
                    current[0],
                    "timeout",
                    f"timeout after {timeout:g} seconds (the test process was killed)",
                    add,
                )
        except RunnerDied as e:
            self._unfinished(result, current[0], "error", f"the test process died: {e}", add)
        finally:
            self._idle.put_nowait(runner)
        release()
        return result

    def _unfinished(
        self,
        result: FileResult,
        module: str,
        status: str,
        message: str,
        add: ItemCallback,
    ) -> None:
        if not module and result.modules:
            return
        mod = ModuleResult(module or str(result.path), status, 1, 1, message)
        result.modules.append(mod)
        add(
            TestItemResult(
                result.path, "module", "errored", mod.module, None, mod.module, message=message
            )
        )


async def run_tests(
    install: RacketInstall,
    paths: Sequence[Path],
    options: TestOptions = TestOptions(),
    *,
    on_item: ItemCallback | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    pool: TestPool | None = None,
    text_of: TextSource = read_source,
    env: Mapping[str, str] | None = None,
) -> TestReport:
    """Plan and run the tests under ``paths`` (files or directories)."""
    own = pool is None
    pool_ = pool or TestPool(install, options, env=env)
    try:
        plan = await pool_.plan(paths)
        report = TestReport(missing=plan.missing, problems=plan.problems)

        async def one(f: PlannedFile) -> FileResult:
            r = await pool_.run_file(f, on_item, text_of, path_count=len(paths))
            if on_file:
                on_file(r)
            return r

        report.files = list(await asyncio.gather(*(one(f) for f in plan.files)))
        return report
    finally:
        if own:
            await pool_.close()
