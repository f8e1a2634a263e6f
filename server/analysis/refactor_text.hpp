// What the deterministic refactors (move_symbol, extract_function) share:
// byte edits applied to a text, walking a syntax tree, lines and indentation,
// and writing import statements in each language's own syntax. Refactors
// work on text and trees only; the caller reads and writes the files.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/analysis/language.hpp"
#include "server/analysis/symbols.hpp"

namespace cadre::analysis {

// Languages the refactors understand: Python, and the JavaScript family
// (javascript, typescript, tsx), whose import syntax is shared.
enum class RefactorFamily { None, Python, Script };
RefactorFamily refactorFamily(const Language& lang);

// A replacement of bytes [start, end) of a text.
struct TextEdit {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::string text;
};
// Applies non-overlapping edits (any order; insertions at one offset keep
// their given order).
std::string applyTextEdits(std::string_view text, std::vector<TextEdit> edits);

std::string_view nodeText(TSNode node, std::string_view text);
bool isType(TSNode node, std::string_view type);
// Calls `visit` on `node` and its descendants in source order; a false
// return skips that node's children.
void walkNodes(TSNode node, const std::function<bool(TSNode)>& visit);

std::uint32_t lineStartOf(std::string_view text, std::uint32_t offset);
// The offset just past the end of the line holding `offset` (past its '\n').
std::uint32_t lineEndOf(std::string_view text, std::uint32_t offset);
std::string leadingWhitespace(std::string_view line);
// The file's indentation step, guessed from its first indented line.
std::string indentUnitOf(std::string_view text, RefactorFamily family);

// Where new import statements go: after the last top-level import (or a
// Python module docstring / leading comments), at a line start.
std::uint32_t importInsertionPoint(TSNode root, std::string_view text, RefactorFamily family);

// One imported name for writing an import statement.
struct ImportSpec {
  std::string module;     // the specifier as it must be written
  std::string name;       // exported name ("default" for a JS default import); empty: the module itself
  std::string alias;      // local name when it differs
  std::string nsAlias;    // `import * as ns` / `import m as ns`
};
std::string importStatement(const ImportSpec& spec, RefactorFamily family, char quote = '"');
// The statement `imp` rewritten with only `keep` of its names (Python from-
// imports and JS named imports); empty when the statement cannot be
// rewritten that way (a default import beside the names, for example).
std::string rewriteImport(const Import& imp, const std::vector<ImportedName>& keep, RefactorFamily family, char quote);

// The specifier to import `target` (relative to the root) from `from`:
// Python dotted (relative when `relative`, else absolute with `pythonRoot`
// stripped), script "./rel" with the extension style of `styleExample`.
std::string pythonSpecifier(const std::string& from, const std::string& target, bool relative, const std::string& pythonRoot);
std::string scriptSpecifier(const std::string& from, const std::string& target, std::string_view styleExample);

}  // namespace cadre::analysis
