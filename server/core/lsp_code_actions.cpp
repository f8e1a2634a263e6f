// The code actions cadre adds beside its quick fixes: each a CodeAction with
// a Command (cadre.*) that workspace/executeCommand runs (lsp_commands.cpp).
// No action edits here: the agent's work and the refactors land in a shadow
// and reach the user's files only through cadre/shadow.apply.
#include "server/analysis/extract_function.hpp"
#include "server/core/lsp_session.hpp"

namespace cadre::core {

using protocol::json;

namespace {

// Why a cap on the title: editors show it in a one-line menu.
constexpr std::size_t kMaxTitleMessage = 60;

// LSP's rule for context.only: a kind matches a requested kind equal to it
// or one it refines ("refactor.extract" is asked for by "refactor").
bool wanted(const json& only, std::string_view kind) {
  if (!only.is_array()) return true;
  for (const auto& o : only) {
    if (!o.is_string()) continue;
    const std::string k = o.get<std::string>();
    if (kind == k || (kind.size() > k.size() && kind.substr(0, k.size()) == k && kind[k.size()] == '.')) return true;
  }
  return false;
}

std::string shortened(std::string s) {
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  if (s.size() > kMaxTitleMessage) {
    std::size_t cut = kMaxTitleMessage;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "…";
  }
  return s;
}

json action(const std::string& title, const std::string& kind, const std::string& command, json args) {
  json a = {{"title", title}, {"command", {{"title", title}, {"command", command}, {"arguments", json::array({std::move(args)})}}}};
  if (!kind.empty()) a["kind"] = kind;
  return a;
}

}  // namespace

void LspSession::appendCommandActions(const lsp::CodeActionParams& p, const std::string& text, json& actions) {
  const json only = p.context.value("only", json());
  const json range = {{"start", {{"line", p.range.start.line}, {"character", p.range.start.character}}},
                      {"end", {{"line", p.range.end.line}, {"character", p.range.end.character}}}};
  const std::string& uri = p.textDocument.uri;
  // "Fix this diagnostic" for each one the editor shows here, whoever reported it.
  if (wanted(only, "quickfix")) {
    for (const auto& d : p.context.value("diagnostics", json::array())) {
      if (!d.is_object() || !d.contains("range")) continue;
      json a = action("Fix with cadre: " + shortened(d.value("message", "this problem")), "quickfix", "cadre.fix",
                      {{"uri", uri}, {"range", d["range"]}, {"diagnostic", d}});
      a["diagnostics"] = json::array({d});
      actions.push_back(std::move(a));
    }
  }
  json args = {{"uri", uri}, {"range", range}};
  // Explain changes nothing: no kind, so it is not filtered out as an edit.
  if (!only.is_array()) actions.push_back(action("Explain with cadre", "", "cadre.explain", args));
  if (wanted(only, "refactor.rewrite.cadre")) actions.push_back(action("Refactor with cadre…", "refactor.rewrite.cadre", "cadre.refactor", args));
  if (wanted(only, "refactor.rewrite.cadre.addDocs")) actions.push_back(action("Add docs with cadre", "refactor.rewrite.cadre.addDocs", "cadre.addDocs", args));
  if (wanted(only, "source.cadre.generateTests")) actions.push_back(action("Generate tests with cadre", "source.cadre.generateTests", "cadre.generateTests", args));
  // Extract function, offered only where it would work (a trial run on the text).
  if (wanted(only, "refactor.extract.function") && (p.range.start.line != p.range.end.line || p.range.start.character != p.range.end.character)) {
    auto at = locate(uri, p.range);
    if (at) {
      const std::string name = "extracted";
      auto trial = analysis::extractFunction({at->path.string(), text, at->start, at->end, name});
      if (trial) {
        json a = args;
        a["name"] = name;
        actions.push_back(action("Extract function (cadre)", "refactor.extract.function", "cadre.extractFunction", a));
      }
    }
  }
}

}  // namespace cadre::core
