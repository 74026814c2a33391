"""A stand-in for agent.rkt, for unit tests of the Python client only.

Compiling a file whose base name contains "crash" exits the process, "hang"
never answers (and ignores cancel), anything else succeeds at once.
"""

import json
import os
import sys

print(json.dumps({"event": "ready"}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    rid = req.get("id")
    if req.get("op") == "ping":
        print(json.dumps({"id": rid, "event": "pong", "memory": 1}), flush=True)
    elif req.get("op") == "compile":
        f = req["files"][0]
        name = os.path.basename(f)
        if "crash" in name:
            sys.stderr.write("fake agent: crashing as asked\n")
            sys.stderr.flush()
            sys.exit(3)
        if "hang" in name:
            continue
        print(json.dumps({"id": rid, "event": "start", "file": f}), flush=True)
        print(json.dumps({"id": rid, "event": "done", "file": f, "ok": True}), flush=True)
        print(json.dumps({"id": rid, "event": "result", "ok": True}), flush=True)
    elif req.get("op") == "shutdown":
        sys.exit(0)
