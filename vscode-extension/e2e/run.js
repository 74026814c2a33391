// Drives a running code-server with Playwright and Debian's Chromium.
// Usage: node e2e/run.js CONFIG.json   (written by tests/test_vscode_e2e.py)
// CONFIG: {port, folder, dump, artifacts, scenario: "trusted" | "untrusted", chromium, profile}
// Writes screenshots into `artifacts` and prints one JSON line per step; the
// pytest test asserts on the state dumps the extension writes to `dump`.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const log = (step, extra = {}) => console.log(JSON.stringify({ step, t: Date.now(), ...extra }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function shot(page, name) {
  await page.screenshot({ path: path.join(cfg.artifacts, `${cfg.scenario}-${name}.png`) });
}

async function palette(page, title, { tries = 8, exact = true } = {}) {
  for (let i = 0; i < tries; i++) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("F1");
    try {
      await page.locator(".quick-input-widget .quick-input-box input").waitFor({ state: "visible", timeout: 5000 });
      await page.keyboard.type(title, { delay: 5 });
      const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
      await row.waitFor({ state: "visible", timeout: 4000 });
      if (exact) {
        const label = (await row.getAttribute("aria-label")) || "";
        if (!label.includes(title)) throw new Error(`row is ${label}`);
      }
      await page.keyboard.press("Enter");
      return;
    } catch (e) {
      log("palette-retry", { title, error: String(e).slice(0, 200) });
      await sleep(1500);
    }
  }
  throw new Error(`command not found in the palette: ${title}`);
}

async function dump(page) {
  const before = fs.existsSync(cfg.dump) ? fs.statSync(cfg.dump).mtimeMs : 0;
  await palette(page, "Racket: Dump State (for tests)");
  for (let i = 0; i < 50; i++) {
    if (fs.existsSync(cfg.dump) && fs.statSync(cfg.dump).mtimeMs !== before) {
      await sleep(100);
      return JSON.parse(fs.readFileSync(cfg.dump, "utf8"));
    }
    await sleep(200);
  }
  throw new Error("no state dump");
}

async function waitDump(page, what, pred, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await dump(page);
    if (pred(last)) {
      log("ok", { what });
      return last;
    }
    await sleep(1000);
  }
  fs.writeFileSync(path.join(cfg.artifacts, `${cfg.scenario}-last-dump.json`), JSON.stringify(last, null, 2));
  throw new Error(`timed out waiting for ${what}`);
}

async function openFile(page, name) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget .quick-input-box input").waitFor({ state: "visible", timeout: 10000 });
  await page.keyboard.type(name, { delay: 5 });
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press("Enter");
  await page.locator(`.tab.active[aria-label*="${name}"]`).first().waitFor({ timeout: 10000 });
  await sleep(500);
  await page.locator(".editor-group-container.active .monaco-editor .view-lines").first().click();
}

async function gotoLine(page, line) {
  await page.keyboard.press("Control+G");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
}

const fileDiags = (d, name) =>
  d.diagnostics.filter((f) => f.path.endsWith(`/${name}`)).flatMap((f) => f.diagnostics);

async function trusted(page) {
  // 1. The Test Explorer shows the tests; a run marks the failing check with a diff.
  await openFile(page, "text.rkt");
  await waitDump(page, "server running and tests discovered", (d) => d.server === "running" && d.tests.length > 0, 90000);
  await palette(page, "Testing: Focus on Test Explorer View", { exact: false });
  await sleep(1000);
  await shot(page, "1-test-explorer");
  await openFile(page, "text.rkt");
  await palette(page, "Racket: Run Tests in File");
  const failing = (d) => JSON.stringify(d.tests).includes('"state":"failed"');
  await waitDump(page, "a failing check", failing, 90000);
  await sleep(1500);
  await shot(page, "2-test-run");
  // 2. Build distribution from the command palette (Enter: info.rkt's launchers).
  await palette(page, "Racket: Build Distribution");
  await page.locator(".quick-input-widget .quick-input-box input").waitFor({ state: "visible", timeout: 10000 });
  await sleep(500);
  await page.keyboard.press("Enter");
  // The output folder, prefilled with the default (dist/bundle): Enter.
  await sleep(1000);
  await page.locator(".quick-input-widget .quick-input-box input").waitFor({ state: "visible", timeout: 10000 });
  await page.keyboard.press("Enter");
  await waitDump(page, "Build Distribution result", (d) => d.results["Build Distribution"] !== undefined, 180000);
  await sleep(500);
  await shot(page, "3-build-distribution");
  // 3. The module graph view of greet.rkt.
  await openFile(page, "greet.rkt");
  await palette(page, "Racket: Show Module Graph");
  await waitDump(page, "module graph", (d) => d.results["Show Module Graph"] !== undefined, 30000);
  await sleep(2000);
  await shot(page, "4-module-graph");
  // The "N dependencies" lens opens the same webview (the extension runs the server's command).
  await palette(page, "View: Close All Editors");
  await openFile(page, "greet.rkt");
  await page.locator(".codelens-decoration a", { hasText: "dependenc" }).first().click({ timeout: 30000 });
  await waitDump(page, "module graph from the lens", (d) => d.results["Module Graph Lens"] !== undefined, 30000);
  await sleep(1000);
  await shot(page, "4b-module-graph-lens");
  // 4. An error, saved: a squiggle and a Problems entry at the right place.
  await palette(page, "View: Close All Editors");
  await sleep(1000);
  await openFile(page, "greet.rkt");
  await gotoLine(page, 10);
  await page.keyboard.type("(oops-undefined 1");
  await page.keyboard.press("Control+S");
  await page.locator(".squiggly-error").first().waitFor({ timeout: 90000 });
  await waitDump(page, "greet.rkt error diagnostic", (d) => fileDiags(d, "greet.rkt").some((x) => x.severity === "Error"), 30000);
  await page.keyboard.press("Control+Shift+M");
  await page.locator(".markers-panel").first().waitFor({ timeout: 10000 });
  await sleep(1000);
  await shot(page, "5-error-squiggle-problems");
  fs.copyFileSync(cfg.dump, `${cfg.dump}.error.json`);
  // 5. The lens and the graph view follow the build: failing, then fixed, in place.
  const greetNode = (d) => (d.results["Show Module Graph"]?.nodes ?? []).find((n) => n.path.endsWith("/greet.rkt"));
  const lens = page.locator(".monaco-editor .codelens-decoration", { hasText: "dependen" }).first();
  await lens.filter({ hasText: "failed to compile" }).waitFor({ timeout: 60000 });
  log("ok", { what: "lens: failed to compile", lens: await lens.innerText() });
  await palette(page, "Racket: Show Module Graph");
  await waitDump(page, "graph view: greet.rkt failing", (d) => greetNode(d)?.failed !== undefined, 30000);
  // Back to greet.rkt's editor (the first group; the view is beside it).
  const editor = page.locator(".editor-group-container").first().locator(".monaco-editor .view-lines").first();
  await editor.click();
  await palette(page, "Racket: Show Module Graph"); // again: the same view, revealed
  await sleep(1000);
  await shot(page, "6-graph-failing");
  await editor.click();
  await gotoLine(page, 10);
  await page.keyboard.press("Home");
  await page.keyboard.press("Shift+End");
  await page.keyboard.press("Delete");
  await page.keyboard.press("Control+S");
  await lens.filter({ hasText: "up to date" }).waitFor({ timeout: 90000 });
  log("ok", { what: "lens: up to date", lens: await lens.innerText() });
  await waitDump(page, "graph view: greet.rkt up to date", (d) => greetNode(d)?.stale === false, 60000);
  await sleep(1000);
  await shot(page, "7-graph-fixed");
}

async function untrusted(page) {
  // The trust dialog: answer "No".
  const no = page.getByRole("button", { name: /No, I don.t trust the authors/ });
  try {
    await no.waitFor({ timeout: 20000 });
    await shot(page, "0-trust-dialog");
    await no.click();
  } catch (e) {
    log("no-trust-dialog", { error: String(e).slice(0, 200) });
  }
  await openFile(page, "greet.rkt");
  await waitDump(page, "server running, untrusted", (d) => d.server === "running" && d.trusted === false, 90000);
  await gotoLine(page, 10);
  await page.keyboard.type("(oops-undefined 1");
  await page.keyboard.press("Control+S");
  await sleep(6000);
  await shot(page, "1-untrusted-no-compile");
}

async function noServer(page) {
  // raco-lsp.server.pythonPath names a Python without raco_lsp: a clear error with the fix.
  const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "cannot import raco_lsp" });
  await toast.first().waitFor({ timeout: 60000 });
  await shot(page, "1-import-error");
  await waitDump(page, "server failed", (d) => d.server === "failed", 30000);
}

(async () => {
  const browser = await chromium.launchPersistentContext(cfg.profile, {
    executablePath: cfg.chromium,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  let code = 0;
  try {
    await page.goto(`http://127.0.0.1:${cfg.port}/?folder=${encodeURIComponent(cfg.folder)}`);
    await page.locator(".monaco-workbench .statusbar").waitFor({ timeout: 60000 });
    log("workbench");
    if (cfg.scenario === "trusted") {
      await trusted(page);
    } else if (cfg.scenario === "untrusted") {
      await untrusted(page);
    } else {
      await noServer(page);
    }
    await dump(page);
    log("done");
  } catch (e) {
    code = 1;
    log("error", { error: String(e && e.stack ? e.stack : e) });
    try {
      await shot(page, "failure");
    } catch {
      /* the page is gone */
    }
  } finally {
    await browser.close();
  }
  process.exit(code);
})();
