// Every field of a file's extracted symbols as text, one line per record, so
// tests compare two extractions (cache round trips, the two query engines)
// and print the difference.
#pragma once

#include <string>

#include "server/analysis/symbols.hpp"

namespace cadre::testing {

inline std::string spanText(const analysis::Span& s) {
  return std::to_string(s.startByte) + "-" + std::to_string(s.endByte) + "@" + std::to_string(s.start.row) + ":" + std::to_string(s.start.column) +
         "-" + std::to_string(s.end.row) + ":" + std::to_string(s.end.column);
}

inline std::string dumpSymbols(const analysis::FileSymbols& s) {
  std::string out = "errors=" + std::to_string(s.syntaxErrors) + " timedOut=" + std::to_string(s.timedOut) + " lang=" + s.language + "\n";
  for (const auto& d : s.definitions) {
    out += "def " + d.name + " " + std::string(analysis::symbolKindName(d.kind)) + " " + spanText(d.span) + " " + spanText(d.nameSpan) + " [" +
           d.signature + "] parent=" + std::to_string(d.parent) + " args=" + std::to_string(d.minArgs) + ".." + std::to_string(d.maxArgs) +
           (d.acceptsAnyKeyword ? " **" : "") + " locals=";
    for (const auto& l : d.localNames) out += l + ",";
    out += "\n";
  }
  for (const auto& r : s.references) {
    out += "ref " + r.name + " " + std::string(analysis::referenceKindName(r.kind)) + " " + spanText(r.span) + " args=" + std::to_string(r.args) +
           (r.bare ? " bare" : "") + "\n";
  }
  for (const auto& i : s.imports) {
    out += "import " + i.module + " " + spanText(i.span) + " " + spanText(i.moduleSpan) + " " + std::to_string(i.wildcard) + std::to_string(i.reexport) +
           std::to_string(i.system) + std::to_string(i.optional) + " as=" + i.namespaceAlias + " " + i.statement + ":";
    for (const auto& n : i.names) out += " " + n.name + "/" + n.alias + "/" + spanText(n.span);
    out += "\n";
  }
  for (const auto& e : s.exports) out += "export " + e + "\n";
  return out;
}

}  // namespace cadre::testing
