// Text views of tree-sitter state for tests and fuzzers that compare an
// incrementally re-parsed document with a fresh parse: the row/column point
// of a byte offset and a text replacement as a TreeEdit, a tree's S-expression, and the
// symbols the editor features read, as one comparable string.
#pragma once

#include <cstdlib>
#include <string>

#include "server/analysis/parser.hpp"

namespace cadre::testing {

inline analysis::Point pointAt(const std::string& text, std::size_t offset) {
  analysis::Point p;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.row;
      p.column = 0;
    } else {
      ++p.column;
    }
  }
  return p;
}

// Replaces bytes [a, b) of `text` with `insert` and returns the edit that
// describes it.
inline analysis::TreeEdit replaceText(std::string& text, std::size_t a, std::size_t b, const std::string& insert) {
  analysis::TreeEdit e;
  e.startByte = static_cast<std::uint32_t>(a);
  e.oldEndByte = static_cast<std::uint32_t>(b);
  e.newEndByte = static_cast<std::uint32_t>(a + insert.size());
  e.start = pointAt(text, a);
  e.oldEnd = pointAt(text, b);
  text.replace(a, b - a, insert);
  e.newEnd = pointAt(text, a + insert.size());
  return e;
}

inline std::string sexp(const TSTree* tree) {
  char* s = ts_node_string(ts_tree_root_node(tree));
  std::string out(s);
  std::free(s);
  return out;
}

// Everything the editor features read from a file's symbols, by position.
inline std::string symbolsText(const analysis::FileSymbols& s) {
  std::string out;
  for (const auto& d : s.definitions) out += d.name + "@" + std::to_string(d.nameSpan.startByte) + ":" + std::to_string(d.parent) + " ";
  for (const auto& r : s.references) out += r.name + "@" + std::to_string(r.span.startByte) + " ";
  for (const auto& i : s.imports) {
    out += i.module + "@" + std::to_string(i.span.startByte) + "[";
    for (const auto& n : i.names) out += n.name + "@" + std::to_string(n.span.startByte) + ",";
    out += "] ";
  }
  for (const auto& e : s.exports) out += "export " + e + " ";
  for (const auto& d : s.definitions) out += d.signature + "|" + std::to_string(d.span.start.row) + ":" + std::to_string(d.span.end.column) + " ";
  return out;
}

}  // namespace cadre::testing
