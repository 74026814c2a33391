; Forms whose expansion adds module dependencies the require forms do not
; show (raco_lsp/racket/graph.py turns them into edges):
; @phase1: (begin-for-syntax ...) -- a lazy-require inside one expands into a
;   submodule in racket/base that requires racket/runtime-path;
; @lazy_require: every (lazy-require ...) form;
; @own_config: a module's own configure-runtime submodule, which stops
;   racket/base's #%module-begin from adding the one requiring
;   racket/runtime-config.
((list . (symbol) @_phase1_head) @phase1
  (#eq? @_phase1_head "begin-for-syntax"))
((list . (symbol) @_lazy_head) @lazy_require
  (#eq? @_lazy_head "lazy-require"))
((list . (symbol) @_config_head . (symbol) @_config_name) @own_config
  (#match? @_config_head "^module\\*?$")
  (#eq? @_config_name "configure-runtime"))
; @include: (include "file") splices the file's forms into the module, and
; (include/rewrite mod-path name rewrite ...) (redex benchmark) declares the
; whole module read from mod-path as a submodule: their requires and language
; are the including module's too.  @include_path is the file's module path.
((list . (symbol) @_include_head . [(string) (symbol) (list)] @include_path) @include
  (#any-of? @_include_head "include" "include/rewrite"))
