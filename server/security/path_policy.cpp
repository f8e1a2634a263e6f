// The deny-list and the roots, applied to resolved paths. Resolution is our
// own walk (not realpath) so that dangling symlinks and files about to be
// created resolve too: a write through `notes -> ~/.ssh/authorized_keys` must
// be caught before the file exists.
#include "server/security/path_policy.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "server/security/glob.hpp"

namespace cadre::security {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxSymlinkHops = 40;  // the kernel's MAXSYMLINKS
// A scan for deny-listed files stops here: a tree this large is scanned in
// part, and hard links beyond it are still masked by the sandbox's view.
constexpr std::size_t kMaxScanEntries = 500000;

std::vector<std::string> splitComponents(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string joinComponents(const std::vector<std::string>& c, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) s += '/';
    s += c[i];
  }
  return s;
}


fs::path canonicalRoot(const fs::path& root) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(root, ec), ec);
  return ec ? root.lexically_normal() : c;
}

}  // namespace

const std::vector<std::string>& PathPolicy::defaultDenyPatterns() {
  // DESIGN.md's list, plus the other OpenSSH key names (ed25519 is today's
  // default) and git's plain-text credential store.
  static const std::vector<std::string> kDefaults = {
      ".env",    ".env.*",        ".ssh/",        ".aws/credentials",    ".gnupg/",      ".netrc",
      "*.pem",   "*.key",         "id_rsa*",      ".docker/config.json", ".kube/config", "id_ed25519*",
      "id_ecdsa*", "id_dsa*",     ".git-credentials",
  };
  return kDefaults;
}

std::optional<fs::path> resolvePath(std::string_view path, const fs::path& base) {
  if (path.empty() || path.find('\0') != std::string_view::npos) return std::nullopt;
  std::vector<std::string> pending;  // components still to walk, in reverse
  auto pushAll = [&](std::string_view s) {
    auto c = splitComponents(s);
    for (auto it = c.rbegin(); it != c.rend(); ++it) pending.push_back(*it);
  };
  fs::path resolved = "/";
  // A stack: what is walked first goes on last.
  pushAll(path);
  if (path.front() != '/') pushAll(base.string());
  int hops = 0;
  bool missing = false;  // once a component is missing, the rest is lexical
  while (!pending.empty()) {
    std::string comp = std::move(pending.back());
    pending.pop_back();
    if (comp == ".") continue;
    if (comp == "..") {
      if (resolved != "/") resolved = resolved.parent_path();
      continue;
    }
    fs::path candidate = resolved / comp;
    if (missing) {
      resolved = candidate;
      continue;
    }
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) {
      missing = true;
      resolved = candidate;
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return std::nullopt;
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
      ssize_t n = ::readlink(candidate.c_str(), target.data(), target.size());
      if (n < 0) {
        missing = true;
        resolved = candidate;
        continue;
      }
      target.resize(static_cast<std::size_t>(n));
      if (!target.empty() && target.front() == '/') resolved = "/";
      pushAll(target);
      continue;
    }
    resolved = candidate;
  }
  return resolved;
}

PathPolicy::PathPolicy(PathPolicyConfig config) {
  for (auto& r : config.roots) roots_.push_back(canonicalRoot(r));
  patterns_ = defaultDenyPatterns();
  for (auto& p : config.extraDeny)
    if (!p.empty() && std::find(patterns_.begin(), patterns_.end(), p) == patterns_.end()) patterns_.push_back(p);
  home_ = config.home;
  if (home_.empty()) {
    if (const char* h = std::getenv("HOME"); h && *h) home_ = h;
  }
}

std::optional<fs::path> PathPolicy::rootOf(const fs::path& canonical) const {
  std::optional<fs::path> best;
  for (auto& r : roots_)
    if (isUnder(canonical, r) && (!best || r.string().size() > best->string().size())) best = r;
  return best;
}

std::optional<std::string> PathPolicy::matchDeny(const std::vector<std::string>& c) const {
  for (const auto& pattern : patterns_) {
    std::string_view pat = pattern;
    const bool dirOnly = !pat.empty() && pat.back() == '/';
    if (dirOnly) pat.remove_suffix(1);
    while (!pat.empty() && pat.front() == '/') pat.remove_prefix(1);
    if (pat.empty()) continue;
    const bool multi = pat.find('/') != std::string_view::npos;
    if (!multi) {
      // A single name matches any component: everything under a denied
      // directory is denied too (and `.ssh/` also refuses a file of that name,
      // erring on the safe side).
      for (std::size_t i = 0; i < c.size(); ++i)
        if (globMatch(pat, c[i])) return pattern;
      continue;
    }
    for (std::size_t i = 0; i < c.size(); ++i)
      for (std::size_t j = i + 1; j <= c.size(); ++j)
        if (globMatch(pat, joinComponents(c, i, j))) return pattern;
  }
  return std::nullopt;
}

std::optional<std::string> PathPolicy::deniedBy(const fs::path& canonical) const {
  auto root = rootOf(canonical);
  std::string rel = root ? canonical.lexically_relative(*root).generic_string() : canonical.generic_string();
  if (rel == ".") rel.clear();
  return matchDeny(splitComponents(rel));
}

const PathPolicy::Scan& PathPolicy::scan() const {
  std::lock_guard lock(mu_);
  if (scan_) return *scan_;
  Scan s;
  auto remember = [&](const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      s.secretInodes.insert({st.st_dev, st.st_ino});
      s.inodeNames.push_back({{st.st_dev, st.st_ino}, p.string()});
    }
  };
  std::size_t seen = 0;
  for (const auto& root : roots_) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && seen < kMaxScanEntries; it.increment(ec)) {
      ++seen;
      const fs::path& p = it->path();
      std::string rel = p.lexically_relative(root).generic_string();
      if (auto rule = matchDeny(splitComponents(rel))) {
        s.denied.push_back(p);
        std::error_code e2;
        if (it->is_directory(e2) && !it->is_symlink(e2)) {
          for (fs::recursive_directory_iterator sub(p, fs::directory_options::skip_permission_denied, e2), send;
               !e2 && sub != send && seen < kMaxScanEntries; sub.increment(e2), ++seen)
            remember(sub->path());
          it.disable_recursion_pending();
        } else {
          remember(p);
        }
        continue;
      }
      if (p.filename() == ".git") it.disable_recursion_pending();
    }
  }
  if (!home_.empty()) {
    for (const char* dir : {".ssh", ".gnupg"}) {
      std::error_code ec;
      for (fs::recursive_directory_iterator it(home_ / dir, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec))
        remember(it->path());
    }
    for (const char* f : {".aws/credentials", ".netrc", ".docker/config.json", ".kube/config", ".git-credentials"})
      remember(home_ / f);
  }
  // Hard links to a secret that live under a root under another name.
  if (!s.secretInodes.empty()) {
    for (const auto& root : roots_) {
      std::error_code ec;
      std::size_t walked = 0;
      for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end && walked < kMaxScanEntries; it.increment(ec), ++walked) {
        struct stat st {};
        if (it->path().filename() == ".git") {
          it.disable_recursion_pending();
          continue;
        }
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1 &&
            s.secretInodes.count({st.st_dev, st.st_ino}) &&
            std::find(s.denied.begin(), s.denied.end(), it->path()) == s.denied.end())
          s.denied.push_back(it->path());
      }
    }
  }
  scan_ = std::move(s);
  return *scan_;
}

void PathPolicy::refresh() {
  std::lock_guard lock(mu_);
  scan_.reset();
}

std::vector<fs::path> PathPolicy::maskedPaths() const { return scan().denied; }

PathCheck PathPolicy::check(std::string_view path, PathAccess access, const fs::path& base) const {
  PathCheck out;
  fs::path from = base.empty() ? (roots_.empty() ? fs::current_path() : roots_.front()) : base;
  auto resolved = resolvePath(path, from);
  if (!resolved) {
    out.refusal = PathRefusal::Invalid;
    out.message = path.empty() ? "empty path" : "invalid path '" + std::string(path) + "' (NUL byte or symlink loop)";
    return out;
  }
  out.canonical = *resolved;
  const std::string shown(path);
  // The name as given counts too: `.ENV` is refused even where no such file
  // exists, and so is a symlink whose own name is deny-listed.
  auto lexical = (fs::path(from) / fs::path(shown)).lexically_normal();
  for (const fs::path& candidate : {out.canonical, lexical}) {
    if (auto rule = deniedBy(candidate)) {
      out.refusal = PathRefusal::Denied;
      out.rule = *rule;
      out.message = "'" + shown + "' is deny-listed (" + *rule + "): cadre never lets a model or a tool read or change it";
      if (candidate == out.canonical && out.canonical != lexical)
        out.message += " (it resolves to " + out.canonical.string() + ")";
      return out;
    }
  }
  struct stat st {};
  if (::stat(out.canonical.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
    const Scan& s = scan();
    if (s.secretInodes.count({st.st_dev, st.st_ino})) {
      std::string other;
      for (auto& [ino, name] : s.inodeNames)
        if (ino == std::pair<dev_t, ino_t>{st.st_dev, st.st_ino}) other = name;
      out.refusal = PathRefusal::Denied;
      out.rule = "hard link to " + other;
      out.message = "'" + shown + "' is a hard link to the deny-listed file " + other;
      return out;
    }
  }
  auto root = rootOf(out.canonical);
  if (!root) {
    out.refusal = PathRefusal::OutsideRoots;
    out.message = "'" + shown + "' resolves to " + out.canonical.string() + ", outside the workspace";
    return out;
  }
  if (access == PathAccess::Write) {
    auto rel = splitComponents(out.canonical.lexically_relative(*root).generic_string());
    for (const auto& c : rel) {
      if (c == ".git" || c == ".cadre") {
        out.refusal = PathRefusal::Denied;
        out.rule = c + "/";
        out.message = "'" + shown + "' is inside " + c +
                      "/: cadre's tools never write there (git hooks and cadre's own settings and audit trail)";
        return out;
      }
    }
  }
  return out;
}

bool isUnder(const fs::path& p, const fs::path& dir) {
  auto d = dir.begin(), pi = p.begin();
  for (; d != dir.end(); ++d, ++pi) {
    if (pi == p.end() || *d != *pi) return false;
  }
  return true;
}

}  // namespace cadre::security
