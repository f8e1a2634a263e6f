// Workers on threads; see coordinator.hpp. A worker that fails stops the
// others (their model calls are cancelled), and the task fails with its
// reason; the user's cancel stops them all.
#include "server/agent/coordinator.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <thread>

#include "server/agent/task.hpp"

namespace cadre::agent {

using nlohmann::json;

namespace {

constexpr const char* kWorkerPrompt =
    "You are one of several workers of cadre, a coding agent; the others work on other parts of the same plan at the "
    "same time, in the same shadow copy of the project. Do only your part. Change files only with edit_file "
    "(SEARCH/REPLACE blocks: a line with the path, <<<<<<< SEARCH, the exact current lines, =======, the new lines, "
    ">>>>>>> REPLACE), write_file, delete_file and rename_file, and only files you hold: your steps' files are yours "
    "already; claim others with claim_files first. A file another worker holds is theirs: do not work around that, "
    "say in your summary what it needs. When your part is done, answer with a short summary and make no tool call.";

std::string kindOf(const json& step) {
  std::string kind = step.is_object() ? step.value("worker", std::string()) : std::string();
  std::string out;
  for (char c : kind)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.size() > 32) out.resize(32);
  return out.empty() ? "implementation" : out;
}

}  // namespace

std::vector<WorkerAssignment> assignWorkers(const json& plan, int maxWorkers) {
  std::vector<WorkerAssignment> out;
  if (!plan.is_object() || !plan.contains("steps") || !plan["steps"].is_array()) return out;
  for (const auto& step : plan["steps"]) {
    const std::string kind = kindOf(step);
    auto it = std::find_if(out.begin(), out.end(), [&](const WorkerAssignment& w) { return w.name == kind; });
    if (it == out.end()) {
      if (static_cast<int>(out.size()) >= std::max(1, maxWorkers)) it = out.begin();
      else it = out.insert(out.end(), WorkerAssignment{kind, json::array(), {}});
    }
    it->steps.push_back(step);
    if (step.is_object())
      for (const auto& f : step.value("files", json::array()))
        if (f.is_string() && std::find(it->files.begin(), it->files.end(), f.get<std::string>()) == it->files.end())
          it->files.push_back(f.get<std::string>());
  }
  if (out.size() < 2) out.clear();
  return out;
}

std::optional<Expected<std::string>> TaskRunner::runWorkers(const json& plan, const std::atomic<bool>* cancel) {
  auto workers = assignWorkers(plan, options_.maxWorkers);
  if (workers.empty()) return std::nullopt;
  const std::string role = router_.roleModels("worker").empty() ? "executor" : "worker";

  // Each worker holds its steps' files from the start; a file two workers'
  // steps name goes to the first, and the second is told.
  std::vector<std::string> notes(workers.size());
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (const auto& f : workers[i].files) {
      auto c = context_.gate.authorizePath(security::Actor{"", role}, f, security::PathAccess::Write);
      if (!c) {
        notes[i] += "- " + f + ": " + c.error().message + "\n";
        continue;
      }
      if (auto ok = claims_.claim(workers[i].name, {c->canonical}); !ok) notes[i] += "- " + ok.error().message + "\n";
    }
  }
  json announce = json::array();
  for (const auto& w : workers) {
    json titles = json::array();
    for (const auto& s : w.steps) titles.push_back(s.is_object() ? s.value("title", std::string()) : s.dump());
    announce.push_back({{"name", w.name}, {"steps", titles}, {"files", claims_.byWorker()[w.name]}});
  }
  emit("workers", {{"workers", announce}});
  std::string names;
  for (const auto& w : workers) names += (names.empty() ? "" : ", ") + w.name;
  setStatus("executing", "workers: " + names);

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  std::size_t finished = 0;
  std::vector<std::optional<Expected<models::ChatResponse>>> results(workers.size());
  std::vector<Conversation> convs;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& w = workers[i];
    std::string part = "Your part (you are the " + w.name + " worker):\n" + w.steps.dump(2) + "\n";
    auto held = claims_.byWorker()[w.name];
    part += held.empty() ? "You hold no files yet.\n" : "Files you hold: " + json(held).dump() + "\n";
    if (!notes[i].empty()) part += "Not yours:\n" + notes[i];
    Conversation conv{role, w.name,
                      {{models::Role::System, kWorkerPrompt, {}, {}, {}},
                       {models::Role::User,
                        taskContext(role) + "\nThe whole plan:\n" + plan.dump(2) + "\n\n" + part +
                            relevantFiles({{"steps", w.steps}}, windowFor(role) / 5),
                        {}, {}, {}}}};
    conv.route.role = role;
    convs.push_back(std::move(conv));
  }
  const auto tools = toolsFor(false, true);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = toolLoop(convs[i], tools, options_.maxExecutorTurns, &stop);
      if (!r) stop = true;  // one worker failing stops the others
      std::lock_guard lock(mu);
      results[i] = std::move(r);
      ++finished;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    while (finished < workers.size()) {
      if (cancel && cancel->load()) stop = true;
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
  for (auto& t : threads) t.join();

  if (cancel && cancel->load()) return Expected<std::string>(makeError(ErrorCode::RequestCancelled, "the task was cancelled"));
  std::string report;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& r = *results[i];
    if (!r && r.error().code != ErrorCode::RequestCancelled)
      return Expected<std::string>(makeError(r.error().code, "the " + workers[i].name + " worker: " + r.error().message));
  }
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& r = *results[i];
    if (!r) return Expected<std::string>(r.error());
    if (authorModel_.empty()) {
      authorModel_ = r->model;
      authorServed_ = r->servedModel;
    }
    auto held = claims_.byWorker()[workers[i].name];
    report += "- " + workers[i].name + " worker (files " + json(held).dump() + "): " + r->text + "\n";
  }
  return Expected<std::string>(report);
}

}  // namespace cadre::agent
