// The checks of an eval task: assertions on the sequence of tool calls a
// model made and on the final state of the files, written as data in
// task.json (docs/eval.md lists every kind). Pure functions of an Episode,
// so they are tested without a model.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/eval/episode.hpp"
#include "support/expected.hpp"

namespace cadre::eval {

struct CheckResult {
  bool passed = true;
  std::string kind;
  std::string message;  // why it failed (the check's "why" when it has one); empty when it passed
};

// A check that would never run right (unknown kind, missing field, a bad
// regex) is an error naming the check, found when the suite loads.
Expected<void> validateCheck(const nlohmann::json& check);

CheckResult runCheck(const nlohmann::json& check, const Episode& episode);

// Every check of a task plus the implicit one: the model answered at all
// (a request that failed fails the run, whatever the checks say).
std::vector<CheckResult> runChecks(const nlohmann::json& checks, const Episode& episode);

}  // namespace cadre::eval
