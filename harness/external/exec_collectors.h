// Out-of-process collectors (docs/protocol.md): an adapter program, started once and kept
// running, that performs each op in its runtime and answers with the events it saw. Declared
// with `--exec NAME='COMMAND'` or a NAME.collector file, selected as `-c exec:NAME`; a real
// CPython (`-c python:PATH`) is one too, through gcfuzz's own adapter.
#pragma once

#include "harness/external/layer.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "harness/engine/external_collectors.h"  // ExternalError
#include "harness/external/peer.h"

namespace gcfuzz {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::chrono::milliseconds kDefaultExecTimeout{30'000};

// How an adapter is started, and under what name.
struct ExecDeclaration {
  std::string name;     // exec:NAME
  PeerCommand command;  // how to start it
  std::string source;   // where it was declared, for messages: "--exec", a file's path
};

// Parses `NAME=COMMAND` (from --exec). Throws ExternalError.
ExecDeclaration parse_exec_option(std::string_view text, std::chrono::milliseconds timeout);
// Parses a collector file (`command = ...`, `timeout = SECONDS`). Throws ExternalError.
ExecDeclaration read_collector_file(const std::filesystem::path& file);
// Where NAME.collector files are looked for, in order: $GCFUZZ_COLLECTOR_PATH's folders,
// $XDG_CONFIG_HOME/gcfuzz/collectors (or ~/.config/...), the installed share/gcfuzz/collectors.
std::vector<std::filesystem::path> collector_file_folders();

// Makes `exec:NAME` mean this declaration (before any file of that name). Throws ExternalError
// for a name declared twice.
void declare_exec(ExecDeclaration declaration);

// The resolver for `-c`: `exec:NAME` starts NAME's adapter (once per gcfuzz process), registers
// every collector it offers as `exec:NAME/OFFERED`, and selects the non-mutants;
// `exec:NAME/...` registers them and selects nothing itself (the registry's matching does);
// `python:PATH` is a CPython through gcfuzz's adapter; `jvm-serial:java`, `jvm-parallel:java`,
// `jvm-g1:java` are HotSpot's collectors through adapters/jvm/ (a pattern starting `jvm` that
// can name one, a mutant's name or a glob, starts its JVM). Other patterns: nothing. Throws
// ExternalError when the adapter cannot be started or fails its handshake.
std::vector<const CollectorInfo*> resolve_out_of_process(std::string_view pattern);

// The collectors of every adapter declared with --exec (for `gcfuzz list`). Throws ExternalError.
std::vector<const CollectorInfo*> declared_exec_collectors();

// The `python:PATH` collector of every CPython find_interpreters() finds (for `gcfuzz list`);
// an interpreter whose adapter fails is left out.
std::vector<const CollectorInfo*> python_collectors_found();

// The `jvm-*:java` collectors, when a java and the compiled adapter are found (for `gcfuzz
// list`); a JVM that fails to start is left out.
std::vector<const CollectorInfo*> jvm_collectors_found();

}  // namespace gcfuzz
