// raco-lsp for VS Code: creates the pieces and wires them together.
// client.ts starts the server (bootstrap.ts finds it), status.ts shows what
// it does, commands.ts and taskProvider.ts are the palette and the tasks,
// testing.ts the Test Explorer, testHooks.ts the e2e test's state dump.
import * as vscode from "vscode";
import { Server } from "./client";
import { registerCommands } from "./commands";
import { StatusBar } from "./status";
import { registerDistroTaskProvider, registerTaskProvider } from "./taskProvider";
import { registerTestHooks } from "./testHooks";
import { RacketTests } from "./testing";

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("raco-lsp", { log: true });
  const status = new StatusBar();
  const tests = new RacketTests();
  context.subscriptions.push(output, status, tests);
  server = new Server(context, output, status, tests);
  context.subscriptions.push(
    ...server.listen(),
    vscode.languages.onDidChangeDiagnostics(() => status.countDiagnostics()),
  );
  // New and deleted modules: the Test Explorer follows (open files are kept current by
  // raco/testItems).
  const watcher = vscode.workspace.createFileSystemWatcher("**/*.{rkt,rktl,scrbl}");
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate((u) => {
      if (!u.path.includes("/compiled/")) {
        void tests.discover(u.toString()).catch(() => undefined);
      }
    }),
    watcher.onDidDelete((u) => tests.remove(u.toString())),
  );
  registerCommands(context, server, tests, output);
  context.subscriptions.push(registerTaskProvider(), registerDistroTaskProvider());
  registerTestHooks(context, status, tests);
  status.refresh();
  await server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
