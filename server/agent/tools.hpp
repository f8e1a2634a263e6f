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

#include "server/analysis/project_index.hpp"
#include "server/security/gate.hpp"
#include "server/workspace/lint.hpp"
#include "server/workspace/shadow.hpp"
#include "support/expected.hpp"

namespace cadre::agent {

class ProcessTable;  // processes.hpp

// The project index, built (or waited for) on demand; cancellable.
using IndexSource = std::function<Expected<std::shared_ptr<const analysis::ProjectIndex>>(const std::atomic<bool>* cancel)>;

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
  // Non-empty: the edit tools may write these files only (canonical paths) —
  // a task the user restricted to some files (cadre.applyInstruction). The
  // backend enforces it; the model is told, not trusted.
  std::vector<std::filesystem::path> editOnly = {};
  // The project index for find_symbol, references and repo_map (which still
  // show only what the Gate lets this actor see). Empty: those tools say so.
  IndexSource index = {};
  // The task's long-running processes (start_process …); null: those tools
  // refuse. Shared by every copy of the context; the task owns it and its
  // end kills them all.
  std::shared_ptr<ProcessTable> processes = {};
  // The test command from config (tests.command); empty: run_tests detects one.
  std::string testCommand = {};
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
  // Another name `name` answers to (not listed in specs()).
  void addAlias(std::string alias, std::string name);
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
  std::string_view resolve(std::string_view name) const;

  std::vector<ToolSpec> specs_;
  std::vector<ToolFn> fns_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

// read_file, list_files, search_files, run_command, the shadow edit tools
// write_file, edit_file, delete_file, rename_file, check (alias
// lint_changes), and the ones below.
ToolRegistry builtinTools();

// find_symbol, references, repo_map over ToolContext::index (tools_analysis.cpp).
void addAnalysisTools(ToolRegistry& registry);
// run_tests (tools_tests.cpp).
void addTestTools(ToolRegistry& registry);
// start_process, read_output, send_input, stop_process (tools_process.cpp).
void addProcessTools(ToolRegistry& registry);

}  // namespace cadre::agent
