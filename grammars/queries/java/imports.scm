; Java imports: `import a.b.C;` (module a.b, name C), `import a.b.*;` (module a.b, wildcard), and their `static` forms (module = the class).

(import_declaration
  (scoped_identifier
    scope: (_) @import.module
    name: (identifier) @import.name) .) @import

(import_declaration
  [(scoped_identifier) (identifier)] @import.module
  (asterisk) @import.wildcard) @import
