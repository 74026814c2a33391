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

// -- build farms: the Racket source checkout's makefile targets ---------------

export type DistroTarget = "describe-clients" | "installers" | "site";

export const DISTRO_TARGETS: readonly DistroTarget[] = ["describe-clients", "installers", "site"];

/** The `distro-build` task definition (package.json taskDefinitions). */
export interface DistroTaskDefinition {
  target: DistroTarget;
  /** CONFIG: the site configuration, relative to the checkout. */
  config?: string;
  /** CONFIG_MODE. */
  mode?: string;
  /** RELEASE_MODE=--release. */
  release?: boolean;
  /** CLEAN_MODE=--clean. */
  clean?: boolean;
}

/** A folder is a Racket source checkout: `racket/src` and a Makefile with an `installers` target. */
export function isSourceCheckout(hasRacketSrc: boolean, makefile: string | undefined): boolean {
  return hasRacketSrc && makefile !== undefined && /^installers[ \t]*:/m.test(makefile);
}

/** Does `text` start (after comments) with `#lang distro-build/config`? (distro/validate.py's rule) */
export function isSiteConfigText(text: string): boolean {
  return /^(?:\s|;[^\n]*\n)*#lang[ \t]+distro-build\/config(?=[\s;]|$)/.test(text);
}

/** argv after `make` for a definition (CONFIG defaults to build/site.rkt, the makefile's). */
export function distroMakeArgs(def: DistroTaskDefinition): string[] {
  const args = [def.target, `CONFIG=${def.config ?? "build/site.rkt"}`];
  if (def.mode !== undefined && def.mode !== "") {
    args.push(`CONFIG_MODE=${def.mode}`);
  }
  if (def.release === true) {
    args.push("RELEASE_MODE=--release");
  }
  if (def.clean === true) {
    args.push("CLEAN_MODE=--clean");
  }
  return args;
}

/** A task's label: `make installers CONFIG=build/site.rkt ...`. */
export function distroTaskLabel(def: DistroTaskDefinition): string {
  return ["make", ...distroMakeArgs(def)].join(" ");
}
