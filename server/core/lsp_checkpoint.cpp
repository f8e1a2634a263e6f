// cadre/checkpoint.create|list|diff|restore: the first root's checkpoints.
// The store is opened per call (it locks itself, so `cadre checkpoints` in a
// terminal can run at the same time); work runs off the main loop. A restore
// changes real files: the user approves its diff through the Gate, and it
// lands through the same journaled apply as a task's change.
#include <spdlog/spdlog.h>

#include "server/core/lsp_session.hpp"
#include "server/core/security_context.hpp"
#include "server/core/state_paths.hpp"
#include "server/core/uri.hpp"
#include "server/security/audit.hpp"
#include "server/workspace/apply.hpp"
#include "server/workspace/checkpoints.hpp"

namespace cadre::core {

using protocol::json;
namespace fs = std::filesystem;

namespace {

Expected<workspace::CheckpointStore> openStore(const fs::path& root, const std::vector<std::string>& deny) {
  workspace::CheckpointOptions options;
  auto exclude = indexExclusion(root, deny);
  options.exclude = [exclude](std::string_view rel, bool isDirectory, unsigned links) { return exclude(rel, isDirectory, links); };
  return workspace::CheckpointStore::open(projectStateDir(root) / "checkpoints.git", root, std::move(options));
}

json checkpointJson(const workspace::Checkpoint& c) {
  return {{"id", c.id},       {"seq", c.seq},       {"timeMs", c.timeMs},           {"message", c.message},
          {"metadata", c.metadata}, {"files", c.files}, {"filesChanged", c.filesChanged}, {"bytes", c.bytes}};
}

std::vector<std::string> relativePaths(const std::vector<std::string>& uris, const fs::path& root, Error& error) {
  std::vector<std::string> out;
  for (const auto& u : uris) {
    auto p = uriToPath(u);
    if (!p) {
      error = p.error();
      return {};
    }
    auto rel = p->lexically_relative(root).generic_string();
    if (rel.empty() || rel.rfind("..", 0) == 0) {
      error = makeError(ErrorCode::InvalidParams, u + " is not in the workspace");
      return {};
    }
    out.push_back(rel);
  }
  return out;
}

// Lands a restore plan like a task's change: approval of its diff, then one
// journaled transaction.
class GateRestoreWriter : public workspace::RestoreWriter {
 public:
  GateRestoreWriter(security::Gate& gate, fs::path root, fs::path journal, const std::atomic<bool>* cancel)
      : gate_(gate), root_(std::move(root)), journal_(std::move(journal)), cancel_(cancel) {}
  Expected<std::vector<std::string>> apply(const workspace::RestorePlan& plan) override {
    std::vector<std::string> paths, changed;
    std::vector<workspace::ApplyFile> files;
    std::string diff;
    for (const auto& f : plan.files) {
      if (f.kind == workspace::RestoreFile::Kind::Symlink)
        return makeError(ErrorCode::RequestFailed, f.path + " is a symlink in the checkpoint; restore it with `cadre checkpoints restore`");
      const fs::path abs = root_ / f.path;
      paths.push_back(abs.string());
      files.push_back({abs, f.base, f.content, f.kind == workspace::RestoreFile::Kind::Executable ? 0755u : 0644u});
      diff += workspace::unifiedDiff(f.path, f.base.value_or(""), f.content.value_or(""), f.base.has_value(), f.content.has_value());
      changed.push_back(f.path);
    }
    if (files.empty()) return changed;
    auto ok = gate_.authorizeRealEdit(security::Actor{}, paths, diff, "restore a checkpoint", cancel_);
    if (!ok) return ok.error();
    auto applied = workspace::applyAtomically(files, {journal_, 0});
    if (!applied) return applied.error();
    return changed;
  }

 private:
  security::Gate& gate_;
  fs::path root_, journal_;
  const std::atomic<bool>* cancel_;
};

}  // namespace

void LspSession::bindCheckpoints() {
  dispatcher_.bind("cadre/checkpoint.create", this, &LspSession::onCheckpointCreate);
  dispatcher_.bind("cadre/checkpoint.list", this, &LspSession::onCheckpointList);
  dispatcher_.bind("cadre/checkpoint.diff", this, &LspSession::onCheckpointDiff);
  dispatcher_.bind("cadre/checkpoint.restore", this, &LspSession::onCheckpointRestore);
}

void LspSession::onCheckpointCreate(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  auto roots = rootPaths();
  if (roots.empty()) return reply(makeError(ErrorCode::InvalidRequest, "no workspace folder is open"));
  toolThreads_.start([root = roots.front(), deny = config_.config.security.deny, p, reply]() {
    auto store = openStore(root, deny);
    if (!store) return reply(store.error());
    auto made = store->create(p.message.empty() ? "checkpoint from the editor" : p.message, {{"by", "user"}});
    if (!made) return reply(made.error());
    json skipped = json::array();
    for (const auto& s : made->skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
    reply(json{{"checkpoint", checkpointJson(made->checkpoint)}, {"created", made->created}, {"skipped", skipped},
               {"filesHashed", made->stats.filesHashed}, {"seconds", made->stats.seconds}});
  });
}

void LspSession::onCheckpointList(const protocol::NoParams&, protocol::Callback<json> reply) {
  auto roots = rootPaths();
  if (roots.empty()) return reply(makeError(ErrorCode::InvalidRequest, "no workspace folder is open"));
  toolThreads_.start([root = roots.front(), deny = config_.config.security.deny, reply]() {
    auto store = openStore(root, deny);
    if (!store) return reply(store.error());
    auto list = store->list();
    if (!list) return reply(list.error());
    json out = json::array();
    for (const auto& c : *list) out.push_back(checkpointJson(c));
    reply(json{{"checkpoints", out}});
  });
}

void LspSession::onCheckpointDiff(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  auto roots = rootPaths();
  if (roots.empty()) return reply(makeError(ErrorCode::InvalidRequest, "no workspace folder is open"));
  Error bad;
  auto paths = relativePaths(p.uris, roots.front(), bad);
  if (!bad.message.empty()) return reply(bad);
  toolThreads_.start([root = roots.front(), deny = config_.config.security.deny, p, paths, reply]() {
    auto store = openStore(root, deny);
    if (!store) return reply(store.error());
    workspace::DiffOptions options;
    options.paths = paths;
    auto d = store->diff(p.id.empty() ? "latest" : p.id, p.to, options);
    if (!d) return reply(d.error());
    json files = json::array();
    for (const auto& f : d->files)
      files.push_back({{"path", f.path}, {"status", std::string(1, f.status)}, {"additions", f.additions}, {"deletions", f.deletions}, {"binary", f.binary}});
    reply(json{{"from", d->fromLabel}, {"to", d->toLabel}, {"diff", d->patch}, {"files", files}});
  });
}

void LspSession::onCheckpointRestore(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  auto roots = rootPaths();
  if (roots.empty()) return reply(makeError(ErrorCode::InvalidRequest, "no workspace folder is open"));
  if (p.id.empty()) return reply(makeError(ErrorCode::InvalidParams, "params.id: which checkpoint to restore"));
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  Error bad;
  auto paths = relativePaths(p.uris, roots.front(), bad);
  if (!bad.message.empty()) return reply(bad);
  toolThreads_.start([ctx = *ctx, root = roots.front(), deny = config_.config.security.deny, p, paths, reply]() {
    auto store = openStore(root, deny);
    if (!store) return reply(store.error());
    GateRestoreWriter writer(*ctx->gate, root, projectStateDir(root) / "apply-journal", reply.token().flag());
    workspace::RestoreOptions options;
    options.paths = paths;
    auto r = store->restore(p.id, writer, options);
    json audit = {{"actor", "user"}, {"checkpoint", p.id}, {"paths", paths}};
    if (!r) {
      audit["error"] = r.error().message;
      ctx->gate->record(security::audit_kind::kCheckpointRestore, audit);
      return reply(r.error());
    }
    audit["changed"] = r->changed;
    if (r->before) audit["undo"] = r->before->id;
    ctx->gate->record(security::audit_kind::kCheckpointRestore, audit);
    json result = {{"checkpoint", checkpointJson(r->target)}, {"changed", r->changed}};
    if (r->before) result["undo"] = checkpointJson(*r->before);
    reply(result);
  });
}

}  // namespace cadre::core
