// Whether the tests run under AddressSanitizer (g++ or clang): some checks need its
// poisoning or its reports.
#pragma once

namespace gcfuzz {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

}  // namespace gcfuzz
