// RAII owners for libgit2 handles (unique_ptr with the matching git_*_free,
// called through the loaded Api), and libgit2's last error as cadre's Error.
// Whoever holds the pointer owns the handle.
#pragma once

#include <git2.h>
#include <git2/sys/repository.h>

#include <memory>
#include <string>

#include "server/workspace/git_api.hpp"
#include "support/expected.hpp"

namespace cadre::workspace::git {

// Free: the Api member that frees a T.
template <class T, void (*Api::*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) (api().*Free)(p);
  }
};

using RepositoryPtr = std::unique_ptr<git_repository, Deleter<git_repository, &Api::repository_free>>;
using IndexPtr = std::unique_ptr<git_index, Deleter<git_index, &Api::index_free>>;
using ConfigPtr = std::unique_ptr<git_config, Deleter<git_config, &Api::config_free>>;
using OdbPtr = std::unique_ptr<git_odb, Deleter<git_odb, &Api::odb_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<git_tree, &Api::tree_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<git_commit, &Api::commit_free>>;
using BlobPtr = std::unique_ptr<git_blob, Deleter<git_blob, &Api::blob_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Deleter<git_reference, &Api::reference_free>>;
using ReferenceIteratorPtr = std::unique_ptr<git_reference_iterator, Deleter<git_reference_iterator, &Api::reference_iterator_free>>;
using DiffPtr = std::unique_ptr<git_diff, Deleter<git_diff, &Api::diff_free>>;
using PatchPtr = std::unique_ptr<git_patch, Deleter<git_patch, &Api::patch_free>>;
using PackBuilderPtr = std::unique_ptr<git_packbuilder, Deleter<git_packbuilder, &Api::packbuilder_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, Deleter<git_revwalk, &Api::revwalk_free>>;
using RefdbPtr = std::unique_ptr<git_refdb, Deleter<git_refdb, &Api::refdb_free>>;

// "<what>: <libgit2's message>".
inline Error lastError(const std::string& what, ErrorCode code = ErrorCode::IoError) {
  const git_error* e = git::api().error_last();
  return makeError(code, what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

}  // namespace cadre::workspace::git
