// The `raco` tasks (`raco make`, `raco test`, `raco setup` on each workspace
// folder); their argv comes from tasks.ts.
import { statSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { config } from "./config";
import { RACO_TASKS, racoExecutable, racoTaskArgs, type RacoTask } from "./tasks";

/** The raco executable `raco-lsp.racketPath` names (else raco on PATH). */
export function raco(): string {
  return racoExecutable(config().get("racketPath"), (p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

async function racoTask(folder: vscode.WorkspaceFolder, task: RacoTask): Promise<vscode.Task> {
  const modules =
    task === "make"
      ? (await vscode.workspace.findFiles(new vscode.RelativePattern(folder, "**/*.rkt"), "**/{compiled,dist}/**"))
          .map((u) => path.relative(folder.uri.fsPath, u.fsPath))
          .filter((p) => path.basename(p) !== "info.rkt")
          .sort()
      : [];
  const t = new vscode.Task(
    { type: "raco", task },
    folder,
    `raco ${task}`,
    "raco",
    new vscode.ProcessExecution(raco(), racoTaskArgs(task, folder.uri.fsPath, folder.name, modules), {
      cwd: folder.uri.fsPath,
    }),
    ["$racket"],
  );
  t.group = task === "test" ? vscode.TaskGroup.Test : vscode.TaskGroup.Build;
  return t;
}

/** Not offered in an untrusted folder (the tasks run its code). */
export function registerTaskProvider(): vscode.Disposable {
  return vscode.tasks.registerTaskProvider("raco", {
    provideTasks: async () => {
      if (!vscode.workspace.isTrusted) {
        return [];
      }
      const out: vscode.Task[] = [];
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        for (const t of RACO_TASKS) {
          out.push(await racoTask(f, t));
        }
      }
      return out;
    },
    resolveTask: async (task) => {
      const def = task.definition as { task?: string };
      const folder = task.scope;
      if (typeof folder !== "object" || !RACO_TASKS.includes(def.task as RacoTask)) {
        return undefined;
      }
      return racoTask(folder, def.task as RacoTask);
    },
  });
}
