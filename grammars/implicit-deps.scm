; Forms whose expansion adds module dependencies the require forms do not
; show; raco_lsp/racket/graph.py sorts them out by @implicit_head:
; - begin-for-syntax: a lazy-require inside one expands into a submodule in
;   racket/base that requires racket/runtime-path;
; - lazy-require;
; - module / module* named configure-runtime: the module's own, which stops
;   racket/base's #%module-begin from adding the one requiring
;   racket/runtime-config;
; - include / include/rewrite (redex benchmark): the included file's requires
;   and language become the including module's.
; One pattern for all of them: with several, tree-sitter's captures() goes
; quadratic on big files.
((list . (symbol) @implicit_head) @implicit
  (#any-of? @implicit_head
    "begin-for-syntax" "lazy-require" "module" "module*" "include" "include/rewrite"))
