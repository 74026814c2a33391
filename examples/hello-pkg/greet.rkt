#lang racket/base
;; Greetings, built from the text helpers.
(require racket/string
         "text.rkt")
(provide greet greet-all)

(define (greet name #:loud? [loud? #f])
  (define line (string-append "Hello, " (capitalize name)))
  (if loud? (shout line) (string-append line ".")))

(define (greet-all names)
  (string-join (map greet names) "\n"))

(module+ test
  (require rackunit)
  (check-equal? (greet "world") "Hello, World.")
  (check-equal? (greet "you" #:loud? #t) "HELLO, YOU!")
  (test-case "several names"
    (check-equal? (greet-all '("a" "b")) "Hello, A.\nHello, B.")))
