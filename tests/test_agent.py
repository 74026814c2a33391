"""The compile agent client: unit tests with a fake agent, then the real one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from raco_lsp.racket.agent import AgentCrashed, AgentState, CompileAgent, racket_agent_factory
from raco_lsp.racket.env import data_file
from raco_lsp.racket.jsonl import JsonLinesProcess
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.process import start_process

FAKE = Path(__file__).parent / "fakes" / "fake_agent.py"


def fake_factory() -> CompileAgent:
    async def start() -> asyncio.subprocess.Process:
        return await start_process(
            [sys.executable, str(FAKE)], cwd=FAKE.parent, env=dict(os.environ)
        )

    return CompileAgent(start)


async def test_states_and_a_compile(tmp_path: Path) -> None:
    states: list[AgentState] = []
    agent = fake_factory()
    agent._on_state = states.append
    run = await agent.compile([tmp_path / "ok.rkt"], roots=[tmp_path], timeout=10)
    assert run.ok and agent.state is AgentState.IDLE
    assert await agent.ping() == 1
    await agent.stop()
    assert states == [
        AgentState.STARTING,
        AgentState.IDLE,
        AgentState.BUILDING,
        AgentState.IDLE,
        AgentState.STOPPED,
    ]


async def test_crash_is_reported_and_the_next_request_restarts(tmp_path: Path) -> None:
    agent = fake_factory()
    with pytest.raises(AgentCrashed, match=r"exit code 3\): fake agent: crashing as asked"):
        await agent.compile([tmp_path / "crash.rkt"], roots=[tmp_path], timeout=10)
    assert agent.state.value == "crashed"
    run = await agent.compile([tmp_path / "ok.rkt"], roots=[tmp_path], timeout=10)
    assert run.ok and agent.state is AgentState.IDLE
    await agent.stop()


async def test_timeout_replaces_the_agent(tmp_path: Path) -> None:
    agent = fake_factory()
    await agent.start()
    first = agent.pid
    run = await agent.compile([tmp_path / "hang.rkt"], roots=[tmp_path], timeout=0.5)
    assert run.timed_out and "did not finish within 0.5 s" in run.problems[0].message
    assert agent.restarts == 1 and agent.pid != first and agent.state is AgentState.IDLE
    await agent.stop()


async def test_cancel_that_is_ignored_replaces_the_agent(tmp_path: Path) -> None:
    agent = fake_factory()
    await agent.start()
    first = agent.pid
    task = asyncio.create_task(agent.compile([tmp_path / "hang.rkt"], roots=[tmp_path], timeout=30))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert agent.restarts == 1 and agent.pid != first
    await agent.stop()


async def test_real_agent_cancel_breaks_a_looping_compile(tmp_path: Path) -> None:
    install, _ = locate_racket()
    assert install is not None
    loop = tmp_path / "loop.rkt"
    loop.write_text(
        "#lang racket/base\n(require (for-syntax racket/base))\n"
        "(define-syntax (forever stx) (let l () (l)))\n(forever)\n"
    )
    agent = CompileAgent(racket_agent_factory(install))
    await agent.start()
    pid = agent.pid
    task = asyncio.create_task(agent.compile([loop], roots=[tmp_path], timeout=60))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert agent.restarts == 0 and agent.pid == pid  # the break stopped it
    ok = tmp_path / "ok.rkt"
    ok.write_text("#lang racket/base\n(define x 1)\n")
    assert (await agent.compile([ok], roots=[tmp_path], timeout=60)).ok
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(AgentCrashed):
        await agent.compile([loop], roots=[tmp_path], timeout=60)
    await agent.stop()


async def test_a_cancel_right_behind_its_compile_still_gets_the_result(tmp_path: Path) -> None:
    """A cancel that reaches the agent right behind its compile (before the
    compile's thread has run) stops it with a result, as any cancel does:
    the break never kills the thread before its handler is in place."""
    install, _ = locate_racket()
    assert install is not None
    ok = tmp_path / "ok.rkt"
    ok.write_text("#lang racket/base\n(define x 1)\n")
    helper = await JsonLinesProcess.start(
        "compile agent", racket_agent_factory(install), ready_timeout=60
    )
    try:
        for _ in range(5):
            req = {"op": "compile", "files": [str(ok)], "roots": [str(tmp_path)]}
            with await helper.request(req) as pending:
                await helper.send({"op": "cancel", "id": pending.id})
                events: list[dict[str, Any]] = []
                while not events or events[-1]["event"] != "result":
                    events.append(await asyncio.wait_for(pending.next(), 30))
    finally:
        await helper.close()


def test_each_role_says_only_json_and_the_analysis_agent_is_ready_loaded(tmp_path: Path) -> None:
    """Each role's stdout is JSON lines from the first; the analysis agent
    has loaded check-syntax before it says it is ready (its first analysis
    does not load it), the compile agent has not."""
    install, _ = locate_racket()
    assert install is not None
    program = '{"id": 1, "op": "ping"}\n'
    for role, loaded in (("compile", False), ("analysis", True)):
        run = subprocess.run(
            [str(install.racket), str(data_file("agent.rkt")), role],
            input=program,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ready, pong = [json.loads(line) for line in run.stdout.splitlines()]
        assert ready["event"] == "ready" and pong["event"] == "pong", run.stdout
        assert (pong["memory"] > 120_000_000) is loaded, (role, pong["memory"])
