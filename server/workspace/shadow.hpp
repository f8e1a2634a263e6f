// A task's shadow workspace: an overlay of proposed contents (created,
// modified, deleted, renamed files) over the real project. Tools and
// analysis read through it as if the change were applied; linters get it
// materialized on disk; the user's files are untouched until an approved
// apply. Forking is O(1) — nothing is copied until a file is written — so
// many shadows (one per task) live side by side.
//
// Paths are absolute and already authorized (the Gate resolved and checked
// them); the shadow applies no policy of its own. Thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/workspace/edit_format.hpp"
#include "support/expected.hpp"

namespace cadre::workspace {

struct ShadowChange {
  enum class Kind { Created, Modified, Deleted };
  Kind kind = Kind::Modified;
  std::filesystem::path path;
  std::optional<std::string> base;     // the real content when the shadow first touched it; nullopt: absent
  std::optional<std::string> content;  // the proposed content; nullopt: deleted
  unsigned mode = 0644;
};
const char* toString(ShadowChange::Kind);

struct MaterializeStats {
  std::size_t linked = 0;   // unchanged files hard-linked (or symlinked across file systems)
  std::size_t written = 0;  // changed or created files written
  std::size_t dirs = 0;
  double seconds = 0;
};

class ShadowWorkspace {
 public:
  ShadowWorkspace(std::string id, std::vector<std::filesystem::path> roots);

  const std::string& id() const { return id_; }
  const std::vector<std::filesystem::path>& roots() const { return roots_; }

  // The proposed content, else the real file's. NotFound-style InvalidParams
  // when neither exists (or the shadow deleted it).
  Expected<std::string> read(const std::filesystem::path& path) const;
  bool exists(const std::filesystem::path& path) const;

  Expected<void> write(const std::filesystem::path& path, std::string content);
  Expected<void> remove(const std::filesystem::path& path);
  Expected<void> rename(const std::filesystem::path& from, const std::filesystem::path& to);
  // Applies parsed edits (paths relative to `base`) all or nothing: if one
  // file's hunks fail, no file of the batch changes. Returns the paths touched.
  Expected<std::vector<std::filesystem::path>> applyEdits(const std::vector<FileEdit>& edits,
                                                          const std::filesystem::path& base);

  std::vector<ShadowChange> changes() const;  // sorted by path
  bool empty() const;
  // Unified diff of every change, paths relative to their root (prefixed by
  // the root's name when there are several roots).
  std::string diff() const;
  std::string relativeName(const std::filesystem::path& path) const;
  void discard();
  // Forgets the changes to these paths (after they were applied).
  void forget(const std::vector<std::filesystem::path>& paths);

  // Writes a tree at `dir`/<root name>/… mirroring each root with the
  // changes applied: unchanged files hard-linked (never copied, never written
  // through — bind it read-only in the sandbox), changed files written anew,
  // deleted files left out, heavy vendored directories (node_modules, .venv,
  // .git …) symlinked whole. `exclude` (relative path) keeps deny-listed
  // files out. Replaces whatever was at `dir`.
  Expected<MaterializeStats> materialize(const std::filesystem::path& dir,
                                         const std::function<bool(std::string_view)>& exclude = {}) const;
  // Where a root's copy lands under a materialized `dir`.
  std::filesystem::path materializedRoot(const std::filesystem::path& dir, std::size_t root) const;

 private:
  Expected<void> touch(const std::filesystem::path& path);  // records the base; mu_ held

  std::string id_;
  std::vector<std::filesystem::path> roots_;
  mutable std::mutex mu_;
  std::map<std::filesystem::path, ShadowChange> changes_;
};

}  // namespace cadre::workspace
