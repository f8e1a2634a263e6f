// workspace/executeCommand: the cadre.* commands behind the code actions and
// the refactor commands (docs/code-actions.md). Agent-driven commands start a
// task (the same path as cadre/task.start) with a prompt built from the code
// and answer {task}; deterministic refactors (rename, move, extract) compute
// the new file contents here, land them in a fresh shadow, lint and check it
// there, and answer with the diff and what the checks found. Either way the
// user's files change only through cadre/shadow.apply, which asks first and
// takes a checkpoint (the undo).
#include <spdlog/spdlog.h>

#include <asio/steady_timer.hpp>

#include "server/analysis/extract_function.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/refactor_text.hpp"
#include "server/agent/task.hpp"
#include "server/core/lint_report.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"
#include "server/core/shadow_tree_check.hpp"
#include "server/core/uri.hpp"

namespace cadre::core {

using protocol::Callback;
using protocol::json;

namespace {

// Why a cap: the selection goes into the prompt; a whole generated file
// selected by accident must not blow the model's window.
constexpr std::size_t kMaxSnippetBytes = 16 * 1024;
// How long a refactor waits for the index to catch up with changed files
// (a full re-walk of a large project; unchanged files come from the cache).
constexpr auto kIndexWait = std::chrono::seconds(60);

bool isAgentCommand(const std::string& c) {
  return c == "cadre.explain" || c == "cadre.fix" || c == "cadre.generateTests" || c == "cadre.addDocs" || c == "cadre.refactor";
}

std::string fenced(const std::string& code, const analysis::Language* lang) {
  std::string body = code.size() > kMaxSnippetBytes ? code.substr(0, kMaxSnippetBytes) + "\n[… cut at " + std::to_string(kMaxSnippetBytes) + " bytes]" : code;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return "```" + std::string(lang ? lang->id : "") + "\n" + body + "```\n";
}

}  // namespace

void LspSession::bindCommands() { dispatcher_.bind("workspace/executeCommand", this, &LspSession::onExecuteCommand); }

void LspSession::onExecuteCommand(const lsp::ExecuteCommandParams& p, Callback<json> reply) {
  try {
    if (isAgentCommand(p.command)) return runAgentAction(p, reply);
    if (p.command == "cadre.applyInstruction") return runApplyInstruction(lsp::commandArgument<lsp::ApplyInstructionArgs>(p), reply);
    auto land = [this, reply](Expected<RefactorOutcome> outcome) {
      if (!outcome) return reply(outcome.error());
      landRefactor(std::move(*outcome), reply);
    };
    if (p.command == "cadre.extractFunction") return land(planExtractCommand(lsp::commandArgument<lsp::ExtractFunctionArgs>(p)));
    // Cross-file refactors plan from the index: it must match the disk.
    if (p.command == "cadre.renameSymbol") {
      auto args = lsp::commandArgument<lsp::RenameSymbolArgs>(p);
      return whenIndexFresh([this, args, land] { land(planRenameCommand(args)); }, reply);
    }
    if (p.command == "cadre.moveSymbol") {
      auto args = lsp::commandArgument<lsp::MoveSymbolArgs>(p);
      return whenIndexFresh([this, args, land] { land(planMoveCommand(args)); }, reply);
    }
    reply(makeError(ErrorCode::InvalidParams, "unknown command '" + p.command +
                                                  "' (cadre's commands are listed in the initialize result's "
                                                  "executeCommandProvider.commands)"));
  } catch (const protocol::DecodeError& e) {
    reply(makeError(ErrorCode::InvalidParams, e.within("params").what()));
  }
}

void LspSession::whenIndexFresh(std::function<void()> then, Callback<json> reply) {
  if (rootPaths().empty() || !options_.indexProject) return then();
  if (project_.ready() && !project_.stale()) return then();
  if (project_.ready()) startIndexing();
  pollIndex(std::make_shared<asio::steady_timer>(executor_), std::chrono::steady_clock::now() + kIndexWait, std::move(then),
            std::move(reply));
}

void LspSession::pollIndex(std::shared_ptr<void> timerHandle, std::chrono::steady_clock::time_point deadline, std::function<void()> then,
                           Callback<json> reply) {
  auto timer = std::static_pointer_cast<asio::steady_timer>(timerHandle);
  timer->expires_after(std::chrono::milliseconds(50));
  std::weak_ptr<LspSession> weak = weak_from_this();
  timer->async_wait([weak, timer, deadline, then = std::move(then), reply](const std::error_code& ec) mutable {
    auto self = weak.lock();
    if (!self || ec) return;
    if (self->project_.ready()) return then();
    if (std::chrono::steady_clock::now() > deadline)
      return reply(makeError(ErrorCode::RequestFailed, "the project index is still being refreshed; try again when indexing ends"));
    self->pollIndex(timer, deadline, std::move(then), reply);
  });
}

Expected<LspSession::Located> LspSession::locate(const std::string& uri, const lsp::Range& range) const {
  Located at;
  auto path = uriToPath(uri);
  if (!path) return path.error();
  at.path = *path;
  auto text = documentText(uri);
  if (!text) return text.error();
  at.text = std::move(*text);
  auto s = workspace::toOffset(at.text, {range.start.line, range.start.character}, documents_.encoding());
  if (!s) return makeError(ErrorCode::InvalidParams, "params.arguments[0].range.start: " + s.error().message);
  auto e = workspace::toOffset(at.text, {range.end.line, range.end.character}, documents_.encoding());
  if (!e) return makeError(ErrorCode::InvalidParams, "params.arguments[0].range.end: " + e.error().message);
  if (*e < *s) return makeError(ErrorCode::InvalidParams, "params.arguments[0].range: the end is before the start");
  at.start = static_cast<std::uint32_t>(*s);
  at.end = static_cast<std::uint32_t>(*e);
  return at;
}

void LspSession::runAgentAction(const lsp::ExecuteCommandParams& p, Callback<json> reply) {
  const auto a = lsp::commandArgument<lsp::AgentActionArgs>(p);
  if (p.command == "cadre.fix" && !a.diagnostic.is_object())
    return reply(makeError(ErrorCode::InvalidParams, "params.arguments[0].diagnostic: cadre.fix needs the diagnostic to fix"));
  auto at = locate(a.uri, a.range);
  if (!at) return reply(at.error());
  const analysis::Language* lang = analysis::languageForPath(at->path);
  // A bare cursor means the definition around it (or its line); a
  // diagnostic is shown to the model with the definition it sits in.
  std::uint32_t s = at->start, e = at->end;
  const bool widen = s == e || p.command == "cadre.fix";
  if (widen && lang) {
    analysis::Parser parser;
    const auto symbols = analysis::summarize(parser, *lang, at->text);
    const analysis::Definition* best = nullptr;
    for (const auto& d : symbols.definitions) {
      if (d.span.startByte <= s && e <= d.span.endByte && (!best || d.span.endByte - d.span.startByte < best->span.endByte - best->span.startByte))
        best = &d;
    }
    if (best) {
      s = best->span.startByte;
      e = best->span.endByte;
    }
  }
  if (s == e || (widen && s == at->start && e == at->end)) {
    s = analysis::lineStartOf(at->text, s);
    e = analysis::lineEndOf(at->text, e);
  }
  const std::string code = at->text.substr(s, e - s);
  const auto roots = rootPaths();
  const std::string rel = roots.empty() ? at->path.string() : at->path.lexically_relative(roots.front()).generic_string();
  const auto line = [&](std::uint32_t offset) {
    return std::to_string(1 + std::count(at->text.begin(), at->text.begin() + offset, '\n'));
  };
  const std::string where = rel + " (lines " + line(s) + "–" + line(e > s ? e - 1 : e) + ")";

  TaskRequest request;
  request.focus = {at->path};
  std::string prompt;
  if (p.command == "cadre.explain") {
    request.answerOnly = true;
    prompt = "Explain what this code in " + where + " does, how it fits into the project, and anything surprising in it.";
  } else if (p.command == "cadre.fix") {
    const auto& d = a.diagnostic;
    std::string source = d.value("source", "");
    std::string code_;
    if (d.contains("code")) code_ = d["code"].is_string() ? d["code"].get<std::string>() : d["code"].dump();
    int dline = d.contains("range") && d["range"].is_object() ? d["range"]["start"].value("line", 0) + 1 : 0;
    prompt = "Fix this problem in " + rel + " at line " + std::to_string(dline) + ": " + d.value("message", "(no message)") +
             (source.empty() && code_.empty() ? "" : " [" + source + (code_.empty() ? "" : " " + code_) + "]") +
             ". Change only what the fix needs. The code around it, " + where + ":";
  } else if (p.command == "cadre.generateTests") {
    prompt = "Write unit tests for this code from " + where +
             ". Follow the project's existing test layout and framework (look for existing tests first); put the tests in a "
             "test file and do not change the code under test.";
  } else if (p.command == "cadre.addDocs") {
    prompt = "Add documentation to this code in " + where +
             " in the language's own convention (docstrings, JSDoc, doc comments): what each function or class is for, its "
             "parameters and result. Change only comments and docstrings, never behaviour.";
  } else {
    prompt = "Refactor this code in " + where + ": " +
             (a.instruction.empty() ? std::string("make it clearer and simpler") : a.instruction) +
             ". Keep its behaviour, and update every caller if its interface changes.";
  }
  if (!a.instruction.empty() && p.command != "cadre.refactor") prompt += "\nThe user adds: " + a.instruction;
  request.prompt = prompt + "\n\n" + fenced(code, lang);
  startTask(std::move(request), std::move(reply));
}

void LspSession::runApplyInstruction(const lsp::ApplyInstructionArgs& a, Callback<json> reply) {
  TaskRequest request;
  std::string list;
  for (std::size_t i = 0; i < a.uris.size(); ++i) {
    auto path = uriToPath(a.uris[i]);
    if (!path) return reply(makeError(ErrorCode::InvalidParams, "params.arguments[0].uris[" + std::to_string(i) + "]: " + path.error().message));
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(*path, ec);
    request.editOnly.push_back(ec ? *path : canonical);
    request.focus.push_back(*path);
    const auto roots = rootPaths();
    list += "- " + (roots.empty() ? path->string() : path->lexically_relative(roots.front()).generic_string()) + "\n";
  }
  request.prompt = a.instruction + "\n\nApply this to these files, and change no other file (cadre refuses edits elsewhere):\n" + list;
  startTask(std::move(request), std::move(reply));
}

Expected<LspSession::RefactorOutcome> LspSession::planRenameCommand(const lsp::RenameSymbolArgs& a) {
  auto at = locate(a.uri, {a.position, a.position});
  if (!at) return at.error();
  const analysis::Language* lang = analysis::languageForPath(at->path);
  if (!lang) return makeError(ErrorCode::RequestFailed, "this file's language has no grammar in cadre");
  analysis::TreePtr tree = parser_.parse(*lang, at->text);
  if (!tree) return makeError(ErrorCode::RequestFailed, "parsing timed out");
  const auto symbols = analysis::extractSymbols(*lang, tree.get(), at->text);
  auto ident = analysis::identifierAt(tree.get(), at->text, at->start);
  if (!ident) return makeError(ErrorCode::RequestFailed, "there is no symbol to rename at this position");
  auto edits = project_.planRename(at->path, symbols, ident->name, a.newName);
  if (!edits) return edits.error();
  std::map<std::string, std::vector<analysis::TextEdit>> byFile;
  for (const auto& e : *edits) byFile[e.path].push_back({e.span.startByte, e.span.endByte, e.newText});
  RefactorOutcome out{"rename", "Rename `" + ident->name + "` to `" + a.newName + "`", {}, {{"edits", edits->size()}}};
  for (const auto& [path, list] : byFile) {
    auto text = path == at->path.string() ? Expected<std::string>(at->text) : documentText(pathToUri(path));
    if (!text) return text.error();
    out.files.emplace_back(path, analysis::applyTextEdits(*text, list));
  }
  return out;
}

Expected<LspSession::RefactorOutcome> LspSession::planMoveCommand(const lsp::MoveSymbolArgs& a) {
  auto at = locate(a.uri, {a.position, a.position});
  if (!at) return at.error();
  auto target = uriToPath(a.targetUri);
  if (!target) return makeError(ErrorCode::InvalidParams, "params.arguments[0].targetUri: " + target.error().message);
  std::optional<std::string> targetText;
  if (auto t = documentText(a.targetUri)) targetText = std::move(*t);
  else if (std::filesystem::exists(*target)) return t.error();
  auto moved = project_.moveSymbol(at->path, at->text, at->start, *target, targetText, [this](const std::filesystem::path& p) {
    auto t = documentText(pathToUri(p));
    return t ? std::optional<std::string>(std::move(*t)) : std::nullopt;
  });
  if (!moved) return moved.error();
  RefactorOutcome out{"move", "Move `" + moved->name + "` to " + target->filename().string(), {}, {{"warnings", moved->warnings}}};
  for (auto& [path, content] : moved->files) out.files.emplace_back(path, std::move(content));
  return out;
}

Expected<LspSession::RefactorOutcome> LspSession::planExtractCommand(const lsp::ExtractFunctionArgs& a) {
  auto at = locate(a.uri, a.range);
  if (!at) return at.error();
  auto extracted = analysis::extractFunction({at->path.string(), at->text, at->start, at->end, a.name});
  if (!extracted) return extracted.error();
  RefactorOutcome out{"extract", "Extract function `" + a.name + "`", {},
                      {{"parameters", extracted->parameters}, {"returns", extracted->returns}, {"expression", extracted->expression}}};
  out.files.emplace_back(at->path, std::move(extracted->text));
  return out;
}

void LspSession::landRefactor(RefactorOutcome outcome, Callback<json> reply) {
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  const std::string task = outcome.kind + "-" + std::to_string(++taskCounter_);
  auto shadow = shadowFor(task, true);
  for (const auto& [path, content] : outcome.files) {
    // The user's own request, but still only where the policy lets a write go.
    auto ok = (*ctx)->gate->authorizePath(security::Actor{}, path.string(), security::PathAccess::Write, outcome.title, nullptr);
    if (!ok) return reply(ok.error());
    if (auto w = shadow->write(ok->canonical, content); !w) return reply(w.error());
  }
  json result = outcome.details;
  result["task"] = task;
  result["title"] = outcome.title;
  if (shadow->empty()) {
    result["status"] = "no-change";
    result["diff"] = "";
    return reply(result);
  }
  std::vector<std::string> problems;
  auto linters = projectLinters(problems);
  auto emit = taskEvents(task);
  std::weak_ptr<LspSession> weak = weak_from_this();
  toolThreads_.start([ctx = *ctx, shadow, reply, result, linters, problems, dir = shadowDirFor(task), weak,
                      deny = config_.config.security.deny, emit]() mutable {
    agent::ToolContext tc{*ctx->gate, security::Actor{"", "linter"}};
    tc.cancel = reply.token().flag();
    tc.shadow = shadow.get();
    tc.shadowDir = dir;
    tc.linters = linters;
    // Judged against the project as the refactor leaves it (a new module, a
    // renamed export), not against the index of the files as they are.
    tc.consistency = [weak, dir, ctx, deny, cancel = tc.cancel](const workspace::ShadowWorkspace& s) {
      auto self = weak.lock();
      if (!self) return std::vector<workspace::LintDiagnostic>{};
      return shadowTreeConsistency(self->project_, s, dir, ctx->gate->policy(), deny, cancel);
    };
    auto report = lintShadowReport(ctx->tools, tc, problems);
    if (!report) return reply(report.error());
    const bool errors = reportHasErrors(*report);
    result["status"] = errors ? "introducesErrors" : "ready";
    result["diff"] = shadow->diff();
    result["diagnostics"] = (*report)["diagnostics"];
    result["ran"] = (*report)["ran"];
    result["problems"] = (*report)["problems"];
    json files = json::array();
    for (const auto& c : shadow->changes()) files.push_back({{"uri", pathToUri(c.path)}, {"change", workspace::toString(c.kind)}});
    result["files"] = files;
    const json diff = {{"diff", result["diff"]}};
    const json status = {{"status", result["status"]}};
    reply(result);
    // The same facts as events, for clients that follow tasks by event.
    emit({"diagnostics", *report});
    emit({"diff", diff});
    emit({"status", status});
  });
}

}  // namespace cadre::core
