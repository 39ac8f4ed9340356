// Object memory for collectors: fixed-size blocks carved from large chunks, poisoned with
// AddressSanitizer's manual poisoning while free, so that any access through a stale
// pointer traps (SPEC.md section 5 item 7). Freed blocks wait in a quarantine before they
// are handed out again, so a stale pointer keeps trapping for a while after the free.
//
// Without AddressSanitizer the poisoning compiles to nothing and this is a plain
// size-class allocator.
#pragma once

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <new>
#include <vector>

namespace gcfuzz {

class ObjectMemory {
 public:
  static constexpr std::size_t kAlignment = 16;

  explicit ObjectMemory(std::size_t quarantine_blocks = 1024)
      : quarantine_limit_(quarantine_blocks) {}
  ObjectMemory(const ObjectMemory&) = delete;
  ObjectMemory& operator=(const ObjectMemory&) = delete;
  ~ObjectMemory() {
    for (const Chunk& c : chunks_) {
      ASAN_UNPOISON_MEMORY_REGION(c.base, c.size);
      ::operator delete (c.base, std::align_val_t{kAlignment});
    }
  }

  // ENSURES: a block of at least `bytes`, aligned to kAlignment, readable and writable.
  void* allocate(std::size_t bytes) {
    const std::size_t size = round_up(bytes);
    std::vector<void*>& free_list = free_list_of(size);
    void* block;
    if (!free_list.empty()) {
      block = free_list.back();
      free_list.pop_back();
    } else {
      block = carve(size);
    }
    ASAN_UNPOISON_MEMORY_REGION(block, size);
    bytes_in_use_ += size;
    return block;
  }

  // REQUIRES: `block` came from allocate(bytes) and was not released since.
  // ENSURES: every access to the block traps until it is handed out again.
  void release(void* block, std::size_t bytes) {
    const std::size_t size = round_up(bytes);
    ASAN_POISON_MEMORY_REGION(block, size);
    bytes_in_use_ -= size;
    quarantine_.push_back({block, size});
    if (quarantine_.size() > quarantine_limit_) {
      const Quarantined oldest = quarantine_.front();
      quarantine_.pop_front();
      free_list_of(oldest.size).push_back(oldest.block);
    }
  }

  std::size_t bytes_in_use() const { return bytes_in_use_; }
  std::size_t bytes_reserved() const { return bytes_reserved_; }

 private:
  static constexpr std::size_t kChunkSize = 256 * 1024;
  struct Chunk {
    char* base;
    std::size_t size;
  };
  struct Quarantined {
    void* block;
    std::size_t size;
  };

  static std::size_t round_up(std::size_t bytes) {
    if (bytes == 0) bytes = 1;
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  std::vector<void*>& free_list_of(std::size_t size) {
    const std::size_t index = size / kAlignment;
    if (index >= free_lists_.size()) free_lists_.resize(index + 1);
    return free_lists_[index];
  }
  void* carve(std::size_t size) {
    if (size > kChunkSize / 4) return new_chunk(size);  // a large block gets a chunk of its own
    if (bump_ == nullptr || bump_ + size > bump_end_) {
      bump_ = static_cast<char*>(new_chunk(kChunkSize));
      bump_end_ = bump_ + kChunkSize;
    }
    void* block = bump_;
    bump_ += size;
    return block;
  }
  void* new_chunk(std::size_t size) {
    char* base = static_cast<char*>(::operator new (size, std::align_val_t{kAlignment}));
    ASAN_POISON_MEMORY_REGION(base, size);  // unpoisoned block by block, as handed out
    chunks_.push_back({base, size});
    bytes_reserved_ += size;
    return base;
  }

  std::size_t quarantine_limit_;
  std::vector<Chunk> chunks_;
  std::vector<std::vector<void*>> free_lists_;  // by size / kAlignment
  std::deque<Quarantined> quarantine_;
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  std::size_t bytes_in_use_ = 0;
  std::size_t bytes_reserved_ = 0;
};

}  // namespace gcfuzz
