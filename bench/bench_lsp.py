"""What the user waits for: the server measured through LSP over stdio.

Run: make bench BENCH=lsp.  A client process starts ``raco-lsp serve`` like an
editor does and times, on synthetic 200- and 1,000-module workspaces, each
against its baseline measured in the same run on the same files:

- save -> diagnostics of a one-module content change (an error introduced,
  then fixed): from writing the file and sending didChange + didSave to the
  ``publishDiagnostics`` for that file that shows the new state; baseline:
  spawning ``raco make FILE`` after the same edit;
- no-op save (nothing changed) -> build done (``raco-lsp.waitIdle`` answered);
  baseline: ``raco make FILE`` with nothing to do;
- open a stale file -> its first diagnostics, in a cold server (fresh cache
  folder: installation scan, language profiles and agents all start) and in a
  warm one (same cache, second start); baseline: ``raco make FILE``.

Figures are medians (and the worst) over the rounds; the ratio is
baseline / ours, so higher is better.  On the 1,000-module workspace also:

- request latency, from sending the request to its answer, for hover (on a
  require string, on the ``#lang`` line), definition (on a require string),
  document links, code lens and completion in info.rkt's ``deps``: p50 and
  p95 over ``REQUESTS`` requests of each kind, one at a time, in an idle
  server after one unmeasured request (target: p95 < 20 ms);
- the resident memory (VmRSS) of the server and everything it started (its
  descendants in /proc: compile agents and other Racket helpers), idle after
  opening the workspace and again after ``SAVES`` saves of one module
  alternating error/fixed content, each waited for its diagnostics.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from bench.synth import Synth, make_workspace

ROUNDS = 6
REQUESTS = 50
SAVES = 100
SERVER = [sys.executable, "-m", "raco_lsp", "serve", "--log-level", "WARNING"]


def _raco_make(*files: Path) -> float:
    t = time.perf_counter()
    subprocess.run(["raco", "make", *map(str, files)], capture_output=True)
    return time.perf_counter() - t


class Session:
    """A server on a workspace, seen from the client: waits for the
    diagnostics of one file to reach a state."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.waiters: list[tuple[str, bool, asyncio.Future[float]]] = []
        self.versions: dict[str, int] = {}

        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            now = time.perf_counter()
            client.diagnostics[params.uri] = params.diagnostics
            has_error = any(
                d.severity == types.DiagnosticSeverity.Error for d in params.diagnostics
            )
            for uri, want_error, fut in list(self.waiters):
                if uri == params.uri and has_error == want_error and not fut.done():
                    fut.set_result(now)

        # In place of pytest-lsp's own handler, which only stores them.
        client.protocol.fm.features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(on_diagnostics)

    def expect(self, path: Path, *, error: bool) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((path.as_uri(), error, fut))
        return fut

    def open(self, path: Path) -> None:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="racket", version=1, text=path.read_text()
                )
            )
        )

    def save(self, path: Path, text: str) -> None:
        path.write_text(text)
        uri = path.as_uri()
        self.versions[uri] = self.versions.get(uri, 1) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def wait_idle(self) -> None:
        await asyncio.wait_for(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="raco-lsp.waitIdle")
            ),
            600,
        )


async def _start(root: Path, env: dict[str, str]) -> Session:
    client = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    assert isinstance(client, LanguageClient)
    session = Session(client)

    # Accept the server's file watchers, as editors do (a save then
    # re-examines only what changed; the builds' own .dep/.zo writes are
    # known to the server without the client's reports).
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register(params: types.RegistrationParams) -> None:
        return None

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    return session


async def _stop(session: Session) -> None:
    await asyncio.wait_for(session.client.shutdown_session(), 30)


def _target(synth: Synth) -> Path:
    """A module of the last layer: what a user edits at the top of a program
    (its one dependent is main.rkt)."""
    return synth.layers[-1][0]


def _rss() -> tuple[int, int, int]:
    """kB of VmRSS of the server (this process's one child while a session
    runs), kB summed over what it started (its descendants), and how many
    those are."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(d.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])  # none for a zombie
    (server,) = children.get(os.getpid(), [])
    found: list[int] = []
    todo = list(children.get(server, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return rss[server], sum(rss[p] for p in found), len(found)


def _fmt_rss(sample: tuple[int, int, int]) -> str:
    server, helpers, n = sample
    return (
        f"{(server + helpers) / 1024:.0f} MB (server {server / 1024:.0f} MB + "
        f"{n} helper process{'' if n == 1 else 'es'} {helpers / 1024:.0f} MB)"
    )


def _position(path: Path, needle: str, offset: int) -> types.Position:
    """Where ``offset`` characters into the first ``needle`` of ``path`` is."""
    for line, text in enumerate(path.read_text().splitlines()):
        at = text.find(needle)
        if at >= 0:
            return types.Position(line=line, character=at + offset)
    raise ValueError(f"{needle!r} not in {path}")


async def _requests(session: Session, target: Path, info: Path) -> list[tuple[str, list[float]]]:
    """Each request kind's latencies over ``REQUESTS`` requests in an idle
    server.  Every kind must answer with something, but for hover on the
    ``#lang`` line (no feature has a hover there: its time is the handlers'
    looking), whose name then says it answered null."""
    client = session.client
    doc = types.TextDocumentIdentifier(uri=target.as_uri())
    info_doc = types.TextDocumentIdentifier(uri=info.as_uri())
    on_require = _position(target, '"../', 3)
    on_lang = _position(target, "#lang racket/base", 8)
    in_deps = _position(info, '"base"', 3)
    kinds: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (
            "hover, require string",
            lambda: client.text_document_hover_async(types.HoverParams(doc, on_require)),
        ),
        (
            "hover, #lang line",
            lambda: client.text_document_hover_async(types.HoverParams(doc, on_lang)),
        ),
        (
            "definition, require string",
            lambda: client.text_document_definition_async(types.DefinitionParams(doc, on_require)),
        ),
        (
            "document links",
            lambda: client.text_document_document_link_async(types.DocumentLinkParams(doc)),
        ),
        ("code lens", lambda: client.text_document_code_lens_async(types.CodeLensParams(doc))),
        (
            "info.rkt completion, deps",
            lambda: client.text_document_completion_async(
                types.CompletionParams(info_doc, in_deps)
            ),
        ),
    ]
    out: list[tuple[str, list[float]]] = []
    for name, send in kinds:
        if not await asyncio.wait_for(send(), 60):
            if "#lang" not in name:
                raise RuntimeError(f"{name}: no answer")
            name += " (null)"
        times: list[float] = []
        for _ in range(REQUESTS):
            t = time.perf_counter()
            await asyncio.wait_for(send(), 60)
            times.append(time.perf_counter() - t)
        out.append((name, times))
    return out


def _percentile(xs: list[float], p: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:.0f} ms (worst {max(xs) * 1000:.0f} ms)"


def _ratio(base: list[float], ours: list[float]) -> float:
    return statistics.median(base) / statistics.median(ours)


async def bench_workspace(n: int, cache: Path, *, requests: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"raco-lsp-bench-lsp-{n}-")) / "ws"
    synth = make_workspace(root, n)
    subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)
    target = _target(synth)
    good = target.read_text()
    bad = good + "(oops)\n"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}

    # Open a stale file in a cold server (fresh cache) and in a warm one.
    opens: dict[str, float] = {}
    for kind in ("cold", "warm"):
        target.write_text(bad)
        t = time.perf_counter()
        session = await _start(root, env)
        flipped = session.expect(target, error=True)
        session.open(target)
        opens[kind] = await asyncio.wait_for(flipped, 600) - t
        await session.wait_idle()
        await _stop(session)
        target.write_text(good)
        subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)
    target.write_text(bad)
    open_base = _raco_make(target)
    target.write_text(good)
    subprocess.run(["raco", "make", str(synth.main)], check=True, capture_output=True)

    session = await _start(root, env)
    session.open(target)
    await session.wait_idle()
    if requests:
        rss_idle = _rss()
        session.open(root / "info.rkt")
        await session.wait_idle()
        latencies = await _requests(session, target, root / "info.rkt")
    changes: list[float] = []
    for _ in range(ROUNDS):
        for text, error in ((bad, True), (good, False)):
            flipped = session.expect(target, error=error)
            t = time.perf_counter()
            session.save(target, text)
            changes.append(await asyncio.wait_for(flipped, 600) - t)
            await session.wait_idle()
    noops: list[float] = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        session.save(target, good)
        await session.wait_idle()
        noops.append(time.perf_counter() - t)
    if requests:
        for i in range(SAVES):
            error = i % 2 == 0
            flipped = session.expect(target, error=error)
            session.save(target, bad if error else good)
            await asyncio.wait_for(flipped, 600)
            await session.wait_idle()
        rss_saved = _rss()
    await _stop(session)

    base: list[float] = []
    for _ in range(ROUNDS):
        for text in (bad, good):
            target.write_text(text)
            base.append(_raco_make(target))
    noop_base = [_raco_make(target) for _ in range(ROUNDS)]

    print(f"{n} modules (editing {target.relative_to(root)}, one dependent):")
    print(
        f"  save -> diagnostics, content change: {_fmt(changes)}; `raco make FILE` "
        f"{_fmt(base)}: {_ratio(base, changes):.1f}x (target >= 10x)"
    )
    print(
        f"  no-op save -> build done: {_fmt(noops)}; `raco make FILE` (nothing to do) "
        f"{_fmt(noop_base)}: {_ratio(noop_base, noops):.1f}x (target >= 20x)"
    )
    print(
        f"  open a stale file -> first diagnostics: cold server {opens['cold'] * 1000:.0f} ms, "
        f"warm server {opens['warm'] * 1000:.0f} ms (from starting the server); "
        f"`raco make FILE` {open_base * 1000:.0f} ms"
    )
    if requests:
        print(f"  requests, idle server ({REQUESTS} each; target p95 < 20 ms):")
        for name, times in latencies:
            p50, p95 = _percentile(times, 50) * 1000, _percentile(times, 95) * 1000
            print(f"    {name:<28} p50 {p50:5.1f} ms  p95 {p95:5.1f} ms")
        print(
            f"  server + agents RSS: idle after opening {_fmt_rss(rss_idle)}; "
            f"after {SAVES} more saves {_fmt_rss(rss_saved)}"
        )


def main(argv: list[str] | None = None) -> None:
    # The client ignores raco-lsp's own notifications (raco/testItems, ...).
    logging.getLogger("pygls").setLevel(logging.ERROR)
    sizes = [200, 1000]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at start: {load} ({os.cpu_count()} cores)")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="raco-lsp-bench-cache-") as cache:
            asyncio.run(bench_workspace(n, Path(cache), requests=n == 1000))
