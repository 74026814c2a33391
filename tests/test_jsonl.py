"""The one JSON-lines client (racket/jsonl.py): both Racket helpers speak its
protocol (ready, request ids, ``shutdown``), and it survives what a helper may
write besides its events."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.jsonl import HelperDied, JsonLinesProcess
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.process import start_process


@pytest.mark.parametrize(
    ("helper", "op"),
    [("agent.rkt", {"op": "ping"}), ("test-runner.rkt", {"op": "plan", "paths": []})],
)
async def test_both_racket_helpers_answer_by_id_and_exit_when_asked(
    tmp_path: Path, helper: str, op: dict[str, object]
) -> None:
    install, _ = locate_racket()
    assert install is not None

    async def start() -> asyncio.subprocess.Process:
        return await start_process(
            [str(install.racket), str(data_file(helper))], cwd=tmp_path, env=racket_env()
        )

    exits: list[JsonLinesProcess] = []
    proc = await JsonLinesProcess.start(helper, start, ready_timeout=60, on_exit=exits.append)
    with await proc.request(op) as pending:
        event = await asyncio.wait_for(pending.next(), 60)
    assert event["id"] == pending.id and event["event"] in ("pong", "plan")
    await proc.close(grace=20)  # sends {"op": "shutdown"}
    assert proc.proc.returncode == 0  # it exited by itself: it was not killed
    assert exits == []  # asked to end: not reported as a death


FAKE = """
import json, sys
print("not json", flush=True)
print(json.dumps([1, 2]), flush=True)
print(json.dumps({"event": "ready"}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": 999, "event": "stray"}), flush=True)
    print(json.dumps({"id": True, "event": "stray"}), flush=True)
    print(json.dumps({"id": req["id"], "event": "answer", "op": req["op"]}), flush=True)
    if req["op"] == "die":
        sys.stderr.write("going away\\n")
        sys.exit(7)
"""


async def test_stray_lines_are_dropped_and_a_death_fails_the_request(tmp_path: Path) -> None:
    script = tmp_path / "fake.py"
    script.write_text(FAKE)

    async def start() -> asyncio.subprocess.Process:
        return await start_process(
            [sys.executable, str(script)], cwd=tmp_path, env=dict(os.environ)
        )

    exits: list[JsonLinesProcess] = []
    proc = await JsonLinesProcess.start("fake", start, ready_timeout=30, on_exit=exits.append)
    with await proc.request({"op": "hello"}) as pending:
        assert await pending.next() == {"id": pending.id, "event": "answer", "op": "hello"}
    with await proc.request({"op": "die"}) as pending:
        assert (await pending.next())["event"] == "answer"
        with pytest.raises(HelperDied, match=r"^exit code 7: going away$"):
            await asyncio.wait_for(pending.next(), 30)
        with pytest.raises(HelperDied):  # and so does every later wait
            await pending.next()
    assert exits == [proc] and not proc.running
    with pytest.raises(HelperDied):
        await proc.request({"op": "hello"})
    await proc.kill()
