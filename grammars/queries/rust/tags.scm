; Rust definitions and references, in tree-sitter's tags vocabulary.

(function_item name: (identifier) @name) @definition.function

; Functions in impls and traits are methods; trait methods may have no body.
(impl_item
  body: (declaration_list
    (function_item name: (identifier) @name) @definition.method))

(trait_item
  body: (declaration_list
    [
      (function_item name: (identifier) @name)
      (function_signature_item name: (identifier) @name)
    ] @definition.method))

; `extern { fn f(); }`
(foreign_mod_item
  body: (declaration_list
    (function_signature_item name: (identifier) @name) @definition.function))

(struct_item name: (type_identifier) @name) @definition.struct

(union_item name: (type_identifier) @name) @definition.union

(enum_item name: (type_identifier) @name) @definition.enum

(enum_variant name: (identifier) @name) @definition.constant

(field_declaration name: (field_identifier) @name) @definition.field

(trait_item name: (type_identifier) @name) @definition.trait

; An impl is named after the type it implements for.
(impl_item
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
  ]) @definition.implementation

[
  (type_item name: (type_identifier) @name)
  (associated_type name: (type_identifier) @name)
] @definition.type

(mod_item name: (identifier) @name) @definition.module

(const_item name: (identifier) @name) @definition.constant

(static_item name: (identifier) @name) @definition.variable

(macro_definition name: (identifier) @name) @definition.macro

; References.
(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (scoped_identifier name: (identifier) @name)
    (generic_function function: (identifier) @name)
    (generic_function function: (field_expression field: (field_identifier) @name))
    (generic_function function: (scoped_identifier name: (identifier) @name))
  ]) @reference.call

(macro_invocation
  macro: [
    (identifier) @name
    (scoped_identifier name: (identifier) @name)
  ]) @reference.macro

(impl_item
  trait: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
  ]) @reference.implementation

; Named types in type positions (`Self` apart).
([
  (_ type: (type_identifier) @name)
  (_ return_type: (type_identifier) @name)
  (_ element: (type_identifier) @name)
  (dynamic_type trait: (type_identifier) @name)
  (abstract_type trait: (type_identifier) @name)
  (type_arguments (type_identifier) @name)
  (tuple_type (type_identifier) @name)
  (trait_bounds (type_identifier) @name)
  (scoped_type_identifier name: (type_identifier) @name)
  (struct_expression name: (type_identifier) @name)
] @reference.type
  (#not-eq? @name "Self"))
