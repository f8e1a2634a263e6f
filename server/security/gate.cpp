// The Gate's checks, in the order the header gives. Every refusal is
// audited and comes back as Unauthorized with a message meant for both the
// user and the model (it says what was refused and why, never how to get
// around it).
#include "server/security/gate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cadre::security {
namespace fs = std::filesystem;

namespace {

nlohmann::json actorJson(const Actor& a) {
  nlohmann::json j = nlohmann::json::object();
  j["actor"] = a.isModel() ? "model" : "user";
  if (a.isModel()) j["model"] = a.model;
  if (!a.role.empty()) j["role"] = a.role;
  return j;
}


std::string expandHome(const std::string& word) {
  if (word == "~" || word.rfind("~/", 0) == 0) {
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + word.substr(1);
  }
  return word;
}

}  // namespace

std::vector<RolePermissions> defaultRoles() {
  return {
      {"planner", {}, true},
      {"reviewer", {}, true},
      {"executor", {}, false},
  };
}

Gate::Gate(GateConfig config, std::shared_ptr<PathPolicy> policy, std::shared_ptr<ApprovalStore> store,
           std::shared_ptr<Approver> approver, AuditSink audit)
    : config_(std::move(config)),
      policy_(std::move(policy)),
      store_(store ? std::move(store) : std::make_shared<ApprovalStore>()),
      approver_(std::move(approver)),
      audit_(std::move(audit)) {
  if (config_.roles.empty()) config_.roles = defaultRoles();
  for (auto& d : config_.protectedDirs) {
    std::error_code ec;
    auto c = fs::weakly_canonical(d, ec);
    if (!ec) d = c;
  }
}

void Gate::record(std::string_view kind, nlohmann::json fields) {
  if (audit_) audit_(kind, std::move(fields));
}

Error Gate::refuse(const Actor& actor, std::string_view what, std::string message, nlohmann::json detail) {
  nlohmann::json j = actorJson(actor);
  j["what"] = what;
  j["reason"] = message;
  if (detail.is_object())
    for (auto& [k, v] : detail.items()) j[k] = v;
  record("policy_denied", std::move(j));
  return makeError(ErrorCode::Unauthorized, std::move(message));
}

const RolePermissions* Gate::roleOf(const Actor& actor) const {
  for (const auto& r : config_.roles)
    if (r.role == actor.role) return &r;
  return nullptr;
}

Expected<void> Gate::authorizeTool(const Actor& actor, std::string_view tool, const ToolNeeds& needs) {
  const bool writes = needs.writesShadow || needs.writesRealFiles || needs.runsProcess;
  if (const RolePermissions* role = roleOf(actor)) {
    if (!role->tools.empty() && std::find(role->tools.begin(), role->tools.end(), tool) == role->tools.end())
      return refuse(actor, "tool", "the " + role->role + " role may not use the tool " + std::string(tool),
                    {{"tool", tool}});
    if (role->readOnly && writes)
      return refuse(actor, "tool",
                    "the " + role->role + " role is read-only: " + std::string(tool) +
                        " would write files or run a process",
                    {{"tool", tool}});
  }
  if (config_.mode == ApprovalMode::ReadOnly && (needs.writesRealFiles || needs.runsProcess))
    return refuse(actor, "tool",
                  "cadre is in read-only mode: " + std::string(tool) + " would change files or run a process",
                  {{"tool", tool}});
  return {};
}

Expected<ApprovalAnswer> Gate::ask(const Actor& actor, ApprovalRequest request, const std::atomic<bool>* cancel) {
  request.model = actor.model;
  request.role = actor.role;
  if (!approver_)
    return makeError(ErrorCode::Unavailable,
                     "this needs the user's approval and no one can be asked (the client does not support "
                     "cadre/approval.request and there is no terminal)");
  auto answer = approver_->ask(request, cancel);
  nlohmann::json j = actorJson(actor);
  j["request"] = toString(request.kind);
  if (!request.command.empty()) j["command"] = request.command;
  if (!request.paths.empty()) j["paths"] = request.paths;
  if (answer) {
    j["decision"] = toString(answer->choice);
    if (!answer->note.empty()) j["note"] = answer->note;
  } else {
    j["decision"] = "unanswered";
    j["error"] = answer.error().message;
  }
  record("approval", std::move(j));
  return answer;
}

Expected<PathCheck> Gate::authorizePath(const Actor& actor, std::string_view path, PathAccess access,
                                        std::string_view why, const std::atomic<bool>* cancel) {
  PathCheck c = policy_->check(path, access);
  switch (c.refusal) {
    case PathRefusal::Invalid: return makeError(ErrorCode::InvalidParams, c.message);
    case PathRefusal::Denied:
      return refuse(actor, "path", c.message, {{"path", std::string(path)}, {"rule", c.rule}});
    case PathRefusal::OutsideRoots: {
      if (access == PathAccess::Write) return refuse(actor, "path", c.message + "; tools never write there",
                                                     {{"path", std::string(path)}});
      ApprovalRequest req;
      req.kind = ApprovalKind::OutsidePath;
      req.paths = {c.canonical.string()};
      req.why = why;
      auto answer = ask(actor, std::move(req), cancel);
      if (!answer) return answer.error();
      if (answer->choice == ApprovalChoice::Deny)
        return refuse(actor, "path", c.message + "; the user declined" + (answer->note.empty() ? "" : ": " + answer->note),
                      {{"path", std::string(path)}});
      break;
    }
    case PathRefusal::None: break;
  }
  if (access == PathAccess::Write) {
    for (const auto& d : config_.protectedDirs)
      if (isUnder(c.canonical, d))
        return refuse(actor, "path", "'" + std::string(path) + "' is inside cadre's own directory " + d.string() +
                                         ": tools never write there", {{"path", std::string(path)}});
  }
  return c;
}

bool Gate::visible(const fs::path& canonical) const {
  return policy_->check(canonical.string(), PathAccess::Read).refusal != PathRefusal::Denied;
}

Expected<std::string> Gate::readFile(const Actor& actor, std::string_view path, const std::atomic<bool>* cancel) {
  auto c = authorizePath(actor, path, PathAccess::Read, {}, cancel);
  if (!c) return c.error();
  struct stat st {};
  if (::stat(c->canonical.c_str(), &st) != 0) return makeError(ErrorCode::InvalidParams, "no such file: " + std::string(path));
  if (!S_ISREG(st.st_mode)) return makeError(ErrorCode::InvalidParams, std::string(path) + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > config_.maxReadBytes)
    return makeError(ErrorCode::InvalidParams, std::string(path) + " is " + std::to_string(st.st_size) +
                                                   " bytes, over the read limit of " + std::to_string(config_.maxReadBytes));
  std::ifstream in(c->canonical, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return makeError(ErrorCode::IoError, "cannot read " + std::string(path));
  return ss.str();
}

Expected<Listing> Gate::listDirectory(const Actor& actor, std::string_view path, const std::atomic<bool>* cancel) {
  auto c = authorizePath(actor, path, PathAccess::List, {}, cancel);
  if (!c) return c.error();
  Listing out;
  std::error_code ec;
  fs::directory_iterator it(c->canonical, ec), end;
  if (ec) return makeError(ErrorCode::InvalidParams, "cannot list " + std::string(path) + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (policy_->check(it->path().string(), PathAccess::Read).refusal == PathRefusal::Denied) {
      ++out.hidden;
      continue;
    }
    DirEntry e;
    e.name = it->path().filename().string();
    std::error_code e2;
    e.directory = it->is_directory(e2);
    if (!e.directory) e.size = it->is_regular_file(e2) ? it->file_size(e2) : 0;
    out.entries.push_back(std::move(e));
  }
  std::sort(out.entries.begin(), out.entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

Expected<void> Gate::authorizeRealEdit(const Actor& actor, const std::vector<std::string>& paths, std::string_view diff,
                                       std::string_view why, const std::atomic<bool>* cancel) {
  if (auto ok = authorizeTool(actor, "apply", ToolNeeds{.writesRealFiles = true}); !ok) return ok.error();
  std::vector<std::string> canonical;
  for (const auto& p : paths) {
    PathCheck c = policy_->check(p, PathAccess::Write);
    if (c.refusal == PathRefusal::Invalid) return makeError(ErrorCode::InvalidParams, c.message);
    if (c.refusal != PathRefusal::None)
      return refuse(actor, "edit", c.message, {{"path", p}, {"rule", c.rule}});
    for (const auto& d : config_.protectedDirs)
      if (isUnder(c.canonical, d))
        return refuse(actor, "edit", "'" + p + "' is inside cadre's own directory " + d.string(), {{"path", p}});
    canonical.push_back(c.canonical.string());
  }
  if (config_.mode == ApprovalMode::AutoEdit) {
    nlohmann::json j = actorJson(actor);
    j["request"] = "edit";
    j["paths"] = canonical;
    j["decision"] = "auto-edit mode";
    record("approval", std::move(j));
    return {};
  }
  ApprovalRequest req;
  req.kind = ApprovalKind::Edit;
  req.paths = paths;
  req.diff = diff;
  req.why = why;
  auto answer = ask(actor, std::move(req), cancel);
  if (!answer) return answer.error();
  if (answer->choice == ApprovalChoice::Deny)
    return refuse(actor, "edit", "the user declined the edit" + (answer->note.empty() ? "" : ": " + answer->note),
                  {{"paths", canonical}});
  return {};
}

Expected<void> Gate::approveExternal(const Actor& actor, const ExternalAction& action, const std::atomic<bool>* cancel) {
  if (config_.mode == ApprovalMode::ReadOnly)
    return refuse(actor, "external", "cadre is in read-only mode: " + action.display + " is not run",
                  {{"command", action.display}});
  const bool remembered = !action.rule.empty() && store_->hasExternalRule(action.rule);
  if (action.preApproved || remembered) {
    nlohmann::json j = actorJson(actor);
    j["request"] = "command";
    j["command"] = action.display;
    j["decision"] = action.preApproved ? "allow-listed in the user's config" : "allowed by rule";
    record("approval", std::move(j));
    return {};
  }
  ApprovalRequest req;
  req.kind = ApprovalKind::Command;
  req.command = action.display;
  req.why = action.why;
  req.sandboxed = action.sandboxed;
  req.network = action.network;
  if (!action.rule.empty()) req.alwaysRules.push_back(action.ruleLabel.empty() ? action.rule : action.ruleLabel);
  auto answer = ask(actor, std::move(req), cancel);
  if (!answer) return answer.error();
  if (answer->choice == ApprovalChoice::Deny)
    return refuse(actor, "external", "the user declined: " + action.display + (answer->note.empty() ? "" : ": " + answer->note),
                  {{"command", action.display}});
  if (answer->choice == ApprovalChoice::AllowAlways && !action.rule.empty()) {
    if (auto saved = store_->addExternalRule(action.rule); !saved) return saved.error();
  }
  return {};
}

Expected<std::unique_ptr<SandboxedProcess>> Gate::startProcess(const Actor& actor, const ProcessRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) return makeError(ErrorCode::InvalidParams, "empty command");
  std::string line;
  for (const auto& a : request.argv) line += (line.empty() ? "" : " ") + a;
  nlohmann::json about = {{"command", line}};
  fs::path base = policy_->roots().empty() ? fs::current_path() : policy_->roots().front();
  for (const auto& word : request.argv) {
    PathCheck c = policy_->check(expandHome(word), PathAccess::Read, base);
    if (c.refusal == PathRefusal::Denied)
      return refuse(actor, "command", "the command names '" + word + "', which is deny-listed (" + c.rule + ")", about);
  }
  const bool sandboxed = !config_.sandboxOff && !request.unsandboxed;
  SandboxSpec spec;
  spec.argv = request.argv;
  spec.cwd = request.cwd.empty() ? base.string() : request.cwd;
  for (const auto& r : policy_->roots()) (request.writableRoots ? spec.writablePaths : spec.readOnlyPaths).push_back(r.string());
  for (const auto& r : request.readOnlyPaths) spec.readOnlyPaths.push_back(r);
  for (const auto& m : policy_->maskedPaths()) spec.maskedPaths.push_back(m.string());
  spec.network = request.network;
  spec.env = request.env;
  spec.limits = config_.limits;
  spec.unsandboxed = !sandboxed;
  spec.pty = request.pty;
  auto process = spawnSandboxed(spec);
  nlohmann::json j = actorJson(actor);
  j["command"] = line;
  j["cwd"] = spec.cwd;
  j["sandboxed"] = sandboxed;
  j["network"] = request.network;
  j["longLived"] = true;
  if (!request.why.empty()) j["why"] = request.why;
  if (!process) j["error"] = process.error().message;
  record("command", std::move(j));
  return process;
}

namespace {
std::vector<fs::path> canonicalAll(const std::vector<std::string>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    out.push_back(fs::weakly_canonical(p, ec));
  }
  return out;
}
}  // namespace

Expected<fs::path> Gate::approveCommand(const Actor& actor, const CommandRequest& request,
                                        const std::atomic<bool>* cancel) {
  if (auto ok = authorizeTool(actor, "run_command", ToolNeeds{.runsProcess = true, .network = request.network}); !ok)
    return ok.error();
  if (request.line.find_first_not_of(" \t\r\n") == std::string::npos)
    return makeError(ErrorCode::InvalidParams, "empty command line");
  nlohmann::json about = {{"command", request.line}};

  // Where it runs: a workspace root or one of the writable dirs the caller
  // (cadre's own code, never the model) set up.
  const std::vector<fs::path> writable = canonicalAll(request.writablePaths), readOnly = canonicalAll(request.readOnlyPaths);
  fs::path base = policy_->roots().empty() ? fs::current_path() : policy_->roots().front();
  auto cwd = resolvePath(request.cwd.empty() ? "." : request.cwd, base);
  if (!cwd) return makeError(ErrorCode::InvalidParams, "invalid working directory '" + request.cwd + "'");
  const bool cwdProvided = std::any_of(writable.begin(), writable.end(), [&](const fs::path& w) { return isUnder(*cwd, w); }) ||
                           std::any_of(readOnly.begin(), readOnly.end(), [&](const fs::path& r) { return isUnder(*cwd, r); });
  if (!cwdProvided) {
    auto c = authorizePath(actor, cwd->string(), PathAccess::List, request.why, cancel);
    if (!c) return c.error();
  }

  // Deny-listed files named on the line are refused before anyone is asked;
  // what the line computes at run time, the sandbox masks.
  ParsedCommandLine parsed = parseCommandLine(request.line);
  for (const auto& word : pathLikeWords(parsed)) {
    PathCheck c = policy_->check(expandHome(word), PathAccess::Read, *cwd);
    if (c.refusal == PathRefusal::Denied)
      return refuse(actor, "command",
                    "the command touches '" + word + "', which is deny-listed (" + c.rule + ")", about);
  }

  const bool sandboxed = !config_.sandboxOff;
  if (sandboxed) {
    SandboxProbe probe = probeSandbox();
    if (!probe.available) {
      record("policy_denied", {{"what", "command"}, {"command", request.line}, {"reason", probe.message}});
      return makeError(ErrorCode::Unavailable, probe.message);
    }
  }

  // Approval: remembered rules cover only sandboxed, offline commands.
  auto rules = store_->commandRules();
  const bool covered = sandboxed && !request.network && (request.preApproved || rulesCoverLine(rules, parsed));
  if (covered) {
    nlohmann::json j = actorJson(actor);
    j["request"] = "command";
    j["command"] = request.line;
    j["decision"] = request.preApproved ? "cadre's own (detected linter)" : "allowed by rule";
    record("approval", std::move(j));
  } else {
    ApprovalRequest req;
    req.kind = ApprovalKind::Command;
    req.command = request.line;
    req.cwd = cwd->string();
    req.why = request.why;
    req.sandboxed = sandboxed;
    req.network = request.network;
    std::vector<CommandRule> proposed;
    bool scopable = !parsed.parseError && !parsed.controlFlow && sandboxed && !request.network;
    for (const auto& c : parsed.commands) {
      auto r = ruleFor(c);
      if (!r) scopable = false;
      else if (std::find(proposed.begin(), proposed.end(), *r) == proposed.end()) proposed.push_back(*r);
    }
    if (scopable)
      for (const auto& r : proposed) req.alwaysRules.push_back(r.describe());
    auto answer = ask(actor, std::move(req), cancel);
    if (!answer) return answer.error();
    if (answer->choice == ApprovalChoice::Deny)
      return refuse(actor, "command", "the user declined to run this command" + (answer->note.empty() ? "" : ": " + answer->note), about);
    if (answer->choice == ApprovalChoice::AllowAlways && scopable) {
      if (auto saved = store_->addCommandRules(proposed); !saved) return saved.error();
    }
  }

  return *cwd;
}

Expected<SandboxResult> Gate::runCommand(const Actor& actor, const CommandRequest& request,
                                         const std::atomic<bool>* cancel) {
  auto cwd = approveCommand(actor, request, cancel);
  if (!cwd) return cwd.error();
  const std::vector<fs::path> writable = canonicalAll(request.writablePaths), readOnly = canonicalAll(request.readOnlyPaths);
  const bool sandboxed = !config_.sandboxOff;

  SandboxSpec spec;
  spec.argv = {"bash", "-c", request.line};
  spec.cwd = cwd->string();
  for (const auto& w : writable) spec.writablePaths.push_back(w.string());
  for (const auto& r : policy_->roots()) spec.readOnlyPaths.push_back(r.string());
  for (const auto& r : readOnly) spec.readOnlyPaths.push_back(r.string());
  for (const auto& m : policy_->maskedPaths()) spec.maskedPaths.push_back(m.string());
  spec.network = request.network;
  spec.stdinData = request.stdinData;
  spec.limits = config_.limits;
  if (request.timeoutMs > 0) spec.limits.wallTimeoutMs = std::min(request.timeoutMs, config_.limits.wallTimeoutMs);
  spec.unsandboxed = !sandboxed;
  auto result = runSandboxed(spec, cancel);
  nlohmann::json j = actorJson(actor);
  j["command"] = request.line;
  j["cwd"] = cwd->string();
  j["sandboxed"] = sandboxed;
  j["network"] = request.network;
  if (result) {
    j["exitCode"] = result->exitCode;
    if (result->termSignal) j["signal"] = result->termSignal;
    if (result->timedOut) j["timedOut"] = true;
    if (!result->limitHit.empty()) j["limitHit"] = result->limitHit;
    j["wallMs"] = result->wallMs;
  } else {
    j["error"] = result.error().message;
  }
  record("command", std::move(j));
  return result;
}

}  // namespace cadre::security
