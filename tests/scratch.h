// What the tests of the command line share: a scratch folder per test, removed afterwards,
// and the gcfuzz command run with its output captured.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gcfuzz {

struct CommandOutcome {
  int status = -1;  // the exit code; -1 when the command did not exit normally
  std::string out, err;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gcfuzz-" + std::string(test->test_suite_name()) + "-" + std::to_string(::getpid()) +
            "-" + test->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `relative` under the scratch folder, making its folders.
  std::filesystem::path write(const std::filesystem::path& relative, const std::string& text) {
    const std::filesystem::path p = dir_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  // Runs `gcfuzz ARGS`; `environment`: assignments to run it with, such as `PATH=/nowhere`.
  CommandOutcome gcfuzz(const std::string& args, const std::string& environment = "") {
    const std::filesystem::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command = (environment.empty() ? "" : environment + " ") +
                                std::string(GCFUZZ_BINARY) + " " + args + " >" + out.string() +
                                " 2>" + err.string();
    const int raw = std::system(command.c_str());
    return CommandOutcome{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(out), read_file(err)};
  }

  std::filesystem::path dir_;
};

}  // namespace gcfuzz
