; The language of every (module name lang body ...) and (module* name lang ...)
; form, at any depth: the module language is a dependency of the file.
; (module* name #f ...) has no language of its own and is not matched.
((list . (symbol) @module_head . (symbol) . [(symbol) (list) (string)] @module_lang)
  (#match? @module_head "^module\\*?$"))
