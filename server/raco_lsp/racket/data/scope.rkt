#lang racket/base
;; raco-lsp identifiers in scope, for completion and signature help: what a
;; fully expanded module binds, as plain JSON data (new keys of the analysis).
;;
;; scope-keys : expanded-module-syntax path -> (hash 'scope rows 'locals rows)
;;   "scope":  [[name, kind, from, module, file, id, arities, params, keywords], ...]
;;             the module-level bindings of phase 0 in the module body:
;;             kind "procedure" | "variable" | "syntax"; from "definition" |
;;             "require" | "lang"; module as written in the require (null for
;;             a definition); file and id: the defining module's file and its
;;             name there (null for primitives); arities: [[min, max|null],
;;             ...] of an installation procedure (its module instantiated:
;;             installation code only), else null; params: the signatures of a
;;             procedure this module defines ([[param, ...], ...], a rest
;;             argument written "name ...", an optional one "[name]"), else null;
;;             keywords: [[keyword, required?], ...] of an installation procedure.
;;   "locals": [[left, right, name, scope-left, scope-right, params], ...]
;;             local binders (lambda formals, let/letrec bindings) with the
;;             span of the innermost expanded binding form around them: the
;;             binding's scope, approximately (let's right-hand sides included).
;; Names are checked with identifier-binding in the module body's context,
;; so what only-in, except-in, prefix-in, rename-in and shadowing leave is
;; exactly what is listed.
(require racket/list
         setup/dirs)

(provide scope-keys)

(define (scope-keys e path)
  (define ctx (syntax-property e 'module-body-context))
  (define parts (syntax->list e))
  (define defs (make-hasheq)) ; name -> (kind . params or #f), this module's definitions
  (define locals '())
  (define requires '())
  (define (pos-span stx)
    (and (equal? (syntax-source stx) path)
         (syntax-position stx)
         (syntax-span stx)
         (cons (sub1 (syntax-position stx)) (+ (sub1 (syntax-position stx)) (syntax-span stx)))))
  (define (core-name id phase)
    (define b (and (identifier? id) (identifier-binding id phase)))
    (and (pair? b)
         (symbol? (resolved-module-path-name (module-path-index-resolve (car b))))
         (cadr b)))
  (define (bind! ids form-span params)
    (for ([id (in-list ids)])
      (define s (pos-span id))
      (when (and s form-span (syntax-original? id)
                 (<= (car form-span) (car s)) (<= (cdr s) (cdr form-span)))
        (set! locals (cons (list (car s) (cdr s) (symbol->string (syntax-e id))
                                 (car form-span) (cdr form-span) (or params 'null))
                           locals)))))
  (define (walk stx phase outer top?)
    (define l (syntax->list stx))
    (define here (or (pos-span stx) outer))
    (define head (and l (pair? l) (core-name (car l) phase)))
    (case head
      [(quote quote-syntax #%provide #%declare) (void)]
      [(#%require)
       (when (and top? (eqv? phase 0)) (set! requires (append requires (cdr l))))]
      [(lambda)
       (bind! (formals-ids (cadr l)) here #f)
       (walk-all (cddr l) phase here)]
      [(case-lambda)
       (for ([clause (in-list (cdr l))])
         (define c (syntax->list clause))
         (bind! (formals-ids (car c)) here #f)
         (walk-all (cdr c) phase here))]
      [(let-values letrec-values)
       (define bindings (map syntax->list (syntax->list (cadr l))))
       (for ([b (in-list bindings)])
         (bind! (syntax->list (car b)) here (lambda-params (cadr b) phase))
         (walk (cadr b) phase here #f))
       (walk-all (cddr l) phase here)]
      [(letrec-syntaxes+values)
       (for ([b (in-list (syntax->list (cadr l)))])
         (walk (cadr (syntax->list b)) (add1 phase) here #f))
       (for ([b (in-list (map syntax->list (syntax->list (caddr l))))])
         (bind! (syntax->list (car b)) here (lambda-params (cadr b) phase))
         (walk (cadr b) phase here #f))
       (walk-all (cdddr l) phase here)]
      [(define-values)
       (when (and top? (eqv? phase 0))
         (define params (lambda-params (caddr l) phase))
         (for ([id (in-list (syntax->list (cadr l)))])
           (hash-set! defs (syntax-e id) (cons (if params "procedure" "variable") params))))
       (walk (caddr l) phase here #f)]
      [(define-syntaxes)
       (when (and top? (eqv? phase 0))
         (for ([id (in-list (syntax->list (cadr l)))])
           (hash-set! defs (syntax-e id) (cons "syntax" #f))))
       (walk (caddr l) (add1 phase) here #f)]
      [(begin-for-syntax) (walk-all (cdr l) (add1 phase) here)]
      [(begin) (for ([f (in-list (cdr l))]) (walk f phase here top?))]
      [(module module*)
       (when (>= (length l) 4) (walk-all (cdddr l) phase here))]
      [(#%plain-module-begin #%module-begin)
       (for ([f (in-list (cdr l))]) (walk f phase here top?))]
      [else
       (cond
         [l (walk-all l phase here)]
         [(pair? (syntax-e stx)) ; an improper list
          (let loop ([p (syntax-e stx)])
            (cond [(pair? p) (walk (car p) phase here #f) (loop (cdr p))]
                  [(syntax? p) (loop (syntax-e p))]))])]))
  (define (walk-all stxs phase here)
    (for ([s (in-list stxs)]) (walk s phase here #f)))
  (define (lambda-params rhs phase)
    ;; The parameter lists of a procedure written in this module, when its
    ;; formals are the source's own (a keyword procedure's are not).
    (define l (syntax->list rhs))
    (define head (and l (pair? l) (core-name (car l) phase)))
    (define (sig formals)
      (define-values (ids rest) (split-formals formals))
      (define names (map param-name (if rest (append ids (list rest)) ids)))
      (and (andmap values names)
           (if rest
               (append (drop-right names 1) (list (format "~a ..." (last names))))
               names)))
    (define sigs
      (case head
        [(lambda) (list (sig (cadr l)))]
        [(case-lambda) (for/list ([c (in-list (cdr l))]) (sig (car (syntax->list c))))]
        [(let-values letrec-values)
         ;; (let ([f (case-lambda ...)]) f), as optional arguments expand
         (define body (cddr l))
         (define bindings (map syntax->list (syntax->list (cadr l))))
         (define found
           (and (= (length body) 1)
                (if (identifier? (car body))
                    (for/first ([b (in-list bindings)]
                                #:when (let ([ids (syntax->list (car b))])
                                         (and (= (length ids) 1)
                                              (free-identifier=? (car ids) (car body) phase))))
                      (lambda-params (cadr b) phase))
                    (lambda-params (car body) phase))))
         (or found '(#f))]
        [else '(#f)]))
    (and (pair? sigs) (andmap values sigs) (optional-brackets sigs)))
  (for ([f (in-list (if (>= (length parts) 4) (list (list-ref parts 3)) '()))])
    (walk f 0 #f #t))
  (hasheq 'scope (scope-rows ctx path (syntax->datum (list-ref parts 2)) requires defs)
          'locals (remove-duplicates locals)))

;; (a b) (a . r) r -> the identifiers and the rest identifier (or #f)
(define (split-formals formals)
  (let loop ([f formals] [ids '()])
    (define d (if (syntax? f) (syntax-e f) f))
    (cond [(pair? d) (loop (cdr d) (cons (car d) ids))]
          [(null? d) (values (reverse ids) #f)]
          [else (values (reverse ids) f)])))

;; a parameter's name as written, or the name of a temporary that an
;; expansion made of it (optional arguments: b1 for b) without its digits
(define (param-name id)
  (define s (symbol->string (syntax-e id)))
  (cond [(syntax-original? id) s]
        [(regexp-match #rx"^(.*[^0-9])[0-9]+$" s) => cadr]
        [else #f])) ; a keyword procedure's own arguments

;; the identifiers a formals binds
(define (formals-ids formals)
  (define-values (ids rest) (split-formals formals))
  (if rest (append ids (list rest)) ids))

;; Clauses (a) (a b) that differ by trailing arguments: one signature "a [b]".
(define (optional-brackets sigs)
  (define sorted (sort sigs < #:key length))
  (define longest (last sorted))
  (if (and (> (length sorted) 1)
           (for/and ([s (in-list sorted)]) (equal? s (take longest (length s)))))
      (list (for/list ([p (in-list longest)] [i (in-naturals)])
              (if (>= i (length (car sorted))) (format "[~a]" p) p)))
      sigs))

(define installation-dirs
  (map (lambda (d) (path->string (path->directory-path (simplify-path d))))
       (filter values (list (find-collects-dir) (find-pkgs-dir)))))

(define (in-installation? p)
  (define s (path->string p))
  (for/or ([d (in-list installation-dirs)])
    (and (<= (string-length d) (string-length s)) (string=? d (substring s 0 (string-length d))))))

;; the file a module path index resolves to (a symbol: a primitive module)
(define (resolved-file mpi)
  (define name (resolved-module-path-name (module-path-index-resolve mpi)))
  (if (pair? name) (car name) name))

;; a primitive module or a file of the installation
(define (installation-module? mpi)
  (define p (resolved-file mpi))
  (or (symbol? p) (in-installation? p)))

(define (module-file mpi)
  (define p (resolved-file mpi))
  (and (path? p) p))

(define (self? mpi)
  (define-values (a b) (module-path-index-split mpi))
  (and (not a) (not b)))

(define (scope-rows ctx path lang requires defs)
  ;; candidates: name -> (from module-datum kind)
  (define candidates (make-hasheq))
  (define (exports mp)
    (with-handlers ([exn:fail? (lambda (_) (values '() '()))])
      (define rmp ((current-module-name-resolver) mp (make-resolved-module-path path) #f #f))
      (define-values (vars stxs) (module->exports rmp))
      (define (at0 l) (map car (cond [(assv 0 l) => cdr] [else '()])))
      (values (at0 vars) (at0 stxs))))
  (define (add! from mp names+kinds)
    (for ([nk (in-list names+kinds)])
      (unless (hash-ref candidates (car nk) #f)
        (hash-set! candidates (car nk) (list from mp (cdr nk))))))
  (define (all mp)
    (define-values (vars stxs) (exports mp))
    (append (map (lambda (n) (cons n "variable")) vars) (map (lambda (n) (cons n "syntax")) stxs)))
  (define (prefixed p nks)
    (map (lambda (nk) (cons (string->symbol (format "~a~a" p (car nk))) (cdr nk))) nks))
  (define (raw-spec spec)
    (define d (syntax->datum spec))
    (define (but mp ids) (filter (lambda (nk) (not (memq (car nk) ids))) (all mp)))
    (cond
      [(and (pair? d) (memq (car d) '(for-meta just-meta)) (pair? (cdr d)))
       (when (eqv? (cadr d) 0)
         (for-each raw-spec (cddr (syntax->list spec))))]
      [(and (pair? d) (memq (car d) '(for-syntax for-template for-label))) (void)]
      [(and (pair? d) (eq? (car d) 'only) (pair? (cdr d)))
       (define nks (all (cadr d)))
       (add! "require" (cadr d) (filter (lambda (nk) (memq (car nk) (cddr d))) nks))]
      [(and (pair? d) (eq? (car d) 'prefix) (= (length d) 3))
       (add! "require" (caddr d) (prefixed (cadr d) (all (caddr d))))]
      [(and (pair? d) (eq? (car d) 'all-except) (pair? (cdr d)))
       (add! "require" (cadr d) (but (cadr d) (cddr d)))]
      [(and (pair? d) (eq? (car d) 'prefix-all-except) (>= (length d) 3))
       (add! "require" (caddr d) (prefixed (cadr d) (but (caddr d) (cdddr d))))]
      [(and (pair? d) (eq? (car d) 'rename) (= (length d) 4))
       (define kind (cond [(assq (cadddr d) (all (cadr d))) => cdr] [else "variable"]))
       (add! "require" (cadr d) (list (cons (caddr d) kind)))]
      [(and (pair? d) (eq? (car d) 'all-defined-out)) (void)]
      [else (add! "require" d (all d))]))
  (for ([(name def) (in-hash defs)])
    (hash-set! candidates name (list "definition" #f (car def))))
  (for-each raw-spec requires)
  (add! "lang" lang (all lang))
  (for/list ([(name c) (in-hash candidates)]
             #:when #t
             [b (in-value (identifier-binding (datum->syntax ctx name) 0))]
             #:when (pair? b)
             [own? (in-value (self? (car b)))]
             #:unless (and (not own?) (equal? (car c) "definition")))
    (define def (and own? (hash-ref defs name #f)))
    (define from (if own? "definition" (car c)))
    (define kind (if own? (if def (car def) "syntax") (caddr c)))
    (define file (and (not own?) (module-file (car b))))
    (define value
      (and (not own?) (installation-module? (car b)) (installation-module? (caddr b))
           (with-handlers ([exn:fail? (lambda (_) #f)])
             (parameterize ([current-output-port (open-output-bytes)]
                            [current-error-port (open-output-bytes)]
                            [current-input-port (open-input-bytes #"")])
               (cond
                 [(equal? kind "variable")
                  (dynamic-require (caddr b) (cadddr b) (lambda () #f))]
                 [else
                  ;; a keyword procedure is exported as syntax: its bare
                  ;; name expands to a variable (a macro's does not)
                  (dynamic-require (caddr b) 0)
                  (define x (expand (datum->syntax ctx name)))
                  (and (identifier? x) (eval x))])))))
    (define arities (and (procedure? value) (arity->json (procedure-arity value))))
    (define keywords
      (and (procedure? value)
           (let-values ([(required allowed) (procedure-keywords value)])
             (and (list? allowed)
                  (for/list ([k (in-list allowed)])
                    (list (string-append "#:" (keyword->string k))
                          (and (memq k required) #t)))))))
    (list (symbol->string name)
          (if (procedure? value) "procedure" kind)
          from
          (if own? 'null (format "~s" (cadr c)))
          (if file (path->string file) 'null)
          (if own? (symbol->string name) (symbol->string (cadr b)))
          (or arities 'null)
          (or (and def (cdr def)) 'null)
          (or keywords 'null))))

(define (arity->json a)
  (define (one x)
    (if (arity-at-least? x) (list (arity-at-least-value x) 'null) (list x x)))
  (if (list? a) (map one a) (list (one a))))
