// The project behind one session, independent of LSP: the index of each
// workspace root, built in the background, and the lookups the editor
// features need (fuzzy symbol search, definitions and uses by name). The LSP
// adapter (lsp_navigation.cpp) converts to and from wire types.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/analysis/check.hpp"
#include "server/analysis/fixes.hpp"
#include "server/analysis/move_symbol.hpp"
#include "server/analysis/project_index.hpp"
#include "server/analysis/rename.hpp"

namespace cadre::core {

struct SymbolMatch {
  std::filesystem::path file;  // absolute
  analysis::Definition definition;
  std::string container;  // enclosing definition's name, if any
  int score = 0;
};

struct NameLocation {
  std::filesystem::path file;  // absolute
  analysis::Span span;
};

class Project {
 public:
  Project() = default;
  ~Project();
  Project(const Project&) = delete;
  Project& operator=(const Project&) = delete;

  // Replaces the roots and (re)indexes them on a background thread. `progress`
  // and `done` are called on that thread.
  // `extraDeny`: the config's security.deny, on top of the built-in
  // deny-list; deny-listed files are never indexed.
  void index(std::vector<std::filesystem::path> roots, std::function<void(const analysis::IndexProgress&)> progress,
             std::function<void(Expected<std::size_t>)> done, std::vector<std::string> extraDeny = {});

  bool ready() const;
  std::vector<std::shared_ptr<const analysis::ProjectIndex>> indexes() const;

  // Consistency diagnostics for one file whose current symbols are given (an
  // open document may be ahead of the index). Paths in the result are
  // absolute. Empty until the index is ready, or when no root holds the file.
  // `text` is the file's current text when the caller has it (an open
  // document); checks that look at source read it instead of the disk.
  std::vector<analysis::Diagnostic> check(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                          const std::string* text = nullptr) const;

  // Diagnostics with their quick fixes (paths absolute).
  std::vector<analysis::FixedDiagnostic> fixes(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                               const std::string* text = nullptr) const;

  // Cross-file rename of the identifier `name` used in `file` (whose current
  // symbols are given). Edit paths are absolute.
  Expected<analysis::RenameSymbol> renameTarget(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                const std::string& name) const;
  Expected<std::vector<analysis::RenameEdit>> planRename(const std::filesystem::path& file, const analysis::FileSymbols& symbols,
                                                         const std::string& name, const std::string& newName) const;

  // Moves the top-level definition at byte `offset` of `file` (current text
  // `text`) to `target` (current text `targetText`, nullopt: a new file),
  // fixing imports across the project (project_refactor.cpp). `load` gives a
  // project file's current text by absolute path. Result paths are absolute.
  Expected<analysis::MoveResult> moveSymbol(const std::filesystem::path& file, const std::string& text, std::uint32_t offset,
                                            const std::filesystem::path& target, std::optional<std::string> targetText,
                                            const std::function<std::optional<std::string>(const std::filesystem::path&)>& load) const;

  // Whether a file the index holds changed on disk (size or mtime) or went
  // away since it was indexed: cross-file refactors must not plan from
  // stale spans. One stat per file.
  bool stale() const;

  // Fuzzy (subsequence) search over definition names, best first.
  std::vector<SymbolMatch> findSymbols(std::string_view query, std::size_t limit) const;
  std::vector<NameLocation> definitionsNamed(std::string_view name) const;
  std::vector<NameLocation> referencesNamed(std::string_view name) const;

 private:
  void stop();
  struct Root;
  // The root holding `file` and the file's path relative to it.
  std::pair<std::shared_ptr<const Root>, std::string> rootOf(const std::filesystem::path& file) const;

  // An index and the resolver over it (which holds a reference to it).
  struct Root {
    std::shared_ptr<const analysis::ProjectIndex> index;
    std::unique_ptr<analysis::Resolver> resolver;
  };

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const analysis::ProjectIndex>> indexes_;
  std::vector<std::shared_ptr<const Root>> roots_;
  bool ready_ = false;
  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

// Subsequence match score of `query` in `name` (case-insensitive, bonuses for
// word starts and exact case), or -1 when it does not match.
int fuzzyScore(std::string_view query, std::string_view name);

}  // namespace cadre::core
