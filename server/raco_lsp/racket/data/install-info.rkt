#lang racket/base
;; raco-lsp: print, as one JSON object, what module path resolution needs to
;; know about this Racket installation: version, vm, compiled-file roots and
;; modes, collection paths and the collection links files, already resolved
;; to absolute directories (docs/racket-facts.md §5, §6).
(require json
         racket/list
         setup/dirs)

(define (->s p) (path->string (simplify-path (path->complete-path p))))

(define (entry-dir links-dir e)
  (define raw (cadr e))
  (define p
    (cond [(string? raw) (string->path raw)]
          [(bytes? raw) (bytes->path raw)]
          [(list? raw)
           (apply build-path
                  (for/list ([x (in-list raw)])
                    (cond [(bytes? x) (bytes->path-element x)]
                          [(eq? x 'up) 'up]
                          [(eq? x 'same) 'same]
                          [else (format "~a" x)])))]
          [else #f]))
  (and p (->s (if (relative-path? p) (build-path links-dir p) p))))

(define (version-ok? e)
  (or (< (length e) 3)
      (not (string? (caddr e)))
      (regexp-match? (pregexp (caddr e)) (version))))

(define (read-links file)
  (define-values (dir name _) (split-path (path->complete-path file)))
  (define entries
    (with-handlers ([exn:fail? (lambda (e) '())])
      (if (file-exists? file)
          (call-with-input-file file read)
          '())))
  (define colls (make-hash))
  (define roots '())
  (for ([e (in-list (if (list? entries) entries '()))]
        #:when (and (pair? e) (pair? (cdr e)) (version-ok? e)))
    (define d (entry-dir dir e))
    (when d
      (cond [(string? (car e))
             (hash-update! colls (car e) (lambda (l) (append l (list d))) '())]
            [(memq (car e) '(root static-root))
             (set! roots (append roots (list d)))])))
  (hasheq 'kind "links"
          'file (->s file)
          'collections (for/list ([(k v) (in-hash colls)]) (list k v))
          'roots roots))

(write-json
 (hasheq 'version (version)
         'vm (let ([m (current-compile-target-machine)]) (if m (symbol->string m) 'null))
         'compiledRoots (for/list ([r (current-compiled-file-roots)])
                          (if (eq? r 'same) "same" (path->string r)))
         'compiledModes (map path->string (use-compiled-file-paths))
         'collectsDir (->s (find-collects-dir))
         'pkgsDir (let ([d (find-pkgs-dir)]) (if d (->s d) 'null))
         'shareDir (let ([d (find-share-dir)]) (if d (->s d) 'null))
         'search
         (for/list ([l (in-list (find-library-collection-links))])
           (if l
               (read-links l)
               (hasheq 'kind "paths"
                       'dirs (map ->s (find-library-collection-paths)))))))
(newline)
