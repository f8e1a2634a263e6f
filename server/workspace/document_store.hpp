// Open documents as the editor sees them: text, version, language. Positions
// arrive as (line, character) counted in the client's position encoding, so
// conversion to byte offsets lives here and is exact for multi-byte text,
// surrogate pairs and every line terminator (\n, \r\n, \r). No LSP types.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace {

enum class PositionEncoding { Utf8, Utf16, Utf32 };

struct TextPosition {
  std::uint32_t line = 0;
  std::uint32_t character = 0;  // in code units of the encoding
};

struct TextRange {
  TextPosition start;
  TextPosition end;
};

struct TextChange {
  std::optional<TextRange> range;  // absent: the whole text is replaced
  std::string text;
};

// One applied change in bytes, with (row, byte column) points where rows are
// counted by '\n' — what incremental parsers (tree-sitter) need to reuse the
// previous syntax tree.
struct ByteEdit {
  std::uint32_t startByte = 0, oldEndByte = 0, newEndByte = 0;
  std::uint32_t startRow = 0, startColumn = 0;
  std::uint32_t oldEndRow = 0, oldEndColumn = 0;
  std::uint32_t newEndRow = 0, newEndColumn = 0;
};

struct Document {
  std::string uri;
  std::string languageId;
  std::int64_t version = 0;
  std::string text;
};

// Converts a position to a byte offset in `text`. A character past the end of
// its line clamps to the line end (the LSP rule); a position inside a
// multi-unit character lands on that character's start. A line past the last
// one is an error.
Expected<std::size_t> toOffset(std::string_view text, TextPosition pos, PositionEncoding enc);
TextPosition toPosition(std::string_view text, std::size_t offset, PositionEncoding enc);

// Applies `changes` in order (later ranges refer to the text after earlier
// changes, as LSP specifies). All or nothing: on error `text` is unchanged.
// `edits`, when given, receives one ByteEdit per change, in order.
Expected<void> applyChanges(std::string& text, const std::vector<TextChange>& changes, PositionEncoding enc,
                            std::vector<ByteEdit>* edits = nullptr);

// Thread-safe: handlers on the main loop write, background work reads copies.
class DocumentStore {
 public:
  explicit DocumentStore(PositionEncoding enc = PositionEncoding::Utf16) : encoding_(enc) {}

  void setEncoding(PositionEncoding enc);
  PositionEncoding encoding() const;

  void open(Document doc);
  // Fails (and keeps the old text) when the document is not open or a range
  // does not fit the text the server has.
  Expected<void> change(const std::string& uri, std::int64_t version, const std::vector<TextChange>& changes,
                        std::vector<ByteEdit>* edits = nullptr);
  bool close(const std::string& uri);

  std::optional<Document> get(const std::string& uri) const;
  std::vector<std::string> uris() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  PositionEncoding encoding_;
  std::map<std::string, Document> docs_;
};

}  // namespace cadre::workspace

namespace cadre::workspace {

// Line starts of one text, for converting many offsets at once (a symbol list,
// search results) without rescanning from the top each time.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  // `column` counts bytes on `line`; the result counts units of `enc`.
  TextPosition fromByteColumn(std::uint32_t line, std::uint32_t byteColumn, PositionEncoding enc) const;
  // Inverse: a client position to (line, byte column).
  std::uint32_t toByteColumn(TextPosition pos, PositionEncoding enc) const;
  std::size_t lineCount() const { return starts_.size(); }

 private:
  std::string_view lineText(std::uint32_t line) const;
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

}  // namespace cadre::workspace
