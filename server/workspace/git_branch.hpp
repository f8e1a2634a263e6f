// The hand-off for a pull request: after an apply, and only when the user
// asks (approved and audited by the caller), the applied files are committed
// to a new branch of the user's own repository — without checking it out,
// and without touching the index, HEAD or the working tree. This is the one
// place cadre writes to a user's .git, and it only adds objects and a ref.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace {

struct BranchCommit {
  std::string branch;
  std::string commit;  // hex id
  std::string base;    // the HEAD commit it starts from
  std::vector<std::string> files;  // repository-relative paths committed (deleted ones included)
};

// `files`: absolute paths inside the repository's working tree; their current
// contents on disk are committed (a missing file is committed as deleted).
// Fails if the branch exists, the name is not a valid branch name, the
// repository has no commit yet, or a path lies outside the working tree.
Expected<BranchCommit> commitToNewBranch(const std::filesystem::path& workTree, const std::string& branch,
                                         const std::string& message, const std::vector<std::filesystem::path>& files);

}  // namespace cadre::workspace
