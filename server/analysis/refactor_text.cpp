// Shared pieces of the deterministic refactors; see refactor_text.hpp.
#include "server/analysis/refactor_text.hpp"

#include <algorithm>
#include <filesystem>

namespace cadre::analysis {

RefactorFamily refactorFamily(const Language& lang) {
  if (lang.id == "python") return RefactorFamily::Python;
  if (lang.id == "javascript" || lang.id == "typescript" || lang.id == "tsx") return RefactorFamily::Script;
  return RefactorFamily::None;
}

std::string applyTextEdits(std::string_view text, std::vector<TextEdit> edits) {
  std::stable_sort(edits.begin(), edits.end(), [](const TextEdit& a, const TextEdit& b) { return a.start < b.start; });
  std::string out;
  out.reserve(text.size());
  std::uint32_t at = 0;
  for (const auto& e : edits) {
    const std::uint32_t start = std::max(at, std::min<std::uint32_t>(e.start, static_cast<std::uint32_t>(text.size())));
    out.append(text.substr(at, start - at));
    out += e.text;
    at = std::max(start, std::min<std::uint32_t>(e.end, static_cast<std::uint32_t>(text.size())));
  }
  out.append(text.substr(at));
  return out;
}

std::string_view nodeText(TSNode node, std::string_view text) {
  const std::uint32_t s = ts_node_start_byte(node), e = ts_node_end_byte(node);
  if (s > text.size() || e > text.size() || e < s) return {};
  return text.substr(s, e - s);
}

bool isType(TSNode node, std::string_view type) { return !ts_node_is_null(node) && type == ts_node_type(node); }

void walkNodes(TSNode node, const std::function<bool(TSNode)>& visit) {
  if (ts_node_is_null(node) || !visit(node)) return;
  const std::uint32_t n = ts_node_child_count(node);
  for (std::uint32_t i = 0; i < n; ++i) walkNodes(ts_node_child(node, i), visit);
}

std::uint32_t lineStartOf(std::string_view text, std::uint32_t offset) {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text.size()));
  while (offset > 0 && text[offset - 1] != '\n') --offset;
  return offset;
}

std::uint32_t lineEndOf(std::string_view text, std::uint32_t offset) {
  const auto nl = text.find('\n', offset);
  return nl == std::string_view::npos ? static_cast<std::uint32_t>(text.size()) : static_cast<std::uint32_t>(nl + 1);
}

std::string leadingWhitespace(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return std::string(line.substr(0, i));
}

std::string indentUnitOf(std::string_view text, RefactorFamily family) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    const std::string_view line = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    const std::string ws = leadingWhitespace(line);
    if (!ws.empty() && ws.size() < line.size()) return ws[0] == '\t' ? "\t" : ws;
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return family == RefactorFamily::Python ? "    " : "  ";
}

std::uint32_t importInsertionPoint(TSNode root, std::string_view text, RefactorFamily family) {
  std::uint32_t after = 0;
  bool sawImport = false;
  const std::uint32_t n = ts_node_named_child_count(root);
  for (std::uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(root, i);
    const bool import = family == RefactorFamily::Python
                            ? isType(c, "import_statement") || isType(c, "import_from_statement") || isType(c, "future_import_statement")
                            : isType(c, "import_statement");
    if (import) {
      after = lineEndOf(text, ts_node_end_byte(c));
      sawImport = true;
      continue;
    }
    if (sawImport) break;
    // Before any import: leading comments, a docstring, a "use strict".
    const bool prologue = isType(c, "comment") ||
                          (isType(c, "expression_statement") && ts_node_named_child_count(c) == 1 &&
                           isType(ts_node_named_child(c, 0), "string"));
    if (!prologue) break;
    after = lineEndOf(text, ts_node_end_byte(c));
  }
  return std::min<std::uint32_t>(after, static_cast<std::uint32_t>(text.size()));
}

namespace {

std::string namesList(const std::vector<ImportedName>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n.name;
    if (!n.alias.empty() && n.alias != n.name) out += " as " + n.alias;
  }
  return out;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& p : std::filesystem::path(path)) {
    const std::string s = p.generic_string();
    if (!s.empty() && s != ".") out.push_back(s);
  }
  return out;
}

std::vector<std::string> pythonModuleSegments(const std::string& path) {
  std::string p = path;
  if (p.size() > 3 && p.ends_with(".py")) p.resize(p.size() - 3);
  auto segs = segments(p);
  if (!segs.empty() && segs.back() == "__init__") segs.pop_back();
  return segs;
}

std::string joined(const std::vector<std::string>& segs, std::size_t from, char sep) {
  std::string out;
  for (std::size_t i = from; i < segs.size(); ++i) {
    if (i > from) out += sep;
    out += segs[i];
  }
  return out;
}

}  // namespace

std::string importStatement(const ImportSpec& spec, RefactorFamily family, char quote) {
  if (family == RefactorFamily::Python) {
    if (spec.name.empty()) return "import " + spec.module + (spec.nsAlias.empty() ? "" : " as " + spec.nsAlias) + "\n";
    return "from " + spec.module + " import " + namesList({{spec.name, spec.alias, {}}}) + "\n";
  }
  const std::string from = std::string(" from ") + quote + spec.module + quote + ";\n";
  if (!spec.nsAlias.empty()) return "import * as " + spec.nsAlias + from;
  if (spec.name == "default") return "import " + spec.alias + from;
  return "import { " + namesList({{spec.name, spec.alias, {}}}) + " }" + from;
}

std::string rewriteImport(const Import& imp, const std::vector<ImportedName>& keep, RefactorFamily family, char quote) {
  if (keep.empty()) return {};
  if (family == RefactorFamily::Python) {
    if (imp.statement != "import_from_statement") return {};
    return "from " + imp.module + " import " + namesList(keep);
  }
  if (!imp.namespaceAlias.empty()) return {};
  for (const auto& n : imp.names) {
    if (n.name == "default") return {};
  }
  return std::string(imp.reexport ? "export { " : "import { ") + namesList(keep) + " } from " + quote + imp.module + quote + ";";
}

std::string pythonSpecifier(const std::string& from, const std::string& target, bool relative, const std::string& pythonRoot) {
  const auto targetSegs = pythonModuleSegments(target);
  if (relative) {
    const auto fromDir = segments(std::filesystem::path(from).parent_path().generic_string());
    std::size_t common = 0;
    while (common < fromDir.size() && common < targetSegs.size() && fromDir[common] == targetSegs[common]) ++common;
    return std::string(fromDir.size() - common + 1, '.') + joined(targetSegs, common, '.');
  }
  const auto rootSegs = segments(pythonRoot);
  std::size_t skip = 0;
  if (rootSegs.size() <= targetSegs.size() && std::equal(rootSegs.begin(), rootSegs.end(), targetSegs.begin())) skip = rootSegs.size();
  return joined(targetSegs, skip, '.');
}

std::string scriptSpecifier(const std::string& from, const std::string& target, std::string_view styleExample) {
  namespace fs = std::filesystem;
  const fs::path t(target);
  std::string rel = t.lexically_relative(fs::path(from).parent_path()).generic_string();
  const std::string ext = t.extension().string();
  rel.resize(rel.size() - ext.size());
  // Keep the project's habit: "./x" (bundlers, TS), "./x.js" (ESM from TS), "./x.ts".
  const std::string styleExt = fs::path(std::string(styleExample)).extension().string();
  if (!styleExt.empty() && (styleExt == ext || styleExt == ".js" || styleExt == ".mjs")) rel += styleExt == ext ? ext : styleExt;
  if (!rel.starts_with("../")) rel = "./" + rel;
  return rel;
}

}  // namespace cadre::analysis
