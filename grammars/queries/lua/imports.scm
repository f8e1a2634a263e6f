; Lua imports: `require("m")`, `require "m"`, `require [[m]]`; `local x = require(...)` names it x.

((function_call
  name: (identifier) @_require
  arguments: (arguments . (string content: (string_content) @import.module) .)) @import
  (#eq? @_require "require"))

((assignment_statement
  (variable_list . name: (identifier) @import.namespace)
  (expression_list
    .
    value: (function_call
      name: (identifier) @_require
      arguments: (arguments . (string content: (string_content) @import.module) .)) @import))
  (#eq? @_require "require"))
