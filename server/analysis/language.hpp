// The languages cadre understands: which grammar parses a file, and the
// compiled queries (tags, imports, locals) for it. Queries come from
// grammars/queries/<lang>/<kind>.scm, embedded at build time; `; inherits: x`
// on a query's first line prepends language x's query of the same kind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/analysis/patterns.hpp"
#include "server/analysis/ts_handles.hpp"
#include "support/expected.hpp"

namespace cadre::analysis {

enum class QueryKind { Tags, Imports, Locals };

struct Language {
  std::string_view id;  // "python", "typescript", ...
  const TSLanguage* grammar;
  std::vector<std::string_view> extensions;  // with the dot: ".py"
  std::vector<std::string_view> fileNames;   // exact names, e.g. "Makefile" (none yet)
};

const std::vector<Language>& languages();
const Language* languageById(std::string_view id);
const Language* languageForPath(const std::filesystem::path& path);
const Language* languageForFileName(std::string_view name);  // a name without directories

// The compiled query, or nullptr when the language has none of that kind.
// Compiled once, on first use, and checked: an unknown capture name or a
// query that does not compile against its grammar is an error naming the file
// and the offset (the query tests compile every one).
Expected<const TSQuery*> query(const Language& lang, QueryKind kind);

// Compiles query text against `lang`'s grammar and checks its capture names,
// exactly as the embedded queries are checked; `where` names the source in
// the error. The query fuzzer feeds arbitrary text through here.
Expected<QueryPtr> compileQuery(const Language& lang, QueryKind kind, std::string_view source, std::string_view where);

// The capture vocabulary cadre's queries may use (tree-sitter's tags
// convention plus cadre's import captures).
bool isKnownCapture(QueryKind kind, std::string_view capture);

std::string_view queryKindName(QueryKind kind);

// The tags and imports queries read as one PatternSet, which is what
// extraction runs (one walk of the tree for both). Patterns below
// `firstImportPattern` come from tags.scm, the rest from imports.scm.
// `patterns` is null when the language has neither. Reading them takes well
// under a millisecond; their capture names are checked as compileQuery checks
// them.
struct SymbolPatterns {
  const PatternSet* patterns = nullptr;
  std::uint32_t firstImportPattern = 0;
};
Expected<SymbolPatterns> symbolPatterns(const Language& lang);

// The same two queries compiled by tree-sitter as one TSQuery: the reference
// the PatternSet matcher is tested against (extractSymbolsWithQueryCursor).
// Compiling takes 10 ms (Python) to 500 ms (C++).
struct SymbolsQuery {
  const TSQuery* query = nullptr;
  std::uint32_t firstImportPattern = 0;
};
Expected<SymbolsQuery> symbolsQuery(const Language& lang);

}  // namespace cadre::analysis
