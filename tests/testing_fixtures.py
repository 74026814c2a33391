"""Test files covering what `raco test` can report, for the test-runner tests."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

FILES: dict[str, str] = {
    "pass.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? (+ 1 1) 2)
  (check-true #t))
""",
    "arith.rkt": """#lang racket/base
(define (add a b) (+ a b))
(module+ test
  (require rackunit)
  (check-equal? (add 1 1) 2)
  (check-equal? (add 1 2) 4 "one plus two")
  (test-case "grouped"
    (check-true (= 1 1))
    (check-true #f))
  (test-case "fine" (check-eq? 'a 'a))
  (check-not-exn (lambda () (error 'x "bad")))
  (check = 1 1))
""",
    "boom.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? 1 1)
  (error 'boom "kaboom"))
""",
    "slow.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #t)
  (let loop () (loop)))
""",
    "cfg.rkt": """#lang racket/base
(module+ test
  (module config info (define timeout 1))
  (require rackunit)
  (check-true #t)
  (sleep 30))
""",
    "exit1.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #t)
  (exit 3))
""",
    "exit0.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #t)
  (check-true #f)
  (exit 0))
""",
    "suite.rkt": """#lang racket/base
(require rackunit rackunit/text-ui)
(define s
  (test-suite "arith"
    (test-case "ok" (check-equal? 1 1))
    (test-case "bad" (check-equal? 2 3))
    (test-case "err" (error 'x "kaboom"))))
(module+ test
  (void (run-tests s)))
""",
    "stderr.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (eprintf "warning: something\\n")
  (printf "hello stdout\\n")
  (check-true #t))
""",
    "stderrok.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (eprintf "warning: fine\\n")
  (check-true #t))
""",
    "stderrcfg.rkt": """#lang racket/base
(module+ test
  (module config info (define ignore-stderr "noise"))
  (require rackunit)
  (eprintf "some noise\\n")
  (check-true #t))
""",
    "nosub.rkt": """#lang racket/base
(require rackunit/log)
(test-log! #t)
(test-log! #t)
(displayln "plain")
""",
    "args.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? (current-command-line-arguments) #("alpha" "beta")))
""",
    "readin.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? (read-line) eof))
""",
    "skipme/p.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #f))
""",
    "ignored.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #f))
""",
    "extra.txt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #t)
  (check-false #f))
""",
    "allskip/info.rkt": """#lang info
(define test-omit-paths 'all)
""",
    "allskip/x.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true #f))
""",
    "info.rkt": """#lang info
(define test-omit-paths (list "skipme" #rx"ignored[.]rkt$"))
(define test-include-paths '("extra.txt"))
(define test-command-line-arguments '(("args.rkt" ("alpha" "beta"))))
(define test-timeouts '(("slow.rkt" 2)))
(define test-ignore-stderrs '(("stderrok.rkt" #rx"warning: fine")))
(define test-lock-names '(("pass.rkt" "raco-lsp-fixture-lock")))
(define test-randoms '("args.rkt"))
""",
}

COMPILE_ERROR = """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? (f 1) 1))
"""


# Test modules that expand or evaluate code at run time: `raco test` passes
# each (process mode: `(dynamic-require mod 0)` in a namespace with racket/base
# required at the top level).
RUNTIME_FILES: dict[str, str] = {
    "expand.rkt": """#lang racket/base
(require (for-syntax racket/base))
(define-syntax (twice stx)
  (syntax-case stx () [(_ e) #'(begin e e)]))
(module+ test
  (require rackunit)
  (check-equal? (syntax->datum (expand-once #'(twice 1))) '(begin 1 1))
  (check-equal? (eval-syntax #'(twice 2)) 2))
""",
    "namespace.rkt": """#lang racket/base
(define secret 41)
(module+ test
  (require rackunit)
  (define-namespace-anchor here)
  (check-equal? (eval '(+ secret 1) (namespace-anchor->namespace here)) 42)
  (check-equal? (eval '(let ([x 1]) (+ x 2))) 3))
""",
    "macro.rkt": """#lang racket/base
(require (for-syntax racket/base))
(define-syntax (num stx)
  (syntax-case stx ()
    [(_ e) (if (number? (syntax-e #'e)) #'e (raise-syntax-error #f "not a number" stx))]))
(module+ test
  (require rackunit syntax/macro-testing)
  (check-exn #rx"not a number" (lambda () (convert-compile-time-error (num "x"))))
  (check-exn #rx"not a number" (lambda () (eval-syntax #'(num "x"))))
  (check-equal? (convert-compile-time-error (num 3)) 3))
""",
    "fresh.rkt": """#lang racket/base
(module+ test
  (require rackunit)
  (check-true (path? (find-system-path 'temp-dir)))
  (when (getenv "PLT_PKG_BUILD_SERVICE") ; --drdr: a fresh PLTUSERHOME, also the temp dir
    (check-equal? (find-system-path 'temp-dir)
                  (path->directory-path (string->path (getenv "PLTUSERHOME"))))))
""",
}

# (failed, total) of each under `raco test` (fresh.rkt: 1 more check in drdr mode).
RUNTIME_COUNTS = {"expand.rkt": (0, 2), "namespace.rkt": (0, 2), "macro.rkt": (0, 3)}

# What a test module sees of the process running it (lines starting "SEEN").
SEEN = """#lang racket/base
(module configure-runtime racket/base (printf "SEEN configure-runtime\\n"))
(module+ test
  (printf "SEEN run-file ~a\\n" (find-system-path 'run-file))
  (printf "SEEN top-level names ~a\\n" (length (namespace-mapped-symbols))))
"""


def write_fixtures(root: Path, files: dict[str, str] = FILES) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


_ROW = re.compile(r"^\s*(?:(\d+)\s+)?(\d+)\s+\./(\S+)$")
_WHY = re.compile(r"^(\S+): raco test: (timeout after|non-zero exit|non-empty stderr)")
_STATUS = {"timeout after": "timeout", "non-zero exit": "exit", "non-empty stderr": "stderr"}


def raco_test(root: Path, *flags: str) -> tuple[int, dict[str, tuple[int, int]], dict[str, str]]:
    """Real `raco test -t FLAGS .` in ``root``: exit code, per-file (failed, total)
    and why files failed (timeout, exit, stderr)."""
    env = dict(os.environ, PLT_PKG_BUILD_SERVICE="1") if "--drdr" in flags else None
    proc = subprocess.run(
        ["raco", "test", "-t", *flags, "."],
        cwd=root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        env=env,
    )
    table: dict[str, tuple[int, int]] = {}
    for line in proc.stdout.splitlines():
        m = _ROW.match(line)
        if m and not line.startswith("raco test"):
            table[m.group(3)] = (int(m.group(1) or 0), int(m.group(2)))
    why = {m.group(1): _STATUS[m.group(2)] for m in map(_WHY.match, proc.stderr.splitlines()) if m}
    return proc.returncode, table, why
