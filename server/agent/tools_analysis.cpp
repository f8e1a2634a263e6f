// find_symbol, references and repo_map: the project index as tools, for the
// agent, cadre/tools.call and `cadre mcp serve` alike. The index never holds
// deny-listed files (discovery leaves them out), and every result is
// filtered through the Gate as well, so a file the policy hides for this
// actor never shows up even in an index built without the exclusion.
#include <algorithm>
#include <cctype>

#include "server/agent/tool_args.hpp"
#include "server/agent/tools.hpp"
#include "server/analysis/repo_map.hpp"

namespace cadre::agent {

using json = nlohmann::json;

namespace {

// What a model reads from one call: more costs its context for nothing.
constexpr std::size_t kMaxText = 64 * 1024;
constexpr std::int64_t kMaxRepoMapTokens = 16384;

using IndexPtr = std::shared_ptr<const analysis::ProjectIndex>;

Expected<IndexPtr> indexFor(ToolContext& ctx, const char* tool) {
  if (!ctx.index)
    return makeError(ErrorCode::Unavailable, std::string(tool) + ": no project index here (open a workspace folder, or run `cadre index`)");
  auto idx = ctx.index(ctx.cancel);
  if (!idx) return idx.error();
  if (!*idx) return makeError(ErrorCode::Unavailable, std::string(tool) + ": the project index is not built yet");
  return idx;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// How well `name` matches `query`: lower is better, -1 is no match.
int matchScore(const std::string& name, const std::string& query, const std::string& queryLower) {
  if (name == query) return 0;
  const std::string n = lower(name);
  if (n == queryLower) return 1;
  if (n.rfind(queryLower, 0) == 0) return 2;
  if (n.find(queryLower) != std::string::npos) return 3;
  std::size_t i = 0;
  for (char c : n)
    if (i < queryLower.size() && c == queryLower[i]) ++i;
  return i == queryLower.size() ? 4 : -1;
}

json rangeJson(const analysis::Span& s) {
  return {{"start", {{"line", s.start.row + 1}, {"column", s.start.column + 1}}},
          {"end", {{"line", s.end.row + 1}, {"column", s.end.column + 1}}}};
}

Expected<ToolOutput> repoMapTool(const json& args, ToolContext& ctx) {
  auto idx = indexFor(ctx, "repo_map");
  if (!idx) return idx.error();
  analysis::RepoMapOptions options;
  options.tokenBudget = static_cast<std::size_t>(intArg(args, "tokens", 1024, 64, kMaxRepoMapTokens));
  options.focusFiles = stringsArg(args, "focus");
  options.focusNames = stringsArg(args, "names");
  const auto root = (*idx)->root();
  options.hide = [&ctx, root](std::string_view rel) { return !ctx.gate.visible(root / std::string(rel)); };
  analysis::RepoMap map = analysis::buildRepoMap(**idx, options);
  ToolOutput out;
  out.text = map.text.empty() ? "(no definitions found in the project)\n" : map.text;
  json entries = json::array();
  for (const auto& e : map.entries) entries.push_back({{"path", e.path}, {"line", e.line}, {"signature", e.signature}});
  out.data = {{"tokens", map.tokens}, {"entries", std::move(entries)}};
  capText(out.text, kMaxText);
  return out;
}

Expected<ToolOutput> findSymbolTool(const json& args, ToolContext& ctx) {
  const std::string query = stringArg(args, "query");
  if (query.empty()) return makeError(ErrorCode::InvalidParams, "find_symbol: 'query' must not be empty");
  const std::string kind = stringArg(args, "kind");
  const auto limit = static_cast<std::size_t>(intArg(args, "limit", 20, 1, 200));
  auto idx = indexFor(ctx, "find_symbol");
  if (!idx) return idx.error();
  struct Match {
    int score;
    const analysis::IndexedFile* file;
    const analysis::Definition* def;
  };
  std::vector<Match> matches;
  const std::string q = lower(query);
  (*idx)->decodeAll();
  for (const auto& f : (*idx)->files()) {
    if (!ctx.gate.visible((*idx)->root() / f.path)) continue;
    for (const auto& d : f.symbols().definitions) {
      if (!kind.empty() && analysis::symbolKindName(d.kind) != kind) continue;
      int s = matchScore(d.name, query, q);
      if (s >= 0) matches.push_back({s, &f, &d});
    }
  }
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.score != b.score) return a.score < b.score;
    if (a.def->name.size() != b.def->name.size()) return a.def->name.size() < b.def->name.size();
    if (a.file->path != b.file->path) return a.file->path < b.file->path;
    return a.def->span.start.row < b.def->span.start.row;
  });
  ToolOutput out;
  out.data = {{"query", query}, {"matches", json::array()}, {"total", matches.size()}};
  for (std::size_t i = 0; i < matches.size() && i < limit; ++i) {
    const auto& m = matches[i];
    const auto& d = *m.def;
    std::string container;
    if (d.parent >= 0 && static_cast<std::size_t>(d.parent) < m.file->symbols().definitions.size())
      container = m.file->symbols().definitions[static_cast<std::size_t>(d.parent)].name;
    const std::uint32_t line = d.nameSpan.start.row + 1;
    out.text += m.file->path + ":" + std::to_string(line) + ": " + std::string(analysis::symbolKindName(d.kind)) + " " +
                (container.empty() ? "" : container + ".") + d.name + (d.signature.empty() ? "" : "  — " + d.signature) +
                "  (lines " + std::to_string(d.span.start.row + 1) + "-" + std::to_string(d.span.end.row + 1) + ")\n";
    out.data["matches"].push_back({{"name", d.name},
                                   {"kind", analysis::symbolKindName(d.kind)},
                                   {"path", m.file->path},
                                   {"line", line},
                                   {"column", d.nameSpan.start.column + 1},
                                   {"range", rangeJson(d.span)},
                                   {"container", container},
                                   {"signature", d.signature}});
  }
  if (matches.empty()) out.text = "no definition matches '" + query + "'\n";
  else if (matches.size() > limit) out.text += "(" + std::to_string(matches.size() - limit) + " more; raise 'limit' or narrow the query)\n";
  capText(out.text, kMaxText);
  return out;
}

Expected<ToolOutput> referencesTool(const json& args, ToolContext& ctx) {
  const std::string name = stringArg(args, "name");
  if (name.empty()) return makeError(ErrorCode::InvalidParams, "references: 'name' must not be empty");
  const bool withDefinitions = args.value("includeDefinitions", true);
  const auto limit = static_cast<std::size_t>(intArg(args, "limit", 200, 1, 2000));
  auto idx = indexFor(ctx, "references");
  if (!idx) return idx.error();
  struct Hit {
    std::string path;
    std::uint32_t line, column;
    std::string what;
  };
  std::vector<Hit> hits;
  (*idx)->decodeAll();
  for (const auto& f : (*idx)->files()) {
    if (!ctx.gate.visible((*idx)->root() / f.path)) continue;
    if (withDefinitions)
      for (const auto& d : f.symbols().definitions)
        if (d.name == name)
          hits.push_back({f.path, d.nameSpan.start.row + 1, d.nameSpan.start.column + 1, "definition (" + std::string(analysis::symbolKindName(d.kind)) + ")"});
    for (const auto& imp : f.symbols().imports)
      for (const auto& n : imp.names)
        if (n.name == name || n.alias == name) hits.push_back({f.path, n.span.start.row + 1, n.span.start.column + 1, "import from " + imp.module});
    for (const auto& r : f.symbols().references)
      if (r.name == name)
        hits.push_back({f.path, r.span.start.row + 1, r.span.start.column + 1, "use (" + std::string(analysis::referenceKindName(r.kind)) + ")"});
  }
  ToolOutput out;
  out.data = {{"name", name}, {"locations", json::array()}, {"total", hits.size()}};
  for (std::size_t i = 0; i < hits.size() && i < limit; ++i) {
    const auto& h = hits[i];
    out.text += h.path + ":" + std::to_string(h.line) + ":" + std::to_string(h.column) + ": " + h.what + "\n";
    out.data["locations"].push_back({{"path", h.path}, {"line", h.line}, {"column", h.column}, {"what", h.what}});
  }
  if (hits.empty()) out.text = "no definition or use of '" + name + "' in the project (matching is by name)\n";
  else if (hits.size() > limit) out.text += "(" + std::to_string(hits.size() - limit) + " more; raise 'limit')\n";
  capText(out.text, kMaxText);
  return out;
}

}  // namespace

void addAnalysisTools(ToolRegistry& registry) {
  const security::ToolNeeds reads{.readsFiles = true};
  registry.add({"repo_map",
                "The project's most important definitions with their signatures, ranked by how much the rest of the code uses "
                "them (PageRank over the reference graph), within a token budget. Start here to learn a codebase.",
                objectSchema({{"tokens", {{"type", "integer"}, {"description", "token budget (default 1024, at most 16384)"}}},
                              {"focus", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "files (relative paths) to rank toward"}}},
                              {"names", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "identifiers the task mentions"}}}},
                             {}),
                reads},
               repoMapTool);
  registry.add({"find_symbol",
                "Find definitions (functions, classes, methods, types …) by name across the project: exact matches first, then "
                "prefix, substring and fuzzy matches. Returns file:line, kind, signature and the lines it spans.",
                objectSchema({{"query", {{"type", "string"}, {"description", "a name or the start of one"}}},
                              {"kind", {{"type", "string"}, {"description", "only this kind: function, method, class, interface, struct, enum, type, constant, variable, …"}}},
                              {"limit", {{"type", "integer"}, {"description", "default 20"}}}},
                             {"query"}),
                reads},
               findSymbolTool);
  registry.add({"references",
                "Every definition, import and use of a name across the project (matched by name, as an editor's "
                "'find references' without type information would).",
                objectSchema({{"name", {{"type", "string"}}},
                              {"includeDefinitions", {{"type", "boolean"}, {"description", "default true"}}},
                              {"limit", {{"type", "integer"}, {"description", "default 200"}}}},
                             {"name"}),
                reads},
               referencesTool);
}

}  // namespace cadre::agent
