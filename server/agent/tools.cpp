// The built-in tools. They are thin on purpose: paths, listings and
// processes come from the Gate; the tools only shape arguments and output.
#include "server/agent/tools.hpp"

#include "server/agent/processes.hpp"
#include "server/agent/shadow_exec.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/analysis/ignore.hpp"
#include "server/workspace/lint_runner.hpp"
#include "support/files.hpp"

namespace cadre::agent {
namespace fs = std::filesystem;

namespace {

// Output a model reads is capped: a huge answer costs its whole context.
constexpr std::size_t kMaxSearchMatches = 200;
constexpr std::size_t kMaxSearchFiles = 20000;
constexpr std::uint64_t kMaxSearchFileBytes = 1u << 20;

nlohmann::json object(std::initializer_list<std::pair<const std::string, nlohmann::json>> props,
                      std::vector<std::string> required) {
  nlohmann::json p = nlohmann::json::object();
  for (auto& [k, v] : props) p[k] = v;
  return {{"type", "object"}, {"properties", p}, {"required", required}, {"additionalProperties", false}};
}

std::string str(const nlohmann::json& args, const char* key, std::string fallback = {}) {
  auto it = args.find(key);
  return it != args.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Expected<ToolOutput> readFileTool(const nlohmann::json& args, ToolContext& ctx) {
  const std::string path = str(args, "path");
  Expected<std::string> text = makeError(ErrorCode::InternalError, "");
  if (ctx.shadow) {
    auto c = ctx.gate.authorizePath(ctx.actor, path, security::PathAccess::Read, {}, ctx.cancel);
    if (!c) return c.error();
    text = ctx.shadow->read(c->canonical);
  } else {
    text = ctx.gate.readFile(ctx.actor, path, ctx.cancel);
  }
  if (!text) return text.error();
  ToolOutput out;
  out.text = *text;
  out.data = {{"path", path}, {"bytes", text->size()}};
  return out;
}

Expected<ToolOutput> listFilesTool(const nlohmann::json& args, ToolContext& ctx) {
  const std::string path = str(args, "path", ".");
  auto listing = ctx.gate.listDirectory(ctx.actor, path, ctx.cancel);
  if (!listing) return listing.error();
  if (ctx.shadow) {
    // The task's own creations and deletions in this directory.
    auto dir = ctx.gate.authorizePath(ctx.actor, path, security::PathAccess::List, {}, ctx.cancel);
    if (!dir) return dir.error();
    for (const auto& c : ctx.shadow->changes()) {
      if (c.path.parent_path() != dir->canonical) continue;
      const std::string name = c.path.filename().string();
      auto& entries = listing->entries;
      auto it = std::find_if(entries.begin(), entries.end(), [&](const security::DirEntry& e) { return e.name == name; });
      if (!c.content && it != entries.end()) entries.erase(it);
      if (c.content && it == entries.end()) entries.push_back({name, false, c.content->size()});
    }
    std::sort(listing->entries.begin(), listing->entries.end(),
              [](const security::DirEntry& a, const security::DirEntry& b) { return a.name < b.name; });
  }
  ToolOutput out;
  out.data = {{"path", path}, {"entries", nlohmann::json::array()}, {"hidden", listing->hidden}};
  for (const auto& e : listing->entries) {
    out.text += e.name + (e.directory ? "/" : "") + "\n";
    out.data["entries"].push_back({{"name", e.name}, {"directory", e.directory}, {"size", e.size}});
  }
  if (listing->hidden)
    out.text += "(" + std::to_string(listing->hidden) + " deny-listed entr" + (listing->hidden == 1 ? "y" : "ies") +
                " not shown)\n";
  return out;
}

// A plain substring search over the text files of the roots, honouring
// .gitignore, skipping what the policy hides.
Expected<ToolOutput> searchFilesTool(const nlohmann::json& args, ToolContext& ctx) {
  const std::string needle = str(args, "query");
  if (needle.empty()) return makeError(ErrorCode::InvalidParams, "search_files: 'query' must not be empty");
  const std::string under = str(args, "path", ".");
  auto start = ctx.gate.authorizePath(ctx.actor, under, security::PathAccess::List, {}, ctx.cancel);
  if (!start) return start.error();
  auto root = ctx.gate.policy().rootOf(start->canonical).value_or(start->canonical);

  ToolOutput out;
  out.data = {{"query", needle}, {"matches", nlohmann::json::array()}};
  std::size_t files = 0, matches = 0;
  bool truncated = false;
  analysis::IgnoreRules ignore;
  auto loadIgnore = [&](const fs::path& dir) {
    std::string text;
    if (readWholeFile(dir / ".gitignore", text)) {
      std::string base = dir.lexically_relative(root).generic_string();
      ignore.add(base == "." ? "" : base, text);
    }
  };
  for (fs::path d = start->canonical;; d = d.parent_path()) {
    loadIgnore(d);
    if (d == root || d == d.parent_path()) break;
  }
  std::error_code ec;
  fs::recursive_directory_iterator it(start->canonical, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end && !truncated; it.increment(ec)) {
    if (ctx.cancel && ctx.cancel->load()) return makeError(ErrorCode::RequestCancelled, "search cancelled");
    const fs::path& p = it->path();
    const std::string rel = p.lexically_relative(root).generic_string();
    std::error_code e2;
    const bool dir = it->is_directory(e2);
    if (p.filename() == ".git" || ignore.ignored(rel, dir) || !ctx.gate.visible(p)) {
      if (dir) it.disable_recursion_pending();
      continue;
    }
    if (dir) {
      loadIgnore(p);
      continue;
    }
    if (!it->is_regular_file(e2) || it->file_size(e2) > kMaxSearchFileBytes) continue;
    if (++files > kMaxSearchFiles) {
      truncated = true;
      break;
    }
    std::string shadowText;
    if (ctx.shadow && ctx.shadow->read(p)) shadowText = *ctx.shadow->read(p);
    else if (ctx.shadow && !ctx.shadow->exists(p)) continue;  // deleted in this task
    std::ifstream file(p, std::ios::binary);
    std::istringstream fromShadow(shadowText);
    std::istream& in = ctx.shadow ? static_cast<std::istream&>(fromShadow) : static_cast<std::istream&>(file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find('\0') != std::string::npos) break;  // binary
      if (line.find(needle) == std::string::npos) continue;
      if (++matches > kMaxSearchMatches) {
        truncated = true;
        break;
      }
      out.text += rel + ":" + std::to_string(n) + ": " + line.substr(0, 300) + "\n";
      out.data["matches"].push_back({{"path", rel}, {"line", n}, {"text", line.substr(0, 300)}});
    }
  }
  // Files the task created exist only in its shadow.
  if (ctx.shadow) {
    for (const auto& c : ctx.shadow->changes()) {
      if (c.base || !c.content || truncated) continue;
      const std::string rel = c.path.lexically_relative(root).generic_string();
      if (rel.rfind("..", 0) == 0 || (start->canonical != root && c.path.lexically_relative(start->canonical).generic_string().rfind("..", 0) == 0))
        continue;
      std::istringstream in(*c.content);
      std::string line;
      for (int n = 1; std::getline(in, line) && !truncated; ++n) {
        if (line.find(needle) == std::string::npos) continue;
        if (++matches > kMaxSearchMatches) truncated = true;
        else {
          out.text += rel + ":" + std::to_string(n) + ": " + line.substr(0, 300) + "\n";
          out.data["matches"].push_back({{"path", rel}, {"line", n}, {"text", line.substr(0, 300)}});
        }
      }
    }
  }
  if (truncated) out.text += "(more matches not shown; narrow the query or the path)\n";
  if (out.data["matches"].empty()) out.text = "no matches\n";
  out.data["truncated"] = truncated;
  return out;
}

}  // namespace

Expected<std::string> cwdInTree(const workspace::ShadowWorkspace& shadow, const fs::path& tree, const security::PathPolicy& policy,
                                const std::string& cwd) {
  auto resolved = security::resolvePath(cwd.empty() ? "." : cwd, policy.roots().front());
  if (!resolved) return makeError(ErrorCode::InvalidParams, "invalid working directory '" + cwd + "'");
  for (std::size_t i = 0; i < shadow.roots().size(); ++i) {
    auto rel = resolved->lexically_relative(shadow.roots()[i]);
    if (!rel.empty() && rel.native().rfind("..", 0) != 0) return (shadow.materializedRoot(tree, i) / rel).lexically_normal().string();
  }
  return cwd;
}

Expected<security::SandboxResult> runInShadow(ToolContext& ctx, security::CommandRequest req) {
  req.writablePaths = ctx.writablePaths;
  // With pending edits, the command runs in the task's materialized shadow
  // (read-only: its unchanged files are hard links to the user's).
  if (ctx.shadow && !ctx.shadow->empty() && !ctx.shadowDir.empty()) {
    const auto& policy = ctx.gate.policy();
    const fs::path tree = ctx.shadowDir / "tree";
    auto stats = ctx.shadow->materialize(tree, [&](std::string_view rel) {
      return policy.deniedBy(policy.roots().front() / fs::path(rel)).has_value();
    });
    if (!stats) return stats.error();
    auto cwd = cwdInTree(*ctx.shadow, tree, policy, req.cwd);
    if (!cwd) return cwd.error();
    req.cwd = *cwd;
    req.readOnlyPaths.push_back(tree.string());
  }
  return ctx.gate.runCommand(ctx.actor, req, ctx.cancel);
}

namespace {

Expected<ToolOutput> runCommandTool(const nlohmann::json& args, ToolContext& ctx) {
  security::CommandRequest req;
  req.line = str(args, "command");
  req.cwd = str(args, "cwd");
  req.why = str(args, "why");
  req.network = args.value("network", false);
  if (auto t = args.find("timeoutSeconds"); t != args.end() && t->is_number()) req.timeoutMs = t->get<int>() * 1000;
  auto r = runInShadow(ctx, std::move(req));
  if (!r) return r.error();
  ToolOutput out;
  out.isError = r->exitCode != 0;
  out.text = r->stdoutData;
  if (!r->stderrData.empty()) out.text += (out.text.empty() ? "" : "\n") + std::string("[stderr]\n") + r->stderrData;
  out.text += "\n[exit code " + std::to_string(r->exitCode) + (r->timedOut ? ", timed out" : "") +
              (r->limitHit.empty() ? "" : ", limit hit: " + r->limitHit) + (r->outputTruncated ? ", output truncated" : "") +
              (r->sandboxed ? "" : ", UNSANDBOXED") + "]\n";
  out.data = {{"exitCode", r->exitCode},  {"stdout", r->stdoutData},   {"stderr", r->stderrData},
              {"timedOut", r->timedOut},  {"limitHit", r->limitHit},   {"sandboxed", r->sandboxed},
              {"wallMs", r->wallMs},      {"outputTruncated", r->outputTruncated}};
  return out;
}

Expected<workspace::ShadowWorkspace*> shadowOf(ToolContext& ctx, const char* tool) {
  if (!ctx.shadow)
    return makeError(ErrorCode::InvalidRequest, std::string(tool) +
                                                    " edits a task's shadow workspace, and this call has none; "
                                                    "the user's files are only changed by an approved apply");
  return ctx.shadow;
}

Expected<fs::path> writablePath(ToolContext& ctx, const std::string& path) {
  auto c = ctx.gate.authorizePath(ctx.actor, path, security::PathAccess::Write, {}, ctx.cancel);
  if (!c) return c.error();
  if (!ctx.editOnly.empty() && std::find(ctx.editOnly.begin(), ctx.editOnly.end(), c->canonical) == ctx.editOnly.end()) {
    std::string allowed;
    for (const auto& p : ctx.editOnly) allowed += (allowed.empty() ? "" : ", ") + p.filename().string();
    return makeError(ErrorCode::Unauthorized, "this task may only edit the files the user chose (" + allowed + "), not " + path);
  }
  return c->canonical;
}

ToolOutput diffOutput(workspace::ShadowWorkspace& shadow, const std::vector<fs::path>& touched) {
  ToolOutput out;
  out.data = {{"files", nlohmann::json::array()}};
  for (const auto& c : shadow.changes()) {
    if (std::find(touched.begin(), touched.end(), c.path) == touched.end()) continue;
    const std::string rel = shadow.relativeName(c.path);
    out.text += workspace::unifiedDiff(rel, c.base.value_or(""), c.content.value_or(""), c.base.has_value(), c.content.has_value());
    out.data["files"].push_back({{"path", rel}, {"change", workspace::toString(c.kind)}});
  }
  if (out.text.empty()) out.text = "no change (the file already had this content)\n";
  return out;
}

Expected<ToolOutput> writeFileTool(const nlohmann::json& args, ToolContext& ctx) {
  auto shadow = shadowOf(ctx, "write_file");
  if (!shadow) return shadow.error();
  auto path = writablePath(ctx, str(args, "path"));
  if (!path) return path.error();
  if (auto ok = (*shadow)->write(*path, str(args, "content")); !ok) return ok.error();
  return diffOutput(**shadow, {*path});
}

Expected<ToolOutput> deleteFileTool(const nlohmann::json& args, ToolContext& ctx) {
  auto shadow = shadowOf(ctx, "delete_file");
  if (!shadow) return shadow.error();
  auto path = writablePath(ctx, str(args, "path"));
  if (!path) return path.error();
  if (auto ok = (*shadow)->remove(*path); !ok) return ok.error();
  return diffOutput(**shadow, {*path});
}

Expected<ToolOutput> renameFileTool(const nlohmann::json& args, ToolContext& ctx) {
  auto shadow = shadowOf(ctx, "rename_file");
  if (!shadow) return shadow.error();
  auto from = writablePath(ctx, str(args, "from"));
  if (!from) return from.error();
  auto to = writablePath(ctx, str(args, "to"));
  if (!to) return to.error();
  if (auto ok = (*shadow)->rename(*from, *to); !ok) return ok.error();
  return diffOutput(**shadow, {*from, *to});
}

Expected<ToolOutput> editFileTool(const nlohmann::json& args, ToolContext& ctx) {
  auto shadow = shadowOf(ctx, "edit_file");
  if (!shadow) return shadow.error();
  auto edits = workspace::parseEdits(str(args, "edits"));
  if (!edits) return edits.error();
  const fs::path base = ctx.gate.policy().roots().front();
  // Every path the batch touches is checked before any of it is applied.
  for (auto& e : *edits) {
    for (std::string* p : {&e.path, &e.fromPath}) {
      if (p->empty()) continue;
      auto c = writablePath(ctx, *p);
      if (!c) return c.error();
      *p = c->lexically_relative(base).generic_string();
    }
  }
  auto touched = (*shadow)->applyEdits(*edits, base);
  if (!touched) return touched.error();
  return diffOutput(**shadow, *touched);
}

Expected<ToolOutput> lintChangesTool(const nlohmann::json&, ToolContext& ctx) {
  auto shadow = shadowOf(ctx, "check");
  if (!shadow) return shadow.error();
  auto report = workspace::lintChanges(ctx.gate, ctx.actor, **shadow, ctx.shadowDir, ctx.linters, ctx.cancel);
  if (!report) return report.error();
  if (ctx.consistency) {
    for (auto& d : ctx.consistency(**shadow)) report->introduced.push_back(std::move(d));
    report->ran.push_back("cadre-check");
  }
  ToolOutput out;
  out.data = {{"introduced", nlohmann::json::array()}, {"ran", report->ran}, {"problems", report->problems}};
  for (const auto& d : report->introduced) {
    out.text += d.path + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.severity + ": " + d.message +
                (d.code.empty() ? "" : " [" + d.code + "]") + " (" + d.source + ")\n";
    out.data["introduced"].push_back({{"path", d.path}, {"line", d.line}, {"column", d.column}, {"severity", d.severity},
                                      {"code", d.code}, {"message", d.message}, {"source", d.source}});
  }
  if (report->ran.empty()) out.text = "no linter applies to the changed files\n";
  else if (report->introduced.empty()) out.text = "the change introduced no problems (" + std::to_string(report->ran.size()) + " linters ran)\n";
  for (const auto& p : report->problems) out.text += "note: " + p + "\n";
  out.isError = !report->introduced.empty();
  return out;
}

}  // namespace

void ToolRegistry::add(ToolSpec spec, ToolFn fn) {
  specs_.push_back(std::move(spec));
  fns_.push_back(std::move(fn));
}

void ToolRegistry::addAlias(std::string alias, std::string name) { aliases_.emplace_back(std::move(alias), std::move(name)); }

std::string_view ToolRegistry::resolve(std::string_view name) const {
  for (const auto& [alias, target] : aliases_)
    if (alias == name) return target;
  return name;
}

const ToolSpec* ToolRegistry::find(std::string_view name) const {
  name = resolve(name);
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

ToolRegistry ToolRegistry::only(const std::vector<std::string>& names) const {
  ToolRegistry out;
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (std::find(names.begin(), names.end(), specs_[i].name) != names.end()) out.add(specs_[i], fns_[i]);
  return out;
}

Expected<ToolOutput> ToolRegistry::call(std::string_view name, const nlohmann::json& args, ToolContext& ctx) const {
  name = resolve(name);
  auto it = std::find_if(specs_.begin(), specs_.end(), [&](const ToolSpec& s) { return s.name == name; });
  if (it == specs_.end()) return makeError(ErrorCode::MethodNotFound, "no tool named '" + std::string(name) + "'");
  const ToolSpec& spec = *it;
  if (!args.is_object()) return makeError(ErrorCode::InvalidParams, spec.name + ": arguments must be an object");
  // Schemas may come from outside (MCP servers): anything this check does
  // not understand is left to the tool, never a reason to throw.
  const nlohmann::json& schema = spec.inputSchema;
  if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
    for (const auto& r : *req) {
      if (!r.is_string()) continue;
      auto field = r.get<std::string>();
      if (!args.contains(field)) return makeError(ErrorCode::InvalidParams, spec.name + ": missing argument '" + field + "'");
    }
  }
  const auto propsIt = schema.find("properties");
  const nlohmann::json props = propsIt != schema.end() && propsIt->is_object() ? *propsIt : nlohmann::json::object();
  const auto extra = schema.find("additionalProperties");
  const bool closed = extra != schema.end() && extra->is_boolean() && !extra->get<bool>();
  auto fitsType = [](const std::string& type, const nlohmann::json& value) {
    return (type == "string" && value.is_string()) || (type == "boolean" && value.is_boolean()) ||
           (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number()) ||
           (type == "array" && value.is_array()) || (type == "object" && value.is_object()) ||
           (type == "null" && value.is_null());
  };
  for (const auto& [key, value] : args.items()) {
    auto prop = props.find(key);
    if (prop == props.end()) {
      if (closed) return makeError(ErrorCode::InvalidParams, spec.name + ": unknown argument '" + key + "'");
      continue;
    }
    if (!prop->is_object()) continue;
    auto type = prop->find("type");
    if (type == prop->end()) continue;
    bool fits = true;
    std::string expected;
    if (type->is_string()) {
      expected = type->get<std::string>();
      fits = fitsType(expected, value);
    } else if (type->is_array()) {
      fits = false;
      for (const auto& t : *type) {
        if (!t.is_string()) continue;
        expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
        fits = fits || fitsType(t.get<std::string>(), value);
      }
    }
    if (!fits) return makeError(ErrorCode::InvalidParams, spec.name + ": argument '" + key + "' must be a " + expected);
  }
  Expected<ToolOutput> out = [&]() -> Expected<ToolOutput> {
    if (auto ok = ctx.gate.authorizeTool(ctx.actor, spec.name, spec.needs); !ok) return ok.error();
    auto result = fns_[static_cast<std::size_t>(it - specs_.begin())](args, ctx);
    // Processes watching the shadow (a test watcher) see each edit as it lands.
    if (result && spec.needs.writesShadow && ctx.processes && ctx.shadow) ctx.processes->syncTree(*ctx.shadow, ctx.gate.policy());
    return result;
  }();
  nlohmann::json entry = {{"tool", spec.name}, {"actor", ctx.actor.isModel() ? "model" : "user"},
                          {"arguments", args},  {"ok", out.ok()}};
  if (ctx.actor.isModel()) entry["model"] = ctx.actor.model;
  if (!ctx.actor.role.empty()) entry["role"] = ctx.actor.role;
  if (out) entry["isError"] = out->isError;
  else entry["error"] = out.error().message;
  ctx.gate.record("tool_call", std::move(entry));
  return out;
}

ToolRegistry builtinTools() {
  ToolRegistry r;
  r.add({"read_file", "Read a text file of the workspace.",
         object({{"path", {{"type", "string"}, {"description", "path relative to the workspace root"}}}}, {"path"}),
         {.readsFiles = true}},
        readFileTool);
  r.add({"list_files", "List a directory of the workspace.",
         object({{"path", {{"type", "string"}, {"description", "directory, default the workspace root"}}}}, {}),
         {.readsFiles = true}},
        listFilesTool);
  r.add({"search_files", "Find lines containing a string in the workspace's files (honours .gitignore).",
         object({{"query", {{"type", "string"}}}, {"path", {{"type", "string"}, {"description", "directory to search"}}}},
                {"query"}),
         {.readsFiles = true}},
        searchFilesTool);
  r.add({"run_command",
         "Run a shell command (bash) in the sandbox: the workspace is read-only, the task's shadow workspace "
         "writable, no network unless asked for and approved. The user approves each command.",
         object({{"command", {{"type", "string"}}},
                 {"cwd", {{"type", "string"}}},
                 {"why", {{"type", "string"}, {"description", "shown to the user in the approval prompt"}}},
                 {"network", {{"type", "boolean"}}},
                 {"timeoutSeconds", {{"type", "integer"}}}},
                {"command"}),
         {.runsProcess = true}},
        runCommandTool);
  r.add({"write_file", "Create or overwrite a file in the task's shadow workspace (the user's file changes only on an approved apply).",
         object({{"path", {{"type", "string"}}}, {"content", {{"type", "string"}}}}, {"path", "content"}),
         {.writesShadow = true}},
        writeFileTool);
  r.add({"edit_file",
         "Edit files in the task's shadow workspace with SEARCH/REPLACE blocks (a path line, <<<<<<< SEARCH, the exact "
         "lines, =======, the new lines, >>>>>>> REPLACE) or a unified diff. All edits apply or none; a failure names the "
         "block and shows the closest match.",
         object({{"edits", {{"type", "string"}}}}, {"edits"}), {.writesShadow = true}},
        editFileTool);
  r.add({"delete_file", "Delete a file in the task's shadow workspace.", object({{"path", {{"type", "string"}}}}, {"path"}),
         {.writesShadow = true}},
        deleteFileTool);
  r.add({"rename_file", "Rename or move a file in the task's shadow workspace.",
         object({{"from", {{"type", "string"}}}, {"to", {{"type", "string"}}}}, {"from", "to"}), {.writesShadow = true}},
        renameFileTool);
  r.add({"check",
         "Check the task's changes: cadre's consistency checks (imports that stop resolving, names that no longer exist) "
         "and the project's linters on the changed files, reporting only the problems the change introduced.",
         object({}, {}), {.readsFiles = true}},
        lintChangesTool);
  r.addAlias("lint_changes", "check");  // its first name, still used by clients and transcripts
  addAnalysisTools(r);
  addTestTools(r);
  addProcessTools(r);
  return r;
}

}  // namespace cadre::agent
