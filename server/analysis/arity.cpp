// Call-arity diagnostics; see arity.hpp.
#include "server/analysis/arity.hpp"

#include <algorithm>

#include "server/analysis/check.hpp"

namespace cadre::analysis {
namespace {

struct Target {
  const Definition* def = nullptr;
  std::string path;
};

std::string arguments(int n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); }

// The one top-level function named `name` in `symbols`, or null when there is
// none or more than one (overloads, redefinitions) or the name is also bound
// otherwise (an assignment).
const Definition* onlyFunction(const FileSymbols& symbols, const std::string& name) {
  const Definition* found = nullptr;
  for (const auto& d : symbols.definitions) {
    if (d.name != name || d.parent >= 0) continue;
    if (found || d.kind != SymbolKind::Function) return nullptr;
    found = &d;
  }
  return found;
}

bool shadowedAt(const FileSymbols& symbols, const std::string& name, std::uint32_t offset, const Definition* target) {
  for (const auto& d : symbols.definitions) {
    if (&d == target) continue;
    // A nested definition or an enclosing callable's parameter with the name.
    if (d.name == name && d.parent >= 0) return true;
    if (d.span.startByte <= offset && offset < d.span.endByte && std::find(d.localNames.begin(), d.localNames.end(), name) != d.localNames.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

void checkCallArity(const ProjectIndex& index, const Resolver& resolver, const std::string& path, const FileSymbols& symbols,
                    std::vector<Diagnostic>& out) {
  const std::string& lang = symbols.language;
  if (lang != "python" && lang != "typescript" && lang != "tsx") return;
  if (symbols.syntaxErrors > 0 || symbols.timedOut) return;
  IndexedFile from;
  from.path = path;
  from.language = lang;
  for (const auto& call : symbols.references) {
    if (call.kind != ReferenceKind::Call || !call.bare || call.args < 0) continue;
    Target target;
    if (const Definition* local = onlyFunction(symbols, call.name)) {
      target = {local, path};
    } else if (std::none_of(symbols.definitions.begin(), symbols.definitions.end(), [&](const Definition& d) { return d.name == call.name; })) {
      for (const auto& imp : symbols.imports) {
        for (const auto& n : imp.names) {
          if ((n.alias.empty() ? n.name : n.alias) != call.name) continue;
          Resolution r = resolver.resolve(from, imp);
          if (r.kind != Resolution::Kind::Project || r.files.empty()) continue;
          const IndexedFile* f = index.file(r.files.front());
          if (!f || f->language != lang || f->symbols.syntaxErrors > 0) continue;
          if (const Definition* d = onlyFunction(f->symbols, n.name)) target = {d, f->path};
        }
      }
    }
    const Definition* def = target.def;
    if (!def || def->minArgs < 0 || shadowedAt(symbols, call.name, call.span.startByte, target.path == path ? def : nullptr)) continue;
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
