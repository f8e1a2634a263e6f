// RAII owners for libgit2 handles (unique_ptr with the matching git_*_free),
// the library's init/shutdown pairing, and libgit2's last error as cadre's
// Error. Whoever holds the pointer owns the handle.
#pragma once

#include <git2.h>
#include <git2/sys/repository.h>

#include <memory>
#include <string>

#include "support/expected.hpp"

namespace cadre::workspace::git {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

using RepositoryPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using IndexPtr = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using ConfigPtr = std::unique_ptr<git_config, Deleter<git_config, git_config_free>>;
using OdbPtr = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using BlobPtr = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using ReferenceIteratorPtr = std::unique_ptr<git_reference_iterator, Deleter<git_reference_iterator, git_reference_iterator_free>>;
using DiffPtr = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;
using PatchPtr = std::unique_ptr<git_patch, Deleter<git_patch, git_patch_free>>;
using PackBuilderPtr = std::unique_ptr<git_packbuilder, Deleter<git_packbuilder, git_packbuilder_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, Deleter<git_revwalk, git_revwalk_free>>;
using RefdbPtr = std::unique_ptr<git_refdb, Deleter<git_refdb, git_refdb_free>>;

// libgit2 stays initialized from the first use to the end of the process.
// git_libgit2_init is reference counted, and the shutdown that the last
// reference triggers deletes the key of libgit2's per-thread state: any
// other thread that had used libgit2 (one error message is enough) then
// leaks that state, 96 bytes plus its message, when it exits. That was the
// intermittent LeakSanitizer report from the server driven by e2e/vscode
// (checkpoint stores come and go while worker threads live on). So the
// first use takes one reference that is never given back; the library's
// globals are small.
inline void keepLibGit2() {
  static const int initialized = git_libgit2_init();
  (void)initialized;
}

// One of these per object that uses libgit2.
class LibGit2 {
 public:
  LibGit2() { keepLibGit2(); }
};

// "<what>: <libgit2's message>".
inline Error lastError(const std::string& what, ErrorCode code = ErrorCode::IoError) {
  const git_error* e = git_error_last();
  return makeError(code, what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

}  // namespace cadre::workspace::git
