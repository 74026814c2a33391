import assert from "node:assert/strict";
import { test } from "node:test";
import type { ServerTestItem, ServerTestResult } from "../lsp_ext";
import { allIds, describe, fileOf, outcome, RunStates, runParams, sortKey } from "../testTree";

const U = "file:///w%20s/greet.rkt";
const range = (l: number, c: number) => ({ start: { line: l, character: c }, end: { line: l, character: c + 5 } });
const tree: ServerTestItem[] = [
  {
    id: U,
    label: "greet.rkt",
    kind: "file",
    uri: U,
    range: null,
    children: [
      {
        id: `${U}#submodule:test`,
        label: "test",
        kind: "submodule",
        uri: U,
        range: range(13, 0),
        children: [
          { id: `${U}#check:15:2`, label: "check-equal?", kind: "check", uri: U, range: range(15, 2), children: [] },
          { id: `${U}#test-case:several names`, label: "several names", kind: "test-case", uri: U, range: range(17, 2), children: [] },
        ],
      },
    ],
  },
];

test("ids, files and run parameters", () => {
  assert.deepEqual(allIds(tree), [U, `${U}#submodule:test`, `${U}#check:15:2`, `${U}#test-case:several names`]);
  assert.equal(fileOf(`${U}#test-case:a#b`), U);
  assert.equal(fileOf(U), U);
  assert.deepEqual(runParams(undefined, "r1"), { runId: "r1" });
  assert.deepEqual(runParams([U, U], "r1"), { ids: [U], runId: "r1" });
});

test("descriptions and stable order by position", () => {
  const sub = tree[0]!.children[0]!;
  assert.equal(describe(sub), "module+ :14");
  assert.equal(describe(sub.children[0]!), "check :16");
  assert.equal(describe(tree[0]!), undefined);
  assert.ok(sortKey(sub.children[0]!) < sortKey(sub.children[1]!));
  assert.ok(sortKey({ ...sub, range: range(9, 0) }) < sortKey({ ...sub, range: range(10, 0) }));
});

test("a failing check becomes a diff message at its location", () => {
  const o = outcome({
    runId: "r",
    uri: U,
    id: `${U}#check:15:2`,
    kind: "check",
    status: "failed",
    check: "check-equal?",
    message: "",
    actual: '"Hello, World!"',
    expected: '"Hello, World."',
    location: { uri: U, range: range(15, 2) },
    duration: 3,
  });
  assert.equal(o.state, "failed");
  assert.equal(o.duration, 3);
  assert.deepEqual(o.message, {
    text: "check-equal?",
    expected: '"Hello, World."',
    actual: '"Hello, World!"',
    location: { uri: U, range: range(15, 2) },
  });
});

test("passed, errored files with stderr and timeouts", () => {
  assert.deepEqual(outcome({ uri: U, id: U, kind: "check", status: "passed", duration: null }), {
    state: "passed",
    duration: undefined,
  });
  const o = outcome({
    uri: U,
    id: U,
    kind: "file",
    status: "errored",
    message: "timed out after 5 s",
    failed: 1,
    total: 1,
    timedOut: true,
    stderr: "boom\n",
  });
  assert.equal(o.state, "errored");
  assert.equal(o.message?.text, "timed out after 5 s\ntimed out\n1/1 test failures\nboom");
  assert.equal(o.message?.expected, undefined);
});

test("a run counts what raco test counts: 3 checks, 1 failing, is 2/3 passed", () => {
  // What the server streams for greet.rkt (raco test: "1/3 test failures").
  const check = (line: number, status: ServerTestResult["status"]): ServerTestResult => ({
    runId: "r",
    uri: U,
    id: `${U}#check:${line}:2`,
    kind: "check",
    status,
    duration: 1,
  });
  const stream: ServerTestResult[] = [
    check(15, "passed"),
    check(16, "failed"),
    check(17, "passed"),
    { runId: "r", uri: U, id: U, kind: "file", status: "failed", failed: 1, total: 3, duration: 3 },
  ];
  // As VS Code counts: every item given a state of its own.
  const states = new RunStates();
  const counted = stream.filter((r) => states.owns(r)).map((r) => outcome(r).state);
  assert.deepEqual(
    { passed: counted.filter((s) => s === "passed").length, run: counted.length },
    { passed: 2, run: 3 },
  );
  // A file none of whose items reported (no test ran) says how it went itself.
  const other = "file:///w/other.rkt";
  assert.equal(
    new RunStates().owns({ runId: "r", uri: other, id: other, kind: "file", status: "passed", duration: 2 }),
    true,
  );
});
