// A project on disk with a Gate over it, for the agent tool tests: the
// person at the approval prompt answers from a script (allow by default)
// and every audit entry is kept for the test to read.
#pragma once

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "server/agent/tools.hpp"

namespace cadre::agent::testing {

class ScriptedPerson : public security::Approver {
 public:
  std::deque<security::ApprovalChoice> answers;  // empty: allow once
  std::vector<security::ApprovalRequest> asked;
  Expected<security::ApprovalAnswer> ask(const security::ApprovalRequest& r, const std::atomic<bool>*) override {
    asked.push_back(r);
    auto c = security::ApprovalChoice::AllowOnce;
    if (!answers.empty()) {
      c = answers.front();
      answers.pop_front();
    }
    return security::ApprovalAnswer{c, ""};
  }
};

struct ToolWorld {
  std::filesystem::path dir;
  std::shared_ptr<ScriptedPerson> person = std::make_shared<ScriptedPerson>();
  std::vector<std::pair<std::string, nlohmann::json>> audit;
  std::unique_ptr<security::Gate> gate;
  ToolRegistry tools = builtinTools();

  explicit ToolWorld(std::vector<std::string> deny = {}) {
    char tmpl[] = "/tmp/cadre-agent-tools-XXXXXX";
    dir = std::filesystem::canonical(::mkdtemp(tmpl));
    auto policy = std::make_shared<security::PathPolicy>(security::PathPolicyConfig{{dir}, deny, dir / "nohome"});
    gate = std::make_unique<security::Gate>(security::GateConfig{}, policy, std::make_shared<security::ApprovalStore>(), person,
                                            [this](std::string_view k, nlohmann::json f) { audit.emplace_back(k, std::move(f)); });
  }
  ~ToolWorld() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel, std::ios::binary) << text;
  }
  ToolContext context() { return ToolContext{*gate, security::Actor{"test-model", "executor"}, nullptr, {}}; }
};

}  // namespace cadre::agent::testing
