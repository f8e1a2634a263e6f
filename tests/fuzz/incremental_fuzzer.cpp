// Tree-sitter incremental re-parsing as open documents use it
// (IncrementalDocument): a text and a sequence of edits from the input,
// applied one by one with the old tree reused. Whenever a fresh parse of the
// current text has no syntax error, the incremental tree must be the same
// tree (same S-expression). Where the text has errors, error recovery may
// legitimately settle differently with a tree to reuse; there the tree must
// still not reach past the text. A tree that differs is a wrong symbol or a stale
// definition in the editor; so are symbols that differ from a full
// extraction.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "server/analysis/parser.hpp"
#include "tests/support/tree_text.hpp"

using namespace cadre::analysis;
using cadre::testing::pointAt;
using cadre::testing::sexp;
using cadre::testing::symbolsText;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto& langs = languages();
  const Language& lang = langs[in.ConsumeIntegralInRange<std::size_t>(0, langs.size() - 1)];
  std::string text = in.ConsumeRandomLengthString(8192);
  static Parser parser, fresh;
  IncrementalDocument doc(lang, text, parser);
  if (!doc.tree()) return 0;
  for (int step = 0; step < 32 && in.remaining_bytes() > 0; ++step) {
    std::size_t a = in.ConsumeIntegralInRange<std::size_t>(0, text.size());
    std::size_t b = a + in.ConsumeIntegralInRange<std::size_t>(0, std::min<std::size_t>(64, text.size() - a));
    const std::string insert = in.ConsumeRandomLengthString(64);
    TreeEdit e;
    e.startByte = static_cast<std::uint32_t>(a);
    e.oldEndByte = static_cast<std::uint32_t>(b);
    e.newEndByte = static_cast<std::uint32_t>(a + insert.size());
    e.start = pointAt(text, a);
    e.oldEnd = pointAt(text, b);
    text.replace(a, b - a, insert);
    e.newEnd = pointAt(text, a + insert.size());
    doc.update(text, {e}, parser);
    TreePtr reference = fresh.parse(lang, text);
    if (!doc.tree() || !reference) return 0;  // a parse past its deadline: nothing to compare
    const TSNode root = ts_tree_root_node(doc.tree());
    if (ts_node_end_byte(root) > text.size()) std::abort();
    if (ts_node_has_error(ts_tree_root_node(reference.get()))) continue;
    if (sexp(doc.tree()) != sexp(reference.get())) std::abort();
    // The symbols of one-edit updates are carried across and shifted, not
    // re-extracted: they must match a full extraction.
    if (symbolsText(doc.symbols()) != symbolsText(extractSymbols(lang, reference.get(), text))) std::abort();
  }
  return 0;
}
