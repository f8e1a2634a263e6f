// The overlay and its materialization. Changes are whole contents keyed by
// absolute path; the base (the real content when first touched) is kept so
// apply can tell whether the user changed the file meanwhile.
#include "server/workspace/shadow.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "support/files.hpp"

namespace cadre::workspace {
namespace fs = std::filesystem;

namespace {

// Directories a linter reads but nobody edits, linked whole rather than
// mirrored file by file (node_modules alone can hold 100k files).
constexpr std::array kLinkWhole = {"node_modules", ".git", ".hg", ".svn", ".venv", "venv", "__pycache__",
                                   ".mypy_cache", ".pytest_cache", ".tox", "target", ".gradle", ".cache"};

bool isUnder(const fs::path& p, const fs::path& dir) {
  auto d = dir.begin(), pi = p.begin();
  for (; d != dir.end(); ++d, ++pi)
    if (pi == p.end() || *d != *pi) return false;
  return true;
}

std::optional<std::string> readReal(const fs::path& p, unsigned* mode) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if (mode) *mode = st.st_mode & 07777;
  std::string text;
  if (!readWholeFile(p, text)) return std::nullopt;
  return text;
}

Expected<void> writeFile(const fs::path& p, const std::string& content, unsigned mode) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return makeError(ErrorCode::IoError, "cannot write " + p.string());
  ::chmod(p.c_str(), mode);
  return {};
}

}  // namespace

const char* toString(ShadowChange::Kind k) {
  switch (k) {
    case ShadowChange::Kind::Created: return "created";
    case ShadowChange::Kind::Modified: return "modified";
    case ShadowChange::Kind::Deleted: return "deleted";
  }
  return "modified";
}

ShadowWorkspace::ShadowWorkspace(std::string id, std::vector<fs::path> roots) : id_(std::move(id)), roots_(std::move(roots)) {}

Expected<std::string> ShadowWorkspace::read(const fs::path& path) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = changes_.find(path); it != changes_.end()) {
      if (!it->second.content) return makeError(ErrorCode::InvalidParams, path.string() + " was deleted in this task");
      return *it->second.content;
    }
  }
  auto real = readReal(path, nullptr);
  if (!real) return makeError(ErrorCode::InvalidParams, "no such file: " + path.string());
  return *real;
}

bool ShadowWorkspace::exists(const fs::path& path) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = changes_.find(path); it != changes_.end()) return it->second.content.has_value();
  }
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

Expected<void> ShadowWorkspace::touch(const fs::path& path) {
  if (changes_.count(path)) return {};
  std::error_code ec;
  if (fs::is_directory(path, ec)) return makeError(ErrorCode::InvalidParams, path.string() + " is a directory");
  ShadowChange c;
  c.path = path;
  c.base = readReal(path, &c.mode);
  c.content = c.base;
  c.kind = c.base ? ShadowChange::Kind::Modified : ShadowChange::Kind::Created;
  changes_.emplace(path, std::move(c));
  return {};
}

Expected<void> ShadowWorkspace::write(const fs::path& path, std::string content) {
  std::lock_guard lock(mu_);
  if (auto ok = touch(path); !ok) return ok;
  auto& c = changes_[path];
  c.content = std::move(content);
  c.kind = c.base ? ShadowChange::Kind::Modified : ShadowChange::Kind::Created;
  if (c.base == c.content) changes_.erase(path);  // back to the real file: no change
  return {};
}

Expected<void> ShadowWorkspace::remove(const fs::path& path) {
  std::lock_guard lock(mu_);
  if (auto ok = touch(path); !ok) return ok;
  auto& c = changes_[path];
  if (!c.content) {
    if (!c.base) changes_.erase(path);
    return makeError(ErrorCode::InvalidParams, "no such file: " + path.string());
  }
  c.content.reset();
  c.kind = ShadowChange::Kind::Deleted;
  if (!c.base) changes_.erase(path);  // created in this task, then deleted: nothing left
  return {};
}

Expected<void> ShadowWorkspace::rename(const fs::path& from, const fs::path& to) {
  if (from == to) return {};
  if (exists(to)) return makeError(ErrorCode::InvalidParams, "cannot rename onto " + to.string() + ": it exists");
  auto content = read(from);
  if (!content) return content.error();
  unsigned mode = 0644;
  readReal(from, &mode);
  if (auto ok = write(to, std::move(*content)); !ok) return ok;
  {
    std::lock_guard lock(mu_);
    if (auto it = changes_.find(to); it != changes_.end()) it->second.mode = mode;
  }
  return remove(from);
}

Expected<std::vector<fs::path>> ShadowWorkspace::applyEdits(const std::vector<FileEdit>& edits, const fs::path& base) {
  // Work on a copy; commit only if every edit applies.
  ShadowWorkspace trial(id_, roots_);
  {
    std::lock_guard lock(mu_);
    trial.changes_ = changes_;
  }
  std::vector<fs::path> touched;
  for (const auto& e : edits) {
    fs::path target = (base / e.path).lexically_normal();
    Expected<void> ok{};
    switch (e.kind) {
      case FileEdit::Kind::Write: ok = trial.write(target, e.content); break;
      case FileEdit::Kind::Delete: ok = trial.remove(target); break;
      case FileEdit::Kind::Rename: ok = trial.rename((base / e.fromPath).lexically_normal(), target); break;
      case FileEdit::Kind::Patch: {
        auto text = trial.read(target);
        if (!text) return text.error();
        auto next = applyHunks(e.path, *text, e.hunks);
        if (!next) return next.error();
        ok = trial.write(target, std::move(*next));
        break;
      }
    }
    if (!ok) return ok.error();
    touched.push_back(target);
  }
  std::lock_guard lock(mu_);
  changes_ = std::move(trial.changes_);
  return touched;
}

std::vector<ShadowChange> ShadowWorkspace::changes() const {
  std::lock_guard lock(mu_);
  std::vector<ShadowChange> out;
  for (const auto& [p, c] : changes_) out.push_back(c);
  return out;
}

bool ShadowWorkspace::empty() const {
  std::lock_guard lock(mu_);
  return changes_.empty();
}

std::string ShadowWorkspace::relativeName(const fs::path& path) const {
  for (const auto& r : roots_) {
    if (isUnder(path, r)) {
      std::string rel = path.lexically_relative(r).generic_string();
      return roots_.size() > 1 ? r.filename().string() + "/" + rel : rel;
    }
  }
  return path.string();
}

std::string ShadowWorkspace::diff() const {
  std::string out;
  for (const auto& c : changes()) {
    out += unifiedDiff(relativeName(c.path), c.base.value_or(""), c.content.value_or(""), c.base.has_value(),
                       c.content.has_value());
  }
  return out;
}

void ShadowWorkspace::discard() {
  std::lock_guard lock(mu_);
  changes_.clear();
}

void ShadowWorkspace::forget(const std::vector<fs::path>& paths) {
  std::lock_guard lock(mu_);
  for (const auto& p : paths) changes_.erase(p);
}

fs::path ShadowWorkspace::materializedRoot(const fs::path& dir, std::size_t root) const {
  if (roots_.size() <= 1) return dir;
  return dir / (std::to_string(root) + "-" + roots_[root].filename().string());
}

Expected<MaterializeStats> ShadowWorkspace::materialize(const fs::path& dir,
                                                        const std::function<bool(std::string_view)>& exclude) const {
  const auto start = std::chrono::steady_clock::now();
  MaterializeStats stats;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create " + dir.string() + ": " + ec.message());
  std::map<fs::path, ShadowChange> changes;
  {
    std::lock_guard lock(mu_);
    changes = changes_;
  }
  auto changedUnder = [&](const fs::path& d) {
    auto it = changes.lower_bound(d);
    return it != changes.end() && isUnder(it->first, d);
  };
  for (std::size_t r = 0; r < roots_.size(); ++r) {
    const fs::path& root = roots_[r];
    const fs::path dest = materializedRoot(dir, r);
    fs::create_directories(dest, ec);
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::path& src = it->path();
      if (src == dir) {  // materializing into the project itself: not into itself again
        it.disable_recursion_pending();
        continue;
      }
      const fs::path rel = src.lexically_relative(root);
      if (exclude && exclude(rel.generic_string())) {
        std::error_code e1;
        if (it->is_directory(e1) && !it->is_symlink(e1)) it.disable_recursion_pending();
        continue;
      }
      const fs::path out = dest / rel;
      std::error_code e2;
      if (it->is_symlink(e2)) {
        fs::copy_symlink(src, out, e2);
        continue;
      }
      if (it->is_directory(e2)) {
        const std::string name = src.filename().string();
        if (std::find(kLinkWhole.begin(), kLinkWhole.end(), name) != kLinkWhole.end() && !changedUnder(src)) {
          fs::create_directory_symlink(src, out, e2);
          it.disable_recursion_pending();
          continue;
        }
        fs::create_directory(out, e2);
        ++stats.dirs;
        continue;
      }
      if (!it->is_regular_file(e2)) continue;
      if (auto c = changes.find(src); c != changes.end()) {
        if (c->second.content) {
          if (auto ok = writeFile(out, *c->second.content, c->second.mode); !ok) return ok.error();
          ++stats.written;
        }
        continue;
      }
      if (::link(src.c_str(), out.c_str()) != 0) {
        // Another file system (EXDEV) or hard links refused: a symlink reads the same.
        fs::create_symlink(src, out, e2);
        if (e2) return makeError(ErrorCode::IoError, "cannot link " + src.string() + " into " + dir.string() + ": " + e2.message());
      }
      ++stats.linked;
    }
    // Files the task created (their directories may be new too).
    for (const auto& [path, c] : changes) {
      if (!isUnder(path, root) || c.base || !c.content) continue;
      const fs::path rel = path.lexically_relative(root);
      if (exclude && exclude(rel.generic_string())) continue;
      if (auto ok = writeFile(dest / rel, *c.content, c.mode); !ok) return ok.error();
      ++stats.written;
    }
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace cadre::workspace
