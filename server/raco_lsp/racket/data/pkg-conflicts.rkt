#lang racket/base
;; raco-lsp pkg-build helper: every conflict of a package with what is installed.
;;
;; Usage: racket pkg-conflicts.rkt DIR NAME
;;
;; DIR holds the package NAME's content (not installed).  `raco pkg install`
;; stops at its first conflict; this lists them all, by the same rules
;; (pkg/private/install.rkt): each module path of the package that already
;; resolves to an existing file (source or compiled), and each document name
;; that an installed collection's `scribblings` already declares (what
;; `--strict-doc-conflicts` checks; pkg/private/addl-installs.rkt's names).
;; One JSON object per line on stdout:
;;   {"kind":"module","module":M,"package":P-or-null,"file":F}
;;   {"kind":"doc","name":N,"package":P-or-null,"info":INFO,"entry":E}
;; "info" is the package's info.rkt declaring the document, "entry" the
;; document's path as written there.
(require json
         pkg/lib
         pkg/path
         racket/path
         setup/getinfo
         syntax/modresolve)

(define-values (dir name)
  (let ([args (current-command-line-arguments)])
    (values (path->complete-path (vector-ref args 0)) (vector-ref args 1))))
(define ns (make-base-namespace))

(define (emit h)
  (write-json h)
  (newline))

(define (pretty mp)
  (if (and (list? mp) (= 2 (length mp)) (eq? (car mp) 'lib) (regexp-match? #rx"[.]rkt$" (cadr mp)))
      (regexp-replace #rx"[.]rkt$" (cadr mp) "")
      (format "~s" mp)))

(define (exists-as-module? f)
  (or (file-exists? f)
      (let-values ([(base file dir?) (split-path f)])
        (and (path? base)
             (file-exists? (build-path base "compiled" (path-add-extension file #".zo")))))))

;; -- modules -----------------------------------------------------------------

(for ([mp (in-list (pkg-directory->module-paths dir name #:namespace ns))])
  (define f
    (with-handlers ([exn:fail? (lambda (e) #f)])
      (resolve-module-path mp #f)))
  (when (and (path? f) (exists-as-module? f))
    (emit (hasheq 'kind "module"
                  'module (pretty mp)
                  'package (path->pkg f)
                  'file (path->string f)))))

;; -- documents ---------------------------------------------------------------

(define (documents info)
  ;; (name . entry) of each document declared by `info` (extract-documents).
  (define s (info 'scribblings (lambda () null)))
  (for/list ([doc (in-list (if (list? s) s null))]
             #:when (and (list? doc)
                         (pair? doc)
                         (path-string? (car doc))
                         (or ((length doc) . < . 2) (list? (cadr doc)))
                         (or ((length doc) . < . 4) (string? (list-ref doc 3))))
             #:unless (and ((length doc) . >= . 2)
                           (or (memq 'main-doc-root (cadr doc)) (memq 'user-doc-root (cadr doc)))))
    (cons (string-foldcase
           (if ((length doc) . < . 4)
               (let-values ([(base file dir?) (split-path (car doc))])
                 (path->string (path-replace-extension file #"")))
               (list-ref doc 3)))
          (car doc))))

(define installed
  ;; document name -> package (or #f) of what is installed
  (for*/fold ([h (hash)])
             ([d (in-list (find-relevant-directories '(scribblings) 'all-available))]
              [info (in-value (with-handlers ([exn:fail? (lambda (e) #f)])
                                (get-info/full d #:namespace ns)))]
              #:when info
              [doc (in-list (documents info))])
    (hash-set h (car doc) (path->pkg d))))

(for ([info-file (in-directory dir)]
      #:when (equal? (file-name-from-path info-file) (string->path "info.rkt")))
  (define-values (base file dir?) (split-path info-file))
  (define info
    (with-handlers ([exn:fail? (lambda (e) #f)])
      (get-info/full base #:namespace ns #:bootstrap? #t)))
  (when info
    (for ([doc (in-list (documents info))]
          #:when (hash-has-key? installed (car doc)))
      (emit (hasheq 'kind "doc"
                    'name (car doc)
                    'package (hash-ref installed (car doc))
                    'info (path->string info-file)
                    'entry (let ([e (cdr doc)]) (if (path? e) (path->string e) e)))))))

;; -- platform-specific dependencies -------------------------------------------
;; A `deps` entry with `#:platform` is installed only where it matches
;; (pkg/private/dep.rkt): a string is the whole `(system-library-subpath #f)`,
;; a regexp matches it, a symbol is `(system-type)`.  The service builds on a
;; natipkg installation.
;;   {"kind":"platform","package":P,"platform":S,"here":B,"service":B,"info":INFO}

(define service-subpath "x86_64-linux-natipkg")

(define (platform-matches? p subpath type)
  (cond
    [(string? p) (equal? p subpath)]
    [(regexp? p) (regexp-match? p subpath)]
    [(symbol? p) (eq? p type)]
    [else #f]))

(define (platform-of dep)
  (and (pair? dep)
       (let loop ([l (cdr dep)])
         (cond
           [(or (null? l) (null? (cdr l))) #f]
           [(eq? (car l) '#:platform) (box (cadr l))]
           [else (loop (cddr l))]))))

(let* ([info-file (build-path dir "info.rkt")]
       [info (and (file-exists? info-file)
                  (with-handlers ([exn:fail? (lambda (e) #f)])
                    (get-info/full dir #:namespace ns #:bootstrap? #t)))])
  (when info
    (for* ([field (in-list '(deps build-deps))]
           [dep (in-list (let ([l (info field (lambda () null))]) (if (list? l) l null)))]
           [b (in-value (platform-of dep))]
           #:when (and b (string? (car dep))))
      (define p (unbox b))
      (emit (hasheq 'kind "platform"
                    'package (car dep)
                    'platform (format "~s" p)
                    'here (platform-matches? p (path->string (system-library-subpath #f))
                                             (system-type))
                    'service (platform-matches? p service-subpath 'unix)
                    'info (path->string info-file))))))
