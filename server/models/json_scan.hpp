// A validating JSON reader that builds nothing: it walks a document and
// hands back only the values the caller asks for. The hot path of a token
// stream is one small JSON object per token; nlohmann's DOM spends most of
// the relay's time allocating maps for fields cadre never reads. Anything
// unusual (escaped keys, deep nesting, invalid UTF-8) makes a reader fail,
// and the caller falls back to the full parser, which decides.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cadre::models {

class JsonScan {
 public:
  explicit JsonScan(std::string_view text) : s_(text) {}

  // Objects: beginObject(), then nextKey(key) until it returns false with
  // ok() still true (the closing brace).
  bool beginObject();
  bool nextKey(std::string_view& key);
  bool beginArray();
  bool nextElement();  // before each element; false at the closing bracket

  bool isNull();  // consumes a null
  bool readString(std::string& out);
  bool readInt(std::int64_t& out);
  bool skipValue();
  // Only whitespace is left.
  bool atEnd();
  bool ok() const { return ok_; }

 private:
  void ws();
  bool fail() { return ok_ = false; }
  bool skipString();
  bool skipNumber();
  bool skipValueAt(int depth);

  std::string_view s_;
  std::size_t i_ = 0;
  bool ok_ = true;
  // Per open object/array: whether the next member needs a comma first.
  std::uint64_t needComma_ = 0;
  int depth_ = 0;
};

}  // namespace cadre::models
