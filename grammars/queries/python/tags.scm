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

; Module-level names: UPPER_CASE ones are constants by convention.
(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.constant)
  (#match? @name "^[A-Z][A-Z0-9_]*$"))

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.variable)
  (#not-match? @name "^[A-Z][A-Z0-9_]*$"))

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
