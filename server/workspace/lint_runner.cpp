// Baseline and after, per linter; see lint_runner.hpp.
#include "server/workspace/lint_runner.hpp"

#include <algorithm>

namespace cadre::workspace {
namespace fs = std::filesystem;

namespace {

std::string shellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@%") == std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The command lines a linter needs for these files ({file}: one per file).
std::vector<std::string> commandLines(const LinterSpec& l, const std::vector<std::string>& files) {
  const bool perFile = std::find(l.command.begin(), l.command.end(), "{file}") != l.command.end();
  auto render = [&](const std::vector<std::string>& fs_) {
    std::string line;
    for (const auto& a : l.command) {
      if (a == "{files}" || a == "{file}") {
        for (const auto& f : fs_) line += (line.empty() ? "" : " ") + shellQuote(f);
      } else {
        line += (line.empty() ? "" : " ") + shellQuote(a);
      }
    }
    return line;
  };
  if (perFile) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(render({f}));
    return out;
  }
  return {render(files)};
}

std::string relativeTo(std::string path, const fs::path& tree, const fs::path& root) {
  for (const fs::path& base : {tree, root}) {
    const std::string prefix = base.string() + "/";
    if (path.rfind(prefix, 0) == 0) return path.substr(prefix.size());
  }
  return path;
}

// A linter installed outside the system directories (a project's or a
// tool's node_modules, ~/.local) must be visible in the sandbox: its package
// directory is bound read-only.
// Only for linters cadre found itself: a configured command gets no extra
// binds (a project file must not widen what the sandbox shows).
std::vector<std::string> installDirs(const LinterSpec& l) {
  if (l.configured || l.command.empty() || l.command.front().find('/') == std::string::npos) return {};
  std::error_code ec;
  fs::path real = fs::canonical(l.command.front(), ec);
  if (ec) return {};
  for (const char* system : {"/usr/", "/bin/", "/sbin/", "/lib", "/opt/", "/etc/"})
    if (real.string().rfind(system, 0) == 0) return {};
  for (fs::path p = real.parent_path(); p != p.parent_path(); p = p.parent_path())
    if (p.filename() == "node_modules") return {p.string()};
  return {real.parent_path().string()};
}

struct RunResult {
  std::vector<LintDiagnostic> diags;
  std::string problem;
};

RunResult runLinter(security::Gate& gate, const security::Actor& actor, const LinterSpec& l,
                    const std::vector<std::string>& files, const fs::path& cwd, const fs::path& tree, const fs::path& root,
                    const std::atomic<bool>* cancel) {
  RunResult out;
  for (const auto& line : commandLines(l, files)) {
    security::CommandRequest req;
    req.line = line;
    req.cwd = cwd.string();
    req.readOnlyPaths = {tree.string()};
    for (auto& d : installDirs(l)) req.readOnlyPaths.push_back(d);
    req.why = "lint with " + l.name;
    req.timeoutMs = l.timeoutSeconds * 1000;
    req.preApproved = !l.configured;
    auto r = gate.runCommand(actor, req, cancel);
    if (!r) {
      out.problem = l.name + ": " + r.error().message;
      return out;
    }
    if (r->timedOut) {
      out.problem = l.name + ": timed out after " + std::to_string(l.timeoutSeconds) + " s";
      return out;
    }
    auto diags = parseLintOutput(l, r->stdoutData + "\n" + r->stderrData);
    // 126/127: it could not run at all; other codes with nothing parsed: it
    // failed in a way it did not explain in its format.
    if (r->exitCode >= 126 || (diags.empty() && r->exitCode > 1 && l.format != LintFormat::Tsc)) {
      std::string err = r->stderrData.substr(0, 300);
      out.problem = l.name + ": exit " + std::to_string(r->exitCode) + " with no diagnostics: " + err;
    }
    for (auto& d : diags) {
      d.path = relativeTo(d.path, tree, root);
      out.diags.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace

Expected<LintReport> lintChanges(security::Gate& gate, const security::Actor& actor, const ShadowWorkspace& shadow,
                                 const fs::path& workDir, const std::vector<LinterSpec>& linters,
                                 const std::atomic<bool>* cancel) {
  LintReport report;
  if (shadow.roots().empty()) return report;
  const fs::path root = shadow.roots().front();
  std::vector<std::string> before, after;
  for (const auto& c : shadow.changes()) {
    auto rel = c.path.lexically_relative(root).generic_string();
    if (rel.empty() || rel.rfind("..", 0) == 0) continue;
    if (c.base) before.push_back(rel);
    if (c.content) after.push_back(rel);
  }
  if (before.empty() && after.empty()) return report;
  const fs::path tree = workDir / "lint-tree";
  const auto& policy = gate.policy();
  auto stats = shadow.materialize(tree, [&](std::string_view rel) { return policy.deniedBy(root / fs::path(rel)).has_value(); });
  if (!stats) return stats.error();
  const fs::path mirror = shadow.materializedRoot(tree, 0);

  for (const auto& l : linters) {
    const bool wholeProject = std::none_of(l.command.begin(), l.command.end(),
                                           [](const std::string& a) { return a == "{files}" || a == "{file}"; });
    std::vector<std::string> b, a;
    for (const auto& f : before)
      if (lintGlobMatch(l, f)) b.push_back(f);
    for (const auto& f : after)
      if (lintGlobMatch(l, f)) a.push_back(f);
    if (a.empty() && b.empty()) continue;
    RunResult base, now;
    if (!b.empty() || wholeProject) base = runLinter(gate, actor, l, b, root, tree, root, cancel);
    if (!a.empty() || wholeProject) now = runLinter(gate, actor, l, a, mirror, tree, root, cancel);
    report.ran.push_back(l.name);
    for (const auto& p : {base.problem, now.problem})
      if (!p.empty() && std::find(report.problems.begin(), report.problems.end(), p) == report.problems.end())
        report.problems.push_back(p);
    for (auto& d : lintDelta(base.diags, now.diags)) report.introduced.push_back(std::move(d));
  }
  return report;
}

}  // namespace cadre::workspace
