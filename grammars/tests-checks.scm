; rackunit checks: `check` and every `check-...` form, e.g. (check-equal? a b).
((list . (symbol) @head) @check
  (#match? @head "^check(-.*)?$"))
