// Cuts a fuzz input into the pieces a network would deliver. Stream parsers
// must give the same result whatever the cuts, so each stream fuzzer feeds the
// same bytes whole and cut, and compares. The cut lengths come from the
// input's first byte, so a failing input reproduces exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cadre::fuzz {

struct CutInput {
  std::string_view body;
  std::vector<std::string_view> pieces;  // body, cut
};

inline CutInput cutInput(const std::uint8_t* data, std::size_t size) {
  CutInput out;
  if (size == 0) return out;
  std::uint32_t state = data[0] * 2654435761u + 1;  // a tiny LCG seeded by the first byte
  out.body = std::string_view(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t at = 0;
  while (at < out.body.size()) {
    state = state * 1664525u + 1013904223u;
    // Mostly tiny pieces (1–8 bytes: cuts inside a CRLF, a UTF-8 character,
    // a field name), sometimes a larger one.
    std::size_t len = (state >> 24) & 7 ? 1 + ((state >> 16) & 7) : 1 + ((state >> 8) & 255);
    if (len > out.body.size() - at) len = out.body.size() - at;
    out.pieces.push_back(out.body.substr(at, len));
    at += len;
  }
  return out;
}

}  // namespace cadre::fuzz
