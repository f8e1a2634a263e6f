// Parsing with deadlines and symbol extraction from cadre's queries.
#include "server/analysis/parser.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <unordered_map>

#include "server/analysis/parse_window.hpp"
#include "server/analysis/tree_children.h"

namespace cadre::analysis {
namespace {

struct Deadline {
  std::chrono::steady_clock::time_point until;
  const std::atomic<bool>* cancel;
};

bool stopParsing(TSParseState* state) {
  auto* d = static_cast<const Deadline*>(state->payload);
  return std::chrono::steady_clock::now() > d->until || (d->cancel && d->cancel->load(std::memory_order_relaxed));
}

std::string_view textOf(TSNode node, std::string_view text) {
  const std::uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
  if (start >= text.size() || end <= start) return {};
  return text.substr(start, std::min<std::size_t>(end, text.size()) - start);
}

std::string_view captureName(const TSQuery* q, std::uint32_t id) {
  std::uint32_t len = 0;
  const char* s = ts_query_capture_name_for_id(q, id, &len);
  return {s, len};
}

// Text predicates (#eq?, #not-eq?, #match?, #not-match?, #any-of?,
// #not-any-of?) are not evaluated by the C library; the tags convention relies
// on them. Directives (#strip!, #select-adjacent!, #set!) do not filter and are
// ignored.
class Predicates {
 public:
  bool accept(const TSQuery* q, const TSQueryMatch& match, std::string_view text) {
    std::uint32_t count = 0;
    const TSQueryPredicateStep* steps = ts_query_predicates_for_pattern(q, match.pattern_index, &count);
    std::uint32_t i = 0;
    while (i < count) {
      std::uint32_t end = i;
      while (end < count && steps[end].type != TSQueryPredicateStepTypeDone) ++end;
      if (!evaluate(q, match, text, steps + i, end - i)) return false;
      i = end + 1;
    }
    return true;
  }

 private:
  std::string_view captured(const TSQueryMatch& match, std::uint32_t id, std::string_view text) {
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      if (match.captures[k].index == id) return textOf(match.captures[k].node, text);
    }
    return {};
  }

  bool hasCapture(const TSQueryMatch& match, std::uint32_t id) {
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      if (match.captures[k].index == id) return true;
    }
    return false;
  }

  std::string_view stringValue(const TSQuery* q, std::uint32_t id) {
    std::uint32_t len = 0;
    const char* s = ts_query_string_value_for_id(q, id, &len);
    return {s, len};
  }

  const std::regex& regexFor(std::string_view pattern) {
    std::string key(pattern);
    auto it = regexes_.find(key);
    if (it == regexes_.end()) it = regexes_.emplace(key, std::regex(key, std::regex::ECMAScript | std::regex::optimize)).first;
    return it->second;
  }

  bool evaluate(const TSQuery* q, const TSQueryMatch& match, std::string_view text, const TSQueryPredicateStep* s, std::uint32_t n) {
    if (n < 2 || s[0].type != TSQueryPredicateStepTypeString) return true;
    const std::string_view op = stringValue(q, s[0].value_id);
    if (op.back() == '!') return true;  // a directive
    if (s[1].type != TSQueryPredicateStepTypeCapture) return true;
    // A predicate on a capture the match does not have (an optional one) holds.
    if (!hasCapture(match, s[1].value_id)) return true;
    const std::string_view subject = captured(match, s[1].value_id, text);
    if ((op == "eq?" || op == "not-eq?") && n == 3) {
      std::string_view other = s[2].type == TSQueryPredicateStepTypeCapture ? captured(match, s[2].value_id, text)
                                                                            : stringValue(q, s[2].value_id);
      return (subject == other) == (op == "eq?");
    }
    if ((op == "match?" || op == "not-match?") && n == 3 && s[2].type == TSQueryPredicateStepTypeString) {
      const bool found = std::regex_search(subject.begin(), subject.end(), regexFor(stringValue(q, s[2].value_id)));
      return found == (op == "match?");
    }
    if (op == "any-of?" || op == "not-any-of?") {
      bool found = false;
      for (std::uint32_t k = 2; k < n; ++k) found = found || stringValue(q, s[k].value_id) == subject;
      return found == (op == "any-of?");
    }
    return true;
  }

  std::map<std::string, std::regex> regexes_;
};

// The id of field `field` (a string literal) in `language`, 0 when it has
// none. ts_node_child_by_field_name compares the name with each of the
// grammar's field names on every call; ids are looked up once per thread and
// grammar.
TSFieldId fieldId(const TSLanguage* language, const char* field) {
  struct Entry {
    const TSLanguage* language;
    const char* field;
    TSFieldId id;
  };
  thread_local std::vector<Entry> ids;
  for (const Entry& e : ids) {
    if (e.language == language && e.field == field) return e.id;
  }
  const TSFieldId id = ts_language_field_id_for_name(language, field, static_cast<std::uint32_t>(std::strlen(field)));
  ids.push_back(Entry{language, field, id});
  return id;
}

// The children of a node (CadreTreeChild: node, symbol, field, named), read
// in one pass — ts_node_child(i) starts from the first child each time, so
// an indexed loop is quadratic — into a buffer on the stack for the usual few.
class Children {
 public:
  explicit Children(TSNode node) {
    count_ = cadre_tree_children(node, local_, kOnStack);
    if (count_ > kOnStack) {
      heap_ = std::make_unique_for_overwrite<CadreTreeChild[]>(count_);
      cadre_tree_children(node, heap_.get(), count_);
    }
  }
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;
  const CadreTreeChild* begin() const { return heap_ ? heap_.get() : local_; }
  const CadreTreeChild* end() const { return begin() + count_; }

  // The first child in field `id` (none for 0), or a null node.
  TSNode field(TSFieldId id) const {
    for (const CadreTreeChild& c : *this) {
      if (id && c.field == id) return c.node;
    }
    return TSNode{};
  }
  // The first named child, or a null node.
  TSNode firstNamed() const {
    for (const CadreTreeChild& c : *this) {
      if (c.named) return c.node;
    }
    return TSNode{};
  }

 private:
  static constexpr std::uint32_t kOnStack = 32;
  CadreTreeChild local_[kOnStack];
  std::unique_ptr<CadreTreeChild[]> heap_;
  std::uint32_t count_ = 0;
};

std::string foldSignature(std::string_view head) {
  std::string out;
  out.reserve(std::min<std::size_t>(head.size(), kMaxSignatureBytes));
  bool space = false;
  for (char c : head) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMaxSignatureBytes) break;
  }
  while (!out.empty() && (out.back() == '{' || out.back() == ':' || out.back() == ' ')) out.pop_back();
  return out;
}

// Where the head of a definition ends (a byte offset): its text up to the
// body (the @body capture, or the node's `body` field) without comments in
// between, else its first line. Read while the match that found the
// definition has its nodes in cache; the text is folded into a signature
// later, for the definitions kept.
std::uint32_t headEnd(TSNode def, const Children& children, const TSNode* body, std::string_view text) {
  const std::uint32_t start = ts_node_start_byte(def), end = ts_node_end_byte(def);
  const TSNode b = body ? *body : children.field(fieldId(ts_node_language(def), "body"));
  if (!ts_node_is_null(b) && ts_node_start_byte(b) > start) {
    std::uint32_t head = start;
    for (const CadreTreeChild& child : children) {
      if (ts_node_start_byte(child.node) >= ts_node_start_byte(b)) break;
      if (std::string_view(ts_node_type(child.node)) != "comment") head = std::max(head, ts_node_end_byte(child.node));
    }
    return head > start ? head : ts_node_start_byte(b);
  }
  const std::string_view all = text.substr(start, end - start);
  const std::size_t nl = all.find('\n');
  return nl == std::string_view::npos ? end : start + static_cast<std::uint32_t>(nl);
}

std::string signatureOf(std::uint32_t start, std::uint32_t headEnd, std::string_view text) {
  return foldSignature(text.substr(start, std::min<std::size_t>(headEnd - start, kMaxSignatureBytes * 4)));
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'' || s.front() == '`' || s.front() == '<') ) {
    const char close = s.front() == '<' ? '>' : s.front();
    if (s.back() == close) return std::string(s.substr(1, s.size() - 2));
  }
  return std::string(s);
}

// Whether an import statement sits where failing is handled: a Python `try`
// body or `except` handler, or `with contextlib.suppress(ImportError)`.
bool insideFailureHandler(TSNode node, std::string_view text) {
  for (TSNode n = ts_node_parent(node); !ts_node_is_null(n); n = ts_node_parent(n)) {
    std::string_view type = ts_node_type(n);
    if (type == "try_statement" || type == "except_clause") return true;
    if (type == "with_statement" && textOf(n, text).substr(0, 200).find("ImportError") != std::string_view::npos) return true;
    if (type == "function_definition" || type == "class_definition" || type == "module") return false;
  }
  return false;
}

std::uint32_t countErrors(TSNode root) {
  if (!ts_node_has_error(root)) return 0;
  std::uint32_t errors = 0;
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    if (ts_node_is_error(n) || ts_node_is_missing(n)) ++errors;
    if (ts_node_has_error(n) && !ts_node_is_error(n) && ts_tree_cursor_goto_first_child(&cursor)) continue;
    bool moved = false;
    while (!(moved = ts_tree_cursor_goto_next_sibling(&cursor))) {
      if (!ts_tree_cursor_goto_parent(&cursor)) break;
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&cursor);
  return errors;
}

bool isCallable(SymbolKind k) { return k == SymbolKind::Function || k == SymbolKind::Method || k == SymbolKind::Constructor; }

bool isContainer(SymbolKind k) {
  switch (k) {
    case SymbolKind::Variable: case SymbolKind::Constant: case SymbolKind::Field: case SymbolKind::Property:
    case SymbolKind::Macro: case SymbolKind::Type:
      return false;
    default:
      return true;
  }
}

// Points each definition (in source order) at its innermost enclosing
// container (a class, function, namespace...; `A = B = 1` does not nest B in A).
void linkParents(std::vector<Definition>& defs) {
  std::vector<std::int32_t> stack;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    auto& d = defs[i];
    // Definitions sharing one node (`a, b = ...`) are siblings, not nested.
    while (!stack.empty() && (defs[stack.back()].span.endByte <= d.span.startByte ||
                              (defs[stack.back()].span.startByte == d.span.startByte && defs[stack.back()].span.endByte == d.span.endByte))) {
      stack.pop_back();
    }
    d.parent = stack.empty() ? -1 : stack.back();
    if (isContainer(d.kind)) stack.push_back(static_cast<std::int32_t>(i));
  }
}

// The order of definitions and references in FileSymbols: by position, the
// outer of two nested definitions first, ties broken by every remaining key
// so the order never depends on the order matches were found in.
bool definitionOrder(const Definition& a, const Definition& b) {
  if (a.span.startByte != b.span.startByte) return a.span.startByte < b.span.startByte;
  if (a.span.endByte != b.span.endByte) return a.span.endByte > b.span.endByte;
  if (a.nameSpan.startByte != b.nameSpan.startByte) return a.nameSpan.startByte < b.nameSpan.startByte;
  return a.kind < b.kind;
}

bool referenceOrder(const Reference& a, const Reference& b) {
  if (a.span.startByte != b.span.startByte) return a.span.startByte < b.span.startByte;
  if (a.span.endByte != b.span.endByte) return a.span.endByte < b.span.endByte;
  return a.kind < b.kind;
}

// Statements in source order; `import a, b` (one Import per module) by module.
bool importOrder(const Import& a, const Import& b) {
  if (a.span.startByte != b.span.startByte) return a.span.startByte < b.span.startByte;
  return a.moduleSpan.startByte < b.moduleSpan.startByte;
}

int specificity(SymbolKind k) {
  switch (k) {
    case SymbolKind::Constructor: return 3;
    case SymbolKind::Method: case SymbolKind::Property: case SymbolKind::Field: return 2;
    case SymbolKind::Function: case SymbolKind::Variable: return 0;
    default: return 1;
  }
}

// Python and TypeScript parameter lists → the argument counts a call may
// pass. `children`: those of `def`.
void callableShape(std::string_view lang, TSNode def, const Children& children, std::string_view text, Definition& d) {
  const bool python = lang == "python", typescript = lang == "typescript" || lang == "tsx";
  if (!python && !typescript) return;
  const TSLanguage* language = ts_node_language(def);
  const TSNode params = children.field(fieldId(language, "parameters"));
  if (ts_node_is_null(params)) return;
  // Decorators may change what a function accepts. (ts_node_parent walks
  // down from the root: asked only where it matters.)
  if (python) {
    TSNode parent = ts_node_parent(def);
    if (!ts_node_is_null(parent) && std::string_view(ts_node_type(parent)) == "decorated_definition") return;
  }
  int required = 0, total = 0;
  bool unbounded = false, anyKeyword = false;
  const TSFieldId nameField = fieldId(language, "name"), patternField = fieldId(language, "pattern"), valueField = fieldId(language, "value");
  for (const CadreTreeChild& child : Children(params)) {
    if (!child.named) continue;
    const TSNode p = child.node;
    std::string_view type = ts_node_type(p);
    if (type == "comment") continue;
    const Children parts(p);
    const TSNode firstNamed = parts.firstNamed();
    const TSNode inner = ts_node_is_null(firstNamed) ? p : firstNamed;
    std::string_view innerType = ts_node_type(inner);
    if (python) {
      if (type == "list_splat_pattern" || innerType == "list_splat_pattern") {
        unbounded = true;
      } else if (type == "dictionary_splat_pattern" || innerType == "dictionary_splat_pattern") {
        anyKeyword = true;
      } else if (type == "keyword_separator" || type == "positional_separator") {
        continue;
      } else if (type == "default_parameter" || type == "typed_default_parameter") {
        ++total;
      } else if (type == "identifier" || type == "typed_parameter") {
        ++total, ++required;
      } else {
        return;  // something new: unsure
      }
      const TSNode named = parts.field(nameField);
      const TSNode nameNode = type == "identifier" ? p : (ts_node_is_null(named) ? inner : named);
      d.localNames.emplace_back(textOf(nameNode, text));
    } else {
      const TSNode pattern = parts.field(patternField);
      std::string_view patternType = ts_node_is_null(pattern) ? "" : ts_node_type(pattern);
      if (patternType == "this") continue;  // `this: T` is not an argument
      if (patternType == "rest_pattern") {
        unbounded = true;
      } else if (type == "optional_parameter" || (type == "required_parameter" && !ts_node_is_null(parts.field(valueField)))) {
        ++total;
      } else if (type == "required_parameter") {
        ++total, ++required;
      } else {
        return;
      }
      if (!ts_node_is_null(pattern)) d.localNames.emplace_back(textOf(pattern, text));
    }
  }
  if (total > 1000) return;
  d.minArgs = static_cast<std::int16_t>(required);
  d.maxArgs = unbounded || anyKeyword ? -1 : static_cast<std::int16_t>(total);
  d.acceptsAnyKeyword = anyKeyword;
}

// A call's argument count from its `arguments` child, or -1 when a
// splat/spread makes it unknowable.
std::int16_t argumentCount(TSNode args) {
  if (ts_node_is_null(args)) return -1;
  std::string_view argsType = ts_node_type(args);
  if (argsType != "argument_list" && argsType != "arguments") return -1;  // e.g. a generator argument
  int n = 0;
  for (const CadreTreeChild& arg : Children(args)) {
    if (!arg.named) continue;
    std::string_view type = ts_node_type(arg.node);
    if (type == "comment") continue;
    if (type == "list_splat" || type == "dictionary_splat" || type == "spread_element" || type == "parenthesized_list_splat") return -1;
    ++n;
  }
  return static_cast<std::int16_t>(std::min(n, 32767));
}

using ByteRange = std::pair<std::uint32_t, std::uint32_t>;

// What each capture of a query means to the extractor, looked up by capture
// id so a match is read without comparing capture names.
enum class Role : std::uint8_t {
  None, Name, Body, Definition, Reference,
  Import, ImportModule, ImportName, ImportAlias, ImportDefault, ImportNamespace, ImportWildcard, ImportReexport,
  ExportName, ExportDefault,
};
struct CaptureRole {
  Role role = Role::None;
  SymbolKind definition = SymbolKind::Function;
  ReferenceKind reference = ReferenceKind::Name;
};

std::vector<CaptureRole> captureRoles(const std::vector<std::string_view>& names) {
  static const std::pair<std::string_view, Role> kFixed[] = {
      {"name", Role::Name},
      {"body", Role::Body},
      {"import", Role::Import},
      {"import.module", Role::ImportModule},
      {"import.name", Role::ImportName},
      {"import.alias", Role::ImportAlias},
      {"import.default", Role::ImportDefault},
      {"import.namespace", Role::ImportNamespace},
      {"import.wildcard", Role::ImportWildcard},
      {"import.reexport", Role::ImportReexport},
      {"export.name", Role::ExportName},
      {"export.default", Role::ExportDefault},
  };
  std::vector<CaptureRole> roles(names.size());
  for (std::uint32_t id = 0; id < roles.size(); ++id) {
    const std::string_view c = names[id];
    CaptureRole& r = roles[id];
    for (const auto& [name, role] : kFixed) {
      if (c == name) r.role = role;
    }
    if (c.starts_with("definition.") && symbolKindFromName(c.substr(11), r.definition)) r.role = Role::Definition;
    if (c.starts_with("reference.") && referenceKindFromName(c.substr(10), r.reference)) r.role = Role::Reference;
  }
  return roles;
}

// Definitions and references from tags matches, over the whole tree or only
// within `range` (a whole top-level node, for incremental updates; what a
// match captures outside it is dropped). `containers`: large nodes an
// incremental update descended through; their own definitions (a namespace,
// a class) are taken too, since the edit may have created them.
class TagCollector {
 public:
  TagCollector(std::string_view lang, std::string_view text, FileSymbols& out, const ByteRange* range = nullptr,
               const std::vector<ByteRange>* containers = nullptr)
      : lang_(lang), text_(text), out_(out), range_(range), containers_(containers) {
    // Real code has about one definition per 300 bytes and one reference per
    // 40 (the stdlib, /usr/include, TypeScript): reserving that much saves the
    // regrowth of vectors of large records.
    if (!range) {
      definitions_.reserve(text.size() / 300);
      found_.reserve(text.size() / 300);
      out_.references.reserve(text.size() / 40);
    }
  }

  void add(const TSQueryMatch& match, const std::vector<CaptureRole>& roles) {
    const TSNode* name = nullptr;
    const TSNode* body = nullptr;
    const TSNode* item = nullptr;
    const CaptureRole* role = nullptr;
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      const CaptureRole& r = roles[match.captures[k].index];
      if (r.role == Role::Name) name = &match.captures[k].node;
      else if (r.role == Role::Body) body = &match.captures[k].node;
      else if (r.role == Role::Definition || r.role == Role::Reference) {
        item = &match.captures[k].node;
        role = &r;
      }
    }
    if (!name || !item) return;
    const bool definition = role->role == Role::Definition;
    if (range_ && (ts_node_start_byte(*item) < range_->first || ts_node_end_byte(*item) > range_->second)) {
      const ByteRange span{ts_node_start_byte(*item), ts_node_end_byte(*item)};
      const bool container = definition && containers_ && std::find(containers_->begin(), containers_->end(), span) != containers_->end();
      if (!container) return;
    }
    const std::string_view nameText = textOf(*name, text_);
    if (nameText.empty()) return;
    if (definition) {
      const SymbolKind kind = role->definition;
      const std::uint32_t itemStart = ts_node_start_byte(*item), nameStart = ts_node_start_byte(*name);
      if (const std::size_t seen = previouslyFound(itemStart, nameStart); seen != kNone) {
        // Several patterns may match one node (a method is also a function):
        // the more specific kind wins.
        Definition& existing = definitions_[seen];
        if (specificity(kind) > specificity(existing.kind)) {
          existing.kind = kind;
          Found& found = found_[seen];
          if (isCallable(kind) && !found.shaped) {
            callableShape(lang_, found.item, Children(found.item), text_, existing);
            found.shaped = true;
          }
        }
        return;
      }
      if (mapped_) byPosition_.emplace(positionKey(itemStart, nameStart), definitions_.size());
      Definition& d = definitions_.emplace_back();
      d.name = std::string(nameText);
      d.kind = kind;
      d.span = spanOf(*item);
      d.nameSpan = spanOf(*name);
      // What is read from the tree is read now, while the match has the
      // nodes in cache: after the walk, a large file's are long evicted.
      const Children children(*item);
      Found& found = found_.emplace_back(Found{*item, headEnd(*item, children, body, text_), false});
      if (isCallable(kind)) {
        callableShape(lang_, *item, children, text_, d);
        found.shaped = true;
      }
    } else {
      Reference ref{std::string(nameText), role->reference, spanOf(*name)};
      if (ref.kind == ReferenceKind::Call) {
        const std::string_view callType = ts_node_type(*item);
        if (callType == "call" || callType == "call_expression") {
          const TSLanguage* language = ts_node_language(*item);
          const Children parts(*item);
          ref.args = argumentCount(parts.field(fieldId(language, "arguments")));
          const TSNode fn = parts.field(fieldId(language, "function"));
          ref.bare = !ts_node_is_null(fn) && ts_node_eq(fn, *name);
        }
      }
      out_.references.push_back(std::move(ref));
    }
  }

  // Definitions in source order, each pointing at its innermost container;
  // variables local to a callable dropped (queries capture assignments at any
  // depth) but remembered by it as names that shadow. Signatures are folded
  // only for the definitions kept.
  void finish() {
    // Matches come root by root in document order: usually sorted already.
    if (!std::is_sorted(definitions_.begin(), definitions_.end(), definitionOrder)) sortDefinitions();
    std::vector<Definition>& all = definitions_;
    linkParents(all);
    auto isLocal = [&](const Definition& d) {
      const bool variable = d.kind == SymbolKind::Variable || d.kind == SymbolKind::Constant;
      return variable && d.parent >= 0 && isCallable(all[static_cast<std::size_t>(d.parent)].kind);
    };
    std::vector<char> local(all.size(), 0);
    std::size_t locals = 0;
    for (std::size_t i = 0; i < all.size(); ++i) locals += local[i] = isLocal(all[i]);
    // Parameter shapes were read for the kind first found; a later, more
    // specific kind may not be callable.
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (found_[i].shaped && !isCallable(all[i].kind)) {
        all[i].minArgs = all[i].maxArgs = -1;
        all[i].acceptsAnyKeyword = false;
        all[i].localNames.clear();
      }
    }
    // A dropped local still shadows what it names: its callable remembers it.
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (local[i]) all[static_cast<std::size_t>(all[i].parent)].localNames.push_back(std::move(all[i].name));
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (local[i]) continue;
      all[i].signature = signatureOf(all[i].span.startByte, found_[i].headEnd, text_);
      if (kept != i) all[kept] = std::move(all[i]);
      ++kept;
    }
    all.resize(kept);
    if (locals) linkParents(all);
    out_.definitions = std::move(all);
    if (!std::is_sorted(out_.references.begin(), out_.references.end(), referenceOrder)) {
      std::sort(out_.references.begin(), out_.references.end(), referenceOrder);
    }
  }

 private:
  // What a definition was found with, beside it in found_.
  struct Found {
    TSNode item;
    std::uint32_t headEnd;  // see headEnd()
    bool shaped;            // callableShape() has read its parameters
  };

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static std::uint64_t positionKey(std::uint32_t itemStart, std::uint32_t nameStart) { return std::uint64_t{itemStart} << 32 | nameStart; }

  // The definition found before with this item and name start, or kNone.
  // Matches come in document order, mostly: while they do, such a definition
  // is among the last ones, which start where this item does. The first
  // match out of order moves the lookup to a map of them all.
  std::size_t previouslyFound(std::uint32_t itemStart, std::uint32_t nameStart) {
    if (!mapped_ && !definitions_.empty() && itemStart < definitions_.back().span.startByte) {
      for (std::size_t i = 0; i < definitions_.size(); ++i) {
        byPosition_.emplace(positionKey(definitions_[i].span.startByte, definitions_[i].nameSpan.startByte), i);
      }
      mapped_ = true;
    }
    if (mapped_) {
      auto it = byPosition_.find(positionKey(itemStart, nameStart));
      return it == byPosition_.end() ? kNone : it->second;
    }
    for (std::size_t i = definitions_.size(); i-- > 0 && definitions_[i].span.startByte == itemStart;) {
      if (definitions_[i].nameSpan.startByte == nameStart) return i;
    }
    return kNone;
  }

  void sortDefinitions() {
    std::vector<std::uint32_t> order(definitions_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return definitionOrder(definitions_[a], definitions_[b]); });
    std::vector<Definition> definitions;
    std::vector<Found> found;
    definitions.reserve(order.size());
    found.reserve(order.size());
    for (std::uint32_t i : order) {
      definitions.push_back(std::move(definitions_[i]));
      found.push_back(found_[i]);
    }
    definitions_ = std::move(definitions);
    found_ = std::move(found);
  }

  std::string_view lang_;
  std::string_view text_;
  FileSymbols& out_;
  const ByteRange* range_;
  const std::vector<ByteRange>* containers_;
  std::vector<Definition> definitions_;
  std::vector<Found> found_;
  // (item start, name start) → index in definitions_, once matches came out
  // of document order (see previouslyFound).
  std::unordered_map<std::uint64_t, std::size_t> byPosition_;
  bool mapped_ = false;
};

// Imports and exports from imports matches, over the tree or within `range`
// (see TagCollector). `exportSites`, when given, receives where each export
// name was found, so an incremental update can tell which exports an edit
// may have changed.
class ImportCollector {
 public:
  ImportCollector(std::string_view text, FileSymbols& out, const ByteRange* range = nullptr,
                  std::vector<std::pair<std::string, std::uint32_t>>* exportSites = nullptr)
      : text_(text), out_(out), range_(range), exportSites_(exportSites) {}

  void add(const TSQueryMatch& match, const std::vector<CaptureRole>& roles) {
    const TSNode* statement = nullptr;
    const TSNode* module = nullptr;
    const TSNode* name = nullptr;
    const TSNode* alias = nullptr;
    const TSNode* def = nullptr;
    const TSNode* ns = nullptr;
    bool wildcard = false, reexport = false;
    for (std::uint16_t k = 0; k < match.capture_count; ++k) {
      const TSNode* node = &match.captures[k].node;
      switch (roles[match.captures[k].index].role) {
        case Role::Import: statement = node; break;
        case Role::ImportModule: module = node; break;
        case Role::ImportName: name = node; break;
        case Role::ImportAlias: alias = node; break;
        case Role::ImportDefault: def = node; break;
        case Role::ImportNamespace: ns = node; break;
        case Role::ImportWildcard: wildcard = true; break;
        case Role::ImportReexport: reexport = true; break;
        case Role::ExportName: addExport(std::string(textOf(*node, text_)), *node); break;
        case Role::ExportDefault: addExport("default", *node); break;
        default: break;
      }
    }
    if (!statement || !inRange(*statement)) return;
    const auto key = std::make_pair(ts_node_start_byte(*statement), module ? ts_node_start_byte(*module) : 0u);
    auto it = byStatement_.find(key);
    if (it == byStatement_.end()) {
      Import imp;
      imp.span = spanOf(*statement);
      imp.statement = ts_node_type(*statement);
      imp.optional = insideFailureHandler(*statement, text_);
      it = byStatement_.emplace(key, out_.imports.size()).first;
      out_.imports.push_back(std::move(imp));
    }
    Import& imp = out_.imports[it->second];
    if (module && imp.module.empty()) {
      const std::string_view raw = textOf(*module, text_);
      imp.system = !raw.empty() && raw.front() == '<';
      imp.module = unquote(raw);
      imp.moduleSpan = spanOf(*module);
    }
    imp.wildcard = imp.wildcard || wildcard;
    imp.reexport = imp.reexport || reexport;
    if (ns) imp.namespaceAlias = std::string(textOf(*ns, text_));
    // Names in source order whatever order the matches came in.
    auto addName = [&](std::string n, const TSNode* node, std::string a) {
      const std::uint32_t at = ts_node_start_byte(*node);
      auto pos = imp.names.begin();
      for (; pos != imp.names.end(); ++pos) {
        if (pos->span.startByte == at && pos->name == n) return;
        if (pos->span.startByte > at || (pos->span.startByte == at && pos->name > n)) break;
      }
      imp.names.insert(pos, ImportedName{std::move(n), std::move(a), spanOf(*node)});
    };
    if (def) addName("default", def, std::string(textOf(*def, text_)));
    if (name) addName(std::string(textOf(*name, text_)), name, alias ? std::string(textOf(*alias, text_)) : std::string());
  }

  void finish() {
    // Statements in source order, whatever order the cursor finished them in.
    std::stable_sort(out_.imports.begin(), out_.imports.end(), importOrder);
    std::sort(out_.exports.begin(), out_.exports.end());
    out_.exports.erase(std::unique(out_.exports.begin(), out_.exports.end()), out_.exports.end());
  }

 private:
  bool inRange(const TSNode& n) const { return !range_ || (ts_node_start_byte(n) >= range_->first && ts_node_end_byte(n) <= range_->second); }
  void addExport(std::string name, const TSNode& n) {
    if (!inRange(n)) return;
    if (exportSites_) exportSites_->emplace_back(name, ts_node_start_byte(n));
    out_.exports.push_back(std::move(name));
  }

  std::string_view text_;
  FileSymbols& out_;
  const ByteRange* range_;
  std::vector<std::pair<std::string, std::uint32_t>>* exportSites_;
  // One Import per (statement, module): `import a, b` imports two modules.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> byStatement_;
};

// One walk of the combined tags + imports patterns over the tree (or
// `range`), each match handed to the collector of its half. Either collector
// may be null.
void runSymbolPatterns(const SymbolPatterns& q, TSNode root, std::string_view text, const ByteRange* range, TagCollector* tags,
                       ImportCollector* imports) {
  if (!q.patterns) return;
  // Roles depend only on the set (which lives as long as the process): each
  // thread works them out once per language, not once per file or keystroke.
  thread_local std::vector<std::pair<const PatternSet*, std::vector<CaptureRole>>> rolesBySet;
  auto known = std::find_if(rolesBySet.begin(), rolesBySet.end(), [&](const auto& e) { return e.first == q.patterns; });
  if (known == rolesBySet.end()) {
    const std::vector<std::string>& names = q.patterns->captureNames();
    rolesBySet.emplace_back(q.patterns, captureRoles(std::vector<std::string_view>(names.begin(), names.end())));
    known = rolesBySet.end() - 1;
  }
  const std::vector<CaptureRole>& roles = known->second;
  auto onMatch = [&](const TSQueryMatch& match) {
    const bool import = match.pattern_index >= q.firstImportPattern;
    if (import ? !imports : !tags) return;
    if (import) imports->add(match, roles);
    else tags->add(match, roles);
  };
  q.patterns->forEachMatch(root, text, range, onMatch);
}

// The same through tree-sitter's query cursor: the reference the matcher is
// tested against.
void runSymbolsQuery(const SymbolsQuery& q, TSNode root, std::string_view text, TagCollector* tags, ImportCollector* imports) {
  if (!q.query) return;
  std::vector<std::string_view> names;
  for (std::uint32_t id = 0; id < ts_query_capture_count(q.query); ++id) names.push_back(captureName(q.query, id));
  const std::vector<CaptureRole> roles = captureRoles(names);
  QueryCursorPtr cursor(ts_query_cursor_new());
  ts_query_cursor_set_match_limit(cursor.get(), 4096);
  ts_query_cursor_exec(cursor.get(), q.query, root);
  TSQueryMatch match;
  while (ts_query_cursor_next_match(cursor.get(), &match)) {
    const bool import = match.pattern_index >= q.firstImportPattern;
    if (!queryPredicatesHold(q.query, match, text)) continue;
    if (import) imports->add(match, roles);
    else tags->add(match, roles);
  }
}

}  // namespace

Span spanOf(TSNode node) {
  const TSPoint s = ts_node_start_point(node), e = ts_node_end_point(node);
  return Span{ts_node_start_byte(node), ts_node_end_byte(node), {s.row, s.column}, {e.row, e.column}};
}

Parser::Parser() : parser_(ts_parser_new()) {}

TreePtr Parser::parse(const Language& lang, std::string_view text, const TSTree* old, ParseLimits limits) {
  if (ts_parser_language(parser_.get()) != lang.grammar) ts_parser_set_language(parser_.get(), lang.grammar);
  Deadline deadline{std::chrono::steady_clock::now() + limits.timeout, limits.cancel};
  TSInput input{};
  struct Source {
    std::string_view text;
  } source{text};
  input.payload = &source;
  input.read = [](void* payload, std::uint32_t byte, TSPoint, std::uint32_t* read) -> const char* {
    auto* s = static_cast<Source*>(payload);
    if (byte >= s->text.size()) {
      *read = 0;
      return "";
    }
    *read = static_cast<std::uint32_t>(s->text.size() - byte);
    return s->text.data() + byte;
  };
  input.encoding = TSInputEncodingUTF8;
  TSParseOptions options{&deadline, &stopParsing};
  TreePtr tree(ts_parser_parse_with_options(parser_.get(), old, input, options));
  if (!tree) ts_parser_reset(parser_.get());
  return tree;
}

TreePtr Parser::parseRanges(const Language& lang, std::string_view text, const TSTree* old, const std::vector<TSRange>& ranges,
                            ParseLimits limits) {
  if (!ts_parser_set_included_ranges(parser_.get(), ranges.data(), static_cast<std::uint32_t>(ranges.size()))) return nullptr;
  TreePtr tree = parse(lang, text, old, limits);
  ts_parser_set_included_ranges(parser_.get(), nullptr, 0);  // the whole text again
  return tree;
}

namespace {

template <class Run>
FileSymbols extractWith(const Language& lang, const TSTree* tree, std::string_view text, Run run) {
  FileSymbols out;
  out.language = std::string(lang.id);
  TSNode root = ts_tree_root_node(tree);
  out.syntaxErrors = countErrors(root);
  TagCollector tags(lang.id, text, out);
  ImportCollector imports(text, out);
  run(root, tags, imports);
  tags.finish();
  imports.finish();
  return out;
}

}  // namespace

bool queryPredicatesHold(const TSQuery* query, const TSQueryMatch& match, std::string_view text) {
  thread_local Predicates predicates;
  return predicates.accept(query, match, text);
}

FileSymbols extractSymbols(const Language& lang, const TSTree* tree, std::string_view text) {
  auto q = symbolPatterns(lang);
  return extractWith(lang, tree, text, [&](TSNode root, TagCollector& tags, ImportCollector& imports) {
    if (q) runSymbolPatterns(*q, root, text, nullptr, &tags, &imports);
  });
}

FileSymbols extractSymbolsWithQueryCursor(const Language& lang, const TSTree* tree, std::string_view text) {
  auto q = symbolsQuery(lang);
  return extractWith(lang, tree, text, [&](TSNode root, TagCollector& tags, ImportCollector& imports) {
    if (q) runSymbolsQuery(*q, root, text, &tags, &imports);
  });
}

namespace {

// A parse's symbols; a timed-out result when the parse ran past its deadline.
FileSymbols symbolsOfParse(const Language& lang, const TSTree* tree, std::string_view text) {
  if (tree) return extractSymbols(lang, tree, text);
  FileSymbols out;
  out.language = std::string(lang.id);
  out.timedOut = true;
  return out;
}

}  // namespace

FileSymbols summarize(Parser& parser, const Language& lang, std::string_view text, ParseLimits limits) {
  return symbolsOfParse(lang, parser.parse(lang, text, nullptr, limits).get(), text);
}

FileSymbols summarize(TreeArena& arena, const Language& lang, std::string_view text, ParseLimits limits) {
  return arena.run([&] {
    Parser parser;  // its pools keep blocks of the arena: made and dropped in it
    TreePtr tree = parser.parse(lang, text, nullptr, limits);
    FileSymbols out = symbolsOfParse(lang, tree.get(), text);
    (void)tree.release();  // dropped with the arena
    return out;
  });
}

}  // namespace cadre::analysis

namespace cadre::analysis {

std::optional<IdentifierAt> identifierAt(const TSTree* tree, std::string_view text, std::uint32_t byteOffset) {
  TSNode root = ts_tree_root_node(tree);
  for (std::uint32_t at : {byteOffset, byteOffset > 0 ? byteOffset - 1 : byteOffset}) {
    TSNode node = ts_node_named_descendant_for_byte_range(root, at, at);
    if (ts_node_is_null(node) || ts_node_named_child_count(node) != 0) continue;
    std::string_view type = ts_node_type(node);
    // Leaves that name things: identifier, type_identifier, field_identifier,
    // property_identifier, constant, ... — not strings, numbers or comments.
    if (type.find("identifier") == std::string_view::npos && type != "constant" && type != "name" && type != "word") continue;
    std::string_view name = textOf(node, text);
    if (name.empty()) continue;
    return IdentifierAt{std::string(name), spanOf(node)};
  }
  return std::nullopt;
}

}  // namespace cadre::analysis

namespace cadre::analysis {

void editTree(TSTree* tree, const TreeEdit& e) {
  TSInputEdit input{e.startByte, e.oldEndByte, e.newEndByte, {e.start.row, e.start.column}, {e.oldEnd.row, e.oldEnd.column},
                    {e.newEnd.row, e.newEnd.column}};
  ts_tree_edit(tree, &input);
}

IncrementalDocument::IncrementalDocument(const Language& lang, std::string text, Parser& parser) : lang_(&lang), text_(std::move(text)) {
  tree_ = parser.parse(lang, text_);
  extractAll();
}

void IncrementalDocument::extractAll() {
  exportSites_.clear();
  if (!tree_) {
    symbols_ = FileSymbols{std::string(lang_->id), {}, {}, {}, {}, 0, true};
    return;
  }
  symbols_ = FileSymbols{};
  symbols_.language = std::string(lang_->id);
  TSNode root = ts_tree_root_node(tree_.get());
  symbols_.syntaxErrors = countErrors(root);
  if (auto q = symbolPatterns(*lang_); q && q->patterns) {
    TagCollector tags(lang_->id, text_, symbols_);
    ImportCollector imports(text_, symbols_, nullptr, &exportSites_);
    runSymbolPatterns(*q, root, text_, nullptr, &tags, &imports);
    tags.finish();
    imports.finish();
  }
}

namespace {

// Where a position of the old text lands after `e` (positions inside the
// replaced range are not asked for).
std::uint32_t shiftByte(std::uint32_t b, const TreeEdit& e) { return b - e.oldEndByte + e.newEndByte; }
Point shiftPoint(Point p, const TreeEdit& e) {
  if (p.row == e.oldEnd.row) return {e.newEnd.row, p.column - e.oldEnd.column + e.newEnd.column};
  return {p.row - e.oldEnd.row + e.newEnd.row, p.column};
}

// Maps `s` across the edit: each end that lies after the replaced range moves
// with it; false when an end lies inside it. (A span that encloses the edit,
// a class around an edited method, keeps its start and moves its end.)
bool shiftSpan(Span& s, const TreeEdit& e) {
  auto inside = [&](std::uint32_t b) { return b > e.startByte && b < e.oldEndByte; };
  if (inside(s.startByte) || inside(s.endByte)) return false;
  if (s.startByte >= e.oldEndByte && s.startByte > e.startByte) {
    s.startByte = shiftByte(s.startByte, e);
    s.start = shiftPoint(s.start, e);
  }
  if (s.endByte >= e.oldEndByte && s.endByte > e.startByte) {
    s.endByte = shiftByte(s.endByte, e);
    s.end = shiftPoint(s.end, e);
  }
  return true;
}

bool insideRanges(const Span& s, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges) {
  for (const auto& [a, b] : ranges) {
    if (s.startByte >= a && s.endByte <= b) return true;
  }
  return false;
}

// What a reparse changed: the edit's new text and the ranges where `next`'s
// syntax differs from `old`'s, clipped to `within`.
std::vector<std::pair<std::uint32_t, std::uint32_t>> changedRanges(const TSTree* old, const TSTree* next, const TreeEdit& e,
                                                                   std::pair<std::uint32_t, std::uint32_t> within) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> changed = {{e.startByte, e.newEndByte}};
  std::uint32_t count = 0;
  TSRange* ranges = ts_tree_get_changed_ranges(old, next, &count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t a = std::max(ranges[i].start_byte, within.first), b = std::min(ranges[i].end_byte, within.second);
    if (a < b) changed.emplace_back(a, b);
  }
  std::free(ranges);
  return changed;
}

// Why a region size: a class or #ifdef block spanning a whole file would cost
// a full extraction, and even 8 KB regions cost ~0.9 ms of query time per
// keystroke in TypeScript declarations; larger nodes are split into their
// touched children down to about 2 KB (~0.1 ms).
constexpr std::uint32_t kMaxRegionBytes = 2 * 1024;

// The nodes to re-query: the top-level nodes touched by `changed`, split into
// their touched children while they are large and not extracted whole.
// Children are walked with a tree cursor and the walk stops after the last
// changed byte: ts_node_child(i) starts from the first child each time,
// which made this quadratic in the number of top-level statements (~0.25 ms
// per keystroke on a 9,000-line Python file).
void collectDirty(TSNode node, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& changed,
                  std::vector<std::pair<std::uint32_t, std::uint32_t>>& dirty, std::vector<std::pair<std::uint32_t, std::uint32_t>>& containers) {
  std::uint32_t lastChanged = 0;
  for (const auto& [x, y] : changed) lastChanged = std::max(lastChanged, y);
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  for (bool more = ts_tree_cursor_goto_first_child(&cursor); more; more = ts_tree_cursor_goto_next_sibling(&cursor)) {
    const TSNode child = ts_tree_cursor_current_node(&cursor);
    const std::uint32_t a = ts_node_start_byte(child), b = ts_node_end_byte(child);
    if (a > lastChanged) break;
    bool touched = false;
    for (const auto& [x, y] : changed) touched = touched || (x <= b && y >= a);
    if (!touched) continue;
    if (b - a > kMaxRegionBytes && !extractedWhole(child) && ts_node_child_count(child) > 0) {
      // A definition may be this node or its parent (`class` around its body).
      containers.emplace_back(a, b);
      containers.emplace_back(ts_node_start_byte(node), ts_node_end_byte(node));
      collectDirty(child, changed, dirty, containers);
      continue;
    }
    if (!dirty.empty() && dirty.back().second >= a) dirty.back().second = std::max(dirty.back().second, b);
    else dirty.emplace_back(a, b);
  }
  ts_tree_cursor_delete(&cursor);
}

bool intersects(const Span& s, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges) {
  for (const auto& [a, b] : ranges) {
    if (s.startByte < b && s.endByte > a) return true;
    if (s.startByte == s.endByte && s.startByte >= a && s.startByte <= b) return true;
  }
  return false;
}

}  // namespace

void IncrementalDocument::update(std::string newText, const std::vector<TreeEdit>& edits, Parser& parser) {
  text_ = std::move(newText);
  if (tree_) {
    for (const auto& e : edits) editTree(tree_.get(), e);
  }
  if (tree_ && edits.size() == 1 && updateInWindow(edits.front(), parser)) {
    last_ = Update::Window;
    return;
  }
  TreePtr next = parser.parse(*lang_, text_, tree_.get());
  stale_ = false;
  if (!next || !tree_ || edits.size() != 1) {
    tree_ = std::move(next);
    extractAll();
    last_ = Update::Full;
    return;
  }
  // One edit (a keystroke): re-run the tags query only over the top-level
  // nodes it touched, and carry the rest of the symbols across, shifted.
  const TreeEdit& e = edits.front();
  const auto changed = changedRanges(tree_.get(), next.get(), e, {0, std::numeric_limits<std::uint32_t>::max()});
  tree_ = std::move(next);
  TSNode root = ts_tree_root_node(tree_.get());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dirty, containers;
  collectDirty(root, changed, dirty, containers);
  // The exact count walks every error subtree: on a keystroke, whether there
  // is any error is what consumers use (checks stay silent on broken files).
  mergeSymbols(e, root, dirty, containers, ts_node_has_error(root) ? std::max<std::uint32_t>(1, symbols_.syntaxErrors) : 0);
  last_ = Update::Reparsed;
}

bool IncrementalDocument::updateInWindow(const TreeEdit& e, Parser& parser) {
  const auto window = findParseWindow(tree_.get(), e, text_);
  if (!window) return false;
  TreePtr part = parser.parseRanges(*lang_, text_, tree_.get(), window->ranges);
  if (!part || !windowParseHolds(*window, part.get())) return false;
  // What changed, as for a whole reparse, but only inside the window: the
  // rest of `part` is text it was not given.
  const auto changed = changedRanges(tree_.get(), part.get(), e, {window->startByte, window->endByte});
  const TSNode root = ts_tree_root_node(part.get());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dirty, containers, inside;
  collectDirty(root, changed, dirty, containers);
  // Only the window's bytes are re-extracted: what `part` holds around them
  // (the seed; the head of a class the window lies in, and the class itself,
  // whose extent there ends with the window) stays as the document had it.
  const std::pair<std::uint32_t, std::uint32_t> bounds{window->startByte, window->endByte};
  for (auto& [a, b] : dirty) {
    a = std::max(a, bounds.first);
    b = std::min(b, bounds.second);
    if (a < b) inside.emplace_back(a, b);
  }
  std::erase_if(containers, [&](const auto& c) { return c.first < bounds.first || c.second > bounds.second; });
  // Neither the window nor what it replaced has a syntax error: the count
  // stands.
  mergeSymbols(e, root, inside, containers, symbols_.syntaxErrors, &bounds);
  stale_ = true;
  return true;
}

const TSTree* IncrementalDocument::tree(Parser& parser) {
  if (stale_) {
    tree_ = parser.parse(*lang_, text_, tree_.get());
    stale_ = false;
  }
  return tree_.get();
}

void IncrementalDocument::mergeSymbols(const TreeEdit& e, TSNode root, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& dirty,
                                       const std::vector<std::pair<std::uint32_t, std::uint32_t>>& containers, std::uint32_t syntaxErrors,
                                       const std::pair<std::uint32_t, std::uint32_t>* window) {
  FileSymbols next_symbols;
  next_symbols.language = std::string(lang_->id);
  next_symbols.syntaxErrors = syntaxErrors;
  // Old symbols survive unless they touch a re-queried node: those inside it
  // are found again there, and those around it (a class around the edited
  // method) are found again as the containers the update descended through.
  // Moved, not copied: symbols_ is replaced below.
  next_symbols.definitions.reserve(symbols_.definitions.size());
  // A window's own enclosing definitions (the class it lies in) are kept:
  // the window's tree does not hold them whole.
  auto encloses = [&](const Span& s) {
    return window && s.startByte <= window->first && s.endByte >= window->second && s.endByte - s.startByte > window->second - window->first;
  };
  for (auto& d : symbols_.definitions) {
    if (shiftSpan(d.span, e) && shiftSpan(d.nameSpan, e) && (!intersects(d.span, dirty) || encloses(d.span))) {
      next_symbols.definitions.push_back(std::move(d));
    }
  }
  next_symbols.references.reserve(symbols_.references.size());
  for (auto& r : symbols_.references) {
    if (shiftSpan(r.span, e) && !intersects(r.span, dirty)) next_symbols.references.push_back(std::move(r));
  }
  // Imports and exports the same way: kept outside the touched nodes, found
  // again inside them.
  for (auto& imp : symbols_.imports) {
    bool keep = shiftSpan(imp.span, e) && shiftSpan(imp.moduleSpan, e) && !insideRanges(imp.span, dirty) && !intersects(imp.moduleSpan, dirty);
    for (auto& n : imp.names) keep = keep && shiftSpan(n.span, e);
    if (keep) next_symbols.imports.push_back(std::move(imp));
  }
  std::vector<std::pair<std::string, std::uint32_t>> sites;
  for (auto& [name, at] : exportSites_) {
    if (at >= e.startByte && at < e.oldEndByte) continue;
    const std::uint32_t shifted = at >= e.oldEndByte ? shiftByte(at, e) : at;
    const Span point{shifted, shifted, {}, {}};
    if (!intersects(point, dirty)) sites.emplace_back(name, shifted);
  }
  const std::size_t carriedDefinitions = next_symbols.definitions.size(), carriedReferences = next_symbols.references.size();
  if (auto q = symbolPatterns(*lang_); q && q->patterns) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;  // containers are found once per range
    for (const auto& range : dirty) {
      FileSymbols part;
      TagCollector tags(lang_->id, text_, part, &range, &containers);
      ImportCollector imports(text_, next_symbols, &range, &sites);
      runSymbolPatterns(*q, root, text_, &range, &tags, &imports);
      tags.finish();
      for (auto& d : part.definitions) {
        if (seen.insert({d.span.startByte, d.nameSpan.startByte}).second) next_symbols.definitions.push_back(std::move(d));
      }
      std::move(part.references.begin(), part.references.end(), std::back_inserter(next_symbols.references));
    }
  }
  // Both halves are in source order already: merge, do not sort.
  std::sort(next_symbols.definitions.begin() + static_cast<std::ptrdiff_t>(carriedDefinitions), next_symbols.definitions.end(), definitionOrder);
  std::inplace_merge(next_symbols.definitions.begin(), next_symbols.definitions.begin() + static_cast<std::ptrdiff_t>(carriedDefinitions),
                     next_symbols.definitions.end(), definitionOrder);
  linkParents(next_symbols.definitions);
  std::sort(next_symbols.references.begin() + static_cast<std::ptrdiff_t>(carriedReferences), next_symbols.references.end(), referenceOrder);
  std::inplace_merge(next_symbols.references.begin(), next_symbols.references.begin() + static_cast<std::ptrdiff_t>(carriedReferences),
                     next_symbols.references.end(), referenceOrder);
  std::stable_sort(next_symbols.imports.begin(), next_symbols.imports.end(), importOrder);
  exportSites_ = std::move(sites);
  next_symbols.exports.clear();
  for (const auto& [name, at] : exportSites_) next_symbols.exports.push_back(name);
  std::sort(next_symbols.exports.begin(), next_symbols.exports.end());
  next_symbols.exports.erase(std::unique(next_symbols.exports.begin(), next_symbols.exports.end()), next_symbols.exports.end());
  symbols_ = std::move(next_symbols);
}

}  // namespace cadre::analysis
