// See shadow_tree_check.hpp.
#include "server/core/shadow_tree_check.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <set>

#include "server/analysis/check.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"

namespace cadre::core {

namespace fs = std::filesystem;

std::vector<workspace::LintDiagnostic> shadowTreeConsistency(const Project& project, const workspace::ShadowWorkspace& shadow,
                                                             const fs::path& dir, const security::PathPolicy& policy, const std::vector<std::string>& extraDeny,
                                                             const std::atomic<bool>* cancel) {
  std::vector<workspace::LintDiagnostic> out;
  if (!project.ready() || shadow.roots().empty()) return out;
  // The check tree under `dir` is rebuilt by each call: concurrent checks
  // (a task's workers) take turns rather than materialize over each other.
  static std::mutex turn;
  std::lock_guard lock(turn);
  const fs::path root = shadow.roots().front();
  const fs::path tree = dir / "check";
  // Deny-listed files stay out, as for the linters.
  if (auto made = shadow.materialize(tree, [&](std::string_view rel) { return policy.deniedBy(root / fs::path(rel)).has_value(); }); !made) {
    spdlog::warn("consistency check of shadow {}: {}", shadow.id(), made.error().message);
    return out;
  }
  const fs::path treeRoot = shadow.materializedRoot(tree, 0);
  // A copy of the project's index cache: unchanged files (same size and
  // mtime through the hard links) are not parsed again, and the real cache
  // is not overwritten with the shadow's state.
  analysis::IndexOptions options;
  std::error_code ec;
  options.cacheFile = dir / "check-index.bin";
  fs::copy_file(indexCachePath(root), options.cacheFile, fs::copy_options::overwrite_existing, ec);
  options.cancel = cancel;
  options.limits.exclude = indexExclusion(treeRoot, extraDeny);
  auto index = analysis::ProjectIndex::build(treeRoot, options);
  if (!index) {
    spdlog::warn("consistency check of shadow {}: {}", shadow.id(), index.error().message);
    return out;
  }
  const analysis::Resolver resolver(*index);

  analysis::Parser parser;
  auto convert = [&](const std::string& rel, const std::vector<analysis::Diagnostic>& ds) {
    std::vector<workspace::LintDiagnostic> v;
    for (const auto& d : ds)
      v.push_back({rel, static_cast<int>(d.span.start.row) + 1, static_cast<int>(d.span.start.column) + 1,
                   d.severity == analysis::Diagnostic::Severity::Error ? "error" : "warning", d.code, d.message, "cadre-check"});
    return v;
  };
  auto symbolsOf = [&](const fs::path& path, const std::string& text) {
    const analysis::Language* lang = analysis::languageForPath(path);
    return lang ? analysis::summarize(parser, *lang, text) : analysis::FileSymbols{};
  };
  // Before: the real project's check. After: the shadow tree's.
  auto delta = [&](const fs::path& path, const std::optional<std::string>& before, const std::string& after) {
    const std::string rel = path.lexically_relative(root).generic_string();
    if (!analysis::languageForPath(path)) return;
    std::vector<workspace::LintDiagnostic> b;
    if (before) b = convert(rel, project.check(path, symbolsOf(path, *before), &*before));
    auto a = convert(rel, analysis::checkFile(*index, resolver, rel, symbolsOf(path, after), &after));
    for (auto& d : workspace::lintDelta(b, a)) out.push_back(std::move(d));
  };
  std::set<std::string> changed;
  for (const auto& c : shadow.changes()) {
    changed.insert(c.path.lexically_relative(root).generic_string());
    if (c.content) delta(c.path, c.base, *c.content);
  }
  // Unchanged files that import a changed one: a rename or a move must not
  // leave them broken.
  index->decodeAll();
  for (const auto& f : index->files()) {
    if (changed.count(f.path) || !f.skipReason.empty()) continue;
    bool importsChanged = false;
    for (const auto& imp : f.symbols().imports) {
      const auto r = resolver.resolve(f, imp);
      for (const auto& file : r.files) importsChanged = importsChanged || changed.count(file);
      // An import of a module the change deleted no longer resolves at all.
      if (r.kind == analysis::Resolution::Kind::Unresolved) importsChanged = true;
    }
    if (!importsChanged) continue;
    std::string text;
    if (auto t = shadow.read(root / f.path)) text = std::move(*t);
    else continue;
    delta(root / f.path, text, text);
  }
  return out;
}

}  // namespace cadre::core
