// See manager.hpp. Every way a server comes to exist is here: the sandboxed
// process (Gate::startProcess), the HTTP endpoint (security::checkEgress),
// and the user's approval for servers a project's config defines.
#include "server/mcp/manager.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>

#include "server/security/egress.hpp"

namespace cadre::mcp {
namespace fs = std::filesystem;

namespace {

// Programs in these directories are visible in the sandbox anyway.
bool inSystemDir(const fs::path& p) {
  for (const char* d : {"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/", "/opt/", "/nix/store/"})
    if (p.string().rfind(d, 0) == 0) return true;
  return false;
}

// What an "allow always" for a project's server covers: exactly this
// command, arguments, environment and endpoint. A changed file asks again.
std::string fingerprint(const ServerConfig& c) {
  std::string s = c.name + "\n" + c.command + "\n" + c.cwd + "\n" + c.url + "\n";
  for (const auto& a : c.args) s += a + "\n";
  for (const auto& [k, v] : c.env) s += k + "=" + v + "\n";
  for (const auto& [k, v] : c.headers) s += k + ":" + v + "\n";
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

Manager::Manager(std::vector<ServerConfig> servers, security::Gate& gate, ManagerOptions options)
    : gate_(gate), options_(std::move(options)) {
  for (auto& config : servers) {
    auto client = std::make_shared<Client>(
        std::move(config), [this](const ServerConfig& c) { return makeTransport(c); }, options_.client);
    client->setWakeup([this] { wake(); });
    clients_.push_back(std::move(client));
  }
}

Manager::~Manager() { stopAll(); }

void Manager::wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

void Manager::startAll() {
  std::vector<std::thread> starting;
  for (auto& c : clients_) {
    if (c->config().disabled) continue;
    starting.emplace_back([c] {
      if (auto ok = c->start(); !ok) spdlog::warn("{}", ok.error().message);
    });
  }
  for (auto& t : starting) t.join();
  std::lock_guard lock(mu_);
  if (!watchdog_.joinable() && !stopping_) watchdog_ = std::thread([this] { watchdog(); });
}

void Manager::stopAll() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (watchdog_.joinable()) watchdog_.join();
  for (auto& c : clients_) c->stop();
}

void Manager::watchdog() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.watchdogTickMs), [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    for (auto& c : clients_) c->maintain();
    lock.lock();
  }
}

std::vector<ServerStatus> Manager::status() const {
  std::vector<ServerStatus> out;
  for (const auto& c : clients_) out.push_back(c->status());
  return out;
}

std::shared_ptr<Client> Manager::client(std::string_view server) const {
  for (const auto& c : clients_)
    if (c->config().name == server) return c;
  return nullptr;
}

std::optional<Manager::ToolRef> Manager::resolve(std::string_view qualified) const {
  for (const auto& c : clients_) {
    ServerStatus s = c->status();
    for (const auto& t : s.tools)
      if (qualifiedToolName(s.name, t.name) == qualified) return ToolRef{c, t.name};
    for (const auto& t : s.lostTools)
      if (qualifiedToolName(s.name, t) == qualified) return ToolRef{c, t};
  }
  return std::nullopt;
}

std::uint64_t Manager::generation() const {
  std::uint64_t g = 0;
  for (const auto& c : clients_) g += c->toolsGeneration();
  return g;
}

Expected<void> Manager::approveProjectServer(const ServerConfig& config, const std::string& what) {
  {
    std::lock_guard lock(mu_);
    if (approved_.count(config.name)) return {};
  }
  security::ExternalAction action;
  action.display = what;
  action.rule = "mcp-server:" + config.name + ":" + fingerprint(config);
  action.ruleLabel = "starting the MCP server '" + config.name + "' with exactly this configuration";
  action.why = "the project's config (" + config.source + ") defines this MCP server; a cloned repository could name any program";
  action.sandboxed = true;
  action.network = config.transport == TransportKind::Http;
  if (auto ok = gate_.approveExternal(security::Actor{}, action); !ok)
    return makeError(ok.error().code, "MCP server '" + config.name + "' (from " + config.source + ") was not started: " + ok.error().message);
  std::lock_guard lock(mu_);
  approved_.insert(config.name);
  return {};
}

Expected<std::unique_ptr<Transport>> Manager::makeTransport(const ServerConfig& config) {
  auto expand = [&](const std::string& value) -> Expected<std::string> {
    // A project's file may not read the user's environment (keys live there).
    if (config.fromProject && referencesVariables(value))
      return makeError(ErrorCode::Unauthorized, "MCP server '" + config.name + "': a project's config may not use ${VAR}; define the server in your user config");
    auto v = expandVariables(value, options_.env);
    if (!v) return makeError(ErrorCode::Config, "MCP server '" + config.name + "': " + v.error().message);
    return v;
  };

  if (config.transport == TransportKind::Http) {
    auto endpoint = security::parseEndpoint(config.url);
    if (!endpoint || (endpoint->scheme != "http" && endpoint->scheme != "https"))
      return makeError(ErrorCode::Config, "MCP server '" + config.name + "': url must be an http:// or https:// URL");
    if (auto ok = security::checkEgress(config.url, config.local && !config.fromProject, options_.localOnly); !ok)
      return makeError(ok.error().code, "MCP server '" + config.name + "': " + ok.error().message);
    if (config.fromProject) {
      if (auto ok = approveProjectServer(config, "connect to the MCP server '" + config.name + "' at " + config.url); !ok) return ok.error();
    }
    HttpOptions http;
    http.url = config.url;
    for (const auto& [k, v] : config.headers) {
      auto value = expand(v);
      if (!value) return value.error();
      http.headers.emplace_back(k, *value);
    }
    return makeHttpTransport(config.name, std::move(http));
  }

  if (config.command.empty()) return makeError(ErrorCode::Config, "MCP server '" + config.name + "' has neither a command nor a url");
  security::ProcessRequest request;
  request.argv.push_back(config.command);
  request.argv.insert(request.argv.end(), config.args.begin(), config.args.end());
  request.cwd = config.cwd;
  for (const auto& [k, v] : config.env) {
    auto value = expand(v);
    if (!value) return value.error();
    request.env.emplace_back(k, *value);
  }
  request.readOnlyPaths = config.paths;
  // A program named by its path lives somewhere the sandbox must show.
  if (fs::path cmd(config.command); cmd.is_absolute()) {
    std::error_code ec;
    fs::path real = fs::canonical(cmd, ec);
    if (!ec && !inSystemDir(real)) request.readOnlyPaths.push_back(real.parent_path().string());
  }
  request.writableRoots = config.writable && !config.fromProject;
  request.network = config.network && !config.fromProject;
  request.unsandboxed = !config.sandbox && !config.fromProject;
  request.why = "MCP server '" + config.name + "'";
  if (config.fromProject) {
    std::string line = config.command;
    for (const auto& a : config.args) line += " " + a;
    if (auto ok = approveProjectServer(config, "start the MCP server '" + config.name + "': " + line); !ok) return ok.error();
  }
  security::Gate* gate = &gate_;
  return makeStdioTransport(
      config.name, [gate, request] { return gate->startProcess(security::Actor{}, request); }, options_.stdio);
}

}  // namespace cadre::mcp
