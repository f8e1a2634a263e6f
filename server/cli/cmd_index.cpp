// `cadre index [DIR]`: builds or refreshes the project index (cached under the
// state directory) with a progress bar, then prints what it holds.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "server/analysis/project_index.hpp"
#include "server/cli/args.hpp"
#include "server/cli/index_loader.hpp"

namespace cadre::cli {
namespace {

constexpr const char* kIndexUsage = R"(Usage: cadre index [DIR] [--json] [--no-cache]

Builds or refreshes the project index of DIR (default: the current
directory): every file with a grammar, minus .gitignored, huge, binary and
generated files. The index is cached under $XDG_STATE_HOME/cadre/, so a
second run on an unchanged project parses nothing.

Options:
  --json       print the counts as JSON
  --no-cache   neither read nor write the cache
)";

std::string thousands(std::size_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

int runIndex(Args& args) {
  std::string dir = ".";
  bool json = false, noCache = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kIndexUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--no-cache") {
      noCache = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for index: " + a, kIndexUsage);
    } else {
      dir = a;
    }
  }
  auto index = loadIndex(dir, !noCache);
  if (!index) {
    std::fprintf(stderr, "cadre index: %s\n", index.error().message.c_str());
    return 1;
  }
  struct Counts {
    std::size_t files = 0, definitions = 0, references = 0, imports = 0, errors = 0;
  };
  std::map<std::string, Counts> byLanguage;
  Counts total;
  for (const auto& f : index->files()) {
    if (!f.skipReason.empty()) continue;
    Counts& c = byLanguage[f.language];
    for (Counts* t : {&c, &total}) {
      t->files += 1;
      const auto n = f.counts();  // counted, not decoded
      t->definitions += n.definitions;
      t->references += n.references;
      t->imports += n.imports;
      t->errors += n.syntaxErrors > 0 ? 1 : 0;
    }
  }
  const auto& stats = index->stats();
  const KeepIndexUntilExit keep(index);
  if (json) {
    nlohmann::json out = {{"root", index->root().string()},
                          {"seconds", stats.seconds},
                          {"parsed", stats.parsed},
                          {"fromCache", stats.fromCache},
                          {"skipped", index->skipped().size()},
                          {"truncated", index->truncated()}};
    for (const auto& [lang, c] : byLanguage) {
      out["languages"][lang] = {{"files", c.files}, {"definitions", c.definitions}, {"references", c.references},
                                {"imports", c.imports}, {"filesWithSyntaxErrors", c.errors}};
    }
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %s files indexed in %.2f s (%s parsed, %s from cache, %s skipped)\n", index->root().c_str(), thousands(total.files).c_str(),
              stats.seconds, thousands(stats.parsed).c_str(), thousands(stats.fromCache).c_str(),
              thousands(index->skipped().size()).c_str());
  std::printf("\n  %-12s %9s %12s %12s %9s %14s\n", "language", "files", "definitions", "references", "imports", "syntax errors");
  for (const auto& [lang, c] : byLanguage) {
    std::printf("  %-12s %9s %12s %12s %9s %14s\n", lang.c_str(), thousands(c.files).c_str(), thousands(c.definitions).c_str(),
                thousands(c.references).c_str(), thousands(c.imports).c_str(), thousands(c.errors).c_str());
  }
  std::printf("  %-12s %9s %12s %12s %9s %14s\n", "total", thousands(total.files).c_str(), thousands(total.definitions).c_str(),
              thousands(total.references).c_str(), thousands(total.imports).c_str(), thousands(total.errors).c_str());
  if (index->truncated()) std::printf("\nStopped at the file limit; index a smaller directory.\n");
  return 0;
}

}  // namespace cadre::cli
