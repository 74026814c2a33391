#!/usr/bin/env bash
# What `make run` shows: raco-lsp check on the example package, then on a
# copy of it with deliberate mistakes (examples/broken-overlay/ laid over it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
raco_lsp=${RACO_LSP:-$top/.venv/bin/raco-lsp}
work=$top/build/demo
if [ -t 1 ]; then b=$'\033[1m' n=$'\033[0m'; else b= n=; fi
rule() { printf '\n%s== %s ==%s\n' "$b" "$1" "$n"; }

cd "$here"
rule "raco-lsp check hello-pkg   (the example package, as committed)"
"$raco_lsp" check hello-pkg
clean=$?
echo "(exit status $clean: $([ $clean = 0 ] && echo 'no errors' || echo 'ERRORS'))"

rm -rf "$work" && mkdir -p "$work"
cp -r "$here/hello-pkg" "$work/broken-hello-pkg"
rm -rf "$work/broken-hello-pkg/compiled"
cp "$here"/broken-overlay/*.rkt "$work/broken-hello-pkg/"
cd "$work"
rule "raco-lsp check broken-hello-pkg   (a copy with deliberate mistakes, in build/demo/)"
echo "greet.rkt misspells a function, farewell.rkt leaves a paren open, and main.rkt"
echo "requires the broken greet.rkt, so its require is flagged too."
echo
"$raco_lsp" check broken-hello-pkg
broken=$?
echo "(exit status $broken: $([ $broken = 1 ] && echo 'errors found, as expected' || echo 'UNEXPECTED'))"

rule "the same, as JSON (raco-lsp check --json), first problem only"
"$raco_lsp" check --json broken-hello-pkg | python3 -c \
  'import json,sys; r=json.load(sys.stdin); print(json.dumps(r["problems"][0], indent=2))'

cd "$here"
rule "raco-lsp test hello-pkg   (its rackunit tests, as raco test runs them)"
"$raco_lsp" test hello-pkg
tested=$?

rule "raco-lsp info hello-pkg   (info.rkt validation)"
"$raco_lsp" info hello-pkg
info=$?

[ $clean = 0 ] && [ $broken = 1 ] && [ $tested = 0 ] && [ $info = 0 ]
