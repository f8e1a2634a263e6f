// The apply transaction. Journal states, in order: "preparing" (temps and
// backups being written; the user's files untouched), "prepared" (renames may
// have started), "committed" (all renames done). Recovery undoes anything not
// committed, from the backups.
#include "server/workspace/apply.hpp"

#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <random>
#include <thread>

#include "server/workspace/git_handles.hpp"
#include "support/files.hpp"

namespace cadre::workspace {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Expected<void> writeDurable(const fs::path& p, const std::string& content, unsigned mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return makeError(ErrorCode::IoError, "cannot create " + p.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      return makeError(ErrorCode::IoError, "cannot write " + p.string() + ": " + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return makeError(ErrorCode::IoError, "cannot fsync " + p.string());
  return {};
}

void syncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// The journal itself is replaced atomically, so it is always one whole state.
Expected<void> writeJournal(const fs::path& txDir, const json& j) {
  const fs::path tmp = txDir / "journal.json.tmp";
  if (auto ok = writeDurable(tmp, j.dump(1), 0600); !ok) return ok;
  if (::rename(tmp.c_str(), (txDir / "journal.json").c_str()) != 0)
    return makeError(ErrorCode::IoError, "cannot write the apply journal in " + txDir.string());
  syncDir(txDir);
  return {};
}

std::optional<std::string> readCurrent(const fs::path& p, unsigned* mode) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return std::nullopt;
  if (mode) *mode = st.st_mode & 07777;
  std::string text;
  if (!S_ISREG(st.st_mode) || !readWholeFile(p, text)) return std::nullopt;
  return text;
}

std::string newTxId() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld-%08x", static_cast<long long>(std::chrono::system_clock::now().time_since_epoch().count()),
                rd());
  return buf;
}

// Removes a transaction's temps and, when `restore` (its backups are complete:
// state "prepared"), puts back what it replaced. In state "preparing" no
// user file was touched yet and a backup may be half-written, so nothing is
// restored from it.
void rollBack(const fs::path& txDir, const json& journal, bool restore, RecoveryReport& report) {
  for (const auto& f : journal.value("files", json::array())) {
    const fs::path path = f.value("path", "");
    const std::string tmp = f.value("tmp", "");
    std::error_code ec;
    if (!tmp.empty()) fs::remove(tmp, ec);
    if (path.empty() || !restore) continue;
    if (f.value("existed", false)) {
      std::string backup;
      if (!readWholeFile(txDir / f.value("backup", ""), backup)) {
        report.notes.push_back("could not read the backup of " + path.string() + "; left as it is");
        continue;
      }
      unsigned mode = f.value("mode", 0644u);
      const fs::path restore = path.parent_path() / (".cadre-restore-" + path.filename().string());
      if (writeDurable(restore, backup, mode) && ::rename(restore.c_str(), path.c_str()) == 0) {
        syncDir(path.parent_path());
      } else {
        report.notes.push_back("could not restore " + path.string());
      }
    } else {
      fs::remove(path, ec);  // the transaction created it
    }
  }
}

}  // namespace

std::optional<std::string> mergeThreeWay(const std::string& base, const std::string& ours, const std::string& theirs) {
  // Without libgit2 nothing merges: treated as overlapping changes, so
  // nothing is applied (the log says why).
  if (const auto& loaded = git::load(); !loaded) {
    spdlog::error("three-way merge unavailable: {}", loaded.error().message);
    return std::nullopt;
  }
  git_merge_file_input a = GIT_MERGE_FILE_INPUT_INIT, o = GIT_MERGE_FILE_INPUT_INIT, t = GIT_MERGE_FILE_INPUT_INIT;
  a.ptr = base.data();
  a.size = base.size();
  o.ptr = ours.data();
  o.size = ours.size();
  t.ptr = theirs.data();
  t.size = theirs.size();
  git_merge_file_result result{};
  if (git::api().merge_file(&result, &a, &o, &t, nullptr) != 0) return std::nullopt;
  std::optional<std::string> out;
  if (result.automergeable) out = std::string(result.ptr, result.len);
  git::api().merge_file_result_free(&result);
  return out;
}

Expected<ApplyOutcome> applyAtomically(std::vector<ApplyFile> files, const ApplyOptions& options) {
  ApplyOutcome outcome;
  // 1. Conflicts and merges against what is on disk now.
  std::string conflicts;
  std::vector<unsigned> modes(files.size(), 0644);
  std::vector<std::optional<std::string>> current(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& f = files[i];
    current[i] = readCurrent(f.path, &modes[i]);
    if (!current[i]) modes[i] = f.mode;
    if (current[i] == f.base) continue;
    if (current[i] == f.content) continue;  // already there (applied by hand)
    if (f.base && f.content && current[i]) {
      if (auto merged = mergeThreeWay(*f.base, *current[i], *f.content)) {
        f.content = std::move(merged);
        outcome.merged.push_back(f.path);
        continue;
      }
      conflicts += "\n  " + f.path.string() + ": changed on disk since the task started, and the changes overlap";
    } else if (!f.base && current[i]) {
      conflicts += "\n  " + f.path.string() + ": the task creates it, but a file of that name now exists";
    } else if (f.base && !current[i]) {
      conflicts += "\n  " + f.path.string() + ": deleted on disk since the task started";
    } else {
      conflicts += "\n  " + f.path.string() + ": changed on disk since the task started, and the task deletes it";
    }
  }
  if (!conflicts.empty())
    return makeError(ErrorCode::RequestFailed, "nothing was applied; these files conflict:" + conflicts);

  // 2. Journal "preparing", then temps beside the targets and backups.
  const std::string tx = newTxId();
  const fs::path txDir = options.journalDir / tx;
  std::error_code ec;
  fs::create_directories(txDir, ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create the apply journal " + txDir.string() + ": " + ec.message());
  json journal = {{"tx", tx}, {"state", "preparing"}, {"files", json::array()}};
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (current[i] == f.content) continue;
    json entry = {{"path", f.path.string()}, {"existed", current[i].has_value()}, {"mode", modes[i]},
                  {"backup", std::to_string(i) + ".old"}};
    if (f.content) entry["tmp"] = (f.path.parent_path() / (".cadre-apply-" + tx + "-" + std::to_string(i))).string();
    journal["files"].push_back(entry);
  }
  if (auto ok = writeJournal(txDir, journal); !ok) return ok.error();
  auto abandon = [&](Error e) {
    RecoveryReport r;
    rollBack(txDir, journal, false, r);  // nothing renamed yet: removes temps only
    fs::remove_all(txDir, ec);
    return e;
  };
  std::size_t k = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (current[i] == f.content) continue;
    const json& entry = journal["files"][k++];
    if (current[i]) {
      if (auto ok = writeDurable(txDir / entry["backup"].get<std::string>(), *current[i], 0600); !ok) return abandon(ok.error());
    }
    if (f.content) {
      fs::create_directories(f.path.parent_path(), ec);
      if (auto ok = writeDurable(entry["tmp"].get<std::string>(), *f.content, modes[i]); !ok) return abandon(ok.error());
    }
  }
  syncDir(txDir);
  journal["state"] = "prepared";
  if (auto ok = writeJournal(txDir, journal); !ok) return abandon(ok.error());

  // 3. Renames into place. From here a crash is rolled back by recovery.
  k = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (current[i] == f.content) continue;
    const json& entry = journal["files"][k++];
    if (f.content) {
      if (::rename(entry["tmp"].get<std::string>().c_str(), f.path.c_str()) != 0) {
        RecoveryReport r;
        rollBack(txDir, journal, true, r);
        fs::remove_all(txDir, ec);
        return makeError(ErrorCode::IoError, "cannot replace " + f.path.string() + ": " + std::strerror(errno) +
                                                 "; the files already replaced were restored");
      }
      outcome.written.push_back(f.path);
    } else {
      ::unlink(f.path.c_str());
      outcome.deleted.push_back(f.path);
    }
    syncDir(f.path.parent_path());
    if (options.pauseAfterEachFileMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.pauseAfterEachFileMs));
  }
  journal["state"] = "committed";
  if (auto ok = writeJournal(txDir, journal); !ok) return ok.error();
  fs::remove_all(txDir, ec);
  return outcome;
}

Expected<RecoveryReport> recoverApplies(const fs::path& journalDir) {
  RecoveryReport report;
  std::error_code ec;
  if (!fs::exists(journalDir, ec)) return report;
  for (auto& entry : fs::directory_iterator(journalDir, ec)) {
    if (!entry.is_directory()) continue;
    const fs::path txDir = entry.path();
    std::string text;
    json journal;
    if (readWholeFile(txDir / "journal.json", text)) journal = json::parse(text, nullptr, false);
    if (journal.is_discarded() || !journal.is_object()) {
      // Died before its first journal write: nothing of the user's was touched.
      fs::remove_all(txDir, ec);
      report.notes.push_back("removed an empty apply journal " + txDir.filename().string());
      continue;
    }
    const std::string state = journal.value("state", "");
    if (state == "committed") {
      ++report.finished;
    } else {
      rollBack(txDir, journal, state == "prepared", report);
      ++report.rolledBack;
      report.notes.push_back("rolled back an unfinished apply of " + std::to_string(journal["files"].size()) + " files (" + state + ")");
    }
    fs::remove_all(txDir, ec);
  }
  return report;
}

}  // namespace cadre::workspace
