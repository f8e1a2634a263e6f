// The tree arena the cold index parses in: the symbols it gives are those of
// a stock parse, for every fixture and for samples of the real corpora, with
// one arena reused from file to file as the indexer does; its blocks behave
// as malloc's do; and once a run ends, the thread allocates from malloc
// again.
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/tree_alloc.h"
#include "server/analysis/tree_arena.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/corpus_sample.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/symbols_dump.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

TEST_CASE("symbols summarized in a tree arena equal those of a stock parse") {
  Parser parser;
  TreeArena arena;
  std::size_t files = 0;
  auto check = [&](const std::string& where, const Language& language, const std::string& text) {
    const std::string stock = testing::dumpSymbols(summarize(parser, language, text));
    const std::string inArena = testing::dumpSymbols(summarize(arena, language, text));
    INFO(where << " (" << language.id << ")");
    CHECK(inArena == stock);
    CHECK(TreeArena::current() == nullptr);
    ++files;
  };
  SECTION("every fixture file, whole and cut short") {
    const fs::path fixtures = fs::path(CADRE_SOURCE_DIR) / "tests/fixtures";
    for (const auto& entry : fs::directory_iterator(fixtures / "check")) {
      if (entry.path().extension() != ".txt") continue;
      for (const auto& f : testing::parseFixture(testing::readFileText(entry.path()))) {
        if (const Language* l = languageForPath(f.path)) {
          check(f.path, *l, f.text);
          // Cut at two thirds: error recovery allocates and frees the most.
          check(f.path + " (cut short)", *l, f.text.substr(0, f.text.size() * 2 / 3));
        }
      }
    }
    CHECK(files > 200);
  }
  SECTION("samples of real corpora, the largest TypeScript files among them") {
    // CADRE_FULL_CORPORA=1: every file of the three corpora.
    const bool full = std::getenv("CADRE_FULL_CORPORA") != nullptr;
    const std::pair<fs::path, std::size_t> corpora[] = {
        {"/usr/lib/python3.11", 40},
        {"/usr/include", 400},
        {fs::path(CADRE_SOURCE_DIR) / "bench/corpora/node_modules", 6},
    };
    for (const auto& [dir, step] : corpora) {
      const auto paths = testing::sampleCorpus(dir, full ? 1 : step, 1024 * 1024);
      INFO(dir);
      CHECK(paths.size() > 10);
      for (const auto& p : paths) check(p.string(), *languageForPath(p), testing::readFileText(p));
    }
  }
}

TEST_CASE("a parse cut off in a tree arena is a timeout, and the next parse in it is whole") {
  TreeArena arena;
  Parser parser;
  const Language& python = *languageById("python");
  // Long enough that the parser looks at the flag before it is done.
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "def f" + std::to_string(i) + "(a, b=1):\n    return a\n\nclass C" + std::to_string(i) + ":\n    def m(self): pass\n";
  const std::atomic<bool> cancelled{true};
  ParseLimits limits;
  limits.cancel = &cancelled;
  const FileSymbols cut = summarize(arena, python, text, limits);
  CHECK(cut.timedOut);
  CHECK(cut.definitions.empty());
  CHECK(TreeArena::current() == nullptr);
  const FileSymbols whole = summarize(arena, python, text);
  CHECK_FALSE(whole.timedOut);
  CHECK(testing::dumpSymbols(whole) == testing::dumpSymbols(summarize(parser, python, text)));
}

TEST_CASE("the runtime's allocator functions in and out of a tree arena") {
  TreeArena arena;
  // A malloc block made before a run stays malloc's through it.
  char* before = static_cast<char*>(cadre_ts_malloc(64));
  std::memset(before, 'b', 64);

  char* first = nullptr;
  arena.run([&] {
    CHECK(TreeArena::current() == &arena);
    first = static_cast<char*>(cadre_ts_malloc(1000));
    std::memset(first, 0xAB, 1000);
    before = static_cast<char*>(cadre_ts_realloc(before, 4096));
    CHECK(std::string(before, 64) == std::string(64, 'b'));
    CHECK_FALSE(arena.owns(before));
  });
  CHECK(TreeArena::current() == nullptr);
  std::free(before);  // would crash if it had moved into the arena

  arena.run([&] {
    // The first chunk is kept: the next run starts where the last one did,
    // and calloc zeroes what the last run wrote there.
    auto* zeroed = static_cast<unsigned char*>(cadre_ts_calloc(250, 4));
    CHECK(static_cast<void*>(zeroed) == static_cast<void*>(first));
    bool allZero = true;
    for (int i = 0; i < 1000; ++i) allZero = allZero && zeroed[i] == 0;
    CHECK(allZero);

    // The newest block grows in place; an older one moves, contents kept.
    char* grown = static_cast<char*>(cadre_ts_realloc(zeroed, 8000));
    CHECK(static_cast<void*>(grown) == static_cast<void*>(zeroed));
    std::memset(grown, 'g', 8000);
    char* later = static_cast<char*>(cadre_ts_malloc(16));
    char* moved = static_cast<char*>(cadre_ts_realloc(grown, 20000));
    CHECK(moved != grown);
    CHECK(moved != later);
    CHECK(std::string(moved, 8000) == std::string(8000, 'g'));
    CHECK(reinterpret_cast<std::uintptr_t>(moved) % 16 == 0);

    // Freeing the newest block gives its room to the next one.
    char* top = static_cast<char*>(cadre_ts_malloc(100));
    cadre_ts_free(top);
    CHECK(cadre_ts_malloc(100) == top);

    // A block larger than a chunk gets its own.
    const std::size_t huge = std::size_t{100} << 20;
    char* big = static_cast<char*>(cadre_ts_malloc(huge));
    CHECK(arena.owns(big));
    big[0] = 'x';
    big[huge - 1] = 'y';
    char* after = static_cast<char*>(cadre_ts_malloc(32));
    CHECK(arena.owns(after));
    std::memset(after, 'a', 32);
    CHECK(big[huge - 1] == 'y');
    cadre_ts_free(nullptr);
  });

  // The runtime itself allocates through these: a tree made in a run lies in
  // the arena, one made outside does not.
  Parser parser;
  const Language& python = *languageById("python");
  arena.run([&] {
    Parser inside;
    TreePtr tree = inside.parse(python, "x = 1\n");
    CHECK(arena.owns(tree.get()));
    CHECK(arena.owns(ts_tree_root_node(tree.get()).id));
    (void)tree.release();
  });
  TreePtr outside = parser.parse(python, "x = 1\n");
  CHECK_FALSE(arena.owns(outside.get()));

  // Outside a run: malloc's blocks, which free() takes.
  void* plain = cadre_ts_malloc(32);
  CHECK_FALSE(arena.owns(plain));
  std::free(plain);
}

TEST_CASE("a tree arena's addresses are clean for whoever maps them next") {
  // Under ASan the arena marks blocks it has not handed out; those marks must
  // go with its chunks, or the next mapping at those addresses (a thread's
  // stack, a library, malloc's) reads as poisoned. Here the next mapping is
  // made at the address on purpose.
  char* block = nullptr;
  const std::size_t big = std::size_t{80} << 20;  // in a chunk of its own, dropped at the end of the run
  char* bigBlock = nullptr;
  {
    TreeArena arena;
    arena.run([&] {
      block = static_cast<char*>(cadre_ts_malloc(64));
      bigBlock = static_cast<char*>(cadre_ts_malloc(big));
      bigBlock[0] = 1;
    });
    // The big chunk went at the end of the run: its addresses are free now.
    void* again = ::mmap(bigBlock - 16, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    REQUIRE(again != MAP_FAILED);
    std::memset(static_cast<char*>(again) + 16, 'x', 64);
    CHECK(bigBlock[0] == 'x');
    ::munmap(again, 4096);
  }
  // And the first chunk went with the arena.
  void* again = ::mmap(block - 16, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  REQUIRE(again != MAP_FAILED);
  std::memset(again, 'y', 4096);
  CHECK(block[100] == 'y');
  ::munmap(again, 4096);
}
