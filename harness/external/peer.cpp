#include "harness/external/peer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace gcfuzz {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStderrKept = 4096;
constexpr std::size_t kLongestReply = std::size_t{512} << 20;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string quote(std::string_view text) {
  constexpr std::size_t kShown = 200;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return shown;
}

}  // namespace

PeerProcess::PeerProcess(PeerCommand command) : command_(std::move(command)) {}

PeerProcess::~PeerProcess() {
  if (running()) {
    close_fd(in_);  // a well-behaved peer exits at the end of its input
    const Clock::time_point until = Clock::now() + std::chrono::milliseconds(200);
    while (Clock::now() < until && ::waitpid(pid_, nullptr, WNOHANG) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    stop();
  }
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
}

bool PeerProcess::running() const {
  return pid_ > 0 && owner_ == ::getpid();
}

void PeerProcess::start() {
  if (running()) return;
  // A peer inherited from the process this one was forked from stays that process's.
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
  pid_ = -1;
  buffer_.clear();
  stderr_.clear();

  int input[2], output[2], errors[2], exec_error[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input) != 0 ||
      ::pipe2(output, O_CLOEXEC) != 0 || ::pipe2(errors, O_CLOEXEC) != 0 ||
      ::pipe2(exec_error, O_CLOEXEC) != 0) {
    throw PeerFailure(PeerFailure::Kind::exited,
                      fmt::format("cannot create pipes: {}", std::strerror(errno)), "");
  }
  std::vector<char*> argv;
  for (std::string& arg : command_.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string folder = command_.folder.string();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(input[1], 0);
    ::dup2(output[1], 1);
    ::dup2(errors[1], 2);
    int error = 0;
    if (!folder.empty() && ::chdir(folder.c_str()) != 0) {
      error = errno;
    } else {
      ::execvp(argv[0], argv.data());
      error = errno;
    }
    [[maybe_unused]] const ssize_t written = ::write(exec_error[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(input[1]);
  ::close(output[1]);
  ::close(errors[1]);
  ::close(exec_error[1]);
  if (pid < 0) {
    ::close(input[0]);
    ::close(output[0]);
    ::close(errors[0]);
    ::close(exec_error[0]);
    throw PeerFailure(PeerFailure::Kind::exited,
                      fmt::format("cannot fork: {}", std::strerror(errno)), "");
  }
  pid_ = pid;
  owner_ = parent;
  in_ = input[0];
  out_ = output[0];
  err_ = errors[0];
  ::fcntl(out_, F_SETFL, O_NONBLOCK);
  ::fcntl(err_, F_SETFL, O_NONBLOCK);

  int error = 0;
  ssize_t got;
  do {
    got = ::read(exec_error[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(exec_error[0]);
  if (got == sizeof error) {
    stop();
    throw PeerFailure(
        PeerFailure::Kind::exited,
        fmt::format("cannot run {}{}: {}", command_.argv.front(),
                    folder.empty() ? "" : fmt::format(" in {}", folder), std::strerror(error)),
        "");
  }
}

void PeerProcess::stop() {
  if (running()) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
}

std::string PeerProcess::stderr_tail() const {
  return stderr_;
}

void PeerProcess::read_stderr() {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(err_, chunk, sizeof chunk);
    if (n <= 0) return;
    stderr_.append(chunk, static_cast<std::size_t>(n));
    if (stderr_.size() > 2 * kStderrKept) stderr_.erase(0, stderr_.size() - kStderrKept);
  }
}

std::string PeerProcess::exit_description() {
  // Give a peer that closed its output a moment to exit, to report how it ended.
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 50 && done == 0; ++i) {
    done = ::waitpid(pid_, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (done != pid_) return "it closed its output and kept running";
  pid_ = -1;  // reaped
  if (WIFEXITED(status)) return fmt::format("it exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("it was killed by signal {} ({})", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)));
  }
  return "it ended";
}

void PeerProcess::fail(PeerFailure::Kind kind, const std::string& what) {
  if (err_ >= 0) {
    // What the peer said last, up to a short wait for a dying peer's final words.
    pollfd p{err_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) read_stderr();
  }
  std::string tail =
      stderr_.size() > kStderrKept ? stderr_.substr(stderr_.size() - kStderrKept) : stderr_;
  stop();
  throw PeerFailure(kind, what, std::move(tail));
}

void PeerProcess::write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(in_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The peer no longer reads (it exited, most likely): what it wrote before, and how it
      // ended, are told by reading its output, which request() does next.
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void PeerProcess::tell(std::string_view line) {
  if (!running()) return;
  write_all(std::string(line) + "\n");
}

std::string PeerProcess::request(std::string_view line) {
  write_all(std::string(line) + "\n");
  const Clock::time_point deadline = Clock::now() + command_.timeout;
  std::size_t scanned = 0;
  for (;;) {
    if (const std::size_t end = buffer_.find('\n', scanned); end != std::string::npos) {
      std::string reply = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return reply;
    }
    scanned = buffer_.size();
    if (buffer_.size() > kLongestReply) {
      fail(PeerFailure::Kind::exited,
           fmt::format("a reply longer than {} MiB, without a newline", kLongestReply >> 20));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      fail(PeerFailure::Kind::timed_out,
           fmt::format("no answer within {} s{}", command_.timeout.count() / 1000.0,
                       buffer_.empty() ? "" : fmt::format(" (it wrote '{}')", quote(buffer_))));
    }
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    const int ready = ::poll(fds, err_ >= 0 ? 2 : 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) {
      fail(PeerFailure::Kind::exited, fmt::format("poll failed: {}", std::strerror(errno)));
    }
    if (err_ >= 0 && fds[1].revents != 0) {
      read_stderr();
      if (fds[1].revents & (POLLHUP | POLLERR) && !(fds[1].revents & POLLIN)) close_fd(err_);
    }
    if (fds[0].revents == 0) continue;
    // Into a chunk allocated once (a stack array would be poisoned and unpoisoned by
    // AddressSanitizer on every call).
    if (chunk_.empty()) chunk_.resize(65536);
    const ssize_t n = ::read(out_, chunk_.data(), chunk_.size());
    if (n > 0) {
      buffer_.append(chunk_.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      const std::string partial = buffer_.empty() ? "" : fmt::format(" after '{}'", quote(buffer_));
      fail(PeerFailure::Kind::exited,
           fmt::format("the adapter closed its output{}; {}", partial, exit_description()));
    } else if (errno != EAGAIN && errno != EINTR) {
      fail(PeerFailure::Kind::exited, fmt::format("reading failed: {}", std::strerror(errno)));
    }
  }
}

}  // namespace gcfuzz
