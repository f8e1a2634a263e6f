// libgit2's lifetime in cadre: once used, it stays initialized, so a worker
// thread that met a libgit2 error does not leak that error's state when it
// ends after the last user of libgit2 has gone (LeakSanitizer, in the test
// command's ASan build, reports the leak if it comes back).
#include <git2.h>

#include <future>
#include <thread>

#include "server/workspace/git_handles.hpp"
#include "tests/support/catch.hpp"

using namespace cadre::workspace;

TEST_CASE("libgit2 outlives its users, so threads that used it end cleanly", "[git]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<bool> failed;
  std::thread worker;
  {
    REQUIRE(git::load());
    worker = std::thread([&failed, released] {
      git_repository* repo = nullptr;
      // An error leaves a message in this thread's libgit2 state.
      failed.set_value(git_repository_open(&repo, "/nonexistent/cadre-libgit2-lifetime") != 0);
      released.wait();
    });
    REQUIRE(failed.get_future().get());
  }
  // cadre holds its reference to the end; the thread ends only now.
  release.set_value();
  worker.join();
  // Another reference, taken and given back, is not the last one.
  const int references = git_libgit2_init();
  git_libgit2_shutdown();
  CHECK(references >= 2);
}
