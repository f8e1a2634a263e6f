// Moving a definition to another file and fixing its imports; see
// move_symbol.hpp.
#include "server/analysis/move_symbol.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "server/analysis/parser.hpp"
#include "server/analysis/refactor_text.hpp"

namespace cadre::analysis {
namespace {

struct TopLevel {
  TSNode stmt;
  std::string name;
  bool exported = false;  // JS/TS `export …`
};

// The name a top-level statement defines, or "" when it is not a definition
// cadre can move.
std::string definedName(TSNode n, std::string_view text, RefactorFamily fam, bool& exported) {
  auto nameOf = [&](TSNode d) { return std::string(nodeText(ts_node_child_by_field_name(d, "name", 4), text)); };
  if (fam == RefactorFamily::Python) {
    if (isType(n, "decorated_definition")) n = ts_node_child_by_field_name(n, "definition", 10);
    if (isType(n, "function_definition") || isType(n, "class_definition")) return nameOf(n);
    return {};
  }
  if (isType(n, "export_statement")) {
    for (std::uint32_t i = 0; i < ts_node_child_count(n); ++i) {
      if (isType(ts_node_child(n, i), "default")) return {};  // a default export has no name to import by
    }
    exported = true;
    n = ts_node_child_by_field_name(n, "declaration", 11);
  }
  for (const char* t : {"function_declaration", "generator_function_declaration", "class_declaration", "abstract_class_declaration",
                        "interface_declaration", "type_alias_declaration", "enum_declaration"}) {
    if (isType(n, t)) return nameOf(n);
  }
  if ((isType(n, "lexical_declaration") || isType(n, "variable_declaration")) && ts_node_named_child_count(n) == 1) {
    TSNode d = ts_node_named_child(n, 0);
    TSNode name = ts_node_child_by_field_name(d, "name", 4);
    if (isType(name, "identifier")) return std::string(nodeText(name, text));
  }
  return {};
}

std::vector<TopLevel> topLevels(TSNode root, std::string_view text, RefactorFamily fam) {
  std::vector<TopLevel> out;
  for (std::uint32_t i = 0; i < ts_node_named_child_count(root); ++i) {
    TopLevel t{ts_node_named_child(root, i), {}, false};
    t.name = definedName(t.stmt, text, fam, t.exported);
    if (!t.name.empty()) out.push_back(t);
  }
  return out;
}

bool isImportStatement(TSNode n, RefactorFamily fam) {
  if (fam == RefactorFamily::Python) return isType(n, "import_statement") || isType(n, "import_from_statement") || isType(n, "future_import_statement");
  return isType(n, "import_statement") || (isType(n, "export_statement") && !ts_node_is_null(ts_node_child_by_field_name(n, "source", 6)));
}

// Names a piece of code reads or binds, by identifier: attribute names
// (`obj.x`) and keyword-argument names are not uses of a module-level `x`.
void collectNames(TSNode node, std::string_view text, const std::function<void(std::string_view, TSNode)>& use) {
  walkNodes(node, [&](TSNode n) {
    if (isType(n, "attribute")) {
      collectNames(ts_node_child_by_field_name(n, "object", 6), text, use);
      return false;
    }
    if (isType(n, "keyword_argument")) {
      collectNames(ts_node_child_by_field_name(n, "value", 5), text, use);
      return false;
    }
    if (isType(n, "identifier") || isType(n, "type_identifier") || isType(n, "shorthand_property_identifier")) use(nodeText(n, text), n);
    return true;
  });
}

// Uses of `name` outside the moved statement and outside import statements.
bool usedElsewhere(TSNode root, std::string_view text, RefactorFamily fam, TSNode moved, const std::string& name) {
  bool found = false;
  for (std::uint32_t i = 0; i < ts_node_named_child_count(root) && !found; ++i) {
    TSNode c = ts_node_named_child(root, i);
    if (ts_node_eq(c, moved) || isImportStatement(c, fam)) continue;
    collectNames(c, text, [&](std::string_view n, TSNode) { found = found || n == name; });
  }
  return found;
}

// The local names an import statement binds.
std::vector<std::string> localsOf(const Import& imp) {
  std::vector<std::string> out;
  for (const auto& n : imp.names) out.push_back(n.alias.empty() ? n.name : n.alias);
  if (!imp.namespaceAlias.empty()) out.push_back(imp.namespaceAlias);
  else if (imp.names.empty() && !imp.wildcard && imp.statement == "import_statement" && !imp.module.empty() && imp.module[0] != '.' &&
           imp.module.find('/') == std::string::npos && imp.module.find('"') == std::string::npos)
    out.push_back(imp.module.substr(0, imp.module.find('.')));  // Python `import a.b` binds `a`
  return out;
}

char quoteOf(const Import& imp, std::string_view text) {
  if (imp.moduleSpan.startByte < text.size()) {
    const char c = text[imp.moduleSpan.startByte];
    if (c == '"' || c == '\'' || c == '`') return c;
  }
  return '"';
}

// The module span without its quotes (JS/TS specifiers are string nodes).
std::pair<std::uint32_t, std::uint32_t> specifierRange(const Import& imp, std::string_view text) {
  std::uint32_t s = imp.moduleSpan.startByte, e = imp.moduleSpan.endByte;
  if (e > s + 1 && s < text.size() && (text[s] == '"' || text[s] == '\'' || text[s] == '`')) return {s + 1, e - 1};
  return {s, e};
}

TextEdit removeLines(std::string_view text, const Span& span) {
  return {lineStartOf(text, span.startByte), lineEndOf(text, span.endByte), ""};
}

std::string trimTrailingBlankLines(std::string s) {
  while (s.size() >= 2 && s[s.size() - 1] == '\n' && s[s.size() - 2] == '\n') s.pop_back();
  return s;
}

}  // namespace

Expected<MoveResult> moveSymbol(const ProjectIndex& index, const Resolver& resolver, const MoveRequest& req, const TextLoader& load) {
  const Language* lang = languageForPath(req.sourcePath);
  const RefactorFamily fam = lang ? refactorFamily(*lang) : RefactorFamily::None;
  if (fam == RefactorFamily::None)
    return makeError(ErrorCode::RequestFailed, "moving a symbol works in Python, JavaScript and TypeScript files, not " + req.sourcePath);
  const Language* tlang = languageForPath(req.targetPath);
  if (!tlang || refactorFamily(*tlang) != fam)
    return makeError(ErrorCode::InvalidParams, "the target " + req.targetPath + " must be a " +
                                                   (fam == RefactorFamily::Python ? "Python" : "JavaScript or TypeScript") + " file");
  if (req.targetPath == req.sourcePath) return makeError(ErrorCode::InvalidParams, "the target is the file the symbol is already in");

  Parser parser;
  const std::string& text = req.sourceText;
  TreePtr tree = parser.parse(*lang, text);
  if (!tree) return makeError(ErrorCode::RequestFailed, "parsing " + req.sourcePath + " timed out");
  const TSNode root = ts_tree_root_node(tree.get());
  const auto tops = topLevels(root, text, fam);
  const TopLevel* moved = nullptr;
  for (const auto& t : tops) {
    if (req.offset >= ts_node_start_byte(t.stmt) && req.offset <= ts_node_end_byte(t.stmt)) moved = &t;
  }
  if (!moved)
    return makeError(ErrorCode::RequestFailed, "put the cursor on a top-level function or class (or, in JS/TS, a const, "
                                               "interface, type or enum) to move it");
  const std::string name = moved->name;
  const FileSymbols ssyms = extractSymbols(*lang, tree.get(), text);

  const std::string targetBase = req.targetText.value_or("");
  TreePtr ttree = parser.parse(*tlang, targetBase);
  if (!ttree) return makeError(ErrorCode::RequestFailed, "parsing " + req.targetPath + " timed out");
  const TSNode troot = ts_tree_root_node(ttree.get());
  for (const auto& t : topLevels(troot, targetBase, fam)) {
    if (t.name == name) return makeError(ErrorCode::RequestFailed, req.targetPath + " already defines `" + name + "`");
  }
  const FileSymbols tsyms = extractSymbols(*tlang, ttree.get(), targetBase);

  MoveResult result;
  result.name = name;
  std::map<std::string, std::vector<TextEdit>> edits;
  std::map<std::string, std::string> texts = {{req.sourcePath, text}, {req.targetPath, targetBase}};

  // Python: the source root the project's absolute imports start from
  // (`src/` layouts), found by asking the resolver where the source module is.
  std::string pyRoot;
  if (fam == RefactorFamily::Python) {
    const std::filesystem::path dir = std::filesystem::path(req.sourcePath).parent_path();
    std::vector<std::string> prefixes = {""};
    std::string acc;
    for (const auto& seg : dir) {
      acc += (acc.empty() ? "" : "/") + seg.generic_string();
      prefixes.push_back(acc);
    }
    for (const auto& p : prefixes) {
      if (resolver.pythonModule(pythonSpecifier("", req.sourcePath, false, p)) == req.sourcePath) {
        pyRoot = p;
        break;
      }
    }
  }
  // JS/TS: the relative-specifier style the source file already uses.
  std::string style;
  for (const auto& imp : ssyms.imports) {
    if (imp.module.starts_with(".")) {
      style = imp.module;
      break;
    }
  }
  auto specifierFrom = [&](const std::string& from, const std::string& to) {
    return fam == RefactorFamily::Python ? pythonSpecifier(from, to, false, pyRoot) : scriptSpecifier(from, to, style);
  };

  // The moved text: from the comments right above the definition to the end
  // of its last line.
  TSNode first = moved->stmt;
  for (TSNode prev = ts_node_prev_named_sibling(first); isType(prev, "comment") &&
                                                        ts_node_end_point(prev).row + 1 >= ts_node_start_point(first).row;
       prev = ts_node_prev_named_sibling(prev))
    first = prev;
  const std::uint32_t start = lineStartOf(text, ts_node_start_byte(first));
  std::uint32_t end = ts_node_end_byte(moved->stmt);
  if (!(end > 0 && text[end - 1] == '\n')) end = lineEndOf(text, end);
  std::string movedText = text.substr(start, end - start);
  // The blank lines above it keep separating what was before from what follows.
  auto blankLineAt = [&](std::uint32_t at) {
    const std::uint32_t e = lineEndOf(text, at);
    return e > at && text.find_first_not_of(" \t\r\n", at) >= e;
  };
  if (start == 0 || blankLineAt(lineStartOf(text, start - 1))) {
    while (end < text.size() && blankLineAt(end)) end = lineEndOf(text, end);
  }
  if (fam == RefactorFamily::Script && !moved->exported)
    movedText.insert(ts_node_start_byte(moved->stmt) - start, "export ");
  if (!movedText.empty() && movedText.back() != '\n') movedText += '\n';
  edits[req.sourcePath].push_back({start, end, ""});

  std::set<std::string> used;
  collectNames(moved->stmt, text, [&](std::string_view n, TSNode) { used.insert(std::string(n)); });
  used.erase(name);

  // What the target must import for the moved code, grouped by module.
  // In the order the source imports them; names from one module together.
  struct PendingImport {
    std::string module;
    std::vector<ImportedName> names;  // `from m import a, b` / `import { a, b } from "m"`
    std::optional<ImportSpec> other;  // a module, namespace or default import
  };
  std::vector<PendingImport> pending;
  auto addNamed = [&](const std::string& module, ImportedName n) {
    for (auto& p : pending) {
      if (p.module == module && !p.other) return p.names.push_back(std::move(n));
    }
    pending.push_back({module, {std::move(n)}, std::nullopt});
  };
  auto addOther = [&](ImportSpec spec) { pending.push_back({spec.module, {}, std::move(spec)}); };
  std::set<std::string> targetLocals;
  for (const auto& imp : tsyms.imports) {
    for (const auto& l : localsOf(imp)) targetLocals.insert(l);
  }
  IndexedFile sourceFile;
  sourceFile.path = req.sourcePath;
  sourceFile.language = std::string(lang->id);
  const bool sourceKeepsName = usedElsewhere(root, text, fam, moved->stmt, name);

  for (const auto& imp : ssyms.imports) {
    // Statements only (not `require()` calls), and not those inside the moved code (they move with it).
    if (imp.statement != "import_statement" && imp.statement != "import_from_statement" && imp.statement != "export_statement") continue;
    if (imp.span.startByte >= start && imp.span.endByte <= end) continue;
    const auto locals = localsOf(imp);
    bool neededHere = false;
    for (const auto& l : locals) neededHere = neededHere || used.count(l);
    if (!neededHere || imp.reexport) continue;
    // Re-express the specifier for the target's directory.
    std::string module = imp.module;
    if (module.starts_with(".")) {
      Resolution r = resolver.resolve(sourceFile, imp, ssyms, &text);
      if (r.kind == Resolution::Kind::Project && !r.files.empty()) {
        if (r.files.front() == req.targetPath) continue;  // the target defines those names itself
        module = fam == RefactorFamily::Python ? pythonSpecifier(req.targetPath, r.files.front(), true, "")
                                               : scriptSpecifier(req.targetPath, r.files.front(), imp.module);
      } else {
        result.warnings.push_back("kept the import of " + imp.module + " as written: cadre could not resolve it");
      }
    }
    for (const auto& n : imp.names) {
      const std::string local = n.alias.empty() ? n.name : n.alias;
      if (!used.count(local) || targetLocals.count(local)) continue;
      if (n.name == "default") addOther({module, "default", local, ""});
      else addNamed(module, {n.name, n.alias, {}});
      targetLocals.insert(local);
    }
    if (imp.names.empty()) {
      for (const auto& l : locals) {
        if (!used.count(l) || targetLocals.count(l)) continue;
        addOther({module, "", "", imp.namespaceAlias});
        targetLocals.insert(l);
      }
    }
    // Drop the source's import of names only the moved code used.
    std::vector<ImportedName> keep;
    bool dropped = false;
    for (const auto& n : imp.names) {
      const std::string local = n.alias.empty() ? n.name : n.alias;
      if (used.count(local) && !usedElsewhere(root, text, fam, moved->stmt, local)) dropped = true;
      else keep.push_back(n);
    }
    if (imp.names.empty()) {
      bool stillUsed = false;
      for (const auto& l : locals) stillUsed = stillUsed || usedElsewhere(root, text, fam, moved->stmt, l);
      if (!stillUsed) edits[req.sourcePath].push_back(removeLines(text, imp.span));
    } else if (dropped && keep.empty() && imp.namespaceAlias.empty()) {
      edits[req.sourcePath].push_back(removeLines(text, imp.span));
    } else if (dropped) {
      const std::string rewritten = rewriteImport(imp, keep, fam, quoteOf(imp, text));
      if (!rewritten.empty()) edits[req.sourcePath].push_back({imp.span.startByte, imp.span.endByte, rewritten});
    }
  }

  // Definitions of the source file the moved code uses: the target imports
  // them from the source (exported there in JS/TS).
  for (const auto& t : tops) {
    if (&t == moved || !used.count(t.name) || targetLocals.count(t.name)) continue;
    addNamed(specifierFrom(req.targetPath, req.sourcePath), {t.name, "", {}});
    if (fam == RefactorFamily::Script && !t.exported) edits[req.sourcePath].push_back({ts_node_start_byte(t.stmt), ts_node_start_byte(t.stmt), "export "});
    if (fam == RefactorFamily::Python && sourceKeepsName)
      result.warnings.push_back(req.sourcePath + " and " + req.targetPath + " now import each other (`" + t.name + "` and `" + name +
                                "`); a module-level cycle can fail at import time");
  }

  // The source imports the symbol back when it still uses it.
  if (sourceKeepsName) {
    const std::uint32_t at = importInsertionPoint(root, text, fam);
    edits[req.sourcePath].push_back({at, at, importStatement({specifierFrom(req.sourcePath, req.targetPath), name, "", ""}, fam)});
  }

  // The target: its new imports, then the definition at the end.
  {
    std::string block;
    for (const auto& p : pending) {
      if (p.other) {
        block += importStatement(*p.other, fam);
        continue;
      }
      Import shape;
      shape.module = p.module;
      shape.statement = "import_from_statement";
      block += rewriteImport(shape, p.names, fam, '"') + "\n";
    }
    const std::uint32_t at = importInsertionPoint(troot, targetBase, fam);
    if (!block.empty()) {
      // A file that begins with code gets its imports above it, apart.
      const bool codeFollows = at < targetBase.size() && at == 0;
      edits[req.targetPath].push_back({at, at, block + (codeFollows ? "\n" : "")});
    }
    std::string tail;
    if (!targetBase.empty() && targetBase.back() != '\n') tail += "\n";
    if (!targetBase.empty() || !block.empty()) tail += fam == RefactorFamily::Python ? "\n\n" : "\n";
    const auto size = static_cast<std::uint32_t>(targetBase.size());
    edits[req.targetPath].push_back({size, size, tail + movedText});
  }

  // Every other file importing the symbol from the source.
  index.decodeAll();
  for (const auto& f : index.files()) {
    if (f.path == req.sourcePath) continue;
    bool candidate = false;
    for (const auto& imp : f.symbols().imports) {
      for (const auto& n : imp.names) candidate = candidate || n.name == name;
      if (imp.names.empty() && !imp.wildcard) {
        for (const auto& r : f.symbols().references) candidate = candidate || r.name == name;
      }
    }
    if (!candidate) continue;
    const Language* flang = languageForPath(f.path);
    if (!flang || refactorFamily(*flang) != fam) continue;
    auto loaded = texts.count(f.path) ? std::optional<std::string>(texts[f.path]) : load(f.path);
    if (!loaded) {
      result.warnings.push_back("could not read " + f.path + " to fix its import of `" + name + "`");
      continue;
    }
    texts[f.path] = *loaded;
    const std::string& ftext = texts[f.path];
    TreePtr ftree = parser.parse(*flang, ftext);
    if (!ftree) continue;
    const FileSymbols fsyms = extractSymbols(*flang, ftree.get(), ftext);
    IndexedFile from;
    from.path = f.path;
    from.language = std::string(flang->id);
    auto& fedits = edits[f.path];
    bool addedModuleImport = false;
    for (const auto& imp : fsyms.imports) {
      Resolution r = resolver.resolve(from, imp, fsyms, &ftext);
      if (r.kind != Resolution::Kind::Project || r.files.empty() || r.files.front() != req.sourcePath) continue;
      const char quote = quoteOf(imp, ftext);
      std::vector<ImportedName> hit, keep;
      for (const auto& n : imp.names) (n.name == name ? hit : keep).push_back(n);
      const std::string newSpec = fam == RefactorFamily::Python ? pythonSpecifier(f.path, req.targetPath, imp.module.starts_with("."), pyRoot)
                                                                : scriptSpecifier(f.path, req.targetPath, imp.module);
      if (!hit.empty()) {
        if (f.path == req.targetPath) {
          // The target defines it now.
          if (keep.empty() && imp.namespaceAlias.empty()) fedits.push_back(removeLines(ftext, imp.span));
          else if (auto s = rewriteImport(imp, keep, fam, quote); !s.empty()) fedits.push_back({imp.span.startByte, imp.span.endByte, s});
        } else if (keep.empty() && imp.namespaceAlias.empty()) {
          auto [s, e] = specifierRange(imp, ftext);
          fedits.push_back({s, e, newSpec});
        } else if (auto s = rewriteImport(imp, keep, fam, quote); !s.empty()) {
          fedits.push_back({imp.span.startByte, imp.span.endByte, s});
          const std::uint32_t after = lineEndOf(ftext, imp.span.endByte);
          std::string added;
          for (const auto& n : hit) added += importStatement({newSpec, n.name, n.alias, ""}, fam, quote);
          if (imp.reexport) added = "export" + added.substr(added.find(' '));  // `export { x } from …`
          fedits.push_back({after, after, added});
        } else {
          result.warnings.push_back(f.path + ": `" + imp.module + "` import not rewritten (a default import beside the names)");
        }
        continue;
      }
      if (fam == RefactorFamily::Python && imp.names.empty() && !imp.wildcard && imp.statement == "import_statement") {
        // `import pkg.mod` … `pkg.mod.name`
        const std::string prefix = imp.namespaceAlias.empty() ? imp.module : imp.namespaceAlias;
        const std::string dotted = pythonSpecifier(f.path, req.targetPath, false, pyRoot);
        walkNodes(ts_tree_root_node(ftree.get()), [&](TSNode n) {
          if (!isType(n, "attribute")) return true;
          TSNode obj = ts_node_child_by_field_name(n, "object", 6);
          TSNode attr = ts_node_child_by_field_name(n, "attribute", 9);
          if (nodeText(obj, ftext) != prefix || nodeText(attr, ftext) != name) return true;
          if (!imp.namespaceAlias.empty()) {
            result.warnings.push_back(f.path + ": `" + prefix + "." + name + "` goes through an aliased module import; not rewritten");
            return false;
          }
          fedits.push_back({ts_node_start_byte(obj), ts_node_end_byte(obj), dotted});
          if (!addedModuleImport && dotted != prefix) {
            const std::uint32_t after = lineEndOf(ftext, imp.span.endByte);
            fedits.push_back({after, after, "import " + dotted + "\n"});
            addedModuleImport = true;
          }
          return false;
        });
        continue;
      }
      if (fam == RefactorFamily::Script && !imp.namespaceAlias.empty()) {
        for (const auto& ref : fsyms.references) {
          if (ref.name == name) {
            result.warnings.push_back(f.path + ": uses `" + name + "` through `import * as " + imp.namespaceAlias + "`; not rewritten");
            break;
          }
        }
      }
    }
  }

  for (auto& [path, list] : edits) {
    if (list.empty()) continue;
    std::string out = applyTextEdits(texts[path], list);
    result.files.emplace_back(path, trimTrailingBlankLines(std::move(out)));
  }
  return result;
}

}  // namespace cadre::analysis
