// The `.gct` printer and parser: one print_field and one parse_field per token type.
#include "harness/trace/text.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>

namespace gcfuzz {

std::string ParseError::to_string() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

// ---- Printing ----

namespace {

void print_field(std::string& out, const Var& v) {
  out += ' ';
  out += v.name;
}
void print_field(std::string& out, const Slot& s) {
  out += fmt::format(" {}", s.index);
}
void print_field(std::string& out, const SlotCount& s) {
  out += fmt::format(" {}", s.count);
}
void print_field(std::string& out, const FinalizerField& f) {
  if (f.kind != Finalizer::none) out += fmt::format(" fin={}", name_of(f.kind));
}
void print_field(std::string& out, const PayloadField& p) {
  if (p.bytes != 0) out += fmt::format(" bytes={}", p.bytes);
}
template <class Word>
void print_field(std::string& out, const Flag<Word>& f) {
  if (f.on) out += fmt::format(" {}", Word::text);
}
void print_field(std::string& out, const ListField& l) {
  out += fmt::format(" {}", name_of(l.list));
}
void print_field(std::string& out, const Count& c) {
  out += fmt::format(" {}", c.value);
}
void print_field(std::string& out, const ObjectList& l) {
  for (ObjectId id : l.ids) out += fmt::format(" @{}", id.value);
}
void print_field(std::string& out, const PolicyFilter& p) {
  if (p.mask == 0) return;
  out += " when";
  for (std::size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (p.mask & (1u << i)) out += fmt::format(" {}", kPolicyNames[i]);
  }
}

}  // namespace

std::string print_op(const Op& op) {
  return std::visit(
      [](const auto& o) {
        std::string out(std::decay_t<decltype(o)>::keyword);
        boost::pfr::for_each_field(o, [&](const auto& field) { print_field(out, field); });
        return out;
      },
      op);
}

std::string print_trace(const Trace& trace) {
  std::string out;
  for (const std::string& line : trace.header) {
    out += line.empty() ? "#\n" : "# " + line + "\n";
  }
  for (const Op& op : trace.ops) {
    out += print_op(op);
    out += '\n';
  }
  return out;
}

std::string content_hash(const Trace& trace) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : print_trace(trace)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::size_t hash_value(const Op& op) {
  return std::hash<std::string>{}(print_op(op));
}

// ---- Parsing ----

namespace {

struct Token {
  std::string_view text;
  int column = 0;  // 1-based
};

struct Failure {
  int column;
  std::string message;
};

// Reads the tokens of one line, left to right. Optional fields that do not match leave a
// hint, so a stray word can be reported with what was expected there.
class Cursor {
 public:
  Cursor(std::vector<Token> tokens, int end_column)
      : tokens_(std::move(tokens)), end_column_(end_column) {}

  bool done() const { return next_ == tokens_.size(); }
  const Token* peek() const { return done() ? nullptr : &tokens_[next_]; }
  Token take(std::string_view what) {
    if (done()) throw Failure{end_column_, fmt::format("expected {}, found end of line", what)};
    hints_.clear();
    return tokens_[next_++];
  }
  void hint(std::string_view what) { hints_.emplace_back(what); }
  [[noreturn]] void unexpected() const {
    const Token& t = tokens_[next_];
    std::string expected;
    for (const std::string& h : hints_) expected += h + " or ";
    throw Failure{t.column,
                  hints_.empty()
                      ? fmt::format("unexpected '{}' after the operation", t.text)
                      : fmt::format("unexpected '{}' (expected {}end of line)", t.text, expected)};
  }

 private:
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  int end_column_;
  std::vector<std::string> hints_;
};

template <class Int>
std::optional<Int> to_int(std::string_view s) {
  Int value{};
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
  return value;
}

bool is_name(std::string_view s) {
  if (s.empty() || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

void parse_field(Cursor& c, Var& v) {
  const Token t = c.take("a variable name");
  if (t.text.size() > kMaxNameLength) {
    throw Failure{t.column, fmt::format("variable name longer than {} characters", kMaxNameLength)};
  }
  if (!is_name(t.text)) {
    throw Failure{t.column,
                  fmt::format("expected a variable name ([a-z_][a-z0-9_]*), got '{}'", t.text)};
  }
  if (root_list_from_name(t.text)) {
    throw Failure{t.column,
                  fmt::format("'{}' is reserved (the {} list), not a variable", t.text, t.text)};
  }
  v.name = std::string(t.text);
}

void parse_field(Cursor& c, Slot& s) {
  const Token t = c.take(fmt::format("a slot index (0..{})", kMaxSlots - 1));
  const auto value = to_int<int>(t.text);
  if (!value || *value >= kMaxSlots) {
    throw Failure{t.column,
                  fmt::format("expected a slot index (0..{}), got '{}'", kMaxSlots - 1, t.text)};
  }
  s.index = *value;
}

void parse_field(Cursor& c, SlotCount& s) {
  const Token t = c.take(fmt::format("a slot count (0..{})", kMaxSlots));
  const auto value = to_int<int>(t.text);
  if (!value || *value > kMaxSlots) {
    throw Failure{t.column,
                  fmt::format("expected a slot count (0..{}), got '{}'", kMaxSlots, t.text)};
  }
  s.count = *value;
}

void parse_field(Cursor& c, FinalizerField& f) {
  const Token* t = c.peek();
  if (!t || !t->text.starts_with("fin=")) {
    c.hint("'fin=KIND'");
    return;
  }
  const Token taken = c.take("fin=KIND");
  const auto kind = finalizer_from_name(taken.text.substr(4));
  if (!kind) {
    throw Failure{taken.column + 4,
                  fmt::format("unknown finalizer '{}' (expected none, log, resurrect, alloc, "
                              "legacy)",
                              taken.text.substr(4))};
  }
  f.kind = *kind;
}

void parse_field(Cursor& c, PayloadField& p) {
  const Token* t = c.peek();
  if (!t || !t->text.starts_with("bytes=")) {
    c.hint("'bytes=N'");
    return;
  }
  const Token taken = c.take("bytes=N");
  const auto value = to_int<std::uint32_t>(taken.text.substr(6));
  if (!value || *value > kMaxPayload) {
    throw Failure{taken.column + 6, fmt::format("expected a payload size (0..{} bytes), got '{}'",
                                                kMaxPayload, taken.text.substr(6))};
  }
  p.bytes = *value;
}

template <class Word>
void parse_field(Cursor& c, Flag<Word>& f) {
  const Token* t = c.peek();
  if (t && t->text == Word::text) {
    c.take(Word::text);
    f.on = true;
  } else {
    c.hint(fmt::format("'{}'", Word::text));
  }
}

void parse_field(Cursor& c, ListField& l) {
  const Token t = c.take("'revived' or 'garbage'");
  const auto list = root_list_from_name(t.text);
  if (!list)
    throw Failure{t.column, fmt::format("expected 'revived' or 'garbage', got '{}'", t.text)};
  l.list = *list;
}

void parse_field(Cursor& c, Count& n) {
  const Token t = c.take("a count");
  const auto value = to_int<std::int64_t>(t.text);
  if (!value || *value > kMaxCount) {
    throw Failure{t.column, fmt::format("expected a count (0..{}), got '{}'", kMaxCount, t.text)};
  }
  n.value = *value;
}

ObjectId parse_object_id(const Token& t) {
  const auto value = t.text.starts_with('@') ? to_int<std::uint32_t>(t.text.substr(1))
                                             : std::optional<std::uint32_t>{};
  if (!value || *value >= kMaxObjectId) {
    throw Failure{t.column, fmt::format("expected an object id like @3, got '{}'", t.text)};
  }
  return ObjectId{*value};
}

void parse_field(Cursor& c, ObjectList& l) {
  l.ids.push_back(parse_object_id(c.take("an object id like @3")));
  while (const Token* t = c.peek()) {
    if (!t->text.starts_with('@')) break;
    l.ids.push_back(parse_object_id(c.take("an object id")));
  }
  c.hint("another object id");
}

void parse_field(Cursor& c, PolicyFilter& p) {
  const Token* t = c.peek();
  if (!t || t->text != "when") {
    c.hint("'when POLICY...'");
    return;
  }
  c.take("when");
  do {
    const Token pt = c.take("a policy (pep442, pep442-whole, legacy, java, boehm, lua)");
    const auto policy = policy_from_name(pt.text);
    if (!policy) {
      throw Failure{pt.column, fmt::format("unknown policy '{}' (expected pep442, pep442-whole, "
                                           "legacy, java, boehm, lua)",
                                           pt.text)};
    }
    p.mask |= static_cast<std::uint8_t>(1u << static_cast<int>(*policy));
  } while (c.peek());
}

template <std::size_t I = 0>
bool parse_alternative(std::string_view keyword, Cursor& c, Op& out) {
  if constexpr (I < std::variant_size_v<Op>) {
    using T = std::variant_alternative_t<I, Op>;
    if (T::keyword != keyword) return parse_alternative<I + 1>(keyword, c, out);
    T op{};
    boost::pfr::for_each_field(op, [&](auto& field) { parse_field(c, field); });
    if (!c.done()) c.unexpected();
    out = std::move(op);
    return true;
  } else {
    return false;
  }
}

Op parse_line(const std::vector<Token>& tokens, int end_column) {
  Cursor c(tokens, end_column);
  const Token first = c.take("an operation");
  std::string keyword(first.text);
  if (first.text == "expect") {
    const Token kind = c.take(
        "what to expect (collected, freed, alive, finalized, garbage, "
        "refcount)");
    keyword = fmt::format("expect {}", kind.text);
    Op op;
    if (parse_alternative(keyword, c, op)) return op;
    throw Failure{kind.column, fmt::format("unknown expectation '{}' (expected collected, freed, "
                                           "alive, finalized, garbage, refcount)",
                                           kind.text)};
  }
  Op op;
  if (first.text != "expect" && parse_alternative(keyword, c, op)) return op;
  throw Failure{first.column,
                fmt::format("unknown operation '{}' (expected alloc, link, unlink, load, copy, "
                            "drop, weak, deref, collect, clear, expect)",
                            first.text)};
}

}  // namespace

ParseResult parse_trace(std::string_view text, std::string_view file_name) {
  ParsedTrace parsed;
  std::unordered_set<std::string> names;
  std::uint64_t payload = 0;
  bool in_header = true;
  int line_number = 0;
  auto error = [&](int column, std::string message) {
    return ParseResult{std::nullopt,
                       ParseError{std::string(file_name), line_number, column, std::move(message)}};
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLineLength) {
      return error(static_cast<int>(kMaxLineLength) + 1,
                   fmt::format("line is longer than {} characters", kMaxLineLength));
    }
    const std::size_t hash = line.find('#');
    if (in_header && hash != std::string_view::npos && line.find_first_not_of(" \t") == hash) {
      std::string_view comment = line.substr(hash + 1);
      if (comment.starts_with(' ')) comment.remove_prefix(1);
      if (comment.size() > kMaxLineLength - 2) {  // printed as `# ` + comment
        return error(static_cast<int>(kMaxLineLength) - 1,
                     fmt::format("comment is longer than {} characters", kMaxLineLength - 2));
      }
      parsed.trace.header.emplace_back(comment);
      continue;
    }
    const std::string_view code = line.substr(0, hash);
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < code.size();) {
      if (code[i] == ' ' || code[i] == '\t' || code[i] == '\r') {
        ++i;
        continue;
      }
      const std::size_t j = code.find_first_of(" \t\r", i);
      const std::size_t stop = j == std::string_view::npos ? code.size() : j;
      tokens.push_back(Token{code.substr(i, stop - i), static_cast<int>(i) + 1});
      i = stop;
    }
    if (tokens.empty()) continue;
    in_header = false;
    if (parsed.trace.ops.size() >= kMaxOps) {
      return error(1, fmt::format("more than {} operations", kMaxOps));
    }
    try {
      parsed.trace.ops.push_back(parse_line(tokens, static_cast<int>(code.size()) + 1));
    } catch (const Failure& f) {
      return error(f.column, f.message);
    }
    parsed.line_of_op.push_back(line_number);
    if (const auto* alloc = std::get_if<Alloc>(&parsed.trace.ops.back())) {
      payload += alloc->payload.bytes;
      if (payload > kMaxTracePayload) {
        return error(tokens.front().column,
                     fmt::format("the trace allocates more than {} bytes of payload in all",
                                 kMaxTracePayload));
      }
    }
    for (std::string_view name : variable_names(parsed.trace.ops.back())) {
      if (names.size() < kMaxDistinctNames) {
        names.emplace(name);
      } else if (!names.contains(std::string(name))) {
        return error(tokens.front().column,
                     fmt::format("more than {} distinct variable names", kMaxDistinctNames));
      }
    }
  }
  return ParseResult{std::move(parsed), std::nullopt};
}

ParseResult load_trace(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return ParseResult{std::nullopt, ParseError{path.string(), 0, 0, "cannot read this file"}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trace(text.str(), path.string());
}

}  // namespace gcfuzz
