// libgit2: blobs for the files, HEAD's tree updated with them, a commit on
// top of HEAD, and a branch ref — nothing else in the repository changes.
#include "server/workspace/git_branch.hpp"

#include <git2.h>
#include <sys/stat.h>

#include <memory>

#include "server/workspace/git_handles.hpp"
#include "support/files.hpp"

namespace cadre::workspace {
namespace fs = std::filesystem;

namespace {

template <class T, void (*git::Api::*Free)(T*)>
struct Handle {
  T* p = nullptr;
  ~Handle() {
    if (p) (git::api().*Free)(p);
  }
};

Error gitError(const std::string& what) {
  const git_error* e = git::api().error_last();
  return makeError(ErrorCode::RequestFailed, what + (e && e->message ? std::string(": ") + e->message : std::string()));
}

}  // namespace

Expected<BranchCommit> commitToNewBranch(const fs::path& workTree, const std::string& branch, const std::string& message,
                                         const std::vector<fs::path>& files) {
  if (const auto& loaded = git::load(); !loaded) return loaded.error();
  int valid = 0;
  if (git::api().branch_name_is_valid(&valid, branch.c_str()) != 0 || !valid)
    return makeError(ErrorCode::InvalidParams, "'" + branch + "' is not a valid branch name");
  if (message.empty()) return makeError(ErrorCode::InvalidParams, "a commit message is needed");
  Handle<git_repository, &git::Api::repository_free> repo;
  if (git::api().repository_open_ext(&repo.p, workTree.c_str(), 0, nullptr) != 0)
    return gitError(workTree.string() + " is not in a git repository");
  if (git::api().repository_is_bare(repo.p)) return makeError(ErrorCode::InvalidParams, "the repository is bare");
  const fs::path root = fs::path(git::api().repository_workdir(repo.p)).lexically_normal();
  {
    Handle<git_reference, &git::Api::reference_free> existing;
    if (git::api().branch_lookup(&existing.p, repo.p, branch.c_str(), GIT_BRANCH_LOCAL) == 0)
      return makeError(ErrorCode::InvalidParams, "a branch named '" + branch + "' already exists");
  }
  Handle<git_commit, &git::Api::commit_free> head;
  {
    git_oid headId;
    if (git::api().reference_name_to_id(&headId, repo.p, "HEAD") != 0) return gitError("the repository has no commit to branch from");
    if (git::api().commit_lookup(&head.p, repo.p, &headId) != 0) return gitError("cannot read HEAD");
  }
  Handle<git_tree, &git::Api::tree_free> baseTree;
  if (git::api().commit_tree(&baseTree.p, head.p) != 0) return gitError("cannot read HEAD's tree");

  BranchCommit out;
  out.branch = branch;
  out.base = git::api().oid_tostr_s(git::api().commit_id(head.p));
  std::vector<std::string> paths;
  std::vector<git_tree_update> updates;
  for (const auto& f : files) {
    std::string rel = f.lexically_normal().lexically_relative(root).generic_string();
    if (rel.empty() || rel == "." || rel.rfind("..", 0) == 0 || rel.rfind(".git/", 0) == 0)
      return makeError(ErrorCode::InvalidParams, f.string() + " is not in the repository's working tree");
    paths.push_back(rel);
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    git_tree_update u{};
    u.path = paths[i].c_str();
    struct stat st {};
    if (::lstat(files[i].c_str(), &st) != 0) {
      // Deleted by the apply. A path HEAD does not have needs no removal.
      Handle<git_tree_entry, &git::Api::tree_entry_free> entry;
      if (git::api().tree_entry_bypath(&entry.p, baseTree.p, u.path) != 0) continue;
      u.action = GIT_TREE_UPDATE_REMOVE;
    } else {
      std::string content;
      if (!S_ISREG(st.st_mode) || !readWholeFile(files[i], content))
        return makeError(ErrorCode::IoError, "cannot read " + files[i].string());
      if (git::api().blob_create_from_buffer(&u.id, repo.p, content.data(), content.size()) != 0)
        return gitError("cannot store " + paths[i]);
      u.action = GIT_TREE_UPDATE_UPSERT;
      u.filemode = (st.st_mode & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
    }
    updates.push_back(u);
    out.files.push_back(paths[i]);
  }
  if (updates.empty()) return makeError(ErrorCode::InvalidParams, "nothing to commit: none of the files differs from HEAD");
  git_oid treeId;
  if (git::api().tree_create_updated(&treeId, repo.p, baseTree.p, updates.size(), updates.data()) != 0)
    return gitError("cannot build the tree");
  if (git::api().oid_equal(&treeId, git::api().tree_id(baseTree.p)))
    return makeError(ErrorCode::InvalidParams, "nothing to commit: the files are as HEAD has them");
  Handle<git_tree, &git::Api::tree_free> tree;
  if (git::api().tree_lookup(&tree.p, repo.p, &treeId) != 0) return gitError("cannot read the new tree");
  Handle<git_signature, &git::Api::signature_free> sig;
  if (git::api().signature_default(&sig.p, repo.p) != 0 && git::api().signature_now(&sig.p, "cadre", "cadre@localhost") != 0)
    return gitError("cannot make a signature");
  git_oid commitId;
  const git_commit* parents[] = {head.p};
  if (git::api().commit_create(&commitId, repo.p, nullptr, sig.p, sig.p, nullptr, message.c_str(), tree.p, 1, parents) != 0)
    return gitError("cannot create the commit");
  Handle<git_reference, &git::Api::reference_free> ref;
  Handle<git_commit, &git::Api::commit_free> created;
  if (git::api().commit_lookup(&created.p, repo.p, &commitId) != 0) return gitError("cannot read the new commit");
  if (git::api().branch_create(&ref.p, repo.p, branch.c_str(), created.p, 0) != 0) return gitError("cannot create the branch");
  out.commit = git::api().oid_tostr_s(&commitId);
  return out;
}

}  // namespace cadre::workspace
