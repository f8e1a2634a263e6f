// See processes.hpp.
#include "server/agent/processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <set>

#include "support/utf8.hpp"

namespace cadre::agent {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr int kReaderTickMs = 100;      // how often the reader looks for ended processes
constexpr std::size_t kReadChunk = 4096;  // one client event at most this big
constexpr std::size_t kWakeBytes = 4096;  // what a wake message quotes; read_output has the rest
}  // namespace

struct ProcessTable::Proc {
  std::string id, command;
  bool watch = false;
  std::unique_ptr<security::SandboxedProcess> process;
  int fd = -1;  // the terminal's master side; -1 once it reported EOF
  std::string ring;           // the newest output, at most limits.ringBytes
  std::uint64_t total = 0;    // bytes ever received; the ring holds [total - ring.size(), total)
  std::uint64_t readAt = 0;   // what the agent has read (read_output)
  std::uint64_t toldAt = 0;   // what a wake message has quoted
  Clock::time_point lastOutput{};
  std::optional<int> exitCode;
  bool stopped = false;       // stop_process (or the task's end) killed it
};

std::string terminalText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\x1b') {
      // CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), or a two-byte escape.
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        i += 2;
        while (i < raw.size() && !(raw[i] >= 0x40 && raw[i] <= 0x7e)) ++i;
      } else if (i + 1 < raw.size() && raw[i + 1] == ']') {
        i += 2;
        while (i < raw.size() && raw[i] != '\a' && !(raw[i] == '\x1b' && i + 1 < raw.size() && raw[i + 1] == '\\')) ++i;
        if (i < raw.size() && raw[i] == '\x1b') ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\r') {
      if (i + 1 < raw.size() && raw[i + 1] == '\n') continue;  // \r\n: the \n follows
      out.resize(lineStart);  // a lone \r rewrites the line (progress bars): keep the last version
      continue;
    }
    if (c == '\b') {
      if (out.size() > lineStart) out.pop_back();
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') continue;
    out.push_back(c);
    if (c == '\n') lineStart = out.size();
  }
  return utf8::sanitize(out);
}

ProcessTable::ProcessTable(std::function<void(const json&)> emit, ProcessLimits limits)
    : emit_(std::move(emit)), limits_(limits), reader_([this] { readerLoop(); }) {}

ProcessTable::~ProcessTable() {
  stopAll();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  reader_.join();
}

bool ProcessTable::full() const {
  std::lock_guard lock(mu_);
  std::size_t running = 0;
  for (const auto& [id, p] : procs_) running += !p->exitCode.has_value();
  return running >= limits_.maxProcesses;
}

Expected<std::string> ProcessTable::add(std::unique_ptr<security::SandboxedProcess> process, std::string command, bool watch) {
  auto p = std::make_shared<Proc>();
  p->command = std::move(command);
  p->watch = watch;
  p->fd = process->stdoutFd();
  p->process = std::move(process);
  p->lastOutput = Clock::now();
  std::lock_guard lock(mu_);
  if (stopping_) return makeError(ErrorCode::RequestCancelled, "the task is ending");
  p->id = "p" + std::to_string(++nextId_);
  procs_[p->id] = p;
  cv_.notify_all();
  return p->id;
}

std::shared_ptr<ProcessTable::Proc> ProcessTable::find(const std::string& id) const {
  auto it = procs_.find(id);
  return it == procs_.end() ? nullptr : it->second;
}

void ProcessTable::readerLoop() {
  std::vector<char> buf(kReadChunk);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::vector<std::shared_ptr<Proc>> live, ended;
    for (auto& [id, p] : procs_) {
      if (p->fd >= 0) live.push_back(p);
      else if (!p->exitCode) ended.push_back(p);
    }
    lock.unlock();
    std::vector<pollfd> fds;
    for (auto& p : live) fds.push_back({p->fd, POLLIN, 0});
    if (fds.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kReaderTickMs / 2));
    } else {
      ::poll(fds.data(), fds.size(), kReaderTickMs);
    }
    std::vector<json> events;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      auto& p = live[i];
      ssize_t n = ::read(p->fd, buf.data(), buf.size());
      if (n > 0) {
        std::string chunk(buf.data(), static_cast<std::size_t>(n));
        std::lock_guard g(mu_);
        p->ring += chunk;
        if (p->ring.size() > limits_.ringBytes) p->ring.erase(0, p->ring.size() - limits_.ringBytes);
        p->total += chunk.size();
        p->lastOutput = Clock::now();
        events.push_back({{"process", p->id}, {"text", utf8::sanitize(chunk)}});
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // EOF, or EIO: every holder of the terminal's slave side is gone.
        std::lock_guard g(mu_);
        p->fd = -1;
        ended.push_back(p);
      }
    }
    for (auto& p : ended) {
      auto code = p->process->exitStatus();
      if (!code) continue;
      std::lock_guard g(mu_);
      p->exitCode = code;
      p->fd = -1;
      events.push_back({{"process", p->id}, {"exitCode", *code}});
    }
    if (emit_)
      for (const auto& e : events) emit_(e);
    lock.lock();
    if (!events.empty()) cv_.notify_all();
  }
}

Expected<ProcessOutput> ProcessTable::read(const std::string& id, int waitMs, int quietMs, std::size_t maxBytes,
                                           const std::atomic<bool>* cancel) {
  std::unique_lock lock(mu_);
  auto p = find(id);
  if (!p) return makeError(ErrorCode::InvalidParams, "no process '" + id + "' (start_process returns the id)");
  const auto deadline = Clock::now() + std::chrono::milliseconds(waitMs);
  // Wait for something new (or the end), then for the burst to pause.
  while (p->total == p->readAt && !p->exitCode && Clock::now() < deadline) {
    if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "cancelled");
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  while (p->total > p->readAt && !p->exitCode && Clock::now() < deadline &&
         Clock::now() - p->lastOutput < std::chrono::milliseconds(quietMs)) {
    if (cancel && cancel->load()) return makeError(ErrorCode::RequestCancelled, "cancelled");
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  ProcessOutput out;
  out.id = p->id;
  out.command = p->command;
  const std::uint64_t ringStart = p->total - p->ring.size();
  std::uint64_t from = p->readAt;
  if (from < ringStart) {
    out.dropped = ringStart - from;
    from = ringStart;
  }
  std::string raw = p->ring.substr(static_cast<std::size_t>(from - ringStart));
  if (raw.size() > maxBytes) {
    out.truncated = true;
    out.dropped += raw.size() - maxBytes;
    raw.erase(0, raw.size() - maxBytes);
  }
  out.text = terminalText(raw);
  p->readAt = p->total;
  // Read to the end, or to its exit: nothing left to wake the agent about.
  p->toldAt = p->exitCode ? UINT64_MAX : std::max(p->toldAt, p->total);
  out.running = !p->exitCode;
  out.exitCode = p->exitCode;
  return out;
}

Expected<void> ProcessTable::send(const std::string& id, std::string_view text) {
  std::shared_ptr<Proc> p;
  {
    std::lock_guard lock(mu_);
    p = find(id);
    if (!p) return makeError(ErrorCode::InvalidParams, "no process '" + id + "' (start_process returns the id)");
    if (p->exitCode) return makeError(ErrorCode::InvalidRequest, "process " + id + " has ended (exit " + std::to_string(*p->exitCode) + ")");
  }
  return p->process->writeInput(text, 2000);
}

Expected<int> ProcessTable::stop(const std::string& id) {
  std::shared_ptr<Proc> p;
  {
    std::lock_guard lock(mu_);
    p = find(id);
    if (!p) return makeError(ErrorCode::InvalidParams, "no process '" + id + "' (start_process returns the id)");
    if (p->exitCode) return *p->exitCode;
  }
  p->process->kill();  // the whole tree: process group, cgroup, pid namespace
  auto code = p->process->exitStatus();
  std::lock_guard lock(mu_);
  p->stopped = true;
  if (!p->exitCode) p->exitCode = code.value_or(137);
  cv_.notify_all();
  return *p->exitCode;
}

void ProcessTable::stopAll() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, p] : procs_) ids.push_back(id);
  }
  for (const auto& id : ids) (void)stop(id);
}

std::string ProcessTable::wakeMessage(const std::atomic<bool>* cancel) {
  std::unique_lock lock(mu_);
  if (wakes_ >= limits_.maxWakes) return {};
  auto watched = [&] {
    std::vector<std::shared_ptr<Proc>> out;
    for (auto& [id, p] : procs_)
      if (p->watch) out.push_back(p);
    return out;
  };
  if (watched().empty()) return {};
  // Let a watcher finish what it is printing (or notice the last edit and
  // start): quiet for settleQuietMs, at most settleMaxMs.
  const auto start = Clock::now();
  const auto quiet = std::chrono::milliseconds(limits_.settleQuietMs);
  while (Clock::now() - start < std::chrono::milliseconds(limits_.settleMaxMs)) {
    if (cancel && cancel->load()) return {};
    auto last = start;
    bool running = false;
    for (auto& p : watched()) {
      running = running || !p->exitCode;
      if (p->lastOutput > last) last = p->lastOutput;
    }
    if (!running || Clock::now() - last >= quiet) break;
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  std::string message;
  for (auto& p : watched()) {
    const std::uint64_t seen = std::min(p->total, std::max(p->readAt, p->toldAt));
    const bool endIsNews = p->exitCode && !p->stopped && p->toldAt != UINT64_MAX;
    if (p->total <= seen && !endIsNews) continue;
    const std::uint64_t ringStart = p->total - p->ring.size();
    std::uint64_t from = std::max(seen, ringStart);
    std::string raw = p->ring.substr(static_cast<std::size_t>(from - ringStart));
    bool cut = false;
    if (raw.size() > kWakeBytes) {
      raw.erase(0, raw.size() - kWakeBytes);
      cut = true;
    }
    const std::string text = terminalText(raw);
    if (text.find_first_not_of(" \n\t") == std::string::npos && !p->exitCode) {
      p->toldAt = p->total;
      continue;
    }
    message += "Process " + p->id + " (`" + p->command + "`) " +
               (p->exitCode ? "ended with exit code " + std::to_string(*p->exitCode) + " after printing" : "printed new output") +
               (cut ? " (the end of it; read_output has more)" : "") + ":\n" + text + (text.empty() || text.back() == '\n' ? "" : "\n");
    p->toldAt = p->exitCode ? UINT64_MAX : p->total;
  }
  if (message.empty()) return {};
  ++wakes_;
  return message + "\nCheck whether your change caused this (read_output shows the process's output), fix what it reports, "
                   "then finish with a summary.";
}

json ProcessTable::list() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& [id, p] : procs_) {
    json j = {{"id", id}, {"command", p->command}, {"running", !p->exitCode}, {"watch", p->watch},
              {"unreadBytes", p->total - p->readAt}};
    if (p->exitCode) j["exitCode"] = *p->exitCode;
    out.push_back(j);
  }
  return out;
}

Expected<fs::path> ProcessTable::tree(const workspace::ShadowWorkspace& shadow, const fs::path& dir,
                                      const security::PathPolicy& policy) {
  {
    std::lock_guard lock(treeMu_);
    if (treeDir_.empty()) {
      auto stats = shadow.materialize(dir, [&](std::string_view rel) {
        return policy.deniedBy(policy.roots().front() / fs::path(rel)).has_value();
      });
      if (!stats) return stats.error();
      treeDir_ = dir;
      for (const auto& c : shadow.changes()) synced_[c.path] = std::hash<std::string>{}(c.content.value_or(std::string("\0deleted", 8)));
      return treeDir_;
    }
  }
  syncTree(shadow, policy);
  return treeDir_;
}

void ProcessTable::syncTree(const workspace::ShadowWorkspace& shadow, const security::PathPolicy& policy) {
  std::lock_guard lock(treeMu_);
  if (treeDir_.empty()) return;
  auto targetOf = [&](const fs::path& path) {
    for (std::size_t r = 0; r < shadow.roots().size(); ++r) {
      auto rel = path.lexically_relative(shadow.roots()[r]);
      if (!rel.empty() && rel.native().rfind("..", 0) != 0) return shadow.materializedRoot(treeDir_, r) / rel;
    }
    return fs::path();
  };
  const auto changes = shadow.changes();
  std::set<fs::path> changed;
  for (const auto& c : changes) {
    changed.insert(c.path);
    const std::size_t hash = std::hash<std::string>{}(c.content.value_or(std::string("\0deleted", 8)));
    auto it = synced_.find(c.path);
    if (it != synced_.end() && it->second == hash) continue;
    const fs::path target = targetOf(c.path);
    if (target.empty() || policy.deniedBy(c.path)) continue;
    std::error_code ec;
    if (c.content) {
      // A new file renamed over the old entry: the old one may be a hard
      // link to the user's own file, which must never be written through.
      fs::create_directories(target.parent_path(), ec);
      const fs::path tmp = target.parent_path() / (".cadre-sync-" + target.filename().string());
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << *c.content;
        if (!out) continue;
      }
      fs::permissions(tmp, static_cast<fs::perms>(c.mode & 0777), ec);
      fs::rename(tmp, target, ec);
      if (ec) continue;
    } else {
      fs::remove(target, ec);
    }
    synced_[c.path] = hash;
  }
  // A change the agent undid (the file is back to the real one): the real
  // file again, linked as the materialization would have.
  for (auto it = synced_.begin(); it != synced_.end();) {
    if (changed.count(it->first)) {
      ++it;
      continue;
    }
    const fs::path target = targetOf(it->first);
    std::error_code ec;
    if (!target.empty()) {
      fs::remove(target, ec);
      if (fs::exists(it->first, ec) && !policy.deniedBy(it->first) && ::link(it->first.c_str(), target.c_str()) != 0)
        fs::copy_file(it->first, target, ec);
    }
    it = synced_.erase(it);
  }
}

}  // namespace cadre::agent
