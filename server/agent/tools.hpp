// The tools a model (or an outside agent, through cadre/tools.call or MCP)
// can call, and the one dispatcher that runs them. Each tool declares what it
// needs (security::ToolNeeds); ToolRegistry::call checks that declaration
// with the Gate before the tool runs and audits the call, so no tool can
// forget its check — and every tool does its file and process work through
// the Gate, never directly.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/security/gate.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"
#include "support/expected.hpp"

namespace cadre::agent {

struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json inputSchema;  // JSON Schema of the arguments (MCP's inputSchema)
  security::ToolNeeds needs;
};

struct ToolContext {
  security::Gate& gate;
  security::Actor actor;
  const std::atomic<bool>* cancel = nullptr;
  // Where commands may write besides the sandbox's /tmp (scratch dirs).
  std::vector<std::string> writablePaths = {};
  // The task's shadow workspace: edit tools write there, read tools read
  // through it, commands run in its materialized copy (under `shadowDir`).
  // Null: the edit tools refuse (there is nowhere safe to put an edit).
  workspace::ShadowWorkspace* shadow = nullptr;
  std::filesystem::path shadowDir = {};
  // The project's linters (detected and configured), for lint_changes.
  std::vector<workspace::LinterSpec> linters = {};
  // cadre's own consistency checks (imports that no longer resolve, names
  // that no longer exist) on the changed files, as a delta like the linters';
  // supplied by whoever holds the project index. Empty: skipped.
  std::function<std::vector<workspace::LintDiagnostic>(const workspace::ShadowWorkspace&)> consistency = {};
};

struct ToolOutput {
  std::string text;          // what the model reads
  nlohmann::json data;       // the same, structured, for clients
  bool isError = false;      // the tool ran and failed (exit code ≠ 0 …): for the model, not a protocol error
};

using ToolFn = std::function<Expected<ToolOutput>(const nlohmann::json& args, ToolContext& ctx)>;

class ToolRegistry {
 public:
  void add(ToolSpec spec, ToolFn fn);
  const std::vector<ToolSpec>& specs() const { return specs_; }
  const ToolSpec* find(std::string_view name) const;
  // The named tools only (in this registry's order): a narrower face, such
  // as `cadre mcp serve`'s read-only set.
  ToolRegistry only(const std::vector<std::string>& names) const;

  // Unknown tool → MethodNotFound; arguments not an object or missing a
  // required field → InvalidParams; the Gate's refusal → Unauthorized.
  // Every call that names a known tool is audited (tool_call), refused or not.
  Expected<ToolOutput> call(std::string_view name, const nlohmann::json& args, ToolContext& ctx) const;

 private:
  std::vector<ToolSpec> specs_;
  std::vector<ToolFn> fns_;
};

// read_file, list_files, search_files, run_command, the shadow edit tools
// write_file, edit_file, delete_file, rename_file, and lint_changes.
ToolRegistry builtinTools();

}  // namespace cadre::agent
