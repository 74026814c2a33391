#lang racket/base
;; raco-lsp info helper: Racket's own reading of info.rkt files.
;;
;; Usage: racket getinfo.rkt check DIR ...   -- get-info/full on each DIR
;;        racket getinfo.rkt pkgs            -- the installed packages
;;
;; One JSON object per line on stdout:
;;   {"dir":D,"ok":true}
;;   {"dir":D,"ok":false,"message":M,"srclocs":[{"source","line","column","position","span"}]}
;;   {"pkg":NAME,"scope":"installation"|"user","dir":DIR-OR-NULL}
;; get-info/full runs with #:bootstrap? #t, so a stale or planted
;; compiled/info_rkt.zo is never loaded.
(require json
         racket/list
         setup/getinfo)

(define (->json v)
  (cond [(path? v) (path->string v)]
        [(string? v) v]
        [(symbol? v) (symbol->string v)]
        [(exact-integer? v) v]
        [(not v) 'null]
        [else (format "~a" v)]))

(define (srcloc->json loc)
  (hasheq 'source (->json (srcloc-source loc))
          'line (->json (srcloc-line loc))
          'column (->json (srcloc-column loc))
          'position (->json (srcloc-position loc))
          'span (->json (srcloc-span loc))))

(define (emit! h)
  (write-json h)
  (newline)
  (flush-output))

(define (check dir)
  (with-handlers ([exn:fail?
                   (lambda (e)
                     (emit! (hasheq 'dir dir 'ok #f
                                    'message (exn-message e)
                                    'srclocs (if (exn:srclocs? e)
                                                 (map srcloc->json
                                                      (filter srcloc? ((exn:srclocs-accessor e) e)))
                                                 '()))))])
    (define info (get-info/full (string->path dir) #:bootstrap? #t))
    (emit! (hasheq 'dir dir 'ok (and info #t)))))

(define (pkgs)
  (define installed-pkg-names (dynamic-require 'pkg/lib 'installed-pkg-names))
  (define pkg-directory (dynamic-require 'pkg/lib 'pkg-directory))
  (for* ([scope '(installation user)]
         [name (with-handlers ([exn:fail? (lambda (e) '())])
                 (installed-pkg-names #:scope scope))])
    (define dir (with-handlers ([exn:fail? (lambda (e) #f)]) (pkg-directory name)))
    (emit! (hasheq 'pkg name 'scope (symbol->string scope) 'dir (->json dir)))))

(define args (vector->list (current-command-line-arguments)))
(cond [(and (pair? args) (equal? (car args) "check")) (for-each check (cdr args))]
      [(equal? args '("pkgs")) (pkgs)]
      [else (eprintf "usage: racket getinfo.rkt check DIR ... | pkgs\n") (exit 2)])
