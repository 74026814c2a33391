; rackunit test groups: (test-case name body ...), (test-suite name test ...),
; (test-begin body ...).  @form is the whole form; its name (a string literal
; or an expression) is read in raco_lsp/syntax/tests.py.
((list . (symbol) @head) @form
  (#any-of? @head "test-case" "test-suite" "test-begin"))
