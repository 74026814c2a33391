; Every (define ...) form, at any depth; @name is the defined name (or the
; malformed thing in its place). raco_lsp/syntax/info.py keeps the ones that
; sit in the info module's body.
((list . (symbol) @head . (_)? @name) @define
  (#eq? @head "define"))
