// UTF-8 helpers shared by the protocol (validating what arrives) and the document
// store (counting code units in the client's position encoding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cadre::utf8 {

// Length in bytes of the UTF-8 sequence starting with lead byte `b`, or 0 when
// `b` cannot start a sequence.
std::size_t sequenceLength(unsigned char b);

// Decodes the code point at s[i]; advances i. Malformed bytes decode as U+FFFD
// one byte at a time, so counting never stalls on bad input.
char32_t decode(std::string_view s, std::size_t& i);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool isValid(std::string_view s);

// Replaces every malformed sequence with U+FFFD.
std::string sanitize(std::string_view s);

void append(std::string& out, char32_t cp);

}  // namespace cadre::utf8
