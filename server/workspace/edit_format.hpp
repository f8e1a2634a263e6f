// The edit formats models write and the wire carries: search/replace blocks
// (Aider's fenced format), unified diffs, whole-file writes, deletions and
// renames. Application is tolerant the way Aider found pays off (exact, then
// ignoring trailing whitespace, then ignoring indentation and re-indenting
// the replacement, then with less diff context; stale line numbers only
// break ties) and all-or-nothing: a hunk that does not apply is an error
// naming the hunk and why, with the closest match — never a partial apply.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace {

struct Hunk {
  std::string search;   // text to find (diff: context + removed lines); empty: insert
  std::string replace;  // text to put there (diff: context + added lines)
  int lineHint = 0;     // 1-based line the hunk claims to start at (diff headers); 0: none
  int contextBefore = 0, contextAfter = 0;  // diff context lines at the edges (may be dropped for fuzz)
  std::string header;   // "@@ -10,4 +10,5 @@" or "SEARCH/REPLACE block 2", for messages
};

struct FileEdit {
  enum class Kind { Patch, Write, Delete, Rename };
  Kind kind = Kind::Patch;
  std::string path;      // the file (Rename: the destination)
  std::string fromPath;  // Rename: the source
  std::vector<Hunk> hunks;  // Patch
  std::string content;      // Write
};

// Parses a model's answer: any mix of search/replace blocks and unified
// diffs (git-style `diff --git`, `--- a/x`/`+++ b/x`, /dev/null for new and
// deleted files). Prose around them is ignored. No edits found → InvalidParams.
Expected<std::vector<FileEdit>> parseEdits(std::string_view text);

// Applies every hunk, in order, to `text`; all or nothing. `path` names the
// file in messages; line numbers in them are of the text as the earlier
// hunks left it.
Expected<std::string> applyHunks(std::string_view path, std::string_view text, const std::vector<Hunk>& hunks);

// A unified diff between two versions of a file (3 lines of context), with
// `--- a/PATH` / `+++ b/PATH` headers; empty when equal. /dev/null stands for
// a missing side when `oldExists`/`newExists` is false.
std::string unifiedDiff(std::string_view path, std::string_view oldText, std::string_view newText, bool oldExists = true,
                        bool newExists = true);

// One replacement of bytes [start, end) of an old text by `text`.
struct TextReplacement {
  std::size_t start = 0, end = 0;
  std::string text;
};

// The runs of whole lines that differ between two texts, as replacements of
// `oldText` in order and not overlapping (the same line diff as
// unifiedDiff): what an editor needs to change an open buffer in place —
// marks, folds and undo history outside the changed lines stay — instead of
// replacing it whole. Empty when the texts are equal.
std::vector<TextReplacement> lineReplacements(std::string_view oldText, std::string_view newText);

}  // namespace cadre::workspace
