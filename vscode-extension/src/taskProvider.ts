// The `raco` tasks (`raco make`, `raco test`, `raco setup` on each workspace
// folder), and the `distro-build` tasks (`make describe-clients|installers|site
// CONFIG=...` in a folder that is a Racket source checkout); their argv comes
// from tasks.ts.
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { config } from "./config";
import {
  DISTRO_TARGETS,
  RACO_TASKS,
  distroMakeArgs,
  distroTaskLabel,
  isSiteConfigText,
  isSourceCheckout,
  racoExecutable,
  racoTaskArgs,
  type DistroTaskDefinition,
  type RacoTask,
} from "./tasks";

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

function sourceCheckout(folder: vscode.WorkspaceFolder): boolean {
  const root = folder.uri.fsPath;
  let makefile: string | undefined;
  let src = false;
  try {
    src = statSync(path.join(root, "racket", "src")).isDirectory();
    makefile = src ? readFileSync(path.join(root, "Makefile"), "utf8") : undefined;
  } catch {
    return false;
  }
  return isSourceCheckout(src, makefile);
}

function distroTask(folder: vscode.WorkspaceFolder, def: DistroTaskDefinition): vscode.Task {
  const t = new vscode.Task(
    { type: "distro-build", ...def },
    folder,
    distroTaskLabel(def),
    "distro-build",
    new vscode.ProcessExecution("make", distroMakeArgs(def), { cwd: folder.uri.fsPath }),
    [],
  );
  t.group = vscode.TaskGroup.Build;
  return t;
}

/**
 * `make describe-clients|installers|site CONFIG=...` for the default
 * configuration and the open site configurations of each folder that is a
 * Racket source checkout; a tasks.json entry adds `mode`, `release`, `clean`
 * (CONFIG_MODE, RELEASE_MODE, CLEAN_MODE; `${input:...}` works there). Not
 * offered in an untrusted folder (the build farm runs its code).
 */
export function registerDistroTaskProvider(): vscode.Disposable {
  return vscode.tasks.registerTaskProvider("distro-build", {
    provideTasks: () => {
      if (!vscode.workspace.isTrusted) {
        return [];
      }
      const out: vscode.Task[] = [];
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        if (!sourceCheckout(f)) {
          continue;
        }
        const configs = new Set(["build/site.rkt"]);
        for (const d of vscode.workspace.textDocuments) {
          const rel = path.relative(f.uri.fsPath, d.uri.fsPath);
          if (d.uri.scheme === "file" && !rel.startsWith("..") && isSiteConfigText(d.getText())) {
            configs.add(rel);
          }
        }
        for (const config of configs) {
          for (const target of DISTRO_TARGETS) {
            out.push(distroTask(f, { target, config }));
          }
        }
      }
      return out;
    },
    resolveTask: (task) => {
      const def = task.definition as Partial<DistroTaskDefinition>;
      const folder = task.scope;
      if (
        !vscode.workspace.isTrusted ||
        typeof folder !== "object" ||
        def.target === undefined ||
        !DISTRO_TARGETS.includes(def.target)
      ) {
        return undefined;
      }
      return distroTask(folder, { ...def, target: def.target });
    },
  });
}
