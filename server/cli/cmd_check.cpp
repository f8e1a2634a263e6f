// `cadre check [DIR]`: import/type consistency diagnostics across the project;
// exit 1 when there are errors.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "server/analysis/check.hpp"
#include "server/cli/args.hpp"
#include "server/cli/index_loader.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kCheckUsage = R"(Usage: cadre check [DIR] [--json]

Checks that the project's files agree with each other: every import of a
project module resolves to a file, and every imported name is defined or
exported there. Imports of things outside the project (standard library,
third-party packages) are never errors. Prints file:line:col diagnostics and
exits 1 when there are errors, 0 when there are none.

Options:
  --json   diagnostics as JSON
)";

}  // namespace

int runCheck(Args& args) {
  std::string dir = ".";
  bool json = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kCheckUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for check: " + a, kCheckUsage);
    } else {
      dir = a;
    }
  }
  auto index = loadIndex(dir);
  if (!index) {
    std::fprintf(stderr, "cadre check: %s\n", index.error().message.c_str());
    return 2;
  }
  const KeepIndexUntilExit keep(index);
  const auto diagnostics = analysis::checkProject(*index);
  std::size_t errors = 0;
  for (const auto& d : diagnostics) errors += d.severity == analysis::Diagnostic::Severity::Error;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : diagnostics) {
      nlohmann::json related = nlohmann::json::array();
      for (const auto& r : d.related) related.push_back({{"path", r.path}, {"line", r.span.start.row + 1}, {"message", r.message}});
      out.push_back({{"path", d.path},
                     {"line", d.span.start.row + 1},
                     {"column", d.span.start.column + 1},
                     {"endLine", d.span.end.row + 1},
                     {"endColumn", d.span.end.column + 1},
                     {"severity", d.severity == analysis::Diagnostic::Severity::Error ? "error" : "warning"},
                     {"code", d.code},
                     {"message", d.message},
                     {"related", related}});
    }
    std::puts(out.dump(2).c_str());
  } else {
    for (const auto& d : diagnostics) {
      std::printf("%s:%u:%u: %s: %s [%s]\n", d.path.c_str(), d.span.start.row + 1, d.span.start.column + 1,
                  d.severity == analysis::Diagnostic::Severity::Error ? "error" : "warning", d.message.c_str(), d.code.c_str());
      for (const auto& r : d.related) std::printf("%s:%u:%u: note: %s\n", r.path.c_str(), r.span.start.row + 1, r.span.start.column + 1, r.message.c_str());
    }
    std::printf("%zu files checked: %zu error%s\n", index->files().size(), errors, errors == 1 ? "" : "s");
  }
  return errors ? 1 : 0;
}

}  // namespace cadre::cli
