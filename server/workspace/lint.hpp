// Linters: which ones a project has (configured in .cadre/config.json or
// found on PATH), how to read what they print, and the delta that matters
// to an agent — the problems a change introduced, not the ones the project
// already had. Running them (sandboxed, in the materialized shadow) is
// lint_runner.hpp's job.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace {

enum class LintFormat {
  Gcc,         // path:line:col: severity: message [code]  (gcc, clang, shellcheck -f gcc, pyflakes, go vet)
  Tsc,         // path(line,col): error TS1234: message
  EslintJson,  // eslint -f json
  RuffJson,    // ruff check --output-format json
  Regex,       // a configured pattern with named groups (?P<path>…)(?P<line>…)(?P<col>…)(?P<message>…)
};
const char* toString(LintFormat);

struct LinterSpec {
  std::string name = {};
  // argv; "{files}" expands to the changed files it applies to, "{file}"
  // runs it once per file; neither: run once for the whole project.
  std::vector<std::string> command = {};
  std::vector<std::string> globs = {};  // which changed files wake it ("*.py")
  LintFormat format = LintFormat::Gcc;
  std::string regex = {};          // LintFormat::Regex
  int timeoutSeconds = 60;
  bool configured = false;         // from a config file (asks for approval) rather than detected
};

struct LintDiagnostic {
  std::string path;  // relative to the root, '/' separators
  int line = 0, column = 0;
  std::string severity;  // error, warning, info
  std::string code;
  std::string message;
  std::string source;  // the linter's name
  bool operator==(const LintDiagnostic&) const = default;
};

std::vector<LintDiagnostic> parseLintOutput(const LinterSpec& linter, std::string_view output);

// Linters for the files under `root`, found on PATH (`which` returns a
// program's path or ""): pyflakes or ruff, tsc (with a tsconfig.json),
// eslint (with an eslint config), gcc -fsyntax-only for C/C++, shellcheck.
std::vector<LinterSpec> detectLinters(const std::filesystem::path& root,
                                      const std::function<std::string(std::string_view)>& which);
std::string whichOnPath(std::string_view program);

// One entry of .cadre/config.json's "linters" array.
Expected<LinterSpec> linterFromJson(const nlohmann::json& j);

bool lintGlobMatch(const LinterSpec& linter, std::string_view relPath);

// The problems of `after` that `before` did not have. Matched by file, code
// and message, not line: an edit above a warning moves it without making it
// new.
std::vector<LintDiagnostic> lintDelta(const std::vector<LintDiagnostic>& before, const std::vector<LintDiagnostic>& after);

}  // namespace cadre::workspace
