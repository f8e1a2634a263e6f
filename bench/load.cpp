// cadre under load, on one `cadre serve --tcp` process, in three phases:
//   documents  many open documents edited from 4 TCP connections at once;
//   tasks      10 agent tasks at once against a scripted model server;
//   index      a generated tree of many files indexed while serving.
// In each phase a simple request (cadre/ping) is timed on a connection that
// shares the load, and p50/p99 printed; the process's peak RSS (VmHWM) and
// open descriptors are read from /proc. Nothing may be dropped: every request
// must be answered, every document must end with exactly the text its edits
// give (checked through documentSymbol), every task must end ready, and the
// index must finish. Any of those failing fails the benchmark.
// Usage: bench_load CADRE [--quick]   (quick: the test command's smaller sizes)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/support.hpp"
#include "protocol/framing.hpp"

extern char** environ;

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using namespace cadre;

namespace {

struct Sizes {
  int documents = 1000;
  int edits = 20000;  // in total, over the 4 connections
  int tasks = 10;
  int files = 50000;
};

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Latencies {
  std::mutex mu;
  std::vector<double> ms;
  void add(double v) {
    std::lock_guard lock(mu);
    ms.push_back(v);
  }
  std::string summary() {
    std::lock_guard lock(mu);
    if (ms.empty()) return "no pings";
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
    char buf[128];
    std::snprintf(buf, sizeof buf, "ping p50 %.2f ms, p99 %.2f ms, max %.1f ms (%zu pings)", at(0.5), at(0.99), ms.back(), ms.size());
    return buf;
  }
};

// One LSP client connection over TCP. Server → client requests are answered
// (progress tokens with null, approvals with allowOnce); notifications go to
// `onNotification`.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::function<void(const json&)> onNotification;
  long requests = 0, answered = 0;

  void send(const json& message) {
    const std::string bytes = protocol::frame(message.dump());
    for (std::size_t at = 0; at < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed: the server closed the connection");
      at += static_cast<std::size_t>(n);
    }
  }
  void notify(const std::string& method, json params) { send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}}); }

  // Sends a request and reads until its response.
  json request(const std::string& method, json params = nullptr, double timeoutMs = 120000) {
    const int id = nextId_++;
    json msg = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) msg["params"] = std::move(params);
    send(msg);
    ++requests;
    const auto t0 = Clock::now();
    for (;;) {
      json m = read(timeoutMs - msSince(t0));
      if (m.contains("id") && !m.contains("method") && m["id"] == id) {
        ++answered;
        return m;
      }
    }
  }
  double ping() {
    const auto t0 = Clock::now();
    json r = request("cadre/ping", nullptr, 60000);
    if (!r.contains("result")) throw std::runtime_error("ping failed: " + r.dump());
    return msSince(t0);
  }
  // The next response; answers server requests and hands notifications on.
  json read(double timeoutMs) {
    const auto t0 = Clock::now();
    for (;;) {
      if (json m = next(timeoutMs - msSince(t0)); !m.contains("method")) return m;
    }
  }
  // The next message of any kind, handled; throws when the deadline passes
  // with nothing to read.
  json next(double timeoutMs) {
    for (;;) {
      while (reader_.hasEvent()) {
        auto ev = reader_.next();
        if (ev.kind != protocol::FrameEvent::Kind::Message) continue;
        json m = json::parse(ev.body);
        if (m.contains("method") && m.contains("id")) {
          json result = m["method"] == "cadre/approval.request" ? json{{"decision", "allowOnce"}} : json(nullptr);
          send({{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", result}});
        } else if (m.contains("method") && onNotification) {
          onNotification(m);
        }
        return m;
      }
      pollfd p{fd_, POLLIN, 0};
      if (timeoutMs <= 0 || ::poll(&p, 1, static_cast<int>(std::max(1.0, timeoutMs))) <= 0)
        throw std::runtime_error("no answer within the deadline: a request was dropped");
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("the server closed the connection");
      reader_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
  }
  void initialize(const json& params) {
    json r = request("initialize", params);
    if (!r.contains("result")) throw std::runtime_error("initialize failed: " + r.dump());
    notify("initialized", json::object());
  }

 private:
  int fd_ = -1;
  int nextId_ = 1;
  protocol::FrameReader reader_;
};

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A child process with stdout/stderr to a log file.
struct Process {
  pid_t pid = -1;
  Process(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& log) {
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data()) != 0) throw std::runtime_error("cannot start " + argv[0]);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

long statusKb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  }
  return 0;
}
long openFds(pid_t pid) {
  long n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

std::string docUri(const fs::path& dir, int i) { return "file://" + (dir / ("doc" + std::to_string(i) + ".py")).string(); }

std::string docText(int i) {
  std::string t = "import os\n\n";
  for (int k = 0; k < 8; ++k) t += "def base_" + std::to_string(i) + "_" + std::to_string(k) + "(x):\n    return os.path.join(x, 'a')\n\n";
  return t;
}

// Phase 1: each of 4 connections opens its share of documents and edits them
// (an appended function per edit, sent as an incremental change), timing a
// ping every 5 edits. Then every document's symbols must show its last edit.
bool documentsPhase(int port, const fs::path& dir, const Sizes& n, Latencies& lat, std::string& report) {
  constexpr int kConnections = 4;
  std::atomic<long> requests{0}, answered{0}, verified{0}, edits{0};
  std::atomic<bool> failed{false};
  std::mutex errMu;
  std::string firstError;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      try {
        Client client(port);
        client.initialize({{"capabilities", json::object()}});
        std::vector<int> docs;
        for (int i = c; i < n.documents; i += kConnections) docs.push_back(i);
        std::vector<std::string> texts;
        std::vector<int> versions(docs.size(), 1), lines(docs.size());
        for (int d : docs) {
          texts.push_back(docText(d));
          client.notify("textDocument/didOpen", {{"textDocument", {{"uri", docUri(dir, d)}, {"languageId", "python"}, {"version", 1}, {"text", texts.back()}}}});
          lines[texts.size() - 1] = static_cast<int>(std::count(texts.back().begin(), texts.back().end(), '\n'));
        }
        const int myEdits = n.edits / kConnections;
        for (int e = 0; e < myEdits; ++e) {
          const std::size_t k = static_cast<std::size_t>(e) % docs.size();
          const std::string added = "def edit_" + std::to_string(e) + "(y):\n    return y\n";
          json change = {{"range", {{"start", {{"line", lines[k]}, {"character", 0}}}, {"end", {{"line", lines[k]}, {"character", 0}}}}},
                         {"text", added}};
          client.notify("textDocument/didChange", {{"textDocument", {{"uri", docUri(dir, docs[k])}, {"version", ++versions[k]}}},
                                                   {"contentChanges", json::array({change})}});
          texts[k] += added;
          lines[k] += 2;
          ++edits;
          if (e % 5 == 4) lat.add(client.ping());
        }
        // Nothing dropped: the symbols of each document end with its last edit.
        for (std::size_t k = 0; k < docs.size(); ++k) {
          json r = client.request("textDocument/documentSymbol", {{"textDocument", {{"uri", docUri(dir, docs[k])}}}});
          std::size_t expected = 8 + static_cast<std::size_t>(versions[k] - 1);
          if (r.contains("result") && r["result"].is_array() && r["result"].size() == expected) ++verified;
        }
        requests += client.requests;
        answered += client.answered;
        client.request("shutdown");
      } catch (const std::exception& e) {
        failed = true;
        std::lock_guard lock(errMu);
        if (firstError.empty()) firstError = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = msSince(t0) / 1000;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%d documents, %d connections, %ld edits in %.1f s (%.0f edits/s); %ld/%ld requests answered; %ld/%d documents end exactly as edited",
                n.documents, kConnections, edits.load(), secs, edits / secs, answered.load(), requests.load(), verified.load(), n.documents);
  report = buf;
  if (failed) report += "; FAILED: " + firstError;
  return !failed && verified == n.documents && answered == requests;
}

// Phase 2: n.tasks tasks started at once on one connection; pings on another.
bool tasksPhase(int port, const fs::path& project, const Sizes& n, Latencies& lat, std::string& report) {
  Client tasks(port), pinger(port);
  const std::string root = "file://" + project.string();
  tasks.initialize({{"rootUri", root}, {"capabilities", {{"experimental", {{"cadre", {{"approvals", true}}}}}}}});
  pinger.initialize({{"capabilities", json::object()}});
  std::mutex mu;
  std::vector<std::string> finals;
  std::vector<double> durations;
  tasks.onNotification = [&](const json& m) {
    if (m["method"] != "cadre/task.event") return;
    const auto& p = m["params"];
    if (p["kind"] != "status") return;
    const std::string s = p["data"].value("status", "");
    if (s == "ready" || s == "failed" || s == "cancelled" || s == "no-change") {
      std::lock_guard lock(mu);
      finals.push_back(s == "failed" ? "failed: " + p["data"].value("message", "") : s);
    }
  };
  const auto t0 = Clock::now();
  for (int i = 0; i < n.tasks; ++i) {
    json r = tasks.request("cadre/task.start", {{"task", "load" + std::to_string(i)}, {"prompt", "Write notes.txt."}});
    if (!r.contains("result")) {
      report = "task.start failed: " + r.dump();
      return false;
    }
  }
  std::atomic<bool> done{false};
  std::thread pinging([&] {
    while (!done) {
      lat.add(pinger.ping());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::string error;
  try {
    while (true) {
      {
        std::lock_guard lock(mu);
        if (static_cast<int>(finals.size()) == n.tasks) break;
      }
      if (msSince(t0) > 300000) throw std::runtime_error("tasks did not finish within 300 s");
      tasks.next(300000 - msSince(t0));
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mu);
    if (static_cast<int>(finals.size()) != n.tasks) error = e.what();
  }
  const double secs = msSince(t0) / 1000;
  done = true;
  pinging.join();
  const long ready = std::count(finals.begin(), finals.end(), "ready");
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d tasks at once, %ld ready, all finished in %.1f s; %ld/%ld pings answered", n.tasks, ready, secs, pinger.answered,
                pinger.requests);
  report = buf;
  for (const auto& f : finals)
    if (f != "ready") report += "; " + f;
  if (!error.empty()) report += "; FAILED: " + error;
  return error.empty() && ready == n.tasks && pinger.answered == pinger.requests;
}

void generateTree(const fs::path& root, int files) {
  for (int i = 0; i < files; ++i) {
    const fs::path dir = root / ("pkg" + std::to_string(i / 500)) / ("mod" + std::to_string((i / 50) % 10));
    if (i % 50 == 0) fs::create_directories(dir);
    std::ofstream out(dir / ("f" + std::to_string(i) + (i % 3 == 0 ? ".py" : i % 3 == 1 ? ".ts" : ".c")));
    const std::string n = std::to_string(i);
    if (i % 3 == 0) {
      out << "import os\nfrom pkg0.mod0 import f0\n\nclass Thing" << n << ":\n    def run(self, x):\n        return os.path.join(x, '" << n
          << "')\n\ndef helper_" << n << "(a, b):\n    return a + b\n";
    } else if (i % 3 == 1) {
      out << "import { helper } from './util';\n\nexport class Widget" << n << " {\n  render(x: number): string {\n    return helper(x) + '" << n
          << "';\n  }\n}\n\nexport function make" << n << "(): Widget" << n << " {\n  return new Widget" << n << "();\n}\n";
    } else {
      out << "#include <stdio.h>\n#include \"util.h\"\n\nstruct rec" << n << " { int a; int b; };\n\nint sum" << n
          << "(struct rec" << n << " *r) {\n  return r->a + r->b;\n}\n";
    }
  }
}

// Phase 3: a session whose root is a generated tree indexes it in the
// background; pings on the same connection every 10 ms until the index's
// progress ends.
bool indexPhase(int port, const fs::path& tree, const Sizes& n, Latencies& lat, std::string& report) {
  Client client(port);
  std::atomic<bool> ended{false};
  std::string endMessage;
  client.onNotification = [&](const json& m) {
    if (m["method"] == "$/progress" && m["params"]["value"].value("kind", "") == "end") {
      endMessage = m["params"]["value"].value("message", "");
      ended = true;
    }
  };
  const auto t0 = Clock::now();
  client.initialize({{"rootUri", "file://" + tree.string()}, {"capabilities", {{"window", {{"workDoneProgress", true}}}}}});
  std::string error;
  try {
    while (!ended) {
      if (msSince(t0) > 600000) throw std::runtime_error("indexing did not finish within 600 s");
      lat.add(client.ping());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d generated files: \"%s\" after %.1f s, serving meanwhile; %ld/%ld pings answered", n.files, endMessage.c_str(),
                msSince(t0) / 1000, client.answered, client.requests);
  report = buf;
  if (!error.empty()) report += "; FAILED: " + error;
  return error.empty() && endMessage.find("files indexed") != std::string::npos && client.answered == client.requests;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_load CADRE [--quick]\n");
    return 2;
  }
  const std::string cadre = fs::absolute(argv[1]).string();
  Sizes n;
  if (argc > 2 && std::string(argv[2]) == "--quick") n = Sizes{200, 2000, 10, 5000};
  bench::TempDir tmp;
  const fs::path home = tmp.path / "home", project = tmp.path / "project", tree = tmp.path / "tree", docs = tmp.path / "docs";
  fs::create_directories(home / "config" / "cadre");
  fs::create_directories(project);
  fs::create_directories(docs);
  std::ofstream(project / "notes.txt") << "notes\n";

  // The scripted model server: every task's planner, executor and reviewer
  // answer by turn, so ten tasks can share them.
  const fs::path scenario = tmp.path / "scenario.json", portFile = tmp.path / "model.port";
  json write = {{"name", "write_file"}, {"arguments", {{"path", "notes.txt"}, {"content", "notes, rewritten\n"}}}};
  std::ofstream(scenario) << json{{"models",
                                   {{"plan-model", {{"by_turn", {{{"text", "```json\n{\"steps\": [{\"title\": \"rewrite notes.txt\", \"files\": [\"notes.txt\"]}], "
                                                                        "\"criteria\": [\"notes.txt rewritten\"]}\n```"}}}}}},
                                    {"exec-model", {{"by_turn", {{{"tool_calls", {write}}}, {{"text", "Done."}}}}}},
                                    {"review-model", {{"by_turn", {{{"text", "{\"approved\": true, \"findings\": []}"}}}}}}}}}
                                .dump();
  Process models({"python3", std::string(CADRE_SOURCE_DIR) + "/tests/support/models/scripted_openai.py", "--scenario", scenario.string(), "--log",
                  (tmp.path / "requests.jsonl").string(), "--port-file", portFile.string()},
                 {"PATH=/usr/bin:/bin"}, tmp.path / "models.log");
  for (int i = 0; i < 200 && !fs::exists(portFile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::string modelPort;
  std::ifstream(portFile) >> modelPort;
  const std::string base = "http://127.0.0.1:" + modelPort + "/v1";
  json models_ = json::object();
  for (const char* m : {"plan", "exec", "review"}) models_[m] = {{"api", "openai"}, {"baseUrl", base}, {"model", std::string(m) + "-model"}};
  std::ofstream(home / "config" / "cadre" / "config.json")
      << json{{"models", models_},
              {"roles", {{"planner", {"plan"}}, {"executor", {"exec"}}, {"reviewer", {"review"}}, {"coordinator", {"exec"}}, {"worker", {"exec"}}}}}
             .dump();

  const auto g0 = Clock::now();
  generateTree(tree, n.files);
  std::printf("load: generated %d files in %.1f s\n", n.files, msSince(g0) / 1000);

  const int port = freePort();
  std::vector<std::string> env = {"HOME=" + home.string(), "XDG_CONFIG_HOME=" + (home / "config").string(),
                                  "XDG_STATE_HOME=" + (home / "state").string(), "PATH=" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")};
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"})
    if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
  Process server({cadre, "serve", "--tcp", "127.0.0.1:" + std::to_string(port)}, env, tmp.path / "cadre.log");
  bool up = false;
  for (int i = 0; i < 400 && !up; ++i) {
    try {
      Client probe(port);
      up = true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  if (!up) {
    std::fprintf(stderr, "load: cadre did not listen on port %d\n", port);
    return 1;
  }
  const long fdsAtStart = openFds(server.pid);

  bool ok = true;
  struct Phase {
    const char* name;
    std::function<bool(Latencies&, std::string&)> run;
  };
  const std::vector<Phase> phases = {
      {"documents", [&](Latencies& l, std::string& r) { return documentsPhase(port, docs, n, l, r); }},
      {"tasks", [&](Latencies& l, std::string& r) { return tasksPhase(port, project, n, l, r); }},
      {"index", [&](Latencies& l, std::string& r) { return indexPhase(port, tree, n, l, r); }},
  };
  for (const auto& phase : phases) {
    Latencies lat;
    std::string report;
    bool good = false;
    try {
      good = phase.run(lat, report);
    } catch (const std::exception& e) {
      report += std::string("FAILED: ") + e.what();
    }
    ok = ok && good;
    std::printf("load: %-9s %s\n           %s; cadre RSS %.0f MB (peak so far %.0f MB), %ld fds%s\n", phase.name, report.c_str(), lat.summary().c_str(),
                statusKb(server.pid, "VmRSS:") / 1024.0, statusKb(server.pid, "VmHWM:") / 1024.0, openFds(server.pid), good ? "" : "  <-- FAILED");
    std::fflush(stdout);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the server notices closed connections
  std::printf("load: cadre peak RSS %.0f MB; fds %ld at start, %ld at the end; %s\n", statusKb(server.pid, "VmHWM:") / 1024.0, fdsAtStart,
              openFds(server.pid), ok ? "nothing dropped" : "FAILED");
  return ok ? 0 : 1;
}
