// Runs a piece of work in a child process, so that a collector that crashes (a sanitizer
// report, a signal) or hangs is reported as a failure of that collector and the run goes
// on.
#pragma once

#include "harness/isolation/layer.h"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace gcfuzz {

// The child's end of the pipe: the work reports to the parent line by line.
class ChildChannel {
 public:
  explicit ChildChannel(int fd) : fd_(fd) {}
  void send(std::string_view line);  // REQUIRES: no '\n' in line
  void end();                        // the work, or one request of a server, is done

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

// A child that serves requests one after another, so that many pieces of work share one
// fork: under AddressSanitizer a fork of this process costs tens of milliseconds, most of it
// copy-on-write faults in the child. The child is forked at the first request, lives until
// a request crashes or hangs it, and is replaced at the next one; it is killed with the
// server. A request sees what earlier requests left in the child's memory, as the traces of
// a campaign's worker do.
class ChildServer {
 public:
  // In the child: handles one request, reporting line by line.
  using Serve = std::function<void(std::string_view request, ChildChannel&)>;
  explicit ChildServer(Serve serve);
  ~ChildServer();
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  // Sends `request` and passes the lines of its answer to `on_line`. `finished` when the
  // child handled it; otherwise the child is gone, and the outcome says how it ended.
  ChildOutcome exchange(std::string_view request, std::chrono::milliseconds quiet_limit,
                        const std::function<void(std::string_view line)>& on_line);

 private:
  void start();
  void stop();
  bool send_request(std::string_view request);

  Serve serve_;
  pid_t pid_ = -1;
  int requests_ = -1, lines_ = -1, errors_ = -1;
  std::string pending_;  // a partial line
};

}  // namespace gcfuzz
