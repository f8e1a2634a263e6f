// Position ↔ offset conversion and the open-document store; see the header.
#include "server/workspace/document_store.hpp"

#include <cstring>

#include "support/utf8.hpp"

namespace cadre::workspace {
namespace {

// Start offsets of line `line`, or nullopt past the end. Lines end at \n, \r\n
// or a lone \r.
std::optional<std::size_t> lineStart(std::string_view text, std::uint32_t line) {
  std::size_t pos = 0;
  for (std::uint32_t l = 0; l < line; ++l) {
    std::size_t nl = text.find_first_of("\r\n", pos);
    if (nl == std::string_view::npos) return std::nullopt;
    pos = nl + ((text[nl] == '\r' && nl + 1 < text.size() && text[nl + 1] == '\n') ? 2 : 1);
  }
  return pos;
}

std::size_t lineEnd(std::string_view text, std::size_t start) {
  std::size_t nl = text.find_first_of("\r\n", start);
  return nl == std::string_view::npos ? text.size() : nl;
}

// Row (counted by '\n') and byte column of `offset`.
void rowColumn(std::string_view text, std::size_t offset, std::uint32_t& row, std::uint32_t& column) {
  row = 0;
  std::size_t lineStart = 0;
  while (lineStart < offset) {
    const void* nl = std::memchr(text.data() + lineStart, '\n', offset - lineStart);
    if (!nl) break;
    ++row;
    lineStart = static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) + 1;
  }
  column = static_cast<std::uint32_t>(offset - lineStart);
}

std::uint32_t unitsOf(char32_t cp, std::size_t bytes, PositionEncoding enc) {
  switch (enc) {
    case PositionEncoding::Utf8:
      return static_cast<std::uint32_t>(bytes);
    case PositionEncoding::Utf16:
      return cp >= 0x10000 ? 2 : 1;
    case PositionEncoding::Utf32:
      return 1;
  }
  return 1;
}

}  // namespace

Expected<std::size_t> toOffset(std::string_view text, TextPosition pos, PositionEncoding enc) {
  auto start = lineStart(text, pos.line);
  if (!start) {
    return makeError(ErrorCode::InvalidParams, "line " + std::to_string(pos.line) + " is past the end of the document");
  }
  const std::size_t end = lineEnd(text, *start);
  std::size_t i = *start;
  std::uint32_t units = 0;
  while (i < end) {
    std::size_t next = i;
    char32_t cp = utf8::decode(text, next);
    std::uint32_t u = unitsOf(cp, next - i, enc);
    if (units + u > pos.character) break;  // inside this character, or exactly at it
    units += u;
    i = next;
  }
  return i;
}

TextPosition toPosition(std::string_view text, std::size_t offset, PositionEncoding enc) {
  if (offset > text.size()) offset = text.size();
  TextPosition pos;
  std::size_t lineBegin = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++pos.line;
      lineBegin = i + 1;
    }
  }
  // An offset between \r and \n counts as the end of the line it ends.
  for (std::size_t i = lineBegin; i < offset;) {
    if (text[i] == '\r') break;
    std::size_t next = i;
    char32_t cp = utf8::decode(text, next);
    pos.character += unitsOf(cp, next - i, enc);
    i = next;
  }
  return pos;
}

Expected<void> applyChanges(std::string& text, const std::vector<TextChange>& changes, PositionEncoding enc,
                            std::vector<ByteEdit>* edits) {
  std::string result = text;
  std::vector<ByteEdit> out;
  for (std::size_t k = 0; k < changes.size(); ++k) {
    const TextChange& change = changes[k];
    if (!change.range) {
      if (edits) {
        ByteEdit e;
        e.oldEndByte = static_cast<std::uint32_t>(result.size());
        rowColumn(result, result.size(), e.oldEndRow, e.oldEndColumn);
        e.newEndByte = static_cast<std::uint32_t>(change.text.size());
        rowColumn(change.text, change.text.size(), e.newEndRow, e.newEndColumn);
        out.push_back(e);
      }
      result = change.text;
      continue;
    }
    auto start = toOffset(result, change.range->start, enc);
    auto end = toOffset(result, change.range->end, enc);
    if (!start || !end) {
      const Error& e = !start ? start.error() : end.error();
      return makeError(e.code, "change " + std::to_string(k) + ": " + e.message);
    }
    if (*end < *start) return makeError(ErrorCode::InvalidParams, "change " + std::to_string(k) + ": range end is before its start");
    if (edits) {
      ByteEdit e;
      e.startByte = static_cast<std::uint32_t>(*start);
      e.oldEndByte = static_cast<std::uint32_t>(*end);
      e.newEndByte = static_cast<std::uint32_t>(*start + change.text.size());
      rowColumn(result, *start, e.startRow, e.startColumn);
      rowColumn(result, *end, e.oldEndRow, e.oldEndColumn);
      std::uint32_t addRows = 0, lastColumn = 0;
      rowColumn(change.text, change.text.size(), addRows, lastColumn);
      e.newEndRow = e.startRow + addRows;
      e.newEndColumn = addRows ? lastColumn : e.startColumn + lastColumn;
      out.push_back(e);
    }
    result.replace(*start, *end - *start, change.text);
  }
  text = std::move(result);
  if (edits) *edits = std::move(out);
  return {};
}

void DocumentStore::setEncoding(PositionEncoding enc) {
  std::lock_guard lock(mu_);
  encoding_ = enc;
}

PositionEncoding DocumentStore::encoding() const {
  std::lock_guard lock(mu_);
  return encoding_;
}

void DocumentStore::open(Document doc) {
  std::lock_guard lock(mu_);
  std::string uri = doc.uri;
  docs_[uri] = std::move(doc);
}

Expected<void> DocumentStore::change(const std::string& uri, std::int64_t version, const std::vector<TextChange>& changes,
                                     std::vector<ByteEdit>* edits) {
  std::lock_guard lock(mu_);
  auto it = docs_.find(uri);
  if (it == docs_.end()) return makeError(ErrorCode::InvalidParams, "document is not open: " + uri);
  if (auto applied = applyChanges(it->second.text, changes, encoding_, edits); !applied) return applied;
  it->second.version = version;
  return {};
}

bool DocumentStore::close(const std::string& uri) {
  std::lock_guard lock(mu_);
  return docs_.erase(uri) > 0;
}

std::optional<Document> DocumentStore::get(const std::string& uri) const {
  std::lock_guard lock(mu_);
  auto it = docs_.find(uri);
  if (it == docs_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> DocumentStore::uris() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [uri, doc] : docs_) out.push_back(uri);
  return out;
}

std::size_t DocumentStore::size() const {
  std::lock_guard lock(mu_);
  return docs_.size();
}

}  // namespace cadre::workspace

namespace cadre::workspace {

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) starts_.push_back(i + 1);
  }
}

std::string_view LineIndex::lineText(std::uint32_t line) const {
  if (line >= starts_.size()) return {};
  const std::size_t start = starts_[line];
  return text_.substr(start, lineEnd(text_, start) - start);
}

TextPosition LineIndex::fromByteColumn(std::uint32_t line, std::uint32_t byteColumn, PositionEncoding enc) const {
  if (enc == PositionEncoding::Utf8) return {line, byteColumn};
  std::string_view l = lineText(line);
  std::uint32_t units = 0;
  for (std::size_t i = 0; i < l.size() && i < byteColumn;) {
    std::size_t next = i;
    const char32_t cp = utf8::decode(l, next);
    units += unitsOf(cp, next - i, enc);
    i = next;
  }
  return {line, units};
}

std::uint32_t LineIndex::toByteColumn(TextPosition pos, PositionEncoding enc) const {
  std::string_view l = lineText(pos.line);
  if (enc == PositionEncoding::Utf8) return std::min<std::uint32_t>(pos.character, static_cast<std::uint32_t>(l.size()));
  std::uint32_t units = 0;
  std::size_t i = 0;
  while (i < l.size()) {
    std::size_t next = i;
    const char32_t cp = utf8::decode(l, next);
    const std::uint32_t u = unitsOf(cp, next - i, enc);
    if (units + u > pos.character) break;
    units += u;
    i = next;
  }
  return static_cast<std::uint32_t>(i);
}

}  // namespace cadre::workspace
