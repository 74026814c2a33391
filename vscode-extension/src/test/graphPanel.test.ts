import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphPanel, type PanelLike } from "../graphPanel";

class FakePanel implements PanelLike {
  title = "";
  html: string[] = [];
  reveals = 0;
  private disposed: (() => void)[] = [];
  setHtml(html: string): void {
    this.html.push(html);
  }
  reveal(): void {
    this.reveals++;
  }
  onDidDispose(listener: () => void): void {
    this.disposed.push(listener);
  }
  dispose(): void {
    this.disposed.forEach((f) => f());
  }
}

function setup(): { view: GraphPanel<string>; panels: FakePanel[]; state: { n: number } } {
  const panels: FakePanel[] = [];
  const state = { n: 0 };
  const view = new GraphPanel<string>(
    () => {
      const p = new FakePanel();
      panels.push(p);
      return p;
    },
    async (focus) => ({ title: `Module graph: ${focus ?? "workspace"}`, html: `${focus}#${++state.n}` }),
  );
  return { view, panels, state };
}

test("running the command again reveals the one panel, pointed at the new module", async () => {
  const { view, panels } = setup();
  await view.show("a.rkt");
  await view.show("b.rkt");
  assert.equal(panels.length, 1);
  assert.equal(panels[0]!.reveals, 1);
  assert.equal(panels[0]!.title, "Module graph: b.rkt");
  assert.deepEqual(panels[0]!.html, ["a.rkt#1", "b.rkt#2"]);
});

test("a refresh renders the open panel again in place; none open, nothing", async () => {
  const { view, panels, state } = setup();
  await view.refresh();
  assert.equal(state.n, 0);
  await view.show("a.rkt");
  await view.refresh();
  assert.equal(panels.length, 1);
  assert.deepEqual(panels[0]!.html, ["a.rkt#1", "a.rkt#2"]);
});

test("a closed panel is not refreshed, and the next show opens a new one", async () => {
  const { view, panels, state } = setup();
  await view.show("a.rkt");
  panels[0]!.dispose();
  assert.equal(view.isOpen, false);
  await view.refresh();
  assert.equal(state.n, 1);
  await view.show(undefined);
  assert.equal(panels.length, 2);
  assert.equal(panels[1]!.title, "Module graph: workspace");
});

test("overlapping renderings: only the newest is shown", async () => {
  const resolvers: ((html: string) => void)[] = [];
  const panel = new FakePanel();
  const view = new GraphPanel<string>(
    () => panel,
    (focus) => new Promise((resolve) => resolvers.push((html) => resolve({ title: focus ?? "", html }))),
  );
  const first = view.show("a.rkt");
  const second = view.refresh();
  resolvers[1]!("new");
  resolvers[0]!("old");
  await Promise.all([first, second]);
  assert.deepEqual(panel.html, ["new"]);
});
