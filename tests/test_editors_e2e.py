"""The README's Neovim and Emacs configurations, verbatim, in the real editors.

Headless Neovim 0.7 (Debian's ``neovim``) and ``emacs --batch`` with eglot
(Debian's ``emacs-nox`` and ``elpa-eglot``) load the code blocks of README.md
as they are at test time, open a workspace file with a compile error, and
write what the editor shows (its diagnostics, its clients) to a JSON file
that the test reads.  ``raco-lsp`` on PATH is this checkout's server.  HOME
and the XDG directories point into the test's temporary folder, so the
editors never read or write the user's configuration.

``make test`` installs the editors (``make e2e-setup``); when they are
missing the tests are skipped with the reason, unless RACO_LSP_REQUIRE_E2E=1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NVIM = "/usr/bin/nvim"
EMACS = "/usr/bin/emacs"
ELPA = Path("/usr/share/emacs/site-lisp/elpa")

A_RKT = """#lang racket/base
(require racket/list "b.rkt")
(displayln (greet (first (list "x"))))
(displayln undefined-name)
"""
B_RKT = """#lang racket/base
(provide greet)
(define (greet s) (string-append "hi " s))
"""
# The compile error: `undefined-name` on line 3 (0-based), columns 11-25.
ERROR_AT = {"line": 3, "col": 11, "end_line": 3, "end_col": 25}


def readme_blocks(heading: str, lang: str) -> list[str]:
    """The ``lang`` code blocks of README.md's section ``heading``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n### {heading}")
    end = text.find("\n### ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    blocks = re.findall(rf"^```{lang}\n(.*?)^```$", section, flags=re.S | re.M)
    assert blocks, f"no {lang} block under '### {heading}' in README.md"
    return blocks


def require(path: str, what: str) -> None:
    if not Path(path).exists():
        why = f"{what} is missing ({path}; make e2e-setup installs it)"
        if os.environ.get("RACO_LSP_REQUIRE_E2E") == "1":
            pytest.fail(why)
        pytest.skip(why)


def editor_env(tmp: Path, out: Path) -> dict[str, str]:
    """The environment of an editor: this checkout's ``raco-lsp`` first on
    PATH, HOME and XDG directories in ``tmp``."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "raco-lsp"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m raco_lsp "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "NVIM", "VIM"))}
    home = tmp / "home"
    for d in ("config", "data", "cache", "state"):
        (home / d).mkdir(parents=True)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join([str(ROOT / "server"), env.get("PYTHONPATH", "")]),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        RACO_LSP_TEST_OUT=str(out),
    )
    return env


def workspace(ws: Path) -> tuple[Path, Path]:
    (ws / "info.rkt").write_text('#lang info\n(define collection "demo")\n')
    a, b = ws / "a.rkt", ws / "b.rkt"
    a.write_text(A_RKT)
    b.write_text(B_RKT)
    return a, b


def run_editor(argv: list[str], env: dict[str, str], cwd: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )
    report = (
        f"exit {proc.returncode}\nstdout: {proc.stdout.decode(errors='replace')[-3000:]}\n"
        f"stderr: {proc.stderr.decode(errors='replace')[-3000:]}"
    )
    assert out.exists(), f"the editor wrote no result\n{report}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, f"{result['error']}\n{report}"
    return result


def errors_at(diags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: d[k] for k in ERROR_AT}
        for d in diags
        if "undefined-name" in d["message"] and "unbound" in d["message"]
    ]


# -- Neovim -------------------------------------------------------------------

NVIM_HARNESS = r"""
local out = vim.env.RACO_LSP_TEST_OUT
local result = {}
local function errors(buf)
  return vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR })
end
local function client_ids(buf)
  local ids = {}
  for id, _ in pairs(vim.lsp.buf_get_clients(buf)) do table.insert(ids, id) end
  return ids
end
local ok, err = pcall(function()
  local a = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[a].filetype
  vim.wait(120000, function() return #errors(a) > 0 end, 50)
  result.first_clients = client_ids(a)
  -- A second file of the same root, then the first one again, then :edit
  -- (FileType again for the same buffer).
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.RACO_LSP_B))
  local b = vim.api.nvim_get_current_buf()
  result.b_clients = client_ids(b)
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.RACO_LSP_A))
  vim.cmd("edit")
  a = vim.api.nvim_get_current_buf()
  result.a_clients = client_ids(a)
  vim.wait(60000, function() return #errors(a) > 0 end, 50)
  result.active_clients = #vim.lsp.get_active_clients()
  -- Go to definition on "b.rkt" works after :edit.
  vim.api.nvim_win_set_cursor(0, { 2, 23 })
  local answers = vim.lsp.buf_request_sync(
    a, "textDocument/definition", vim.lsp.util.make_position_params(), 30000) or {}
  result.definition = {}
  for _, answer in pairs(answers) do
    for _, loc in ipairs(answer.result or {}) do
      table.insert(result.definition, loc.uri or loc.targetUri)
    end
  end
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(a)) do
    table.insert(result.diagnostics, {
      line = d.lnum, col = d.col, end_line = d.end_lnum, end_col = d.end_col,
      message = d.message, severity = d.severity,
    })
  end
end)
if not ok then result.error = tostring(err) end
local f = io.open(out, "w")
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd("qa!")
"""


def test_readme_neovim_config_in_real_neovim(tmp_path: Path, ws: Path) -> None:
    require(NVIM, "Neovim (Debian package neovim)")
    a, b = workspace(ws)
    init = tmp_path / "init.lua"
    init.write_text("\n".join(readme_blocks("Neovim", "lua")))
    harness = tmp_path / "harness.lua"
    harness.write_text(NVIM_HARNESS)
    out = tmp_path / "out.json"
    env = editor_env(tmp_path, out)
    env.update(RACO_LSP_A=str(a), RACO_LSP_B=str(b), RACO_LSP_HARNESS=str(harness))
    argv = [NVIM, "--headless", "--clean", "-u", str(init), str(a)]
    argv += ["-c", "lua dofile(vim.env.RACO_LSP_HARNESS)"]
    result = run_editor(argv, env, tmp_path, out)

    assert result["filetype"] == "racket"
    assert len(result["first_clients"]) == 1
    # One client for the root: shared by b.rkt and by a.rkt after :edit.
    assert result["b_clients"] == result["first_clients"]
    assert result["a_clients"] == result["first_clients"]
    assert result["active_clients"] == 1
    assert result["definition"] == [b.as_uri()]
    assert errors_at(result["diagnostics"]) == [ERROR_AT], result["diagnostics"]


# -- Emacs --------------------------------------------------------------------

EMACS_PRELUDE = f"""
;; What a normal (not -Q) Emacs start does with Debian's elpa packages.
(setq package-directory-list '("{ELPA}"))
(package-initialize)
"""

EMACS_HARNESS = r"""
(require 'json)
(defun raco-test-idle (pred secs)
  "Run the command loop's hooks and read server output until PRED or SECS."
  (let ((deadline (+ (float-time) secs)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (run-hooks 'post-command-hook)
      (accept-process-output nil 0.05))
    (funcall pred)))
(defun raco-test-pos (pos)
  (save-excursion
    (goto-char pos)
    (cons (1- (line-number-at-pos)) (- pos (line-beginning-position)))))
(defun raco-test-servers ()
  (let (all)
    (maphash (lambda (_ servers) (setq all (append servers all))) eglot--servers-by-project)
    all))
(let ((result nil))
  (condition-case err
      (let (server)
        (find-file (getenv "RACO_LSP_A"))
        (push (cons 'mode (symbol-name major-mode)) result)
        (raco-test-idle (lambda () (eglot-current-server)) 60)
        (setq server (eglot-current-server))
        (raco-test-idle
         (lambda () (cl-some (lambda (d) (eq (flymake-diagnostic-type d) 'eglot-error))
                             (flymake-diagnostics)))
         120)
        (push (cons 'diagnostics
                    (mapcar (lambda (d)
                              (let ((beg (raco-test-pos (flymake-diagnostic-beg d)))
                                    (end (raco-test-pos (flymake-diagnostic-end d))))
                                `((line . ,(car beg)) (col . ,(cdr beg))
                                  (end_line . ,(car end)) (end_col . ,(cdr end))
                                  (message . ,(flymake-diagnostic-text d))
                                  (type . ,(format "%s" (flymake-diagnostic-type d))))))
                            (flymake-diagnostics)))
              result)
        ;; M-. on racket/list: into the installation, with the same server.
        (goto-char (point-min))
        (search-forward "racket/li")
        (xref-find-definitions (xref-backend-identifier-at-point (xref-find-backend)))
        (raco-test-idle (lambda () nil) 1)
        (push (cons 'jumped_to (buffer-file-name)) result)
        (push (cons 'same_server (eq (eglot-current-server) server)) result)
        (push (cons 'servers (length (raco-test-servers))) result)
        (dolist (s (raco-test-servers)) (ignore-errors (eglot-shutdown s))))
    (error (push (cons 'error (format "%S" err)) result)))
  (with-temp-file (getenv "RACO_LSP_TEST_OUT") (insert (json-encode result)))
  (kill-emacs 0))
"""


def test_readme_emacs_config_in_real_emacs_with_eglot(tmp_path: Path, ws: Path) -> None:
    require(EMACS, "Emacs (Debian package emacs-nox)")
    require(str(next(ELPA.glob("eglot-*"), ELPA / "eglot")), "eglot (Debian package elpa-eglot)")
    a, _ = workspace(ws)
    files = {
        "prelude.el": EMACS_PRELUDE,
        "config.el": "\n".join(readme_blocks("Emacs", "elisp")),
        "harness.el": EMACS_HARNESS,
    }
    argv = [EMACS, "--batch", "-Q"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        argv += ["-l", str(tmp_path / name)]
    out = tmp_path / "out.json"
    env = editor_env(tmp_path, out)
    env["RACO_LSP_A"] = str(a)
    result = run_editor(argv, env, tmp_path, out)

    assert result["mode"] == "racket-mode"
    assert errors_at(result["diagnostics"]) == [ERROR_AT], result["diagnostics"]
    jumped = Path(result["jumped_to"])
    assert jumped.name == "list.rkt" and jumped.parent.name == "racket", jumped
    assert not jumped.is_relative_to(ws)
    assert result["same_server"] is True
    assert result["servers"] == 1
