// Tests for server/security/audit: the chain a writer leaves (threads and
// processes included), every kind of tampering verify must name, and the
// filters behind `cadre audit show`.
#include "server/security/audit.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/catch.hpp"

namespace {

namespace fs = std::filesystem;
using cadre::security::AuditFilter;
using cadre::security::AuditLog;
using cadre::security::AuditOptions;
using cadre::security::AuditReport;
using cadre::security::readAuditLog;
using cadre::security::sha256Hex;
using cadre::security::verifyAuditLog;
using nlohmann::json;
namespace kind = cadre::security::audit_kind;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("cadre-audit-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> readLines(const fs::path& p) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(p));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void writeLines(const fs::path& p, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  spit(p, text);
}

AuditOptions fast() {
  AuditOptions o;
  o.sync = false;
  return o;
}

// A log of n command entries ("cmd 1" … "cmd n"), with an anchor beside it.
struct Fixture {
  TempDir dir;
  fs::path log = dir.path / "project" / ".cadre" / "audit.jsonl";
  fs::path anchor = dir.path / "state" / "audit-anchor";
  explicit Fixture(int n = 10) {
    auto a = AuditLog::open(log, anchor, fast());
    REQUIRE(a);
    for (int i = 1; i <= n; ++i) REQUIRE(a->append(kind::kCommand, {{"command", "cmd " + std::to_string(i)}, {"exitCode", 0}}));
  }
  AuditReport verify(bool withAnchor = true) const {
    auto r = verifyAuditLog(log, withAnchor ? anchor : fs::path{});
    REQUIRE(r);
    return *r;
  }
};

// A hand-made entry in the documented format, for forgeries and fixed times.
std::string entryLine(std::int64_t seq, const std::string& ts, const std::string& k, const std::string& prev, const json& fields) {
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"ts\":\"" + ts + "\",\"kind\":\"" + k + "\",\"prev\":\"" + prev + "\"";
  const std::string body = fields.dump();
  if (body.size() > 2) line += "," + body.substr(1, body.size() - 2);
  return line + "}";
}

std::string describe(const AuditReport& r) {
  std::string s = std::to_string(r.entries) + " entries\n";
  for (const auto& p : r.problems) s += "line " + std::to_string(p.line) + " seq " + std::to_string(p.seq) + " " + p.kind + ": " + p.message + "\n";
  return s;
}

const std::string kZeros(64, '0');

}  // namespace

TEST_CASE("entries are written in the documented format and chained", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "a" / "b" / "audit.jsonl";  // parents are created
  auto a = AuditLog::open(log, {}, fast());
  REQUIRE(a);
  CHECK(a->lastSeq() == 0);
  REQUIRE(a->append(kind::kCommand, {{"actor", "agent"}, {"command", "make test"}, {"exitCode", 2}}));
  REQUIRE(a->append(kind::kSession));
  auto lines = readLines(log);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("{\"seq\":1,\"ts\":\"", 0) == 0);
  CHECK(lines[0].find("\",\"kind\":\"command\",\"prev\":\"" + kZeros + "\",") != std::string::npos);
  auto first = json::parse(lines[0]);
  CHECK(first["command"] == "make test");
  CHECK(first["exitCode"] == 2);
  CHECK(first["actor"] == "agent");
  const std::string ts = first["ts"];
  REQUIRE(ts.size() == 24);
  CHECK(ts[10] == 'T');
  CHECK(ts.back() == 'Z');
  auto second = json::parse(lines[1]);
  CHECK(second["seq"] == 2);
  CHECK(second["prev"] == sha256Hex(lines[0]));
  CHECK(second.size() == 4);  // no fields: the header alone
  CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto r = verifyAuditLog(log);
  REQUIRE(r);
  CHECK(r->ok());
  CHECK(r->entries == 2);
}

TEST_CASE("reopening continues the chain", "[audit]") {
  Fixture f(3);
  {
    auto a = AuditLog::open(f.log, f.anchor, fast());
    REQUIRE(a);
    CHECK(a->lastSeq() == 3);
    REQUIRE(a->append(kind::kApproval, {{"decision", "approved"}}));
    REQUIRE(a->append(kind::kEditApplied, {{"files", {{{"path", "a.py"}, {"sha256Before", kZeros}, {"sha256After", kZeros}}}}}));
    CHECK(a->lastSeq() == 5);
  }
  auto r = f.verify();
  INFO(describe(r));
  CHECK(r.ok());
  CHECK(r.entries == 5);
  CHECK(json::parse(slurp(f.anchor))["seq"] == 5);
  CHECK(json::parse(slurp(f.anchor))["hash"] == sha256Hex(readLines(f.log).back()));
}

TEST_CASE("append refuses what would make the log ambiguous", "[audit]") {
  TempDir dir;
  auto a = AuditLog::open(dir.path / "audit.jsonl", {}, fast());
  REQUIRE(a);
  CHECK_FALSE(a->append("made_up_kind", json::object()));
  CHECK_FALSE(a->append(kind::kCommand, {{"seq", 7}}));
  CHECK_FALSE(a->append(kind::kCommand, {{"prev", kZeros}}));
  CHECK_FALSE(a->append(kind::kCommand, json::array({1, 2})));
  CHECK(a->append(kind::kCommand, nullptr));
  CHECK(readLines(dir.path / "audit.jsonl").size() == 1);
}

TEST_CASE("threads sharing one writer keep a valid chain", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  auto a = AuditLog::open(log, dir.path / "anchor", fast());
  REQUIRE(a);
  constexpr int kThreads = 4, kEach = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!a->append(kind::kToolCall, {{"tool", "t" + std::to_string(t)}, {"i", i}})) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  auto r = verifyAuditLog(log, dir.path / "anchor");
  REQUIRE(r);
  INFO(describe(*r));
  CHECK(r->ok());
  CHECK(r->entries == kThreads * kEach);
}

TEST_CASE("two processes appending to one log keep a valid chain", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  const fs::path anchor = dir.path / "anchor";
  constexpr int kEach = 200;
  auto run = [&](const char* who) {
    // Each process opens its own writer, as two cadre sessions would.
    auto a = AuditLog::open(log, anchor, fast());
    if (!a) return false;
    for (int i = 0; i < kEach; ++i) {
      if (!a->append(kind::kCommand, {{"actor", who}, {"i", i}})) return false;
    }
    return true;
  };
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(run("child") ? 0 : 1);
  const bool parentOk = run("parent");
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(parentOk);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto r = verifyAuditLog(log, anchor);
  REQUIRE(r);
  INFO(describe(*r));
  CHECK(r->ok());
  CHECK(r->entries == 2 * kEach);
  CHECK(json::parse(slurp(anchor))["seq"] == 2 * kEach);
  auto entries = readAuditLog(log);
  REQUIRE(entries);
  std::set<std::string> actors;
  for (const auto& e : *entries) actors.insert(e["actor"].get<std::string>());
  CHECK(actors == std::set<std::string>{"child", "parent"});
}

TEST_CASE("verify names each kind of tampering", "[audit]") {
  Fixture f;
  auto lines = readLines(f.log);
  REQUIRE(lines.size() == 10);

  SECTION("an intact log") {
    auto r = f.verify();
    CHECK(r.ok());
    CHECK(r.entries == 10);
  }
  SECTION("a field edited in the middle") {
    const auto at = lines[4].find("cmd 5");
    REQUIRE(at != std::string::npos);
    lines[4].replace(at, 5, "rm -rf /");
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "edited");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[0].seq == 5);
    CHECK(r.problems[0].message.find("entry seq 5 (line 5) was changed after it was written") != std::string::npos);
  }
  SECTION("a middle line removed") {
    lines.erase(lines.begin() + 4);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "removed");
    CHECK(r.problems[0].seq == 5);
    CHECK(r.problems[0].line == 5);  // the line after the gap
    CHECK(r.problems[0].message.find("entry seq 5 is missing") != std::string::npos);
  }
  SECTION("three lines removed") {
    lines.erase(lines.begin() + 3, lines.begin() + 6);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "removed");
    CHECK(r.problems[0].message.find("entries seq 4 to 6 are missing") != std::string::npos);
  }
  SECTION("the first line removed") {
    lines.erase(lines.begin());
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "removed");
    CHECK(r.problems[0].seq == 1);
  }
  SECTION("a forged line with a plausible prev inserted") {
    const std::string forged = entryLine(5, "2026-11-21T22:50:12.345Z", "approval", sha256Hex(lines[3]), {{"decision", "approved"}});
    lines.insert(lines.begin() + 4, forged);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[0].message.find("line 5 (seq 5) was inserted") != std::string::npos);
  }
  SECTION("a forged line with a made-up prev and a repeated seq inserted") {
    lines.insert(lines.begin() + 4, entryLine(5, "2026-11-21T22:50:12.345Z", "command", std::string(64, 'a'), {{"command", "x"}}));
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 5);
  }
  SECTION("a forged line with an out-of-place seq inserted") {
    lines.insert(lines.begin() + 4, entryLine(99, "2026-11-21T22:50:12.345Z", "command", std::string(64, 'a'), {{"command", "x"}}));
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 5);
  }
  SECTION("a forged run of two entries inserted") {
    const std::string x1 = entryLine(5, "2026-11-21T22:50:12.345Z", "command", sha256Hex(lines[3]), {{"command", "x"}});
    const std::string x2 = entryLine(6, "2026-11-21T22:50:13.345Z", "command", sha256Hex(x1), {{"command", "y"}});
    lines.insert(lines.begin() + 4, {x1, x2});
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 2);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[1].kind == "inserted");
    CHECK(r.problems[1].line == 6);
  }
  SECTION("a forged first entry") {
    lines.insert(lines.begin(), entryLine(1, "2026-11-21T22:50:12.345Z", "session", kZeros, {{"event", "start"}}));
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 1);
  }
  SECTION("a copy of an earlier line inserted") {
    lines.insert(lines.begin() + 7, lines[2]);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "inserted");
    CHECK(r.problems[0].line == 8);
    CHECK(r.problems[0].message.find("copy of line 3") != std::string::npos);
  }
  SECTION("two lines swapped") {
    std::swap(lines[4], lines[5]);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "reordered");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[0].seq == 6);
    CHECK(r.problems[0].message.find("belongs after seq 5 (line 6)") != std::string::npos);
  }
  SECTION("a line moved far away") {
    auto moved = lines[1];
    lines.erase(lines.begin() + 1);
    lines.push_back(moved);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "reordered");
    CHECK(r.problems[0].seq == 2);
    CHECK(r.problems[0].line == 10);
  }
  SECTION("the tail cut off") {
    lines.resize(7);
    writeLines(f.log, lines);
    CHECK(f.verify(/*withAnchor=*/false).ok());  // a chain alone cannot tell
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "truncated");
    CHECK(r.problems[0].line == 0);
    CHECK(r.problems[0].message.find("the log ends at seq 7 but the anchor says 10") != std::string::npos);
  }
  SECTION("the last line edited") {
    lines[9].replace(lines[9].find("cmd 10"), 6, "cmd 11");
    writeLines(f.log, lines);
    CHECK(f.verify(false).ok());  // nothing follows it; only the anchor knows
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "edited");
    CHECK(r.problems[0].line == 10);
  }
  SECTION("a garbage line inserted") {
    lines.insert(lines.begin() + 4, "this is not json");
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "malformed");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[0].seq == -1);
  }
  SECTION("a line garbled") {
    lines[4] = lines[4].substr(0, 20);
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "malformed");
    CHECK(r.problems[0].line == 5);
  }
  SECTION("a seq changed") {
    lines[4].replace(0, 8, "{\"seq\":77");
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "edited");
    CHECK(r.problems[0].line == 5);
    CHECK(r.problems[0].seq == 5);
  }
  SECTION("several problems are all reported, in line order") {
    lines[1].replace(lines[1].find("cmd 2"), 5, "cmd X");  // edited: seq 2
    std::swap(lines[7], lines[8]);                          // reordered: seq 9 at line 8
    lines.erase(lines.begin() + 4);                         // removed: seq 5
    lines.insert(lines.begin() + 2, "{broken");             // malformed: line 3
    writeLines(f.log, lines);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 4);
    CHECK(r.problems[0].kind == "edited");
    CHECK(r.problems[0].seq == 2);
    CHECK(r.problems[1].kind == "malformed");
    CHECK(r.problems[1].line == 3);
    CHECK(r.problems[2].kind == "removed");
    CHECK(r.problems[2].seq == 5);
    CHECK(r.problems[3].kind == "reordered");
    CHECK(r.problems[3].seq == 9);
  }
}

TEST_CASE("a broken tail is kept and chained over, never rewritten", "[audit]") {
  Fixture f(4);
  std::string text = slurp(f.log);
  text.resize(text.size() - 30);  // a write cut short: no newline at the end
  spit(f.log, text);
  auto torn = f.verify(false);
  REQUIRE(torn.problems.size() == 1);
  CHECK(torn.problems[0].kind == "malformed");
  CHECK(torn.problems[0].message.find("no newline") != std::string::npos);

  auto a = AuditLog::open(f.log, {}, fast());
  REQUIRE(a);
  CHECK(a->lastSeq() == 3);  // the last entry that parses
  REQUIRE(a->append(kind::kSession, {{"event", "start"}}));
  const std::string after = slurp(f.log);
  CHECK(after.compare(0, text.size(), text) == 0);  // the old bytes are untouched
  auto r = f.verify(false);
  INFO(describe(r));
  REQUIRE(r.problems.size() == 1);  // the torn line, and nothing after it
  CHECK(r.problems[0].kind == "malformed");
  CHECK(r.problems[0].line == 4);
  CHECK(r.entries == 5);
  CHECK(json::parse(readLines(f.log).back())["seq"] == 4);
}

TEST_CASE("garbage before the first entry is chained over", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  spit(log, "junk without a newline");
  auto a = AuditLog::open(log, {}, fast());
  REQUIRE(a);
  REQUIRE(a->append(kind::kSession, {{"event", "start"}}));
  REQUIRE(a->append(kind::kSession, {{"event", "end"}}));
  auto r = verifyAuditLog(log);
  REQUIRE(r);
  INFO(describe(*r));
  REQUIRE(r->problems.size() == 1);
  CHECK(r->problems[0].kind == "malformed");
  CHECK(r->entries == 3);
  CHECK(json::parse(readLines(log)[1])["seq"] == 1);
}

TEST_CASE("a missing or replaced log is reported against the anchor", "[audit]") {
  Fixture f(5);
  SECTION("missing, no anchor") {
    fs::remove(f.log);
    auto r = verifyAuditLog(f.log);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("no audit log at") != std::string::npos);
  }
  SECTION("missing, with an anchor") {
    fs::remove(f.log);
    auto r = f.verify();
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "truncated");
  }
  SECTION("started afresh: the anchor is not wound back") {
    fs::remove(f.log);
    auto a = AuditLog::open(f.log, f.anchor, fast());
    REQUIRE(a);
    REQUIRE(a->append(kind::kSession, {{"event", "start"}}));
    CHECK(json::parse(slurp(f.anchor))["seq"] == 5);
    auto r = f.verify();
    INFO(describe(r));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "truncated");
    CHECK(r.problems[0].message.find("ends at seq 1 but the anchor says 5") != std::string::npos);
  }
  SECTION("a deleted anchor is written again by the next append") {
    auto a = AuditLog::open(f.log, f.anchor, fast());
    REQUIRE(a);
    REQUIRE(a->append(kind::kSession, {{"event", "start"}}));
    fs::remove(f.anchor);  // the writer holds the old one open
    REQUIRE(a->append(kind::kSession, {{"event", "end"}}));
    REQUIRE(fs::exists(f.anchor));
    CHECK(json::parse(slurp(f.anchor))["seq"] == 7);
    CHECK(f.verify().ok());
  }
  SECTION("an unreadable anchor is a problem, not a crash") {
    spit(f.anchor, "nonsense");
    auto r = f.verify();
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].kind == "malformed");
    CHECK(r.problems[0].line == 0);
  }
}

TEST_CASE("the redactor sees every string value", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  auto a = AuditLog::open(log, {}, fast());
  REQUIRE(a);
  std::atomic<int> calls{0};
  a->setRedactor([&](std::string_view s) {
    ++calls;
    std::string out(s);
    for (auto at = out.find("sk-secret"); at != std::string::npos; at = out.find("sk-secret")) out.replace(at, 9, "[REDACTED]");
    return out;
  });
  REQUIRE(a->append(kind::kCommand, {{"command", "curl -H 'Bearer sk-secret'"},
                                     {"exitCode", 0},
                                     {"env", {{"sk-secret", "x sk-secret"}}},
                                     {"args", {"sk-secret", 3}}}));
  const std::string text = slurp(log);
  CHECK(text.find("curl -H 'Bearer [REDACTED]'") != std::string::npos);
  CHECK(text.find("\"x [REDACTED]\"") != std::string::npos);
  CHECK(text.find("[\"[REDACTED]\",3]") != std::string::npos);
  CHECK(text.find("\"sk-secret\":") != std::string::npos);  // keys are not values
  CHECK(calls == 3);
  // Bytes that are not UTF-8 are replaced, not a failure.
  REQUIRE(a->append(kind::kCommand, {{"command", std::string("echo \xff\xfe")}}));
  auto r = verifyAuditLog(log);
  REQUIRE(r);
  CHECK(r->ok());
}

TEST_CASE("readAuditLog filters by time, kind and file", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  std::vector<std::string> lines;
  std::string prev = kZeros;
  auto add = [&](const std::string& ts, const std::string& k, const json& fields) {
    lines.push_back(entryLine(static_cast<std::int64_t>(lines.size()) + 1, ts, k, prev, fields));
    prev = sha256Hex(lines.back());
  };
  add("2026-11-20T09:00:00.000Z", "session", {{"event", "start"}});
  add("2026-11-21T10:15:00.000Z", "command", {{"command", "make"}, {"exitCode", 0}});
  add("2026-11-21T22:50:12.345Z", "edit_applied", {{"files", {{{"path", "src/a.py"}}, {{"path", "src/b.py"}}}}});
  add("2026-11-22T08:00:00.000Z", "tool_call", {{"tool", "read_file"}, {"path", "./docs/x.md"}});
  add("2026-11-23T08:00:00.000Z", "checkpoint_restore", {{"paths", {"src/a.py"}}});
  lines.push_back("garbage is skipped");
  writeLines(log, lines);

  auto seqs = [&](const AuditFilter& f) {
    auto r = readAuditLog(log, f);
    REQUIRE(r);
    std::vector<int> out;
    for (const auto& e : *r) out.push_back(e["seq"].get<int>());
    return out;
  };
  CHECK(seqs({}) == std::vector<int>{1, 2, 3, 4, 5});
  AuditFilter f;
  f.since = "2026-11-21";
  CHECK(seqs(f) == std::vector<int>{2, 3, 4, 5});
  f.until = "2026-11-21";  // the whole day
  CHECK(seqs(f) == std::vector<int>{2, 3});
  f.since = "2026-11-21 22:50:12Z";
  f.until = "2026-11-22T08";
  CHECK(seqs(f) == std::vector<int>{3, 4});
  f = {};
  f.kinds = {"command", "tool_call"};
  CHECK(seqs(f) == std::vector<int>{2, 4});
  f = {};
  f.file = "src/a.py";
  CHECK(seqs(f) == std::vector<int>{3, 5});
  f.file = "src/";
  CHECK(seqs(f) == std::vector<int>{3, 5});
  f.file = "docs/x.md";
  CHECK(seqs(f) == std::vector<int>{4});
  f.file = "src/a";  // not a path prefix
  CHECK(seqs(f).empty());
  f = {};
  f.since = "yesterday";
  CHECK_FALSE(readAuditLog(log, f));
  f = {};
  f.kinds = {"nope"};
  CHECK_FALSE(readAuditLog(log, f));
  CHECK_FALSE(readAuditLog(dir.path / "none.jsonl"));
}

TEST_CASE("relative times filter against now", "[audit]") {
  TempDir dir;
  const fs::path log = dir.path / "audit.jsonl";
  writeLines(log, {entryLine(1, "2001-01-01T00:00:00.000Z", "session", kZeros, {{"event", "start"}})});
  {
    auto a = AuditLog::open(log, {}, fast());
    REQUIRE(a);
    REQUIRE(a->append(kind::kSession, {{"event", "now"}}));
  }
  AuditFilter f;
  f.since = "2h";
  auto r = readAuditLog(log, f);
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0]["event"] == "now");
  f.since = "999999999d";  // further back than the epoch: everything
  CHECK(readAuditLog(log, f)->size() == 2);
}
