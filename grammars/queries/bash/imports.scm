; Bash imports: `source file` and `. file` (module = the file argument as written, quotes stripped).

((command
  name: (command_name (word) @_source)
  .
  argument: (_) @import.module) @import
  (#any-of? @_source "source" "."))
