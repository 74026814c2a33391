#lang racket/base
;; Greetings, built from the text helpers.  BROKEN: `capitalise` is misspelt.
(require racket/string
         "text.rkt")
(provide greet greet-all)

(define (greet name #:loud? [loud? #f])
  (define line (string-append "Hello, " (capitalise name)))
  (if loud? (shout line) (string-append line ".")))

(define (greet-all names)
  (string-join (map greet names) "\n"))
