// Open documents: their syntax trees, kept incrementally across edits, and the
// consistency diagnostics published for them (textDocument/publishDiagnostics)
// on open, on every change, and when the index becomes ready.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "server/analysis/language.hpp"
#include "server/core/lsp_session.hpp"
#include "server/core/uri.hpp"

namespace cadre::core {

using protocol::json;

namespace {

analysis::TreeEdit toTreeEdit(const workspace::ByteEdit& e) {
  return analysis::TreeEdit{e.startByte, e.oldEndByte, e.newEndByte, {e.startRow, e.startColumn}, {e.oldEndRow, e.oldEndColumn},
                            {e.newEndRow, e.newEndColumn}};
}

json lspRange(const workspace::LineIndex* lines, const analysis::Span& s, workspace::PositionEncoding enc) {
  auto at = [&](const analysis::Point& p) {
    if (!lines) return json{{"line", p.row}, {"character", 0}};
    auto pos = lines->fromByteColumn(p.row, p.column, enc);
    return json{{"line", pos.line}, {"character", pos.character}};
  };
  return {{"start", at(s.start)}, {"end", at(s.end)}};
}

}  // namespace

const analysis::IncrementalDocument* LspSession::analyzed(const std::string& uri) const {
  auto it = analyzed_.find(uri);
  return it == analyzed_.end() ? nullptr : it->second.get();
}

analysis::IncrementalDocument* LspSession::analyzed(const std::string& uri) {
  auto it = analyzed_.find(uri);
  return it == analyzed_.end() ? nullptr : it->second.get();
}

void LspSession::analyzeOpened(const std::string& uri) {
  auto doc = documents_.get(uri);
  auto path = uriToPath(uri);
  if (!doc || !path) return;
  const analysis::Language* lang = analysis::languageForPath(*path);
  if (!lang) return;
  analyzed_[uri] = std::make_unique<analysis::IncrementalDocument>(*lang, doc->text, parser_);
  publishDiagnostics(uri);
}

void LspSession::analyzeChanged(const std::string& uri, const std::vector<workspace::ByteEdit>& edits) {
  auto it = analyzed_.find(uri);
  auto doc = documents_.get(uri);
  if (it == analyzed_.end() || !doc) return;
  std::vector<analysis::TreeEdit> treeEdits;
  treeEdits.reserve(edits.size());
  for (const auto& e : edits) treeEdits.push_back(toTreeEdit(e));
  it->second->update(doc->text, treeEdits, parser_);
  publishDiagnostics(uri);
}

void LspSession::forgetDocument(const std::string& uri) {
  if (analyzed_.erase(uri)) {
    // Diagnostics of a closed file belong to whoever checks the project.
    dispatcher_.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
  }
}

void LspSession::publishDiagnostics(const std::string& uri) {
  const analysis::IncrementalDocument* doc = analyzed(uri);
  auto path = uriToPath(uri);
  if (!doc || !path || !project_.ready()) return;
  const auto enc = documents_.encoding();
  const workspace::LineIndex lines(doc->text());
  json diagnostics = json::array();
  for (const auto& d : project_.check(*path, doc->symbols(), &doc->text())) {
    json related = json::array();
    for (const auto& r : d.related) {
      related.push_back({{"location", {{"uri", pathToUri(r.path)}, {"range", lspRange(nullptr, r.span, enc)}}}, {"message", r.message}});
    }
    json item = {{"range", lspRange(&lines, d.span, enc)},
                 {"severity", d.severity == analysis::Diagnostic::Severity::Error ? 1 : 2},
                 {"code", d.code},
                 {"source", "cadre"},
                 {"message", d.message}};
    if (!related.empty()) item["relatedInformation"] = std::move(related);
    diagnostics.push_back(std::move(item));
  }
  json params = {{"uri", uri}, {"diagnostics", std::move(diagnostics)}};
  if (auto open = documents_.get(uri)) params["version"] = open->version;
  dispatcher_.notify("textDocument/publishDiagnostics", std::move(params));
}

void LspSession::onCodeAction(const lsp::CodeActionParams& p, protocol::Callback<json> reply) {
  auto path = uriToPath(p.textDocument.uri);
  if (!path) return reply(path.error());
  auto text = documentText(p.textDocument.uri);
  if (!text) return reply(text.error());
  const analysis::IncrementalDocument* open = analyzed(p.textDocument.uri);
  analysis::FileSymbols fresh;
  if (!open) {
    const analysis::Language* lang = analysis::languageForPath(*path);
    if (!lang) return reply(json::array());
    fresh = analysis::summarize(parser_, *lang, *text);
  }
  const analysis::FileSymbols& symbols = open ? open->symbols() : fresh;
  const auto enc = documents_.encoding();
  const workspace::LineIndex lines(*text);
  json actions = json::array();
  for (const auto& fd : project_.fixes(*path, symbols, &*text)) {
    const json range = lspRange(&lines, fd.diagnostic.span, enc);
    // Only diagnostics that touch the requested range.
    const auto& s = range["start"];
    const auto& e = range["end"];
    auto before = [](const json& a, std::uint32_t line, std::uint32_t ch) {
      return a["line"].get<std::uint32_t>() < line || (a["line"].get<std::uint32_t>() == line && a["character"].get<std::uint32_t>() < ch);
    };
    if (before(e, p.range.start.line, p.range.start.character) || !before(s, p.range.end.line, p.range.end.character + 1)) continue;
    for (const auto& fix : fd.fixes) {
      json changes = json::object();
      for (const auto& edit : fix.edits) {
        changes[pathToUri(edit.path)].push_back({{"range", lspRange(&lines, edit.span, enc)}, {"newText", edit.newText}});
      }
      actions.push_back({{"title", fix.title},
                         {"kind", "quickfix"},
                         {"isPreferred", true},
                         {"diagnostics", json::array({{{"range", range}, {"severity", 1}, {"code", fd.diagnostic.code}, {"source", "cadre"},
                                                       {"message", fd.diagnostic.message}}})},
                         {"edit", {{"changes", std::move(changes)}}}});
    }
  }
  appendCommandActions(p, *text, actions);
  reply(std::move(actions));
}

void LspSession::publishAllDiagnostics() {
  for (const auto& [uri, doc] : analyzed_) publishDiagnostics(uri);
}

}  // namespace cadre::core
