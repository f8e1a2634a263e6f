// The memory a local model server holds, for `cadre models bench`: which
// process listens on the endpoint's port (/proc/net/tcp{,6} → socket inode →
// the /proc/<pid>/fd link naming it) and the resident memory of that process
// and its descendants (Ollama and LM Studio load the model in a child
// "runner" process, so the listener alone would miss it). Linux only; GPU
// memory is not resident memory and is not counted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cadre::eval {

struct ProcessMemory {
  int pid = 0;
  std::string name;             // /proc/<pid>/comm
  std::uint64_t rssBytes = 0;   // the process itself (VmRSS)
  std::uint64_t treeBytes = 0;  // with every descendant
  int processes = 0;            // in the tree
};

// The process of this user listening on `port` (TCP, IPv4 or IPv6). Others'
// processes cannot be seen (their /proc/<pid>/fd is closed to us): nullopt.
std::optional<int> pidListeningOn(int port);

// nullopt when the process does not exist (or has gone).
std::optional<ProcessMemory> processMemory(int pid);

// The LISTEN sockets' inodes for `port` in one /proc/net/tcp-format text.
std::vector<unsigned long> listeningInodes(const std::string& procNetTcp, int port);

}  // namespace cadre::eval
