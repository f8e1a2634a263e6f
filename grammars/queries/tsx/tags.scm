; inherits: typescript
; TSX definitions and references: TypeScript's, plus JSX components and JSX-valued constants.

; Module-level names holding JSX (typescript's value lists have no JSX).
(program
  (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [(jsx_element) (jsx_self_closing_element)])) @definition.constant)

(export_statement
  declaration: (lexical_declaration kind: "const"
    (variable_declarator
      name: (identifier) @name
      value: [(jsx_element) (jsx_self_closing_element)])) @definition.constant)

; JSX components (capitalised element names) are calls of the component.
([
  (jsx_opening_element name: [(identifier) @name (member_expression property: (property_identifier) @name)])
  (jsx_self_closing_element name: [(identifier) @name (member_expression property: (property_identifier) @name)])
] @reference.call
  (#match? @name "^[A-Z]"))
