// What each model is given to start with, within its window, and the
// compaction of conversations that outgrow it (context.hpp has the pure
// parts). The summary is asked of the executor's model through the router;
// when that fails, a deterministic digest stands in, so compaction never
// stops a task.
#include "server/agent/context.hpp"
#include "server/agent/task.hpp"

namespace cadre::agent {

using nlohmann::json;

namespace {

constexpr std::int64_t kDefaultWindow = 32768;  // ModelSpec's default contextTokens
constexpr const char* kSummarizerPrompt =
    "You compress a coding agent's working conversation so it can go on within its context window. Write a short, "
    "factual summary of the part below: what was read and learned (file names, key facts), what was changed and how, "
    "what failed and why, and what remains to do. Keep paths, names and error messages exact. No preamble.";

}  // namespace

std::int64_t TaskRunner::windowFor(const std::string& role) const {
  if (options_.contextTokens > 0) return options_.contextTokens;
  auto names = router_.roleModels(role);
  if (names.empty()) names = router_.roleModels("executor");
  for (const auto& m : router_.config().models)
    if (!names.empty() && m.name == names.front()) return m.contextTokens;
  return kDefaultWindow;
}

std::string TaskRunner::taskContext(const std::string& role) const {
  // Memory and map may take at most this share of the window each: the
  // conversation needs the rest.
  const std::int64_t window = windowFor(role);
  std::string context = "Task: " + options_.prompt + "\n";
  if (!options_.memory.empty())
    context += "\nProject memory (decisions taken before):\n" + fitToTokens(options_.memory, window / 8, "the memory") + "\n";
  if (!options_.repoMap.empty())
    context += "\nRepository map (most important definitions):\n" + fitToTokens(options_.repoMap, window / 5, "the map") + "\n";
  return context;
}

std::string TaskRunner::relevantFiles(const json& plan, std::int64_t tokens) {
  // The plan's files, read through the tools (deny-list and all) as the
  // executor would, so its first turns need not spend calls reading them.
  std::vector<std::string> files;
  for (const auto& step : plan.value("steps", json::array()))
    if (step.is_object())
      for (const auto& f : step.value("files", json::array()))
        if (f.is_string() && std::find(files.begin(), files.end(), f.get<std::string>()) == files.end())
          files.push_back(f.get<std::string>());
  std::string out;
  for (const auto& f : files) {
    if (tokens <= 0) break;
    // Only files inside the workspace and not deny-listed: anything else
    // would put an approval prompt or a refusal in front of the user.
    if (!context_.gate.policy().check(f, security::PathAccess::Read).ok()) continue;
    ToolContext ctx = context_;
    ctx.actor = security::Actor{"", "context"};
    auto r = tools_.call("read_file", {{"path", f}}, ctx);
    if (!r || r->isError) continue;  // absent (to be created) or refused: the executor finds out itself
    std::string body = fitToTokens(r->text, tokens, f);
    tokens -= estimateTokens(body) + 16;
    out += "\n--- " + f + "\n" + body;
  }
  return out.empty() ? out : "\n\nThe plan's files as they are now:" + out;
}

void TaskRunner::maybeCompact(Conversation& conv, const std::vector<models::ToolDefinition>& tools,
                              const std::atomic<bool>* cancel) {
  const std::int64_t window = windowFor(conv.role);
  const std::int64_t before = estimateTokens(conv.messages, tools);
  if (before <= static_cast<std::int64_t>(static_cast<double>(window) * options_.compactAt)) return;
  auto range = compactionRange(conv.messages, conv.pinned, options_.keepTurns);
  if (!range) return;
  auto [first, last] = *range;
  // The summarizer sees the span within half the window, each result capped.
  std::string span = fitToTokens(transcript(conv.messages, first, last, 2000), window / 2, "the transcript");
  models::ChatRequest req;
  req.messages = {{models::Role::System, kSummarizerPrompt, {}, {}, {}},
                  {models::Role::User, "Task: " + options_.prompt + "\n\nConversation to summarize:\n" + span, {}, {}, {}}};
  req.maxTokens = static_cast<int>(std::max<std::int64_t>(256, window / 8));
  models::RouteOptions route;
  route.role = "executor";
  std::string summary, by = "model";
  auto r = ask("compaction", conv.worker, std::move(req), route, cancel);
  if (r && !r->text.empty()) {
    summary = r->text + "\n";
  } else {
    by = "digest";
    summary = digest(conv.messages, first, last);
  }
  const std::size_t replaced = last - first;
  replaceWithSummary(conv.messages, first, last, fitToTokens(summary, window / 8, "the summary"), decisions());
  emit("compaction",
       {{"role", conv.role}, {"window", window}, {"beforeTokens", before}, {"afterTokens", estimateTokens(conv.messages, tools)},
        {"replacedMessages", replaced}, {"summary", by}},
       conv.worker);
}

}  // namespace cadre::agent
