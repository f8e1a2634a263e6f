// Query tests: fixture files under tests/fixtures/queries/<lang>/ carry caret
// comments under the line they describe:
//     def helper(n):
//     #   ^ definition.function
// Each caret names the capture expected at that column of the nearest line
// above that is not an assertion; `<-` means column 0 of the comment's own
// column. Every definition the queries find must be asserted (so a query
// that over-matches fails), references only where asserted.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "server/analysis/parser.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

struct Assertion {
  std::uint32_t row, column;
  std::string capture;  // "definition.function", "reference.call"
  std::size_t line;     // in the fixture, for messages
};

std::string commentPrefix(std::string_view lang) {
  if (lang == "python" || lang == "bash") return "#";
  if (lang == "lua") return "--";
  return "//";
}

std::vector<Assertion> parseAssertions(const std::string& text, const std::string& prefix) {
  std::vector<Assertion> out;
  std::istringstream in(text);
  std::string line;
  std::uint32_t row = 0, target = 0;
  const std::regex caret("^(\\s*)" + std::regex_replace(prefix, std::regex("[-]"), "\\-") + "(\\s*)(\\^|<-)\\s*([a-z.]+)\\s*$");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, caret)) {
      const auto col = m[3] == "<-" ? static_cast<std::uint32_t>(m.position(0) + m[1].length())
                                    : static_cast<std::uint32_t>(m.position(3));
      out.push_back({target, col, m[4], row + 1});
    } else {
      target = row;
    }
    ++row;
  }
  return out;
}

bool covers(const Span& s, std::uint32_t row, std::uint32_t col) {
  return s.start.row == row && s.start.column <= col && (s.end.row > row || s.end.column > col);
}

}  // namespace

TEST_CASE("every query compiles against its grammar with known captures") {
  for (const auto& lang : languages()) {
    for (auto kind : {QueryKind::Tags, QueryKind::Imports, QueryKind::Locals}) {
      INFO(lang.id << " " << queryKindName(kind));
      auto q = query(lang, kind);
      if (!q) FAIL(q.error().message);
    }
  }
}

TEST_CASE("caret-annotated query fixtures") {
  const fs::path root = fs::path(CADRE_SOURCE_DIR) / "tests/fixtures/queries";
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const Language* lang = languageById(entry.path().parent_path().filename().string());
    if (!lang) continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    Parser parser;
    FileSymbols symbols = summarize(parser, *lang, text);
    const std::string file = fs::relative(entry.path(), root).string();
    INFO(file);
    CHECK(symbols.syntaxErrors == 0);
    std::vector<bool> asserted(symbols.definitions.size(), false);
    for (const auto& a : parseAssertions(text, commentPrefix(lang->id))) {
      INFO(file << ":" << a.line << " expects " << a.capture << " at " << a.row + 1 << ":" << a.column + 1);
      bool found = false;
      if (a.capture.rfind("definition.", 0) == 0) {
        for (std::size_t i = 0; i < symbols.definitions.size(); ++i) {
          const auto& d = symbols.definitions[i];
          if (covers(d.nameSpan, a.row, a.column)) {
            CHECK(std::string("definition.") + std::string(symbolKindName(d.kind)) == a.capture);
            asserted[i] = found = true;
          }
        }
      } else {
        for (const auto& r : symbols.references) {
          if (covers(r.span, a.row, a.column) && std::string("reference.") + std::string(referenceKindName(r.kind)) == a.capture) found = true;
        }
      }
      CHECK(found);
    }
    for (std::size_t i = 0; i < asserted.size(); ++i) {
      const auto& d = symbols.definitions[i];
      INFO("unasserted definition." << symbolKindName(d.kind) << " " << d.name << " at " << d.nameSpan.start.row + 1 << ":"
                                    << d.nameSpan.start.column + 1);
      CHECK(asserted[i]);
    }
  }
  CHECK(files > 0);
}
