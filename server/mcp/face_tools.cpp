// See face_tools.hpp. Output is text for a model to read, with the same
// facts as JSON in ToolOutput::data (structuredContent on the wire).
#include "server/mcp/face_tools.hpp"

#include <ctime>

#include "server/analysis/check.hpp"
#include "server/agent/tool_args.hpp"

namespace cadre::mcp {

using json = nlohmann::json;
using agent::intArg;
using agent::objectSchema;

namespace {

// What a model reads from one call: more costs its whole context.
constexpr std::size_t kMaxText = 256 * 1024;

void cap(std::string& text) { agent::capText(text, kMaxText); }

std::string iso(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

using IndexFn = agent::IndexSource;

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
  options.paths = agent::stringsArg(args, "paths");
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
  registry.add({"check",
                "Consistency diagnostics across files: imports of project modules that do not resolve, and imported names the "
                "target does not define or export. Third-party and standard-library imports are never errors.",
                objectSchema({{"path", {{"type", "string"}, {"description", "only diagnostics in this file or folder (relative)"}}}}, {}),
                reads},
               [index](const json& a, agent::ToolContext& c) { return check(index, a, c); });
  if (!project.checkpoints) return;
  auto open = project.checkpoints;
  registry.add({"checkpoints_list",
                "cadre's checkpoints of this project (snapshots taken per agent step and on request), newest first.",
                objectSchema({{"limit", {{"type", "integer"}, {"description", "default 20"}}}}, {}), reads},
               [open](const json& a, agent::ToolContext& c) { return checkpointsList(open, a, c); });
  registry.add({"checkpoints_diff",
                "A unified diff between two checkpoints, or between a checkpoint and the files as they are now.",
                objectSchema({{"from", {{"type", "string"}, {"description", "checkpoint: latest, latest~N, a number or an id prefix (default latest)"}}},
                        {"to", {{"type", "string"}, {"description", "checkpoint to compare with (default: the files now)"}}},
                        {"paths", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "only these files or folders"}}},
                        {"stat", {{"type", "boolean"}, {"description", "per-file counts instead of the patch"}}}},
                       {}),
                reads},
               [open](const json& a, agent::ToolContext& c) { return checkpointsDiff(open, a, c); });
}

}  // namespace cadre::mcp
