// The nursery's chunks: where they come from, and how a collection retires them.
#include "collectors/generational/nursery.h"

#include <cstring>
#include <new>

namespace gcfuzz::generational {

Nursery::~Nursery() {
  for (char* base : all_chunks_) {
    ASAN_UNPOISON_MEMORY_REGION(base, kChunkSize);
    ::operator delete (base, std::align_val_t{kAlignment});
  }
}

void Nursery::start_chunk() {
  char* base;
  if (!spare_.empty()) {
    base = spare_.back();
    spare_.pop_back();
  } else {
    base = static_cast<char*>(::operator new (kChunkSize, std::align_val_t{kAlignment}));
    all_chunks_.push_back(base);
    ASAN_POISON_MEMORY_REGION(base, kChunkSize);  // unpoisoned block by block, as handed out
  }
  in_use_.push_back({base, base});
}

void Nursery::retire() {
  for (const Chunk& c : in_use_) {
    // The scribble catches stale reads where poisoning compiles to nothing.
    std::memset(c.base, kScribble, static_cast<std::size_t>(c.top - c.base));
    ASAN_POISON_MEMORY_REGION(c.base, kChunkSize);
    quarantine_.push_back(c.base);
  }
  in_use_.clear();
  while (quarantine_.size() > quarantine_limit_) {
    spare_.push_back(quarantine_.front());
    quarantine_.pop_front();
  }
}

}  // namespace gcfuzz::generational
