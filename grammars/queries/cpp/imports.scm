; inherits: c
; C++ includes: the same as C's.
