// Path-grouped delta repacking; see checkpoint_repack.hpp.
#include "server/workspace/checkpoint_repack.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_map>

#include "server/workspace/git_handles.hpp"
#include "server/workspace/git_oid.hpp"
#include "support/parallel_for.hpp"

namespace cadre::workspace {
namespace {

using git::ObjectId;
using git::fromGit;
using git::toGit;
using git::ObjectType;

// A group's versions are read, deltified and compressed together; groups go
// to the workers in batches of about this many bytes.
constexpr std::uint64_t kRepackBatchBytes = 64u << 20;


struct Item {
  ObjectId id;
  ObjectType type;
};

class Collector {
 public:
  explicit Collector(const RepackRequest& r) : r_(r) {}

  Expected<void> commit(const ObjectId& id) {
    const git_oid o = toGit(id);
    git_commit* c = nullptr;
    if (git::api().commit_lookup(&c, r_.repo, &o) != 0) return git::lastError("cannot read checkpoint " + id.hex());
    git::CommitPtr owned(c);
    if (reached_.insert(id).second && wanted(id)) groups_.push_back({Item{id, ObjectType::Commit}});
    return tree(fromGit(*git::api().commit_tree_id(c)), "");
  }

  Expected<void> tree(const ObjectId& id, const std::string& path) {
    if (!reached_.insert(id).second) return {};
    if (wanted(id)) add(ObjectType::Tree, path, id);
    const git_oid o = toGit(id);
    git_tree* t = nullptr;
    if (git::api().tree_lookup(&t, r_.repo, &o) != 0) return git::lastError("cannot read tree " + id.hex());
    git::TreePtr owned(t);
    const std::size_t n = git::api().tree_entrycount(t);
    for (std::size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git::api().tree_entry_byindex(t, i);
      const ObjectId child = fromGit(*git::api().tree_entry_id(e));
      const std::string childPath = path.empty() ? git::api().tree_entry_name(e) : path + "/" + git::api().tree_entry_name(e);
      switch (git::api().tree_entry_type(e)) {
        case GIT_OBJECT_TREE:
          if (auto ok = tree(child, childPath); !ok) return ok;
          break;
        case GIT_OBJECT_BLOB:
          if (reached_.insert(child).second && wanted(child)) add(ObjectType::Blob, childPath, child);
          break;
        default:
          break;  // gitlinks: cadre never writes them
      }
    }
    return {};
  }

  std::vector<std::vector<Item>>& groups() { return groups_; }
  std::unordered_set<ObjectId, git::ObjectIdHash>& reached() { return reached_; }

 private:
  bool wanted(const ObjectId& id) const { return !r_.only || r_.only->count(id); }

  void add(ObjectType type, const std::string& path, const ObjectId& id) {
    const std::string key = std::string(type == ObjectType::Tree ? "t:" : "b:") + path;
    auto [it, fresh] = byPath_.emplace(key, groups_.size());
    if (fresh) groups_.emplace_back();
    groups_[it->second].push_back({id, type});
  }

  const RepackRequest& r_;
  std::unordered_set<ObjectId, git::ObjectIdHash> reached_;
  std::unordered_map<std::string, std::size_t> byPath_;
  std::vector<std::vector<Item>> groups_;
};


struct Packed {
  std::vector<git::DeflatedObject> objects;
  std::size_t deltas = 0;
  bool failed = false;
  std::string error;
};

// One path's versions, newest first: the newest whole, each older one a
// delta against the one before it while the chain is short and the delta
// pays (at most half the object).
Packed packGroup(git_odb* odb, const std::vector<Item>& group, std::size_t maxDepth) {
  Packed out;
  std::string previous;
  std::size_t depth = 0;
  for (std::size_t k = 0; k < group.size(); ++k) {
    const git_oid o = toGit(group[k].id);
    git_odb_object* obj = nullptr;
    if (git::api().odb_read(&obj, odb, &o) != 0) {
      out.failed = true;
      out.error = "cannot read object " + group[k].id.hex();
      return out;
    }
    std::string data(static_cast<const char*>(git::api().odb_object_data(obj)), git::api().odb_object_size(obj));
    git::api().odb_object_free(obj);
    std::string delta;
    if (k > 0 && depth < maxDepth && group[k].type != ObjectType::Commit) delta = git::deltaEncode(previous, data, data.size() / 2);
    if (!delta.empty()) {
      out.objects.push_back(git::deflateDelta(delta, group[k].id, group[k - 1].id));
      ++out.deltas;
      ++depth;
    } else {
      out.objects.push_back(git::deflateObject(group[k].type, data, group[k].id));
      depth = 0;
    }
    previous = std::move(data);
  }
  return out;
}

}  // namespace

Expected<RepackResult> repack(const RepackRequest& request) {
  RepackResult result;
  Collector collect(request);
  for (const auto& c : request.commits) {
    if (auto ok = collect.commit(c); !ok) return ok.error();
  }
  for (const auto& t : request.trees) {
    if (auto ok = collect.tree(t, ""); !ok) return ok.error();
  }
  auto& groups = collect.groups();
  result.reachable = std::move(collect.reached());
  if (groups.empty()) return result;

  git_odb* odb = nullptr;
  if (git::api().repository_odb(&odb, request.repo) != 0) return git::lastError("cannot open the object store");
  git::OdbPtr ownedOdb(odb);
  git::PackWriter writer(request.packDir);
  for (std::size_t first = 0; first < groups.size();) {
    // A batch: groups up to about kRepackBatchBytes of objects (sizes from headers).
    std::size_t last = first;
    std::uint64_t bytes = 0;
    while (last < groups.size() && (last == first || bytes < kRepackBatchBytes)) {
      for (const auto& item : groups[last]) {
        std::size_t size = 0;
        git_object_t type;
        const git_oid o = toGit(item.id);
        if (git::api().odb_read_header(&size, &type, odb, &o) == 0) bytes += size;
      }
      ++last;
    }
    std::vector<Packed> packed(last - first);
    parallelFor(last - first, request.threads, [&](std::size_t k) { packed[k] = packGroup(odb, groups[first + k], request.maxDepth); });
    for (auto& p : packed) {
      if (p.failed) return makeError(ErrorCode::IoError, p.error);
      for (const auto& object : p.objects) {
        if (auto ok = writer.add(object); !ok) return ok.error();
      }
      result.deltas += p.deltas;
    }
    first = last;
  }
  result.objects = writer.count();
  result.bytes = writer.bytes();
  auto name = writer.finish();
  if (!name) return name.error();
  result.packName = *name;
  return result;
}

}  // namespace cadre::workspace
