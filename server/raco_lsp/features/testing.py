"""raco test in the editor: discovery, runs with streamed results, diagnostics
at failing checks, "Run tests" code lenses.

Custom requests (wire shapes in lsp/protocol.py; README.md, "Tests"):

- ``raco/discoverTests`` ``{uri?}`` -> ``{items: [TestItem]}``: per file, its
  test submodules, test-case/test-suite/test-begin groups and checks with
  ranges (tree-sitter; works in untrusted folders).
- ``raco/runTests`` ``{uris?, ids?, mode?}`` -> summary; streams
  ``raco/testResult`` notifications per item, then one per file.
- notification ``raco/testItems`` ``{uri, items}`` when an open file changes.
- command ``raco-lsp.runTests`` (the code lenses): as ``raco/runTests``.

Running executes workspace code: never when ``raco-lsp.trusted`` is false.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.core.text import read_source
from raco_lsp.features.compile_on_save import CompileOnSave
from raco_lsp.info.omits import raco_test_omit_rules
from raco_lsp.lsp import protocol
from raco_lsp.lsp.diagnostics import RangeConverter, publish_owned
from raco_lsp.lsp.feature import Feature, command, request
from raco_lsp.lsp.progress import work_done
from raco_lsp.lsp.protocol import (
    DiscoverTestsParams,
    DiscoverTestsResult,
    RunFileSummary,
    RunTestsParams,
    RunTestsResult,
    ServerFileResult,
    ServerTestItem,
    ServerTestResult,
    TestItemsParams,
    TestLocation,
)
from raco_lsp.racket.testing import (
    SOURCE,
    FileResult,
    TestItemResult,
    TestOptions,
    TestPool,
    run_tests,
)
from raco_lsp.racket.workspace import walk_files
from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.tests import TestNode, discover

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

SUFFIXES = (".rkt", ".ss", ".scm", ".scrbl", ".rktl")


class TestFeature(Feature):
    """Test discovery and runs, their diagnostics and code lenses."""

    __test__ = False  # not a pytest class

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self._pools: dict[tuple[Any, ...], TestPool] = {}
        self._retiring: set[asyncio.Future[None]] = set()
        # test file -> {file where a problem is -> problems}
        self._owned: dict[Path, dict[Path, list[Problem]]] = {}

    # -- discovery ------------------------------------------------------------

    def text_of(self, path: Path) -> str | None:
        text = self.server.open_text(path)
        return text if text is not None else read_source(path)

    def tree(self, path: Path) -> list[TestNode]:
        text = self.text_of(path)
        if text is None:
            return []
        return discover(Source.from_text(text), self._submodules())

    def _submodules(self) -> tuple[str, ...]:
        return ("test",)

    def item(
        self, path: Path, node: TestNode, ids: dict[str, int], conv: RangeConverter
    ) -> ServerTestItem:
        uri = self.server.uri_of(path)
        if node.kind == "check":
            key = f"check:{node.span.start.line}:{node.span.start.col}"
        else:
            key = f"{node.kind}:{node.name}"
        n = ids.get(key, 0)
        ids[key] = n + 1
        label = node.name or node.kind
        if node.kind == "check" and node.subject:
            label = f"{node.name} {node.subject}"  # several check-equal? apart
        elif node.kind == "submodule":
            label = f"submodule {node.name}"
        return ServerTestItem(
            id=f"{uri}#{key}" + (f"#{n + 1}" if n else ""),
            label=label,
            kind=node.kind,
            uri=uri,
            range=conv.range(path, node.span),
            children=[self.item(path, c, ids, conv) for c in node.children],
        )

    def file_item(self, path: Path) -> ServerTestItem | None:
        nodes = self.tree(path)
        if not nodes:
            return None
        uri = self.server.uri_of(path)
        ids: dict[str, int] = {}
        conv = self.server.range_converter()
        return ServerTestItem(
            id=uri,
            label=path.name,
            kind="file",
            uri=uri,
            range=None,
            children=[self.item(path, n, ids, conv) for n in nodes],
        )

    def workspace_files(self) -> list[Path]:
        """The files ``raco test`` would run, as far as they are known without
        running info.rkt (``test-omit-paths`` read statically)."""
        files: list[Path] = []
        for root in self.server.folders():
            rules = raco_test_omit_rules()
            files.extend(walk_files(root, lambda name: name.endswith(SUFFIXES), rules=rules))
        return files

    @request("raco/discoverTests")
    async def discover(self, params: DiscoverTestsParams | None) -> DiscoverTestsResult:
        """A file's test items (``uri``), else those of every file ``raco test``
        would run in the workspace."""
        from raco_lsp.lsp.uris import uri_path

        uri = params.uri if params is not None else None
        if uri is not None:
            path = uri_path(uri)
            paths = [path] if path is not None else []
            outside = self.server.outside_workspace(paths)
            if outside:
                return DiscoverTestsResult(items=[], problems=outside)
        else:
            paths = await self.workspace_test_files()
        return DiscoverTestsResult(items=[i for p in paths if (i := self.file_item(p)) is not None])

    async def workspace_test_files(self) -> list[Path]:
        """The files ``raco test`` would run in the workspace folders: planned by
        Racket (info.rkt ``test-omit-paths``...) when the folder is trusted,
        since reading info.rkt runs code; else ``workspace_files``."""
        ls = self.server
        pool = self.pool(self.options()) if ls.settings.trusted else None
        if pool is not None:
            plan = await pool.plan([Path(r) for r in self._roots()])
            if not plan.problems or plan.files:
                return [f.path for f in plan.files]
        return self.workspace_files()

    def on_open(self, path: Path) -> None:
        self.notify_items(path)

    def on_change(self, path: Path) -> None:
        self.notify_items(path)

    def notify_items(self, path: Path) -> None:
        if not path.name.endswith(SUFFIXES):
            return
        item = self.file_item(path)
        self.server.protocol.notify(
            "raco/testItems",
            TestItemsParams(uri=self.server.uri_of(path), items=item.children if item else []),
        )

    # -- running ----------------------------------------------------------------

    def options(self, mode: str | None = None) -> TestOptions:
        s = self.server.settings
        return TestOptions(
            mode=mode if mode in ("default", "drdr") else s.test_mode,
            timeout=s.test_timeout,
            jobs=s.test_jobs,
        )

    def pool(self, options: TestOptions) -> TestPool | None:
        install = self.server.install
        if install is None:
            return None
        key = (install.racket, options)
        if key not in self._pools:
            # Settings or the installation changed: retire pools that no
            # longer match (a per-request mode switch keeps its pool).
            current = (install.racket, options.timeout, options.jobs)
            stale = [k for k in self._pools if (k[0], k[1].timeout, k[1].jobs) != current]
            for k in stale:
                closing = asyncio.ensure_future(self._pools.pop(k).close())
                self._retiring.add(closing)
                closing.add_done_callback(self._retiring.discard)
            self._pools[key] = TestPool(install, options)
        return self._pools[key]

    def _match_id(self, path: Path, item: TestItemResult, ids: set[str]) -> str | None:
        """The discovered item a result belongs to (by check position or name)."""
        uri = self.server.uri_of(path)
        if item.kind == "check" and item.span is not None and item.location == path:
            key = f"{uri}#check:{item.span.start.line}:{item.span.start.col}"
            return key if key in ids else None
        if item.kind == "test-case" and item.name is not None:
            for kind in ("test-case", "test-suite"):
                key = f"{uri}#{kind}:{item.name}"
                if key in ids:
                    return key
        if item.kind == "module":
            name = item.module.rsplit(" ", 1)[-1].rstrip(")")
            key = f"{uri}#submodule:{name}"
            return key if key in ids else uri
        return None

    def _ids(self, path: Path) -> set[str]:
        item = self.file_item(path)
        return {i.id for i in _walk([item])} if item else set()

    def result(self, run_id: str, item: TestItemResult, ids: set[str]) -> ServerTestResult:
        location = None
        if item.location is not None and item.span is not None:
            location = TestLocation(
                uri=self.server.uri_of(item.location),
                range=self.server.range_converter().range(item.location, item.span),
            )
        return ServerTestResult(
            run_id=run_id,
            uri=self.server.uri_of(item.path),
            id=self._match_id(item.path, item, ids),
            kind=item.kind,
            status=item.status,
            name=item.name,
            check=item.check,
            message=item.message,
            location=location,
            actual=item.actual,
            expected=item.expected,
            params=item.params,
            expression=item.expression,
            duration=item.duration * 1000 if item.duration is not None else None,
        )

    def problems_of(self, result: FileResult) -> dict[Path, list[Problem]]:
        out: dict[Path, list[Problem]] = defaultdict(list)
        for item in result.items:
            if item.status == "passed":
                continue
            where, span = item.location, item.span
            if where is None or span is None:
                where, span = item.path, Span.at_line_start()
            parts = []
            if item.kind == "test-case" and item.name:
                parts.append(f"test-case {item.name!r}:")
            if item.check:
                parts.append(f"{item.check}:")
            parts.append(item.message or "failed")
            message = " ".join(parts)
            if item.actual is not None or item.expected is not None:
                message += f"\n  actual:   {item.actual}\n  expected: {item.expected}"
            elif item.params is not None:
                message += f"\n  params:   {item.params}"
            out[where].append(
                Problem(
                    where,
                    span,
                    Severity.ERROR,
                    message,
                    SOURCE,
                    code="failure" if item.status == "failed" else "error",
                )
            )
        return out

    def publish(self, result: FileResult) -> None:
        previous = self._owned.get(result.path, {})
        new = self.problems_of(result)
        self._owned[result.path] = dict(new)
        affected = set(previous) | set(new) | {result.path}
        publish_owned(self.server, SOURCE, self._owned, affected)

    def _refusal(self) -> RunTestsResult | None:
        """Why tests cannot run now, as the answer to give, else None."""
        if not self.server.settings.trusted:
            return RunTestsResult(
                ran=False, reason="the workspace is not trusted: tests are not run"
            )
        if self.server.install is None:
            return RunTestsResult(ran=False, reason="Racket was not found: tests cannot run")
        return None

    @request("raco/runTests")
    async def run_tests_request(self, params: RunTestsParams | None) -> RunTestsResult:
        """Run tests, streaming ``raco/testResult``; the summary."""
        return self._refusal() or await self.run(params or RunTestsParams())

    @command("raco-lsp.runTests")
    async def run_tests_command(self, *args: Any) -> RunTestsResult:
        """The "Run tests" code lens: one argument, ``RunTestsParams`` (or a
        file's URI).  The outcome is also shown to the user, in ``raco test``'s
        words (a client may do nothing with the answer)."""
        result = self._refusal() or await self.run(_command_params(args))
        if not result.ran:
            self.server.show_once(f"raco-lsp: {result.reason}", types.MessageType.Warning)
        else:
            failed, total = result.failed or 0, result.total or 0
            words = [
                f"raco test: {failed}/{total} test failures"
                if failed
                else f"raco test: {total} test{'' if total == 1 else 's'} passed",
                *(result.missing or []),
                *(result.problems or []),
            ]
            bad = failed or result.missing or result.problems
            self.server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning if bad else types.MessageType.Info,
                    message="; ".join(words),
                )
            )
        return result

    async def run(self, params: RunTestsParams) -> RunTestsResult:
        from raco_lsp.lsp.uris import uri_path

        ls = self.server
        install = ls.install
        assert install is not None
        uris = list(params.uris or [])
        uris += [i.split("#", 1)[0] for i in params.ids or []]
        paths: list[Path] = []
        for u in uris:
            p = uri_path(u)
            if p is not None and p not in paths:
                paths.append(p)
        outside = ls.outside_workspace(paths)
        if outside:
            return RunTestsResult(ran=False, reason="; ".join(outside))
        if not paths:
            paths = [Path(r) for r in self._roots()]
        # Run against what compile-on-save is producing, not a half-made build.
        await ls.feature_of(CompileOnSave).wait_idle()
        options = self.options(params.mode)
        pool = self.pool(options)
        assert pool is not None
        run_id = params.run_id or str(uuid.uuid4())
        ids_by_file: dict[Path, set[str]] = {}
        files_done = 0

        def ids_for(path: Path) -> set[str]:
            if path not in ids_by_file:
                ids_by_file[path] = self._ids(path)
            return ids_by_file[path]

        async with work_done(ls, "raco test") as progress:

            def on_item(item: TestItemResult) -> None:
                ls.protocol.notify("raco/testResult", self.result(run_id, item, ids_for(item.path)))

            def on_file(result: FileResult) -> None:
                nonlocal files_done
                files_done += 1
                progress.report(f"{files_done} files done: {result.path.name} {result.status}")
                self.publish(result)
                ls.protocol.notify(
                    "raco/testResult",
                    ServerFileResult(
                        run_id=run_id,
                        uri=ls.uri_of(result.path),
                        id=ls.uri_of(result.path),
                        status={"pass": "passed", "fail": "failed"}.get(result.status, "errored"),
                        failed=result.failed,
                        total=result.total,
                        timed_out=result.timed_out,
                        message="\n".join(
                            f"{m.module}: {m.message}" for m in result.modules if m.message
                        ),
                        stdout="".join(m.stdout for m in result.modules),
                        stderr="".join(m.stderr for m in result.modules),
                        duration=result.duration * 1000,
                    ),
                )

            report = await run_tests(
                install,
                paths,
                options,
                on_item=on_item,
                on_file=on_file,
                pool=pool,
                text_of=self.text_of,
            )
        return RunTestsResult(
            ran=True,
            run_id=run_id,
            mode=options.mode,
            failed=report.failed,
            total=report.total,
            exit_code=report.exit_code,
            missing=report.missing,
            problems=report.problems,
            files=[
                RunFileSummary(
                    uri=ls.uri_of(f.path),
                    status=f.status,
                    failed=f.failed,
                    total=f.total,
                    timed_out=f.timed_out,
                )
                for f in report.files
            ],
        )

    def _roots(self) -> list[str]:
        return [str(r) for r in self.server.folders()]

    # -- code lenses -------------------------------------------------------------

    def code_lenses(self, params: types.CodeLensParams) -> list[types.CodeLens]:
        from raco_lsp.lsp.uris import uri_path

        path = uri_path(params.text_document.uri)
        if path is None or not path.name.endswith(SUFFIXES):
            return []
        if not self.server.settings_for(path).trusted:
            return []
        item = self.file_item(path)
        if item is None:
            return []
        return [
            types.CodeLens(
                range=types.Range(i.range.start, i.range.start),
                command=types.Command(
                    title="Run tests",
                    command="raco-lsp.runTests",
                    arguments=[RunTestsParams(uris=[item.uri], ids=[i.id])],
                ),
            )
            for i in _walk(item.children)
            if i.kind in ("submodule", "test-case", "test-suite") and i.range is not None
        ]


def _walk(items: list[ServerTestItem]) -> Iterator[ServerTestItem]:
    """Every item of these trees, depth first."""
    for i in items:
        yield i
        yield from _walk(i.children)


def _command_params(args: tuple[Any, ...]) -> RunTestsParams:
    """The command's one argument: ``RunTestsParams``, or a file's URI."""
    first = args[0] if args else None
    if isinstance(first, str):
        return RunTestsParams(uris=[first])
    try:
        params: RunTestsParams = protocol.converter().structure(first, RunTestsParams)
    except Exception as e:
        raise JsonRpcInvalidParams(message=f"raco-lsp.runTests: {e}") from e
    return params
