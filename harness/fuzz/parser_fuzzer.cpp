// gcfuzz_parser_fuzzer: arbitrary bytes into the `.gct` parser. The parser must never crash
// (the sanitizers watch), must report errors at a real place, and whatever it accepts must
// print to a canonical text that parses back to the same trace.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "harness/trace/text.h"

namespace {

// Control bytes (but newlines) as \xNN, so a report shows what the text holds.
std::string visible(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

[[noreturn]] void fail(std::string_view what, std::string_view detail) {
  std::string report = "\ngcfuzz_parser_fuzzer: ";
  report += what;
  report += "\n" + visible(detail);
  if (!report.ends_with('\n')) report += '\n';
  report += "SUMMARY: gcfuzz_parser_fuzzer: ";
  report += what;
  report += '\n';
  std::fwrite(report.data(), 1, report.size(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gcfuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ParseResult first = parse_trace(input, "input");
  if (!first.parsed) {
    const ParseError& e = *first.error;
    if (e.line < 1 || e.column < 1) fail("an error without a line and column", e.to_string());
    return 0;
  }
  const std::string text = print_trace(first.parsed->trace);
  const ParseResult second = parse_trace(text, "printed");
  if (!second.parsed) {
    fail("the canonical text does not parse",
         second.error->to_string() + "\n--- canonical text:\n" + text);
  }
  const std::string again = print_trace(second.parsed->trace);
  if (again != text || !(second.parsed->trace.ops == first.parsed->trace.ops)) {
    fail("parse(print(trace)) differs from the trace",
         "--- canonical text:\n" + text + "--- printed again:\n" + again);
  }
  return 0;
}
