// What the `hooks` config section holds, as plain data: core reads it from
// the config files (user hooks pre-approved, a project's asked before they
// run) and the agent runs it (hooks.hpp).
#pragma once

#include <string>
#include <vector>

namespace cadre::agent {

struct HookCommand {
  std::string event;               // taskStart | taskEnd | preTool | postTool
  std::string command;             // a bash command line
  std::vector<std::string> tools;  // preTool/postTool: only calls of these tools; empty: every call
  bool fromProject = false;        // a project's hook: asked before it runs (the user's own are pre-approved)
  std::string source;              // the config file it came from, for messages
};

struct HookSettings {
  std::vector<HookCommand> commands;
  int timeoutSeconds = 30;  // per hook run; a project may only lower it
};

// taskStart, taskEnd, preTool, postTool.
const std::vector<std::string>& hookEvents();

}  // namespace cadre::agent
