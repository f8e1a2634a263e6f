// The index cache: a restart on an unchanged project reads every file's
// symbols back exactly as the extractor produced them (every field, every language
// of the check fixtures), reparses only what changed, and treats a cache
// that is truncated, overwritten or from another build as absent.
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "server/analysis/index_cache.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/project_index.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/symbols_dump.hpp"

using namespace cadre;
using namespace cadre::analysis;
namespace fs = std::filesystem;

namespace {

using testing::spanText;

// Every field of a file and its symbols, one line per record.
std::string dump(const IndexedFile& f) {
  return f.path + " " + f.language + " " + std::to_string(f.size) + " " + std::to_string(f.mtimeNs) + " " + std::to_string(f.hash) + " [" +
         f.skipReason + "] " + testing::dumpSymbols(f.symbols());
}

std::string dumpAll(const ProjectIndex& index) {
  std::string out;
  for (const auto& f : index.files()) out += dump(f);
  return out;
}

// The same files with their symbols straight from the extractor: the index
// keeps symbols encoded even when it parsed them, so comparing two indexes
// alone would not see a field the encoding drops on both sides.
std::string dumpExtracted(const ProjectIndex& index) {
  std::string out;
  Parser parser;
  for (IndexedFile f : index.files()) {
    if (f.skipReason.empty()) {
      const std::string text = testing::readFileText(index.root() / f.path);
      const Language& lang = *languageById(f.language);
      TreePtr tree = parser.parse(lang, text);
      f.setSymbols(extractSymbols(lang, tree.get(), text));
    }
    out += dump(f);
  }
  return out;
}

// The check fixtures: projects in every language, whole and broken.
std::vector<fs::path> checkFixtures() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(fs::path(CADRE_SOURCE_DIR) / "tests/fixtures/check")) {
    if (entry.path().extension() == ".txt") out.push_back(entry.path());
  }
  return out;
}

struct Cached {
  fs::path dir = fs::temp_directory_path() / ("cadre-index-cache-" + std::to_string(::getpid()));
  fs::path file = dir / "index.bin";
  Cached() { fs::remove_all(dir); }
  ~Cached() { fs::remove_all(dir); }
};

Expected<ProjectIndex> build(const fs::path& root, const fs::path& cache) {
  IndexOptions options;
  options.cacheFile = cache;
  return ProjectIndex::build(root, options);
}

}  // namespace

TEST_CASE("a warm restart reads back every field of every file, in every language") {
  std::size_t projects = 0;
  for (const auto& fixture : checkFixtures()) {
    INFO("fixture " << fixture.stem().string());
    testing::FixtureDir project(testing::parseFixture(testing::readFileText(fixture)));
    Cached cache;
    auto cold = build(project.path(), cache.file);
    REQUIRE(cold);
    REQUIRE(fs::exists(cache.file));
    auto warm = build(project.path(), cache.file);
    REQUIRE(warm);
    CHECK(warm->stats().parsed == 0);
    CHECK(warm->stats().fromCache == cold->files().size());
    CHECK(dumpAll(*warm) == dumpExtracted(*cold));
    ++projects;
  }
  CHECK(projects > 10);
}

TEST_CASE("a changed file is parsed again, the others come from the cache") {
  testing::FixtureDir project(testing::parseFixture(
      "//- a.py\n"
      "def f(x, y=1):\n    return x\n"
      "//- b.py\n"
      "from a import f\nf(1)\n"));
  Cached cache;
  REQUIRE(build(project.path(), cache.file));
  {
    std::ofstream out(project.path() / "a.py", std::ios::app);
    out << "def g(*args):\n    pass\n";
  }
  auto warm = build(project.path(), cache.file);
  REQUIRE(warm);
  CHECK(warm->stats().parsed == 1);
  CHECK(warm->stats().fromCache == 1);
  CHECK(warm->definitionsNamed("g").size() == 1);
  auto fresh = ProjectIndex::build(project.path());
  REQUIRE(fresh);
  CHECK(dumpAll(*warm) == dumpAll(*fresh));
}

TEST_CASE("same size, other mtime: the content decides whether a file is parsed again") {
  testing::FixtureDir project(testing::parseFixture(
      "//- a.py\n"
      "def f(x):\n    return x\n"
      "//- b.py\n"
      "def g(y):\n    return y\n"));
  Cached cache;
  REQUIRE(build(project.path(), cache.file));
  // a.py: rewritten with the same bytes; b.py: one name changed, same size.
  const std::string a = testing::readFileText(project.path() / "a.py");
  std::ofstream(project.path() / "a.py", std::ios::trunc) << a;
  std::ofstream(project.path() / "b.py", std::ios::trunc) << "def h(y):\n    return y\n";
  const auto later = fs::file_time_type::clock::now() + std::chrono::seconds(5);
  fs::last_write_time(project.path() / "a.py", later);
  fs::last_write_time(project.path() / "b.py", later);
  auto warm = build(project.path(), cache.file);
  REQUIRE(warm);
  CHECK(warm->stats().parsed == 1);
  CHECK(warm->definitionsNamed("h").size() == 1);
  CHECK(warm->definitionsNamed("g").empty());
  CHECK(warm->definitionsNamed("f").size() == 1);
}

TEST_CASE("the content hash changes with any bit of the content, at any length") {
  // Lengths around the 16- and 8-byte steps and the tail; every single-bit
  // change of every text gives a hash no other text here has.
  std::set<std::uint64_t> seen;
  std::size_t texts = 0;
  for (std::size_t length = 0; length <= 40; ++length) {
    std::string text(length, '\0');
    for (std::size_t i = 0; i < length; ++i) text[i] = static_cast<char>('a' + i % 26);
    seen.insert(fileContentHash(text));
    ++texts;
    for (std::size_t i = 0; i < length; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string changed = text;
        changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
        seen.insert(fileContentHash(changed));
        ++texts;
      }
    }
  }
  CHECK(seen.size() == texts);
  // Trailing zero bytes are content too.
  CHECK(fileContentHash(std::string("x")) != fileContentHash(std::string("x\0", 2)));
  CHECK(fileContentHash("same text") == fileContentHash(std::string("same text")));
}

TEST_CASE("a truncated, overwritten or foreign cache is treated as absent") {
  testing::FixtureDir project(testing::parseFixture(testing::readFileText(fs::path(CADRE_SOURCE_DIR) / "tests/fixtures/check/ok_typescript.txt")));
  Cached cache;
  auto cold = build(project.path(), cache.file);
  REQUIRE(cold);
  const std::string expected = dumpAll(*cold);
  const std::string bytes = testing::readFileText(cache.file);
  REQUIRE(bytes.size() > 64);
  auto rewrite = [&](const std::string& content) {
    std::ofstream out(cache.file, std::ios::binary | std::ios::trunc);
    out << content;
  };

  SECTION("truncated anywhere: everything is parsed again") {
    for (std::size_t keep : {std::size_t{0}, std::size_t{8}, std::size_t{20}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 13, bytes.size() - 1}) {
      INFO("kept " << keep << " of " << bytes.size() << " bytes");
      rewrite(bytes.substr(0, keep));
      auto warm = build(project.path(), cache.file);
      REQUIRE(warm);
      CHECK(warm->stats().fromCache == 0);
      CHECK(dumpAll(*warm) == expected);
    }
  }
  SECTION("another build's cache (other fingerprint) is not read") {
    std::string other = bytes;
    other[8] = static_cast<char>(other[8] ^ 0x5A);
    rewrite(other);
    auto warm = build(project.path(), cache.file);
    REQUIRE(warm);
    CHECK(warm->stats().fromCache == 0);
    CHECK(dumpAll(*warm) == expected);
  }
  SECTION("bytes overwritten at random: the damaged files are parsed again") {
    // Each record carries a checksum, so a damaged one is dropped at load and
    // its file parsed again: the index ends up as a fresh one.
    std::mt19937 random(7);
    for (int round = 0; round < 200; ++round) {
      std::string damaged = bytes;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int k = 0; k < flips; ++k) {
        const std::size_t at = 16 + random() % (damaged.size() - 16);
        damaged[at] = static_cast<char>(random());
      }
      rewrite(damaged);
      auto warm = build(project.path(), cache.file);
      REQUIRE(warm);
      CHECK(dumpAll(*warm) == expected);
    }
  }
}

TEST_CASE("decoding encoded symbols never reads out of bounds, whatever the bytes") {
  // Behind the checksum only cadre's own writer's output reaches the decoder;
  // still, arbitrary bytes must decode to something or to an empty, partial
  // result (ASan and UBSan run this suite).
  testing::FixtureDir project(testing::parseFixture(testing::readFileText(fs::path(CADRE_SOURCE_DIR) / "tests/fixtures/check/broken_python_arity.txt")));
  auto index = ProjectIndex::build(project.path());
  REQUIRE(index);
  REQUIRE_FALSE(index->files().empty());
  const auto original = encodeSymbols(index->files().front().symbols());
  const std::string bytes(original->bytes);
  std::mt19937 random(11);
  for (int round = 0; round < 500; ++round) {
    std::string damaged = bytes;
    if (round % 5 == 0) damaged.resize(random() % (bytes.size() + 1));
    const int flips = static_cast<int>(random() % 6);
    for (int k = 0; k < flips && !damaged.empty(); ++k) damaged[random() % damaged.size()] = static_cast<char>(random());
    EncodedSymbols encoded;
    encoded.bytes = damaged;
    encoded.language = "python";
    const FileSymbols& s = decodedSymbols(encoded);
    CHECK(s.language == "python");
    // Consumers index definitions with `parent`: it must stay in range.
    for (const auto& d : s.definitions) CHECK(d.parent < static_cast<std::int32_t>(s.definitions.size()));
    // The ranking's reader of the same bytes: indices in range, or refused.
    SymbolNames names;
    if (readSymbolNames(encoded, names)) {
      // Both readers accept the same records: the map indexes the decoded
      // definitions with what it ranked from the names.
      CHECK(names.definitions.size() == s.definitions.size());
      CHECK(names.references.size() == s.references.size());
      CHECK(names.topLevel.size() == names.definitions.size());
      for (std::uint32_t d : names.definitions) CHECK(d < names.names.size());
      for (std::uint32_t r : names.references) CHECK(r < names.names.size());
    }
  }
  EncodedSymbols intact;
  intact.bytes = bytes;
  intact.language = "python";
  CHECK(decodedSymbols(intact).definitions.size() == index->files().front().symbols().definitions.size());
}

// What the repo map reads: every definition's and reference's name, whether a
// definition is top-level, and the imports, equal to the decoded symbols'
// (from the encoding, and from decoded symbols after an edit replaced them).
namespace {

std::string dumpNames(const SymbolNames& v) {
  std::string out;
  for (std::size_t d = 0; d < v.definitions.size(); ++d) out += "def " + std::string(v.names[v.definitions[d]]) + (v.topLevel[d] ? " top\n" : "\n");
  for (std::uint32_t r : v.references) out += "ref " + std::string(v.names[r]) + "\n";
  for (const auto& i : v.imports) out += "import " + i.module + " " + spanText(i.span) + " " + std::to_string(i.names.size()) + "\n";
  return out;
}

std::string dumpNames(const FileSymbols& s) {
  std::string out;
  for (const auto& d : s.definitions) out += "def " + d.name + (d.parent < 0 ? " top\n" : "\n");
  for (const auto& r : s.references) out += "ref " + r.name + "\n";
  for (const auto& i : s.imports) out += "import " + i.module + " " + spanText(i.span) + " " + std::to_string(i.names.size()) + "\n";
  return out;
}

}  // namespace

TEST_CASE("the names a ranking reads from the encoding are the decoded symbols' names") {
  std::size_t files = 0;
  for (const auto& fixture : checkFixtures()) {
    INFO("fixture " << fixture.stem().string());
    testing::FixtureDir project(testing::parseFixture(testing::readFileText(fixture)));
    auto index = ProjectIndex::build(project.path());
    REQUIRE(index);
    for (const auto& f : index->files()) {
      if (!f.skipReason.empty()) continue;
      INFO(f.path);
      REQUIRE(f.encoded());
      SymbolNames fromEncoding;
      REQUIRE(readSymbolNames(*f.encoded(), fromEncoding));
      const std::string expected = dumpNames(f.symbols());
      CHECK(dumpNames(fromEncoding) == expected);
      IndexedFile edited = f;
      edited.setSymbols(f.symbols());
      REQUIRE_FALSE(edited.encoded());
      CHECK(dumpNames(edited.symbolNames()) == expected);
      ++files;
    }
  }
  CHECK(files > 30);
}
