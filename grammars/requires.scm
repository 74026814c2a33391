; Every (require ...) form, at any depth (module+, module*, begin-for-syntax ...).
; @require is the whole form; the specs are walked in raco_lsp/syntax/requires.py,
; which also drops forms commented out with #;.
((list . (symbol) @head) @require
  (#eq? @head "require"))
