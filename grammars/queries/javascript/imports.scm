; JavaScript imports (ES `import`, `export ... from`, CommonJS `require`, `import()`) and the names a module exports.

; `import "x"` and every other import statement: the module.
(import_statement
  source: (string) @import.module) @import

; `import d from "x"`
(import_statement
  (import_clause (identifier) @import.default)
  source: (string) @import.module) @import

; `import * as ns from "x"`
(import_statement
  (import_clause (namespace_import (identifier) @import.namespace))
  source: (string) @import.module) @import

; `import { a, b as c } from "x"`
(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: (_) @import.name
        alias: (_)? @import.alias)))
  source: (string) @import.module) @import

; `export { a, b as c } from "x"`, `export * from "x"`, `export * as ns from "x"`
(export_statement
  source: (string) @import.module) @import @import.reexport

(export_statement
  (export_clause
    (export_specifier
      name: (_) @import.name
      alias: (_)? @import.alias))
  source: (string) @import.module) @import @import.reexport

(export_statement
  "*" @import.wildcard
  source: (string) @import.module) @import @import.reexport

(export_statement
  (namespace_export (_) @import.namespace @export.name)
  source: (string) @import.module) @import @import.reexport

; `require("x")` and `import("x")`, with the local names when assigned:
; `const x = require("x")` (a namespace), `const { a, b: c } = require("x")`.
((call_expression
  function: (identifier) @_require
  arguments: (arguments . (string) @import.module .)) @import
  (#eq? @_require "require"))

(call_expression
  function: (import)
  arguments: (arguments . (string) @import.module)) @import

((variable_declarator
  name: (identifier) @import.namespace
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string) @import.module .)) @import)
  (#eq? @_require "require"))

((variable_declarator
  name: (object_pattern
    [
      (shorthand_property_identifier_pattern) @import.name
      (pair_pattern
        key: (property_identifier) @import.name
        value: (identifier) @import.alias)
    ])
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string) @import.module .)) @import)
  (#eq? @_require "require"))

; Exports of the module itself (top level): `export function f`, `export class C`,
; `export const a, b`, `export { a, b as c }` (the exported name: c),
; `export default ...` (`export default function f` exports "default", not f).
;
; An @export.name that is not an identifier tells the consistency check that
; the module's export list cannot be read off its text (CommonJS objects,
; destructuring exports); it then says nothing about names imported from it.
((program
  (export_statement
    declaration: [
      (function_declaration name: (identifier) @export.name)
      (generator_function_declaration name: (identifier) @export.name)
      (class_declaration name: (_) @export.name)
      (lexical_declaration (variable_declarator name: (identifier) @export.name))
      (variable_declaration (variable_declarator name: (identifier) @export.name))
    ]) @_export)
  (#not-match? @_export "^export\\s+default\\b"))

; `export const { a, b: c } = o`, `export const [d] = a`: the pattern itself.
(program
  (export_statement
    declaration: [
      (lexical_declaration (variable_declarator name: [(object_pattern) (array_pattern)] @export.name))
      (variable_declaration (variable_declarator name: [(object_pattern) (array_pattern)] @export.name))
    ]))

(program
  (export_statement
    (export_clause
      (export_specifier
        name: (_) @export.name
        !alias))))

(program
  (export_statement
    (export_clause
      (export_specifier
        alias: (_) @export.name))))

(program
  (export_statement
    "default") @export.default)

; CommonJS: `module.exports = ...` is the default export;
; `exports.f = ...` and `module.exports.f = ...` export f. The assigned
; expression is an export name too ("module.exports", "exports.f"): the
; module's exports are an object built at run time.
(assignment_expression
  left: (member_expression
    object: (identifier) @_module
    property: (property_identifier) @_exports) @export.name
  (#eq? @_module "module")
  (#eq? @_exports "exports")) @export.default

(assignment_expression
  left: (member_expression
    object: [
      (identifier) @_exports
      (member_expression
        object: (identifier) @_module
        property: (property_identifier) @_exports)
    ]
    property: (property_identifier) @export.name) @export.name
  (#eq? @_exports "exports")
  (#eq? @_module "module"))
