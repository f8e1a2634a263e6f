// LSP navigation on top of the project index: documentSymbol, workspace/symbol,
// definition, references. Name-based: a use is linked to the definitions of
// the same name, the same file's first (scope-aware resolution comes with
// import resolution). Positions convert here, at the boundary.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/repo_map.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/progress.hpp"
#include "server/core/uri.hpp"

namespace cadre::core {

using protocol::Callback;
using protocol::json;
using workspace::LineIndex;
using workspace::PositionEncoding;

namespace {

// Why a cap: navigation reads files the index points at; one absurd file must
// not stall the request.
constexpr std::uintmax_t kMaxNavigableFileBytes = 8u << 20;
constexpr std::size_t kMaxWorkspaceSymbols = 100;

int lspSymbolKind(analysis::SymbolKind k) {
  using K = analysis::SymbolKind;
  switch (k) {
    case K::Function: return 12;
    case K::Method: return 6;
    case K::Class: case K::Type: case K::Implementation: return 5;
    case K::Interface: case K::Trait: return 11;
    case K::Struct: case K::Union: return 23;
    case K::Enum: return 10;
    case K::Module: return 2;
    case K::Namespace: return 3;
    case K::Constant: case K::Macro: return 14;
    case K::Variable: return 13;
    case K::Field: return 8;
    case K::Constructor: return 9;
    case K::Property: return 7;
  }
  return 13;
}

Expected<std::string> readFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot read " + path.string() + ": " + ec.message());
  if (size > kMaxNavigableFileBytes) return makeError(ErrorCode::IoError, path.string() + " is larger than " + std::to_string(kMaxNavigableFileBytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

json range(const LineIndex& lines, const analysis::Span& s, PositionEncoding enc) {
  auto a = lines.fromByteColumn(s.start.row, s.start.column, enc);
  auto b = lines.fromByteColumn(s.end.row, s.end.column, enc);
  return {{"start", {{"line", a.line}, {"character", a.character}}}, {"end", {{"line", b.line}, {"character", b.character}}}};
}

// Texts and line indexes of the files one request touches, loaded once each.
class FileTexts {
 public:
  using Loader = std::function<Expected<std::string>(const std::string& uri)>;
  explicit FileTexts(Loader load) : load_(std::move(load)) {}
  const LineIndex* lines(const std::string& uri) {
    auto it = cache_.find(uri);
    if (it == cache_.end()) {
      auto text = load_(uri);
      auto entry = std::make_unique<Entry>();
      if (text) {
        entry->text = std::move(*text);
        entry->lines = std::make_unique<LineIndex>(entry->text);
      }
      it = cache_.emplace(uri, std::move(entry)).first;
    }
    return it->second->lines.get();
  }

 private:
  struct Entry {
    std::string text;
    std::unique_ptr<LineIndex> lines;
  };
  Loader load_;
  std::map<std::string, std::unique_ptr<Entry>> cache_;
};

// A document's tree and symbols: the open document's, kept incrementally, or
// a parse of the file for one that is not open.
struct ParsedText {
  const TSTree* tree = nullptr;
  const analysis::FileSymbols* borrowed = nullptr;  // the open document's
  analysis::TreePtr owned;
  analysis::FileSymbols ownedSymbols;
  const analysis::FileSymbols& symbols() const { return borrowed ? *borrowed : ownedSymbols; }
};

// The text's symbols, and its tree unless `withTree` is false: an open
// document's tree may wait for a reparse after windowed keystrokes, which a
// request that reads only symbols (the outline) need not pay for.
ParsedText parseFor(const std::string& uri, const std::string& text, analysis::IncrementalDocument* open, analysis::Parser& parser,
                    bool withTree = true) {
  ParsedText out;
  if (open && open->text() == text) {
    if (withTree) out.tree = open->tree(parser);
    out.borrowed = &open->symbols();
    return out;
  }
  auto path = uriToPath(uri);
  if (!path) return out;
  const analysis::Language* language = analysis::languageForPath(*path);
  if (!language) return out;
  out.owned = parser.parse(*language, text);
  out.tree = out.owned.get();
  if (out.tree) out.ownedSymbols = analysis::extractSymbols(*language, out.tree, text);
  return out;
}

// The identifier under a request's cursor, with what the handlers need
// around it. Not movable: `parsed` may point into itself.
struct Cursor {
  std::string text;
  ParsedText parsed;
  std::unique_ptr<LineIndex> lines;
  std::optional<analysis::IdentifierAt> ident;

  Cursor(std::string documentText, const std::string& uri, analysis::IncrementalDocument* open, analysis::Parser& parser,
         const lsp::Position& pos, PositionEncoding enc)
      : text(std::move(documentText)), parsed(parseFor(uri, text, open, parser)), lines(std::make_unique<LineIndex>(text)) {
    if (!parsed.tree) return;
    const std::uint32_t column = lines->toByteColumn({pos.line, pos.character}, enc);
    auto offset = workspace::toOffset(text, {pos.line, column}, PositionEncoding::Utf8);
    if (offset) ident = analysis::identifierAt(parsed.tree, text, static_cast<std::uint32_t>(*offset));
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
};

}  // namespace

void LspSession::bindNavigation() {
  auto& d = dispatcher_;
  d.bind("textDocument/documentSymbol", this, &LspSession::onDocumentSymbol);
  d.bind("workspace/symbol", this, &LspSession::onWorkspaceSymbol);
  d.bind("textDocument/definition", this, &LspSession::onDefinition);
  d.bind("textDocument/references", this, &LspSession::onReferences);
  d.bind("cadre/repoMap", this, &LspSession::onRepoMap);
  d.bind("textDocument/prepareRename", this, &LspSession::onPrepareRename);
  d.bind("textDocument/rename", this, &LspSession::onRename);
  d.bind("textDocument/codeAction", this, &LspSession::onCodeAction);
}

void LspSession::startIndexing() {
  auto roots = rootPaths();
  if (roots.empty() || !options_.indexProject) return;
  const bool clientProgress = clientCapabilities_.contains("window") && clientCapabilities_["window"].is_object() &&
                              clientCapabilities_["window"].value("workDoneProgress", false);
  auto progress = Progress::start(dispatcher_, clientProgress, "Indexing");
  project_.index(
      roots,
      [progress](const analysis::IndexProgress& p) {
        if (p.total) progress->report(std::to_string(p.done) + "/" + std::to_string(p.total) + " files", static_cast<unsigned>(100 * p.done / p.total));
      },
      [this, progress, weak = weak_from_this()](Expected<std::size_t> result) {
        if (result) {
          progress->end(std::to_string(*result) + " files indexed");
          // Back on the session's strand: open documents get their diagnostics.
          asio::post(executor_, [weak] {
            if (auto self = weak.lock()) self->publishAllDiagnostics();
          });
        } else {
          progress->end("indexing failed");
          spdlog::warn("indexing failed: {}", result.error().message);
        }
      },
      config_.config.security.deny);
}

Expected<std::string> LspSession::documentText(const std::string& uri) const {
  if (auto doc = documents_.get(uri)) return doc->text;
  auto path = uriToPath(uri);
  if (!path) return path.error();
  return readFile(*path);
}

void LspSession::onDocumentSymbol(const lsp::TextDocumentParams& p, Callback<json> reply) {
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  ParsedText parsed = parseFor(p.textDocument.uri, *text, analyzed(p.textDocument.uri), parser_, /*withTree=*/false);
  const LineIndex lines(*text);
  const auto enc = documents_.encoding();
  const auto& defs = parsed.symbols().definitions;
  // Children first (definitions are in source order, parents before children).
  std::vector<json> nodes(defs.size());
  for (std::size_t i = 0; i < defs.size(); ++i) {
    nodes[i] = {{"name", defs[i].name},
                {"detail", defs[i].signature},
                {"kind", lspSymbolKind(defs[i].kind)},
                {"range", range(lines, defs[i].span, enc)},
                {"selectionRange", range(lines, defs[i].nameSpan, enc)},
                {"children", json::array()}};
  }
  json roots = json::array();
  for (std::size_t i = defs.size(); i-- > 0;) {
    auto& target = defs[i].parent >= 0 ? nodes[defs[i].parent]["children"] : roots;
    target.insert(target.begin(), std::move(nodes[i]));
  }
  reply(std::move(roots));
}

void LspSession::onWorkspaceSymbol(const lsp::WorkspaceSymbolParams& p, Callback<json> reply) {
  FileTexts texts([this](const std::string& uri) { return documentText(uri); });
  const auto enc = documents_.encoding();
  json out = json::array();
  for (const auto& m : project_.findSymbols(p.query, kMaxWorkspaceSymbols)) {
    const std::string uri = pathToUri(m.file);
    const LineIndex* lines = texts.lines(uri);
    if (!lines) continue;  // the file went away since it was indexed
    json item = {{"name", m.definition.name},
                 {"kind", lspSymbolKind(m.definition.kind)},
                 {"location", {{"uri", uri}, {"range", range(*lines, m.definition.nameSpan, enc)}}}};
    if (!m.container.empty()) item["containerName"] = m.container;
    out.push_back(std::move(item));
  }
  reply(std::move(out));
}

void LspSession::onDefinition(const lsp::TextDocumentPositionParams& p, Callback<json> reply) {
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  const auto enc = documents_.encoding();
  const Cursor cursor(std::move(*text), p.textDocument.uri, analyzed(p.textDocument.uri), parser_, p.position, enc);
  if (!cursor.ident) return reply(json(nullptr));
  const auto& parsed = cursor.parsed;
  const auto& lines = *cursor.lines;
  const auto& ident = cursor.ident;

  json out = json::array();
  // The same file's own definitions come first and are enough when present.
  for (const auto& d : parsed.symbols().definitions) {
    if (d.name == ident->name) out.push_back({{"uri", p.textDocument.uri}, {"range", range(lines, d.nameSpan, enc)}});
  }
  if (out.empty()) {
    FileTexts texts([this](const std::string& uri) { return documentText(uri); });
    for (const auto& loc : project_.definitionsNamed(ident->name)) {
      const std::string uri = pathToUri(loc.file);
      if (const LineIndex* l = texts.lines(uri)) out.push_back({{"uri", uri}, {"range", range(*l, loc.span, enc)}});
    }
  }
  reply(std::move(out));
}

void LspSession::onReferences(const lsp::ReferenceParams& p, Callback<json> reply) {
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  const auto enc = documents_.encoding();
  const Cursor cursor(std::move(*text), p.textDocument.uri, analyzed(p.textDocument.uri), parser_, p.position, enc);
  if (!cursor.ident) return reply(json::array());
  const auto& parsed = cursor.parsed;
  const auto& lines = *cursor.lines;
  const auto& ident = cursor.ident;

  auto self = uriToPath(p.textDocument.uri);
  FileTexts texts([this](const std::string& uri) { return documentText(uri); });
  json out = json::array();
  auto add = [&](const std::string& uri, const LineIndex& l, const analysis::Span& s) {
    out.push_back({{"uri", uri}, {"range", range(l, s, enc)}});
  };
  // This document from its current text; every other file from the index.
  for (const auto& imp : parsed.symbols().imports) {
    for (const auto& n : imp.names) {
      if (n.name == ident->name) add(p.textDocument.uri, lines, n.span);
    }
  }
  for (const auto& r : parsed.symbols().references) {
    if (r.name == ident->name) add(p.textDocument.uri, lines, r.span);
  }
  if (p.includeDeclaration) {
    for (const auto& d : parsed.symbols().definitions) {
      if (d.name == ident->name) add(p.textDocument.uri, lines, d.nameSpan);
    }
  }
  auto fromIndex = project_.referencesNamed(ident->name);
  if (p.includeDeclaration) {
    auto defs = project_.definitionsNamed(ident->name);
    fromIndex.insert(fromIndex.end(), defs.begin(), defs.end());
  }
  for (const auto& loc : fromIndex) {
    if (self && loc.file == *self) continue;
    const std::string uri = pathToUri(loc.file);
    if (const LineIndex* l = texts.lines(uri)) add(uri, *l, loc.span);
  }
  reply(std::move(out));
}

void LspSession::onRepoMap(const lsp::RepoMapParams& p, Callback<json> reply) {
  if (!project_.ready()) return reply(makeError(ErrorCode::RequestFailed, "the project index is still being built; try again when indexing ends"));
  auto indexes = project_.indexes();
  if (indexes.empty()) return reply(makeError(ErrorCode::RequestFailed, "no workspace folder to map: open a folder first"));
  // The root holding the first focus file, else the first root.
  std::shared_ptr<const analysis::ProjectIndex> index = indexes.front();
  std::vector<std::string> focus;
  for (const auto& uri : p.focus) {
    auto path = uriToPath(uri);
    if (!path) return reply(makeError(ErrorCode::InvalidParams, "params.focus: " + path.error().message));
    for (const auto& candidate : indexes) {
      auto rel = path->lexically_relative(candidate->root());
      if (rel.empty() || rel.native().rfind("..", 0) == 0) continue;
      if (focus.empty()) index = candidate;
      if (candidate == index) focus.push_back(rel.generic_string());
    }
  }
  analysis::RepoMapOptions options;
  options.tokenBudget = p.tokens;
  options.focusFiles = std::move(focus);
  options.focusNames = p.names;
  const analysis::RepoMap map = analysis::buildRepoMap(*index, options);
  json entries = json::array();
  for (const auto& e : map.entries) {
    entries.push_back({{"uri", pathToUri(index->root() / e.path)}, {"line", e.line - 1}, {"signature", e.signature}, {"depth", e.depth},
                       {"rank", e.rank}});
  }
  reply(json{{"text", map.text}, {"tokens", map.tokens}, {"entries", std::move(entries)}});
}

void LspSession::onPrepareRename(const lsp::TextDocumentPositionParams& p, Callback<json> reply) {
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  const auto enc = documents_.encoding();
  const Cursor cursor(std::move(*text), p.textDocument.uri, analyzed(p.textDocument.uri), parser_, p.position, enc);
  if (!cursor.parsed.tree) return reply(json(nullptr));
  if (!cursor.ident) return reply(makeError(ErrorCode::RequestFailed, "there is no symbol to rename here"));
  const auto& parsed = cursor.parsed;
  const auto& lines = *cursor.lines;
  const auto& ident = cursor.ident;
  auto path = uriToPath(p.textDocument.uri);
  if (!path) return reply(path.error());
  auto target = project_.renameTarget(*path, parsed.symbols(), ident->name);
  if (!target) return reply(target.error());
  reply(json{{"range", range(lines, ident->span, enc)}, {"placeholder", ident->name}});
}

void LspSession::onRename(const lsp::RenameParams& p, Callback<json> reply) {
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  const auto enc = documents_.encoding();
  const Cursor cursor(std::move(*text), p.textDocument.uri, analyzed(p.textDocument.uri), parser_, lsp::Position{p.position.line, p.position.character}, enc);
  if (!cursor.parsed.tree) return reply(makeError(ErrorCode::RequestFailed, "this file's language has no grammar in cadre"));
  if (!cursor.ident) return reply(makeError(ErrorCode::RequestFailed, "there is no symbol to rename here"));
  const auto& parsed = cursor.parsed;
  const auto& ident = cursor.ident;
  auto path = uriToPath(p.textDocument.uri);
  if (!path) return reply(path.error());
  auto edits = project_.planRename(*path, parsed.symbols(), ident->name, p.newName);
  if (!edits) return reply(edits.error());
  // One WorkspaceEdit; ranges in each file's current text (open or on disk).
  FileTexts texts([this](const std::string& uri) { return documentText(uri); });
  json changes = json::object();
  for (const auto& e : *edits) {
    const std::string uri = pathToUri(e.path);
    const LineIndex* l = texts.lines(uri);
    if (!l) return reply(makeError(ErrorCode::RequestFailed, "cannot read " + e.path + " to rename in it"));
    changes[uri].push_back({{"range", range(*l, e.span, enc)}, {"newText", e.newText}});
  }
  reply(json{{"changes", std::move(changes)}});
}

}  // namespace cadre::core
