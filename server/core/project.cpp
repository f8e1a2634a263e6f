// Background indexing and name lookups; see project.hpp.
#include "server/core/project.hpp"

#include <algorithm>
#include <cctype>

#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"

namespace cadre::core {

Project::~Project() { stop(); }

void Project::stop() {
  cancel_ = true;
  if (worker_.joinable()) worker_.join();
  cancel_ = false;
}

void Project::index(std::vector<std::filesystem::path> roots, std::function<void(const analysis::IndexProgress&)> progress,
                    std::function<void(Expected<std::size_t>)> done, std::vector<std::string> extraDeny) {
  stop();
  {
    std::lock_guard lock(mu_);
    ready_ = false;
  }
  worker_ = std::thread([this, roots = std::move(roots), progress = std::move(progress), done = std::move(done),
                         extraDeny = std::move(extraDeny)] {
    std::vector<std::shared_ptr<const analysis::ProjectIndex>> built;
    std::size_t files = 0;
    for (const auto& root : roots) {
      analysis::IndexOptions options;
      options.cacheFile = indexCachePath(root);
      options.progress = progress;
      options.cancel = &cancel_;
      options.limits.exclude = indexExclusion(root, extraDeny);
      auto index = analysis::ProjectIndex::build(root, options);
      if (!index) {
        if (done) done(index.error());
        return;
      }
      files += index->files().size();
      built.push_back(std::make_shared<const analysis::ProjectIndex>(std::move(index).value()));
    }
    std::vector<std::shared_ptr<const Root>> withResolvers;
    for (const auto& index : built) {
      auto root = std::make_shared<Root>();
      root->index = index;
      root->resolver = std::make_unique<analysis::Resolver>(*index);
      withResolvers.push_back(std::move(root));
    }
    {
      std::lock_guard lock(mu_);
      indexes_ = std::move(built);
      roots_ = std::move(withResolvers);
      ready_ = true;
    }
    if (done) done(files);
  });
}

bool Project::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

std::vector<std::shared_ptr<const analysis::ProjectIndex>> Project::indexes() const {
  std::lock_guard lock(mu_);
  return indexes_;
}

std::pair<std::shared_ptr<const Project::Root>, std::string> Project::rootOf(const std::filesystem::path& file) const {
  std::vector<std::shared_ptr<const Root>> roots;
  {
    std::lock_guard lock(mu_);
    roots = roots_;
  }
  for (const auto& root : roots) {
    const auto rel = file.lexically_relative(root->index->root());
    if (!rel.empty() && rel.native().rfind("..", 0) != 0) return {root, rel.generic_string()};
  }
  return {nullptr, {}};
}

std::vector<analysis::Diagnostic> Project::check(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                 const std::string* text) const {
  auto [root, rel] = rootOf(file);
  if (!root) return {};
  auto diagnostics = analysis::checkFile(*root->index, *root->resolver, rel, symbols, text);
  for (auto& d : diagnostics) {
    d.path = (root->index->root() / d.path).string();
    for (auto& r : d.related) r.path = (root->index->root() / r.path).string();
  }
  return diagnostics;
}

std::vector<analysis::FixedDiagnostic> Project::fixes(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                      const std::string* text) const {
  auto [root, rel] = rootOf(file);
  if (!root) return {};
  auto out = analysis::diagnoseWithFixes(*root->index, *root->resolver, rel, symbols, text);
  for (auto& fd : out) {
    fd.diagnostic.path = (root->index->root() / fd.diagnostic.path).string();
    for (auto& fix : fd.fixes) {
      for (auto& e : fix.edits) e.path = (root->index->root() / e.path).string();
    }
  }
  return out;
}

Expected<analysis::RenameSymbol> Project::renameTarget(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                       const std::string& name) const {
  auto [root, rel] = rootOf(file);
  if (!root) return makeError(ErrorCode::RequestFailed, ready() ? "the file is outside the workspace folders" : "the project index is still being built");
  return analysis::renameTarget(*root->index, *root->resolver, rel, symbols, name);
}

Expected<std::vector<analysis::RenameEdit>> Project::planRename(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                                const std::string& name, const std::string& newName) const {
  auto [root, rel] = rootOf(file);
  if (!root) return makeError(ErrorCode::RequestFailed, ready() ? "the file is outside the workspace folders" : "the project index is still being built");
  auto target = analysis::renameTarget(*root->index, *root->resolver, rel, symbols, name);
  if (!target) return target.error();
  auto edits = analysis::planRename(*root->index, *root->resolver, *target, newName, rel, symbols);
  if (!edits) return edits;
  for (auto& e : *edits) e.path = (root->index->root() / e.path).string();
  return edits;
}

int fuzzyScore(std::string_view query, std::string_view name) {
  if (query.empty()) return 0;
  int score = 0;
  std::size_t q = 0;
  bool previousMatched = false;
  for (std::size_t i = 0; i < name.size() && q < query.size(); ++i) {
    const char n = name[i], c = query[q];
    if (std::tolower(static_cast<unsigned char>(n)) != std::tolower(static_cast<unsigned char>(c))) {
      previousMatched = false;
      continue;
    }
    int bonus = 1;
    const bool wordStart = i == 0 || name[i - 1] == '_' || (std::isupper(static_cast<unsigned char>(n)) && std::islower(static_cast<unsigned char>(name[i - 1])));
    if (wordStart) bonus += 8;
    if (previousMatched) bonus += 4;
    if (n == c) bonus += 1;
    score += bonus;
    previousMatched = true;
    ++q;
  }
  if (q < query.size()) return -1;
  if (name.size() == query.size()) score += 20;  // whole-name match
  return score * 100 / static_cast<int>(name.size() + 10);
}

std::vector<SymbolMatch> Project::findSymbols(std::string_view query, std::size_t limit) const {
  // Score everything, copy only the winners (a Definition carries strings).
  struct Hit {
    int score;
    const analysis::ProjectIndex* index;
    const analysis::IndexedFile* file;
    const analysis::Definition* def;
  };
  const auto all = indexes();
  std::vector<Hit> hits;
  for (const auto& index : all) {
    index->decodeAll();
    for (const auto& f : index->files()) {
      for (const auto& d : f.symbols().definitions) {
        const int score = fuzzyScore(query, d.name);
        if (score >= 0) hits.push_back({score, index.get(), &f, &d});
      }
    }
  }
  auto better = [](const Hit& a, const Hit& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.def->name != b.def->name) return a.def->name < b.def->name;
    if (a.file->path != b.file->path) return a.file->path < b.file->path;
    return a.def->nameSpan.startByte < b.def->nameSpan.startByte;
  };
  const std::size_t keep = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(keep), hits.end(), better);
  std::vector<SymbolMatch> out;
  out.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) {
    const auto& defs = hits[i].file->symbols().definitions;
    const auto* d = hits[i].def;
    out.push_back({hits[i].index->root() / hits[i].file->path, *d, d->parent >= 0 ? defs[d->parent].name : std::string(), hits[i].score});
  }
  return out;
}

std::vector<NameLocation> Project::definitionsNamed(std::string_view name) const {
  std::vector<NameLocation> out;
  for (const auto& index : indexes()) {
    for (const auto& [file, def] : index->definitionsNamed(name)) {
      const auto& f = index->files()[file];
      out.push_back({index->root() / f.path, f.symbols().definitions[def].nameSpan});
    }
  }
  return out;
}

std::vector<NameLocation> Project::referencesNamed(std::string_view name) const {
  std::vector<NameLocation> out;
  for (const auto& index : indexes()) {
    index->decodeAll();
    for (const auto& f : index->files()) {
      for (const auto& r : f.symbols().references) {
        if (r.name == name) out.push_back({index->root() / f.path, r.span});
      }
      for (const auto& imp : f.symbols().imports) {
        for (const auto& n : imp.names) {
          if (n.name == name) out.push_back({index->root() / f.path, n.span});
        }
      }
    }
  }
  return out;
}

}  // namespace cadre::core
