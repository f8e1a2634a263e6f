// Query loading: arbitrary text compiled as a tags, imports or locals query of
// any of cadre's languages, through the same call that checks the embedded
// queries. A query that does not compile or uses an unknown capture is an
// error naming where; one that compiles is run (with the index's match
// limit) over the same text parsed as that language. The same text is read
// by cadre's own pattern matcher (PatternSet), which must refuse it with an
// error or run it over the tree without a capture outside the text.
#include <cstdlib>
#include <string>

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/patterns.hpp"

using namespace cadre::analysis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Query analysis grows faster than linearly with the query: big inputs
  // only slow the fuzzer down (the seeds are the first patterns of cadre's
  // queries; the whole ones are compiled by the query tests).
  if (size < 1 || size > 8192) return 0;
  const auto& langs = languages();
  const Language& lang = langs[data[0] % langs.size()];
  const auto kind = static_cast<QueryKind>((data[0] / langs.size()) % 3);
  const std::string_view source(reinterpret_cast<const char*>(data + 1), size - 1);
  static Parser parser;
  ParseLimits limits;
  limits.timeout = std::chrono::milliseconds(200);
  auto set = PatternSet::compile(lang.grammar, source);
  if (!set && set.error().message.find(" at line ") == std::string::npos) std::abort();
  auto q = compileQuery(lang, kind, source, "fuzz.scm");
  if (!q && q.error().message.rfind("fuzz.scm: ", 0) != 0) std::abort();
  if (!set && !q) return 0;
  TreePtr tree = parser.parse(lang, source, nullptr, limits);
  if (!tree) return 0;
  if (set) {
    auto onMatch = [&](const TSQueryMatch& m) {
      for (std::uint16_t i = 0; i < m.capture_count; ++i) {
        if (ts_node_end_byte(m.captures[i].node) > source.size() || m.captures[i].index >= set->captureNames().size()) std::abort();
      }
    };
    set->forEachMatch(ts_tree_root_node(tree.get()), source, nullptr, onMatch);
  }
  if (!q) return 0;
  QueryCursorPtr cursor(ts_query_cursor_new());
  ts_query_cursor_set_match_limit(cursor.get(), 4096);
  ts_query_cursor_exec(cursor.get(), q->get(), ts_tree_root_node(tree.get()));
  TSQueryMatch match;
  std::uint32_t captureIndex = 0;
  for (int n = 0; n < 10000 && ts_query_cursor_next_capture(cursor.get(), &match, &captureIndex); ++n) {
    const TSNode node = match.captures[captureIndex].node;
    if (ts_node_end_byte(node) > source.size()) std::abort();
  }
  return 0;
}
