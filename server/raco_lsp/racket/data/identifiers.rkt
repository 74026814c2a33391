#lang racket/base
;; raco-lsp identifier analysis: what DrRacket's check-syntax says about one
;; saved module, as plain JSON data.  Headless: racket/base, racket/class and
;; drracket/check-syntax's traversal API (drracket-tool-text-lib), never
;; racket/gui.
;;
;; The module is read and expanded in a fresh namespace with the default
;; load handlers: its dependencies load from their compiled .zo files when
;; those are current (compile-on-save keeps them so) and are expanded in
;; memory otherwise; nothing is written.
;;
;; analyze-file : path-string -> jsexpr, with positions 0-based Racket
;; positions (a CRLF is one position) of the file's text:
;;   {"arrows":  [[start-left, start-right, end-left, end-right, require?, phase], ...]
;;    "mouse":   [[left, right, text], ...]            check-syntax's mouse-over texts
;;    "jumps":   [[left, right, id, file, [submod ...]], ...]   imported identifiers
;;    "targets": [[left, right, id, [submod ...]], ...]         definition sites
;;    "scope", "locals": identifiers in scope (scope.rkt)}
;; or {"error": message} when the module does not read or expand.
(require racket/class
         racket/list
         drracket/check-syntax
         syntax/modread
         "scope.rkt")

(provide analyze-file)

(define (analyze-file file)
  (define path (simplify-path (path->complete-path file)))
  (define-values (dir _name _dir?) (split-path path))
  (define arrows '())
  (define mouse '())
  (define jumps '())
  (define targets '())
  (define (ours? src) (and (path? src) (equal? src path)))
  (define collector%
    (class (annotations-mixin object%)
      (super-new)
      (define/override (syncheck:find-source-object stx)
        (and (ours? (syntax-source stx)) 'file))
      (define/override (syncheck:add-arrow/name-dup/pxpy
                        start-src start-left start-right _spx _spy
                        end-src end-left end-right _epx _epy
                        _actual? phase require-arrow? _name-dup?)
        (when (and start-src end-src)
          (set! arrows (cons (list start-left start-right end-left end-right
                                   (and require-arrow? #t)
                                   (if (exact-integer? phase) phase 'null))
                             arrows))))
      (define/override (syncheck:add-mouse-over-status src left right text)
        (when src
          (set! mouse (cons (list left right (format "~a" text)) mouse))))
      (define/override (syncheck:add-jump-to-definition src left right id filename submods)
        (when (and src (path? filename))
          (set! jumps (cons (list left right (format "~a" id) (path->string filename)
                                  (map (lambda (s) (format "~a" s)) submods))
                            jumps))))
      (define/override (syncheck:add-definition-target src left right id mods)
        (when src
          (set! targets (cons (list left right (format "~a" id)
                                    (map (lambda (s) (format "~a" s)) mods))
                              targets))))))
  (with-handlers ([exn:fail? (lambda (e) (hasheq 'error (exn-message e)))])
    (define ns (make-base-namespace))
    (define scope ; scope.rkt's keys, for completion and signature help
      (parameterize ([current-annotations (new collector%)]
                     [current-namespace ns]
                     [current-load-relative-directory dir])
        (define-values (expanded-expression expansion-completed) (make-traversal ns dir))
        (define stx
          (call-with-input-file path
            (lambda (port)
              (port-count-lines! port)
              (with-module-reading-parameterization
               (lambda () (read-syntax path port))))))
        (define expanded (expand stx))
        (expanded-expression expanded)
        (expansion-completed)
        (with-handlers ([exn:fail? (lambda (e) (hasheq 'scope-error (exn-message e)))])
          (scope-keys expanded path))))
    (for/fold ([answer (hasheq 'arrows (remove-duplicates arrows)
                               'mouse (remove-duplicates mouse)
                               'jumps (remove-duplicates jumps)
                               'targets (remove-duplicates targets))])
              ([(k v) (in-hash scope)])
      (hash-set answer k v))))

(module+ main
  (require json)
  (for ([f (in-vector (current-command-line-arguments))])
    (write-json (analyze-file f))
    (newline)))
