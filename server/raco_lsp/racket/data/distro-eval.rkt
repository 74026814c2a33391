#lang racket/base
;; raco-lsp build-farm helper: a site configuration evaluated with the real
;; distro-build package (only ever started for trusted folders: the
;; configuration is code).
;;
;; Usage: racket distro-eval.rkt CONFIG MODE
;;
;; One JSON object on stdout: the configuration's tree, each node with the
;; options in effect there (the package's own merge-options, as its
;; drive-clients walks the tree), each value as `~v` writes it:
;;   {"kind":"sequential"|"parallel"|"machine","options":{KW:TEXT},"children":[...]}
;; or {"error":MESSAGE}.
(require json
         racket/format)

(define-values (config-file mode)
  (let ([args (current-command-line-arguments)])
    (values (vector-ref args 0) (vector-ref args 1))))

(define (from-config name) (dynamic-require 'distro-build/config name))

(define (tree c inherited)
  (define opts ((from-config 'merge-options) inherited c))
  (hasheq 'kind (symbol->string ((from-config 'site-config-tag) c))
          'options (for/hasheq ([(k v) (in-hash opts)])
                     (values (string->symbol (keyword->string k)) (~v v)))
          'children (for/list ([sub (in-list ((from-config 'site-config-content) c))])
                      (tree sub opts))))

(write-json
 (with-handlers ([exn:fail? (lambda (e) (hasheq 'error (exn-message e)))])
   (define config
     (parameterize ([(from-config 'current-mode) mode])
       (dynamic-require (path->complete-path (string->path config-file)) 'site-config)))
   (if ((from-config 'site-config?) config)
       (tree config (hasheq))
       (hasheq 'error "the module's site-config is not a site configuration"))))
(newline)
