// The edit-format parser and applier on arbitrary model output: never a
// crash or a sanitizer report, and applying the same hunks twice gives the
// same answer (no hidden state, no nondeterminism).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/workspace/edit_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // Before the first blank-blank line ("\n\n\n") is the file the edits apply
  // to; after it, the model's answer.
  const auto cut = input.find("\n\n\n");
  const std::string file = cut == std::string::npos ? std::string() : input.substr(0, cut + 1);
  const std::string answer = cut == std::string::npos ? input : input.substr(cut + 3);
  auto edits = cadre::workspace::parseEdits(answer);
  if (!edits) return 0;
  for (const auto& e : *edits) {
    auto once = cadre::workspace::applyHunks(e.path, file, e.hunks);
    auto twice = cadre::workspace::applyHunks(e.path, file, e.hunks);
    if (once.ok() != twice.ok()) __builtin_trap();
    if (once && *once != *twice) __builtin_trap();
  }
  return 0;
}
