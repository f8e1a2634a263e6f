; Python definitions and references, in tree-sitter's tags vocabulary.

(class_definition
  name: (identifier) @name
  body: (_) @body) @definition.class

(function_definition
  name: (identifier) @name
  body: (_) @body) @definition.function

; A function directly in a class body is a method.
(class_definition
  body: (block
    [(function_definition
       name: (identifier) @name
       body: (_) @body) @definition.method
     (decorated_definition
       definition: (function_definition
         name: (identifier) @name
         body: (_) @body) @definition.method)]))

; Assigned names. Any depth: the extractor keeps only those at module or class
; level (a variable local to a function is not a definition of the project),
; so names bound under `if`/`try`/`with` at module level count too.
(assignment
  left: (identifier) @name
  (#match? @name "^[A-Z][A-Z0-9_]*$")) @definition.constant

(assignment
  left: (identifier) @name
  (#not-match? @name "^[A-Z][A-Z0-9_]*$")) @definition.variable

(assignment
  left: (pattern_list
    (identifier) @name)) @definition.variable

(assignment
  left: (tuple_pattern
    (identifier) @name)) @definition.variable

(call
  function: [
    (identifier) @name
    (attribute
      attribute: (identifier) @name)
  ]) @reference.call

(class_definition
  superclasses: (argument_list
    [(identifier) @name
     (attribute attribute: (identifier) @name)] @reference.class))

(type
  [(identifier) @name
   (attribute attribute: (identifier) @name)] @reference.type)

(decorator
  [(identifier) @name
   (attribute attribute: (identifier) @name)] @reference.call)

(generic_type
  (identifier) @name @reference.type)
