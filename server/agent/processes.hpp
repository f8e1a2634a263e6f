// A task's long-running processes: dev servers, test watchers and REPLs the
// agent starts with start_process. Each runs in a pseudo-terminal inside the
// sandbox (started by the Gate, approved like run_command), its output kept
// in a capped ring buffer and streamed to the client as it arrives. The
// table belongs to the task: destroying it (task end, cancel) kills every
// process tree it holds.
//
// The agent is woken by new output: when the executor ends a turn while a
// watched process printed something it has not seen (a test failing in
// watch mode, a server's stack trace), wakeMessage() returns that output for
// the runner to hand back instead of ending.
//
// Thread safety: every public method may be called from any thread. One
// reader thread per table drains all processes' terminals.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/security/gate.hpp"
#include "server/workspace/shadow.hpp"
#include "support/expected.hpp"

namespace cadre::agent {

struct ProcessLimits {
  // What a process's ring buffer keeps; older output is dropped (and the
  // reader told how much). Dev servers log without end.
  std::size_t ringBytes = 256 * 1024;
  std::size_t maxProcesses = 8;  // per task: each holds a sandbox and a terminal
  // wakeMessage: how long output must pause to count as settled (a test run
  // printing its report), and the longest it waits for that.
  int settleQuietMs = 1000;
  int settleMaxMs = 10000;
  int maxWakes = 8;  // per task, so a chatty server cannot keep the agent busy forever
};

struct ProcessOutput {
  std::string id;
  std::string command;
  std::string text;          // new output since the last read (terminal escapes removed, \r\n → \n)
  std::uint64_t dropped = 0;  // bytes that left the ring before they were read
  bool truncated = false;     // more than the asked maximum was new; the start of it was skipped
  bool running = true;
  std::optional<int> exitCode;
};

class ProcessTable {
 public:
  // `emit` receives one JSON object per chunk of output ({process, text})
  // and one when a process ends ({process, exitCode}): the client's stream.
  explicit ProcessTable(std::function<void(const nlohmann::json&)> emit = {}, ProcessLimits limits = {});
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Adopts a started process; returns its id ("p1", "p2", …).
  Expected<std::string> add(std::unique_ptr<security::SandboxedProcess> process, std::string command, bool watch);
  bool full() const;

  // The output not read yet, waiting up to `waitMs` for some to arrive (and
  // then `quietMs` more for the burst to end). At most `maxBytes` (the newest).
  Expected<ProcessOutput> read(const std::string& id, int waitMs, int quietMs, std::size_t maxBytes,
                               const std::atomic<bool>* cancel);
  Expected<void> send(const std::string& id, std::string_view text);
  // Kills the process tree; returns its exit status (128 + signal when killed).
  Expected<int> stop(const std::string& id);
  void stopAll();

  // For the task runner, when the executor is done: waits for watched
  // processes to settle, then returns a message with the output they printed
  // since the agent last read or was told (empty: nothing new; at most
  // maxWakes times per table).
  std::string wakeMessage(const std::atomic<bool>* cancel);

  nlohmann::json list() const;

  // The copy of the task's shadow workspace the processes run in. Made once
  // (materialized) and then kept current file by file, in place, so a
  // watcher inside sees each edit as it lands (a re-materialization would
  // swap the directory out from under it).
  Expected<std::filesystem::path> tree(const workspace::ShadowWorkspace& shadow, const std::filesystem::path& dir,
                                       const security::PathPolicy& policy);
  void syncTree(const workspace::ShadowWorkspace& shadow, const security::PathPolicy& policy);

 private:
  struct Proc;
  void readerLoop();
  std::shared_ptr<Proc> find(const std::string& id) const;

  std::function<void(const nlohmann::json&)> emit_;
  ProcessLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // new output, a process ended, or stopping
  std::map<std::string, std::shared_ptr<Proc>> procs_;
  int nextId_ = 0;
  int wakes_ = 0;
  bool stopping_ = false;
  std::thread reader_;
  // The processes' tree: its directory, and the content hash of each file
  // written into it since, so an unchanged file is never rewritten (which
  // would wake every watcher for nothing).
  std::mutex treeMu_;
  std::filesystem::path treeDir_;
  std::map<std::filesystem::path, std::size_t> synced_;
};

// Terminal output as text for a model: escape sequences removed, \r\n and
// lone \r (progress bars) resolved, invalid UTF-8 replaced.
std::string terminalText(std::string_view raw);

}  // namespace cadre::agent
