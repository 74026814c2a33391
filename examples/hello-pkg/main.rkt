#lang racket/base
;; The hello program: greets everyone named on the command line.
(require racket/cmdline
         "greet.rkt")

(module+ main
  (define loud? (make-parameter #f))
  (define names
    (command-line
     #:program "hello"
     #:once-each [("--loud") "Shout the greeting" (loud? #t)]
     #:args names
     names))
  (for ([name (if (null? names) '("world") names)])
    (displayln (greet name #:loud? (loud?)))))

(module+ test
  (require rackunit)
  (check-equal? (greet "racket") "Hello, Racket."))
