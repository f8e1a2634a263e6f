; Rust imports: `use` (module = the path before the imported names, names = the last segments, `{a, b}` lists included), `mod m;`, `extern crate`.
; `use a::b as c` imports b as c; `use a as b` imports crate/module a as namespace b;
; `use a::*` is a wildcard; `pub use` re-exports. Nested lists (`a::{b::{c}}`) only
; yield their top-level names.

; `use a::b::C;` and `use a;`
(use_declaration
  argument: (scoped_identifier
    path: (_) @import.module
    name: (identifier) @import.name)) @import

(use_declaration
  argument: (identifier) @import.module) @import

; `use a::b::{self, C, D as E, f::g};`
(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      [
        (identifier) @import.name
        (self) @import.name
        (scoped_identifier name: (identifier) @import.name)
        (use_as_clause
          path: [
            (identifier) @import.name
            (scoped_identifier name: (identifier) @import.name)
          ]
          alias: (identifier) @import.alias)
      ]))) @import

; Names of a list inside the list (`use a::{b::{C, D as E}}`): bound by the
; statement like the others; their module is the outer path, so checks that
; look names up in the module skip them (they are nested, see resolve.cpp).
(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      (scoped_use_list
        list: (use_list
          [
            (identifier) @import.name
            (use_as_clause
              path: (identifier) @import.name
              alias: (identifier) @import.alias)
          ]))))) @import

; `use a::b::C as D;`, `use a as b;`
(use_declaration
  argument: (use_as_clause
    path: (scoped_identifier
      path: (_) @import.module
      name: (identifier) @import.name)
    alias: (identifier) @import.alias)) @import

(use_declaration
  argument: (use_as_clause
    path: (identifier) @import.module
    alias: (identifier) @import.namespace)) @import

; `use a::b::*;`
(use_declaration
  argument: (use_wildcard
    (_) @import.module) @import.wildcard) @import

; `pub use ...` re-exports (the module captured as above, to join the same import).
(use_declaration
  (visibility_modifier)
  argument: [
    (scoped_identifier path: (_) @import.module)
    (identifier) @import.module
    (scoped_use_list path: (_) @import.module)
    (use_as_clause path: (scoped_identifier path: (_) @import.module))
    (use_as_clause path: (identifier) @import.module)
    (use_wildcard (_) @import.module)
  ]) @import @import.reexport

; `mod m;` (a file module; `mod m { ... }` defines it inline).
(mod_item
  name: (identifier) @import.module
  !body) @import

; `extern crate a;`, `extern crate a as b;`
(extern_crate_declaration
  name: (identifier) @import.module
  alias: (identifier)? @import.namespace) @import
