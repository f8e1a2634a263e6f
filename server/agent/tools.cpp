// The built-in tools. They are thin on purpose: paths, listings and
// processes come from the Gate; the tools only shape arguments and output.
#include "server/agent/tools.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/analysis/ignore.hpp"
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
  auto text = ctx.gate.readFile(ctx.actor, path, ctx.cancel);
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
    std::ifstream in(p, std::ios::binary);
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
  if (truncated) out.text += "(more matches not shown; narrow the query or the path)\n";
  if (out.data["matches"].empty()) out.text = "no matches\n";
  out.data["truncated"] = truncated;
  return out;
}

Expected<ToolOutput> runCommandTool(const nlohmann::json& args, ToolContext& ctx) {
  security::CommandRequest req;
  req.line = str(args, "command");
  req.cwd = str(args, "cwd");
  req.why = str(args, "why");
  req.network = args.value("network", false);
  if (auto t = args.find("timeoutSeconds"); t != args.end() && t->is_number()) req.timeoutMs = t->get<int>() * 1000;
  req.writablePaths = ctx.writablePaths;
  auto r = ctx.gate.runCommand(ctx.actor, req, ctx.cancel);
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

}  // namespace

void ToolRegistry::add(ToolSpec spec, ToolFn fn) {
  specs_.push_back(std::move(spec));
  fns_.push_back(std::move(fn));
}

const ToolSpec* ToolRegistry::find(std::string_view name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

Expected<ToolOutput> ToolRegistry::call(std::string_view name, const nlohmann::json& args, ToolContext& ctx) const {
  auto it = std::find_if(specs_.begin(), specs_.end(), [&](const ToolSpec& s) { return s.name == name; });
  if (it == specs_.end()) return makeError(ErrorCode::MethodNotFound, "no tool named '" + std::string(name) + "'");
  const ToolSpec& spec = *it;
  if (!args.is_object()) return makeError(ErrorCode::InvalidParams, spec.name + ": arguments must be an object");
  for (const auto& req : spec.inputSchema.value("required", nlohmann::json::array())) {
    auto field = req.get<std::string>();
    if (!args.contains(field)) return makeError(ErrorCode::InvalidParams, spec.name + ": missing argument '" + field + "'");
  }
  for (const auto& [key, value] : args.items()) {
    auto props = spec.inputSchema.value("properties", nlohmann::json::object());
    if (!props.contains(key))
      return makeError(ErrorCode::InvalidParams, spec.name + ": unknown argument '" + key + "'");
    const std::string type = props[key].value("type", "");
    const bool fits = (type == "string" && value.is_string()) || (type == "boolean" && value.is_boolean()) ||
                      (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number()) ||
                      type.empty();
    if (!fits) return makeError(ErrorCode::InvalidParams, spec.name + ": argument '" + key + "' must be a " + type);
  }
  Expected<ToolOutput> out = [&]() -> Expected<ToolOutput> {
    if (auto ok = ctx.gate.authorizeTool(ctx.actor, spec.name, spec.needs); !ok) return ok.error();
    return fns_[static_cast<std::size_t>(it - specs_.begin())](args, ctx);
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
  return r;
}

}  // namespace cadre::agent
