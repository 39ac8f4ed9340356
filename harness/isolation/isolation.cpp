// fork, two pipes (lines and stderr), poll with a deadline that each line pushes back,
// waitpid.
#include "harness/isolation/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

namespace gcfuzz {

namespace {

constexpr std::size_t kMaxDiagnostics = 64 * 1024;
constexpr std::string_view kEndLine = "\x04";  // the work returned normally

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void ChildChannel::send(std::string_view line) {
  std::string framed(line);
  framed += '\n';
  write_all(fd_, framed);
}

ChildOutcome run_in_child(const std::function<void(ChildChannel&)>& work,
                          std::chrono::milliseconds quiet_limit,
                          const std::function<void(std::string_view line)>& on_line) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  int line_pipe[2], error_pipe[2];
  if (::pipe2(line_pipe, O_CLOEXEC) != 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(line_pipe[0]);
    ::close(error_pipe[0]);
    ::dup2(error_pipe[1], STDERR_FILENO);
    ChildChannel channel(line_pipe[1]);
    try {
      work(channel);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gcfuzz: uncaught exception: %s\n", e.what());
      ::_exit(3);
    }
    channel.send(kEndLine);
    ::_exit(0);
  }
  ::close(line_pipe[1]);
  ::close(error_pipe[1]);

  ChildOutcome outcome;
  std::string pending;  // a partial line
  bool ended = false, timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + quiet_limit;
  pollfd fds[2] = {{line_pipe[0], POLLIN, 0}, {error_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
      if (n > 0) {
        if (p.fd != line_pipe[0]) {
          if (outcome.diagnostics.size() < kMaxDiagnostics) {
            outcome.diagnostics.append(buffer, static_cast<std::size_t>(n));
          }
          continue;
        }
        deadline = std::chrono::steady_clock::now() + quiet_limit;
        pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          const std::string_view line(pending.data() + start, nl - start);
          if (line == kEndLine) {
            ended = true;
          } else if (on_line) {
            on_line(line);
          }
        }
        pending.erase(0, start);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (timed_out) {
    outcome.status = ChildOutcome::Status::timed_out;
    outcome.reason = fmt::format("no progress for {} s", quiet_limit.count() / 1000.0);
  } else if (ended && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.status = ChildOutcome::Status::finished;
  } else {
    outcome.status = ChildOutcome::Status::crashed;
    outcome.reason = WIFSIGNALED(status)
                         ? fmt::format("killed by signal {} ({})", WTERMSIG(status),
                                       ::strsignal(WTERMSIG(status)))
                         : fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  return outcome;
}

}  // namespace gcfuzz
