// The consistency delta of a shadow; see shadow_check.hpp.
#include "server/core/shadow_check.hpp"

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"

namespace cadre::core {

std::vector<workspace::LintDiagnostic> shadowConsistencyDelta(const Project& project, const workspace::ShadowWorkspace& shadow) {
  std::vector<workspace::LintDiagnostic> out;
  if (!project.ready() || shadow.roots().empty()) return out;
  const auto root = shadow.roots().front();
  analysis::Parser parser;  // per call: parsers are per thread
  auto diagnose = [&](const std::filesystem::path& path, const std::string& text) {
    std::vector<workspace::LintDiagnostic> ds;
    const analysis::Language* lang = analysis::languageForPath(path);
    if (!lang) return ds;
    const auto symbols = analysis::summarize(parser, *lang, text);
    for (const auto& d : project.check(path, symbols, &text)) {
      ds.push_back({path.lexically_relative(root).generic_string(), static_cast<int>(d.span.start.row) + 1,
                    static_cast<int>(d.span.start.column) + 1,
                    d.severity == analysis::Diagnostic::Severity::Error ? "error" : "warning", d.code, d.message,
                    "cadre-check"});
    }
    return ds;
  };
  for (const auto& c : shadow.changes()) {
    if (!c.content) continue;
    auto before = c.base ? diagnose(c.path, *c.base) : std::vector<workspace::LintDiagnostic>{};
    auto after = diagnose(c.path, *c.content);
    for (auto& d : workspace::lintDelta(before, after)) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace cadre::core
