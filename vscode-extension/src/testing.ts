// The Test Explorer: a TestController fed by raco/discoverTests and
// raco/testItems, run through raco/runTests with raco/testResult streamed in.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import {
  discoverTests,
  runTests,
  testItems,
  testResult,
  type ServerTestItem,
  type ServerTestResult,
} from "./lsp_ext";
import { describe, fileOf, outcome, RunStates, runParams, sortKey } from "./testTree";

export interface TestSnapshot {
  id: string;
  label: string;
  children: TestSnapshot[];
  state?: string;
  message?: string;
  expected?: string;
  actual?: string;
  line?: number;
}

export class RacketTests implements vscode.Disposable {
  readonly controller: vscode.TestController;
  private readonly items = new Map<string, vscode.TestItem>();
  private readonly runs = new Map<string, { run: vscode.TestRun; states: RunStates }>();
  /** Last outcome per id, for the test-only state dump. */
  readonly states = new Map<string, { state: string; message?: string; expected?: string; actual?: string }>();
  private readonly disposables: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private runCounter = 0;

  constructor() {
    this.controller = vscode.tests.createTestController("raco-lsp", "Racket (raco test)");
    this.controller.resolveHandler = async (item): Promise<void> => {
      if (item === undefined) {
        await this.discover();
      } else {
        await this.discover(item.id);
      }
    };
    this.controller.refreshHandler = async (): Promise<void> => {
      await this.discover();
    };
    this.controller.createRunProfile(
      "Run",
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token),
      true,
    );
    this.disposables.push(this.controller);
  }

  /** Attaches to a (re)started client. */
  attach(client: LanguageClient): void {
    this.client = client;
    this.disposables.push(
      client.onNotification(testItems, (p) => {
        const file = this.items.get(p.uri);
        if (file !== undefined) {
          file.children.replace(p.items.map((x) => this.toItem(x)));
        } else {
          void this.discover(p.uri);
        }
      }),
      client.onNotification(testResult, (r) => this.onResult(r)),
    );
  }

  async discover(uri?: string): Promise<void> {
    const client = this.client;
    if (client === undefined) {
      return;
    }
    const result = await client.sendRequest(discoverTests, uri === undefined ? {} : { uri });
    const items = result?.items ?? [];
    if (uri === undefined) {
      this.controller.items.replace(items.map((x) => this.toItem(x)));
    } else {
      for (const x of items) {
        this.controller.items.add(this.toItem(x));
      }
    }
  }

  private toItem(x: ServerTestItem): vscode.TestItem {
    const uri = vscode.Uri.parse(x.uri);
    const item = this.controller.createTestItem(x.id, x.label, uri);
    if (x.range !== null && this.client !== undefined) {
      item.range = this.client.protocol2CodeConverter.asRange(x.range);
    }
    item.description = describe(x);
    item.sortText = sortKey(x);
    item.children.replace(x.children.map((c) => this.toItem(c)));
    this.items.set(x.id, item);
    return item;
  }

  /** Runs every test of one file (Racket: Run Tests in File). */
  async runFile(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    let item = this.items.get(key);
    if (item === undefined) {
      await this.discover(key);
      item = this.items.get(key);
    }
    const request = new vscode.TestRunRequest(item === undefined ? undefined : [item]);
    const cts = new vscode.CancellationTokenSource();
    try {
      await this.run(request, cts.token);
    } finally {
      cts.dispose();
    }
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const client = this.client;
    const run = this.controller.createTestRun(request);
    const runId = `vscode-${process.pid}-${++this.runCounter}`;
    this.runs.set(runId, { run, states: new RunStates() });
    const ids = request.include?.map((i) => i.id);
    const started = (items: Iterable<vscode.TestItem>): void => {
      for (const i of items) {
        run.started(i);
        const kids: vscode.TestItem[] = [];
        i.children.forEach((c) => kids.push(c));
        started(kids);
      }
    };
    const roots: vscode.TestItem[] = [];
    if (request.include) {
      roots.push(...request.include);
    } else {
      this.controller.items.forEach((i) => roots.push(i));
    }
    started(roots);
    try {
      if (client === undefined) {
        throw new Error("the raco-lsp server is not running");
      }
      // A test-case id runs its whole file: rackunit cannot run one alone.
      const files = ids === undefined ? undefined : [...new Set(ids.map(fileOf))];
      const result = await client.sendRequest(runTests, runParams(files, runId), token);
      if (!result.ran) {
        const msg = new vscode.TestMessage(result.reason ?? "tests were not run");
        for (const i of roots) {
          run.errored(i, msg);
        }
        run.appendOutput(`${result.reason ?? "tests were not run"}\r\n`);
      } else {
        run.appendOutput(
          `raco test: ${result.failed ?? 0}/${result.total ?? 0} test failures\r\n`,
        );
        for (const p of result.problems ?? []) {
          run.appendOutput(`${p}\r\n`);
        }
      }
    } catch (e) {
      if (!token.isCancellationRequested) {
        const msg = new vscode.TestMessage(`raco test failed: ${String(e)}`);
        for (const i of roots) {
          run.errored(i, msg);
        }
      }
    } finally {
      this.runs.delete(runId);
      run.end();
    }
  }

  private onResult(r: ServerTestResult): void {
    const current = r.runId === undefined ? undefined : this.runs.get(r.runId);
    const item = r.id === null ? undefined : this.items.get(r.id) ?? this.items.get(r.uri);
    const o = outcome(r);
    if (r.id !== null) {
      this.states.set(r.id, {
        state: o.state,
        message: o.message?.text,
        expected: o.message?.expected,
        actual: o.message?.actual,
      });
    }
    if (current === undefined || item === undefined) {
      return;
    }
    const run = current.run;
    if (r.stdout) {
      run.appendOutput(r.stdout.replace(/\r?\n/g, "\r\n"), undefined, item);
    }
    if (!current.states.owns(r)) {
      // Its items' states count; the file's summary goes to the output.
      const text = o.message?.text;
      if (text !== undefined && text !== "") {
        run.appendOutput(`${text.replace(/\r?\n/g, "\r\n")}\r\n`, undefined, item);
      }
      return;
    }
    if (o.state === "passed") {
      run.passed(item, o.duration);
      return;
    }
    const m = o.message;
    const text = m?.text ?? o.state;
    const msg =
      m?.expected !== undefined && m.actual !== undefined
        ? vscode.TestMessage.diff(text, m.expected, m.actual)
        : new vscode.TestMessage(text);
    if (m?.location && this.client !== undefined) {
      msg.location = new vscode.Location(
        vscode.Uri.parse(m.location.uri),
        this.client.protocol2CodeConverter.asRange(m.location.range),
      );
    }
    if (o.state === "failed") {
      run.failed(item, msg, o.duration);
    } else {
      run.errored(item, msg, o.duration);
    }
  }

  /** The tree with the last results (test-only state dump). */
  snapshot(): TestSnapshot[] {
    const walk = (items: vscode.TestItemCollection): TestSnapshot[] => {
      const out: TestSnapshot[] = [];
      items.forEach((i) => {
        const s = this.states.get(i.id);
        out.push({
          id: i.id,
          label: i.label,
          line: i.range?.start.line,
          children: walk(i.children),
          ...(s ?? {}),
        });
      });
      return out;
    };
    return walk(this.controller.items);
  }

  /** A deleted file: its items go away. */
  remove(uri: string): void {
    this.controller.items.delete(uri);
    for (const id of [...this.items.keys()]) {
      if (fileOf(id) === uri) {
        this.items.delete(id);
      }
    }
  }

  detach(): void {
    this.client = undefined;
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
