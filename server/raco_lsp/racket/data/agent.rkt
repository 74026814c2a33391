#lang racket/base
;; raco-lsp compile agent: a long-running Racket process that compiles on
;; request, so a save does not pay Racket's start-up and compiler/cm's load.
;; The same program serves as the analysis agent; its one command-line
;; argument, "compile" or "analysis", names the role (for `ps`); the
;; analysis agent loads identifiers.rkt before it is ready.
;;
;; Protocol: JSON lines.  Requests on stdin:
;;   {"id": N, "op": "compile", "files": [F ...], "roots": [DIR ...]}
;;   {"id": N, "op": "analyze", "file": F, "text": T}
;;                                    check-syntax's view of F (identifiers.rkt,
;;                                    loaded on first use), or of the text T read
;;                                    as F's (optional: an unsaved buffer) ->
;;                                    {"id": N, "event": "analysis", ...analyze-file's answer}
;;   {"id": N, "op": "doc", "module": M, "names": [S ...]}
;;                                    the installed documentation of the first
;;                                    of the names that module path M (as ~s
;;                                    prints it) exports (identifiers.rkt) ->
;;                                    {"id": N, "event": "doc", "entry": ROW or null}
;;   {"id": N, "op": "cancel"}        break the compile or analysis in flight (if any)
;;   {"id": N, "op": "ping"}          -> {"id": N, "event": "pong", "memory": BYTES}
;;   {"id": N, "op": "shutdown"}      -> exits
;; Events on stdout carry the id of the compile request they belong to:
;; start / compiled / touched / output / error / done (as compile.rkt), then
;;   {"id": N, "event": "result", "ok": B, "cancelled": B}
;;
;; Each file is compiled with compiler/cm in a FRESH namespace (reusing one
;; gives stale code: docs/racket-facts.md §7); nothing outside the --root
;; directories is compiled.
(require json
         racket/list
         racket/lazy-require
         "compile.rkt")
(lazy-require ["identifiers.rkt" (analyze-file binding-doc warm-up)])

(define out json-out)
(define out-lock (make-semaphore 1))

(define (send! h)
  (call-with-semaphore
   out-lock
   (lambda ()
     (write-json h out)
     (newline out)
     (flush-output out))))

(define receiver (make-compile-receiver))
(define current-job #f)      ; the thread running a compile, if any

(define (->paths l) (for/list ([x (in-list (if (list? l) l '()))] #:when (string? x)) x))

(define (run-compile id files roots)
  (define cancelled? #f)
  ;; Breaks are enabled only inside the handler: a cancel that arrives as
  ;; the job starts is still answered with a result.
  (define ok?
    (with-handlers ([exn:break? (lambda (e) (set! cancelled? #t) #f)])
      (parameterize-break #t
        (parameterize ([current-emit (lambda (h) (send! (hash-set h 'id id)))])
          (for/fold ([ok? #t]) ([f (in-list files)])
            (and (compile-one f
                              (map (lambda (r) (simplify-path (path->complete-path r))) roots)
                              receiver)
                 ok?))))))
  (send! (hasheq 'id id 'event "result" 'ok (and ok? (not cancelled?)) 'cancelled cancelled?)))

(define (run-analyze id file text)
  (define answer
    (with-handlers ([exn:break? (lambda (e) (hasheq 'cancelled #t))])
      (parameterize-break #t
        (if (string? file)
            (analyze-file file (and (string? text) text))
            (hasheq 'error "no file")))))
  (send! (hash-set (hash-set answer 'id id) 'event "analysis")))

;; Run `work` as the one job (breaking the one in flight first).
(define (start-job! work)
  (when (and current-job (not (thread-dead? current-job)))
    (break-thread current-job)
    (thread-wait current-job))
  ;; Breaks stay off in the new thread: each job enables them inside its
  ;; own handler, so a cancel right behind the request is still answered.
  (set! current-job
        (parameterize-break #f
          (thread work))))

(define (handle req)
  (define id (hash-ref req 'id 'null))
  (case (hash-ref req 'op #f)
    [("compile")
     (define files (->paths (hash-ref req 'files '())))
     (define roots (->paths (hash-ref req 'roots '())))
     (start-job! (lambda () (run-compile id files roots)))]
    [("analyze")
     (define file (hash-ref req 'file #f))
     (define text (hash-ref req 'text #f))
     (start-job! (lambda () (run-analyze id file text)))]
    [("doc")
     (define module (hash-ref req 'module #f))
     (define names (hash-ref req 'names '()))
     (start-job!
      (lambda ()
        (define entry
          (with-handlers ([exn:break? (lambda (e) 'null)])
            (parameterize-break #t
              (if (and (string? module) (list? names)) (binding-doc module names) 'null))))
        (send! (hasheq 'id id 'event "doc" 'entry entry))))]
    [("cancel")
     (when (and current-job (not (thread-dead? current-job)))
       (break-thread current-job))]
    [("ping")
     (send! (hasheq 'id id 'event "pong" 'memory (current-memory-use)))]
    [("shutdown")
     (when (and current-job (not (thread-dead? current-job)))
       (break-thread current-job)
       (thread-wait current-job))
     (exit 0)]
    [else
     (send! (hasheq 'id id 'event "bad-request" 'message (format "unknown op ~s" (hash-ref req 'op #f))))]))

(module+ main
  ;; The analysis agent loads check-syntax and its documentation data
  ;; (about a second) before it says it is ready: it is started ahead of the
  ;; first request.
  (when (equal? (current-command-line-arguments) (vector "analysis"))
    (void (warm-up)))
  (send! (hasheq 'event "ready" 'version (version)))
  (let loop ()
    (define line (read-line (current-input-port) 'any))
    (unless (eof-object? line)
      (define req
        (with-handlers ([exn:fail? (lambda (e) #f)])
          (string->jsexpr line)))
      (if (hash? req)
          (handle req)
          (send! (hasheq 'event "bad-request" 'message "not a JSON object")))
      (loop)))
  ;; stdin closed: the server is gone.
  (when (and current-job (not (thread-dead? current-job)))
    (break-thread current-job)
    (thread-wait current-job))
  (exit 0))
