// Writes the model's heap in the Graphviz dot language, and renders it with Graphviz.
#include "harness/report/dot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/trace/event_format.h"

extern char** environ;

namespace gcfuzz {

namespace {

// The contents of a dot quoted string: quotes and backslashes escaped, '\n' a centred line
// break.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::string node(ObjectId id) {
  return fmt::format("o{}", id.value);
}

// What an object is drawn as. Several marks combine (a finalized object in trash); the
// legend shows one sample of each mark the graph uses.
enum Mark : unsigned {
  kReachable = 1u << 0,
  kTrash = 1u << 1,
  kFreedNow = 1u << 2,
  kFreedEarlier = 1u << 3,
  kFinalized = 1u << 4,
  kInGarbage = 1u << 5,
  kResurrected = 1u << 6,
  kDiverging = 1u << 7,
};
struct MarkInfo {
  Mark mark;
  std::string_view legend;
};
constexpr MarkInfo kMarks[] = {
    {kReachable, "reachable"},
    {kTrash, "trash: unreachable,\nnot yet freed"},
    {kFreedNow, "freed by this op"},
    {kFreedEarlier, "freed earlier"},
    {kFinalized, "finalized"},
    {kInGarbage, "in garbage"},
    {kResurrected, "resurrected: finalized,\nreachable again"},
    {kDiverging, "diverging: the collector\ndid otherwise"},
};

// Node attributes for a set of marks, strongest last: a diverging object is red whatever
// else it is.
std::string look(unsigned marks) {
  std::vector<std::string> style;
  std::string color = "black", fontcolor = "black", fill;
  if (marks & (kFreedNow | kFreedEarlier)) {
    style.push_back("dotted");
    color = fontcolor = "gray50";
  } else if (marks & kTrash) {
    style.push_back("dashed");
    color = fontcolor = "gray35";
  }
  if (marks & kInGarbage) {
    color = "darkorange";
    fill = "#ffe2b8";
  }
  if (marks & kResurrected) {
    color = "forestgreen";
    fill = "#d6f0cd";
  }
  std::string extra;
  if (marks & kFinalized) extra += " peripheries=2";
  if (marks & kDiverging) {
    color = fontcolor = "red";
    fill = "#ffd8d8";
    extra += " penwidth=2.5";
  }
  if (!fill.empty()) style.push_back("filled");
  std::string joined;
  for (const std::string& s : style) joined += (joined.empty() ? "" : ",") + s;
  std::string out = fmt::format("color={} fontcolor={}", color, fontcolor);
  if (!joined.empty()) out += fmt::format(" style=\"{}\"", joined);
  if (!fill.empty()) out += fmt::format(" fillcolor=\"{}\"", fill);
  return out + extra;
}

template <class T>
bool contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Sorted, without repeats.
std::vector<ObjectId> union_of(const std::vector<ObjectId>& a, const std::vector<ObjectId>& b) {
  std::set<ObjectId> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  return {all.begin(), all.end()};
}

}  // namespace

void mark_divergence(const Divergence& d, const Model& model, DotOptions& options) {
  const std::vector<bool> reachable = model.reachable();
  // An id the model never allocated has no node to mark; the title tells of it.
  auto known = [&](ObjectId id) { return id.value < model.object_count(); };
  auto add = [&](ObjectId id, const std::string& note) {
    std::string& notes = options.diverging[id];
    if (!note.empty()) notes += (notes.empty() ? "" : "\n") + note;
  };
  auto in_the_model = [&](ObjectId id) -> std::string {
    if (model.is_freed(id)) return "already freed in the model";
    return reachable[id.value] ? "reachable in the model" : "trash in the model";
  };
  if (d.expected && d.observed) {
    const Events& e = *d.expected;
    const Events& o = *d.observed;
    // Per object: what only the collector did, and what only the model did.
    std::map<ObjectId, std::vector<std::string>> only_collector, only_model;
    auto compare = [&](const std::vector<ObjectId>& expected, const std::vector<ObjectId>& observed,
                       std::string_view done) {
      for (ObjectId id : union_of(expected, observed)) {
        const auto times_expected = std::count(expected.begin(), expected.end(), id);
        const auto times_observed = std::count(observed.begin(), observed.end(), id);
        if (!known(id) || times_expected == times_observed) continue;
        if (times_expected == 0) {
          // Finalized now by the collector alone, while the model finalized it earlier.
          const bool again = done == "finalized" && model.times_finalized(id) > 0;
          only_collector[id].push_back(again ? "finalized again" : std::string(done));
        } else if (times_observed == 0) {
          only_model[id].emplace_back(done);
        } else {
          only_collector[id].push_back(
              fmt::format("{} {} times (the model: {})", done, times_observed, times_expected));
        }
      }
    };
    compare(e.freed, o.freed, "freed");
    compare(e.finalized, o.finalized, "finalized");
    compare(e.garbage, o.garbage, "put in garbage");
    auto joined = [](const std::vector<std::string>& words, std::string_view separator) {
      std::string out;
      for (const std::string& w : words) out += (out.empty() ? "" : std::string(separator)) + w;
      return out;
    };
    for (const auto& [id, done] : only_collector) {
      add(id, fmt::format("{} by the collector;\n{}", joined(done, ", "), in_the_model(id)));
    }
    for (const auto& [id, done] : only_model) {
      add(id, fmt::format("not {} by the collector,\nunlike the model", joined(done, " or ")));
    }
    auto weak_note = [&](const std::string& name, const std::string& note) {
      std::string& notes = options.diverging_weak[name];
      notes += (notes.empty() ? "" : "\n") + note;
    };
    for (const std::string& name : o.cleared) {
      if (!contains(e.cleared, name)) {
        weak_note(name, "cleared by the collector,\nnot by the model");
      }
    }
    for (const std::string& name : e.cleared) {
      if (!contains(o.cleared, name)) {
        weak_note(name, "not cleared by the collector,\nunlike the model");
      }
    }
    for (const std::string& name : o.callbacks) {
      if (!contains(e.callbacks, name)) {
        weak_note(name, "callback run by the collector,\nnot by the model");
      }
    }
    for (const std::string& name : e.callbacks) {
      if (!contains(o.callbacks, name)) {
        weak_note(name, "callback not run by the collector,\nunlike the model");
      }
    }
  }
  // Objects the check named without an event to tell (a reference count, say): the
  // check's own words.
  for (ObjectId id : d.objects) {
    if (!known(id)) continue;
    add(id, "");
    if (options.diverging[id].empty()) options.diverging[id] = d.detail;
  }
}

std::string heap_dot(const Model& model, const DotOptions& options) {
  const std::vector<bool> reachable = model.reachable();
  const HeapGraph graph = model.graph();
  auto diverging = [&](ObjectId id) -> const std::string* {
    const auto it = options.diverging.find(id);
    return it == options.diverging.end() ? nullptr : &it->second;
  };

  std::string out = "digraph heap {\n  rankdir=LR;\n";
  out += "  graph [fontname=\"Helvetica\" fontsize=12];\n";
  out += "  node [fontname=\"Helvetica\" fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\" fontsize=9];\n";
  if (!options.title.empty()) {
    std::string label;
    for (const std::string& line : options.title) label += escape(line) + "\\l";
    out += fmt::format("  labelloc=t; labeljust=l; label=\"{}\";\n", label);
  }

  // The roots.
  out += "  subgraph cluster_roots {\n    label=\"roots\"; style=dotted;\n";
  const std::string root_look = "shape=box style=\"rounded,filled\" fillcolor=\"#e6edf7\"";
  for (const auto& [name, id] : graph.variables) {
    out += fmt::format("    v_{} [label=\"{}\" {}];\n", name, name, root_look);
  }
  for (const auto& [name, referent] : graph.weak) {
    std::string label = fmt::format("{} (weak{})", name, referent ? "" : ", cleared");
    std::string marks = "style=\"rounded,dashed\"";
    if (const auto it = options.diverging_weak.find(name); it != options.diverging_weak.end()) {
      label += "\n" + it->second;
      marks =
          "style=\"rounded,dashed,filled\" color=red fontcolor=red fillcolor=\"#ffd8d8\" "
          "penwidth=2.5";
    }
    out += fmt::format("    w_{} [label=\"{}\" shape=box {}];\n", name, escape(label), marks);
  }
  if (!graph.revived.empty()) {
    out += "    revived [shape=box3d color=forestgreen];\n";
  }
  if (!graph.garbage.empty()) out += "    garbage [shape=box3d color=darkorange];\n";
  out += "  }\n";

  // The objects: everything not freed, what this op freed, and diverging objects.
  unsigned used = 0;
  for (std::uint32_t i = 0; i < model.object_count(); ++i) {
    const ObjectId id{i};
    const std::string* note = diverging(id);
    const bool freed = model.is_freed(id);
    const bool freed_now =
        freed && std::binary_search(options.last_op.freed.begin(), options.last_op.freed.end(), id);
    if (freed && !freed_now && !note) continue;
    unsigned marks = 0;
    std::vector<std::string> lines = {at(id)};
    if (model.finalizer(id) != Finalizer::none) {
      lines.push_back(fmt::format("fin={}", name_of(model.finalizer(id))));
    }
    if (freed_now) {
      marks |= kFreedNow;
      lines.emplace_back("freed");
    } else if (freed) {
      marks |= kFreedEarlier;
      lines.emplace_back("freed earlier");
    } else if (reachable[i]) {
      marks |= kReachable;
    } else {
      marks |= kTrash;
      lines.emplace_back("trash");
    }
    if (const int times = model.times_finalized(id); times > 0) {
      marks |= kFinalized;
      lines.push_back(times == 1 ? "finalized" : fmt::format("finalized {}x", times));
      if (!freed && reachable[i]) {
        marks |= kResurrected;
        lines.emplace_back("resurrected");
      }
    }
    if (std::binary_search(graph.garbage.begin(), graph.garbage.end(), id)) {
      marks |= kInGarbage;
      lines.emplace_back("in garbage");
    }
    if (note) {
      marks |= kDiverging;
      if (!note->empty()) lines.push_back(*note);
    }
    used |= marks;
    std::string label;
    for (const std::string& line : lines) label += (label.empty() ? "" : "\n") + line;
    out += fmt::format("  {} [label=\"{}\" {}];\n", node(id), escape(label), look(marks));
    if (freed) continue;
    const auto slots = model.slots(id);
    const char* edge_look = reachable[i] ? "" : " color=gray35 fontcolor=gray35";
    for (std::size_t s = 0; s < slots.size(); ++s) {
      if (slots[s]) {
        out += fmt::format("  {} -> {} [label=\"[{}]\"{}];\n", node(id), node(*slots[s]), s,
                           edge_look);
      }
    }
  }
  for (const auto& [name, id] : graph.variables) {
    out += fmt::format("  v_{} -> {};\n", name, node(id));
  }
  for (const auto& [name, id] : graph.weak) {
    if (id) out += fmt::format("  w_{} -> {} [style=dashed arrowhead=empty];\n", name, node(*id));
  }
  for (ObjectId id : graph.revived) {
    out += fmt::format("  revived -> {} [color=forestgreen];\n", node(id));
  }
  for (ObjectId id : graph.garbage) {
    out += fmt::format("  garbage -> {} [color=darkorange];\n", node(id));
  }

  // The legend: one sample of each mark drawn.
  if (used != 0) {
    out += "  subgraph cluster_legend {\n    label=\"legend\"; style=dotted; fontsize=10;\n";
    std::string chain;  // invisible edges lay the samples out in a row
    for (const MarkInfo& m : kMarks) {
      if (used & m.mark) {
        out += fmt::format("    legend_{} [label=\"{}\" fontsize=9 {}];\n", unsigned(m.mark),
                           escape(m.legend), look(m.mark));
        chain += fmt::format("{}legend_{}", chain.empty() ? "" : " -> ", unsigned(m.mark));
      }
    }
    if (chain.find("->") != std::string::npos) out += fmt::format("    {} [style=invis];\n", chain);
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

std::optional<std::filesystem::path> find_graphviz_dot() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest(path);
  while (true) {
    const std::size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    const std::filesystem::path candidate =
        std::filesystem::path(dir.empty() ? "." : std::string(dir)) / "dot";
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

namespace {

// A file descriptor closed when it goes out of scope.
class OwnedFd {
 public:
  explicit OwnedFd(int fd = -1) : fd_(fd) {}
  ~OwnedFd() { reset(); }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, int error) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(error)));
}

}  // namespace

void render_dot(const std::filesystem::path& dot_program, std::string_view dot_text,
                std::string_view format, const std::filesystem::path& output) {
  std::filesystem::create_directories(output.parent_path().empty() ? "." : output.parent_path());
  const std::string temp = fmt::format("{}.tmp.{}", output.string(), ::getpid());
  OwnedFd image(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (image.get() < 0) fail(fmt::format("{}: cannot create", temp), errno);
  // Fails with the error at hand, leaving no temporary file behind.
  auto fail_removing_temp = [&](const std::string& what, int error) {
    ::unlink(temp.c_str());
    fail(what, error);
  };

  // dot reads the graph from a socket (a pipe that reports a reader's early exit as EPIPE
  // rather than a SIGPIPE that would end gcfuzz) and writes the image to the temp file.
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    fail_removing_temp("socketpair", errno);
  }
  OwnedFd ours(ends[0]), theirs(ends[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, image.get(), STDOUT_FILENO);
  const std::string program = dot_program.string();
  const std::string type = fmt::format("-T{}", format);
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(type.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  theirs.reset();
  image.reset();
  if (spawned != 0) fail_removing_temp(fmt::format("cannot run {}", program), spawned);

  std::size_t sent = 0;
  while (sent < dot_text.size()) {
    const ssize_t n =
        ::send(ours.get(), dot_text.data() + sent, dot_text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // dot stopped reading; its exit status says why
    sent += static_cast<std::size_t>(n);
  }
  ours.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail_removing_temp("waitpid", errno);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ::unlink(temp.c_str());
    throw std::runtime_error(
        WIFEXITED(status)
            ? fmt::format("{} {} failed with exit code {}", program, type, WEXITSTATUS(status))
            : fmt::format("{} {} was killed by signal {}", program, type, WTERMSIG(status)));
  }

  // On disk before it takes the final name, as write_atomically does.
  const OwnedFd written(::open(temp.c_str(), O_RDONLY | O_CLOEXEC));
  if (written.get() < 0 || ::fsync(written.get()) != 0) {
    fail_removing_temp(fmt::format("{}: cannot flush", temp), errno);
  }
  if (::rename(temp.c_str(), output.c_str()) != 0) {
    fail_removing_temp(fmt::format("{}: cannot rename into place", output.string()), errno);
  }
}

}  // namespace gcfuzz
