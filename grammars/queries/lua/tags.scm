; Lua definitions and references, in tree-sitter's tags vocabulary.

; `function f()`, `local function f()`, `function M.f()`, `function a.b.f()`.
(function_declaration
  name: [
    (identifier) @name
    (dot_index_expression field: (identifier) @name)
  ]) @definition.function

; `function M:m()`
(function_declaration
  name: (method_index_expression method: (identifier) @name)) @definition.method

; `f = function () end`, `local f = function () end`, `M.f = function () end`.
(assignment_statement
  (variable_list
    .
    name: [
      (identifier) @name
      (dot_index_expression field: (identifier) @name)
    ])
  (expression_list
    .
    value: (function_definition))) @definition.function

; `{ f = function () end }`
(field
  name: (identifier) @name
  value: (function_definition)) @definition.function

; Top-level variables (UPPER_CASE ones, two letters or more, are constants), not holding a function
; or `require(...)` (an import).
((chunk
  [
    (variable_declaration
      (assignment_statement
        (variable_list name: (identifier) @name)
        (expression_list
          .
          value: [
            (nil) (false) (true) (number) (string) (table_constructor) (binary_expression)
            (unary_expression) (identifier) (dot_index_expression) (bracket_index_expression)
            (parenthesized_expression) (vararg_expression)
          ]))) @definition.constant
    (assignment_statement
      (variable_list name: (identifier) @name)
      (expression_list
        .
        value: [
          (nil) (false) (true) (number) (string) (table_constructor) (binary_expression)
          (unary_expression) (identifier) (dot_index_expression) (bracket_index_expression)
          (parenthesized_expression) (vararg_expression)
        ])) @definition.constant
  ])
  (#match? @name "^[A-Z][A-Z0-9_]+$"))

((chunk
  [
    (variable_declaration
      (assignment_statement
        (variable_list name: (identifier) @name)
        (expression_list
          .
          value: [
            (nil) (false) (true) (number) (string) (table_constructor) (binary_expression)
            (unary_expression) (identifier) (dot_index_expression) (bracket_index_expression)
            (parenthesized_expression) (vararg_expression)
          ]))) @definition.variable
    (assignment_statement
      (variable_list name: (identifier) @name)
      (expression_list
        .
        value: [
          (nil) (false) (true) (number) (string) (table_constructor) (binary_expression)
          (unary_expression) (identifier) (dot_index_expression) (bracket_index_expression)
          (parenthesized_expression) (vararg_expression)
        ])) @definition.variable
  ])
  (#not-match? @name "^[A-Z][A-Z0-9_]+$"))

((chunk
  [
    (variable_declaration
      (assignment_statement
        (variable_list name: (identifier) @name)
        (expression_list
          .
          value: (function_call name: (_) @_callee)))) @definition.variable
    (assignment_statement
      (variable_list name: (identifier) @name)
      (expression_list
        .
        value: (function_call name: (_) @_callee))) @definition.variable
  ])
  (#not-eq? @_callee "require"))

; `local x` without a value.
(chunk
  (variable_declaration
    (variable_list name: (identifier) @name)) @definition.variable)

; References.
((function_call
  name: [
    (identifier) @name
    (dot_index_expression field: (identifier) @name)
    (method_index_expression method: (identifier) @name)
  ]) @reference.call
  (#not-eq? @name "require"))
