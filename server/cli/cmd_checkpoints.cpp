// `cadre checkpoints list|create|diff|restore|prune|gc`: the project's
// checkpoints from the shell — the same store the editor session writes per
// agent step, kept in cadre's state directory, never in the project's .git.
// A restore shows what it will change and asks on the terminal (--yes skips
// the question); the writes go through one RestoreWriter, so routing them
// through the security Gate is a change of that one object.
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/cli/args.hpp"
#include "server/cli/terminal_approver.hpp"
#include "server/core/checkpoint_access.hpp"
#include "server/core/config.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"
#include "server/workspace/checkpoints.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using workspace::Checkpoint;
using workspace::CheckpointStore;

constexpr const char* kUsage = R"(Usage: cadre checkpoints list [DIR] [--json]
       cadre checkpoints create [DIR] [-m MESSAGE] [--json]
       cadre checkpoints diff [DIR] [FROM [TO]] [--stat] [--json] [-- PATH...]
       cadre checkpoints restore [DIR] CHECKPOINT [PATH...] [--yes] [--dry-run] [--json]
       cadre checkpoints prune [DIR] [--keep N] [--max-age DAYS] [--json]
       cadre checkpoints gc [DIR] [--full] [--json]

Snapshots of the project in DIR (default: the current directory), taken by
cadre per agent step and on request. They are kept in cadre's state directory
($XDG_STATE_HOME/cadre/<project>/checkpoints.git) and never touch the
project's own .git. Ignored files (.gitignore), deny-listed files (.env, keys…)
and files over 5 MiB are not stored; see docs/checkpoints.md.

  list      the checkpoints, newest first
  create    take a checkpoint now (nothing is created when nothing changed)
  diff      FROM (default: latest) against TO (default: the files as they are now)
  restore   bring files back to CHECKPOINT: changed and deleted files are
            written, files created since are deleted (only under PATH… when
            given); asks first, and takes a checkpoint of the current state so
            the restore can be undone
  prune     drop old checkpoints (default: checkpoints.keepLast and
            checkpoints.maxAgeDays of the config: the last 50 and 14 days)
  gc        pack loose objects; --full repacks everything and frees what
            pruned checkpoints held

A CHECKPOINT is its number (12 or #12), a prefix of its id, `latest` or
`latest~N`. A DIR named like a checkpoint number needs a slash (./12) or --dir.

Options:
  --dir DIR       the project (instead of a first argument)
  -m MESSAGE      create: the checkpoint's message (default "manual checkpoint")
  --stat          diff: per-file counts instead of the patch
  --yes           restore: do not ask
  --dry-run       restore: show what would change, change nothing
  --json          machine-readable output
)";

std::string iso(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string human(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else if (bytes < (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  else if (bytes < (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / 1073741824.0);
  return buf;
}

json toJson(const Checkpoint& c) {
  return json{{"seq", c.seq},
              {"id", c.id},
              {"time", iso(c.timeMs)},
              {"timeMs", c.timeMs},
              {"message", c.message},
              {"metadata", c.metadata},
              {"tree", c.tree},
              {"files", c.files},
              {"bytes", c.bytes},
              {"filesChanged", c.filesChanged},
              {"bytesChanged", c.bytesChanged},
              {"skipped", c.skipped}};
}

json toJson(const std::vector<workspace::SkippedFile>& skipped) {
  json out = json::array();
  for (const auto& s : skipped) out.push_back({{"path", s.path}, {"reason", workspace::toString(s.reason)}, {"size", s.size}});
  return out;
}

void printJson(const json& j) { std::puts(j.dump(2, ' ', false, json::error_handler_t::replace).c_str()); }

// One line for the table: no control characters, cut at a character boundary.
std::string oneLine(const std::string& s, std::size_t maxChars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') break;
    if ((c & 0xc0) != 0x80 && ++chars > maxChars) {
      out += "…";
      break;
    }
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  return out;
}

std::string label(const Checkpoint& c) {
  std::string s = "#" + std::to_string(c.seq) + " " + c.id.substr(0, 12) + " (" + iso(c.timeMs) + ", " + oneLine(c.message, 60) + ")";
  return s;
}

// The command line around the store: where the project is, how to open its
// checkpoints, and what kind of output.
struct Context {
  fs::path root;
  bool json = false;
};

Expected<CheckpointStore> openStore(const fs::path& root) {
  // The deny-list of the project's and the user's config applies as it does
  // everywhere: a checkpoint never stores, and a restore never writes, .env.
  // So do its checkpoints.* limits (size cap, prune policy).
  core::LoadedConfig config = core::loadConfig({root});
  return core::openCheckpointStore(root, config.config, true);
}

int failWith(const char* sub, const Error& e) {
  std::fprintf(stderr, "cadre checkpoints %s: %s\n", sub, e.message.c_str());
  return e.code == ErrorCode::InvalidParams ? 1 : 2;
}

int runList(CheckpointStore& store, const Context& ctx) {
  auto all = store.list();
  if (!all) return failWith("list", all.error());
  if (ctx.json) {
    json out = json::array();
    for (const auto& c : *all) out.push_back(toJson(c));
    printJson(out);
    return 0;
  }
  if (all->empty()) {
    std::puts("no checkpoints yet (cadre takes one per agent step; `cadre checkpoints create` takes one now)");
    return 0;
  }
  std::printf("%5s  %-12s  %-20s  %6s  %8s  %10s  %s\n", "SEQ", "ID", "TIME (UTC)", "FILES", "CHANGED", "SIZE", "MESSAGE");
  for (const auto& c : *all) {
    std::string message = oneLine(c.message, 60);
    if (auto t = c.metadata.find("task"); t != c.metadata.end()) {
      message += "  [task " + oneLine(t->second, 20);
      if (auto s = c.metadata.find("step"); s != c.metadata.end()) message += " step " + oneLine(s->second, 8);
      message += "]";
    }
    std::string time = iso(c.timeMs);
    time[10] = ' ';
    time.pop_back();
    std::printf("%5llu  %-12s  %-20s  %6zu  %8zu  %10s  %s\n", static_cast<unsigned long long>(c.seq), c.id.substr(0, 12).c_str(), time.c_str(),
                c.files, c.filesChanged, human(c.bytes).c_str(), message.c_str());
  }
  return 0;
}

int runCreate(CheckpointStore& store, const Context& ctx, const std::string& message) {
  auto r = store.create(message, {{"source", "cli"}});
  if (!r) return failWith("create", r.error());
  if (ctx.json) {
    printJson({{"created", r->created},
               {"checkpoint", toJson(r->checkpoint)},
               {"skipped", toJson(r->skipped)},
               {"stats",
                {{"filesScanned", r->stats.filesScanned},
                 {"filesHashed", r->stats.filesHashed},
                 {"objectsWritten", r->stats.objectsWritten},
                 {"seconds", r->stats.seconds}}}});
    return 0;
  }
  const Checkpoint& c = r->checkpoint;
  if (r->created) {
    std::printf("checkpoint #%llu %s: %zu file%s changed (%s); %zu files, %s\n", static_cast<unsigned long long>(c.seq), c.id.substr(0, 12).c_str(),
                c.filesChanged, c.filesChanged == 1 ? "" : "s", human(c.bytesChanged).c_str(), c.files, human(c.bytes).c_str());
  } else {
    std::printf("nothing changed since checkpoint #%llu %s\n", static_cast<unsigned long long>(c.seq), c.id.substr(0, 12).c_str());
  }
  for (const auto& s : r->skipped) std::printf("  skipped %s (%s, %s)\n", s.path.c_str(), workspace::toString(s.reason), human(s.size).c_str());
  return 0;
}

int runDiff(CheckpointStore& store, const Context& ctx, const std::vector<std::string>& specs, const std::vector<std::string>& paths, bool stat) {
  workspace::DiffOptions options;
  options.paths = paths;
  options.patch = !stat;
  const std::string from = specs.empty() ? "latest" : specs[0];
  const std::string to = specs.size() > 1 ? specs[1] : "";
  auto d = store.diff(from, to, options);
  if (!d) return failWith("diff", d.error());
  if (ctx.json) {
    json files = json::array();
    for (const auto& f : d->files)
      files.push_back({{"path", f.path}, {"status", std::string(1, f.status)}, {"additions", f.additions}, {"deletions", f.deletions}, {"binary", f.binary}});
    json out{{"from", d->fromLabel}, {"to", d->toLabel}, {"files", files}, {"additions", d->additions}, {"deletions", d->deletions}};
    if (!stat) out["patch"] = d->patch;
    printJson(out);
    return 0;
  }
  if (stat) {
    for (const auto& f : d->files) {
      if (f.binary) std::printf(" %c %s (binary)\n", f.status, f.path.c_str());
      else std::printf(" %c %s  +%zu -%zu\n", f.status, f.path.c_str(), f.additions, f.deletions);
    }
    std::printf(" %zu file%s changed, %zu insertion%s(+), %zu deletion%s(-)\n", d->files.size(), d->files.size() == 1 ? "" : "s", d->additions,
                d->additions == 1 ? "" : "s", d->deletions, d->deletions == 1 ? "" : "s");
    return 0;
  }
  std::fwrite(d->patch.data(), 1, d->patch.size(), stdout);
  return 0;
}

std::string describePlan(const workspace::RestorePlan& plan) {
  std::string text;
  for (const auto& f : plan.files) {
    const char* what = !f.content ? "delete " : !f.base ? "create " : "write  ";
    text += std::string("    ") + what + f.path + "\n";
  }
  for (const auto& k : plan.kept) text += "    keep   " + k.path + " (" + workspace::toString(k.reason) + ": never touched by a restore)\n";
  for (const auto& r : plan.refused) text += "    refuse " + r + " (deny-listed)\n";
  return text;
}

// Shows the plan and asks on the terminal before anything is written; then
// writes through the plain writer. (The editor session's writer asks through
// the Gate instead.)
class ConfirmingWriter : public workspace::RestoreWriter {
 public:
  ConfirmingWriter(fs::path root, std::string what, bool ask) : plain_(std::move(root)), what_(std::move(what)), ask_(ask) {}
  Expected<std::vector<std::string>> apply(const workspace::RestorePlan& plan) override {
    if (plan.files.empty()) return std::vector<std::string>{};
    if (ask_) {
      security::ApprovalRequest request;
      request.kind = security::ApprovalKind::Edit;
      request.why = what_;
      for (const auto& f : plan.files) request.paths.push_back(f.path);
      request.diff = describePlan(plan);
      TerminalApprover approver;
      auto answer = approver.ask(request, nullptr);
      if (!answer) return answer.error();
      if (answer->choice == security::ApprovalChoice::Deny) return makeError(ErrorCode::RequestCancelled, "restore declined; nothing was changed");
    }
    return plain_.apply(plan);
  }

 private:
  workspace::PlainRestoreWriter plain_;
  std::string what_;
  bool ask_;
};

int runRestore(CheckpointStore& store, const Context& ctx, const std::vector<std::string>& args, bool yes, bool dryRun) {
  if (args.empty()) return usageError("restore needs a checkpoint", kUsage);
  auto target = store.resolve(args[0]);
  if (!target) return failWith("restore", target.error());
  workspace::RestoreOptions options;
  options.dryRun = dryRun;
  // Paths are given relative to where the command runs; the store takes them
  // relative to the project.
  std::error_code ec;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const fs::path abs = fs::weakly_canonical(fs::absolute(args[i]), ec);
    const fs::path rel = abs.lexically_relative(ctx.root);
    if (ec || rel.empty() || rel.native().rfind("..", 0) == 0) {
      std::fprintf(stderr, "cadre checkpoints restore: %s is not inside %s\n", args[i].c_str(), ctx.root.c_str());
      return 2;
    }
    options.paths.push_back(rel.generic_string());
  }
  const bool interactive = !yes && !dryRun;
  if (interactive) {
    // The question goes to the controlling terminal (TerminalApprover):
    // without one, say how to go on before anything is scanned or written.
    const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0) {
      std::fprintf(stderr, "cadre checkpoints restore: there is no terminal to ask; pass --yes to restore without asking\n");
      return 2;
    }
    ::close(tty);
  }
  ConfirmingWriter writer(ctx.root, "restore checkpoint " + label(*target), interactive);
  auto r = store.restore(args[0], writer, options);
  if (!r) {
    if (r.error().code == ErrorCode::RequestCancelled) {
      std::fprintf(stderr, "cadre checkpoints restore: %s\n", r.error().message.c_str());
      return 1;
    }
    return failWith("restore", r.error());
  }
  if (ctx.json) {
    json files = json::array();
    for (const auto& f : r->plan.files) files.push_back({{"path", f.path}, {"action", !f.content ? "delete" : !f.base ? "create" : "write"}});
    json out{{"target", toJson(r->target)}, {"dryRun", dryRun}, {"files", files}, {"kept", toJson(r->plan.kept)},
             {"refused", r->plan.refused}, {"changed", r->changed}};
    if (r->before) {
      out["before"] = toJson(*r->before);
      out["beforeCreated"] = r->beforeCreated;
    }
    printJson(out);
    return 0;
  }
  if (r->plan.files.empty()) {
    std::printf("nothing to restore: the files already match checkpoint %s\n", label(r->target).c_str());
    if (!r->plan.kept.empty() || !r->plan.refused.empty()) std::fputs(describePlan(r->plan).c_str(), stdout);
    return 0;
  }
  if (dryRun) {
    std::printf("restoring checkpoint %s would change:\n%s", label(r->target).c_str(), describePlan(r->plan).c_str());
    return 0;
  }
  std::printf("restored %zu file%s to checkpoint %s\n", r->changed.size(), r->changed.size() == 1 ? "" : "s", label(r->target).c_str());
  if (r->before) {
    std::printf("the files as they were are checkpoint #%llu%s (undo: cadre checkpoints restore %llu)\n",
                static_cast<unsigned long long>(r->before->seq), r->beforeCreated ? ", taken just now" : "",
                static_cast<unsigned long long>(r->before->seq));
  }
  return 0;
}

int runPrune(CheckpointStore& store, const Context& ctx, std::optional<std::size_t> keep, std::optional<std::int64_t> maxAgeDays) {
  // The configured policy (checkpoints.keepLast, maxAgeDays), unless overridden here.
  workspace::PrunePolicy policy = core::checkpointPrunePolicy(core::loadConfig({ctx.root}).config.checkpoints);
  if (keep) policy.keepLast = *keep;
  if (maxAgeDays) policy.maxAgeSeconds = *maxAgeDays * 24 * 3600;
  auto r = store.prune(policy);
  if (!r) return failWith("prune", r.error());
  if (ctx.json) {
    json removed = json::array();
    for (const auto& c : r->removed) removed.push_back(toJson(c));
    printJson({{"removed", removed}, {"kept", r->kept}});
    return 0;
  }
  std::printf("pruned %zu checkpoint%s, kept %zu (`cadre checkpoints gc --full` frees their space)\n", r->removed.size(),
              r->removed.size() == 1 ? "" : "s", r->kept);
  return 0;
}

int runGc(CheckpointStore& store, const Context& ctx, bool full) {
  auto r = store.gc(full);
  if (!r) return failWith("gc", r.error());
  const workspace::DiskUsage u = store.diskUsage();
  if (ctx.json) {
    printJson({{"full", r->full},
               {"objectsPacked", r->objectsPacked},
               {"looseRemoved", r->looseRemoved},
               {"packsRemoved", r->packsRemoved},
               {"disk", {{"bytes", u.bytes}, {"allocated", u.allocated}, {"packs", u.packs}, {"looseObjects", u.looseObjects}}}});
    return 0;
  }
  std::printf("%s: packed %zu objects, removed %zu loose objects and %zu old packs; the store now takes %s\n", r->full ? "full gc" : "gc",
              r->objectsPacked, r->looseRemoved, r->packsRemoved, human(u.allocated).c_str());
  return 0;
}

// What `resolve` could take for a checkpoint: a number, #number, an id
// prefix, latest[~N]. A directory named like that needs a slash.
bool looksLikeCheckpoint(const std::string& s) {
  if (s.find('/') != std::string::npos || s == "." || s == "..") return false;
  if (s == "latest" || s == "last" || s == "HEAD" || s.rfind("latest~", 0) == 0 || s.rfind("HEAD~", 0) == 0) return true;
  std::string_view v = s;
  if (!v.empty() && v[0] == '#') v.remove_prefix(1);
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos) return true;
  return s.size() >= 4 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

bool parseCount(const std::string& s, std::int64_t& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(s);
  return true;
}

}  // namespace

int runCheckpoints(Args& args) {
  if (args.done()) return usageError("checkpoints needs a subcommand: list, create, diff, restore, prune or gc", kUsage);
  const std::string sub = args.take();
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (sub != "list" && sub != "create" && sub != "diff" && sub != "restore" && sub != "prune" && sub != "gc")
    return usageError("unknown checkpoints subcommand: " + sub, kUsage);

  Context ctx;
  std::optional<std::string> dir;
  std::string message = "manual checkpoint";
  bool stat = false, yes = false, dryRun = false, full = false, afterDashes = false;
  std::optional<std::size_t> keep;
  std::optional<std::int64_t> maxAge;
  std::vector<std::string> positional, paths;
  while (!args.done()) {
    std::string a = args.take();
    if (afterDashes) {
      paths.push_back(a);
    } else if (a == "--") {
      afterDashes = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--json") {
      ctx.json = true;
    } else if (a == "--dir") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--dir needs a directory", kUsage);
      dir = *v;
    } else if (a == "-m" || a == "--message") {
      auto v = args.value();
      if (!v) return usageError(a + " needs a message", kUsage);
      message = *v;
    } else if (a == "--stat") {
      stat = true;
    } else if (a == "--yes" || a == "-y") {
      yes = true;
    } else if (a == "--dry-run" || a == "-n") {
      dryRun = true;
    } else if (a == "--full") {
      full = true;
    } else if (a == "--keep" || a == "--max-age") {
      auto v = args.value();
      std::int64_t n = 0;
      if (!v || !parseCount(*v, n)) return usageError(a + " needs a number", kUsage);
      if (a == "--keep") keep = static_cast<std::size_t>(n);
      else maxAge = n;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return usageError("unknown option for checkpoints " + sub + ": " + a, kUsage);
    } else {
      positional.push_back(a);
    }
  }
  // The project: --dir, or a first argument that names a directory.
  std::error_code ec;
  if (!dir && !positional.empty()) {
    const std::string& first = positional.front();
    const bool takesCheckpoint = sub == "diff" || sub == "restore";
    if (fs::is_directory(first, ec) && (!takesCheckpoint || !looksLikeCheckpoint(first))) {
      dir = first;
      positional.erase(positional.begin());
    }
  }
  if ((sub == "list" || sub == "create" || sub == "prune" || sub == "gc") && !positional.empty())
    return usageError("unexpected argument for checkpoints " + sub + ": " + positional.front(), kUsage);
  if (sub == "diff" && positional.size() > 2) return usageError("diff takes at most two checkpoints (paths go after --)", kUsage);
  const std::string where = dir.value_or(".");
  if (!fs::is_directory(where, ec)) {
    std::fprintf(stderr, "cadre checkpoints %s: not a directory: %s\n", sub.c_str(), where.c_str());
    return 2;
  }
  ctx.root = fs::canonical(where, ec);
  auto store = openStore(ctx.root);
  if (!store) return failWith(sub.c_str(), store.error());

  if (sub == "list") return runList(*store, ctx);
  if (sub == "create") return runCreate(*store, ctx, message);
  if (sub == "diff") return runDiff(*store, ctx, positional, paths, stat);
  if (sub == "restore") {
    for (const auto& p : paths) positional.push_back(p);
    return runRestore(*store, ctx, positional, yes, dryRun);
  }
  if (sub == "prune") return runPrune(*store, ctx, keep, maxAge);
  return runGc(*store, ctx, full);
}

}  // namespace cadre::cli
