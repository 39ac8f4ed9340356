// The nursery of a generational collector: bump allocation in chunks, emptied all at once
// by a collection, after which every block it held is scribbled over and poisoned.
#pragma once

#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <vector>

namespace gcfuzz::generational {

class Nursery {
 public:
  static constexpr std::size_t kAlignment = alignof(void*);
  static constexpr std::size_t kChunkSize = 64 * 1024;
  // A byte no object field holds by chance: a stale read in a build without
  // AddressSanitizer sees ids and slot counts made of it, which the integrity check rejects.
  static constexpr unsigned char kScribble = 0xdb;

  // Retired chunks stay poisoned until `quarantine_chunks` later chunks have been retired,
  // so a stale pointer keeps trapping for a few collections, not only until the next alloc.
  // A block larger than `large_block` gets a chunk of its own, of its size.
  // REQUIRES: large_block <= kChunkSize.
  explicit Nursery(std::size_t quarantine_chunks = 16, std::size_t large_block = kChunkSize)
      : quarantine_limit_(quarantine_chunks), large_block_(large_block) {}
  Nursery(const Nursery&) = delete;
  Nursery& operator=(const Nursery&) = delete;
  ~Nursery();

  // REQUIRES: bytes % kAlignment == 0, 0 < bytes.
  // ENSURES: a readable, writable block; blocks come out in address order within a chunk.
  void* allocate(std::size_t bytes) {
    if (bytes > large_block_) {
      start_chunk(bytes);
    } else if (in_use_.empty() || in_use_.back().top + bytes > in_use_.back().end) {
      start_chunk(kChunkSize);
    }
    Chunk& chunk = in_use_.back();
    char* block = chunk.top;
    chunk.top += bytes;
    // Never past the chunk: a block that overruns it (a bug) then traps where it does.
    ASAN_UNPOISON_MEMORY_REGION(block, std::min<std::size_t>(bytes, chunk.end - block));
    return block;
  }

  // Calls `f(block)` for every block handed out since the last retire(), in allocation
  // order. `size_of(block)` must return the size the block was allocated with: blocks carry
  // no header of the nursery's own, the objects in them know their size.
  template <class SizeOf, class F>
  void for_each_block(SizeOf&& size_of, F&& f) const {
    for (const Chunk& c : in_use_) {
      for (char* p = c.base; p < c.top;) {
        const std::size_t size = size_of(p);
        f(static_cast<void*>(p));
        p += size;
      }
    }
  }

  bool empty() const { return in_use_.empty(); }

  // Empties the nursery. ENSURES: every block handed out so far is scribbled over and
  // poisoned (any access through a stale pointer traps); later blocks come from other chunks
  // than the ones just retired.
  void retire();

 private:
  struct Chunk {
    char* base;
    char* top;  // the bump pointer: [base, top) is handed out, the rest stays poisoned
    char* end;
  };
  // A chunk of kChunkSize (reused once out of quarantine) or one large block's own.
  void start_chunk(std::size_t size);
  void free_chunk(const Chunk& c);
  // A large block's own chunk, not one of kChunkSize.
  static bool is_large(const Chunk& c) { return c.end - c.base != kChunkSize; }

  std::size_t quarantine_limit_;
  std::size_t large_block_;
  std::vector<Chunk> in_use_;      // the last one is the one being bumped
  std::deque<Chunk> quarantine_;   // retired, poisoned, not handed out again yet
  std::vector<char*> spare_;       // retired kChunkSize chunks, long enough ago to be reused
  std::vector<Chunk> own_chunks_;  // every kChunkSize chunk, for the destructor
};

}  // namespace gcfuzz::generational
