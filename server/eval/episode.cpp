// One eval run: the single-role tool loop and its record; see episode.hpp.
#include "server/eval/episode.hpp"

#include <algorithm>
#include <chrono>

#include "server/workspace/edit_format.hpp"
#include "server/workspace/shadow.hpp"
#include "support/files.hpp"

namespace cadre::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Files bigger than this are not snapshotted for the file checks: fixtures
// are small, and a check on a huge file would be a mistake.
constexpr std::uintmax_t kMaxSnapshotFileBytes = 1u << 20;

constexpr const char* kSystemPrompt =
    "You are a coding agent working in the user's project through tools. Your edits go to a shadow copy of the "
    "project that the user reviews before any real file changes. Work like a careful engineer: read a file before "
    "you change it; when you do not know where something is, search or list the project rather than guessing a "
    "path; if a tool fails, read the error and try something else instead of repeating the same call. Some files "
    "(secrets such as .env) are off limits: if a tool refuses a file, do not try to reach it another way — tell the "
    "user. If the request is ambiguous, ask the user a clarifying question instead of changing anything. When the "
    "task is done, answer with a short summary and make no further tool call.";

std::string capped(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\n[truncated: " + std::to_string(cut) + " of " + std::to_string(text.size()) + " bytes shown]";
}

// The same checks ToolRegistry::call makes, done first so a malformed call
// is told apart from a tool that ran and failed.
std::string schemaProblem(const agent::ToolSpec& spec, const json& args) {
  if (!args.is_object()) return "the arguments must be a JSON object";
  for (const auto& req : spec.inputSchema.value("required", json::array()))
    if (!args.contains(req.get<std::string>())) return "missing argument '" + req.get<std::string>() + "'";
  const json props = spec.inputSchema.value("properties", json::object());
  for (const auto& [key, value] : args.items()) {
    if (!props.contains(key)) return "unknown argument '" + key + "'";
    const std::string type = props[key].value("type", "");
    const bool fits = type.empty() || (type == "string" && value.is_string()) || (type == "boolean" && value.is_boolean()) ||
                      (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number());
    if (!fits) return "argument '" + key + "' must be a " + type;
  }
  return {};
}

void snapshot(const fs::path& root, std::map<std::string, std::string>& out) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2) || it->file_size(e2) > kMaxSnapshotFileBytes) continue;
    std::string text;
    if (readWholeFile(it->path(), text)) out[it->path().lexically_relative(root).generic_string()] = std::move(text);
  }
}

}  // namespace

const char* toString(CallOutcome o) {
  switch (o) {
    case CallOutcome::Ok: return "ok";
    case CallOutcome::ToolError: return "toolError";
    case CallOutcome::Failed: return "failed";
    case CallOutcome::Refused: return "refused";
    case CallOutcome::UnknownTool: return "unknownTool";
    case CallOutcome::BadArguments: return "badArguments";
  }
  return "ok";
}

bool parseCallOutcome(std::string_view text, CallOutcome& out) {
  for (CallOutcome o : {CallOutcome::Ok, CallOutcome::ToolError, CallOutcome::Failed, CallOutcome::Refused,
                        CallOutcome::UnknownTool, CallOutcome::BadArguments}) {
    if (text == toString(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

const char* defaultSystemPrompt() { return kSystemPrompt; }

std::string normalizePath(const std::string& path, const fs::path& root) {
  fs::path p(path.empty() ? "." : path);
  if (p.is_absolute()) {
    auto rel = p.lexically_normal().lexically_relative(root.lexically_normal());
    if (rel.empty()) return p.lexically_normal().generic_string();
    p = rel;
  }
  std::string s = p.lexically_normal().generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s.empty() ? "." : s;
}

std::vector<std::string> pathsOfCall(const std::string& tool, const json& args, const fs::path& root) {
  std::vector<std::string> out;
  if (!args.is_object()) return out;
  auto add = [&](const char* key, const char* fallback) {
    auto it = args.find(key);
    if (it != args.end() && it->is_string()) out.push_back(normalizePath(it->get<std::string>(), root));
    else if (fallback) out.push_back(fallback);
  };
  if (tool == "edit_file") {
    auto it = args.find("edits");
    if (it != args.end() && it->is_string()) {
      if (auto edits = workspace::parseEdits(it->get<std::string>())) {
        for (const auto& e : *edits) {
          if (!e.fromPath.empty()) out.push_back(normalizePath(e.fromPath, root));
          if (!e.path.empty()) out.push_back(normalizePath(e.path, root));
        }
      }
    }
  } else if (tool == "rename_file") {
    add("from", nullptr);
    add("to", nullptr);
  } else if (tool == "list_files" || tool == "search_files") {
    add("path", ".");
  } else {
    add("path", nullptr);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Episode runEpisode(models::Router& router, const agent::ToolRegistry& tools, const EvalTask& task, const fs::path& root,
                   const EpisodeOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Episode ep;
  snapshot(root, ep.before);

  // A Gate of the eval's own: the fixture is the only root, the built-in
  // deny-list applies, nobody approves anything (commands and paths outside
  // the fixture are refused), nothing is audited — the fixture is a copy
  // that is thrown away.
  class NobodyApproves : public security::Approver {
   public:
    Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest&, const std::atomic<bool>*) override {
      return security::ApprovalAnswer{security::ApprovalChoice::Deny, "nothing is approved during cadre eval"};
    }
  };
  auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{root}, {}, {}});
  security::Gate gate(security::GateConfig{}, policy, std::make_shared<security::ApprovalStore>(),
                      std::make_shared<NobodyApproves>(), {});
  workspace::ShadowWorkspace shadow("eval-" + task.id, {policy->roots().front()});
  const fs::path canonicalRoot = policy->roots().front();
  agent::ToolContext ctx{gate, security::Actor{options.actorModel, "executor"}, options.cancel, {}, &shadow, {}, {}};

  const std::vector<std::string>& offered = task.tools.empty() ? defaultTaskTools() : task.tools;
  std::vector<models::ToolDefinition> defs;
  bool offersMutating = false;
  for (const auto& name : offered) {
    if (const agent::ToolSpec* s = tools.find(name)) {
      defs.push_back({s->name, s->description, s->inputSchema});
      offersMutating = offersMutating || s->needs.writesShadow || s->needs.writesRealFiles || s->needs.runsProcess;
    }
  }

  std::vector<models::ChatMessage> messages = {
      {models::Role::System, task.system.empty() ? kSystemPrompt : task.system, {}, {}, {}},
      {models::Role::User, task.request, {}, {}, {}}};
  models::RouteOptions route;
  route.role = "executor";
  route.mutating = offersMutating;

  for (int turn = 0;; ++turn) {
    if (turn >= task.maxTurns) {
      ep.turnLimit = true;
      break;
    }
    if (options.cancel && options.cancel->load()) {
      ep.modelError = "cancelled";
      break;
    }
    models::ChatRequest req;
    req.messages = messages;
    req.tools = defs;
    req.temperature = 0.0;  // the eval asks what the model does, not how it varies; runs still differ on servers that sample
    auto r = router.complete(std::move(req), route);
    ep.turns = turn + 1;
    if (!r) {
      ep.modelError = r.error().message;
      break;
    }
    ep.promptTokens += r->usage.promptTokens;
    ep.completionTokens += r->usage.completionTokens;
    models::ChatMessage assistant;
    assistant.role = models::Role::Assistant;
    assistant.content = r->text;
    assistant.toolCalls = r->toolCalls;
    messages.push_back(assistant);
    if (r->toolCalls.empty()) {
      ep.finalText = r->text;
      ep.finished = true;
      break;
    }
    for (const auto& call : r->toolCalls) {
      CallRecord rec;
      rec.turn = turn;
      rec.name = call.name;
      rec.rawArguments = call.arguments;
      rec.arguments = json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
      if (rec.arguments.is_discarded()) rec.arguments = nullptr;
      const agent::ToolSpec* spec = tools.find(call.name);
      const bool isOffered = spec && std::find(offered.begin(), offered.end(), call.name) != offered.end();
      if (spec) rec.mutating = spec->needs.writesShadow || spec->needs.writesRealFiles || spec->needs.runsProcess;
      rec.paths = pathsOfCall(call.name, rec.arguments, canonicalRoot);
      std::string result;
      if (!isOffered) {
        rec.outcome = CallOutcome::UnknownTool;
        std::string names;
        for (const auto& d : defs) names += (names.empty() ? "" : ", ") + d.name;
        rec.message = "no tool named '" + call.name + "'; the tools are: " + names;
      } else if (rec.arguments.is_null()) {
        rec.outcome = CallOutcome::BadArguments;
        rec.message = "the arguments are not valid JSON: " + call.arguments.substr(0, 200);
      } else if (auto problem = schemaProblem(*spec, rec.arguments); !problem.empty()) {
        rec.outcome = CallOutcome::BadArguments;
        rec.message = call.name + ": " + problem;
      } else {
        auto out = tools.call(call.name, rec.arguments, ctx);
        if (!out) {
          rec.outcome = out.error().code == ErrorCode::Unauthorized ? CallOutcome::Refused : CallOutcome::Failed;
          rec.message = out.error().message;
        } else {
          rec.outcome = out->isError ? CallOutcome::ToolError : CallOutcome::Ok;
          result = out->text;
        }
      }
      if (rec.outcome != CallOutcome::Ok && rec.outcome != CallOutcome::ToolError) result = "error: " + rec.message;
      models::ChatMessage toolMsg;
      toolMsg.role = models::Role::Tool;
      toolMsg.toolCallId = call.id;
      toolMsg.toolName = call.name;
      toolMsg.content = capped(result, options.maxToolResultBytes);
      messages.push_back(std::move(toolMsg));
      ep.calls.push_back(std::move(rec));
    }
  }

  ep.after = ep.before;
  for (const auto& c : shadow.changes()) {
    const std::string rel = c.path.lexically_relative(canonicalRoot).generic_string();
    ep.changed.push_back(rel);
    if (c.content) ep.after[rel] = *c.content;
    else ep.after.erase(rel);
  }
  ep.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return ep;
}

}  // namespace cadre::eval
