#lang racket/base
;; BROKEN: the `define` below is never closed.
(require "text.rkt")
(provide farewell)

(define (farewell name)
  (string-append "Goodbye, " (capitalize name) ".")
