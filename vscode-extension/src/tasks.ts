// Argument lists of the raco tasks (TaskProvider). No `vscode` import: unit-tested with node.

export type RacoTask = "make" | "test" | "setup";

export const RACO_TASKS: readonly RacoTask[] = ["make", "test", "setup"];

/** The raco executable for `raco-lsp.racketPath` (a directory, its bin/, or racket itself). */
export function racoExecutable(racketPath: unknown, isFile: (p: string) => boolean): string {
  if (typeof racketPath !== "string" || racketPath === "") {
    return "raco";
  }
  const p = racketPath.replace(/\/+$/, "");
  if (p.endsWith("/racket") && isFile(p)) {
    return `${p.slice(0, -"racket".length)}raco`;
  }
  return p.endsWith("/bin") ? `${p}/raco` : `${p}/bin/raco`;
}

/**
 * argv after `raco` for a task on a workspace folder: `raco make -v FILES`
 * (the folder's modules, relative), `raco test FOLDER`, `raco setup --no-docs
 * --pkgs NAME` (the package installed under the folder's name).
 */
export function racoTaskArgs(task: RacoTask, folder: string, folderName: string, modules: readonly string[]): string[] {
  switch (task) {
    case "make":
      return ["make", "-v", ...modules];
    case "test":
      return ["test", folder];
    case "setup":
      return ["setup", "--no-docs", "--pkgs", folderName];
  }
}
