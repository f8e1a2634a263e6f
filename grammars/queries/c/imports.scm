; C includes: `#include "x.h"` and `#include <x.h>` (module = the path as written, without quotes or brackets).

(preproc_include
  path: [(string_literal) (system_lib_string)] @import.module) @import
