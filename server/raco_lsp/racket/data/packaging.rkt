#lang racket/base
;; raco-lsp packaging helper.  Paths come as command-line arguments (never
;; spliced into code), answers are one JSON object on stdout.
;;   racket packaging.rkt bundle DIST-FILE DIR   -> {"archive": path}
;;   racket packaging.rkt info DIR               -> {"collection", "name", "launchers": [...]}
(require racket/list
         json
         compiler/bundle-dist
         setup/getinfo)

(define (path-of p) (if (path? p) (path->string p) p))

(define (bundle dist-file dir)
  (bundle-directory dist-file dir)
  ;; bundle-directory adds the platform suffix when dist-file has none.
  (define candidates
    (for/list ([suffix '("" ".tgz" ".zip" ".dmg")])
      (string-append dist-file suffix)))
  (define made (for/first ([c candidates] #:when (file-exists? c)) c))
  (write-json (hasheq 'archive made)))

(define (strings v) (if (and (list? v) (andmap string? v)) v '()))

(define (info dir)
  (define get (get-info/full dir))
  (define (field k) (if get (get k (lambda () #f)) #f))
  (define (launchers kind names-key libs-key)
    (define names (strings (field names-key)))
    (define libs (strings (field libs-key)))
    (for/list ([n names] [l libs])
      (hasheq 'kind kind 'name n 'library l)))
  (define coll (field 'collection))
  (write-json
   (hasheq 'collection (if (string? coll) coll (if (symbol? coll) (symbol->string coll) #f))
           'name (let ([n (field 'name)]) (if (string? n) n #f))
           'launchers (append (launchers "racket" 'racket-launcher-names 'racket-launcher-libraries)
                              (launchers "gracket" 'gracket-launcher-names
                                         'gracket-launcher-libraries)))))

(module+ main
  (define args (vector->list (current-command-line-arguments)))
  (case (and (pair? args) (car args))
    [("bundle") (bundle (list-ref args 1) (list-ref args 2))]
    [("info") (info (list-ref args 1))]
    [else (eprintf "usage: packaging.rkt bundle DIST-FILE DIR | info DIR\n") (exit 2)])
  (newline)
  (flush-output))
