// Object memory for collectors: blocks of size classes (multiples of 16 bytes) carved from
// 256 KiB chunks, large blocks in chunks of their own, all poisoned with
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
#include <unordered_map>
#include <vector>

namespace gcfuzz {

class ObjectMemory {
 public:
  static constexpr std::size_t kAlignment = 16;
  // Blocks larger than this get a chunk of their own, returned to the system once out of
  // quarantine; smaller ones come from size-class free lists and shared chunks.
  static constexpr std::size_t kLargeBlock = 64 * 1024;

  explicit ObjectMemory(std::size_t quarantine_blocks = 1024)
      : quarantine_limit_(quarantine_blocks) {}
  ObjectMemory(const ObjectMemory&) = delete;
  ObjectMemory& operator=(const ObjectMemory&) = delete;
  ~ObjectMemory() {
    for (const Chunk& c : chunks_) free_chunk(c);
    for (const Quarantined& q : quarantine_) {
      if (q.size > kLargeBlock) free_chunk({static_cast<char*>(q.block), q.size});
    }
    for (const auto& [block, size] : large_in_use_) free_chunk({static_cast<char*>(block), size});
  }

  // ENSURES: a block of at least `bytes`, aligned to kAlignment, readable and writable.
  void* allocate(std::size_t bytes) {
    const std::size_t size = round_up(bytes);
    void* block;
    if (size > kLargeBlock) {
      block = new_chunk(size);
      large_in_use_.emplace(block, size);
    } else if (std::vector<void*>& free_list = free_list_of(size); !free_list.empty()) {
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
    if (size > kLargeBlock) large_in_use_.erase(block);
    quarantine_.push_back({block, size});
    if (quarantine_.size() > quarantine_limit_) {
      const Quarantined oldest = quarantine_.front();
      quarantine_.pop_front();
      if (oldest.size > kLargeBlock) {
        free_chunk({static_cast<char*>(oldest.block), oldest.size});
        bytes_reserved_ -= oldest.size;
      } else {
        free_list_of(oldest.size).push_back(oldest.block);
      }
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
  // REQUIRES: size <= kLargeBlock.
  std::vector<void*>& free_list_of(std::size_t size) {
    const std::size_t index = size / kAlignment;
    if (index >= free_lists_.size()) free_lists_.resize(index + 1);
    return free_lists_[index];
  }
  void* carve(std::size_t size) {
    if (bump_ == nullptr || bump_ + size > bump_end_) {
      bump_ = static_cast<char*>(new_chunk(kChunkSize));
      bump_end_ = bump_ + kChunkSize;
      chunks_.push_back({bump_, kChunkSize});
    }
    void* block = bump_;
    bump_ += size;
    return block;
  }
  void* new_chunk(std::size_t size) {
    char* base = static_cast<char*>(::operator new (size, std::align_val_t{kAlignment}));
    ASAN_POISON_MEMORY_REGION(base, size);  // unpoisoned block by block, as handed out
    bytes_reserved_ += size;
    return base;
  }
  static void free_chunk(const Chunk& c) {
    ASAN_UNPOISON_MEMORY_REGION(c.base, c.size);
    ::operator delete (c.base, std::align_val_t{kAlignment});
  }

  std::size_t quarantine_limit_;
  std::vector<Chunk> chunks_;                   // the shared chunks small blocks are carved from
  std::vector<std::vector<void*>> free_lists_;  // by size / kAlignment, up to kLargeBlock
  std::unordered_map<void*, std::size_t> large_in_use_;  // large blocks handed out, by size
  std::deque<Quarantined> quarantine_;
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  std::size_t bytes_in_use_ = 0;
  std::size_t bytes_reserved_ = 0;
};

}  // namespace gcfuzz
