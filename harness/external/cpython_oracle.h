// Runs a trace in a real CPython interpreter and reads back its events, op by op: the
// ground truth that the model (and SPEC.md) is measured against.
//
// The interpreter runs `python_script(trace)` (harness/external/python_script.h) fed on its stdin,
// in a child process with a time limit; each line it prints is one op's events, in the
// JSON form of `gcfuzz model --json`.
#pragma once

#include "harness/external/layer.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/vocabulary.hpp"
#include "model/events.h"
#include "model/ops.h"

namespace gcfuzz {

// The policy of CPython major.minor (SPEC.md section 3): up to 3.3 legacy, 3.4 to 3.8
// pep442-whole, 3.9 on pep442.
Policy policy_of_cpython(int major, int minor);

struct Interpreter {
  std::filesystem::path path;  // the real executable (symbolic links and pyenv shims resolved)
  int major = 0;
  int minor = 0;
  int patch = 0;
  Policy policy = Policy::pep442;
  // Can build `fin=legacy` objects: always on 2.x; on 3.x only through
  // `_testcapi.with_tp_del`, which some distributions' builds leave out.
  bool legacy_finalizers = false;

  std::string version() const;  // "3.11.7"
};

// Every CPython found on PATH (python, python2, python3, pythonX.Y; pyenv's shims skipped)
// and under pyenv (<root>/versions/*/bin/python; root = $PYENV_ROOT, else `pyenv root`,
// else ~/.pyenv), each asked for its version. One entry per real executable; other
// implementations (PyPy) are left out. Sorted by version, then path.
std::vector<Interpreter> find_interpreters();

// A human description of where find_interpreters looks, for skip messages.
std::string interpreter_search_places();

// The best of `found` for major.minor: one that can build `fin=legacy` objects first, then
// the highest patch level. nullopt when there is none.
std::optional<Interpreter> pick_interpreter(const std::vector<Interpreter>& found, int major,
                                            int minor);
std::optional<Interpreter> find_interpreter(int major, int minor);
// Asks the program at `path` what it is; nullopt unless it is a CPython that runs.
std::optional<Interpreter> probe_interpreter(const std::filesystem::path& path);

struct OracleResult {
  std::vector<Events> per_op;  // one per op of the trace, sorted, when `error` is empty
  // Non-empty when the interpreter failed, timed out, wrote anything to stderr (an
  // exception ignored in a finalizer means the script did not do what the trace says), or
  // printed what is not one line of events per op: what went wrong, then its stderr's tail.
  std::string error;

  bool ok() const { return error.empty(); }
};

// Runs `trace` in `interpreter` (`python -E -`, the script on stdin; no shell) and reads
// its events. The interpreter exits right after the last op, skipping its teardown (which
// would finalize what the trace left alive). The child is killed after `limit`.
OracleResult run_in_python(const Trace& trace, const Interpreter& interpreter,
                           std::chrono::milliseconds limit);

// Runs `argv` (no shell; argv[0] a path) with nothing on its stdin: what it printed on
// stdout, or nullopt unless it exited with status 0 within `limit`.
std::optional<std::string> program_output(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds limit);

// What run_in_python does, for any program that prints one line of `gcfuzz model --json`
// events per op of `trace`: runs `argv` (no shell; argv[0] a path) with `script` on its
// stdin, killed after `limit`, and reads the lines back. `who` names the program in errors.
// (The Lua oracle, harness/external/lua_script.h, runs `lua5.4` this way.)
OracleResult run_events_script(const std::vector<std::string>& argv, std::string_view script,
                               const Trace& trace, const std::string& who,
                               std::chrono::milliseconds limit);

}  // namespace gcfuzz
