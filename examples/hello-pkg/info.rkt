#lang info
(define collection "hello")
(define version "0.1")
(define pkg-desc "A small greeting program: the raco-lsp example workspace")
(define deps '("base"))
(define build-deps '("rackunit-lib"))
(define racket-launcher-names '("hello"))
(define racket-launcher-libraries '("main.rkt"))
