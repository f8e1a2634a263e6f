// Command-line plumbing shared by the subcommands: a cursor over argv and the
// usage-error convention (message + usage on stderr, exit 2).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace cadre::cli {

struct Args {
  std::vector<std::string> items;
  std::size_t pos = 0;
  bool done() const { return pos >= items.size(); }
  const std::string& peek() const { return items[pos]; }
  std::string take() { return items[pos++]; }
  std::optional<std::string> value() {
    if (done()) return std::nullopt;
    return take();
  }
};

inline int usageError(const std::string& message, const char* usage) {
  std::fprintf(stderr, "cadre: %s\n\n%s", message.c_str(), usage);
  return 2;
}

int runServe(Args& args);
int runIndex(Args& args);
int runMap(Args& args);
int runCheck(Args& args);
int runTools(Args& args);
int runAudit(Args& args);
int runCheckpoints(Args& args);
int runModels(Args& args);
int runModelsBench(Args& args);  // cmd_models_bench.cpp, reached through `models bench`
int runEval(Args& args);
int runRun(Args& args);
int runMcp(Args& args);

}  // namespace cadre::cli
