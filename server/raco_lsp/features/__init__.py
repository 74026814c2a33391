"""LSP features.  The only package that builds lsprotocol types; one file per feature."""
