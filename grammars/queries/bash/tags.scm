; Bash definitions and references: functions, top-level variables (readonly ones are constants), commands run.

(function_definition
  name: (word) @name) @definition.function

(program
  (variable_assignment
    name: (variable_name) @name) @definition.variable)

((program
  (declaration_command
    (variable_assignment
      name: (variable_name) @name)) @definition.variable)
  (#not-match? @definition.variable "^(readonly|(declare|typeset)\\s+(-\\w+\\s+)*-\\w*r)"))

((program
  (declaration_command
    (variable_assignment
      name: (variable_name) @name)) @definition.constant)
  (#match? @definition.constant "^(readonly|(declare|typeset)\\s+(-\\w+\\s+)*-\\w*r)"))

; `readonly NAME` / `export NAME` without a value.
((program
  (declaration_command
    (variable_name) @name) @definition.variable)
  (#not-match? @definition.variable "^(readonly|(declare|typeset)\\s+(-\\w+\\s+)*-\\w*r)"))

((program
  (declaration_command
    (variable_name) @name) @definition.constant)
  (#match? @definition.constant "^(readonly|(declare|typeset)\\s+(-\\w+\\s+)*-\\w*r)"))

; Every command run is a call (`source`/`.` are imports).
((command
  name: (command_name (word) @name)) @reference.call
  (#not-any-of? @name "source" "."))
