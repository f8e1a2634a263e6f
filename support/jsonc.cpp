// JSONC → JSON by blanking comments and trailing commas in place (so byte
// offsets, and with them error positions, stay those of the original).
#include "support/jsonc.hpp"

#include <string>


namespace cadre {
namespace {

std::string blankComments(std::string_view in) {
  std::string out(in);
  enum { Code, String, Line, Block } state = Code;
  std::size_t lastSignificant = std::string::npos;  // last non-space code byte
  for (std::size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    switch (state) {
      case String:
        if (c == '\\') ++i;
        else if (c == '"') state = Code;
        break;
      case Line:
        if (c == '\n') state = Code;
        else out[i] = ' ';
        break;
      case Block:
        if (c == '*' && i + 1 < out.size() && out[i + 1] == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = Code;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case Code:
        if (c == '"') {
          state = String;
          lastSignificant = i;
        } else if (c == '/' && i + 1 < out.size() && (out[i + 1] == '/' || out[i + 1] == '*')) {
          state = out[i + 1] == '/' ? Line : Block;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if ((c == '}' || c == ']') && lastSignificant != std::string::npos && out[lastSignificant] == ',') {
          out[lastSignificant] = ' ';  // trailing comma
          lastSignificant = i;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
          lastSignificant = i;
        }
        break;
    }
  }
  return out;
}

}  // namespace

bool nestsDeeperThan(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

Expected<nlohmann::json> parseJsonc(std::string_view text) {
  std::string plain = blankComments(text);
  // A deeply nested project file (e.g. in a cloned repo) crashed `cadre serve` at startup; refuse it like the wire does.
  if (nestsDeeperThan(plain, kMaxJsonNesting)) {
    return makeError(ErrorCode::Config, "nests deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  try {
    return nlohmann::json::parse(plain);
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < plain.size(); ++i) {
      if (plain[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    // Keep nlohmann's reason, not its "[json.exception...] parse error at ..." prefix.
    if (auto pos = what.find(": "); pos != std::string::npos) what = what.substr(pos + 2);
    return makeError(ErrorCode::Config, std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  } catch (const nlohmann::json::exception& e) {
    // out_of_range: a number too large for a double.
    return makeError(ErrorCode::Config, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace cadre
