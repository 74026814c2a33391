; The expanded info-module form Debian installs instead of `#lang info`:
;   (module info setup/infotab (#%module-begin (define ...) ...))
; @module is the whole form, @name the module name, @lang the module language.
((list . (symbol) @head . (symbol) @name . (_) @lang) @module
  (#eq? @head "module"))
