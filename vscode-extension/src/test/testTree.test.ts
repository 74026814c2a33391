import assert from "node:assert/strict";
import { test } from "node:test";
import type { ServerTestItem } from "../lsp_ext";
import { allIds, describe, fileOf, outcome, runParams, sortKey } from "../testTree";

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
  assert.equal(describe(sub), "module+");
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
