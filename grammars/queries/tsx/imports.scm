; inherits: typescript
; TSX imports and exports: the same as TypeScript's.
