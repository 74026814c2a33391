; Every form that names modules to require, at any depth (module+, module*,
; begin-for-syntax ...): require and #%require; mzscheme's
; require-for-syntax/-template/-label; Typed Racket's require/typed family,
; whose first argument is the module.  @require is the whole form; the specs
; are walked in raco_lsp/syntax/requires.py, which also drops forms commented
; out with #;.
((list . (symbol) @head) @require
  (#any-of? @head
    "require" "#%require" "require-for-syntax" "require-for-template" "require-for-label"
    "require/typed" "require/typed/provide" "unsafe-require/typed"
    "unsafe-require/typed/provide"))
