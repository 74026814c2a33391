"""Recompile on save through the compile agent, against real Racket."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import (
    collect,
    diagnostics,
    lsp_session,
    open_file,
    request,
    save_file,
    wait_idle,
)
from racket_install import installation_dirs, snapshot
from raco_lsp.lsp.uris import path_uri
from raco_lsp.racket.deps import parse_dep

BASE = "#lang racket/base\n"
SLOW = (
    BASE + "(require (for-syntax racket/base))\n"
    "(define-syntax (slow stx) (sleep {secs}) #'(void))\n(slow)\n"
)


async def status(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="raco-lsp.serverStatus")
    )


def write_chain(ws: Path) -> tuple[Path, Path, Path]:
    leaf, mid, top = ws / "leaf.rkt", ws / "mid.rkt", ws / "top.rkt"
    leaf.write_text(BASE + "(provide f)\n(define (f x) x)\n")
    mid.write_text(BASE + '(require "leaf.rkt")\n(provide g)\n(define (g) (f 1))\n')
    top.write_text(BASE + '(require "mid.rkt")\n(g)\n')
    return leaf, mid, top


async def test_leaf_change_breaks_a_dependent_then_fix_clears(ws: Path) -> None:
    leaf, mid, top = write_chain(ws)
    dirs = installation_dirs()
    before = snapshot(dirs)
    async with lsp_session(ws) as client:
        open_file(client, top)  # never compiled: builds top with leaf and mid
        await wait_idle(client)
        assert (ws / "compiled" / "mid_rkt.zo").exists()
        open_file(client, leaf)
        save_file(client, leaf, BASE + "(provide h)\n(define (h x) x)\n")
        await wait_idle(client)
        assert diagnostics(client, leaf) == []
        (in_mid,) = diagnostics(client, mid)
        assert in_mid.message.startswith("f: unbound identifier")
        (in_top,) = diagnostics(client, top)
        assert "mid.rkt" in in_top.message
        save_file(client, leaf, BASE + "(provide f)\n(define (f x) x)\n")
        await wait_idle(client)
        assert diagnostics(client, mid) == [] and diagnostics(client, top) == []
        st = await status(client)
        assert st["agent"]["state"] == "idle" and st["agent"]["restarts"] == 0
    assert snapshot(dirs) == before


async def test_build_status_counts_the_modules_of_a_build(ws: Path) -> None:
    """raco/buildStatus: the build's numbers as data (the VS Code status bar shows them),
    around the build's $/progress, which has no cancel button (background work)."""
    *_, top = write_chain(ws)
    top.write_text(top.read_text() + "(nope)\n")
    async with lsp_session(ws, init_options={"jobs": 1}) as client:
        statuses = collect(client, "raco/buildStatus")
        open_file(client, top)  # never compiled: builds leaf, mid, then top
        await wait_idle(client)
        assert statuses == [
            {"building": True, "done": 0, "total": 3, "errors": 0},
            {"building": True, "done": 1, "total": 3, "errors": 0},
            {"building": True, "done": 2, "total": 3, "errors": 0},
            {"building": True, "done": 3, "total": 3, "errors": 1},
            {"building": False, "done": 3, "total": 3, "errors": 1},
        ]
        (reports,) = client.progress_reports.values()
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert reports[0].title == "Compiling Racket" and reports[0].cancellable is False


async def test_progress_is_reported_and_cancel_stops_the_build(ws: Path) -> None:
    slow = ws / "slow.rkt"
    slow.write_text(BASE)
    async with lsp_session(ws, init_options={"compileOnSave": "file"}) as client:
        open_file(client, slow)
        await wait_idle(client)
        earlier = set(client.progress_reports)  # opening built it once already
        save_file(client, slow, SLOW.format(secs=30))
        for _ in range(100):
            if set(client.progress_reports) - earlier:
                break
            await asyncio.sleep(0.1)
        (token,) = set(client.progress_reports) - earlier
        await asyncio.sleep(1.0)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await asyncio.wait_for(wait_idle(client), 10)  # far less than the 30 s sleep
        reports = client.progress_reports[token]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert any(
            isinstance(r, types.WorkDoneProgressReport) and r.message == "Compiling 1/1: slow.rkt"
            for r in reports
        )
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert reports[-1].message == "cancelled"
        st = await status(client)
        assert st["agent"]["restarts"] == 0  # the agent stopped compiling when asked


async def test_killed_agent_is_replaced_and_diagnostics_are_right(ws: Path) -> None:
    slow = ws / "slow.rkt"
    slow.write_text(BASE)
    async with lsp_session(ws, init_options={"compileOnSave": "file"}) as client:
        open_file(client, slow)
        await wait_idle(client)
        pid = (await status(client))["agent"]["pid"]
        save_file(client, slow, SLOW.format(secs=2) + "oops\n")
        await asyncio.sleep(1.0)
        os.kill(pid, signal.SIGKILL)
        await wait_idle(client)
        (d,) = diagnostics(client, slow)
        assert d.message.startswith("oops: unbound identifier")
        st = await status(client)
        assert st["agent"]["pid"] != pid and st["agent"]["state"] == "idle"


async def test_restarts_count_agents_killed_from_outside(ws: Path) -> None:
    f = ws / "a.rkt"
    f.write_text(BASE)
    async with lsp_session(ws, init_options={"compileOnSave": "file", "jobs": 1}) as client:
        open_file(client, f)
        await wait_idle(client)
        for i in range(3):
            pid = (await status(client))["agent"]["pid"]
            os.kill(pid, signal.SIGKILL)
            save_file(client, f, BASE + f"(define x{i} 1)\n" + ("oops\n" if i == 2 else ""))
            await wait_idle(client)
        st = await status(client)
        assert st["agent"]["restarts"] == 3 and st["agent"]["pid"] != pid
        (d,) = diagnostics(client, f)
        assert d.message.startswith("oops: unbound identifier")


async def test_build_workspace_compiles_everything_stale(ws: Path) -> None:
    write_chain(ws)
    (ws / "broken.rkt").write_text(BASE + "(nope)\n")
    async with lsp_session(ws) as client:
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        assert result is not None
        assert sorted(Path(p).name for p in result["compiled"]) == [
            "broken.rkt",
            "leaf.rkt",
            "mid.rkt",
            "top.rkt",
        ]
        assert result["errors"] == 1
        (d,) = diagnostics(client, ws / "broken.rkt")
        assert d.message.startswith("nope: unbound identifier")
        assert (ws / "compiled" / "top_rkt.zo").exists()
        # A change no editor event announced (another tool, git): still found.
        (ws / "leaf.rkt").write_text(BASE + "(provide f)\n(define (f x) (* 2 x))\n")
        again = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        assert again is not None and "leaf.rkt" in {Path(p).name for p in again["compiled"]}
        nothing = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
        )
        assert nothing is not None  # all up to date but the module that does not compile
        assert [Path(p).name for p in nothing["compiled"]] == ["broken.rkt"]


def _leaf_and_fan(ws: Path, n: int) -> tuple[Path, list[Path]]:
    """``leaf.rkt`` and ``n`` modules that each require it and nothing else."""
    leaf = ws / "leaf.rkt"
    leaf.write_text(BASE + "(provide v)\n(define (v) 1)\n")
    fan = []
    for i in range(n):
        d = ws / f"d{i}.rkt"
        d.write_text(BASE + f'(require "leaf.rkt")\n(provide f{i})\n(define (f{i}) (+ (v) {i}))\n')
        fan.append(d)
    return leaf, fan


async def test_parallel_agents_compile_dependents_after_their_dependency(ws: Path) -> None:
    leaf, fan = _leaf_and_fan(ws, 6)
    async with lsp_session(ws, init_options={"jobs": 2}) as client:
        for d in fan:
            open_file(client, d)
        await wait_idle(client)
        assert all((ws / "compiled" / f"d{i}_rkt.zo").exists() for i in range(6))
        open_file(client, leaf)
        save_file(client, leaf, BASE + "(provide w)\n(define (w) 1)\n")  # v is gone
        await wait_idle(client)
        for d in fan:
            (diag,) = diagnostics(client, d)
            assert diag.message.startswith("v: unbound identifier"), d
        st = await status(client)
        assert len(st["agent"]["all"]) == 2
        assert all(a["compiles"] > 0 for a in st["agent"]["all"])  # both did work
        save_file(client, leaf, BASE + "(provide v)\n(define (v) 2)\n")
        await wait_idle(client)
        assert all(diagnostics(client, d) == [] for d in fan)


async def test_a_spare_agent_stops_when_idle_and_starts_for_the_next_build(ws: Path) -> None:
    """``spareAgentTimeout``: the agents beyond the first stop once no build
    has run for that long (their process is gone); the next build that can
    use two starts it again."""
    leaf, fan = _leaf_and_fan(ws, 4)
    async with lsp_session(ws, init_options={"jobs": 2, "spareAgentTimeout": 1}) as client:
        for d in fan:
            open_file(client, d)
        await wait_idle(client)
        first, spare = (await status(client))["agent"]["all"]
        assert first["compiles"] > 0 and spare["compiles"] > 0 and spare["pid"] is not None
        for _ in range(100):
            now = (await status(client))["agent"]["all"]
            if now[1]["state"] == "stopped":
                break
            await asyncio.sleep(0.1)
        assert now[1]["state"] == "stopped" and now[1]["pid"] is None
        assert (now[0]["state"], now[0]["pid"]) == ("idle", first["pid"])  # the first stays
        with pytest.raises(ProcessLookupError):
            os.kill(spare["pid"], 0)
        save_file(client, leaf, BASE + "(provide v)\n(define (v) 2)\n")
        await wait_idle(client)
        again = (await status(client))["agent"]["all"][1]
        assert again["compiles"] > spare["compiles"] and again["pid"] not in (None, spare["pid"])
        assert all(diagnostics(client, d) == [] for d in fan)


async def build_workspace(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="raco-lsp.buildWorkspace")
    )


async def module_graph(client: LanguageClient) -> Any:
    graph = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="raco-lsp.showModuleGraph")
    )
    assert graph is not None
    return graph


async def hover_text(client: LanguageClient, path: Path, line: int, col: int) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)),
            position=types.Position(line=line, character=col),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


@pytest.mark.parametrize(
    ("shape", "trigger"),
    [("truncated", "buildWorkspace"), ("garbage", "open"), ("empty", "open")],
)
async def test_unreadable_dep_is_stale_and_recompiled(ws: Path, shape: str, trigger: str) -> None:
    # compiler/cm 8.7 fails on a .dep it cannot read (raco make fails every
    # time); the server recompiles the module, which repairs the tree.
    leaf, mid, top = write_chain(ws)
    dep, mid_dep = ws / "compiled" / "leaf_rkt.dep", ws / "compiled" / "mid_rkt.dep"
    async with lsp_session(ws) as client:
        await build_workspace(client)
        good = dep.read_bytes()
        broken = {"truncated": good[: len(good) // 2], "garbage": b"\x00\xffgarbage", "empty": b""}
        dep.write_bytes(broken[shape])
        make = ["raco", "make", str(top)]
        assert subprocess.run(make, capture_output=True, stdin=subprocess.DEVNULL).returncode != 0
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=path_uri(dep), type=types.FileChangeType.Changed)]
            )
        )
        graph = await module_graph(client)
        reason = {Path(n["path"]).name: n["reason"] for n in graph["nodes"] if n["workspace"]}
        certain = {Path(n["path"]).name: n["certain"] for n in graph["nodes"] if n["workspace"]}
        assert certain == {"leaf.rkt": True, "mid.rkt": False, "top.rkt": False}
        on_leaf = {"uri": path_uri(leaf)}
        dependents = await request(client, "raco/dependents", on_leaf)
        assert [(Path(d["path"]).name, d["stale"], d["certain"]) for d in dependents] == [
            ("mid.rkt", True, False)
        ]
        assert reason["leaf.rkt"].startswith("unreadable .dep (leaf_rkt.dep: ")
        assert (
            reason["mid.rkt"]
            == f"depends on leaf.rkt, which may compile to new code: {reason['leaf.rkt']}"
        )
        assert f"stale: {reason['leaf.rkt']}" in await hover_text(client, mid, 1, 12)
        # Rebuilt from the same code, leaf gets back the hash mid recorded:
        # mid may only be touched.
        on_mid = await hover_text(client, top, 1, 12)
        assert f"stale: {reason['mid.rkt']} (may only be touched)" in on_mid
        mid_dep_before = mid_dep.read_bytes()
        build_start = time.time_ns()

        if trigger == "open":
            open_file(client, leaf)  # the open check: compiled because its .dep is unreadable
            await wait_idle(client)
        else:
            result = await build_workspace(client)
            assert {Path(p).name for p in result["compiled"]} == {"leaf.rkt", "mid.rkt", "top.rkt"}
        assert parse_dep(dep.read_bytes())[0] is not None
        assert all(diagnostics(client, f) == [] for f in (leaf, mid, top))
        # mid was only touched: its .dep was not written again.
        assert mid_dep.read_bytes() == mid_dep_before
        assert mid_dep.stat().st_mtime_ns < build_start
        graph = await module_graph(client)
        assert not any(n["stale"] for n in graph["nodes"])
    subprocess.run(make, check=True, capture_output=True, stdin=subprocess.DEVNULL)


def cm_log(top: Path) -> list[str]:
    """compiler/cm's own account of ``raco make top`` (its debug log), for
    the workspace files only."""
    run = subprocess.run(
        ["raco", "make", str(top)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PLTSTDERR": "debug@compiler/cm"},
    )
    return [
        line.split("compiler/cm: ", 1)[1].strip()
        for line in run.stderr.splitlines()
        if "compiler/cm: " in line and str(top.parent) in line
    ]


def set_mtime(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))


async def test_open_agrees_with_cm_on_a_dependency_newer_within_the_same_second(
    ws: Path,
) -> None:
    """Timestamps count in whole seconds for compiler/cm: a dependency a
    fraction of a second newer than the .zo, in the same second, is not
    newer, and opening the module builds nothing (a check on float mtimes
    said "util.rkt changed since main.rkt was compiled" and asked for a build)."""
    util, main = ws / "util.rkt", ws / "main.rkt"
    util.write_text(BASE + "(provide f)\n(define (f) 1)\n")
    main.write_text(BASE + '(require "util.rkt")\n(f)\n')
    subprocess.run(["raco", "make", str(main)], check=True, stdin=subprocess.DEVNULL)
    compiled = ws / "compiled"
    second = int(time.time()) - 100  # a whole second nothing else happens in
    set_mtime(main, second - 50)
    for name, at in [("main_rkt", 0.1), ("util_rkt", 0.2)]:
        set_mtime(compiled / f"{name}.dep", second + at)
        set_mtime(compiled / f"{name}.zo", second + at)
    set_mtime(util, second + 0.5)  # after main's .zo, within the same second
    assert util.stat().st_mtime > (compiled / "main_rkt.zo").stat().st_mtime
    times = {p: p.stat().st_mtime_ns for p in compiled.iterdir()}

    async with lsp_session(ws) as client:
        statuses = collect(client, "raco/buildStatus")
        open_file(client, main)
        await wait_idle(client)
        assert statuses == []
        agents = (await status(client))["agent"]["all"]  # started with the server
        assert agents and all(a["compiles"] == 0 for a in agents)  # no build was asked for
    assert {p: p.stat().st_mtime_ns for p in compiled.iterdir()} == times
    # compiler/cm agrees: it checks both modules and neither compiles nor touches.
    assert cm_log(main) == [f"checking: {main}", f"checking: {util}"]
    assert {p: p.stat().st_mtime_ns for p in compiled.iterdir()} == times


async def test_open_builds_a_module_whose_dependencys_dependency_changed(
    ws: Path, tmp_path: Path
) -> None:
    """compiler/cm looks through dependencies: top is stale when leaf (which
    mid requires) changed, though top's own sources did not (a check of the
    direct dependencies' mtimes said up to date and built nothing)."""

    def prepare(root: Path) -> Path:
        leaf, _, top = write_chain(root)
        subprocess.run(["raco", "make", str(top)], check=True, stdin=subprocess.DEVNULL)
        old = int(time.time()) - 100
        for p in [*root.glob("*.rkt"), *(root / "compiled").iterdir()]:
            set_mtime(p, old)
        leaf.write_text(BASE + "(provide f)\n(define (f x) (list x))\n")
        return top

    # compiler/cm's own account, in a twin workspace (it compiles).
    twin = tmp_path / "twin"
    twin.mkdir()
    log = cm_log(prepare(twin))
    assert f"compiling {twin / 'leaf.rkt'}" in log and f"compiling {twin / 'mid.rkt'}" in log

    top = prepare(ws)
    leaf_zo = ws / "compiled" / "leaf_rkt.zo"
    before = leaf_zo.stat().st_mtime_ns
    async with lsp_session(ws) as client:
        statuses = collect(client, "raco/buildStatus")
        open_file(client, top)
        await wait_idle(client)
        assert statuses and statuses[-1]["building"] is False
    assert leaf_zo.stat().st_mtime_ns > before
    assert all(line.startswith("checking: ") for line in cm_log(top))  # nothing left to do


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (nobody may reap it here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


async def test_shutdown_stops_the_agents(ws: Path) -> None:
    *_, top = write_chain(ws)
    async with lsp_session(ws) as client:
        open_file(client, top)
        await wait_idle(client)
        pids = [a["pid"] for a in (await status(client))["agent"]["all"] if a["pid"]]
        assert pids and all(alive(p) for p in pids)
        await client.shutdown_async(None)
        assert not any(alive(p) for p in pids)  # at shutdown, before exit
        client.exit(None)
        client.capabilities = None  # the session is over: lsp_session has nothing to end


async def test_the_agent_starts_with_the_server(ws: Path) -> None:
    """The first compile (a stale module opened) does not wait for Racket
    and compiler/cm to load: the first agent starts while the module graph
    loads and scans, before any module is opened or saved."""
    write_chain(ws)
    quiet = {"checkOnStartup": False}
    async with lsp_session(ws, init_options=quiet) as client:
        await wait_idle(client)
        first = (await status(client))["agent"]
        assert first is not None and first["state"] == "idle" and first["compiles"] == 0
        assert alive(first["pid"])
    off = {**quiet, "compileOnSave": "off"}
    async with lsp_session(ws, init_options=off) as client:
        await wait_idle(client)
        assert (await status(client))["agent"] is None  # nothing will compile


def _cmdline(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


async def test_agents_run_the_compiled_helpers_once_they_are_made(ws: Path, tmp_path: Path) -> None:
    """The first server compiles the helpers into the cache folder (after its
    first builds); the next server's agent runs that compiled copy, and
    compiles with it.  Nothing is written into the installation."""
    _, _, top = write_chain(ws)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    quiet = {"checkOnStartup": False}
    dirs = installation_dirs()
    before = snapshot(dirs)
    async with lsp_session(ws, env=env, init_options=quiet) as client:
        await wait_idle(client)
    (made,) = (tmp_path / "cache" / "raco-lsp" / "helpers").iterdir()
    assert (made / "compiled" / "agent_rkt.zo").is_file()
    assert (made / "compiled" / "compile_rkt.zo").is_file()
    assert (made / "compiled" / "test-runner_rkt.zo").is_file()
    async with lsp_session(ws, env=env, init_options=quiet) as client:
        open_file(client, top)  # never compiled
        await wait_idle(client)
        agent = (await status(client))["agent"]
        assert str(made / "agent.rkt").encode() in _cmdline(agent["pid"])
        assert agent["compiles"] > 0 and (ws / "compiled" / "top_rkt.zo").exists()
        assert diagnostics(client, top) == []
    assert snapshot(dirs) == before


async def test_a_corrupt_compiled_helper_is_removed_and_the_source_runs(
    ws: Path, tmp_path: Path
) -> None:
    """An agent that cannot start from the compiled copy (a corrupt .zo)
    removes it and starts from the shipped source: the server still compiles."""
    _, _, top = write_chain(ws)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    quiet = {"checkOnStartup": False}
    async with lsp_session(ws, env=env, init_options=quiet) as client:
        await wait_idle(client)
    (made,) = (tmp_path / "cache" / "raco-lsp" / "helpers").iterdir()
    (made / "compiled" / "agent_rkt.zo").write_bytes(b"#~not a compiled module")
    async with lsp_session(ws, env=env, init_options=quiet) as client:
        open_file(client, top)  # never compiled
        await wait_idle(client)
        agent = (await status(client))["agent"]
        assert str(made / "agent.rkt").encode() not in _cmdline(agent["pid"])
        assert agent["state"] == "idle" and agent["compiles"] > 0
        assert (ws / "compiled" / "top_rkt.zo").exists()
        assert diagnostics(client, top) == []
    # Made again, whole, once the builds were done.
    (again,) = (tmp_path / "cache" / "raco-lsp" / "helpers").iterdir()
    assert (again / "compiled" / "agent_rkt.zo").read_bytes() != b"#~not a compiled module"


async def test_a_stale_module_opened_before_the_scan_compiles_first(ws: Path) -> None:
    """A module opened as the server starts, stale while everything it
    requires is up to date, is compiled alone at once (before the workspace
    scan is done); its dependents follow, in a second build, once the
    scanned graph names them."""
    _, mid, top = write_chain(ws)
    subprocess.run(["raco", "make", str(top)], check=True, stdin=subprocess.DEVNULL)
    mid.write_text(mid.read_text() + "(define h 2)\n")  # stale, and so is top
    # top's .zo no older than mid's will be (compiled in the same second):
    # by timestamps alone it would look current.
    soon = time.time() + 1
    for p in (ws / "compiled").glob("top_rkt.*"):
        os.utime(p, (soon, soon))
    async with lsp_session(ws) as client:
        statuses = collect(client, "raco/buildStatus")
        open_file(client, mid)
        await wait_idle(client)
        one = [
            {"building": True, "done": 0, "total": 1, "errors": 0},
            {"building": True, "done": 1, "total": 1, "errors": 0},
            {"building": False, "done": 1, "total": 1, "errors": 0},
        ]
        assert statuses == one + one  # mid alone, then top
        assert diagnostics(client, mid) == [] and diagnostics(client, top) == []
        graph = await request(client, "raco/moduleGraph", None)
        assert not [n["path"] for n in graph["nodes"] if n["workspace"] and n["stale"]]
    # compiler/cm agrees: nothing is left to compile or touch.
    assert all(line.startswith("checking: ") for line in cm_log(top))
