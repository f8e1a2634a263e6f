// cadre/checkpoint.create|list|diff|restore: the checkpoints of every
// workspace root (each root has its own store; `root` picks one). A store is
// opened per call (it locks itself, so `cadre checkpoints` in a terminal can
// run at the same time); work runs off the main loop, and the store's
// maintenance (prune by the configured policy, pack merging) runs after the
// reply has gone out. A restore changes real files: the user approves its
// diff through the Gate, and it lands through the same journaled apply as a
// task's change.
#include <spdlog/spdlog.h>

#include "server/core/checkpoint_access.hpp"
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

json checkpointJson(const workspace::Checkpoint& c, const fs::path& root) {
  return {{"id", c.id},     {"seq", c.seq},     {"timeMs", c.timeMs},           {"message", c.message}, {"metadata", c.metadata},
          {"files", c.files}, {"filesChanged", c.filesChanged}, {"bytes", c.bytes}, {"root", pathToUri(root)}};
}

bool isUnder(const fs::path& p, const fs::path& root) {
  auto rel = p.lexically_relative(root).generic_string();
  return !rel.empty() && rel.rfind("..", 0) != 0;
}

std::vector<std::string> relativePaths(const std::vector<std::string>& uris, const fs::path& root, Error& error) {
  std::vector<std::string> out;
  for (const auto& u : uris) {
    auto p = uriToPath(u);
    if (!p) {
      error = p.error();
      return {};
    }
    if (!isUnder(*p, root) && *p != root) {
      error = makeError(ErrorCode::InvalidParams, "params.uris: " + u + " is not in the workspace folder " + pathToUri(root));
      return {};
    }
    out.push_back(*p == root ? "" : p->lexically_relative(root).generic_string());
  }
  // The root itself means "everything".
  if (std::find(out.begin(), out.end(), "") != out.end()) out.clear();
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

// After the reply: prune and merge packs by the configured policy.
void maintainQuietly(workspace::CheckpointStore& store) {
  if (auto m = store.maintain(); !m) spdlog::warn("checkpoint maintenance in {}: {}", store.workTree().string(), m.error().message);
}

}  // namespace

void LspSession::bindCheckpoints() {
  dispatcher_.bind("cadre/checkpoint.create", this, &LspSession::onCheckpointCreate);
  dispatcher_.bind("cadre/checkpoint.list", this, &LspSession::onCheckpointList);
  dispatcher_.bind("cadre/checkpoint.diff", this, &LspSession::onCheckpointDiff);
  dispatcher_.bind("cadre/checkpoint.restore", this, &LspSession::onCheckpointRestore);
}

// The roots a checkpoint request is about: `root` when given (it must be a
// workspace folder), else every root. Empty with `error` set when not.
std::vector<fs::path> LspSession::checkpointRoots(const std::string& rootUri, Error& error) const {
  auto roots = rootPaths();
  if (roots.empty()) {
    error = makeError(ErrorCode::InvalidRequest, "no workspace folder is open");
    return {};
  }
  if (rootUri.empty()) return roots;
  auto wanted = uriToPath(rootUri);
  if (!wanted) {
    error = makeError(ErrorCode::InvalidParams, "params.root: " + wanted.error().message);
    return {};
  }
  for (const auto& r : roots)
    if (r.lexically_normal() == wanted->lexically_normal()) return {r};
  error = makeError(ErrorCode::InvalidParams, "params.root: " + rootUri + " is not a workspace folder");
  return {};
}

// One root for diff and restore: `root`, else the root holding the first of
// `uris`, else the only root, else the one root whose store knows `spec`.
Expected<fs::path> LspSession::checkpointRootFor(const lsp::CheckpointParams& p, const std::string& spec) const {
  Error bad;
  auto roots = checkpointRoots(p.root, bad);
  if (!bad.message.empty()) return bad;
  if (roots.size() == 1) return roots.front();
  if (!p.uris.empty()) {
    if (auto first = uriToPath(p.uris.front())) {
      for (const auto& r : roots)
        if (isUnder(*first, r) || *first == r) return r;
    }
  }
  std::vector<fs::path> knowing;
  for (const auto& r : roots) {
    auto store = openCheckpointStore(r, config_.config, false);
    if (store && store->resolve(spec)) knowing.push_back(r);
  }
  if (knowing.size() == 1) return knowing.front();
  if (knowing.empty()) return makeError(ErrorCode::InvalidParams, "no workspace folder has checkpoint '" + spec + "'");
  return makeError(ErrorCode::InvalidParams, "params.root: several workspace folders have checkpoint '" + spec +
                                                 "'; say which one (a workspace folder's URI)");
}

void LspSession::onCheckpointCreate(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  Error bad;
  auto roots = checkpointRoots(p.root, bad);
  if (!bad.message.empty()) return reply(bad);
  toolThreads_.start([roots, config = config_.config, p, reply]() mutable {
    std::vector<workspace::CheckpointStore> stores;
    json each = json::array();
    for (const auto& root : roots) {
      auto store = openCheckpointStore(root, config, false);
      if (!store) return reply(makeError(store.error().code, root.string() + ": " + store.error().message));
      auto made = store->create(p.message.empty() ? "checkpoint from the editor" : p.message, {{"by", "user"}});
      if (!made) return reply(makeError(made.error().code, root.string() + ": " + made.error().message));
      json skipped = json::array();
      for (const auto& s : made->skipped)
        skipped.push_back({{"path", s.path}, {"reason", workspace::toString(s.reason)}, {"size", s.size}});
      each.push_back({{"root", pathToUri(root)}, {"checkpoint", checkpointJson(made->checkpoint, root)}, {"created", made->created},
                      {"skipped", skipped}, {"filesHashed", made->stats.filesHashed}, {"seconds", made->stats.seconds}});
      stores.push_back(std::move(*store));
    }
    // The first root's fields at the top (what a one-folder client reads),
    // every root's under `roots`.
    json result = each.front();
    result["roots"] = each;
    reply(result);
    for (auto& s : stores) maintainQuietly(s);
  });
}

void LspSession::onCheckpointList(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  Error bad;
  auto roots = checkpointRoots(p.root, bad);
  if (!bad.message.empty()) return reply(bad);
  toolThreads_.start([roots, config = config_.config, reply]() {
    std::vector<std::pair<workspace::Checkpoint, fs::path>> all;
    for (const auto& root : roots) {
      auto store = openCheckpointStore(root, config, false);
      if (!store) return reply(makeError(store.error().code, root.string() + ": " + store.error().message));
      auto list = store->list();
      if (!list) return reply(makeError(list.error().code, root.string() + ": " + list.error().message));
      for (auto& c : *list) all.emplace_back(std::move(c), root);
    }
    // Newest first across the roots, as each store lists its own.
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first.timeMs > b.first.timeMs; });
    json out = json::array();
    for (const auto& [c, root] : all) out.push_back(checkpointJson(c, root));
    reply(json{{"checkpoints", out}});
  });
}

void LspSession::onCheckpointDiff(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  const std::string spec = p.id.empty() ? "latest" : p.id;
  auto root = checkpointRootFor(p, spec);
  if (!root) return reply(root.error());
  Error bad;
  auto paths = relativePaths(p.uris, *root, bad);
  if (!bad.message.empty()) return reply(bad);
  toolThreads_.start([root = *root, config = config_.config, p, spec, paths, reply]() {
    auto store = openCheckpointStore(root, config, false);
    if (!store) return reply(store.error());
    workspace::DiffOptions options;
    options.paths = paths;
    auto d = store->diff(spec, p.to, options);
    if (!d) return reply(d.error());
    json files = json::array();
    for (const auto& f : d->files)
      files.push_back({{"path", f.path}, {"status", std::string(1, f.status)}, {"additions", f.additions}, {"deletions", f.deletions}, {"binary", f.binary}});
    reply(json{{"root", pathToUri(root)}, {"from", d->fromLabel}, {"to", d->toLabel}, {"diff", d->patch}, {"files", files}});
  });
}

void LspSession::onCheckpointRestore(const lsp::CheckpointParams& p, protocol::Callback<json> reply) {
  if (p.id.empty()) return reply(makeError(ErrorCode::InvalidParams, "params.id: which checkpoint to restore"));
  auto root = checkpointRootFor(p, p.id);
  if (!root) return reply(root.error());
  auto ctx = securityContext();
  if (!ctx) return reply(ctx.error());
  Error bad;
  auto paths = relativePaths(p.uris, *root, bad);
  if (!bad.message.empty()) return reply(bad);
  // Each root's journal is where the next start looks for an interrupted apply.
  toolThreads_.start([ctx = *ctx, root = *root, journal = projectStateDir(*root) / "apply-journal", config = config_.config, p,
                      paths, reply]() {
    auto store = openCheckpointStore(root, config, false);
    if (!store) return reply(store.error());
    GateRestoreWriter writer(*ctx->gate, root, journal, reply.token().flag());
    workspace::RestoreOptions options;
    options.paths = paths;
    auto r = store->restore(p.id, writer, options);
    json audit = {{"actor", "user"}, {"checkpoint", p.id}, {"root", root.string()}, {"paths", paths}};
    if (!r) {
      audit["error"] = r.error().message;
      ctx->gate->record(security::audit_kind::kCheckpointRestore, audit);
      return reply(r.error());
    }
    audit["changed"] = r->changed;
    if (r->before) audit["undo"] = r->before->id;
    ctx->gate->record(security::audit_kind::kCheckpointRestore, audit);
    json result = {{"root", pathToUri(root)}, {"checkpoint", checkpointJson(r->target, root)}, {"changed", r->changed}};
    if (r->before) result["undo"] = checkpointJson(*r->before, root);
    reply(result);
    maintainQuietly(*store);
  });
}

}  // namespace cadre::core
