// Newline-delimited JSON (Ollama's streams), incrementally: bytes in as they
// arrive, one complete line out at a time, CRLF tolerated, blank lines
// skipped. Lines are handed over as text; the provider parses them.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::models {

class NdjsonParser {
 public:
  using Sink = std::function<void(std::string_view line)>;
  static constexpr std::size_t kMaxLineBytes = 16u << 20;

  explicit NdjsonParser(Sink sink) : sink_(std::move(sink)) {}

  Expected<void> feed(std::string_view bytes);
  // End of stream: a last line without its newline is still emitted (a
  // server may omit it); returns whether there was one.
  bool finish();

 private:
  void emit(std::string_view line);

  Sink sink_;
  std::string partial_;
};

}  // namespace cadre::models
