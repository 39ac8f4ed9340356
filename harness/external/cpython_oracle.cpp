// Finds CPython interpreters and runs traces in them: posix_spawn, three pipes, a poll loop
// with a deadline, then the JSON lines of stdout read back as events.
#include "harness/external/cpython_oracle.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/external/python_script.h"
#include "harness/isolation/serialize.h"
#include "harness/trace/text.h"

extern char** environ;

namespace gcfuzz {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxStderr = 64 * 1024;             // a runaway child cannot fill our memory
constexpr std::size_t kStderrTail = 2000;                 // what an error message quotes
constexpr std::chrono::milliseconds kProbeLimit{15'000};  // a pyenv shim starts slowly

// ---- Running a program: no shell, input on stdin, output captured, a time limit ----

struct ProcessOutcome {
  std::string failure;  // non-empty: the program could not be run, or we lost track of it
  bool timed_out = false;
  int wait_status = 0;
  std::string out;
  std::string err;  // its last kMaxStderr bytes
};

// Closes a descriptor once; -1 means closed.
class Descriptor {
 public:
  Descriptor() = default;
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() { close(); }
  int get() const { return fd_; }
  void reset(int fd) {
    close();
    fd_ = fd;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Descriptor read, write;
};

bool make_pipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
  return true;
}

// Writing to a child that has exited raises SIGPIPE, whose default action would end this
// process. The signal is blocked in this thread while we talk to the child (the child gets
// the original mask back), and one raised by our writes is consumed before unblocking.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_only_);
    sigaddset(&pipe_only_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only_, &original_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_only_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &original_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  const sigset_t& original() const { return original_; }
  const sigset_t& pipe_only() const { return pipe_only_; }

 private:
  sigset_t pipe_only_, original_;
  bool was_pending_ = false;
};

void sleep_briefly() {
  const timespec ten_ms{0, 10'000'000};
  nanosleep(&ten_ms, nullptr);
}

// Waits for `pid` until `deadline`, then kills it; records how it ended in `outcome`.
void reap(pid_t pid, Clock::time_point deadline, ProcessOutcome& outcome) {
  while (true) {
    const pid_t done = ::waitpid(pid, &outcome.wait_status, WNOHANG);
    if (done == pid) return;
    if (done < 0 && errno != EINTR) {
      // ECHILD: someone else reaped it (SIGCHLD ignored, say); its status is unknown.
      outcome.failure = fmt::format("waitpid: {}", std::strerror(errno));
      return;
    }
    if (Clock::now() >= deadline) break;
    sleep_briefly();
  }
  ::kill(pid, SIGKILL);
  outcome.timed_out = true;
  while (::waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
}

ProcessOutcome run_program(const std::vector<std::string>& argv, std::string_view input,
                           std::chrono::milliseconds limit) {
  ProcessOutcome outcome;
  Pipe in, out, err;
  if (!make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    outcome.failure = fmt::format("pipe: {}", std::strerror(errno));
    return outcome;
  }
  SigpipeBlock sigpipe_block;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&attributes, &sigpipe_block.original());
  posix_spawnattr_setsigdefault(&attributes, &sigpipe_block.pipe_only());

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    outcome.failure = fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned));
    return outcome;
  }
  // Our copies of the child's ends must go, or we would never see end-of-file.
  in.read.close();
  out.write.close();
  err.write.close();
  ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  if (input.empty()) in.write.close();

  const auto deadline = Clock::now() + limit;
  std::size_t written = 0;
  char buffer[65536];
  while (out.read.get() >= 0 || err.read.get() >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd fds[3] = {{in.write.get(), POLLOUT, 0},
                     {out.read.get(), POLLIN, 0},
                     {err.read.get(), POLLIN, 0}};  // poll skips negative descriptors
    if (::poll(fds, 3, static_cast<int>(std::min<long long>(left, 1000))) < 0) {
      if (errno == EINTR) continue;
      outcome.failure = fmt::format("poll: {}", std::strerror(errno));
      break;
    }
    if (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
      const ssize_t n = ::write(in.write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // EPIPE: the child stopped reading (it failed early); its stderr says why.
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        in.write.close();
      }
    }
    for (int i = 1; i < 3; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      Descriptor& source = i == 1 ? out.read : err.read;
      const ssize_t n = ::read(source.get(), buffer, sizeof buffer);
      if (n > 0) {
        std::string& sink = i == 1 ? outcome.out : outcome.err;
        sink.append(buffer, static_cast<std::size_t>(n));
        if (i == 2 && sink.size() > 2 * kMaxStderr) sink.erase(0, sink.size() - kMaxStderr);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        source.close();
      }
    }
  }
  // A child we stopped listening to is killed now rather than waited for.
  reap(pid, outcome.timed_out || !outcome.failure.empty() ? Clock::now() : deadline, outcome);
  if (outcome.err.size() > kMaxStderr) outcome.err.erase(0, outcome.err.size() - kMaxStderr);
  return outcome;
}

bool exited_cleanly(const ProcessOutcome& p) {
  return p.failure.empty() && !p.timed_out && WIFEXITED(p.wait_status) &&
         WEXITSTATUS(p.wait_status) == 0;
}

std::string how_it_ended(const ProcessOutcome& p, std::chrono::milliseconds limit) {
  if (!p.failure.empty()) return p.failure;
  if (p.timed_out) return fmt::format("did not finish within {} ms", limit.count());
  if (WIFSIGNALED(p.wait_status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(p.wait_status),
                       ::strsignal(WTERMSIG(p.wait_status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(p.wait_status));
}

std::string tail_of(const std::string& text) {
  std::string_view t(text);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
  if (t.size() > kStderrTail) t = t.substr(t.size() - kStderrTail);
  return std::string(t);
}

// ---- Finding interpreters ----

// Prints "IMPLEMENTATION MAJOR MINOR PATCH HAS_TP_DEL REALPATH"; valid in 2.7 and 3.x.
constexpr const char* kProbe = R"PY(import os, platform, sys
try:
    import _testcapi
    tp_del = hasattr(_testcapi, 'with_tp_del')
except ImportError:
    tp_del = False
v = sys.version_info
sys.stdout.write('%s %d %d %d %d %s\n' % (platform.python_implementation(), v[0], v[1], v[2],
                 int(tp_del), sys.executable and os.path.realpath(sys.executable) or ''))
)PY";

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::vector<fs::path> path_directories() {
  std::vector<fs::path> dirs;
  const char* path = std::getenv("PATH");
  if (!path) return dirs;
  std::stringstream entries(path);
  for (std::string dir; std::getline(entries, dir, ':');) {
    if (!dir.empty()) dirs.emplace_back(dir);  // an empty entry (the working directory) is skipped
  }
  return dirs;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

// python, python2, python3, python2.7, python3.11, ...: what CPython installs on PATH.
bool is_python_name(std::string_view name) {
  if (!name.starts_with("python")) return false;
  name.remove_prefix(6);
  if (name.empty()) return true;
  if (name[0] != '2' && name[0] != '3') return false;
  name.remove_prefix(1);
  if (name.empty()) return true;
  if (name[0] != '.' || name.size() == 1) return false;
  name.remove_prefix(1);
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// pyenv's shims are skipped: each costs a quarter of a second to start, and whatever one can
// run is found anyway, under <root>/versions or further along PATH ("system").
std::vector<fs::path> candidates_on_path(const fs::path& pyenv) {
  std::error_code ec;
  const fs::path shims = fs::weakly_canonical(pyenv / "shims", ec);
  std::vector<fs::path> found;
  for (const fs::path& dir : path_directories()) {
    if (fs::weakly_canonical(dir, ec) == shims) continue;
    for (const fs::path& entry : sorted_entries(dir)) {
      if (is_python_name(entry.filename().string()) && is_executable_file(entry)) {
        found.push_back(entry);
      }
    }
  }
  return found;
}

fs::path pyenv_root() {
  if (const char* root = std::getenv("PYENV_ROOT"); root && *root) return root;
  for (const fs::path& dir : path_directories()) {
    const fs::path pyenv = dir / "pyenv";
    if (!is_executable_file(pyenv)) continue;
    const ProcessOutcome p = run_program({pyenv.string(), "root"}, "", kProbeLimit);
    std::string out = p.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (exited_cleanly(p) && !out.empty()) return out;
    break;
  }
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "") / ".pyenv";
}

std::vector<fs::path> candidates_under_pyenv(const fs::path& root) {
  std::vector<fs::path> found;
  for (const fs::path& version : sorted_entries(root / "versions")) {
    const fs::path python = version / "bin" / "python";
    if (is_executable_file(python)) found.push_back(python);
  }
  return found;
}

std::optional<Interpreter> probe(const fs::path& candidate) {
  const ProcessOutcome p = run_program({candidate.string(), "-E", "-c", kProbe}, "", kProbeLimit);
  if (!exited_cleanly(p)) return std::nullopt;  // a pyenv shim for a version not selected, say
  std::istringstream words(p.out);
  std::string implementation, real_path;
  Interpreter found;
  int tp_del = 0;
  if (!(words >> implementation >> found.major >> found.minor >> found.patch >> tp_del)) {
    return std::nullopt;
  }
  if (implementation != "CPython") return std::nullopt;
  std::getline(words >> std::ws, real_path);
  std::error_code ec;
  found.path = real_path.empty() ? fs::weakly_canonical(candidate, ec) : fs::path(real_path);
  if (found.path.empty()) found.path = candidate;
  found.policy = policy_of_cpython(found.major, found.minor);
  found.legacy_finalizers = found.major == 2 || tp_del != 0;
  return found;
}

}  // namespace

// ---- Public interface ----

Policy policy_of_cpython(int major, int minor) {
  if (major < 3 || (major == 3 && minor <= 3)) return Policy::legacy;
  if (major == 3 && minor <= 8) return Policy::pep442_whole;
  return Policy::pep442;
}

std::optional<Interpreter> probe_interpreter(const fs::path& path) {
  return probe(path);
}

std::string Interpreter::version() const {
  return fmt::format("{}.{}.{}", major, minor, patch);
}

std::vector<Interpreter> find_interpreters() {
  const fs::path root = pyenv_root();
  std::vector<fs::path> candidates = candidates_on_path(root);
  const std::vector<fs::path> pyenv = candidates_under_pyenv(root);
  candidates.insert(candidates.end(), pyenv.begin(), pyenv.end());
  std::map<fs::path, Interpreter> by_real_path;
  for (const fs::path& candidate : candidates) {
    if (std::optional<Interpreter> found = probe(candidate)) {
      by_real_path.try_emplace(found->path, *found);
    }
  }
  std::vector<Interpreter> result;
  for (auto& [path, interpreter] : by_real_path) result.push_back(std::move(interpreter));
  std::sort(result.begin(), result.end(), [](const Interpreter& a, const Interpreter& b) {
    return std::tie(a.major, a.minor, a.patch, a.path) <
           std::tie(b.major, b.minor, b.patch, b.path);
  });
  return result;
}

std::string interpreter_search_places() {
  const char* path = std::getenv("PATH");
  const fs::path root = pyenv_root();
  return fmt::format("python, python2, python3 and pythonX.Y on PATH ({}; not in {}), and {}",
                     path ? path : "unset", (root / "shims").string(),
                     (root / "versions/*/bin/python").string());
}

std::optional<Interpreter> pick_interpreter(const std::vector<Interpreter>& found, int major,
                                            int minor) {
  std::optional<Interpreter> best;
  for (const Interpreter& i : found) {
    if (i.major != major || i.minor != minor) continue;
    if (!best ||
        std::tie(i.legacy_finalizers, i.patch) > std::tie(best->legacy_finalizers, best->patch)) {
      best = i;
    }
  }
  return best;
}

std::optional<Interpreter> find_interpreter(int major, int minor) {
  return pick_interpreter(find_interpreters(), major, minor);
}

OracleResult run_in_python(const Trace& trace, const Interpreter& interpreter,
                           std::chrono::milliseconds limit) {
  return run_events_script(
      {interpreter.path.string(), "-E", "-"}, python_script(trace), trace,
      fmt::format("python {} ({})", interpreter.version(), interpreter.path.string()), limit);
}

std::optional<std::string> program_output(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds limit) {
  ProcessOutcome p = run_program(argv, "", limit);
  if (!exited_cleanly(p)) return std::nullopt;
  return std::move(p.out);
}

OracleResult run_events_script(const std::vector<std::string>& argv, std::string_view script,
                               const Trace& trace, const std::string& who,
                               std::chrono::milliseconds limit) {
  const ProcessOutcome p = run_program(argv, script, limit);
  OracleResult result;
  std::vector<std::string> problems;
  if (!exited_cleanly(p)) problems.push_back(who + " " + how_it_ended(p, limit));

  // Each line is the events of the next op; a partial output is still read, so that an
  // error can say how far the interpreter got.
  std::istringstream lines(p.out);
  std::string line;
  for (std::size_t index = 0; std::getline(lines, line); ++index) {
    if (index >= trace.ops.size()) {
      problems.push_back(fmt::format("{} printed more lines than the trace has ops ({}): {}", who,
                                     trace.ops.size(), line));
      break;
    }
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.at("op").get<std::size_t>() != index) {
        throw std::runtime_error(fmt::format("expected op {}", index));
      }
      if (j.at("text").get<std::string>() != print_op(trace.ops[index])) {
        throw std::runtime_error(
            fmt::format("expected the text of op {}: {}", index, print_op(trace.ops[index])));
      }
      Events events = j.get<Events>();
      events.sort();
      result.per_op.push_back(std::move(events));
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("line {} of {}'s output is not an op's events ({}): {}",
                                     index + 1, who, e.what(), line));
      break;
    }
  }
  if (problems.empty() && result.per_op.size() != trace.ops.size()) {
    problems.push_back(fmt::format("{} printed the events of {} ops, not {}", who,
                                   result.per_op.size(), trace.ops.size()));
  }
  // Anything on stderr (an exception ignored in a finalizer, a Lua warning from an error in
  // __gc, say) means the script did not do what the trace says, even if every line parsed.
  if (problems.empty() && !p.err.empty()) problems.push_back(who + " wrote to stderr");
  if (problems.empty()) return result;

  result.error = problems.front();
  for (std::size_t i = 1; i < problems.size(); ++i) result.error += "; " + problems[i];
  if (!p.err.empty()) result.error += "\n--- its stderr (tail) ---\n" + tail_of(p.err);
  if (!result.error.empty() && result.per_op.size() < trace.ops.size()) {
    result.error +=
        fmt::format("\n(it got through {} of {} ops)", result.per_op.size(), trace.ops.size());
  }
  return result;
}

}  // namespace gcfuzz
