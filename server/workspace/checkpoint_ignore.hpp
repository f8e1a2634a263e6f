// .gitignore rules for the checkpoint scanner, evaluated the way git's own
// directory walk does: one rule file per directory pushed as the walk enters
// it, the deepest file consulted first and its last matching line deciding,
// then the repository's info/exclude. The scanner asks about every file and
// directory of the tree on every checkpoint, so literal and `*.ext` patterns
// (most of real .gitignore files) are decided by a string compare, and only
// the rest go through wildmatch (a port of git's, with WM_PATHNAME).
// Global excludes (core.excludesFile) are left out on purpose: what a
// checkpoint holds must not depend on who takes it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::workspace {

// git's wildmatch with WM_PATHNAME: `*`, `?` and classes stop at '/', `**`
// as a whole component spans directories. Both strings NUL-terminated.
bool wildmatch(const char* pattern, const char* text);

// The patterns of one .gitignore (or info/exclude), in file order.
class IgnoreFile {
 public:
  void parse(std::string_view text);
  bool empty() const { return patterns_.empty(); }

  enum class Verdict { None, Ignored, Included };
  // `rel`: the path relative to this file's directory; `base`: its last
  // component. Both NUL-terminated views into one string.
  Verdict match(const char* rel, const char* base, std::size_t baseLen, bool isDirectory) const;

 private:
  enum class Kind { Literal, Suffix, Glob };
  struct Pattern {
    std::string text;  // without the leading '!', a leading '/' and a trailing '/'
    Kind kind = Kind::Glob;
    bool negate = false;
    bool dirOnly = false;
    bool anchored = false;  // had a '/' other than a trailing one: matched against `rel`
  };
  std::vector<Pattern> patterns_;
};

// The rule files in force at one point of the walk: outermost first.
class IgnoreStack {
 public:
  // `baseLen`: length of the directory's path prefix including its trailing
  // '/' ("" for the root: 0). The file must outlive its frame. `lead`: for a
  // rule file above the walk's root (the root is a subfolder of a
  // repository), the root's path from that file's directory, with a
  // trailing '/'.
  void push(const IgnoreFile* file, std::size_t baseLen, std::string lead = {}) {
    frames_.push_back({file, baseLen, std::move(lead)});
  }
  void pop() { frames_.pop_back(); }
  // A nested repository follows its own rules only: frames below the floor
  // are not consulted. Returns the previous floor.
  std::size_t raiseFloor() {
    std::size_t old = floor_;
    floor_ = frames_.size();
    return old;
  }
  void restoreFloor(std::size_t floor) { floor_ = floor; }

  // `path`: relative to the walk's root, '/'-separated, NUL-terminated.
  bool ignored(const std::string& path, bool isDirectory) const;

 private:
  struct Frame {
    const IgnoreFile* file;
    std::size_t baseLen;
    std::string lead;
  };
  std::vector<Frame> frames_;
  std::size_t floor_ = 0;
};

}  // namespace cadre::workspace
