// Call-arity diagnostics; see arity.hpp.
#include "server/analysis/arity.hpp"

#include <algorithm>
#include <span>
#include <string_view>
#include <unordered_map>

#include "server/analysis/check.hpp"

namespace cadre::analysis {
namespace {

struct Target {
  const Definition* def = nullptr;
  std::string path;
};

std::string arguments(int n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); }

// A definition under the name it binds.
using Named = std::pair<std::string_view, const Definition*>;

// The one top-level function among `named` (the definitions of one name), or
// null when there is none or more than one (overloads, redefinitions) or the
// name is also bound otherwise (an assignment).
const Definition* onlyFunction(std::span<const Named> named) {
  const Definition* found = nullptr;
  for (const auto& [name, d] : named) {
    if (d->parent >= 0) continue;
    if (found || d->kind != SymbolKind::Function) return nullptr;
    found = d;
  }
  return found;
}

const Definition* onlyFunction(const FileSymbols& symbols, const std::string& name) {
  std::vector<Named> named;
  for (const auto& d : symbols.definitions) {
    if (d.name == name) named.emplace_back(d.name, &d);
  }
  return onlyFunction(named);
}

// The checked file's definitions by name (sorted), and its definitions in
// source order to find the callables enclosing a call: built once per check,
// so a call looks its name up instead of scanning every definition three
// times (calls x definitions string compares cost 1.4 ms per keystroke on a
// 9,400-line Python file; sorting every local name of every callable still
// 0.4 ms).
class FileNames {
 public:
  explicit FileNames(const FileSymbols& symbols) : symbols_(symbols) {
    const auto& defs = symbols.definitions;
    byName_.reserve(defs.size());
    byStart_.reserve(defs.size());
    for (std::uint32_t i = 0; i < defs.size(); ++i) {
      byName_.emplace_back(defs[i].name, &defs[i]);
      byStart_.push_back(i);
    }
    std::sort(byName_.begin(), byName_.end());
    std::sort(byStart_.begin(), byStart_.end(), [&](std::uint32_t a, std::uint32_t b) {
      const Span &x = defs[a].span, &y = defs[b].span;
      return x.startByte != y.startByte ? x.startByte < y.startByte : x.endByte > y.endByte;
    });
  }
  std::span<const Named> definitions(std::string_view name) const {
    const auto lo = std::lower_bound(byName_.begin(), byName_.end(), name, [](const Named& e, std::string_view n) { return e.first < n; });
    auto hi = lo;
    while (hi != byName_.end() && hi->first == name) ++hi;
    return {lo, hi};
  }

  // Whether `name` at `offset` means something else than `target`: a nested
  // definition with the name, or a parameter or local of a callable around
  // the offset. Those callables are the last definition starting at or
  // before the offset and its parents (definitions nest).
  bool shadowedAt(std::string_view name, std::uint32_t offset, const Definition* target) const {
    for (const auto& [n, d] : definitions(name)) {
      if (d != target && d->parent >= 0) return true;
    }
    const auto& defs = symbols_.definitions;
    auto last = std::upper_bound(byStart_.begin(), byStart_.end(), offset, [&](std::uint32_t at, std::uint32_t i) { return at < defs[i].span.startByte; });
    if (last == byStart_.begin()) return false;
    for (std::int32_t i = static_cast<std::int32_t>(*(last - 1)); i >= 0; i = defs[static_cast<std::size_t>(i)].parent) {
      const Definition& d = defs[static_cast<std::size_t>(i)];
      if (&d == target || offset >= d.span.endByte) continue;
      if (std::find(d.localNames.begin(), d.localNames.end(), name) != d.localNames.end()) return true;
    }
    return false;
  }

 private:
  const FileSymbols& symbols_;
  std::vector<Named> byName_;
  std::vector<std::uint32_t> byStart_;
};

}  // namespace

void checkCallArity(const ProjectIndex& index, const Resolver& resolver, const std::string& path, const FileSymbols& symbols,
                    std::vector<Diagnostic>& out) {
  const std::string& lang = symbols.language;
  if (lang != "python" && lang != "typescript" && lang != "tsx") return;
  if (symbols.syntaxErrors > 0 || symbols.timedOut) return;
  IndexedFile from;
  from.path = path;
  from.language = lang;
  const FileNames names(symbols);
  // The imported names by the local name they bind, each resolved to its
  // target function once however often it is called.
  struct Imported {
    std::string_view local;
    const Import* imp;
    const ImportedName* name;
    bool operator<(const Imported& o) const { return local < o.local; }
  };
  std::vector<Imported> imported;
  for (const auto& imp : symbols.imports) {
    for (const auto& n : imp.names) imported.push_back({n.alias.empty() ? n.name : n.alias, &imp, &n});
  }
  std::stable_sort(imported.begin(), imported.end());
  std::unordered_map<const ImportedName*, Target> resolved;
  auto importedTarget = [&](const Imported& i) -> const Target& {
    auto [it, fresh] = resolved.try_emplace(i.name);
    if (!fresh) return it->second;
    Resolution r = resolver.resolve(from, *i.imp);
    if (r.kind != Resolution::Kind::Project || r.files.empty()) return it->second;
    const IndexedFile* f = index.file(r.files.front());
    if (!f || f->language != lang || f->symbols().syntaxErrors > 0) return it->second;
    if (const Definition* d = onlyFunction(f->symbols(), i.name->name)) it->second = {d, f->path};
    return it->second;
  };
  for (const auto& call : symbols.references) {
    if (call.kind != ReferenceKind::Call || !call.bare || call.args < 0) continue;
    Target target;
    const auto& named = names.definitions(call.name);
    if (const Definition* local = onlyFunction(named)) {
      target = {local, path};
    } else if (named.empty()) {
      // The last import binding the name wins, as before.
      const Imported key{call.name, nullptr, nullptr};
      for (auto [it, end] = std::equal_range(imported.begin(), imported.end(), key); it != end; ++it) {
        if (const Target& t = importedTarget(*it); t.def) target = t;
      }
    }
    const Definition* def = target.def;
    if (!def || def->minArgs < 0 || names.shadowedAt(call.name, call.span.startByte, target.path == path ? def : nullptr)) continue;
    std::string problem;
    if (def->maxArgs >= 0 && call.args > def->maxArgs) {
      problem = def->minArgs == def->maxArgs ? "takes " + arguments(def->maxArgs)
                                             : "takes at most " + arguments(def->maxArgs);
    } else if (call.args < def->minArgs) {
      problem = def->minArgs == def->maxArgs ? "takes " + arguments(def->minArgs) : "needs at least " + arguments(def->minArgs);
    } else {
      continue;
    }
    out.push_back({path, call.span, Diagnostic::Severity::Error, "call-arity",
                   "`" + call.name + "` " + problem + " but " + std::to_string(call.args) + (call.args == 1 ? " was" : " were") + " given",
                   {{target.path, def->nameSpan, "`" + def->signature + "` is defined here"}}});
  }
}

}  // namespace cadre::analysis
