// A program gcfuzz talks to line by line over its standard input and output: the adapter of
// an out-of-process collector (docs/protocol.md). One request, one reply line, each within a
// time limit; what the program writes to its standard error is kept (the last lines) for
// the report when it fails.
#pragma once

#include "harness/external/layer.h"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gcfuzz {

struct PeerCommand {
  std::vector<std::string> argv;              // argv[0] is looked up on PATH
  std::filesystem::path folder;               // its working folder; empty: gcfuzz's
  std::chrono::milliseconds timeout{30'000};  // for each reply
};

// The peer failed: it exited or closed its output, it did not answer in time, or it could
// not be started. `what()` is one line; `diagnostics` holds the peer's last stderr lines.
class PeerFailure : public std::runtime_error {
 public:
  enum class Kind { exited, timed_out };
  PeerFailure(Kind kind, const std::string& what, std::string diagnostics)
      : std::runtime_error(what), kind(kind), diagnostics(std::move(diagnostics)) {}
  Kind kind;
  std::string diagnostics;
};

class PeerProcess {
 public:
  explicit PeerProcess(PeerCommand command);
  // Closes the peer's input (so that it exits), then kills what is left of its process group.
  // In a process forked after the peer started, only this process's copies of the pipes close:
  // the peer belongs to the process that started it.
  ~PeerProcess();
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  // Starts the program. Throws PeerFailure when it cannot be started.
  void start();
  // Started by this process, and not stopped since.
  bool running() const;
  // Sends one line and returns the reply line (without its newline). Throws PeerFailure; the
  // peer is then stopped.
  std::string request(std::string_view line);
  // Sends one line and expects no reply.
  void tell(std::string_view line);
  // Kills the peer's process group and reaps it.
  void stop();
  // The last lines the peer wrote to its standard error.
  std::string stderr_tail() const;

 private:
  void write_all(std::string_view data);
  [[noreturn]] void fail(PeerFailure::Kind kind, const std::string& what);
  void read_stderr();
  std::string exit_description();

  PeerCommand command_;
  pid_t pid_ = -1;
  pid_t owner_ = -1;         // the process that started the peer
  int in_ = -1;              // the peer's stdin (a socket: no SIGPIPE when the peer is gone)
  int out_ = -1;             // its stdout
  int err_ = -1;             // its stderr
  std::string buffer_;       // stdout read past the last reply
  std::vector<char> chunk_;  // what one read() fills
  std::string stderr_;       // the tail of its stderr
};

}  // namespace gcfuzz
