// Finding a server's process by its port and reading its memory; see process_memory.hpp.
#include "server/eval/process_memory.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "support/files.hpp"

namespace cadre::eval {
namespace {

bool allDigits(const char* s) {
  if (!*s) return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

std::vector<int> allPids() {
  std::vector<int> out;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d))
      if (allDigits(e->d_name)) out.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  return out;
}

// "VmRSS:   123456 kB" → bytes.
std::uint64_t statusKb(const std::string& status, const char* field) {
  auto at = status.find(field);
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + std::char_traits<char>::length(field), nullptr, 10) * 1024;
}

// The parent pid from /proc/<pid>/stat: after the ")" that ends the command
// name (which may itself hold spaces and parentheses), then the state.
int parentOf(int pid) {
  std::string stat;
  if (!readWholeFile("/proc/" + std::to_string(pid) + "/stat", stat)) return -1;
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 1));
  std::string state;
  int ppid = -1;
  in >> state >> ppid;
  return ppid;
}

}  // namespace

std::vector<unsigned long> listeningInodes(const std::string& text, int port) {
  std::vector<unsigned long> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    std::istringstream f(line);
    std::string sl, local, remote, st, queues, timer, retr, uid, timeout;
    unsigned long inode = 0;
    if (!(f >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
    if (st != "0A") continue;  // TCP_LISTEN
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::strtol(local.c_str() + colon + 1, nullptr, 16) == port && inode != 0) out.push_back(inode);
  }
  return out;
}

std::optional<int> pidListeningOn(int port) {
  std::vector<unsigned long> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::string text;
    if (readWholeFile(table, text))
      for (auto i : listeningInodes(text, port)) inodes.push_back(i);
  }
  if (inodes.empty()) return std::nullopt;
  std::vector<std::string> wanted;
  for (auto i : inodes) wanted.push_back("socket:[" + std::to_string(i) + "]");
  for (int pid : allPids()) {
    const std::string fdDir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(fdDir.c_str());
    if (!d) continue;  // another user's process
    std::optional<int> found;
    while (dirent* e = ::readdir(d)) {
      if (!allDigits(e->d_name)) continue;
      char target[128];
      ssize_t n = ::readlink((fdDir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      for (const auto& w : wanted)
        if (w == target) found = pid;
      if (found) break;
    }
    ::closedir(d);
    if (found) return found;
  }
  return std::nullopt;
}

std::optional<ProcessMemory> processMemory(int pid) {
  std::string status;
  if (pid <= 0 || !readWholeFile("/proc/" + std::to_string(pid) + "/status", status)) return std::nullopt;
  ProcessMemory m;
  m.pid = pid;
  if (readWholeFile("/proc/" + std::to_string(pid) + "/comm", m.name)) {
    while (!m.name.empty() && m.name.back() == '\n') m.name.pop_back();
  }
  m.rssBytes = statusKb(status, "VmRSS:");
  m.treeBytes = m.rssBytes;
  m.processes = 1;
  // Descendants: parent links of every process, then a walk down from pid.
  std::multimap<int, int> children;
  for (int p : allPids())
    if (int pp = parentOf(p); pp > 0) children.emplace(pp, p);
  std::vector<int> stack = {pid};
  while (!stack.empty()) {
    int p = stack.back();
    stack.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      std::string s;
      if (!readWholeFile("/proc/" + std::to_string(it->second) + "/status", s)) continue;
      m.treeBytes += statusKb(s, "VmRSS:");
      ++m.processes;
      stack.push_back(it->second);
    }
  }
  return m;
}

}  // namespace cadre::eval
