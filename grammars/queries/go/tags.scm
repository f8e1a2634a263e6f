; Go definitions and references, in tree-sitter's tags vocabulary.

(function_declaration
  name: (identifier) @name) @definition.function

(method_declaration
  name: (field_identifier) @name) @definition.method

; Types: structs, interfaces, aliases and other named types.
(type_spec
  name: (type_identifier) @name
  type: (struct_type)) @definition.struct

(type_spec
  name: (type_identifier) @name
  type: (interface_type)) @definition.interface

(type_spec
  name: (type_identifier) @name
  type: [
    (array_type) (channel_type) (function_type) (generic_type) (map_type)
    (negated_type) (parenthesized_type) (pointer_type) (qualified_type)
    (slice_type) (type_identifier)
  ]) @definition.type

(type_alias
  name: (type_identifier) @name) @definition.type

; Struct fields and interface methods.
(field_declaration
  name: (field_identifier) @name) @definition.field

(method_elem
  name: (field_identifier) @name) @definition.method

; Package-level constants and variables.
(source_file
  (const_declaration
    (const_spec
      name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration
    (var_spec
      name: (identifier) @name) @definition.variable))

(source_file
  (var_declaration
    (var_spec_list
      (var_spec
        name: (identifier) @name) @definition.variable)))

; References.
(call_expression
  function: [
    (identifier) @name
    (selector_expression field: (field_identifier) @name)
    (generic_type type: (type_identifier) @name)
  ]) @reference.call

; Named types in type positions, the predeclared ones apart.
([
  (_ type: (type_identifier) @name)
  (_ result: (type_identifier) @name)
  (_ element: (type_identifier) @name)
  (map_type key: (type_identifier) @name)
  (map_type value: (type_identifier) @name)
  (channel_type value: (type_identifier) @name)
  (pointer_type (type_identifier) @name)
  (qualified_type name: (type_identifier) @name)
  (type_elem (type_identifier) @name)
  (type_constraint (type_identifier) @name)
] @reference.type
  (#not-any-of? @name
    "any" "bool" "byte" "comparable" "complex64" "complex128" "error" "float32" "float64"
    "int" "int8" "int16" "int32" "int64" "rune" "string" "uint" "uint8" "uint16" "uint32"
    "uint64" "uintptr"))
