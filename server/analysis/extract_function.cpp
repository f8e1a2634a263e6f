// Extract function; see extract_function.hpp. Data flow is by name within
// the enclosing function, from the syntax tree: every identifier occurrence
// is a read, a write, or both (`x += 1`), at a byte offset.
#include "server/analysis/extract_function.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include "server/analysis/parser.hpp"
#include "server/analysis/refactor_text.hpp"
#include "server/analysis/rename.hpp"

namespace cadre::analysis {
namespace {

struct Occurrence {
  std::string name;
  std::uint32_t at = 0;
  bool read = false;
  bool write = false;
  bool declares = false;          // JS/TS `const`/`let`/`var` declaration (or a parameter)
  std::string declarationKind;    // "const", "let", "var"
};

bool anyOf(TSNode n, std::initializer_list<const char*> types) {
  for (const char* t : types) {
    if (isType(n, t)) return true;
  }
  return false;
}

bool isFunctionNode(TSNode n, RefactorFamily fam) {
  if (fam == RefactorFamily::Python) return anyOf(n, {"function_definition", "lambda"});
  return anyOf(n, {"function_declaration", "function_expression", "function", "arrow_function", "method_definition",
                   "generator_function_declaration", "generator_function"});
}

bool isBlockNode(TSNode n, RefactorFamily fam) {
  if (fam == RefactorFamily::Python) return anyOf(n, {"module", "block"});
  return anyOf(n, {"program", "statement_block"});
}

bool within(TSNode inner, TSNode outer) {
  return ts_node_start_byte(inner) >= ts_node_start_byte(outer) && ts_node_end_byte(inner) <= ts_node_end_byte(outer);
}

// Whether `id` lies inside the `field` child of `parent`.
bool inField(TSNode id, TSNode parent, const char* field) {
  TSNode f = ts_node_child_by_field_name(parent, field, static_cast<std::uint32_t>(std::strlen(field)));
  return !ts_node_is_null(f) && within(id, f);
}

// Reads and writes of one identifier, from where it sits.
Occurrence classify(TSNode id, std::string_view text, RefactorFamily fam) {
  Occurrence o{std::string(nodeText(id, text)), ts_node_start_byte(id), true, false, false, {}};
  TSNode p = ts_node_parent(id);
  // Climb through destructuring patterns to the binding construct.
  while (!ts_node_is_null(p) && anyOf(p, {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression",
                                          "object_pattern", "array_pattern", "pair_pattern", "shorthand_property_identifier_pattern",
                                          "assignment_pattern", "rest_pattern", "list_splat_pattern", "dictionary_splat_pattern",
                                          "default_parameter", "typed_parameter", "typed_default_parameter", "required_parameter",
                                          "optional_parameter"})) {
    if (anyOf(p, {"default_parameter", "typed_default_parameter", "assignment_pattern"}) && inField(id, p, "value")) return o;
    if (anyOf(p, {"required_parameter", "optional_parameter"}) && !inField(id, p, "pattern")) return o;
    if (anyOf(p, {"pair_pattern"}) && !inField(id, p, "value")) return o;
    p = ts_node_parent(p);
  }
  if (ts_node_is_null(p)) return o;
  auto write = [&](bool alsoRead) {
    o.write = true;
    o.read = alsoRead;
    return o;
  };
  if (fam == RefactorFamily::Python) {
    if (isType(p, "assignment") && inField(id, p, "left")) return write(false);
    if (isType(p, "augmented_assignment") && inField(id, p, "left")) return write(true);
    if (anyOf(p, {"for_statement", "for_in_clause"}) && inField(id, p, "left")) return write(false);
    if (isType(p, "named_expression") && inField(id, p, "name")) return write(false);
    if (anyOf(p, {"as_pattern_target"})) return write(false);
    if (anyOf(p, {"parameters", "lambda_parameters"})) {
      o.declares = true;
      return write(false);
    }
    return o;
  }
  if (isType(p, "variable_declarator") && inField(id, p, "name")) {
    o.declares = true;
    TSNode decl = ts_node_parent(p);
    if (!ts_node_is_null(decl) && ts_node_child_count(decl) > 0) o.declarationKind = std::string(nodeText(ts_node_child(decl, 0), text));
    return write(false);
  }
  if (isType(p, "assignment_expression") && inField(id, p, "left")) return write(false);
  if (isType(p, "augmented_assignment_expression") && inField(id, p, "left")) return write(true);
  if (isType(p, "update_expression")) return write(true);
  if (isType(p, "for_in_statement") && inField(id, p, "left")) return write(false);
  if (anyOf(p, {"formal_parameters", "catch_clause"}) || (isType(p, "arrow_function") && inField(id, p, "parameter"))) {
    o.declares = true;
    return write(false);
  }
  return o;
}

// Every variable occurrence under `node`, in source order; attribute and
// property names, keyword-argument names and types are not variables.
void occurrences(TSNode node, std::string_view text, RefactorFamily fam, std::vector<Occurrence>& out) {
  walkNodes(node, [&](TSNode n) {
    if (isType(n, "attribute")) {
      occurrences(ts_node_child_by_field_name(n, "object", 6), text, fam, out);
      return false;
    }
    if (isType(n, "keyword_argument")) {
      occurrences(ts_node_child_by_field_name(n, "value", 5), text, fam, out);
      return false;
    }
    if (anyOf(n, {"type_annotation", "type_arguments", "type_parameters"})) return false;
    if (anyOf(n, {"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"})) {
      auto o = classify(n, text, fam);
      if (isType(n, "shorthand_property_identifier_pattern") && !o.write) o = {o.name, o.at, false, true, false, {}};
      out.push_back(std::move(o));
    }
    return true;
  });
}

// Why control flow would have to leave the extracted code, or "".
std::string leavesRange(TSNode stmt, std::string_view text, RefactorFamily fam, std::uint32_t s, std::uint32_t e) {
  std::string why;
  walkNodes(stmt, [&](TSNode n) {
    if (!why.empty()) return false;
    if (isFunctionNode(n, fam) || isType(n, "class_definition") || isType(n, "class_declaration") || isType(n, "class")) {
      return false;  // its own returns and `this` are its own
    }
    if (isType(n, "return_statement")) why = "it contains a `return`";
    else if (isType(n, "yield") || isType(n, "yield_expression")) why = "it contains a `yield`";
    else if (anyOf(n, {"global_statement", "nonlocal_statement"})) why = "it declares `global`/`nonlocal` names";
    else if (isType(n, "this")) why = "it uses `this` (extract a method instead)";
    else if (anyOf(n, {"break_statement", "continue_statement"})) {
      bool loopInside = false;
      for (TSNode p = ts_node_parent(n); !ts_node_is_null(p) && ts_node_start_byte(p) >= s && ts_node_end_byte(p) <= e; p = ts_node_parent(p)) {
        if (anyOf(p, {"for_statement", "while_statement", "for_in_statement", "do_statement", "switch_statement"})) loopInside = true;
      }
      if (!loopInside) why = std::string("it contains a `") + (isType(n, "break_statement") ? "break" : "continue") + "` of a loop outside it";
    }
    (void)text;
    return true;
  });
  return why;
}

bool containsAwait(TSNode node, RefactorFamily fam) {
  bool found = false;
  walkNodes(node, [&](TSNode n) {
    if (found || isFunctionNode(n, fam)) return false;
    if (isType(n, "await") || isType(n, "await_expression")) found = true;
    return true;
  });
  return found;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Lines re-indented: `from` prefix dropped, `to` prefixed (blank lines stay empty).
std::string reindent(std::string_view block, const std::string& from, const std::string& to) {
  std::string out;
  std::size_t at = 0;
  while (at < block.size()) {
    const std::size_t nl = block.find('\n', at);
    std::string_view line = block.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at + 1);
    if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      out += "\n";
    } else {
      if (line.starts_with(from)) line.remove_prefix(from.size());
      out += to;
      out += line;
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// TypeScript: the type written where `name` was declared in `scope`, else
// one its initializer shows plainly (a literal; a call of a function of this
// file whose return type is written; `new C()`); "" when neither says.
std::string declaredType(TSNode root, TSNode scope, std::string_view text, const std::string& name) {
  std::string type;
  auto returnTypeOf = [&](std::string_view fn) {
    std::string out;
    walkNodes(root, [&](TSNode n) {
      if (!out.empty()) return false;
      if (isType(n, "function_declaration") && nodeText(ts_node_child_by_field_name(n, "name", 4), text) == fn) {
        TSNode t = ts_node_child_by_field_name(n, "return_type", 11);
        if (!ts_node_is_null(t)) out = std::string(nodeText(t, text));
        return false;
      }
      return true;
    });
    return out;
  };
  walkNodes(scope, [&](TSNode n) {
    if (!type.empty()) return false;
    TSNode id;
    if (anyOf(n, {"required_parameter", "optional_parameter"})) id = ts_node_child_by_field_name(n, "pattern", 7);
    else if (isType(n, "variable_declarator")) id = ts_node_child_by_field_name(n, "name", 4);
    else return true;
    if (!isType(id, "identifier") || nodeText(id, text) != name) return true;
    TSNode t = ts_node_child_by_field_name(n, "type", 4);
    if (!ts_node_is_null(t)) {
      type = std::string(nodeText(t, text));
      return false;
    }
    TSNode v = ts_node_child_by_field_name(n, "value", 5);
    if (isType(v, "number")) type = ": number";
    else if (anyOf(v, {"string", "template_string"})) type = ": string";
    else if (anyOf(v, {"true", "false"})) type = ": boolean";
    else if (isType(v, "call_expression") && isType(ts_node_child_by_field_name(v, "function", 8), "identifier"))
      type = returnTypeOf(nodeText(ts_node_child_by_field_name(v, "function", 8), text));
    else if (isType(v, "new_expression") && isType(ts_node_child_by_field_name(v, "constructor", 11), "identifier"))
      type = ": " + std::string(nodeText(ts_node_child_by_field_name(v, "constructor", 11), text));
    return false;
  });
  return type;
}

}  // namespace

Expected<ExtractResult> extractFunction(const ExtractRequest& req) {
  const Language* lang = languageForPath(req.path);
  const RefactorFamily fam = lang ? refactorFamily(*lang) : RefactorFamily::None;
  if (fam == RefactorFamily::None)
    return makeError(ErrorCode::RequestFailed, "extract function works in Python, JavaScript and TypeScript files, not " + req.path);
  if (!isIdentifier(req.name)) return makeError(ErrorCode::InvalidParams, "`" + req.name + "` is not a valid function name");
  const std::string& text = req.text;
  std::uint32_t s = std::min<std::uint32_t>(req.start, static_cast<std::uint32_t>(text.size()));
  std::uint32_t e = std::min<std::uint32_t>(std::max(req.end, s), static_cast<std::uint32_t>(text.size()));
  while (s < e && std::isspace(static_cast<unsigned char>(text[s]))) ++s;
  while (e > s && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  if (s == e) return makeError(ErrorCode::InvalidParams, "the range is empty: select the statements or the expression to extract");

  Parser parser;
  TreePtr tree = parser.parse(*lang, text);
  if (!tree) return makeError(ErrorCode::RequestFailed, "parsing " + req.path + " timed out");
  const TSNode root = ts_tree_root_node(tree.get());
  if (ts_node_has_error(root)) return makeError(ErrorCode::RequestFailed, req.path + " has syntax errors; fix them before extracting");

  // Statements: the children of one block from the one starting at `s` to
  // the one ending at `e`. Else one expression spanning exactly the range.
  auto statementAt = [&](std::uint32_t at) {
    TSNode n = ts_node_descendant_for_byte_range(root, at, at);
    // A brace is a child of a block too: climb to a named statement.
    while (!ts_node_is_null(n) && !ts_node_is_null(ts_node_parent(n)) && (!ts_node_is_named(n) || !isBlockNode(ts_node_parent(n), fam)))
      n = ts_node_parent(n);
    return n;
  };
  TSNode first = statementAt(s);
  // The last statement is a sibling of the first: climb from the range's end
  // to that block (a nested block's statement ends there too).
  TSNode last = ts_node_descendant_for_byte_range(root, e - 1, e - 1);
  if (!ts_node_is_null(first)) {
    const TSNode block = ts_node_parent(first);
    while (!ts_node_is_null(last) && !ts_node_is_null(ts_node_parent(last)) && !ts_node_eq(ts_node_parent(last), block))
      last = ts_node_parent(last);
  }
  std::vector<TSNode> stmts;
  bool expression = false;
  TSNode exprNode{};
  if (!ts_node_is_null(first) && !ts_node_is_null(last) && ts_node_start_byte(first) == s && ts_node_end_byte(last) == e &&
      ts_node_eq(ts_node_parent(first), ts_node_parent(last)) && !isBlockNode(first, fam)) {
    const TSNode block = ts_node_parent(first);
    for (std::uint32_t i = 0; i < ts_node_named_child_count(block); ++i) {
      TSNode c = ts_node_named_child(block, i);
      if (ts_node_start_byte(c) >= s && ts_node_end_byte(c) <= e) stmts.push_back(c);
    }
  } else {
    exprNode = ts_node_descendant_for_byte_range(root, s, e);
    while (!ts_node_is_null(exprNode) && ts_node_start_byte(exprNode) == s && ts_node_end_byte(exprNode) == e &&
           !ts_node_is_named(exprNode))
      exprNode = ts_node_parent(exprNode);
    if (ts_node_is_null(exprNode) || ts_node_start_byte(exprNode) != s || ts_node_end_byte(exprNode) != e ||
        std::string_view(ts_node_type(exprNode)).find("statement") != std::string_view::npos || isType(exprNode, "identifier") ||
        isBlockNode(exprNode, fam))
      return makeError(ErrorCode::InvalidParams,
                       "select whole statements of one block, or exactly one expression, to extract a function");
    expression = true;
    stmts.push_back(exprNode);
  }
  for (const auto& st : stmts) {
    if (auto why = leavesRange(st, text, fam, s, e); !why.empty())
      return makeError(ErrorCode::RequestFailed, "cannot extract this range: " + why);
  }
  const bool async = std::any_of(stmts.begin(), stmts.end(), [&](TSNode n) { return containsAwait(n, fam); });

  // The enclosing function (its body is the scope of the data flow) and the
  // top-level statement the new function goes above.
  TSNode fn{};
  TSNode top = stmts.front();
  for (TSNode p = ts_node_parent(stmts.front()); !ts_node_is_null(p); p = ts_node_parent(p)) {
    if (ts_node_is_null(fn) && isFunctionNode(p, fam)) fn = p;
    if (!ts_node_is_null(ts_node_parent(p))) top = p;
  }
  if (ts_node_eq(top, root)) top = stmts.front();
  const bool moduleLevel = ts_node_is_null(fn);

  std::vector<Occurrence> occ;
  if (moduleLevel) {
    occurrences(root, text, fam, occ);
  } else {
    occurrences(fn, text, fam, occ);
  }
  auto inRange = [&](const Occurrence& o) { return o.at >= s && o.at < e; };
  std::vector<std::string> params, returns;
  std::set<std::string> seenParam, seenReturn;
  // Parameters: locals of the enclosing function read in the range before
  // the range writes them, and bound before it.
  if (!moduleLevel) {
    std::set<std::string> writtenInRange;
    for (const auto& o : occ) {
      if (!inRange(o)) continue;
      if (o.read && !writtenInRange.count(o.name) && !seenParam.count(o.name)) {
        const bool boundBefore = std::any_of(occ.begin(), occ.end(), [&](const Occurrence& w) {
          return w.name == o.name && w.write && (w.at < s || w.declares) && !inRange(w);
        });
        if (boundBefore) {
          params.push_back(o.name);
          seenParam.insert(o.name);
        }
      }
      if (o.write) writtenInRange.insert(o.name);
    }
  }
  // Returns: what the range writes that is read after it (in the function;
  // at module level, anywhere outside the range).
  std::map<std::string, std::string> declaredInRange;  // JS/TS: name → const/let/var
  for (const auto& o : occ) {
    if (!inRange(o) || !o.write) continue;
    if (o.declares) declaredInRange[o.name] = o.declarationKind;
    if (seenReturn.count(o.name)) continue;
    const bool readLater = std::any_of(occ.begin(), occ.end(), [&](const Occurrence& r) {
      return r.name == o.name && r.read && !inRange(r) && (moduleLevel || r.at >= e);
    });
    if (readLater) {
      returns.push_back(o.name);
      seenReturn.insert(o.name);
    }
  }
  if (expression) returns.clear();

  // The new function.
  const std::string unit = indentUnitOf(text, fam);
  const std::uint32_t blockStart = lineStartOf(text, s);
  const std::string baseIndent = leadingWhitespace(std::string_view(text).substr(blockStart));
  const std::string selected = text.substr(s, e - s);
  std::string fnText;
  std::string call = (async ? "await " : "") + req.name + "(" + joinNames(params) + ")";
  if (fam == RefactorFamily::Python) {
    fnText = std::string(async ? "async def " : "def ") + req.name + "(" + joinNames(params) + "):\n";
    if (expression) {
      fnText += unit + "return " + selected + "\n";
    } else {
      fnText += reindent(std::string_view(text).substr(blockStart, lineEndOf(text, e - 1) - blockStart), baseIndent, unit);
      if (!returns.empty()) fnText += unit + "return " + joinNames(returns) + "\n";
    }
  } else {
    std::string typed;
    for (const auto& p : params) {
      std::string t = lang->id == "javascript" || moduleLevel ? "" : declaredType(root, fn, text, p);
      typed += (typed.empty() ? "" : ", ") + p + t;
    }
    fnText = std::string(async ? "async " : "") + "function " + req.name + "(" + typed + ") {\n";
    if (expression) {
      fnText += unit + "return " + selected + ";\n";
    } else {
      fnText += reindent(std::string_view(text).substr(blockStart, lineEndOf(text, e - 1) - blockStart), baseIndent, unit);
      if (returns.size() == 1) fnText += unit + "return " + returns[0] + ";\n";
      else if (returns.size() > 1) fnText += unit + "return { " + joinNames(returns) + " };\n";
    }
    fnText += "}\n";
  }

  // The call that replaces the range.
  std::string replacement;
  if (expression) {
    replacement = call;
  } else if (fam == RefactorFamily::Python) {
    replacement = (returns.empty() ? "" : joinNames(returns) + " = ") + call;
  } else {
    std::vector<std::string> declared, assigned;
    std::string kind = "const";
    for (const auto& r : returns) {
      auto it = declaredInRange.find(r);
      if (it != declaredInRange.end()) {
        declared.push_back(r);
        if (it->second != "const") kind = "let";
      } else {
        assigned.push_back(r);
      }
    }
    if (returns.empty()) replacement = call + ";";
    else if (returns.size() == 1) replacement = (declared.empty() ? "" : kind + " ") + returns[0] + " = " + call + ";";
    else if (assigned.empty()) replacement = kind + " { " + joinNames(returns) + " } = " + call + ";";
    else if (declared.empty()) replacement = "({ " + joinNames(returns) + " } = " + call + ");";
    else replacement = "let " + joinNames(declared) + ";\n" + baseIndent + "({ " + joinNames(returns) + " } = " + call + ");";
  }

  // Above the top-level statement (and the comments right above it).
  TSNode above = top;
  for (TSNode prev = ts_node_prev_named_sibling(above);
       isType(prev, "comment") && ts_node_end_point(prev).row + 1 >= ts_node_start_point(above).row; prev = ts_node_prev_named_sibling(prev))
    above = prev;
  const std::uint32_t insertAt = lineStartOf(text, ts_node_start_byte(above));
  const std::string gap = fam == RefactorFamily::Python ? "\n\n" : "\n";
  std::vector<TextEdit> edits = {{insertAt, insertAt, fnText + gap}, {s, e, replacement}};
  if (insertAt > s) return makeError(ErrorCode::RequestFailed, "cannot place the new function above the selection");

  ExtractResult result;
  result.text = applyTextEdits(text, edits);
  result.parameters = params;
  result.returns = returns;
  result.expression = expression;
  return result;
}

}  // namespace cadre::analysis
