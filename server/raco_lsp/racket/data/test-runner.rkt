#lang racket/base
;; raco-lsp test runner: a warm Racket process that runs test modules the way
;; `raco test` does in its default (process) mode, but each in a fresh
;; namespace of this one process, and reports structured results.
;;
;; Protocol: one JSON request per line on stdin, JSON events on stdout (the
;; real stdout; test code only ever sees string ports and an empty stdin).
;;
;;  {"op":"plan","id":N,"paths":[P...],"check_suffix":B}
;;     -> {"event":"plan","id","files":[{"file","args","timeout","lock_name",
;;                                  "ignore_stderr","random"}...],"missing":[P...]}
;;     Which files `raco test PATH...` would run, with the info.rkt `test-*`
;;     settings that apply to each (read with get-info/full, enclosing
;;     collections included), exactly as compiler/commands/test.rkt does.
;;  {"op":"run","id":N,"file":F,"submodules":[S...],"first_avail":B,
;;   "run_if_absent":B,"configure_runtime":B,"args":[A...],"timeout":S,
;;   "check_stderr":B,"ignore_stderr":X|null,"ignore_stderr_patterns":[RX...],
;;   "lock_name":S|null,"fresh_user":B}
;;     -> {"event":"module","id","module":M,"timeout":S}  a module run starts
;;        {"event":"check","id","status",...}             a top-level check
;;        {"event":"test-case","id","status","name",...}  a test-case/test-begin
;;        {"event":"module-done","id","module","status","failed","total",
;;         "tests_failed","tests_total","message","srclocs","exit_code",
;;         "stdout","stderr","duration_ms","timeout"}
;;        {"event":"done","id"}
;;  {"op":"shutdown"}  exits
;; At start-up, once everything is loaded: {"event":"ready"}.
(require json
         racket/file
         racket/list
         racket/string
         racket/path
         racket/port
         setup/getinfo
         setup/collects
         compiler/module-suffix
         rackunit
         rackunit/log
         (only-in rackunit/private/check-info current-check-info))

(define-namespace-anchor anchor)
(define json-out (current-output-port))
(define real-stdin (current-input-port))
;; The process's own environment: `find-system-path` reads it (home, temp
;; directories), not the `current-environment-variables` parameter.
(define process-env (current-environment-variables))

;; ---------------------------------------------------------------------------
;; Output: a single writer thread, so a test thread killed by a timeout never
;; leaves half a line on the protocol stream.
(define writer
  (thread
   (lambda ()
     (let loop ()
       (define v (thread-receive))
       (cond
         [(semaphore? v) (semaphore-post v)]
         [else
          (write-json v json-out)
          (newline json-out)
          (flush-output json-out)])
       (loop)))))

(define (emit! h) (thread-send writer h))
(define (emit-sync!)
  (define s (make-semaphore))
  (thread-send writer s)
  (semaphore-wait s))

;; ---------------------------------------------------------------------------
;; Values to JSON
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

(define (exn-srclocs e)
  (if (exn:srclocs? e)
      (filter srcloc? ((exn:srclocs-accessor e) e))
      '()))

(define (limit s [n 20000])
  (if (> (string-length s) n) (string-append (substring s 0 n) "...") s))

(define (print-value v)
  (limit (parameterize ([error-print-width 4096]) (format "~v" v)) 4000))

;; rackunit wraps check-info values in transparent structs it does not
;; export (pretty-info, location-info, verbose-info, string-info, ...).
(define (unwrap v)
  (cond
    [(and (struct? v) (not (check-info? v)))
     (define vec (struct->vector v))
     (define tag (symbol->string (vector-ref vec 0)))
     (cond
       [(and (= 2 (vector-length vec)) (regexp-match? #rx"^struct:(pretty|location|verbose|string)-info$" tag))
        (vector-ref vec 1)]
       [(and (= 2 (vector-length vec)) (equal? tag "struct:dynamic-info"))
        (with-handlers ([(lambda (e) #t) (lambda (e) v)]) ((vector-ref vec 1)))]
       [(and (= 2 (vector-length vec)) (equal? tag "struct:nested-info"))
        (vector-ref vec 1)]
       [else v])]
    [else v]))

(define (location->jsexpr l)
  (if (and (list? l) (= 5 (length l)))
      (hasheq 'source (if (first l) (->string (first l)) 'null)
              'line (json-or-null (second l))
              'column (json-or-null (third l))
              'position (json-or-null (fourth l))
              'span (json-or-null (fifth l)))
      'null))

(define (infos->jsexpr infos)
  (for/fold ([h (hasheq)]) ([i (in-list infos)] #:when (check-info? i))
    (define name (check-info-name i))
    (define v (unwrap (check-info-value i)))
    (case name
      [(location) (hash-set h 'location (location->jsexpr v))]
      [(name) (hash-set h 'name (->string v))]
      [(message) (hash-set h 'message (if (string? v) v (print-value v)))]
      [(actual expected params expression)
       (hash-set h name (print-value v))]
      [else
       (hash-update h 'other
                    (lambda (o) (append o (list (list (->string name) (print-value v)))))
                    '())])))

;; The first frame of the exception's context that lies in a given file.
(define (context-location e file)
  (and (exn? e)
       (for/or ([frame (in-list (continuation-mark-set->context (exn-continuation-marks e)))])
         (define loc (cdr frame))
         (and (srcloc? loc)
              (srcloc-source loc)
              (equal? (->string (srcloc-source loc)) (->string file))
              (srcloc->jsexpr loc)))))

(define current-run-id (make-parameter #f))
(define current-run-file (make-parameter #f))

(define (exn->fields e infos)
  (define check? (exn:test:check? e))
  (define stack (if check? (exn:test:check-stack e) infos))
  (hasheq 'status (if check? "failure" "error")
          'info (infos->jsexpr stack)
          'message (if (exn? e) (limit (exn-message e)) (format "uncaught exception: ~e" e))
          'srclocs (if (exn? e) (map srcloc->jsexpr (exn-srclocs e)) '())
          'context (json-or-null (and (not check?) (context-location e (current-run-file))))))

(define (ms-since t0) (- (current-inexact-milliseconds) t0))

;; A check's or test-case's `duration_ms` is the time its module spent since
;; the previous one ended (since the module started, for the first): it
;; covers evaluating the check's arguments, and a module's results add up to
;; its run (as `raco test` times a file).
(define current-mark (make-parameter #f))
(define (segment-ms!)
  (define mark (current-mark))
  (define now (current-inexact-milliseconds))
  (cond
    [mark (begin0 (- now (unbox mark)) (set-box! mark now))]
    [else 0.0]))

;; ---------------------------------------------------------------------------
;; Observing rackunit: wrap its defaults (shared with the test namespace
;; through namespace-attach-module), so it still logs and prints exactly as
;; under `raco test`, and we see every result.
(define default-check-around (current-check-around))
(define default-check-handler (current-check-handler))
(define default-test-case-around (current-test-case-around))

(define (observing-check-around thunk)
  (define infos (current-check-info))
  (default-check-around
   (lambda ()
     (thunk)
     (emit! (hasheq 'event "check" 'id (current-run-id) 'status "success"
                    'info (infos->jsexpr infos) 'duration_ms (segment-ms!))))))

(define (observing-check-handler e)
  (emit! (hash-set* (exn->fields e (current-check-info))
                    'event "check" 'id (current-run-id) 'duration_ms (segment-ms!)))
  (default-check-handler e))

(define (observing-test-case-around thunk)
  (define name (current-test-name))
  (default-test-case-around
   (lambda ()
     (with-handlers ([(lambda (e) (not (exn:break? e)))
                      (lambda (e)
                        (emit! (hash-set* (exn->fields e '())
                                          'event "test-case" 'id (current-run-id)
                                          'name (json-or-null name)
                                          'duration_ms (segment-ms!)))
                        (raise e))])
       (begin0
         (thunk)
         (emit! (hasheq 'event "test-case" 'id (current-run-id) 'status "success"
                        'name (json-or-null name) 'duration_ms (segment-ms!))))))))

;; ---------------------------------------------------------------------------
;; Namespaces: what the child process of `raco test` (process mode) runs a test
;; module in, `racket -l racket/base -e ...`: racket/base required at the top
;; level, so `(eval '(+ 1 2))` works (docs/racket-facts.md §14).
(define (fresh-namespace)
  (define ns (make-base-empty-namespace))
  (define here (namespace-anchor->empty-namespace anchor))
  (namespace-attach-module here 'rackunit ns)
  (namespace-attach-module here 'rackunit/log ns)
  (parameterize ([current-namespace ns])
    (namespace-require 'racket/base))
  ns)

;; ---------------------------------------------------------------------------
;; info.rkt, as compiler/commands/test.rkt reads it.
(define omit-paths (make-hash))
(define include-paths (make-hash))
(define command-line-arguments (make-hash))
(define timeouts (make-hash))
(define lock-names (make-hash))
(define ignore-stderrs (make-hash))
(define randoms (make-hash))
(define info-done (make-hash))
(define collects-cache (make-hash))
(define info-problems '())
;; Directories planned, by identity (symlinks followed): each is entered once,
;; so a link back up (`sub/self -> .`) cannot make planning loop forever, as it
;; makes `raco test` itself.
(define planned-dirs (make-hash))

(define (reset-info!)
  (for ([h (list omit-paths include-paths command-line-arguments timeouts lock-names
                 ignore-stderrs randoms info-done collects-cache planned-dirs)])
    (hash-clear! h))
  (set! info-problems '()))

;; Has directory `d` been entered before (in `seen`)?  Marks it entered.
(define (entered-before? seen d)
  (define id (with-handlers ([exn:fail:filesystem? (lambda (e) #f)])
               (file-or-directory-identity d)))
  (or (not id)
      (hash-ref seen id #f)
      (begin (hash-set! seen id #t) #f)))

;; Is `p` there but neither a regular file nor a directory (symlinks followed)?
(define (special-file? p)
  (define mode (with-handlers ([exn:fail? (lambda (e) #f)])
                 (hash-ref (file-or-directory-stat p) 'mode)))
  (and mode (not (memv (bitwise-and mode #o170000) '(#o100000 #o040000)))))

(define (normalize-info-path p)
  (simplify-path (path->complete-path p) #f))

(define (check-dir-info p)
  (define-values (base name dir?) (split-path p))
  (define dir (normalize-info-path
               (if dir? p (if (path? base) (path->complete-path base) (current-directory)))))
  (unless (hash-ref info-done dir #f)
    (hash-set! info-done dir #t)
    (define (problem! message)
      (set! info-problems (cons (hasheq 'dir (->string dir) 'message message) info-problems))
      #f)
    (define special (for/first ([name (in-list '("info.rkt" "info.ss"))]
                                #:when (special-file? (build-path dir name)))
                      name))
    (define info
      (if special
          ;; a FIFO or a link to /dev/zero: reading it would never end
          (problem! (format "~a is not a regular file: not read" special))
          (with-handlers ([exn:fail? (lambda (e) (problem! (exn-message e)))])
            (get-info/full dir))))
    (when info
      (define (bad what v)
        (set! info-problems
              (cons (hasheq 'dir (->string dir)
                            'message (format "bad `~a' in \"info.rkt\": ~e" what v))
                    info-problems)))
      (define (lookup what)
        (with-handlers ([exn:fail? (lambda (e) (bad what (exn-message e)) '())])
          (info what (lambda () '()))))
      (define (get-members table what all-ok?)
        (define v (lookup what))
        (cond
          [(and all-ok? (eq? v 'all)) (hash-set! table dir #t)]
          [(list? v)
           (for ([i (in-list v)])
             (cond
               [(path-string? i)
                (define p (normalize-info-path (path->complete-path i dir)))
                (hash-set! table (if (directory-exists? p) (path->directory-path p) p) #t)]
               [(regexp? i)
                (define seen (make-hash))
                (entered-before? seen dir)
                (for ([f (in-directory dir (lambda (d) (not (entered-before? seen d))))]
                      #:when (regexp-match i (path->string f)))
                  (hash-set! table f #t))]
               [else (bad what v)]))]
          [else (bad what v)]))
      (get-members omit-paths 'test-omit-paths #t)
      (get-members include-paths 'test-include-paths #t)
      (get-members randoms 'test-randoms #t)
      (define (get-keyed table what check? #:ok-all? [ok-all? #f])
        (define a (lookup what))
        (if (list? a)
            (for ([arg (in-list a)])
              (cond
                [(and (list? arg) (= 2 (length arg))
                      (or (path-string? (car arg)) (and ok-all? (eq? (car arg) 'all)))
                      (check? (cadr arg)))
                 (hash-set! table
                            (normalize-info-path (if (eq? (car arg) 'all)
                                                     dir
                                                     (path->complete-path (car arg) dir)))
                            (cadr arg))]
                [else (bad what a)]))
            (bad what a)))
      (get-keyed command-line-arguments 'test-command-line-arguments
                 (lambda (v) (and (list? v) (andmap path-string? v))))
      (get-keyed timeouts 'test-timeouts real?)
      (get-keyed lock-names 'test-lock-names
                 (lambda (v) (or (not v) (and (string? v) (path-string? v)))))
      (get-keyed randoms 'test-random string?)
      (get-keyed ignore-stderrs 'test-ignore-stderrs
                 (lambda (v) (or (string? v) (bytes? v) (regexp? v) (byte-regexp? v)))
                 #:ok-all? #t))))

(define (check-info/parents dir subpath)
  (let loop ([dir dir] [subpath subpath])
    (check-dir-info dir)
    (define-values (next-subpath subpath-name subpath-dir?) (split-path subpath))
    (define-values (next-dir dir-name dir-dir?) (split-path dir))
    (when (path? next-subpath)
      (loop next-dir next-subpath))))

(define (check-info p)
  (check-dir-info p)
  (define-values (base name dir?) (split-path p))
  (define c (if dir? #f (with-handlers ([exn:fail? (lambda (e) #f)])
                          (path->collects-relative p #:cache collects-cache))))
  (when (list? c)
    (check-info/parents (if (path? base) (path->complete-path base) (current-directory))
                        (apply build-path (map bytes->path (reverse (cdr (reverse (cdr c)))))))))

(define ((make-member? table) p #:check-info? [check-info? #f])
  (when check-info? (check-info p))
  (let loop ([p (normalize-info-path p)])
    (or (hash-ref table p #f)
        (let-values ([(base name dir?) (split-path p)])
          (and (path? base) (loop base))))))

(define omit-path? (make-member? omit-paths))
(define include-path? (make-member? include-paths))

(define (hash-ref/check-parents ht p)
  (let loop ([p p])
    (or (hash-ref ht p #f)
        (let-values ([(base name dir?) (split-path p)])
          (and (path? base) (loop base))))))

(define rx:default-suffixes (get-module-suffix-regexp))

(define (stderr-pattern->jsexpr v)
  (cond
    [(not v) 'null]
    [(string? v) (hasheq 'kind "regexp" 'source v)]
    [(bytes? v) (hasheq 'kind "byte-regexp" 'source (bytes->string/latin-1 v))]
    [(pregexp? v) (hasheq 'kind "pregexp" 'source (object-name v))]
    [(regexp? v) (hasheq 'kind "regexp" 'source (object-name v))]
    [(byte-pregexp? v) (hasheq 'kind "byte-pregexp" 'source (bytes->string/latin-1 (object-name v)))]
    [(byte-regexp? v) (hasheq 'kind "byte-regexp" 'source (bytes->string/latin-1 (object-name v)))]
    [else 'null]))

(define (jsexpr->stderr-pattern j)
  (and (hash? j)
       (let ([s (hash-ref j 'source "")])
         (case (hash-ref j 'kind "regexp")
           [("pregexp") (pregexp s)]
           [("byte-regexp") (byte-regexp (string->bytes/latin-1 s))]
           [("byte-pregexp") (byte-pregexp (string->bytes/latin-1 s))]
           [else (regexp s)]))))

;; The files `raco test` would run for path `p`, in its order.
(define (plan-path p check-suffix? acc)
  (cond
    [(directory-exists? p)
     (define dir-p (path->directory-path p))
     (cond
       [(entered-before? planned-dirs p) acc]
       [else
        (check-info dir-p)
        (if (omit-path? dir-p)
            acc
            (for/fold ([acc acc]) ([dp (in-list (directory-list p))])
              (plan-path (build-path p dp) #t acc)))])]
    [(and (or (not check-suffix?)
              (and (regexp-match? rx:default-suffixes p)
                   (not (regexp-match? #rx"^[.]" (path->string (file-name-from-path p)))))
              (hash-ref command-line-arguments (begin (check-info p) (normalize-info-path p)) #f)
              (include-path? p #:check-info? #t))
          (or (not check-suffix?)
              (not (omit-path? p #:check-info? #t))))
     (check-info p)
     (define norm-p (normalize-info-path p))
     (cons (hasheq 'file (path->string norm-p)
                   'args (map ->string (hash-ref command-line-arguments norm-p '()))
                   'timeout (json-or-null (hash-ref timeouts norm-p #f))
                   'lock_name (json-or-null (hash-ref lock-names norm-p #f))
                   'ignore_stderr (stderr-pattern->jsexpr
                                   (hash-ref/check-parents ignore-stderrs norm-p))
                   'random (and (hash-ref randoms norm-p #f) #t))
           acc)]
    [else acc]))

(define (plan! req)
  (reset-info!)
  (define paths (hash-ref req 'paths '()))
  (define check-suffix? (hash-ref req 'check_suffix #f))
  (define-values (files missing)
    (for/fold ([files '()] [missing '()]) ([s (in-list paths)])
      (define p (simplify-path (path->complete-path (string->path s))))
      (if (or (file-exists? p) (directory-exists? p))
          (values (plan-path p check-suffix? files) missing)
          (values files (cons s missing)))))
  (emit! (hasheq 'event "plan" 'id (hash-ref req 'id 'null)
                 'files (reverse files) 'missing (reverse missing)
                 'problems (reverse info-problems))))

;; ---------------------------------------------------------------------------
;; Running one module, as the `process` submodule of compiler/commands/test
;; does in a child process.
(define (module->string m)
  (format "~s" (if (and (pair? m) (eq? 'submod (car m)))
                   (list* 'submod (->string (cadr m)) (cddr m))
                   (->string m))))

(define (run-module! req ns file-path mod rt-mod try-config?)
  (define id (hash-ref req 'id))
  (define t0 (current-inexact-milliseconds))
  (define dir (let-values ([(base name dir?) (split-path file-path)]) base))
  ;; The `config` sub-submodule (info language) overrides the settings.
  (define-values (lookup config-problem)
    (parameterize ([current-namespace ns] [current-directory dir])
      (with-handlers ([exn:fail? (lambda (e) (values (lambda (k d) (d)) (exn-message e)))])
        (if (and try-config? (pair? mod)
                 (module-declared? (append mod '(config)) #t))
            (values (dynamic-require (append mod '(config)) '#%info-lookup
                                     (lambda ()
                                       (error 'raco-test
                                              "cannot extract information from a `config` submodule;\n the submodule should use the `info` module language")))
                    #f)
            (values (lambda (k d) (d)) #f)))))
  (define timeout (lookup 'timeout (lambda () (hash-ref req 'timeout #f))))
  (define ignore-stderr (lookup 'ignore-stderr
                                (lambda () (jsexpr->stderr-pattern (hash-ref req 'ignore_stderr #f)))))
  (define lock-name (lookup 'lock-name (lambda () (hash-ref req 'lock_name #f))))
  (define random? (lookup 'random? (lambda () (hash-ref req 'random #f))))
  (define patterns (map pregexp (hash-ref req 'ignore_stderr_patterns '())))
  (define seconds (and (real? timeout) (< timeout +inf.0) timeout))
  ;; The effective timeout, so the client can move its own (harder) deadline.
  (emit! (hasheq 'event "module" 'id id 'module (module->string mod)
                 'timeout (json-or-null (and seconds (exact->inexact seconds)))))
  (define check-stderr? (hash-ref req 'check_stderr #f))
  (define out (open-output-bytes))
  (define err (open-output-bytes))
  (define exit-code (box #f))
  (define raised (box #f))
  (define done? (box #f))
  (define cust (make-custodian))
  (define fresh-home (and (hash-ref req 'fresh_user #f)
                          (make-temporary-file "home~a" 'directory)))
  ;; raco test's child process (--fresh-user, --drdr) starts with TMPDIR,
  ;; PLTUSERHOME and PLTADDONDIR (the parent's add-on directory) set. TMPDIR
  ;; is set in this process's environment for the run, so `find-system-path`
  ;; sees it too (`make-temporary-file`), and restored after it. PLTUSERHOME
  ;; is not: the add-on directory, fixed only at start-up by PLTADDONDIR,
  ;; would follow it in this process; subprocesses get all three.
  (define fresh-vars
    (if fresh-home (list (cons #"TMPDIR" (path->bytes fresh-home))) '()))
  (define saved-vars
    (for/list ([v (in-list fresh-vars)])
      (cons (car v) (environment-variables-ref process-env (car v)))))
  (define (set-vars! vars)
    (for ([v (in-list vars)])
      (environment-variables-set! process-env (car v) (cdr v))))
  (define pre (test-log #:display? #f #:exit? #f))
  (define timed-out? #f)
  (define (go)
    (dynamic-wind
     (lambda () (set-vars! fresh-vars))
     run-in-env
     (lambda () (set-vars! saved-vars))))
  (define (run-in-env)
    (define env (environment-variables-copy process-env))
    (when fresh-home
      (environment-variables-set! env #"PLTUSERHOME" (path->bytes fresh-home))
      (environment-variables-set! env #"PLTADDONDIR" (path->bytes (find-system-path 'addon-dir))))
    ;; The child process flushes its output ports when it exits (after the
    ;; module, an error or an `exit`; not when killed at its timeout): a file
    ;; written and never closed still gets its content.
    (define plumber (make-plumber))
    (define (flush!) (with-handlers ([(lambda (e) #t) void]) (plumber-flush-all plumber)))
    (define t
      (parameterize ([current-custodian cust]
                     [current-namespace ns]
                     [current-directory dir]
                     [current-load-relative-directory #f]
                     [current-output-port out]
                     [current-error-port err]
                     [current-input-port (open-input-bytes #"")]
                     [current-environment-variables env]
                     [current-plumber plumber]
                     [current-subprocess-custodian-mode 'kill]
                     [current-command-line-arguments
                      (list->vector (map ->string (hash-ref req 'args '())))]
                     [current-run-id id]
                     [current-run-file file-path]
                     [current-mark (box t0)]
                     [current-check-around observing-check-around]
                     [current-check-handler observing-check-handler]
                     [current-test-case-around observing-test-case-around]
                     [exit-handler (lambda (v)
                                     (set-box! exit-code (if (and (exact-integer? v) (<= 1 v 255)) v 0))
                                     (flush!)
                                     (custodian-shutdown-all cust)
                                     (sync never-evt))])
        (thread
         (lambda ()
           (with-handlers ([(lambda (e) #t)
                            (lambda (e)
                              (set-box! raised e)
                              ;; as the child process would: the error on stderr
                              ((error-display-handler)
                               (if (exn? e) (exn-message e) (format "uncaught exception: ~e" e))
                               e)
                              (flush!))])
             ;; 0, as `raco test` does: instantiated and also made available
             ;; at phase 1, so code that expands against the module at run
             ;; time (`expand`, `eval-syntax` of its macros) finds it (§14).
             (when rt-mod (dynamic-require rt-mod 0))
             (dynamic-require mod 0)
             ((executable-yield-handler) 0)
             (flush!)
             (set-box! done? #t))))))
    (unless (sync/timeout seconds t)
      (set! timed-out? #t))
    (custodian-shutdown-all cust))
  (define lock-problem
    (if (and (string? lock-name) (not (string=? lock-name "")))
        (with-handlers ([exn:fail? (lambda (e) (exn-message e))])
          (call-with-file-lock/timeout
           #:max-delay (or (let ([n (string->number (or (getenv "PLTLOCKTIME") ""))])
                             (and (real? n) n))
                           (* 4 60 60))
           (build-path (or (getenv "PLTLOCKDIR") (find-system-path 'temp-dir)) lock-name)
           'exclusive
           (lambda () (go) #f)
           (lambda () (format "could not obtain lock: ~s" lock-name))))
        (begin (go) #f)))
  (when fresh-home
    (with-handlers ([exn:fail? void]) (delete-directory/files fresh-home)))
  (define post (test-log #:display? #f #:exit? #f))
  (define tests-failed (- (car post) (car pre)))
  (define tests-total (- (cdr post) (cdr pre)))
  (define err-bytes (get-output-bytes err))
  (define stderr-bad?
    (and check-stderr?
         (not (or (equal? #"" err-bytes)
                  (ormap (lambda (p) (regexp-match? p err-bytes)) patterns)
                  (and ignore-stderr (regexp-match? ignore-stderr err-bytes))))))
  (define e (unbox raised))
  (define code (cond [(unbox exit-code) => values]
                     [e 1]
                     [else 0]))
  ;; The summary `raco test` would compute for this module (process mode).
  (define-values (status failed total message)
    (cond
      [lock-problem (values "error" 1 1 lock-problem)]
      [timed-out? (values "timeout" 1 1 (format "timeout after ~a seconds" timeout))]
      [stderr-bad?
       (values "stderr" 1 1
               (parameterize ([error-print-width 16384])
                 (format "non-empty stderr: ~e" err-bytes)))]
      [(not (zero? code))
       (values (if e "error" "exit") 1 1
               (if e
                   (if (exn? e) (exn-message e) (format "uncaught exception: ~e" e))
                   (format "non-zero exit: ~e" code)))]
      [(unbox exit-code) (values "exit" 0 1 "exit: 0")]
      [(not (unbox done?)) (values "error" 1 1 "test did not finish")]
      [else (values (if (zero? tests-failed) "pass" "fail") tests-failed tests-total 'null)]))
  (emit! (hasheq 'event "module-done" 'id id 'module (module->string mod)
                 'status status 'failed failed 'total total
                 'tests_failed tests-failed 'tests_total tests-total
                 'message (if (string? message) (limit message) message)
                 'srclocs (if (exn? e) (map srcloc->jsexpr (exn-srclocs e)) '())
                 'context (json-or-null (and e (context-location e file-path)))
                 'exit_code code
                 'timeout timed-out?
                 'random (and random? #t)
                 'config_problem (json-or-null config-problem)
                 'stdout (limit (bytes->string/utf-8 (get-output-bytes out) #\?) 65536)
                 'stderr (limit (bytes->string/utf-8 err-bytes #\?) 65536)
                 'duration_ms (ms-since t0))))

;; One file: its submodules as `raco test` chooses them.
(define (run-file! req)
  (define id (hash-ref req 'id))
  (define file-path (simplify-path (path->complete-path (string->path (hash-ref req 'file)))))
  (define dir (let-values ([(base name dir?) (split-path file-path)]) base))
  (define submodules (map string->symbol (hash-ref req 'submodules '("test"))))
  (define first-avail? (hash-ref req 'first_avail #f))
  (define run-if-absent? (hash-ref req 'run_if_absent #t))
  (define ns0 (fresh-namespace))
  (define used-ns0? #f)
  (define (next-ns)
    (if used-ns0? (fresh-namespace) (begin (set! used-ns0? #t) ns0)))
  (define rt-mod
    (and (hash-ref req 'configure_runtime #f)
         (let ([m `(submod ,file-path configure-runtime)])
           (and (parameterize ([current-namespace ns0] [current-directory dir]
                               [current-output-port (open-output-nowhere)]
                               [current-error-port (open-output-nowhere)])
                  (with-handlers ([exn:fail? (lambda (e) #f)]) (module-declared? m #t)))
                m))))
  (define-values (did-one? missing?)
    (for/fold ([did-one? #f] [missing? #f]) ([sm (in-list submodules)])
      (define mod `(submod ,file-path ,sm))
      (cond
        [(and did-one? first-avail?) (values did-one? missing?)]
        [else
         (define mode
           (parameterize ([current-namespace ns0] [current-directory dir]
                          [current-output-port (open-output-nowhere)]
                          [current-error-port (open-output-nowhere)])
             (with-handlers ([exn:fail? (lambda (e) 'error)])
               (and (module-declared? mod #t) 'ok))))
         (cond
           [mode
            (run-module! req (next-ns) file-path mod rt-mod (eq? mode 'ok))
            (values #t missing?)]
           [else (values did-one? #t)])])))
  (when (and run-if-absent? missing?)
    (run-module! req (next-ns) file-path file-path rt-mod #f))
  (emit! (hasheq 'event "done" 'id id)))

;; ---------------------------------------------------------------------------
(module+ main
  ;; stdin is read by a thread of its own, so its end (the server is gone)
  ;; stops the runner at once, even in the middle of a test, as the compile
  ;; agent does: a busy runner never outlives its parent.
  (define main-thread (current-thread))
  (void
   (thread
    (lambda ()
      (let read-loop ()
        (define line (read-line real-stdin 'any))
        (unless (eof-object? line)
          (thread-send main-thread line)
          (read-loop)))
      (exit 0))))
  (emit! (hasheq 'event "ready"))
  (let loop ()
    (define req (with-handlers ([exn:fail? (lambda (e) #f)]) (string->jsexpr (thread-receive))))
    (cond
      [(not (hash? req)) (loop)]
      [(equal? (hash-ref req 'op #f) "shutdown") (void)]
      [else
       (with-handlers ([exn:fail?
                        (lambda (e)
                          (emit! (hasheq 'event "runner-error" 'id (hash-ref req 'id 'null)
                                         'message (exn-message e))))])
         (case (hash-ref req 'op #f)
           [("plan") (plan! req)]
           [("run") (run-file! req)]
           [else (emit! (hasheq 'event "runner-error" 'id (hash-ref req 'id 'null)
                                'message "unknown op"))]))
       (emit-sync!)
       (loop)]))
  (emit-sync!)
  (exit 0))
