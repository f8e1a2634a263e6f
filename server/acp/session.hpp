// One ACP session: a project root and what a task there needs, built once at
// session/new and kept while the connection lasts. Shared between the
// connection's strand (session/cancel) and the session's worker thread (the
// running prompt turn); `mu` guards the fields marked so.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/core/config.hpp"
#include "server/core/project.hpp"
#include "server/core/security_context.hpp"
#include "server/mcp/manager.hpp"
#include "server/models/router.hpp"
#include "server/workspace/lint.hpp"

namespace cadre::acp {

struct Session {
  std::string id;
  std::filesystem::path root;  // canonical cwd
  core::Config config;
  std::shared_ptr<core::SecurityContext> security;
  std::shared_ptr<models::Router> router;
  std::shared_ptr<core::Project> project;  // indexed in the background from session/new on
  std::vector<workspace::LinterSpec> linters;
  std::shared_ptr<mcp::Manager> mcp;       // the client's MCP servers, when it gave any
  bool mcpStarted = false;                 // worker thread only
  int turns = 0;                           // worker thread only
  std::string history;                     // earlier turns, summarized for the next task (worker thread only)

  std::mutex mu;
  std::shared_ptr<std::atomic<bool>> cancel;  // mu: set while a prompt runs
  std::thread worker;                         // mu: the last prompt's thread
  std::string approvalCall;                   // mu: the tool call an approval asked now is about
  nlohmann::json approvalContent;             // mu: what the client should see for an edit approval (diffs)
};

}  // namespace cadre::acp
