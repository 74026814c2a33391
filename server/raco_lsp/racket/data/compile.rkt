#lang racket/base
;; raco-lsp compile helper: compiles modules with compiler/cm exactly as
;; `raco make` does (fresh namespace per file, same compiled-file roots) and
;; reports what happened as JSON lines on stdout.
;;
;; Usage: racket compile.rkt [--root DIR]... [--] FILE ...
;;
;; Only files under a --root are compiled; everything else (the installation,
;; other collections) is treated as already compiled through
;; `manager-skip-file-handler`, so the installation is never written to.
;; Without any --root, the directory of each FILE is its root.
;;
;; Events (one JSON object per line):
;;   {"event":"start","file":F}
;;   {"event":"compiled"|"touched","file":P}        what compiler/cm really did
;;   {"event":"output","file":F,"text":S}           output printed while compiling
;;   {"event":"error","file":F,"kind":K,"message":M,"srclocs":[...],"context":[...]}
;;   {"event":"done","file":F,"ok":B}
;;   {"event":"result","ok":B}
(require compiler/cm
         json
         racket/list
         racket/string)

(provide compile-one
         make-compile-receiver
         current-emit
         json-out)

(define json-out (current-output-port))

;; Where events go: the agent tags them with its request id.
(define current-emit
  (make-parameter
   (lambda (h)
     (write-json h json-out)
     (newline json-out)
     (flush-output json-out))))

(define (emit! h) ((current-emit) h))

(define (make-compile-receiver)
  (make-log-receiver (current-logger) 'info 'compiler/cm))

(define (->string v)
  (cond [(path? v) (path->string v)]
        [(string? v) v]
        [(symbol? v) (symbol->string v)]
        [else (format "~a" v)]))

(define (json-or-null v) (if v v 'null))

(define (srcloc->jsexpr loc)
  (hasheq 'source (if (srcloc-source loc) (->string (srcloc-source loc)) 'null)
          'line (json-or-null (srcloc-line loc))
          'column (json-or-null (srcloc-column loc))
          'position (json-or-null (srcloc-position loc))
          'span (json-or-null (srcloc-span loc))))

(define (exn-kind e)
  (cond [(exn:fail:read:eof? e) "read-eof"]
        [(exn:fail:read? e) "read"]
        [(exn:fail:syntax:unbound? e) "unbound"]
        [(exn:fail:syntax:missing-module? e) "missing-module"]
        [(exn:fail:syntax? e) "syntax"]
        [(exn:fail:filesystem:missing-module? e) "missing-module"]
        [(exn:fail? e) "error"]
        [else "raise"]))

(define (exn-srclocs e)
  (if (exn:srclocs? e)
      (filter srcloc? ((exn:srclocs-accessor e) e))
      '()))

;; exn-message starts with the first srcloc printed relative to
;; current-directory-for-user; the editor shows the location itself, so drop it.
(define (strip-location msg locs)
  (define prefixes
    (for*/list ([loc (in-list (take locs (min 1 (length locs))))]
                [s (in-list (list (srcloc->string loc)))]
                #:when s)
      (string-append s ": ")))
  (or (for/first ([p (in-list prefixes)] #:when (string-prefix? msg p))
        (substring msg (string-length p)))
      (let ([m (regexp-match #rx"^[^\n]*?:[0-9]*:[0-9]+: (.*)$" msg)])
        (if (and m (pair? locs)) (cadr m) msg))))

(define (exn->jsexpr file e)
  (define locs (if (exn? e) (exn-srclocs e) '()))
  (define msg (if (exn? e) (exn-message e) (format "uncaught exception: ~e" e)))
  (define context
    (if (exn? e)
        (for/list ([p (in-list (continuation-mark-set->list
                                (exn-continuation-marks e)
                                managed-compiled-context-key))])
          (->string p))
        '()))
  (hasheq 'event "error"
          'file (->string file)
          'kind (exn-kind e)
          'message (strip-location msg locs)
          'srclocs (map srcloc->jsexpr locs)
          'context context))

(define (under-root? p roots)
  (define s (path->string (simplify-path (path->complete-path p))))
  (for/or ([r (in-list roots)])
    (define rs (path->string (path->directory-path (simplify-path r))))
    (string-prefix? s rs)))

(define (make-skip roots-of-file)
  (lambda (p)
    (if (under-root? p roots-of-file)
        #f
        ;; Outside the workspace: never compile it.  Collection files
        ;; (the installation, linked packages) keep their stamp.
        (file-stamp-in-collection p))))

;; Drain compiler/cm's compile events: only *-compile/*-recompile mean new code.
;; compiler/cm logs finish-compile even when compiling failed, so files on the
;; failing compilation-context chain are not reported as compiled.
(define (drain-events! r failed)
  (let loop ()
    (define v (sync/timeout 0 r))
    (when v
      (define data (vector-ref v 2))
      (when (and (struct? data) (prefab-struct-key data)
                 (eq? (prefab-struct-key data) 'compile-event))
        (define fields (struct->vector data))
        (define path (vector-ref fields 2))
        (define action (vector-ref fields 3))
        (case (and (not (member (->string path) failed)) action)
          [(finish-compile finish-recompile)
           (emit! (hasheq 'event "compiled" 'file (->string path)))]
          [(finish-touch)
           (emit! (hasheq 'event "touched" 'file (->string path)))]
          [else (void)]))
      (loop))))

(define (compile-one file roots receiver)
  (define complete (simplify-path (path->complete-path (string->path file))))
  (define dir (let-values ([(base name dir?) (split-path complete)]) base))
  (define file-roots (if (null? roots) (list dir) roots))
  (emit! (hasheq 'event "start" 'file (path->string complete)))
  (define out (open-output-string))
  (define failed '())
  (define ok?
    (with-handlers ([(lambda (e) (not (exn:break? e)))
                     (lambda (e)
                       (define ev (exn->jsexpr complete e))
                       (set! failed (hash-ref ev 'context))
                       (emit! ev)
                       #f)])
      (parameterize ([current-namespace (make-base-empty-namespace)]
                     [current-directory dir]
                     [current-directory-for-user dir]
                     [manager-skip-file-handler (make-skip file-roots)]
                     [current-output-port out]
                     [current-error-port out]
                     ;; Expansion-time code must not read our protocol or end
                     ;; the process that compiles on the server's behalf.
                     [current-input-port (open-input-string "")]
                     [exit-handler
                      (lambda (code)
                        (error 'compile "code run while compiling called (exit ~a)" code))])
        (managed-compile-zo complete)
        #t)))
  (drain-events! receiver failed)
  (define text (get-output-string out))
  (unless (string=? text "")
    (emit! (hasheq 'event "output" 'file (path->string complete) 'text text)))
  (emit! (hasheq 'event "done" 'file (path->string complete) 'ok ok?))
  ok?)

(module+ main
  (define-values (roots files)
    (let loop ([args (vector->list (current-command-line-arguments))]
               [roots '()])
      (cond [(null? args) (values (reverse roots) '())]
            [(and (equal? (car args) "--root") (pair? (cdr args)))
             (loop (cddr args)
                   (cons (simplify-path (path->complete-path (cadr args))) roots))]
            [(equal? (car args) "--") (values (reverse roots) (cdr args))]
            [else (values (reverse roots) args)])))
  (define receiver (make-compile-receiver))
  (define all-ok?
    (for/fold ([ok? #t]) ([f (in-list files)])
      (and (compile-one f roots receiver) ok?)))
  (emit! (hasheq 'event "result" 'ok all-ok?))
  (exit (if all-ok? 0 1)))
