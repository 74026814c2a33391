; Forms that load modules at run time, which `raco exe` does not embed unless
; told with ++lib: (dynamic-require MP ...), (dynamic-require-for-syntax MP ...),
; (lazy-require [MP (id ...)] ...), (define-runtime-module-path-index id MP),
; (define-runtime-module-path id MP); and (define-runtime-path id PATH), whose
; id given to dynamic-require loads a module from its source at run time.
; @form is the whole form, @head its name; the module paths are picked out in
; raco_lsp/syntax/dynamic_requires.py.
((list . (symbol) @head) @form
  (#any-of? @head
    "dynamic-require" "dynamic-require-for-syntax" "lazy-require" "lazy-require-syntax"
    "define-runtime-module-path-index" "define-runtime-module-path" "define-runtime-path"))
