// The Gate's two ways for outside programs (MCP servers): approveExternal
// (a tool call cadre cannot see inside, asked like a command) and
// startProcess (a long-lived sandboxed process). Real bwrap, a scripted person.
#include <poll.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "server/security/gate.hpp"
#include "tests/support/catch.hpp"

namespace fs = std::filesystem;
using namespace cadre;
using namespace cadre::security;

namespace {

class ScriptedApprover : public Approver {
 public:
  std::deque<ApprovalChoice> answers;
  std::vector<ApprovalRequest> asked;
  Expected<ApprovalAnswer> ask(const ApprovalRequest& r, const std::atomic<bool>*) override {
    asked.push_back(r);
    if (answers.empty()) return ApprovalAnswer{ApprovalChoice::Deny, "no scripted answer"};
    auto c = answers.front();
    answers.pop_front();
    return ApprovalAnswer{c, ""};
  }
};

struct World {
  fs::path dir, project, state;
  std::shared_ptr<ScriptedApprover> person = std::make_shared<ScriptedApprover>();
  std::vector<std::pair<std::string, nlohmann::json>> audit;
  std::shared_ptr<ApprovalStore> store;
  std::unique_ptr<Gate> gate;
  Actor model{"m", "executor"};

  explicit World(GateConfig config = {}) {
    char tmpl[] = "/tmp/cadre-gate-ext-XXXXXX";
    dir = fs::canonical(::mkdtemp(tmpl));
    project = dir / "project";
    state = dir / "state";
    fs::create_directories(project);
    fs::create_directories(state);
    std::ofstream(project / "app.py") << "print(1)\n";
    std::ofstream(project / ".env") << "API_KEY=sk-secret-1234567890\n";
    store = std::make_shared<ApprovalStore>(*ApprovalStore::load(state / "approvals.json"));
    auto policy = std::make_shared<PathPolicy>(PathPolicyConfig{{project}, {}, dir / "home"});
    gate = std::make_unique<Gate>(config, policy, store, person,
                                  [this](std::string_view kind, nlohmann::json f) { audit.emplace_back(kind, std::move(f)); });
  }
  ~World() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  bool audited(std::string_view kind, std::string_view needle = {}) const {
    for (auto& [k, f] : audit)
      if (k == kind && (needle.empty() || f.dump().find(needle) != std::string::npos)) return true;
    return false;
  }
};

ExternalAction writeCall() {
  ExternalAction a;
  a.display = "mcp fs__write_file {\"path\":\"a.txt\"}";
  a.rule = "mcp-tool:fs__write_file";
  a.ruleLabel = "every call of the MCP tool fs__write_file";
  a.why = "MCP tool";
  return a;
}

std::string readAll(int fd, int ms) {
  std::string got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST_CASE("external actions are asked like commands; a denial is refused and audited", "[gate][external]") {
  World w;
  w.person->answers = {ApprovalChoice::Deny};
  auto r = w.gate->approveExternal(w.model, writeCall());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Unauthorized);
  REQUIRE(w.person->asked.size() == 1);
  CHECK(w.person->asked[0].kind == ApprovalKind::Command);
  CHECK(w.person->asked[0].command == writeCall().display);
  CHECK(w.person->asked[0].alwaysRules == std::vector<std::string>{"every call of the MCP tool fs__write_file"});
  CHECK(w.audited("policy_denied", "fs__write_file"));
}

TEST_CASE("allow always remembers the exact rule, across stores", "[gate][external]") {
  World w;
  w.person->answers = {ApprovalChoice::AllowAlways};
  REQUIRE(w.gate->approveExternal(w.model, writeCall()));
  REQUIRE(w.gate->approveExternal(w.model, writeCall()));
  CHECK(w.person->asked.size() == 1);
  CHECK(w.audited("approval", "allowed by rule"));
  auto reloaded = ApprovalStore::load(w.state / "approvals.json");
  REQUIRE(reloaded);
  CHECK(reloaded->hasExternalRule("mcp-tool:fs__write_file"));
  CHECK_FALSE(reloaded->hasExternalRule("mcp-tool:fs__delete_file"));
  // Another tool is asked again.
  auto other = writeCall();
  other.rule = "mcp-tool:fs__delete_file";
  REQUIRE_FALSE(w.gate->approveExternal(w.model, other));
  CHECK(w.person->asked.size() == 2);
}

TEST_CASE("pre-approved actions are not asked; read-only mode refuses them all", "[gate][external]") {
  World w;
  auto a = writeCall();
  a.preApproved = true;
  REQUIRE(w.gate->approveExternal(w.model, a));
  CHECK(w.person->asked.empty());
  CHECK(w.audited("approval", "allow-listed"));
  GateConfig ro;
  ro.mode = ApprovalMode::ReadOnly;
  World r(ro);
  CHECK(r.gate->approveExternal(r.model, a).error().code == ErrorCode::Unauthorized);
}

TEST_CASE("a started process sees the workspace read-only and its secrets masked", "[gate][external]") {
  World w;
  ProcessRequest req;
  req.argv = {"bash", "-c", "cat app.py; cat .env | wc -c; touch new.txt 2>/dev/null || echo read-only; echo done"};
  req.why = "test";
  auto p = w.gate->startProcess(w.model, req);
  REQUIRE(p);
  std::string out = readAll((*p)->stdoutFd(), 5000);
  CHECK(out == "print(1)\n0\nread-only\ndone\n");
  CHECK_FALSE(fs::exists(w.project / "new.txt"));
  CHECK(w.audited("command", "\"longLived\":true"));
}

TEST_CASE("a process whose arguments name a deny-listed file is refused", "[gate][external]") {
  World w;
  ProcessRequest req;
  req.argv = {"cat", ".env"};
  auto p = w.gate->startProcess(w.model, req);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == ErrorCode::Unauthorized);
  CHECK(w.audited("policy_denied", ".env"));
}
