// `cadre map [DIR] [--tokens N] [--focus FILE...]`: prints the ranked repo map.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "server/analysis/repo_map.hpp"
#include "server/cli/args.hpp"
#include "server/cli/index_loader.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kMapUsage = R"(Usage: cadre map [DIR] [--tokens N] [--focus FILE...] [--json]

Prints the project's most important definitions with their signatures,
ranked with PageRank over the reference graph, within a token budget (about
4 bytes a token). Focus files (paths relative to DIR, or absolute) pull the
ranking toward what they use; their own definitions are left out, since the
reader already has them.

Options:
  --tokens N       token budget (default 1024)
  --focus FILE...  one or more focus files (until the next option)
  --name NAME      an identifier the task mentions (repeatable)
  --json           entries as JSON
)";

}  // namespace

int runMap(Args& args) {
  std::string dir = ".";
  analysis::RepoMapOptions options;
  bool json = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kMapUsage, stdout);
      return 0;
    } else if (a == "--tokens") {
      auto v = args.value();
      if (!v || v->empty() || v->find_first_not_of("0123456789") != std::string::npos || v->size() > 9) {
        return usageError("--tokens needs a number", kMapUsage);
      }
      options.tokenBudget = std::stoul(*v);
    } else if (a == "--focus") {
      while (!args.done() && args.peek().rfind("--", 0) != 0) options.focusFiles.push_back(args.take());
    } else if (a == "--name") {
      auto v = args.value();
      if (!v) return usageError("--name needs an identifier", kMapUsage);
      options.focusNames.push_back(*v);
    } else if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for map: " + a, kMapUsage);
    } else {
      dir = a;
    }
  }
  auto index = loadIndex(dir);
  if (!index) {
    std::fprintf(stderr, "cadre map: %s\n", index.error().message.c_str());
    return 1;
  }
  const KeepIndexUntilExit keep(index);
  // Focus paths may be given relative to DIR, to the working directory, or absolute.
  for (auto& f : options.focusFiles) {
    std::error_code ec;
    auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(f), ec);
    auto rel = ec ? std::filesystem::path(f) : abs.lexically_relative(index->root());
    if (!rel.empty() && rel.native().rfind("..", 0) != 0 && index->file(rel.generic_string())) f = rel.generic_string();
    else if (!index->file(f)) std::fprintf(stderr, "cadre map: focus file not in the index: %s\n", f.c_str());
  }
  analysis::RepoMap map = analysis::buildRepoMap(*index, options);
  if (json) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : map.entries) {
      entries.push_back({{"path", e.path}, {"line", e.line}, {"signature", e.signature}, {"depth", e.depth}, {"rank", e.rank}});
    }
    std::puts(nlohmann::json{{"tokens", map.tokens}, {"entries", entries}}.dump(2).c_str());
    return 0;
  }
  std::fputs(map.text.c_str(), stdout);
  return 0;
}

}  // namespace cadre::cli
