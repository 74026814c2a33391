#lang racket/base
;; Small string helpers.
(provide capitalize shout)

(define (capitalize s)
  (if (string=? s "")
      s
      (string-append (string (char-upcase (string-ref s 0))) (substring s 1))))

(define (shout s)
  (string-append (string-upcase s) "!"))

(module+ test
  (require rackunit)
  (check-equal? (capitalize "racket") "Racket")
  (check-equal? (capitalize "") "")
  (check-equal? (shout "hi") "HI!"))
