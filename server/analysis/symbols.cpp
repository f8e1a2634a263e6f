// Names of symbol and reference kinds (the capture suffixes of the queries).
#include "server/analysis/symbols.hpp"

#include <array>
#include <utility>

namespace cadre::analysis {
namespace {
constexpr std::array<std::pair<SymbolKind, std::string_view>, 18> kSymbolKinds = {{
    {SymbolKind::Function, "function"},     {SymbolKind::Method, "method"},     {SymbolKind::Class, "class"},
    {SymbolKind::Interface, "interface"},   {SymbolKind::Struct, "struct"},     {SymbolKind::Enum, "enum"},
    {SymbolKind::Union, "union"},           {SymbolKind::Module, "module"},     {SymbolKind::Constant, "constant"},
    {SymbolKind::Variable, "variable"},     {SymbolKind::Type, "type"},         {SymbolKind::Macro, "macro"},
    {SymbolKind::Field, "field"},           {SymbolKind::Namespace, "namespace"}, {SymbolKind::Trait, "trait"},
    {SymbolKind::Constructor, "constructor"}, {SymbolKind::Property, "property"}, {SymbolKind::Implementation, "implementation"},
}};
constexpr std::array<std::pair<ReferenceKind, std::string_view>, 7> kReferenceKinds = {{
    {ReferenceKind::Call, "call"}, {ReferenceKind::Type, "type"}, {ReferenceKind::Class, "class"},
    {ReferenceKind::Implementation, "implementation"}, {ReferenceKind::Name, "name"}, {ReferenceKind::Module, "module"},
    {ReferenceKind::Macro, "macro"},
}};
}  // namespace

std::string_view symbolKindName(SymbolKind kind) {
  for (const auto& [k, n] : kSymbolKinds) {
    if (k == kind) return n;
  }
  return "?";
}

bool symbolKindFromName(std::string_view name, SymbolKind& out) {
  for (const auto& [k, n] : kSymbolKinds) {
    if (n == name) {
      out = k;
      return true;
    }
  }
  return false;
}

std::string_view referenceKindName(ReferenceKind kind) {
  for (const auto& [k, n] : kReferenceKinds) {
    if (k == kind) return n;
  }
  return "?";
}

bool referenceKindFromName(std::string_view name, ReferenceKind& out) {
  for (const auto& [k, n] : kReferenceKinds) {
    if (n == name) {
      out = k;
      return true;
    }
  }
  return false;
}

}  // namespace cadre::analysis
