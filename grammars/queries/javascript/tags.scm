; JavaScript (and JSX) definitions and references, in tree-sitter's tags vocabulary.

; Functions and classes, at any depth.
[
  (function_declaration name: (identifier) @name)
  (generator_function_declaration name: (identifier) @name)
] @definition.function

(class_declaration name: (identifier) @name) @definition.class

; Class members: methods (the constructor apart), fields, and fields holding
; functions, which are methods.
(class_body
  (method_definition
    name: [(property_identifier) (private_property_identifier)] @name) @definition.method
  (#not-eq? @name "constructor"))

(class_body
  (method_definition
    name: (property_identifier) @name) @definition.constructor
  (#eq? @name "constructor"))

(field_definition
  property: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method

(field_definition
  property: [(property_identifier) (private_property_identifier)] @name
  !value) @definition.field

(field_definition
  property: [(property_identifier) (private_property_identifier)] @name
  value: [
    (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
    (binary_expression) (call_expression) (class) (false) (identifier) (jsx_element)
    (jsx_self_closing_element) (member_expression) (meta_property) (new_expression) (null)
    (number) (object) (parenthesized_expression) (regex) (string) (subscript_expression)
    (super) (template_string) (ternary_expression) (this) (true) (unary_expression)
    (undefined) (update_expression) (yield_expression)
  ]) @definition.field

; Methods of object literals: `{ m() {}, k: function () {}, a: () => {} }`.
(object
  (method_definition
    name: [(property_identifier) (private_property_identifier)] @name) @definition.method)

(object
  (pair
    key: (property_identifier) @name
    value: [(arrow_function) (function_expression) (generator_function)]) @definition.method)

; `const f = () => {}`, `let g = function () {}` at any depth: functions.
[
  (lexical_declaration
    (variable_declarator
      name: (identifier) @name
      value: [(arrow_function) (function_expression) (generator_function)]))
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [(arrow_function) (function_expression) (generator_function)]))
] @definition.function

; `const C = class {}`: a class.
[
  (lexical_declaration (variable_declarator name: (identifier) @name value: (class)))
  (variable_declaration (variable_declarator name: (identifier) @name value: (class)))
] @definition.class

; `exports.f = function () {}`, `C.prototype.f = () => {}` at module level.
(program
  (expression_statement
    (assignment_expression
      left: (member_expression property: (property_identifier) @name)
      right: [(arrow_function) (function_expression) (generator_function)]) @definition.function))

; Module-level names: `const` ones are constants, `let`/`var` variables,
; whatever their value but a function, a class or `require(...)` (an import).
; Each shape is spelled out: a captured alternation inside another one missed
; some of its branches.
(program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.constant)

((program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.constant)
  (#not-eq? @_callee "require"))

(export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.constant)

((export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.constant)
  (#not-eq? @_callee "require"))

(program
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((program
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(program
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.variable)

(export_statement
  declaration: (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((export_statement
  declaration: (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(export_statement
  declaration: (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.variable)

(program
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((program
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(program
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.variable)

(export_statement
  declaration: (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (assignment_expression) (augmented_assignment_expression) (await_expression)
        (binary_expression) (false) (identifier) (jsx_element) (jsx_self_closing_element)
        (member_expression) (meta_property) (new_expression) (null) (number) (object)
        (parenthesized_expression) (regex) (string) (subscript_expression) (template_string)
        (ternary_expression) (this) (true) (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((export_statement
  declaration: (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(export_statement
  declaration: (variable_declaration
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.variable)

; References.
(call_expression
  function: (identifier) @name
  (#not-any-of? @name "require")) @reference.call

(call_expression
  function: (member_expression
    property: [(property_identifier) (private_property_identifier)] @name)) @reference.call

(new_expression
  constructor: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ]) @reference.class

(class_heritage
  [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ] @reference.class)

(decorator
  [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ] @reference.call)

; JSX components (capitalised element names) are calls of the component.
([
  (jsx_opening_element name: [(identifier) @name (member_expression property: (property_identifier) @name)])
  (jsx_self_closing_element name: [(identifier) @name (member_expression property: (property_identifier) @name)])
] @reference.call
  (#match? @name "^[A-Z]"))
