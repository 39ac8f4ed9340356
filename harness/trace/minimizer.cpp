// Delta debugging (Zeller's ddmin) over ops, then per-op simplification, then renaming.
#include "harness/trace/minimizer.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace gcfuzz {

namespace {

class Search {
 public:
  Search(const std::function<bool(const Trace&)>& still_fails, std::size_t max_tests)
      : still_fails_(still_fails), max_tests_(max_tests) {}

  bool exhausted() const { return tests_ >= max_tests_; }
  std::size_t tests() const { return tests_; }

  bool fails(const Trace& candidate) {
    if (exhausted()) return false;
    ++tests_;
    return still_fails_(candidate);
  }

 private:
  const std::function<bool(const Trace&)>& still_fails_;
  std::size_t max_tests_;
  std::size_t tests_ = 0;
};

Trace without(const Trace& t, std::size_t begin, std::size_t end) {
  Trace r;
  r.header = t.header;
  r.ops.reserve(t.ops.size() - (end - begin));
  r.ops.insert(r.ops.end(), t.ops.begin(), t.ops.begin() + static_cast<std::ptrdiff_t>(begin));
  r.ops.insert(r.ops.end(), t.ops.begin() + static_cast<std::ptrdiff_t>(end), t.ops.end());
  return r;
}

// ddmin on complements: remove chunks of ops, from halves down to single ops.
bool remove_ops(Trace& trace, Search& search) {
  bool progress = false;
  std::size_t chunks = 2;
  while (trace.ops.size() >= 1 && !search.exhausted()) {
    const std::size_t n = trace.ops.size();
    chunks = std::min(chunks, n);
    const std::size_t size = (n + chunks - 1) / chunks;
    bool removed = false;
    for (std::size_t begin = 0; begin < n && !search.exhausted(); begin += size) {
      const Trace candidate = without(trace, begin, std::min(n, begin + size));
      if (search.fails(candidate)) {
        trace = candidate;
        removed = progress = true;
        chunks = std::max<std::size_t>(chunks - 1, 2);
        break;
      }
    }
    if (removed) continue;
    if (chunks >= n) break;  // single ops tried: a local minimum
    chunks = std::min(chunks * 2, n);
  }
  return progress;
}

// Simpler forms of one op, simplest first.
std::vector<Op> simplifications(const Op& op) {
  std::vector<Op> out;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Alloc>) {
          if (o.payload.bytes != 0) {
            T s = o;
            s.payload.bytes = 0;
            out.push_back(s);
          }
          if (o.fin.kind != Finalizer::none) {
            T s = o;
            s.fin.kind = Finalizer::none;
            out.push_back(s);
          }
          for (int slots = 0; slots < o.slots.count; ++slots) {
            T s = o;
            s.slots.count = slots;
            out.push_back(s);
          }
        } else if constexpr (std::is_same_v<T, Link> || std::is_same_v<T, Unlink> ||
                             std::is_same_v<T, Load>) {
          for (int slot = 0; slot < o.slot.index; ++slot) {
            T s = o;
            s.slot.index = slot;
            out.push_back(s);
          }
        } else if constexpr (std::is_same_v<T, Weak>) {
          if (o.callback.on) {
            T s = o;
            s.callback.on = false;
            out.push_back(s);
          }
        } else if constexpr (std::is_same_v<T, Collect>) {
          if (o.young.on) out.push_back(Collect{});
        }
      },
      op);
  return out;
}

bool simplify_ops(Trace& trace, Search& search) {
  bool progress = false;
  for (std::size_t i = 0; i < trace.ops.size() && !search.exhausted(); ++i) {
    for (const Op& simpler : simplifications(trace.ops[i])) {
      Trace candidate = trace;
      candidate.ops[i] = simpler;
      if (search.fails(candidate)) {
        trace = std::move(candidate);
        progress = true;
        break;
      }
    }
  }
  return progress;
}

// Names in order of first appearance become a, b, c, ... (one mapping for both namespaces,
// since `drop` names both).
Trace renamed(const Trace& trace) {
  std::map<std::string, std::string> names;
  auto fresh = [&](const std::string& old) {
    auto [it, inserted] = names.try_emplace(old, "");
    if (inserted) {
      const std::size_t n = names.size() - 1;
      it->second = n < 26 ? std::string(1, static_cast<char>('a' + n)) : "v" + std::to_string(n);
    }
    return it->second;
  };
  Trace out;
  out.header = trace.header;
  for (Op op : trace.ops) {
    std::visit(
        [&](auto& o) {
          boost::pfr::for_each_field(o, [&](auto& field) {
            if constexpr (std::is_same_v<std::decay_t<decltype(field)>, Var>) {
              field.name = fresh(field.name);
            }
          });
        },
        op);
    out.ops.push_back(std::move(op));
  }
  return out;
}

}  // namespace

MinimizeResult minimize(const Trace& trace, const std::function<bool(const Trace&)>& still_fails,
                        std::size_t max_tests) {
  Search search(still_fails, max_tests);
  Trace current = trace;
  for (bool progress = true; progress && !search.exhausted();) {
    progress = remove_ops(current, search);
    progress = simplify_ops(current, search) || progress;
  }
  if (Trace candidate = renamed(current); !(candidate == current) && search.fails(candidate)) {
    current = std::move(candidate);
  }
  return MinimizeResult{std::move(current), search.tests()};
}

}  // namespace gcfuzz
