; Go imports: single and grouped import specs; `alias "p"` names the package, `. "p"` imports all of it, `_ "p"` only runs it.

(import_declaration
  [
    (import_spec path: (_) @import.module)
    (import_spec_list (import_spec path: (_) @import.module))
  ]) @import

(import_declaration
  [
    (import_spec
      name: (package_identifier) @import.namespace
      path: (_) @import.module)
    (import_spec_list
      (import_spec
        name: (package_identifier) @import.namespace
        path: (_) @import.module))
  ]) @import

(import_declaration
  [
    (import_spec
      name: (dot) @import.wildcard
      path: (_) @import.module)
    (import_spec_list
      (import_spec
        name: (dot) @import.wildcard
        path: (_) @import.module))
  ]) @import
