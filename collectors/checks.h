// The two tiers of collector assertions: cheap checks always run; expensive ones (a heap
// validator between phases) only when this is true, which is in builds without NDEBUG, such
// as the dev preset the tests use.
#pragma once

namespace gcfuzz {

#ifdef NDEBUG
inline constexpr bool kExpensiveChecks = false;
#else
inline constexpr bool kExpensiveChecks = true;
#endif

}  // namespace gcfuzz
