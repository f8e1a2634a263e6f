// A one-line progress bar on stderr for long CLI work (indexing). Drawn only
// when stderr is a terminal; otherwise silent, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace cadre::cli {

class ProgressBar {
 public:
  ProgressBar();
  ~ProgressBar();
  void update(std::size_t done, std::size_t total, const std::string& label);
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace cadre::cli
