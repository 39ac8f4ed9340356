// fork, two pipes (lines and stderr), poll with a deadline that each line pushes back,
// waitpid; for a server, a socket the requests come down.
#include "harness/isolation/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

namespace gcfuzz {

namespace {

constexpr std::size_t kMaxDiagnostics = 64 * 1024;
constexpr std::string_view kEndLine = "\x04";  // the work (or one request) returned normally

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
}

void flush_everything() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// In the child: stderr goes to the parent, the work runs, the child leaves with _exit.
[[noreturn]] void child_main(int error_fd, int line_fd,
                             const std::function<void(ChildChannel&)>& work) {
  ::dup2(error_fd, STDERR_FILENO);
  ChildChannel channel(line_fd);
  try {
    work(channel);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gcfuzz: uncaught exception: %s\n", e.what());
    ::_exit(3);
  }
  channel.end();
  ::_exit(0);
}

enum class ReadEnd { end_line, closed, timed_out };

// Reads the child's lines and stderr until the end line (when `stop_at_end`), until the
// child has closed both, or until `quiet_limit` passes without a line.
ReadEnd read_child(int fds_in[2], bool stop_at_end, std::chrono::milliseconds quiet_limit,
                   const std::function<void(std::string_view line)>& on_line, std::string& pending,
                   std::string& diagnostics) {
  auto deadline = std::chrono::steady_clock::now() + quiet_limit;
  pollfd fds[2] = {{fds_in[0], POLLIN, 0}, {fds_in[1], POLLIN, 0}};
  bool ended = false;
  char buffer[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (ended && stop_at_end) return ReadEnd::end_line;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return ReadEnd::timed_out;
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int k = 0; k < 2; ++k) {
      pollfd& p = fds[k];
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
      if (n > 0) {
        if (k == 1) {
          if (diagnostics.size() < kMaxDiagnostics) {
            diagnostics.append(buffer, static_cast<std::size_t>(n));
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
        p.fd = -1;  // closed by the caller
      }
    }
  }
  return ended ? ReadEnd::end_line : ReadEnd::closed;
}

// Waits for the child (killed first if it hung) and says how it ended.
ChildOutcome reap(pid_t pid, ReadEnd end, std::chrono::milliseconds quiet_limit,
                  std::string diagnostics) {
  if (end == ReadEnd::timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildOutcome outcome;
  outcome.diagnostics = std::move(diagnostics);
  if (end == ReadEnd::timed_out) {
    outcome.status = ChildOutcome::Status::timed_out;
    outcome.reason = fmt::format("no progress for {} s", quiet_limit.count() / 1000.0);
  } else if (end == ReadEnd::end_line && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
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

// Reads one request, `<size>\n<bytes>`, from the parent; false at the end of the requests.
bool read_request(int fd, std::string& request) {
  std::string size_text;
  char c = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') break;
    size_text += c;
  }
  std::size_t size = 0;
  std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
  request.resize(size);
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::read(fd, request.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void ChildChannel::send(std::string_view line) {
  std::string framed(line);
  framed += '\n';
  write_all(fd_, framed);
}

void ChildChannel::end() {
  send(kEndLine);
}

ChildOutcome run_in_child(const std::function<void(ChildChannel&)>& work,
                          std::chrono::milliseconds quiet_limit,
                          const std::function<void(std::string_view line)>& on_line) {
  flush_everything();
  int line_pipe[2], error_pipe[2];
  make_pipe(line_pipe);
  make_pipe(error_pipe);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(line_pipe[0]);
    ::close(error_pipe[0]);
    child_main(error_pipe[1], line_pipe[1], work);
  }
  ::close(line_pipe[1]);
  ::close(error_pipe[1]);
  int fds[2] = {line_pipe[0], error_pipe[0]};
  std::string pending, diagnostics;
  const ReadEnd end =
      read_child(fds, /*stop_at_end=*/false, quiet_limit, on_line, pending, diagnostics);
  ::close(line_pipe[0]);
  ::close(error_pipe[0]);
  return reap(pid, end, quiet_limit, std::move(diagnostics));
}

ChildServer::ChildServer(Serve serve) : serve_(std::move(serve)) {}

ChildServer::~ChildServer() {
  stop();
}

void ChildServer::stop() {
  if (pid_ < 0) return;
  ::close(requests_);
  ::close(lines_);
  ::close(errors_);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void ChildServer::start() {
  flush_everything();
  int line_pipe[2], error_pipe[2], request_socket[2];
  make_pipe(line_pipe);
  make_pipe(error_pipe);
  // A socket, so that a request sent to a child that died raises no SIGPIPE here.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, request_socket) != 0) {
    throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(line_pipe[0]);
    ::close(error_pipe[0]);
    ::close(request_socket[0]);
    const int requests = request_socket[1];
    child_main(error_pipe[1], line_pipe[1], [&](ChildChannel& channel) {
      for (std::string request; read_request(requests, request);) {
        serve_(request, channel);
        channel.end();
      }
    });
  }
  ::close(line_pipe[1]);
  ::close(error_pipe[1]);
  ::close(request_socket[1]);
  pid_ = pid;
  lines_ = line_pipe[0];
  errors_ = error_pipe[0];
  requests_ = request_socket[0];
  pending_.clear();
}

bool ChildServer::send_request(std::string_view request) {
  std::string framed = fmt::format("{}\n", request.size());
  framed += request;
  std::string_view left = framed;
  while (!left.empty()) {
    const ssize_t n = ::send(requests_, left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

ChildOutcome ChildServer::exchange(std::string_view request, std::chrono::milliseconds quiet_limit,
                                   const std::function<void(std::string_view line)>& on_line) {
  if (pid_ < 0) start();
  if (!send_request(request)) {
    // The child died between two requests, not of this one: a new child takes it.
    stop();
    start();
    if (!send_request(request)) throw std::runtime_error("the child server took no request");
  }
  std::string diagnostics;
  int fds[2] = {lines_, errors_};
  const ReadEnd end =
      read_child(fds, /*stop_at_end=*/true, quiet_limit, on_line, pending_, diagnostics);
  if (end == ReadEnd::end_line) {
    ChildOutcome outcome;
    outcome.diagnostics = std::move(diagnostics);
    return outcome;
  }
  ::close(requests_);
  ::close(lines_);
  ::close(errors_);
  const pid_t pid = pid_;
  pid_ = -1;
  return reap(pid, end, quiet_limit, std::move(diagnostics));
}

}  // namespace gcfuzz
