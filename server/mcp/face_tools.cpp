// See face_tools.hpp. Output is text for a model to read, with the same
// facts as JSON in ToolOutput::data (structuredContent on the wire).
#include "server/mcp/face_tools.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "server/analysis/check.hpp"
#include "server/analysis/repo_map.hpp"

namespace cadre::mcp {

using json = nlohmann::json;

namespace {

// What a model reads from one call: more costs its whole context.
constexpr std::size_t kMaxText = 256 * 1024;
constexpr std::size_t kMaxRepoMapTokens = 16384;

json object(json props, std::vector<std::string> required) {
  return {{"type", "object"}, {"properties", std::move(props)}, {"required", std::move(required)}, {"additionalProperties", false}};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void cap(std::string& text) {
  if (text.size() <= kMaxText) return;
  const std::size_t more = text.size() - kMaxText;
  text.resize(kMaxText);
  text += "\n[truncated: " + std::to_string(more / 1024) + " KB more]\n";
}

std::int64_t intArg(const json& args, const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_number_integer()) return fallback;
  return std::clamp<std::int64_t>(it->get<std::int64_t>(), min, max);
}

std::vector<std::string> strings(const json& args, const char* key) {
  std::vector<std::string> out;
  if (auto it = args.find(key); it != args.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
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

std::string iso(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

using IndexFn = std::function<Expected<std::shared_ptr<const analysis::ProjectIndex>>(const std::atomic<bool>*)>;

Expected<agent::ToolOutput> repoMap(const IndexFn& index, const json& args, agent::ToolContext& ctx) {
  auto idx = index(ctx.cancel);
  if (!idx) return idx.error();
  analysis::RepoMapOptions options;
  options.tokenBudget = static_cast<std::size_t>(intArg(args, "tokens", 1024, 64, kMaxRepoMapTokens));
  options.focusFiles = strings(args, "focus");
  options.focusNames = strings(args, "names");
  analysis::RepoMap map = analysis::buildRepoMap(**idx, options);
  agent::ToolOutput out;
  out.text = map.text.empty() ? "(no definitions found in the project)\n" : map.text;
  json entries = json::array();
  for (const auto& e : map.entries) entries.push_back({{"path", e.path}, {"line", e.line}, {"signature", e.signature}});
  out.data = {{"tokens", map.tokens}, {"entries", std::move(entries)}};
  return out;
}

Expected<agent::ToolOutput> findSymbol(const IndexFn& index, const json& args, agent::ToolContext& ctx) {
  const std::string query = args.value("query", "");
  if (query.empty()) return makeError(ErrorCode::InvalidParams, "find_symbol: 'query' must not be empty");
  const std::string kind = args.value("kind", "");
  const auto limit = static_cast<std::size_t>(intArg(args, "limit", 20, 1, 200));
  auto idx = index(ctx.cancel);
  if (!idx) return idx.error();
  struct Match {
    int score;
    const analysis::IndexedFile* file;
    const analysis::Definition* def;
  };
  std::vector<Match> matches;
  const std::string q = lower(query);
  for (const auto& f : (*idx)->files()) {
    for (const auto& d : f.symbols.definitions) {
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
  agent::ToolOutput out;
  out.data = {{"query", query}, {"matches", json::array()}, {"total", matches.size()}};
  for (std::size_t i = 0; i < matches.size() && i < limit; ++i) {
    const auto& m = matches[i];
    const auto& d = *m.def;
    std::string container;
    if (d.parent >= 0 && static_cast<std::size_t>(d.parent) < m.file->symbols.definitions.size())
      container = m.file->symbols.definitions[static_cast<std::size_t>(d.parent)].name;
    const std::uint32_t line = d.nameSpan.start.row + 1;
    out.text += m.file->path + ":" + std::to_string(line) + ": " + std::string(analysis::symbolKindName(d.kind)) + " " +
                (container.empty() ? "" : container + ".") + d.name + (d.signature.empty() ? "" : "  — " + d.signature) + "\n";
    out.data["matches"].push_back({{"name", d.name},
                                   {"kind", analysis::symbolKindName(d.kind)},
                                   {"path", m.file->path},
                                   {"line", line},
                                   {"column", d.nameSpan.start.column + 1},
                                   {"container", container},
                                   {"signature", d.signature}});
  }
  if (matches.empty()) out.text = "no definition matches '" + query + "'\n";
  else if (matches.size() > limit) out.text += "(" + std::to_string(matches.size() - limit) + " more; raise 'limit' or narrow the query)\n";
  return out;
}

Expected<agent::ToolOutput> references(const IndexFn& index, const json& args, agent::ToolContext& ctx) {
  const std::string name = args.value("name", "");
  if (name.empty()) return makeError(ErrorCode::InvalidParams, "references: 'name' must not be empty");
  const bool withDefinitions = args.value("includeDefinitions", true);
  const auto limit = static_cast<std::size_t>(intArg(args, "limit", 200, 1, 2000));
  auto idx = index(ctx.cancel);
  if (!idx) return idx.error();
  struct Hit {
    std::string path;
    std::uint32_t line, column;
    std::string what;
  };
  std::vector<Hit> hits;
  for (const auto& f : (*idx)->files()) {
    if (withDefinitions)
      for (const auto& d : f.symbols.definitions)
        if (d.name == name) hits.push_back({f.path, d.nameSpan.start.row + 1, d.nameSpan.start.column + 1, "definition (" + std::string(analysis::symbolKindName(d.kind)) + ")"});
    for (const auto& imp : f.symbols.imports)
      for (const auto& n : imp.names)
        if (n.name == name || n.alias == name) hits.push_back({f.path, n.span.start.row + 1, n.span.start.column + 1, "import from " + imp.module});
    for (const auto& r : f.symbols.references)
      if (r.name == name) hits.push_back({f.path, r.span.start.row + 1, r.span.start.column + 1, "use (" + std::string(analysis::referenceKindName(r.kind)) + ")"});
  }
  agent::ToolOutput out;
  out.data = {{"name", name}, {"locations", json::array()}, {"total", hits.size()}};
  for (std::size_t i = 0; i < hits.size() && i < limit; ++i) {
    const auto& h = hits[i];
    out.text += h.path + ":" + std::to_string(h.line) + ":" + std::to_string(h.column) + ": " + h.what + "\n";
    out.data["locations"].push_back({{"path", h.path}, {"line", h.line}, {"column", h.column}, {"what", h.what}});
  }
  if (hits.empty()) out.text = "no definition or use of '" + name + "' in the project (matching is by name)\n";
  else if (hits.size() > limit) out.text += "(" + std::to_string(hits.size() - limit) + " more; raise 'limit')\n";
  return out;
}

Expected<agent::ToolOutput> check(const IndexFn& index, const json& args, agent::ToolContext& ctx) {
  const std::string under = args.value("path", "");
  auto idx = index(ctx.cancel);
  if (!idx) return idx.error();
  std::size_t errors = 0, shown = 0;
  agent::ToolOutput out;
  out.data = {{"diagnostics", json::array()}};
  for (const auto& d : analysis::checkProject(**idx)) {
    if (!under.empty() && d.path != under && d.path.rfind(under.back() == '/' ? under : under + "/", 0) != 0) continue;
    const bool error = d.severity == analysis::Diagnostic::Severity::Error;
    errors += error;
    ++shown;
    out.text += d.path + ":" + std::to_string(d.span.start.row + 1) + ":" + std::to_string(d.span.start.column + 1) + ": " +
                (error ? "error" : "warning") + ": " + d.message + " [" + d.code + "]\n";
    json related = json::array();
    for (const auto& r : d.related) {
      out.text += r.path + ":" + std::to_string(r.span.start.row + 1) + ": note: " + r.message + "\n";
      related.push_back({{"path", r.path}, {"line", r.span.start.row + 1}, {"message", r.message}});
    }
    out.data["diagnostics"].push_back({{"path", d.path},
                                       {"line", d.span.start.row + 1},
                                       {"column", d.span.start.column + 1},
                                       {"severity", error ? "error" : "warning"},
                                       {"code", d.code},
                                       {"message", d.message},
                                       {"related", related}});
  }
  out.text += std::to_string((*idx)->files().size()) + " files checked: " + std::to_string(errors) + " error" + (errors == 1 ? "" : "s") +
              (shown > errors ? ", " + std::to_string(shown - errors) + " warnings" : "") + "\n";
  cap(out.text);
  out.data["errors"] = errors;
  out.isError = false;  // problems in the user's code are the result, not the tool failing
  return out;
}

using StoreFn = std::function<Expected<workspace::CheckpointStore>()>;

Expected<agent::ToolOutput> checkpointsList(const StoreFn& open, const json& args, agent::ToolContext&) {
  agent::ToolOutput out;
  out.data = {{"checkpoints", json::array()}};
  auto store = open();
  if (!store) {
    if (store.error().code != ErrorCode::RequestFailed) return store.error();
    out.text = store.error().message + "\n";
    return out;
  }
  auto all = store->list();
  if (!all) return all.error();
  const auto limit = static_cast<std::size_t>(intArg(args, "limit", 20, 1, 500));
  for (std::size_t i = 0; i < all->size() && i < limit; ++i) {
    const auto& c = (*all)[i];
    std::string meta;
    for (const auto& [k, v] : c.metadata) meta += (meta.empty() ? "" : ", ") + k + "=" + v;
    out.text += "#" + std::to_string(c.seq) + " " + c.id.substr(0, 12) + " " + iso(c.timeMs) + " " + std::to_string(c.filesChanged) +
                " changed: " + c.message + (meta.empty() ? "" : " [" + meta + "]") + "\n";
    out.data["checkpoints"].push_back({{"seq", c.seq}, {"id", c.id}, {"time", iso(c.timeMs)}, {"message", c.message},
                                       {"metadata", c.metadata}, {"filesChanged", c.filesChanged}, {"files", c.files}});
  }
  if (all->empty()) out.text = "no checkpoints yet\n";
  return out;
}

Expected<agent::ToolOutput> checkpointsDiff(const StoreFn& open, const json& args, agent::ToolContext&) {
  auto store = open();
  if (!store) return store.error();
  workspace::DiffOptions options;
  options.paths = strings(args, "paths");
  options.patch = !args.value("stat", false);
  auto d = store->diff(args.value("from", std::string("latest")), args.value("to", std::string()), options);
  if (!d) return d.error();
  agent::ToolOutput out;
  json files = json::array();
  for (const auto& f : d->files) {
    files.push_back({{"path", f.path}, {"status", std::string(1, f.status)}, {"additions", f.additions}, {"deletions", f.deletions}, {"binary", f.binary}});
    if (!options.patch) out.text += std::string(1, f.status) + " " + f.path + " +" + std::to_string(f.additions) + " -" + std::to_string(f.deletions) + "\n";
  }
  if (options.patch) out.text = d->patch;
  if (d->files.empty()) out.text = "no differences between " + d->fromLabel + " and " + d->toLabel + "\n";
  cap(out.text);
  out.data = {{"from", d->fromLabel}, {"to", d->toLabel}, {"files", files}, {"additions", d->additions}, {"deletions", d->deletions}};
  return out;
}

}  // namespace

void addAnalysisTools(agent::ToolRegistry& registry, FaceProject project) {
  const security::ToolNeeds reads{.readsFiles = true};
  auto index = project.index;
  registry.add({"repo_map",
                "The project's most important definitions with their signatures, ranked by how much the rest of the code uses "
                "them (PageRank over the reference graph), within a token budget. Start here to learn a codebase.",
                object({{"tokens", {{"type", "integer"}, {"description", "token budget (default 1024, at most 16384)"}}},
                        {"focus", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "files (relative paths) to rank toward"}}},
                        {"names", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "identifiers the task mentions"}}}},
                       {}),
                reads},
               [index](const json& a, agent::ToolContext& c) { return repoMap(index, a, c); });
  registry.add({"find_symbol",
                "Find definitions (functions, classes, methods, types …) by name across the project: exact matches first, then "
                "prefix, substring and fuzzy matches. Returns file:line, kind and signature.",
                object({{"query", {{"type", "string"}}},
                        {"kind", {{"type", "string"}, {"description", "only this kind: function, method, class, interface, struct, enum, type, constant, variable, …"}}},
                        {"limit", {{"type", "integer"}, {"description", "default 20"}}}},
                       {"query"}),
                reads},
               [index](const json& a, agent::ToolContext& c) { return findSymbol(index, a, c); });
  registry.add({"references",
                "Every definition, import and use of a name across the project (matched by name, as an editor's "
                "'find references' without type information would).",
                object({{"name", {{"type", "string"}}},
                        {"includeDefinitions", {{"type", "boolean"}, {"description", "default true"}}},
                        {"limit", {{"type", "integer"}, {"description", "default 200"}}}},
                       {"name"}),
                reads},
               [index](const json& a, agent::ToolContext& c) { return references(index, a, c); });
  registry.add({"check",
                "Consistency diagnostics across files: imports of project modules that do not resolve, and imported names the "
                "target does not define or export. Third-party and standard-library imports are never errors.",
                object({{"path", {{"type", "string"}, {"description", "only diagnostics in this file or folder (relative)"}}}}, {}),
                reads},
               [index](const json& a, agent::ToolContext& c) { return check(index, a, c); });
  if (!project.checkpoints) return;
  auto open = project.checkpoints;
  registry.add({"checkpoints_list",
                "cadre's checkpoints of this project (snapshots taken per agent step and on request), newest first.",
                object({{"limit", {{"type", "integer"}, {"description", "default 20"}}}}, {}), reads},
               [open](const json& a, agent::ToolContext& c) { return checkpointsList(open, a, c); });
  registry.add({"checkpoints_diff",
                "A unified diff between two checkpoints, or between a checkpoint and the files as they are now.",
                object({{"from", {{"type", "string"}, {"description", "checkpoint: latest, latest~N, a number or an id prefix (default latest)"}}},
                        {"to", {{"type", "string"}, {"description", "checkpoint to compare with (default: the files now)"}}},
                        {"paths", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "only these files or folders"}}},
                        {"stat", {{"type", "boolean"}, {"description", "per-file counts instead of the patch"}}}},
                       {}),
                reads},
               [open](const json& a, agent::ToolContext& c) { return checkpointsDiff(open, a, c); });
}

}  // namespace cadre::mcp
