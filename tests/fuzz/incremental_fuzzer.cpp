// Tree-sitter incremental re-parsing as open documents use it
// (IncrementalDocument): a text and a sequence of edits from the input,
// applied one by one with the old tree reused (or only a window of it
// reparsed). Whenever a fresh parse of the current text has no syntax error,
// the symbols must be a full extraction's after every edit, and the tree,
// asked for after every fourth, the same tree (same S-expression). Where the text has errors, error recovery may
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
using cadre::testing::replaceText;
using cadre::testing::sexp;
using cadre::testing::symbolsText;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto& langs = languages();
  const Language& lang = langs[in.ConsumeIntegralInRange<std::size_t>(0, langs.size() - 1)];
  std::string text = in.ConsumeRandomLengthString(8192);
  static Parser parser, fresh;
  IncrementalDocument doc(lang, text, parser);
  if (!doc.tree(parser)) return 0;  // the first parse ran past its deadline
  for (int step = 0; step < 32 && in.remaining_bytes() > 0; ++step) {
    std::size_t a = in.ConsumeIntegralInRange<std::size_t>(0, text.size());
    std::size_t b = a + in.ConsumeIntegralInRange<std::size_t>(0, std::min<std::size_t>(64, text.size() - a));
    const std::string insert = in.ConsumeRandomLengthString(64);
    const TreeEdit e = replaceText(text, a, b, insert);
    doc.update(text, {e}, parser);
    TreePtr reference = fresh.parse(lang, text);
    if (!reference) return 0;  // a parse past its deadline: nothing to compare
    const bool valid = !ts_node_has_error(ts_tree_root_node(reference.get()));
    // The symbols of one-edit updates are carried across and shifted, not
    // re-extracted: they must match a full extraction.
    if (valid && symbolsText(doc.symbols()) != symbolsText(extractSymbols(lang, reference.get(), text))) std::abort();
    // The tree is asked for every fourth step only: in between, keystrokes
    // that parse a window build on a tree no parse has seen since.
    if (step % 4 != 3) continue;
    const TSTree* tree = doc.tree(parser);
    if (!tree) return 0;
    if (ts_node_end_byte(ts_tree_root_node(tree)) > text.size()) std::abort();
    if (valid && sexp(tree) != sexp(reference.get())) std::abort();
  }
  return 0;
}
