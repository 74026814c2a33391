#lang racket/base
;; raco-lsp pkg-build helper: does each module of an installed package run?
;;
;; Usage: racket load-modules.rkt FILE ...
;;
;; Each FILE is instantiated (dynamic-require FILE #f) in a fresh namespace,
;; as a program that requires it would; its output goes to a string port.
;; One JSON object per line on stdout, after all of them ran:
;;   {"path":FILE,"ok":true}
;;   {"path":FILE,"ok":false,"message":M,"context":[{"source","line","column"}]}
;; "context" holds the frames of the failure's context that have a location.
(require json)

(define (frame->json f)
  (define loc (cdr f))
  (and loc
       (srcloc-line loc)
       (hasheq 'source (format "~a" (srcloc-source loc))
               'line (srcloc-line loc)
               'column (or (srcloc-column loc) 0))))

(define (load-one file)
  (define sink (open-output-string))
  (with-handlers ([(lambda (e) #t)
                   (lambda (e)
                     (hasheq 'path file
                             'ok #f
                             'message (if (exn? e) (exn-message e) (format "~e" e))
                             'context (if (exn? e)
                                          (filter values
                                                  (map frame->json
                                                       (continuation-mark-set->context
                                                        (exn-continuation-marks e))))
                                          null)))])
    (parameterize ([current-namespace (make-base-namespace)]
                   [current-output-port sink]
                   [current-error-port sink]
                   [current-input-port (open-input-string "")]
                   [exit-handler (lambda (c) (error 'exit "the module called exit with ~e" c))])
      (dynamic-require (string->path file) #f))
    (hasheq 'path file 'ok #t)))

(define out (current-output-port))
(for ([r (in-list (map load-one (vector->list (current-command-line-arguments))))])
  (write-json r out)
  (newline out))
