; TypeScript definitions and references, in tree-sitter's tags vocabulary (tsx inherits it).

; Functions, classes, interfaces, type aliases, enums, namespaces, at any depth.
[
  (function_declaration name: (identifier) @name)
  (generator_function_declaration name: (identifier) @name)
  (function_signature name: (identifier) @name)
] @definition.function

[
  (class_declaration name: (type_identifier) @name)
  (abstract_class_declaration name: (type_identifier) @name)
] @definition.class

(interface_declaration name: (type_identifier) @name) @definition.interface

(type_alias_declaration name: (type_identifier) @name) @definition.type

(enum_declaration name: (identifier) @name) @definition.enum

(internal_module
  name: [(identifier) (nested_identifier)] @name) @definition.namespace

; `declare module "m" { ... }`
(module
  name: (string (string_fragment) @name)) @definition.module

; Class members: methods (the constructor apart), signatures, fields, and
; fields holding functions, which are methods.
(class_body
  [
    (method_definition name: [(property_identifier) (private_property_identifier)] @name)
    (method_signature name: [(property_identifier) (private_property_identifier)] @name)
    (abstract_method_signature name: [(property_identifier) (private_property_identifier)] @name)
  ] @definition.method
  (#not-eq? @name "constructor"))

(class_body
  [
    (method_definition name: (property_identifier) @name)
    (method_signature name: (property_identifier) @name)
  ] @definition.constructor
  (#eq? @name "constructor"))

(public_field_definition
  name: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method

(public_field_definition
  name: [(property_identifier) (private_property_identifier)] @name
  !value) @definition.field

(public_field_definition
  name: [(property_identifier) (private_property_identifier)] @name
  value: [
    (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
    (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
    (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
    (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
    (subscript_expression) (template_string) (ternary_expression) (this) (true)
    (unary_expression) (undefined) (update_expression)
    (call_expression) (class)
  ]) @definition.field

; Interface members.
(interface_body
  (method_signature name: (property_identifier) @name) @definition.method)

(interface_body
  (property_signature name: (property_identifier) @name) @definition.property)

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

; Module- and namespace-level names: `const` ones are constants, `let`/`var`
; variables, whatever their value but a function, a class or `require(...)`
; (an import); `declare const` ones without a value too. Each shape is spelled
; out: a captured alternation inside another one missed some of its branches.
(program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
      ])) @definition.constant)

((program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.constant)
  (#not-eq? @_callee "require"))

(program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.constant)

(export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
      ])) @definition.constant)

((export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.constant)
  (#not-eq? @_callee "require"))

(export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.constant)

(ambient_declaration
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
      ])) @definition.constant)

((ambient_declaration
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.constant)
  (#not-eq? @_callee "require"))

(ambient_declaration
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.constant)

(program
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
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
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
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

(ambient_declaration
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((ambient_declaration
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(ambient_declaration
  (lexical_declaration kind: "let"
    (variable_declarator
      name: (identifier) @name
      !value)) @definition.variable)

(program
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
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
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
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

(ambient_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [
        (array) (as_expression) (assignment_expression) (augmented_assignment_expression)
        (await_expression) (binary_expression) (false) (identifier) (instantiation_expression)
        (member_expression) (meta_property) (new_expression) (non_null_expression) (null)
        (number) (object) (parenthesized_expression) (regex) (satisfies_expression) (string)
        (subscript_expression) (template_string) (ternary_expression) (this) (true)
        (unary_expression) (undefined) (update_expression)
      ])) @definition.variable)

((ambient_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: (call_expression function: (_) @_callee))) @definition.variable)
  (#not-eq? @_callee "require"))

(ambient_declaration
  (variable_declaration
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

(extends_clause
  value: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ] @reference.class)

(implements_clause
  [
    (type_identifier) @name
    (generic_type name: (type_identifier) @name)
    (generic_type name: (nested_type_identifier name: (type_identifier) @name))
    (nested_type_identifier name: (type_identifier) @name)
  ] @reference.implementation)

(extends_type_clause
  type: [
    (type_identifier) @name
    (generic_type name: (type_identifier) @name)
    (generic_type name: (nested_type_identifier name: (type_identifier) @name))
    (nested_type_identifier name: (type_identifier) @name)
  ] @reference.class)

(decorator
  [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ] @reference.call)

; Types named in annotations, type arguments and type expressions (not the
; names being defined, nor extends/implements clauses, handled above).
[
  (type_annotation (type_identifier) @name)
  (type_arguments (type_identifier) @name)
  (generic_type name: (type_identifier) @name)
  (nested_type_identifier name: (type_identifier) @name)
  (array_type (type_identifier) @name)
  (union_type (type_identifier) @name)
  (intersection_type (type_identifier) @name)
  (tuple_type (type_identifier) @name)
  (readonly_type (type_identifier) @name)
  (parenthesized_type (type_identifier) @name)
  (optional_type (type_identifier) @name)
  (rest_type (type_identifier) @name)
  (lookup_type (type_identifier) @name)
  (index_type_query (type_identifier) @name)
  (constraint (type_identifier) @name)
  (default_type (type_identifier) @name)
  (conditional_type (type_identifier) @name)
  (function_type return_type: (type_identifier) @name)
  (type_predicate type: (type_identifier) @name)
  (type_alias_declaration value: (type_identifier) @name)
  (as_expression (type_identifier) @name)
  (satisfies_expression (type_identifier) @name)
] @reference.type
