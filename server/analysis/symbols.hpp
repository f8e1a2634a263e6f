// What analysis extracts from one file, in its own types: definitions,
// references and imports with byte spans and (row, byte-column) points. No
// LSP positions here; core converts at the boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::analysis {

struct Point {
  std::uint32_t row = 0;
  std::uint32_t column = 0;  // bytes into the row
  friend bool operator==(const Point&, const Point&) = default;
};

struct Span {
  std::uint32_t startByte = 0;
  std::uint32_t endByte = 0;
  Point start;
  Point end;
  friend bool operator==(const Span&, const Span&) = default;
};

enum class SymbolKind : std::uint8_t {
  Function, Method, Class, Interface, Struct, Enum, Union, Module, Constant, Variable,
  Type, Macro, Field, Namespace, Trait, Constructor, Property, Implementation,
};
std::string_view symbolKindName(SymbolKind kind);
bool symbolKindFromName(std::string_view name, SymbolKind& out);

enum class ReferenceKind : std::uint8_t { Call, Type, Class, Implementation, Name, Module, Macro };
std::string_view referenceKindName(ReferenceKind kind);
bool referenceKindFromName(std::string_view name, ReferenceKind& out);

struct Definition {
  std::string name;
  SymbolKind kind = SymbolKind::Function;
  Span span;      // the whole definition
  Span nameSpan;  // its name
  // The head of the definition (up to its body), whitespace folded; what the
  // repo map shows. Capped at kMaxSignatureBytes.
  std::string signature;
  std::int32_t parent = -1;  // index of the enclosing definition in the same file
  // Callables whose parameters cadre understands (Python, TypeScript):
  // how many arguments a call may pass. minArgs < 0: unknown (decorated,
  // another language). maxArgs < 0: no upper bound (*args, ...rest).
  std::int16_t minArgs = -1;
  std::int16_t maxArgs = -1;
  bool acceptsAnyKeyword = false;   // **kwargs
  // Names bound inside a callable (parameters, assigned locals), to see a call
  // of a local that shadows a project function.
  std::vector<std::string> localNames;
};

struct Reference {
  std::string name;
  ReferenceKind kind = ReferenceKind::Name;
  Span span;
  // Calls: the number of arguments passed, or -1 when unknown (a *splat or
  // ...spread, or not a call); `bare` when called without a receiver (`f()`,
  // not `obj.f()`).
  std::int16_t args = -1;
  bool bare = false;
};

struct ImportedName {
  std::string name;   // as exported by the target ("default" for a default import)
  std::string alias;  // local name when renamed, else empty
  Span span;
};

struct Import {
  std::string module;  // the specifier as written, without quotes
  Span span;           // the whole statement
  Span moduleSpan;
  std::vector<ImportedName> names;
  bool wildcard = false;  // `from m import *`, `export * from`
  bool reexport = false;  // `export ... from` (JS/TS), `pub use` (Rust)
  std::string namespaceAlias;  // `import * as ns`, `import m as ns`
  std::string statement;       // the statement's node type: "mod_item", "preproc_include", ...
  bool system = false;         // C/C++ `#include <...>`
  // Inside a `try:` / `except ...:` block or `with suppress(ImportError)`:
  // the code plans for the import to fail (a C speedup, a backport).
  bool optional = false;
};

struct FileSymbols {
  std::string language;
  std::vector<Definition> definitions;
  std::vector<Reference> references;
  std::vector<Import> imports;
  std::vector<std::string> exports;  // names a JS/TS module exports explicitly
  std::uint32_t syntaxErrors = 0;    // ERROR/MISSING nodes: broken code is data, not a failure
  bool timedOut = false;             // the parse hit its time limit; results are partial
};

// Why a signature is capped: the repo map shows one line per definition and a
// generated 2 KB function head would eat a token budget alone.
inline constexpr std::size_t kMaxSignatureBytes = 200;

}  // namespace cadre::analysis
