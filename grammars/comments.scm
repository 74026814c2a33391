; Comments (line and block), whose text the compiler never sees: a change
; confined to them leaves the compiled code as it was (code_signature).
[(comment) (block_comment)] @comment
