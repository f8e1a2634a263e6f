; inherits: c
; C++ definitions and references: C's, plus namespaces, classes, methods, constructors, aliases, templates.

(namespace_definition
  name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.namespace

[
  (class_specifier name: (type_identifier) @name body: (_))
  (class_specifier name: (template_type name: (type_identifier) @name) body: (_))
] @definition.class

(struct_specifier
  name: (template_type name: (type_identifier) @name)
  body: (_)) @definition.struct

(alias_declaration name: (type_identifier) @name) @definition.type

(concept_definition name: (identifier) @name) @definition.type

(function_definition
  declarator: (reference_declarator (function_declarator declarator: (identifier) @name))) @definition.function

; Methods defined in a class body; a constructor is named like the class (an
; identifier where methods have field identifiers).
(field_declaration_list
  (function_definition
    declarator: [
      (function_declarator declarator: [(field_identifier) (operator_name) (destructor_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (operator_name) (destructor_name)] @name))
      (reference_declarator (function_declarator declarator: [(field_identifier) (operator_name) (destructor_name)] @name))
    ]) @definition.method)

(field_declaration_list
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.constructor)

; Methods, constructors and destructors declared in a class body.
(field_declaration
  declarator: [
    (function_declarator declarator: [(field_identifier) (operator_name)] @name)
    (pointer_declarator declarator: (function_declarator declarator: (field_identifier) @name))
    (reference_declarator (function_declarator declarator: (field_identifier) @name))
  ]
  ";"? @body) @definition.method

(field_declaration_list
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)
    ";"? @body) @definition.constructor)

(field_declaration_list
  (declaration
    declarator: (function_declarator declarator: (destructor_name) @name)
    ";"? @body) @definition.method)

; Member templates: their names are plain identifiers; the class's own name
; is a constructor.
(field_declaration_list
  (template_declaration
    [
      (declaration declarator: [
          (function_declarator declarator: (identifier) @name)
          (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
          (reference_declarator (function_declarator declarator: (identifier) @name))
        ])
      (function_definition declarator: [
          (function_declarator declarator: (identifier) @name)
          (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
          (reference_declarator (function_declarator declarator: (identifier) @name))
        ])
    ] @definition.method))

((_
  name: (type_identifier) @_class
  body: (field_declaration_list
    (template_declaration
      [
        (declaration declarator: (function_declarator declarator: (identifier) @name))
        (function_definition declarator: (function_declarator declarator: (identifier) @name))
      ] @definition.constructor)))
  (#eq? @_class @name))

(field_declaration
  declarator: (reference_declarator (field_identifier) @name)) @definition.field

; Methods defined outside their class: `R C::m() {}`; `C::C() {}` is a constructor.
(function_definition
  declarator: [
    (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name))
    (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
    (reference_declarator (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
    (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
  ]) @definition.method

((function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      scope: [(namespace_identifier) @_class (template_type name: (type_identifier) @_class)]
      name: (identifier) @name))) @definition.constructor
  (#eq? @_class @name))

; Prototypes that C's patterns do not cover: in templates, and returning
; references; reference variables.
(template_declaration
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    ";"? @body) @definition.function)

(translation_unit
  (declaration
    declarator: (reference_declarator (function_declarator declarator: (identifier) @name))
    ";"? @body) @definition.function)

(declaration_list
  (declaration
    declarator: (reference_declarator (function_declarator declarator: (identifier) @name))
    ";"? @body) @definition.function)

(declaration
  declarator: [
    (reference_declarator (identifier) @name)
    (init_declarator declarator: (reference_declarator (identifier) @name))
  ]) @definition.variable

((declaration
  (type_qualifier) @_const
  declarator: (init_declarator declarator: (reference_declarator (identifier) @name))) @definition.constant
  (#any-of? @_const "const" "constexpr"))

; References.
(call_expression
  function: [
    (qualified_identifier name: (identifier) @name)
    (template_function name: (identifier) @name)
    (qualified_identifier name: (template_function name: (identifier) @name))
    (field_expression field: (template_method name: (field_identifier) @name))
  ]) @reference.call

(base_class_clause
  [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
    (qualified_identifier name: (type_identifier) @name)
    (qualified_identifier name: (template_type name: (type_identifier) @name))
  ] @reference.class)

(new_expression
  type: [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
    (qualified_identifier name: (type_identifier) @name)
    (qualified_identifier name: (template_type name: (type_identifier) @name))
  ]) @reference.class

(template_type name: (type_identifier) @name) @reference.type

(qualified_identifier name: (type_identifier) @name) @reference.type
