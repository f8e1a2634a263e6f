// Extracting a function from a range, deterministically, in Python and
// JavaScript/TypeScript. The range is whole statements of one block, or one
// expression. Variables of the enclosing function that the range reads
// before writing become parameters; variables it writes that are read after
// it become return values (a tuple in Python, an object in JS/TS). The new
// function goes at module level, right above the top-level definition that
// holds the range.
//
// Refused, with the reason: a `return`, `yield`, `global`/`nonlocal`, or a
// `break`/`continue` whose loop is outside the range (control would have to
// leave the new function); `this` in JS/TS (the function would need to be a
// method). Limits: names a nested function or comprehension binds are taken
// for the enclosing function's; a variable the range writes that a loop
// around it reads on its next turn is not returned; TypeScript parameters get
// the type written on the variable or parameter they come from, else none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/expected.hpp"

namespace cadre::analysis {

struct ExtractRequest {
  std::string path;  // decides the language
  std::string text;
  std::uint32_t start = 0;  // byte range of the selection
  std::uint32_t end = 0;
  std::string name;  // of the new function
};

struct ExtractResult {
  std::string text;  // the whole file, rewritten
  std::vector<std::string> parameters;
  std::vector<std::string> returns;
  bool expression = false;  // an expression was extracted (not statements)
};

Expected<ExtractResult> extractFunction(const ExtractRequest& request);

}  // namespace cadre::analysis
