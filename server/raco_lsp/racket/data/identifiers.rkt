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
;; An unsaved buffer's text is read instead of the file, with the file's
;; path as its source (so srclocs and relative requires are the file's).
;;
;; analyze-file : path-string [(or/c string #f)] -> jsexpr, with positions
;; 0-based Racket positions (a CRLF is one position) of the text analysed:
;;   {"arrows":  [[start-left, start-right, end-left, end-right, require?, phase], ...]
;;    "mouse":   [[left, right, text], ...]            check-syntax's mouse-over texts
;;    "jumps":   [[left, right, id, file, [submod ...]], ...]   imported identifiers
;;    "targets": [[left, right, id, [submod ...]], ...]         definition sites
;;    "unused":  [[left, right], ...]          check-syntax's unused requires (module paths)
;;    "docs":    [[left, right, entry], ...]      identifiers with installed documentation
;;    "doc_entries": [[html-file, anchor, label, [blue-box-line ...]], ...]  (entry: an index)
;;    "types":   [[left, right, text], ...]    Typed Racket's type tooltips
;;    "scope", "locals": identifiers in scope (scope.rkt)}
;; or {"error": message} when the module does not read or expand.
(require racket/class
         racket/list
         drracket/check-syntax
         scribble/blueboxes
         scribble/xref
         scribble/manual-struct
         setup/xref
         syntax/modread
         "scope.rkt")

(provide analyze-file binding-doc warm-up)

;; For the agent, ahead of its first request: load this module and
;; check-syntax, and analyse a small racket/base module once (its text, as
;; a file of the temporary directory that is never created), which loads
;; the documentation index and blue boxes a first analysis would wait for
;; (~180 ms).  Installation code only: nothing of the workspace runs.
(define (warm-up)
  (analyze-file (build-path (find-system-path 'temp-dir) "raco-lsp-warm-up.rkt")
                (string-append "#lang racket/base\n(require racket/list)\n"
                               "(define (f x) (first (list x)))\n(f 1)\n"))
  #t)

;; The installed documentation's blue boxes, one cache per manual (the
;; directory of a page), each loaded on its first use and kept: all manuals'
;; at once would cost ~58 MB where the Racket Reference's alone is ~30 MB.
(define blueboxes-caches (make-hash))

;; A documented binding as a "doc_entries" row: its page, anchor, label and
;; blue box (check-syntax's docs menu, or binding-doc).
(define (doc-row file anchor label definition-tag)
  (list (if (path? file) (path->string file) 'null)
        (format "~a" anchor)
        (format "~a" label)
        (or (and (path? file)
                 (let-values ([(manual _name _dir?) (split-path file)])
                   (and (path? manual)
                        (fetch-blueboxes-strs
                         definition-tag
                         #:blueboxes-cache
                         (hash-ref! blueboxes-caches manual
                                    (lambda ()
                                      (make-blueboxes-cache #f #:blueboxes-dirs (list manual))))))))
            '())))

;; binding-doc : string (listof string) -> (or/c row 'null)
;; The installed documentation of the first of `names` that the module
;; written `module` (a collection's module path as `~s` prints it: an
;; installation module; it is resolved, not instantiated) exports and
;; documents, as a "doc_entries" row; for completionItem/resolve, of a name
;; not at a position.
(define (binding-doc module names)
  (with-handlers ([exn:fail? (lambda (_) 'null)])
    (define mp (read (open-input-string module)))
    (define xref (load-collections-xref))
    (or (and (module-path? mp)
             ;; a collection's module (the xref may load its code): never a
             ;; file path, which would resolve against the agent's directory
             (or (symbol? mp) (and (pair? mp) (eq? (car mp) 'lib)))
             (for/or ([n (in-list names)] #:when (string? n))
               (define tag (xref-binding->definition-tag xref (list mp (string->symbol n)) 0))
               (define-values (page anchor)
                 (if tag (xref-tag->path+anchor xref tag) (values #f #f)))
               (define entry (and page (xref-tag->index-entry xref tag)))
               (and entry
                    (doc-row page anchor (docs-label (entry-desc entry)) tag))))
        'null)))

;; check-syntax's label of a docs menu entry (its string constants, in English)
(define (docs-label desc)
  (define name (format "View documentation for ~a"
                       (if (exported-index-desc? desc) (exported-index-desc-name desc) "")))
  (define libs (if (exported-index-desc? desc) (exported-index-desc-from-libs desc) '()))
  (if (null? libs)
      name
      (format "~a from ~a" name (apply string-append
                                       (add-between (map (lambda (x) (format "~s" x)) libs)
                                                    ", ")))))

;; Typed Racket hands its type tooltips to check-syntax through this logger
;; topic (DrRacket's online check syntax listens to it): vectors
;; #(stx left right text-or-thunk) under the 'mouse-over-tooltips property.
(define (tooltip-rows receiver ours?)
  (let loop ([rows '()])
    (define v (sync/timeout 0 receiver))
    (cond
      [(not v) rows]
      [else
       (define obj (vector-ref v 2))
       (loop
        (if (and (list? obj) (andmap syntax? obj))
            (for*/fold ([rows rows])
                       ([s (in-list obj)]
                        [t (in-list (flatten-tooltips (syntax-property s 'mouse-over-tooltips)))]
                        #:when (ours? (syntax-source (vector-ref t 0))))
              (define text (vector-ref t 3))
              (cons (list (vector-ref t 1) (vector-ref t 2)
                          (format "~a" (if (procedure? text) (text) text)))
                    rows))
            rows))])))

(define (flatten-tooltips prop)
  (cond
    [(pair? prop) (append (flatten-tooltips (car prop)) (flatten-tooltips (cdr prop)))]
    [(and (vector? prop) (= (vector-length prop) 4) (syntax? (vector-ref prop 0))
          (exact-integer? (vector-ref prop 1)) (exact-integer? (vector-ref prop 2)))
     (list prop)]
    [else '()]))

(define (analyze-file file [text #f])
  (define path (simplify-path (path->complete-path file)))
  (define-values (dir _name _dir?) (split-path path))
  (define arrows '())
  (define mouse '())
  (define jumps '())
  (define targets '())
  (define unused '())
  (define docs '())
  (define doc-entries (make-hash))  ; definition tag -> (cons index row)
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
                              targets))))
      (define/override (syncheck:add-unused-require src left right)
        (when src
          (set! unused (cons (list left right) unused))))
      (define/override (syncheck:add-docs-menu src left right _key label
                                               file definition-tag tag)
        (when (and src (< left right))
          (define entry
            (car (hash-ref! doc-entries definition-tag
                            (lambda ()
                              (cons (hash-count doc-entries)
                                    (doc-row file tag label definition-tag))))))
          (set! docs (cons (list left right entry) docs))))))
  (with-handlers ([exn:fail? (lambda (e) (hasheq 'error (exn-message e)))])
    (define ns (make-base-namespace))
    (define receiver (make-log-receiver (current-logger) 'info 'online-check-syntax))
    (define types '())
    (define scope ; scope.rkt's keys, for completion and signature help
      (parameterize ([current-annotations (new collector%)]
                     [current-namespace ns]
                     [current-load-relative-directory dir])
        (define-values (expanded-expression expansion-completed) (make-traversal ns dir))
        (define (read-module port)
          (port-count-lines! port)
          (with-module-reading-parameterization
           (lambda () (read-syntax path port))))
        (define stx
          (if text
              (read-module (open-input-string text))
              (call-with-input-file path read-module)))
        (define expanded (expand stx))
        (expanded-expression expanded)
        (set! types (tooltip-rows receiver ours?))
        (expansion-completed)
        (with-handlers ([exn:fail? (lambda (e) (hasheq 'scope-error (exn-message e)))])
          (scope-keys expanded path))))
    (for/fold ([answer (hasheq 'arrows (remove-duplicates arrows)
                               'mouse (remove-duplicates mouse)
                               'jumps (remove-duplicates jumps)
                               'targets (remove-duplicates targets)
                               'unused (remove-duplicates unused)
                               'docs (remove-duplicates docs)
                               'doc_entries (map cdr (sort (hash-values doc-entries) < #:key car))
                               'types (remove-duplicates types))])
              ([(k v) (in-hash scope)])
      (hash-set answer k v))))

(module+ main
  (require json)
  (for ([f (in-vector (current-command-line-arguments))])
    (write-json (analyze-file f))
    (newline)))
