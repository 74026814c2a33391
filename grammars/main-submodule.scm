; A `main` submodule: (module+ main ...), (module main ...), (module* main ...).
; @form is the whole form; @name the `main` symbol.
((list . (symbol) @head . (symbol) @name) @form
  (#any-of? @head "module+" "module" "module*")
  (#eq? @name "main"))
