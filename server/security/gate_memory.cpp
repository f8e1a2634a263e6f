// Gate::appendProjectMemory: the one write under .cadre/ that starts from a
// model. Tools may never write there (path_policy.cpp), so the agent's
// proposed decisions cannot reach MEMORY.md through the shadow; they come
// here, where the user sees exactly the lines to be added and says yes or no.
// Only appends: a model cannot rewrite or erase what the project remembers.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "server/security/gate.hpp"

namespace cadre::security {
namespace fs = std::filesystem;

namespace {

// "Allow always" for memory appends, kept with the project's other rules in
// the user's state directory: the allow-list `cadre run --yes` honours.
constexpr const char* kMemoryRule = "project-memory:append";

// A unified diff of lines added at the end of a file of `oldLines` lines.
std::string appendDiff(const std::string& before, std::string_view text) {
  std::size_t oldLines = 0;
  for (char c : before) oldLines += c == '\n';
  if (!before.empty() && before.back() != '\n') ++oldLines;
  std::string added;
  std::size_t newLines = 0;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line); ++newLines) added += "+" + line + "\n";
  std::string diff = before.empty() ? "--- /dev/null\n" : "--- a/.cadre/MEMORY.md\n";
  diff += "+++ b/.cadre/MEMORY.md\n@@ -" + std::to_string(oldLines) + ",0 +" + std::to_string(oldLines + 1) + "," +
          std::to_string(newLines) + " @@\n" + added;
  return diff;
}

}  // namespace

Expected<void> Gate::appendProjectMemory(const Actor& actor, std::string_view text, std::string_view why,
                                         const std::atomic<bool>* cancel) {
  if (policy_->roots().empty()) return makeError(ErrorCode::InvalidRequest, "no workspace root to keep a memory in");
  if (text.empty()) return {};
  if (config_.mode == ApprovalMode::ReadOnly)
    return refuse(actor, "memory", "cadre is in read-only mode: the decisions are not written to .cadre/MEMORY.md");
  const fs::path root = policy_->roots().front();
  const fs::path file = root / ".cadre" / "MEMORY.md";
  // Read access checks deny-list and aliases; the canonical path must be the
  // file itself, not a symlink leading elsewhere.
  PathCheck c = policy_->check(file.string(), PathAccess::Read);
  if (c.refusal == PathRefusal::Invalid) return makeError(ErrorCode::InvalidParams, c.message);
  if (c.refusal != PathRefusal::None) return refuse(actor, "memory", c.message, {{"path", file.string()}});
  std::error_code ec;
  if (c.canonical != fs::weakly_canonical(file, ec) || fs::is_symlink(file, ec) || fs::is_symlink(file.parent_path(), ec))
    return refuse(actor, "memory", ".cadre/MEMORY.md is a symbolic link; cadre does not write through it",
                  {{"path", file.string()}});

  std::string before;
  {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    before = buf.str();
  }
  std::string addition(text);
  if (!before.empty() && before.back() != '\n') addition.insert(0, "\n");
  if (addition.back() != '\n') addition += "\n";

  nlohmann::json entry = {{"actor", actor.isModel() ? "model" : "user"}, {"path", file.string()},
                          {"bytes", addition.size()}};
  if (actor.isModel()) entry["model"] = actor.model;
  if (!actor.role.empty()) entry["role"] = actor.role;
  if (config_.mode == ApprovalMode::AutoEdit || store_->hasExternalRule(kMemoryRule)) {
    nlohmann::json j = entry;
    j["request"] = "memory";
    j["decision"] = config_.mode == ApprovalMode::AutoEdit ? "auto-edit mode" : "allowed by rule";
    record("approval", std::move(j));
  } else {
    ApprovalRequest req;
    req.kind = ApprovalKind::Edit;
    req.paths = {file.string()};
    req.diff = appendDiff(before, addition.front() == '\n' ? addition.substr(1) : addition);
    req.why = why;
    req.alwaysRules = {"append the agent's decisions to .cadre/MEMORY.md without asking"};
    auto answer = ask(actor, std::move(req), cancel);
    if (!answer) return answer.error();
    if (answer->choice == ApprovalChoice::Deny)
      return refuse(actor, "memory",
                    "the user declined to record the decisions" + (answer->note.empty() ? "" : ": " + answer->note),
                    {{"path", file.string()}});
    if (answer->choice == ApprovalChoice::AllowAlways)
      if (auto saved = store_->addExternalRule(kMemoryRule); !saved) return saved.error();
  }

  // Temp file + rename: a crash leaves the old memory or the new one.
  fs::create_directories(file.parent_path(), ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create " + file.parent_path().string() + ": " + ec.message());
  const fs::path tmp = file.parent_path() / (".MEMORY.md.cadre-" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << before << addition;
    if (!out.flush()) {
      fs::remove(tmp, ec);
      return makeError(ErrorCode::IoError, "cannot write " + tmp.string());
    }
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return makeError(ErrorCode::IoError, "cannot replace " + file.string() + ": " + ec.message());
  }
  entry["text"] = addition;
  record("memory_appended", std::move(entry));
  return {};
}

}  // namespace cadre::security
