// What an agent task gets besides the built-in tools, the same for editor
// tasks (cadre/task.start) and `cadre run`: its own table of long-running
// processes, whose output streams to the client as process_output events;
// the configured MCP servers, started for the task, their tools offered in
// the task's registry (through the same dispatcher and Gate); the project's
// test command for run_tests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/agent/processes.hpp"
#include "server/agent/task.hpp"
#include "server/core/config.hpp"
#include "server/core/security_context.hpp"
#include "server/mcp/manager.hpp"

namespace cadre::core {

class TaskResources {
 public:
  // Starts the configured MCP servers (each within its startup timeout);
  // one that fails is reported by problems() and its tools are missing.
  // `security` must outlive this object.
  TaskResources(const Config& config, SecurityContext& security, std::function<void(const agent::TaskEvent&)> emit);
  // Kills the task's processes and stops the MCP servers, before the
  // security context (their Gate) can go.
  ~TaskResources();
  TaskResources(const TaskResources&) = delete;
  TaskResources& operator=(const TaskResources&) = delete;

  const agent::ToolRegistry& registry() const { return registry_; }
  // The task's context gets the process table, the test command and the index.
  void attach(agent::ToolContext& context, agent::IndexSource index) const;
  std::vector<std::string> problems() const;

 private:
  std::shared_ptr<mcp::Manager> mcp_;
  std::shared_ptr<agent::ProcessTable> processes_;
  agent::ToolRegistry registry_;
  std::string testCommand_;
};

}  // namespace cadre::core
