// See task_resources.hpp.
#include "server/core/task_resources.hpp"

#include "server/mcp/tool_bridge.hpp"

namespace cadre::core {

TaskResources::TaskResources(const Config& config, SecurityContext& security, std::function<void(const agent::TaskEvent&)> emit)
    : registry_(security.tools), testCommand_(config.tests.command) {
  processes_ = std::make_shared<agent::ProcessTable>([emit](const nlohmann::json& data) {
    if (emit) emit({"process_output", data});
  });
  if (config.mcpServers.empty()) return;
  mcp::ManagerOptions options;
  options.localOnly = config.security.localOnly;
  options.client.clientVersion = CADRE_VERSION;
  mcp_ = std::make_shared<mcp::Manager>(config.mcpServers, *security.gate, options);
  mcp_->startAll();
  mcp::registerTools(registry_, mcp_);
}

TaskResources::~TaskResources() {
  processes_->stopAll();
  if (mcp_) mcp_->stopAll();
}

void TaskResources::attach(agent::ToolContext& context, agent::IndexSource index) const {
  context.processes = processes_;
  context.testCommand = testCommand_;
  context.index = std::move(index);
}

std::vector<std::string> TaskResources::problems() const {
  std::vector<std::string> out;
  if (!mcp_) return out;
  for (const auto& s : mcp_->status())
    if (s.state == mcp::ServerState::Failed) out.push_back("MCP server '" + s.name + "' did not start: " + s.error);
  return out;
}

}  // namespace cadre::core
