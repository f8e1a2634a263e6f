; inherits: javascript
; TypeScript imports and exports: JavaScript's, plus `import x = require("m")`, type declarations and `export =`.

; `import fs = require("fs")`
(import_statement
  (import_require_clause
    (identifier) @import.namespace
    source: (string) @import.module)) @import

; Exported type-level declarations, namespaces and ambient declarations.
((program
  (export_statement
    declaration: [
      (abstract_class_declaration name: (type_identifier) @export.name)
      (interface_declaration name: (type_identifier) @export.name)
      (type_alias_declaration name: (type_identifier) @export.name)
      (enum_declaration name: (identifier) @export.name)
      (internal_module name: (identifier) @export.name)
      (module name: (identifier) @export.name)
      (function_signature name: (identifier) @export.name)
      (import_alias . (identifier) @export.name)
      (ambient_declaration
        [
          (function_signature name: (identifier) @export.name)
          (class_declaration name: (type_identifier) @export.name)
          (abstract_class_declaration name: (type_identifier) @export.name)
          (interface_declaration name: (type_identifier) @export.name)
          (type_alias_declaration name: (type_identifier) @export.name)
          (enum_declaration name: (identifier) @export.name)
          (internal_module name: (identifier) @export.name)
          (module name: (identifier) @export.name)
          (lexical_declaration (variable_declarator name: (identifier) @export.name))
          (variable_declaration (variable_declarator name: (identifier) @export.name))
        ])
    ]) @_export)
  (#not-match? @_export "^export\\s+default\\b"))

; `export = x` is the CommonJS-style default export; its "=" is an export
; name too, not an identifier: the module's names are x's members, which
; cadre does not list.
(program
  (export_statement
    "=" @export.name) @export.default)
