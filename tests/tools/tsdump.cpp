// Developer tool for query authors: prints a file's syntax tree as an
// S-expression with rows/columns, and the symbols cadre's queries extract.
// Usage: tsdump FILE [--symbols]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "server/analysis/parser.hpp"

using namespace cadre::analysis;

namespace {
void print(TSNode node, int depth, const std::string& field) {
  const TSPoint s = ts_node_start_point(node), e = ts_node_end_point(node);
  std::printf("%*s%s%s%s [%u:%u-%u:%u]%s\n", depth * 2, "", field.empty() ? "" : (field + ": ").c_str(),
              ts_node_is_named(node) ? "" : "\"", ts_node_type(node), s.row + 1, s.column + 1, e.row + 1, e.column + 1,
              ts_node_is_error(node) || ts_node_is_missing(node) ? "  <-- ERROR" : "");
  for (std::uint32_t i = 0; i < ts_node_child_count(node); ++i) {
    const char* f = ts_node_field_name_for_child(node, i);
    print(ts_node_child(node, i), depth + 1, f ? f : "");
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tsdump FILE [--symbols]\n");
    return 2;
  }
  const Language* lang = languageForPath(argv[1]);
  if (!lang) {
    std::fprintf(stderr, "no grammar for %s\n", argv[1]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  Parser parser;
  TreePtr tree = parser.parse(*lang, text);
  if (!tree) return 1;
  if (argc > 2 && std::string(argv[2]) == "--symbols") {
    FileSymbols s = extractSymbols(*lang, tree.get(), text);
    for (const auto& d : s.definitions)
      std::printf("def %-12s %-24s %u:%u parent=%d  %s\n", std::string(symbolKindName(d.kind)).c_str(), d.name.c_str(),
                  d.nameSpan.start.row + 1, d.nameSpan.start.column + 1, d.parent, d.signature.c_str());
    for (const auto& r : s.references)
      std::printf("ref %-12s %-24s %u:%u\n", std::string(referenceKindName(r.kind)).c_str(), r.name.c_str(), r.span.start.row + 1,
                  r.span.start.column + 1);
    for (const auto& i : s.imports) {
      std::printf("import %s%s%s%s", i.module.c_str(), i.wildcard ? " *" : "", i.reexport ? " (re-export)" : "",
                  i.namespaceAlias.empty() ? "" : (" as " + i.namespaceAlias).c_str());
      for (const auto& n : i.names) std::printf(" [%s%s]", n.name.c_str(), n.alias.empty() ? "" : (" as " + n.alias).c_str());
      std::printf("\n");
    }
    for (const auto& e : s.exports) std::printf("export %s\n", e.c_str());
    std::printf("syntax errors: %u\n", s.syntaxErrors);
    return 0;
  }
  print(ts_tree_root_node(tree.get()), 0, "");
  return 0;
}
