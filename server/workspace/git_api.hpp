// libgit2, loaded when the first checkpoint, merge or branch commit needs it
// instead of linked. Linked, it made every cadre command (`cadre --version`,
// `cadre index`, `cadre map`) pay the dynamic loader for libgit2 and the
// 14 libraries it pulls in (mbedTLS, libssh2, Kerberos, PCRE2,
// http-parser...): 1.3 ms of the ~5 ms a process took to start. See
// models/curl_api.hpp, the same for libcurl.
//
// Api holds exactly the functions cadre calls, typed from <git2.h> (a
// mismatch with the header is a compile error), named without the git_
// prefix: git::api().tree_lookup(...). Entry points (CheckpointStore::open,
// mergeThreeWay, commitToNewBranch) call load() first and turn its error
// into theirs; code behind them calls api().
//
// libgit2 stays initialized from the load to the end of the process:
// git_libgit2_init is reference counted, and the shutdown that the last
// reference triggers deletes the key of libgit2's per-thread state, so any
// other thread that had used libgit2 (one error message is enough) then
// leaks that state when it exits (the intermittent LeakSanitizer report
// from the server driven by e2e/vscode). Never dlclose'd either.
#pragma once

#include <git2.h>
#include <git2/sys/repository.h>  // git_repository_set_config

#include "support/expected.hpp"

// Every libgit2 function cadre calls, without its git_ prefix.
#define CADRE_LIBGIT2_FUNCTIONS(X) \
  X(blob_create_from_buffer) X(blob_free) X(blob_lookup) X(blob_rawcontent) X(blob_rawsize) X(branch_create) \
  X(branch_lookup) X(branch_name_is_valid) X(buf_dispose) X(commit_create) X(commit_free) X(commit_id) \
  X(commit_lookup) X(commit_message) X(commit_time) X(commit_tree) X(commit_tree_id) \
  X(config_add_file_ondisk) X(config_free) X(config_new) X(config_open_ondisk) X(config_set_bool) \
  X(config_set_int32) X(config_set_string) X(diff_free) X(diff_get_delta) X(diff_num_deltas) \
  X(diff_tree_to_tree) X(error_last) X(index_add) X(index_checksum) X(index_entrycount) X(index_free) \
  X(index_get_byindex) X(index_open) X(index_read) X(index_remove) X(index_set_version) X(index_write) \
  X(libgit2_init) X(merge_file) X(merge_file_result_free) X(odb_exists_ext) X(odb_free) X(odb_object_data) \
  X(odb_object_free) X(odb_object_size) X(odb_read) X(odb_read_header) X(odb_refresh) X(oid_equal) \
  X(oid_fromstr) X(oid_tostr_s) X(packbuilder_free) X(patch_free) X(patch_from_diff) X(patch_line_stats) \
  X(patch_to_buf) X(refdb_compress) X(refdb_free) X(reference_create) X(reference_delete) X(reference_free) \
  X(reference_iterator_free) X(reference_iterator_glob_new) X(reference_lookup) X(reference_name) \
  X(reference_name_to_id) X(reference_next) X(reference_target) X(repository_free) X(repository_init_ext) \
  X(repository_is_bare) X(repository_odb) X(repository_open_ext) X(repository_refdb) X(repository_set_config) \
  X(repository_set_head_detached) X(repository_workdir) X(revwalk_free) X(signature_default) \
  X(signature_free) X(signature_now) X(tree_create_updated) X(tree_entry_byindex) X(tree_entry_bypath) \
  X(tree_entry_filemode_raw) X(tree_entry_free) X(tree_entry_id) X(tree_entry_name) X(tree_entry_type) \
  X(tree_entrycount) X(tree_free) X(tree_id) X(tree_lookup)

namespace cadre::workspace::git {

struct Api {
#define CADRE_LIBGIT2_SLOT(name) decltype(&::git_##name) name = nullptr;
  CADRE_LIBGIT2_FUNCTIONS(CADRE_LIBGIT2_SLOT)
#undef CADRE_LIBGIT2_SLOT
};

// Loads and initializes libgit2 once, from any thread; later calls return
// the first call's result. The error names the library and what it lacks.
const Expected<const Api*>& load();

// The loaded library. Only behind an entry point that checked load():
// called before (a bug), it stops the process with load()'s error.
const Api& api();

}  // namespace cadre::workspace::git
