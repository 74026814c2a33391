; Submodule forms: (module+ name ...), (module* name ...), (module name lang ...).
; @submodule is the whole form, @name its name; raco_lsp/syntax/tests.py keeps
; the ones raco test runs (`test` by default) and drops #;-commented forms.
((list . (symbol) @head . (symbol) @name) @submodule
  (#any-of? @head "module+" "module*" "module"))
