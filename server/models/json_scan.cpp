// The allocation-free JSON walker; see json_scan.hpp.
#include "server/models/json_scan.hpp"

#include "support/utf8.hpp"

namespace cadre::models {
namespace {

constexpr int kMaxDepth = 60;  // the comma bits of needComma_

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void JsonScan::ws() {
  while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
}

bool JsonScan::beginObject() {
  ws();
  if (!ok_ || i_ >= s_.size() || s_[i_] != '{' || depth_ >= kMaxDepth) return fail();
  ++i_;
  ++depth_;
  needComma_ &= ~(std::uint64_t{1} << depth_);
  return true;
}

bool JsonScan::beginArray() {
  ws();
  if (!ok_ || i_ >= s_.size() || s_[i_] != '[' || depth_ >= kMaxDepth) return fail();
  ++i_;
  ++depth_;
  needComma_ &= ~(std::uint64_t{1} << depth_);
  return true;
}

bool JsonScan::nextKey(std::string_view& key) {
  if (!ok_) return false;
  ws();
  if (i_ >= s_.size()) return fail();
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  if (s_[i_] == '}') {
    ++i_;
    --depth_;
    return false;
  }
  if (needComma_ & bit) {
    if (s_[i_] != ',') return fail();
    ++i_;
    ws();
  }
  needComma_ |= bit;
  if (i_ >= s_.size() || s_[i_] != '"') return fail();
  const std::size_t start = ++i_;
  while (i_ < s_.size() && s_[i_] != '"') {
    // An escaped or control character in a key: let the full parser decide.
    if (s_[i_] == '\\' || static_cast<unsigned char>(s_[i_]) < 0x20) return fail();
    ++i_;
  }
  if (i_ >= s_.size()) return fail();
  key = s_.substr(start, i_ - start);
  ++i_;
  ws();
  if (i_ >= s_.size() || s_[i_] != ':') return fail();
  ++i_;
  return true;
}

bool JsonScan::nextElement() {
  if (!ok_) return false;
  ws();
  if (i_ >= s_.size()) return fail();
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  if (s_[i_] == ']') {
    ++i_;
    --depth_;
    return false;
  }
  if (needComma_ & bit) {
    if (s_[i_] != ',') return fail();
    ++i_;
  }
  needComma_ |= bit;
  return true;
}

bool JsonScan::isNull() {
  ws();
  if (ok_ && s_.substr(i_, 4) == "null") {
    i_ += 4;
    return true;
  }
  return false;
}

bool JsonScan::readString(std::string& out) {
  ws();
  out.clear();
  if (!ok_ || i_ >= s_.size() || s_[i_] != '"') return fail();
  ++i_;
  bool ascii = true;
  while (true) {
    std::size_t run = i_;
    while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20) return fail();
      if (c >= 0x80) ascii = false;
      ++i_;
    }
    out.append(s_.substr(run, i_ - run));
    if (i_ >= s_.size()) return fail();
    if (s_[i_] == '"') {
      ++i_;
      break;
    }
    ++i_;  // the backslash
    if (i_ >= s_.size()) return fail();
    const char e = s_[i_++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto hex4 = [&](std::uint32_t& v) {
          if (i_ + 4 > s_.size()) return false;
          v = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = hexValue(s_[i_ + static_cast<std::size_t>(k)]);
            if (h < 0) return false;
            v = v * 16 + static_cast<std::uint32_t>(h);
          }
          i_ += 4;
          return true;
        };
        std::uint32_t cp;
        if (!hex4(cp)) return fail();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t low;
          if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail();
          i_ += 2;
          if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return fail();
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail();  // a lone low surrogate
        }
        utf8::append(out, static_cast<char32_t>(cp));
        break;
      }
      default: return fail();
    }
  }
  if (!ascii && !utf8::isValid(out)) return fail();
  return true;
}

bool JsonScan::readInt(std::int64_t& out) {
  ws();
  if (!ok_) return false;
  const std::size_t start = i_;
  if (!skipNumber()) return false;
  std::string_view text = s_.substr(start, i_ - start);
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) return fail();  // a fraction, exponent or overflow
    v = v * 10 + (c - '0');
  }
  out = negative ? -v : v;
  return true;
}

bool JsonScan::skipString() {
  std::string scratch;
  return readString(scratch);
}

bool JsonScan::skipNumber() {
  const std::size_t start = i_;
  if (i_ < s_.size() && s_[i_] == '-') ++i_;
  if (i_ >= s_.size()) return fail();
  if (s_[i_] == '0') {
    ++i_;
  } else if (s_[i_] >= '1' && s_[i_] <= '9') {
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
  } else {
    return fail();
  }
  if (i_ < s_.size() && s_[i_] == '.') {
    ++i_;
    const std::size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == digits) return fail();
  }
  if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    ++i_;
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
    const std::size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == digits) return fail();
  }
  return i_ > start;
}

bool JsonScan::skipValue() { return skipValueAt(depth_); }

bool JsonScan::skipValueAt(int depth) {
  ws();
  if (!ok_ || i_ >= s_.size()) return fail();
  const char c = s_[i_];
  if (c == '"') return skipString();
  if (c == '{') {
    if (!beginObject()) return false;
    std::string_view key;
    while (nextKey(key)) {
      if (!skipValueAt(depth + 1)) return false;
    }
    return ok_;
  }
  if (c == '[') {
    if (!beginArray()) return false;
    while (nextElement()) {
      if (!skipValueAt(depth + 1)) return false;
    }
    return ok_;
  }
  for (std::string_view word : {"true", "false", "null"}) {
    if (s_.substr(i_, word.size()) == word) {
      i_ += word.size();
      return true;
    }
  }
  return skipNumber();
}

bool JsonScan::atEnd() {
  ws();
  return ok_ && i_ == s_.size() && depth_ == 0;
}

}  // namespace cadre::models
