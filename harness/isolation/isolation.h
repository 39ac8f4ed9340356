// Runs a piece of work in a child process, so that a collector that crashes (a sanitizer
// report, a signal) or hangs is reported as a failure of that collector and the run goes
// on.
#pragma once

#include "harness/isolation/layer.h"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace gcfuzz {

// The child's end of the pipe: the work reports to the parent line by line.
class ChildChannel {
 public:
  explicit ChildChannel(int fd) : fd_(fd) {}
  void send(std::string_view line);  // REQUIRES: no '\n' in line

 private:
  int fd_;
};

struct ChildOutcome {
  enum class Status { finished, crashed, timed_out };
  Status status = Status::finished;
  std::string diagnostics;  // the child's stderr: the sanitizer report, if any (capped)
  std::string reason;       // for crashed or timed_out: what happened, in words
};

// Forks; the child runs `work`. Each line the work sends is passed to `on_line` as it
// arrives. The child is killed when `quiet_limit` passes without a line (a hang).
// `finished` means the work returned normally. Output buffered in this process is flushed
// before forking; the child leaves with _exit, running no atexit handler.
ChildOutcome run_in_child(const std::function<void(ChildChannel&)>& work,
                          std::chrono::milliseconds quiet_limit,
                          const std::function<void(std::string_view line)>& on_line);

}  // namespace gcfuzz
