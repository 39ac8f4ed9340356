// The nursery's chunks: where they come from, and how a collection retires them.
#include "collectors/generational/nursery.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace gcfuzz::generational {

Nursery::~Nursery() {
  for (const Chunk& c : own_chunks_) free_chunk(c);
  // Large blocks' chunks, in use or retired, are their own (not in own_chunks_).
  for (const Chunk& c : in_use_) {
    if (is_large(c)) free_chunk(c);
  }
  for (const Chunk& c : quarantine_) {
    if (is_large(c)) free_chunk(c);
  }
}

void Nursery::free_chunk(const Chunk& c) {
  ASAN_UNPOISON_MEMORY_REGION(c.base, c.end - c.base);
  ::operator delete (c.base, std::align_val_t{kAlignment});
}

void Nursery::start_chunk(std::size_t size) {
  char* base;
  if (size == kChunkSize && !spare_.empty()) {
    base = spare_.back();
    spare_.pop_back();
  } else {
    base = static_cast<char*>(::operator new (size, std::align_val_t{kAlignment}));
    ASAN_POISON_MEMORY_REGION(base, size);  // unpoisoned block by block, as handed out
    if (size == kChunkSize) own_chunks_.push_back({base, base, base + size});
  }
  // In allocation order: after a large block, the next small one starts a fresh chunk.
  in_use_.push_back({base, base, base + size});
}

void Nursery::retire() {
  for (const Chunk& c : in_use_) {
    // The scribble catches stale reads where poisoning compiles to nothing; a large block's
    // header is what such a read would see first, and scribbling all of it would cost its size.
    std::memset(c.base, kScribble, std::min<std::size_t>(c.top - c.base, kChunkSize));
    ASAN_POISON_MEMORY_REGION(c.base, c.end - c.base);
    quarantine_.push_back(c);
  }
  in_use_.clear();
  while (quarantine_.size() > quarantine_limit_) {
    const Chunk c = quarantine_.front();
    quarantine_.pop_front();
    if (is_large(c)) {
      free_chunk(c);  // not reused
    } else {
      spare_.push_back(c.base);
    }
  }
}

}  // namespace gcfuzz::generational
