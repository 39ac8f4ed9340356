// `gcfuzz show --lua`: a runnable Lua 5.4 script that performs a trace in `lua5.4` and prints,
// per op, the same JSON events as `gcfuzz model --json`; and the oracle that runs it, the
// ground truth of the `lua` policy (SPEC.md 3.6, docs/ground-truth.md).
#pragma once

#include "harness/external/layer.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "harness/external/cpython_oracle.h"  // OracleResult
#include "model/ops.h"

namespace gcfuzz {

// The script: the prelude (adapters/lua/gcfuzz_prelude.lua, built in; it says how gcfuzz's
// world maps onto Lua), one `run(...)` call per op, then an exit that skips lua_close. Its
// first argument picks the mode: `incremental` (the default) or `generational`.
std::string lua_script(const Trace& trace);

enum class LuaMode { incremental, generational };
std::string_view name_of(LuaMode mode);

struct LuaInterpreter {
  std::filesystem::path path;  // an absolute path to `lua5.4`
  std::string version;         // what `lua5.4 -v` says: "Lua 5.4.4  Copyright (C) ..."
};

// `lua5.4` on PATH, asked for its version; nullopt when there is none or it does not run.
std::optional<LuaInterpreter> find_lua();
// Asks the program at `path` for its version (`-v`); nullopt unless it runs and says "Lua 5.4".
std::optional<LuaInterpreter> probe_lua(const std::filesystem::path& path);

// Runs `trace` in `lua` (`lua5.4 -E - MODE`, the script on stdin; no shell) and reads its
// events, as run_in_python does: any failure, time-out, output on stderr (a Lua warning from
// an error in __gc, say) or line that is not the next op's events is in `error`.
OracleResult run_in_lua(const Trace& trace, const LuaInterpreter& lua, LuaMode mode,
                        std::chrono::milliseconds limit);

}  // namespace gcfuzz
