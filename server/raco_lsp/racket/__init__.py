"""Everything that talks to Racket.

Invariant: nothing in this package imports pygls or lsprotocol.  It returns
plain records (see ``records``) with 0-based lines and columns counted in
characters (Unicode code points).
"""
