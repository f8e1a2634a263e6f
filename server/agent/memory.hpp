// Project memory (.cadre/MEMORY.md): what the project decided, read into
// every task and grown by the decisions a task proposes — the propose_memory
// tool, or a "decisions" list in the planner's or reviewer's JSON. Proposals
// are only proposals: the Gate appends them once the user approves
// (Gate::appendProjectMemory). This file holds the shaping, not the writing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cadre::agent {

// Decisions as a model wrote them: a string, or an object with "decision"
// (and optionally "why"), or a list of those. Blank and over-long entries
// are dropped; each is one line.
std::vector<std::string> decisionsFrom(const nlohmann::json& value);

// The block a task appends to MEMORY.md: a heading with the date and task,
// then one bullet per decision.
std::string memoryEntry(const std::string& task, const std::string& prompt, const std::vector<std::string>& decisions,
                        const std::string& date);

}  // namespace cadre::agent
