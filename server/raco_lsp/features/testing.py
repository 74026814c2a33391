"""raco test in the editor: discovery, runs with streamed results, diagnostics
at failing checks, "Run tests" code lenses.

Custom requests (JSON shapes in README.md, "Tests"):

- ``raco/discoverTests`` ``{uri?}`` -> ``{items: [TestItem]}``: per file, its
  test submodules, test-case/test-suite/test-begin groups and checks with
  ranges (tree-sitter; works in untrusted folders).
- ``raco/runTests`` ``{uris?, ids?, mode?}`` -> summary; streams
  ``raco/testResult`` notifications per item, then one per file.
- notification ``raco/testItems`` ``{uri, items}`` when an open file changes.

Running executes workspace code: never when ``raco-lsp.trusted`` is false.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.core.text import read_source
from raco_lsp.lsp.diagnostics import RangeConverter, publish_owned
from raco_lsp.lsp.progress import work_done
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


def plain(obj: Any) -> Any:
    """pygls hands custom-request params over as namedtuples: back to dicts."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


class TestFeature:
    __test__ = False  # not a pytest class

    def __init__(self, server: RacoLanguageServer) -> None:
        self._server = server
        self._pools: dict[tuple[Any, ...], TestPool] = {}
        self._retiring: set[asyncio.Future[None]] = set()
        # test file -> {file where a problem is -> problems}
        self._owned: dict[Path, dict[Path, list[Problem]]] = {}

    # -- discovery ------------------------------------------------------------

    def text_of(self, path: Path) -> str | None:
        text = self._server.open_text(path)
        return text if text is not None else read_source(path)

    def tree(self, path: Path) -> list[TestNode]:
        text = self.text_of(path)
        if text is None:
            return []
        return discover(Source.from_text(text), self._submodules())

    def _submodules(self) -> tuple[str, ...]:
        return ("test",)

    def item_json(
        self, path: Path, node: TestNode, ids: dict[str, int], conv: RangeConverter
    ) -> dict[str, Any]:
        uri = self._server.uri_of(path)
        if node.kind == "check":
            key = f"check:{node.span.start.line}:{node.span.start.col}"
        else:
            key = f"{node.kind}:{node.name}"
        n = ids.get(key, 0)
        ids[key] = n + 1
        label = node.name or node.kind
        if node.kind == "submodule":
            label = f"submodule {node.name}"
        return {
            "id": f"{uri}#{key}" + (f"#{n + 1}" if n else ""),
            "label": label,
            "kind": node.kind,
            "uri": uri,
            "range": self._client_range(path, node.span, conv),
            "children": [self.item_json(path, c, ids, conv) for c in node.children],
        }

    def file_item(self, path: Path) -> dict[str, Any] | None:
        nodes = self.tree(path)
        if not nodes:
            return None
        uri = self._server.uri_of(path)
        ids: dict[str, int] = {}
        conv = self._server.range_converter()
        return {
            "id": uri,
            "label": path.name,
            "kind": "file",
            "uri": uri,
            "range": None,
            "children": [self.item_json(path, n, ids, conv) for n in nodes],
        }

    def _client_range(
        self, path: Path, span: Span, conv: RangeConverter | None = None
    ) -> dict[str, Any]:
        r = (conv or self._server.range_converter()).range(path, span)
        return {
            "start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character},
        }

    def workspace_files(self) -> list[Path]:
        files: list[Path] = []
        roots: list[Path] = []
        for folder in self._server.workspace.folders.values():
            from pygls.uris import to_fs_path

            fs = to_fs_path(folder.uri)
            if fs:
                roots.append(Path(fs))
        if not roots and self._server.workspace.root_path:
            roots.append(Path(self._server.workspace.root_path))
        for root in roots:
            files.extend(walk_files(root, lambda name: name.endswith(SUFFIXES)))
        return files

    async def discover(self, params: dict[str, Any]) -> dict[str, Any]:
        from raco_lsp.lsp.server import uri_path

        uri = params.get("uri")
        if isinstance(uri, str):
            path = uri_path(uri)
            paths = [path] if path is not None else []
            outside = self._server.outside_workspace(paths)
            if outside:
                return {"items": [], "problems": outside}
        else:
            paths = await self.workspace_test_files()
        items = [i for p in paths if (i := self.file_item(p)) is not None]
        return {"items": items}

    async def workspace_test_files(self) -> list[Path]:
        """The files ``raco test`` would run in the workspace folders: planned by
        Racket (info.rkt ``test-omit-paths``...) when the folder is trusted,
        since reading info.rkt runs code; else every Racket file."""
        ls = self._server
        pool = self.pool(self.options()) if ls.settings.trusted else None
        if pool is not None:
            plan = await pool.plan([Path(r) for r in self._roots()])
            if not plan.problems or plan.files:
                return [f.path for f in plan.files]
        return self.workspace_files()

    def notify_items(self, path: Path) -> None:
        if not path.name.endswith(SUFFIXES):
            return
        item = self.file_item(path)
        self._server.protocol.notify(
            "raco/testItems",
            {"uri": self._server.uri_of(path), "items": item["children"] if item else []},
        )

    # -- running ----------------------------------------------------------------

    def options(self, mode: str | None = None) -> TestOptions:
        s = self._server.settings
        return TestOptions(
            mode=mode if mode in ("default", "drdr") else s.test_mode,
            timeout=s.test_timeout,
            jobs=s.test_jobs,
        )

    def pool(self, options: TestOptions) -> TestPool | None:
        install = self._server.install
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

    async def close(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        await asyncio.gather(*(p.close() for p in pools), return_exceptions=True)

    def _match_id(self, path: Path, item: TestItemResult, ids: dict[str, list[Any]]) -> str | None:
        """The discovered item a result belongs to (by check position or name)."""
        uri = self._server.uri_of(path)
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

    def _ids(self, path: Path) -> dict[str, list[Any]]:
        item = self.file_item(path)
        out: dict[str, list[Any]] = {}

        def walk(i: dict[str, Any]) -> None:
            out[i["id"]] = [i]
            for c in i["children"]:
                walk(c)

        if item:
            walk(item)
        return out

    def result_json(
        self, run_id: str, item: TestItemResult, ids: dict[str, list[Any]]
    ) -> dict[str, Any]:
        location = None
        if item.location is not None and item.span is not None:
            location = {
                "uri": self._server.uri_of(item.location),
                "range": self._client_range(item.location, item.span),
            }
        return {
            "runId": run_id,
            "uri": self._server.uri_of(item.path),
            "id": self._match_id(item.path, item, ids),
            "kind": item.kind,
            "status": item.status,
            "name": item.name,
            "check": item.check,
            "message": item.message,
            "location": location,
            "actual": item.actual,
            "expected": item.expected,
            "params": item.params,
            "expression": item.expression,
            "duration": item.duration * 1000 if item.duration is not None else None,
        }

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
        publish_owned(self._server, SOURCE, self._owned, affected)

    async def run(self, params: dict[str, Any]) -> dict[str, Any]:
        from raco_lsp.lsp.server import uri_path

        ls = self._server
        if not ls.settings.trusted:
            return {"ran": False, "reason": "the workspace is not trusted: tests are not run"}
        if ls.install is None:
            return {"ran": False, "reason": "Racket was not found: tests cannot run"}
        uris = [u for u in params.get("uris") or [] if isinstance(u, str)]
        for i in params.get("ids") or []:
            if isinstance(i, str):
                uris.append(i.split("#", 1)[0])
        paths: list[Path] = []
        for u in uris:
            p = uri_path(u)
            if p is not None and p not in paths:
                paths.append(p)
        outside = ls.outside_workspace(paths)
        if outside:
            return {"ran": False, "reason": "; ".join(outside)}
        if not paths:
            paths = [Path(r) for r in self._roots()]
        # Run against what compile-on-save is producing, not a half-made build.
        await ls.compiles.wait_idle()
        options = self.options(params.get("mode"))
        pool = self.pool(options)
        assert pool is not None
        run_id = str(params.get("runId") or uuid.uuid4())
        ids_by_file: dict[Path, dict[str, list[Any]]] = {}
        files_done = 0

        def ids_for(path: Path) -> dict[str, list[Any]]:
            if path not in ids_by_file:
                ids_by_file[path] = self._ids(path)
            return ids_by_file[path]

        async with work_done(ls, "raco test") as progress:

            def on_item(item: TestItemResult) -> None:
                ls.protocol.notify(
                    "raco/testResult", self.result_json(run_id, item, ids_for(item.path))
                )

            def on_file(result: FileResult) -> None:
                nonlocal files_done
                files_done += 1
                progress.report(f"{files_done} files done: {result.path.name} {result.status}")
                self.publish(result)
                ls.protocol.notify(
                    "raco/testResult",
                    {
                        "runId": run_id,
                        "uri": ls.uri_of(result.path),
                        "id": ls.uri_of(result.path),
                        "kind": "file",
                        "status": {"pass": "passed", "fail": "failed"}.get(
                            result.status, "errored"
                        ),
                        "failed": result.failed,
                        "total": result.total,
                        "timedOut": result.timed_out,
                        "message": "\n".join(
                            f"{m.module}: {m.message}" for m in result.modules if m.message
                        ),
                        "stdout": "".join(m.stdout for m in result.modules),
                        "stderr": "".join(m.stderr for m in result.modules),
                    },
                )

            report = await run_tests(
                ls.install,
                paths,
                options,
                on_item=on_item,
                on_file=on_file,
                pool=pool,
                text_of=self.text_of,
            )
        return {
            "ran": True,
            "runId": run_id,
            "mode": options.mode,
            "failed": report.failed,
            "total": report.total,
            "exitCode": report.exit_code,
            "missing": report.missing,
            "problems": report.problems,
            "files": [
                {
                    "uri": ls.uri_of(f.path),
                    "status": f.status,
                    "failed": f.failed,
                    "total": f.total,
                    "timedOut": f.timed_out,
                }
                for f in report.files
            ],
        }

    def _roots(self) -> Iterable[str]:
        from pygls.uris import to_fs_path

        roots = [to_fs_path(f.uri) for f in self._server.workspace.folders.values()]
        found = [r for r in roots if r]
        if not found and self._server.workspace.root_path:
            found.append(self._server.workspace.root_path)
        return found

    # -- code lenses -------------------------------------------------------------

    def code_lenses(self, params: types.CodeLensParams) -> list[types.CodeLens]:
        from raco_lsp.lsp.server import uri_path

        if not self._server.settings.trusted:
            return []
        path = uri_path(params.text_document.uri)
        if path is None or not path.name.endswith(SUFFIXES):
            return []
        item = self.file_item(path)
        if item is None:
            return []
        lenses: list[types.CodeLens] = []

        def walk(i: dict[str, Any]) -> None:
            if i["kind"] in ("submodule", "test-case", "test-suite"):
                r = i["range"]
                start = types.Position(r["start"]["line"], r["start"]["character"])
                lenses.append(
                    types.CodeLens(
                        range=types.Range(start, start),
                        command=types.Command(
                            title="Run tests",
                            command="raco-lsp.runTests",
                            arguments=[{"uris": [item["uri"]], "ids": [i["id"]]}],
                        ),
                    )
                )
            for c in i["children"]:
                walk(c)

        for child in item["children"]:
            walk(child)
        return lenses


_features: dict[int, TestFeature] = {}


def feature_of(server: RacoLanguageServer) -> TestFeature:
    return _features[id(server)]


def register(server: RacoLanguageServer) -> None:
    feature = TestFeature(server)
    _features[id(server)] = feature

    @server.feature("raco/discoverTests")
    async def discover_tests(ls: RacoLanguageServer, params: Any) -> dict[str, Any]:
        p = plain(params)
        return await feature.discover(p if isinstance(p, dict) else {})

    @server.feature("raco/runTests")
    async def run_tests_request(ls: RacoLanguageServer, params: Any) -> dict[str, Any]:
        p = plain(params)
        return await feature.run(p if isinstance(p, dict) else {})

    @server.command("raco-lsp.runTests")
    async def run_tests_command(ls: Any, *args: Any) -> dict[str, Any]:
        # (``ls: Any``: pygls resolves a command's annotations at run time, and
        # importing the server class here would be circular.)
        p = plain(args[0]) if args else {}
        if isinstance(p, list):  # pygls may pass the arguments as one list
            p = p[0] if p else {}
        if isinstance(p, str):
            p = {"uris": [p]}
        result = await feature.run(p if isinstance(p, dict) else {})
        if not result.get("ran"):
            server.show_once(f"raco-lsp: {result.get('reason')}", types.MessageType.Warning)
        return result

    server.providers.code_lens.append(lambda ls, params: feature.code_lenses(params))
    server.providers.on_open.append(lambda ls, path: feature.notify_items(path))
    server.providers.on_change.append(lambda ls, path: feature.notify_items(path))
