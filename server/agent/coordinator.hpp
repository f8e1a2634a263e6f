// The coordinator: when the planner splits the work between kinds of
// workers (implementation, tests, docs), one worker per kind runs its steps
// at the same time as the others, each with its own conversation, on the
// task's one shadow workspace. File claims (claims.hpp) keep them apart; the
// diff of all of them is then checked and reviewed together (task.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cadre::agent {

struct WorkerAssignment {
  std::string name;                // the worker kind: implementation, tests, docs, …
  nlohmann::json steps;            // its steps, in plan order
  std::vector<std::string> files;  // its steps' files, claimed for it up front
};

// The workers a plan asks for: its steps grouped by their "worker" (steps
// without one belong to "implementation"). Empty when fewer than two kinds
// appear — then the executor works the plan alone. Beyond `maxWorkers`
// kinds, the extra kinds' steps go to the first worker.
std::vector<WorkerAssignment> assignWorkers(const nlohmann::json& plan, int maxWorkers);

}  // namespace cadre::agent
