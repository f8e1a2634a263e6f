// A project, a Gate over it with real bwrap, a scripted person answering
// approvals and an audit trail in memory: what every MCP test runs against.
#pragma once

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "server/mcp/manager.hpp"
#include "tests/support/catch.hpp"

namespace cadre::mcp::testing {

namespace fs = std::filesystem;

inline fs::path sourceDir() { return fs::path(CADRE_SOURCE_DIR); }
inline fs::path fixtureDir() { return sourceDir() / "tests/fixtures/mcp"; }
inline fs::path nodeModules() { return sourceDir() / "tests/e2e/node_modules"; }

// A person who answers from a script and remembers what they were asked.
class ScriptedApprover : public security::Approver {
 public:
  std::deque<security::ApprovalChoice> answers;
  std::vector<security::ApprovalRequest> asked;
  std::mutex mu;
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& r, const std::atomic<bool>*) override {
    std::lock_guard lock(mu);
    asked.push_back(r);
    if (answers.empty()) return security::ApprovalAnswer{security::ApprovalChoice::Deny, "no scripted answer"};
    auto c = answers.front();
    answers.pop_front();
    return security::ApprovalAnswer{c, ""};
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return asked.size();
  }
};

struct World {
  fs::path dir, project, state;
  std::shared_ptr<ScriptedApprover> person = std::make_shared<ScriptedApprover>();
  std::mutex auditMu;
  std::vector<std::pair<std::string, nlohmann::json>> audit;
  std::shared_ptr<security::ApprovalStore> store;
  std::unique_ptr<security::Gate> gate;

  explicit World(security::GateConfig config = {}) {
    char tmpl[] = "/tmp/cadre-mcp-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    project = dir / "project";
    state = dir / "state";
    fs::create_directories(project / "src");
    fs::create_directories(state);
    std::ofstream(project / "src/app.py") << "print('hello from the project')\n";
    std::ofstream(project / ".env") << "API_KEY=sk-live-secret-0123456789abcdef\n";
    std::ofstream(dir / "outside.txt") << "outside the workspace\n";
    store = std::make_shared<security::ApprovalStore>(*security::ApprovalStore::load(state / "approvals.json"));
    auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{project}, {}, dir / "home"});
    gate = std::make_unique<security::Gate>(config, policy, store, person, [this](std::string_view kind, nlohmann::json f) {
      std::lock_guard lock(auditMu);
      audit.emplace_back(kind, std::move(f));
    });
  }
  ~World() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  bool audited(std::string_view kind, std::string_view needle = {}) {
    std::lock_guard lock(auditMu);
    for (auto& [k, f] : audit)
      if (k == kind && (needle.empty() || f.dump().find(needle) != std::string::npos)) return true;
    return false;
  }

  // One of the Python servers in tests/fixtures/mcp, with short timeouts.
  static ServerConfig fixture(const std::string& name, const std::string& script, std::vector<std::string> args = {}) {
    ServerConfig c;
    c.name = name;
    c.command = (fixtureDir() / script).string();
    c.args = std::move(args);
    c.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
    c.callTimeoutMs = 2000;
    c.startupTimeoutMs = 3000;
    return c;
  }

  static ManagerOptions fast() {
    ManagerOptions o;
    o.client.restartBaseMs = 200;
    o.client.restartMaxMs = 1000;
    o.client.pingTimeoutMs = 500;
    o.watchdogTickMs = 50;
    return o;
  }

  std::shared_ptr<Manager> manager(std::vector<ServerConfig> servers, ManagerOptions options = fast()) {
    auto m = std::make_shared<Manager>(std::move(servers), *gate, options);
    m->startAll();
    return m;
  }
};

// Waits until `done()` holds, at most `ms`.
template <class F>
bool eventually(F done, int ms = 5000) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace cadre::mcp::testing
