// The LSP adapter for one connection; see lsp_session.hpp.
#include "server/core/lsp_session.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "server/core/logging.hpp"
#include "server/core/security_context.hpp"
#include "server/core/uri.hpp"

namespace cadre::core {

using protocol::Callback;
using protocol::json;
using protocol::NoParams;
using workspace::PositionEncoding;

namespace {

// Constant-time comparison, so a network peer cannot time its way to the token.
bool sameSecret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (std::size_t i = 0; i < longer.size(); ++i) {
    diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// The client lists encodings in preference order; cadre prefers utf-8 (its
// native one, no conversion) when offered, then utf-32, else the spec's
// mandatory utf-16.
std::pair<PositionEncoding, std::string> negotiateEncoding(const json& capabilities) {
  const json* offered = nullptr;
  if (auto g = capabilities.find("general"); g != capabilities.end() && g->is_object()) {
    if (auto e = g->find("positionEncodings"); e != g->end() && e->is_array()) offered = &*e;
  }
  auto has = [&](const char* name) {
    if (!offered) return false;
    for (const auto& e : *offered) {
      if (e == name) return true;
    }
    return false;
  };
  if (has("utf-8")) return {PositionEncoding::Utf8, "utf-8"};
  if (has("utf-32")) return {PositionEncoding::Utf32, "utf-32"};
  return {PositionEncoding::Utf16, "utf-16"};
}

std::vector<workspace::TextChange> toChanges(const std::vector<lsp::TextDocumentContentChangeEvent>& events) {
  std::vector<workspace::TextChange> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    workspace::TextChange c;
    if (e.range) {
      c.range = workspace::TextRange{{e.range->start.line, e.range->start.character}, {e.range->end.line, e.range->end.character}};
    }
    c.text = e.text;
    out.push_back(std::move(c));
  }
  return out;
}

// Editors send settings of every extension; cadre's live under "cadre" (the
// same shape in initializationOptions.settings and didChangeConfiguration).
json cadreSection(const json& settings) {
  if (settings.is_object()) {
    if (auto it = settings.find("cadre"); it != settings.end()) return *it;
  }
  return nullptr;
}

std::size_t countLines(const std::string& text) {
  std::size_t lines = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) ++lines;
  }
  return lines;
}

}  // namespace

std::shared_ptr<LspSession> LspSession::pin(const std::weak_ptr<LspSession>& weak) {
  auto self = weak.lock();
  if (!self) return nullptr;
  LspSession* raw = self.get();
  auto executor = raw->executor_;
  return std::shared_ptr<LspSession>(raw, [keep = std::move(self), executor](LspSession*) mutable {
    asio::post(executor, [keep = std::move(keep)] {});
  });
}

LspSession::LspSession(std::shared_ptr<protocol::Transport> transport, asio::any_io_executor executor, SessionOptions options)
    : options_(std::move(options)), executor_(executor), dispatcher_(std::move(transport), std::move(executor), options_.dispatcher) {
  bindMethods();
}

LspSession::~LspSession() = default;

void LspSession::bindMethods() {
  auto& d = dispatcher_;
  d.onBadNotification([this](const std::string& method, const std::string& why) {
    // The editor may now disagree with cadre (a dropped didChange): say so.
    logMessage(lsp::MessageType::Error, "cadre ignored " + method + ": " + why);
  });
  d.allowBeforeInitialize("initialize");
  d.allowBeforeInitialize("exit");
  d.bind("initialize", this, &LspSession::onInitialize);
  d.bindNotification("initialized", this, &LspSession::onInitialized);
  d.bind("shutdown", this, &LspSession::onShutdown);
  d.bindNotification("exit", this, &LspSession::onExit);

  d.bindNotification("textDocument/didOpen", this, &LspSession::onDidOpen);
  d.bindNotification("textDocument/didChange", this, &LspSession::onDidChange);
  d.bindNotification("textDocument/didClose", this, &LspSession::onDidClose);
  d.bindNotification("textDocument/didSave", this, &LspSession::onDidSave);

  d.bindNotification("workspace/didChangeWorkspaceFolders", this, &LspSession::onDidChangeWorkspaceFolders);
  d.bindNotification("workspace/didChangeConfiguration", this, &LspSession::onDidChangeConfiguration);

  bindNavigation();
  bindTools();
  bindShadow();
  bindTasks();
  bindModels();
  bindCheckpoints();
  bindCommands();
  d.bind("cadre/ping", this, &LspSession::onPing);
  d.bind("cadre/status", this, &LspSession::onStatus);
}

bool LspSession::onNotify(std::string_view method, json params) { return dispatcher_.onNotify(method, std::move(params)); }
bool LspSession::onCall(std::string_view method, json params, json id) { return dispatcher_.onCall(method, std::move(params), std::move(id)); }
bool LspSession::onReply(json id, Expected<json> result) { return dispatcher_.onReply(std::move(id), std::move(result)); }
void LspSession::onInvalid(const protocol::Invalid& bad) { dispatcher_.onInvalid(bad); }

void LspSession::onClosed() {
  dispatcher_.onClosed();
  if (!exited_ && options_.onExit) {
    // The client went away without `exit`: per LSP that is exit code 1, unless
    // it had asked for shutdown first.
    exited_ = true;
    options_.onExit(shutdown_ ? 0 : 1);
  }
}

void LspSession::onInitialize(const lsp::InitializeParams& params, Callback<json> reply) {
  if (initialized_) return reply(makeError(ErrorCode::InvalidRequest, "initialize was already called"));
  if (options_.token) {
    std::string presented;
    if (params.initializationOptions.is_object() && params.initializationOptions.contains("token") &&
        params.initializationOptions["token"].is_string()) {
      presented = params.initializationOptions["token"].get<std::string>();
    }
    if (!sameSecret(presented, *options_.token)) {
      spdlog::warn("refused a connection: missing or wrong token");
      reply(makeError(ErrorCode::Unauthorized, "this server requires a token: pass it as initializationOptions.token"));
      dispatcher_.requestStop();
      return;
    }
  }
  initialized_ = true;
  clientCapabilities_ = params.capabilities;
  auto [encoding, name] = negotiateEncoding(params.capabilities);
  documents_.setEncoding(encoding);
  encodingName_ = name;

  if (params.workspaceFolders) {
    folders_ = *params.workspaceFolders;
  } else if (params.rootUri) {
    auto path = uriToPath(*params.rootUri);
    folders_.push_back({*params.rootUri, path ? path->filename().string() : *params.rootUri});
  } else if (params.rootPath) {
    folders_.push_back({pathToUri(*params.rootPath), std::filesystem::path(*params.rootPath).filename().string()});
  }
  if (params.initializationOptions.is_object()) editorSettings_ = cadreSection(params.initializationOptions.value("settings", json()));
  reloadConfig();
  dispatcher_.setInitialized();

  json capabilities = {
      {"positionEncoding", encodingName_},
      {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
      {"workspace", {{"workspaceFolders", {{"supported", true}, {"changeNotifications", true}}}}},
      {"documentSymbolProvider", true},
      {"workspaceSymbolProvider", true},
      {"definitionProvider", true},
      {"referencesProvider", true},
      {"renameProvider", {{"prepareProvider", true}}},
      {"codeActionProvider", {{"codeActionKinds", {"quickfix", "refactor", "refactor.extract", "refactor.rewrite", "source"}}}},
      {"executeCommandProvider", {{"commands", {"cadre.explain", "cadre.fix", "cadre.generateTests", "cadre.addDocs", "cadre.refactor",
                                                "cadre.renameSymbol", "cadre.moveSymbol", "cadre.extractFunction",
                                                "cadre.applyInstruction"}}}},
  };
  reply(json{{"capabilities", capabilities}, {"serverInfo", {{"name", "cadre"}, {"version", CADRE_VERSION}}}});
}

void LspSession::onInitialized(const NoParams&) {
  recoverInterruptedApplies();
  startIndexing();
  for (const auto& d : config_.diagnostics) {
    showMessage(d.severity == ConfigDiagnostic::Severity::Error ? lsp::MessageType::Error : lsp::MessageType::Warning,
                "cadre config: " + d.format());
  }
}

void LspSession::onShutdown(const NoParams&, Callback<protocol::NullResult> reply) {
  shutdown_ = true;
  dispatcher_.setShutdown();
  reply(protocol::NullResult{});
}

void LspSession::onExit(const NoParams&) {
  dispatcher_.requestStop();
  if (!exited_) {
    exited_ = true;
    if (options_.onExit) options_.onExit(shutdown_ ? 0 : 1);
  }
}

void LspSession::onDidOpen(const lsp::DidOpenTextDocumentParams& p) {
  const auto& t = p.textDocument;
  documents_.open(workspace::Document{t.uri, t.languageId, t.version, t.text});
  analyzeOpened(t.uri);
}

void LspSession::onDidChange(const lsp::DidChangeTextDocumentParams& p) {
  std::vector<workspace::ByteEdit> edits;
  auto changed = documents_.change(p.textDocument.uri, p.textDocument.version, toChanges(p.contentChanges), &edits);
  if (!changed) {
    // The editor and cadre now disagree about this document; say so loudly
    // instead of working on text the user does not see.
    const std::string message = "cadre ignored an edit to " + p.textDocument.uri + ": " + changed.error().message +
                                " (reopen the file to resynchronize)";
    spdlog::error("{}", message);
    logMessage(lsp::MessageType::Error, message);
    return;
  }
  analyzeChanged(p.textDocument.uri, edits);
}

void LspSession::onDidClose(const lsp::DidCloseTextDocumentParams& p) {
  if (!documents_.close(p.textDocument.uri)) spdlog::warn("didClose for a document that is not open: {}", p.textDocument.uri);
  forgetDocument(p.textDocument.uri);
}

void LspSession::onDidSave(const lsp::DidSaveTextDocumentParams& p) { spdlog::debug("saved {}", p.textDocument.uri); }

void LspSession::onDidChangeWorkspaceFolders(const lsp::DidChangeWorkspaceFoldersParams& p) {
  for (const auto& removed : p.event.removed) {
    std::erase_if(folders_, [&](const lsp::WorkspaceFolder& f) { return f.uri == removed.uri; });
  }
  for (const auto& added : p.event.added) {
    if (std::none_of(folders_.begin(), folders_.end(), [&](const auto& f) { return f.uri == added.uri; })) folders_.push_back(added);
  }
  reloadConfig();
  startIndexing();
}

void LspSession::onDidChangeConfiguration(const lsp::DidChangeConfigurationParams& p) {
  editorSettings_ = cadreSection(p.settings);
  reloadConfig();
  for (const auto& d : config_.diagnostics) {
    if (d.source == "editor settings") {
      showMessage(d.severity == ConfigDiagnostic::Severity::Error ? lsp::MessageType::Error : lsp::MessageType::Warning,
                  "cadre config: " + d.format());
    }
  }
}

void LspSession::onPing(const NoParams&, Callback<json> reply) { reply(json::object()); }

void LspSession::onStatus(const NoParams&, Callback<json> reply) {
  json docs = json::array();
  for (const auto& uri : documents_.uris()) {
    if (auto doc = documents_.get(uri)) {
      docs.push_back({{"uri", doc->uri}, {"languageId", doc->languageId}, {"version", doc->version}, {"bytes", doc->text.size()},
                      {"lines", countLines(doc->text)}});
    }
  }
  json folders = json::array();
  for (const auto& f : folders_) folders.push_back(f);
  json diagnostics = json::array();
  for (const auto& d : config_.diagnostics) {
    diagnostics.push_back({{"severity", d.severity == ConfigDiagnostic::Severity::Error ? "error" : "warning"},
                           {"source", d.source},
                           {"key", d.key},
                           {"message", d.message}});
  }
  json methods = json::object();
  for (const auto& [name, s] : dispatcher_.methodStats()) {
    methods[name] = {{"calls", s.calls}, {"errors", s.errors}, {"meanMs", s.calls ? s.totalMicros / 1000.0 / s.calls : 0.0},
                     {"maxMs", s.maxMicros / 1000.0}};
  }
  const auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
  std::size_t indexedFiles = 0;
  for (const auto& index : project_.indexes()) indexedFiles += index->files().size();
  reply(json{{"version", CADRE_VERSION},
             {"index", {{"ready", project_.ready()}, {"files", indexedFiles}}},
             {"uptimeMs", uptime},
             {"positionEncoding", encodingName_},
             {"workspaceFolders", folders},
             {"documents", docs},
             {"config", {{"sources", config_.sources}, {"diagnostics", diagnostics}}},
             {"methods", methods}});
}

std::vector<std::filesystem::path> LspSession::rootPaths() const {
  std::vector<std::filesystem::path> roots;
  for (const auto& f : folders_) {
    if (auto path = uriToPath(f.uri)) roots.push_back(*path);
    else spdlog::warn("workspace folder ignored: {}", path.error().message);
  }
  return roots;
}

void LspSession::reloadConfig() {
  LoadedConfig loaded = loadConfig(rootPaths(), options_.userConfig);
  if (!editorSettings_.is_null()) applyConfigJson(editorSettings_, "editor settings", ConfigScope::Project, loaded);
  for (const auto& d : loaded.diagnostics) spdlog::warn("config: {}", d.format());
  if (options_.controlsLogLevel) {
    if (auto ok = setLogLevel(loaded.config.log.level); !ok) spdlog::warn("{}", ok.error().message);
  }
  config_ = std::move(loaded);
  // Roots or settings changed: the next tool call gets a Gate built for them,
  // the next task a router.
  resetSecurityContext();
  router_.reset();
}

void LspSession::showMessage(lsp::MessageType type, const std::string& message) {
  dispatcher_.notify("window/showMessage", {{"type", static_cast<int>(type)}, {"message", message}});
}

void LspSession::logMessage(lsp::MessageType type, const std::string& message) {
  dispatcher_.notify("window/logMessage", {{"type", static_cast<int>(type)}, {"message", message}});
}

}  // namespace cadre::core
