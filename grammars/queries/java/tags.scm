; Java definitions and references, in tree-sitter's tags vocabulary.

[
  (class_declaration name: (identifier) @name)
  (record_declaration name: (identifier) @name)
] @definition.class

[
  (interface_declaration name: (identifier) @name)
  (annotation_type_declaration name: (identifier) @name)
] @definition.interface

(enum_declaration name: (identifier) @name) @definition.enum

(enum_constant name: (identifier) @name) @definition.constant

[
  (method_declaration name: (identifier) @name)
  (annotation_type_element_declaration name: (identifier) @name)
] @definition.method

[
  (constructor_declaration name: (identifier) @name)
  (compact_constructor_declaration name: (identifier) @name)
] @definition.constructor

; Fields; `static final` ones and interface constants are constants.
((field_declaration
  (modifiers)? @_modifiers
  declarator: (variable_declarator name: (identifier) @name)) @definition.field
  (#not-match? @_modifiers "^(?=[\\s\\S]*\\bstatic\\b)(?=[\\s\\S]*\\bfinal\\b)"))

((field_declaration
  (modifiers) @_modifiers
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
  (#match? @_modifiers "^(?=[\\s\\S]*\\bstatic\\b)(?=[\\s\\S]*\\bfinal\\b)"))

(constant_declaration
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant

; References.
(method_invocation
  name: (identifier) @name) @reference.call

(method_reference
  (_)
  .
  (identifier) @name) @reference.call

(object_creation_expression
  type: [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
    (generic_type (scoped_type_identifier (type_identifier) @name .))
  ]) @reference.class

(superclass
  [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
    (generic_type (scoped_type_identifier (type_identifier) @name .))
  ] @reference.class)

(super_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type (type_identifier) @name)
      (scoped_type_identifier (type_identifier) @name .)
      (generic_type (scoped_type_identifier (type_identifier) @name .))
    ] @reference.implementation))

(extends_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type (type_identifier) @name)
      (scoped_type_identifier (type_identifier) @name .)
      (generic_type (scoped_type_identifier (type_identifier) @name .))
    ] @reference.class))

; Named types in type positions, and annotations.
[
  (_ type: (type_identifier) @name)
  (_ type: (generic_type (type_identifier) @name))
  (_ type: (scoped_type_identifier (type_identifier) @name .))
  (_ element: (type_identifier) @name)
  (type_arguments (type_identifier) @name)
  (type_arguments (generic_type (type_identifier) @name))
  (type_bound (type_identifier) @name)
  (catch_type (type_identifier) @name)
  (throws (type_identifier) @name)
  (marker_annotation name: (identifier) @name)
  (annotation name: (identifier) @name)
] @reference.type
