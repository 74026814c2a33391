"""raco-lsp: a build-aware language server and CLI for Racket."""

__version__ = "0.1.0"
