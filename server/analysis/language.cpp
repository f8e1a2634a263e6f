// Language registry and query loading; see language.hpp.
#include "server/analysis/language.hpp"

#include <algorithm>
#include <map>
#include <atomic>
#include <mutex>
#include <optional>

#include "server/analysis/query_shape.hpp"

extern "C" {
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_typescript(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_java(void);
const TSLanguage* tree_sitter_lua(void);
const TSLanguage* tree_sitter_bash(void);
}

namespace cadre::analysis {

// Generated from grammars/queries by cmake/EmbedQueries.cmake.
const std::vector<std::pair<std::string_view, std::string_view>>& embeddedQueries();

namespace {

std::string_view fileFor(QueryKind kind) {
  switch (kind) {
    case QueryKind::Tags: return "tags";
    case QueryKind::Imports: return "imports";
    case QueryKind::Locals: return "locals";
  }
  return "";
}

std::string_view embedded(std::string_view lang, QueryKind kind) {
  const std::string key = std::string(lang) + "/" + std::string(fileFor(kind));
  for (const auto& [name, text] : embeddedQueries()) {
    if (name == key) return text;
  }
  return {};
}

// Resolves "; inherits: a,b" lines (first lines of the file) recursively.
std::string withInherited(std::string_view lang, QueryKind kind, int depth = 0) {
  std::string_view text = embedded(lang, kind);
  if (text.empty() || depth > 4) return std::string(text);
  std::string out;
  constexpr std::string_view kInherits = "; inherits:";
  if (text.substr(0, kInherits.size()) == kInherits) {
    auto eol = text.find('\n');
    std::string_view list = text.substr(kInherits.size(), eol - kInherits.size());
    while (!list.empty()) {
      auto comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\r')) item.remove_suffix(1);
      if (!item.empty()) out += withInherited(item, kind, depth + 1) + "\n";
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  out += text;
  return out;
}

std::string_view errorName(TSQueryError e) {
  switch (e) {
    case TSQueryErrorSyntax: return "syntax error";
    case TSQueryErrorNodeType: return "unknown node type";
    case TSQueryErrorField: return "unknown field";
    case TSQueryErrorCapture: return "unknown capture";
    case TSQueryErrorStructure: return "impossible pattern structure";
    case TSQueryErrorLanguage: return "incompatible language";
    default: return "error";
  }
}

// One slot per (language, kind). Slots are created under the mutex; the
// compile itself runs under the slot's once_flag, so compiling the C++ tags
// query (hundreds of ms) never blocks threads that want another query.
struct QuerySlot {
  std::once_flag once;
  QueryPtr query;
  std::optional<Error> error;
  std::uint32_t firstImportPattern = 0;  // the combined tags + imports query only
};

struct PatternSlot {
  std::once_flag once;
  std::optional<PatternSet> patterns;
  std::optional<Error> error;
  std::uint32_t firstImportPattern = 0;
};

struct QueryCache {
  std::mutex mu;
  // Kind -1: the combined tags + imports query of symbolsQuery().
  std::map<std::pair<std::string_view, int>, std::unique_ptr<QuerySlot>> slots;
  std::map<std::string_view, std::unique_ptr<PatternSlot>> patterns;
};


QueryCache& cache() {
  static QueryCache c;
  return c;
}

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> all = {
      {"python", tree_sitter_python(), {".py", ".pyi"}, {}},
      {"javascript", tree_sitter_javascript(), {".js", ".mjs", ".cjs", ".jsx"}, {}},
      {"typescript", tree_sitter_typescript(), {".ts", ".mts", ".cts"}, {}},
      {"tsx", tree_sitter_tsx(), {".tsx"}, {}},
      {"c", tree_sitter_c(), {".c", ".h"}, {}},
      {"cpp", tree_sitter_cpp(), {".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".tcc", ".inl"}, {}},
      {"go", tree_sitter_go(), {".go"}, {}},
      {"rust", tree_sitter_rust(), {".rs"}, {}},
      {"java", tree_sitter_java(), {".java"}, {}},
      {"lua", tree_sitter_lua(), {".lua"}, {}},
      {"bash", tree_sitter_bash(), {".sh", ".bash"}, {}},
  };
  return all;
}

const Language* languageById(std::string_view id) {
  for (const auto& l : languages()) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

const Language* languageForPath(const std::filesystem::path& path) { return languageForFileName(path.filename().string()); }

const Language* languageForFileName(std::string_view name) {
  // The extension as std::filesystem has it: from the last dot, none for a
  // name whose only dot leads (".bashrc") and none for "." and "..".
  const std::size_t dot = name.rfind('.');
  const std::string_view ext = name == "." || name == ".." || dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot);
  for (const auto& l : languages()) {
    if (std::find(l.extensions.begin(), l.extensions.end(), ext) != l.extensions.end()) return &l;
    if (std::find(l.fileNames.begin(), l.fileNames.end(), name) != l.fileNames.end()) return &l;
  }
  return nullptr;
}

std::string_view queryKindName(QueryKind kind) { return fileFor(kind); }

bool isKnownCapture(QueryKind kind, std::string_view c) {
  auto startsWith = [&](std::string_view p) { return c.substr(0, p.size()) == p; };
  switch (kind) {
    case QueryKind::Tags:
      if (c == "name" || c == "doc" || c == "body" || c == "ignore") return true;
      if (startsWith("definition.")) {
        static const std::vector<std::string_view> kinds = {"function", "method", "class", "interface", "struct", "enum", "union",
                                                            "module", "constant", "variable", "type", "macro", "field", "namespace",
                                                            "trait", "constructor", "property", "implementation"};
        return std::find(kinds.begin(), kinds.end(), c.substr(11)) != kinds.end();
      }
      if (startsWith("reference.")) {
        static const std::vector<std::string_view> kinds = {"call", "type", "class", "implementation", "name", "module", "macro"};
        return std::find(kinds.begin(), kinds.end(), c.substr(10)) != kinds.end();
      }
      return false;
    case QueryKind::Imports: {
      static const std::vector<std::string_view> known = {"import",        "import.module",    "import.name",    "import.alias",
                                                          "import.wildcard", "import.default", "import.namespace", "import.reexport",
                                                          "export.name",   "export.default", "ignore"};
      return std::find(known.begin(), known.end(), c) != known.end();
    }
    case QueryKind::Locals:
      return c == "local.scope" || c == "local.definition" || c == "local.reference" || c == "ignore";
  }
  return false;
}

namespace {

// Whether a query of `kind` (with `alsoImports`, also the imports
// vocabulary) may use `capture`; names starting with `_` are private helpers.
bool allowedCapture(QueryKind kind, std::string_view capture, bool alsoImports) {
  if (!capture.empty() && capture.front() == '_') return true;
  return isKnownCapture(kind, capture) || (alsoImports && isKnownCapture(QueryKind::Imports, capture));
}

Expected<QueryPtr> compileQuery(const Language& lang, QueryKind kind, std::string_view source, std::string_view where, bool alsoImports) {
  auto lineOf = [&](std::size_t offset) { return 1 + std::count(source.begin(), source.begin() + std::min(offset, source.size()), '\n'); };
  if (auto problem = checkQueryShape(source)) {
    return makeError(ErrorCode::InternalError, std::string(where) + ": " + problem->message + " at line " + std::to_string(lineOf(problem->offset)) +
                                                   " (of the query with inherited parts)");
  }
  std::uint32_t offset = 0;
  TSQueryError error = TSQueryErrorNone;
  QueryPtr q(ts_query_new(lang.grammar, source.data(), static_cast<std::uint32_t>(source.size()), &offset, &error));
  if (!q) {
    return makeError(ErrorCode::InternalError, std::string(where) + ": " + std::string(errorName(error)) + " at line " + std::to_string(lineOf(offset)) +
                                                   " (of the query with inherited parts)");
  }
  for (std::uint32_t i = 0; i < ts_query_capture_count(q.get()); ++i) {
    std::uint32_t len = 0;
    const char* name = ts_query_capture_name_for_id(q.get(), i, &len);
    std::string_view capture(name, len);
    if (!allowedCapture(kind, capture, alsoImports)) return makeError(ErrorCode::InternalError, std::string(where) + ": unknown capture @" + std::string(capture));
  }
  return q;
}

}  // namespace

Expected<QueryPtr> compileQuery(const Language& lang, QueryKind kind, std::string_view source, std::string_view where) {
  return compileQuery(lang, kind, source, where, /*alsoImports=*/false);
}

namespace {

void compileInto(const Language& lang, QueryKind kind, QuerySlot& slot) {
  const std::string source = withInherited(lang.id, kind);
  if (source.empty()) return;
  const std::string where = "grammars/queries/" + std::string(lang.id) + "/" + std::string(fileFor(kind)) + ".scm";
  auto q = compileQuery(lang, kind, source, where);
  if (!q) {
    slot.error = q.error();
    return;
  }
  slot.query = std::move(*q);
}

QuerySlot& slotFor(std::string_view lang, int kind) {
  QueryCache& c = cache();
  std::lock_guard lock(c.mu);
  auto& entry = c.slots[std::make_pair(lang, kind)];
  if (!entry) entry = std::make_unique<QuerySlot>();
  return *entry;
}

}  // namespace

Expected<const TSQuery*> query(const Language& lang, QueryKind kind) {
  QuerySlot& slot = slotFor(lang.id, static_cast<int>(kind));
  std::call_once(slot.once, [&] { compileInto(lang, kind, slot); });
  if (slot.error) return *slot.error;
  return static_cast<const TSQuery*>(slot.query.get());
}

// The tags and imports queries of a language as one text, which both
// symbolsQuery and symbolPatterns read; empty when it has neither.
struct SymbolsSource {
  std::size_t tagsSize = 0;  // the imports part starts after this
  std::string text;
  std::string where;
};
SymbolsSource symbolsSource(const Language& lang) {
  SymbolsSource s;
  const std::string tags = withInherited(lang.id, QueryKind::Tags);
  s.tagsSize = tags.size();
  s.text = tags + "\n" + withInherited(lang.id, QueryKind::Imports);
  if (s.text.size() <= 1) s.text.clear();
  s.where = "grammars/queries/" + std::string(lang.id) + "/{tags,imports}.scm";
  return s;
}

// Where the imports half starts in the tags + imports text: the first
// pattern beginning after the tags part.
template <class StartOf>
std::uint32_t firstPatternAfter(std::uint32_t patterns, std::size_t tagsSize, StartOf startOf) {
  for (std::uint32_t i = 0; i < patterns; ++i) {
    if (startOf(i) > tagsSize) return i;
  }
  return patterns;
}

Expected<SymbolsQuery> symbolsQuery(const Language& lang) {
  QuerySlot& slot = slotFor(lang.id, -1);
  std::call_once(slot.once, [&] {
    const SymbolsSource source = symbolsSource(lang);
    if (source.text.empty()) return;
    // Both vocabularies are allowed; each file alone was checked against its own.
    auto q = compileQuery(lang, QueryKind::Tags, source.text, source.where, /*alsoImports=*/true);
    if (!q) {
      slot.error = q.error();
      return;
    }
    slot.query = std::move(*q);
    const TSQuery* query = slot.query.get();
    slot.firstImportPattern = firstPatternAfter(ts_query_pattern_count(query), source.tagsSize,
                                                [&](std::uint32_t i) { return ts_query_start_byte_for_pattern(query, i); });
  });
  if (slot.error) return *slot.error;
  return SymbolsQuery{slot.query.get(), slot.firstImportPattern};
}

Expected<SymbolPatterns> symbolPatterns(const Language& lang) {
  PatternSlot* slot = nullptr;
  {
    QueryCache& c = cache();
    std::lock_guard lock(c.mu);
    auto& entry = c.patterns[lang.id];
    if (!entry) entry = std::make_unique<PatternSlot>();
    slot = entry.get();
  }
  std::call_once(slot->once, [&] {
    const SymbolsSource source = symbolsSource(lang);
    if (source.text.empty()) return;
    auto set = PatternSet::compile(lang.grammar, source.text);
    if (!set) {
      slot->error = makeError(ErrorCode::InternalError, source.where + ": " + set.error().message + " (of the query with inherited parts)");
      return;
    }
    for (const std::string& capture : set->captureNames()) {
      if (!allowedCapture(QueryKind::Tags, capture, /*alsoImports=*/true)) {
        slot->error = makeError(ErrorCode::InternalError, source.where + ": unknown capture @" + capture);
        return;
      }
    }
    slot->patterns = std::move(*set);
    const PatternSet& p = *slot->patterns;
    slot->firstImportPattern = firstPatternAfter(p.patternCount(), source.tagsSize, [&](std::uint32_t i) { return p.patternStartByte(i); });
  });
  if (slot->error) return *slot->error;
  return SymbolPatterns{slot->patterns ? &*slot->patterns : nullptr, slot->firstImportPattern};
}

}  // namespace cadre::analysis
