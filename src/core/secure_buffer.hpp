// Memory for secret bytes (credential values, audit keys): private pages that are locked against
// swap where RLIMIT_MEMLOCK allows, excluded from core dumps, zeroed in forked children, and wiped
// with explicit_bzero before they are returned to the kernel.
#pragma once

#include <cstddef>
#include <string_view>

#include "kavach/error.hpp"

namespace kavach::detail {

class SecureBuffer {
 public:
  SecureBuffer() = default;
  ~SecureBuffer();
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;

  // A buffer able to hold at least `capacity` bytes without moving.
  [[nodiscard]] static Result<SecureBuffer> with_capacity(std::size_t capacity);
  [[nodiscard]] static Result<SecureBuffer> copy_of(std::string_view bytes);

  // Appends, moving to a larger secure mapping (and wiping the old one) when full.
  [[nodiscard]] Result<void> append(const char* bytes, std::size_t n);
  // Room to write into directly (e.g. read(2)); call commit(n) after writing n bytes.
  [[nodiscard]] Result<char*> reserve(std::size_t n);
  void commit(std::size_t n) { size_ += n; }
  // Shrinks the visible size, wiping the bytes cut off.
  void truncate(std::size_t n);

  [[nodiscard]] std::string_view view() const { return {data_, size_}; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  // True when the pages are mlock'ed (false if RLIMIT_MEMLOCK refused; the data is still
  // excluded from core dumps and wiped).
  [[nodiscard]] bool locked() const { return locked_; }

 private:
  void release() noexcept;
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
  bool locked_ = false;
};

// Overwrites a heap string's bytes (copies of secrets handed to other layers) before it is freed.
void wipe(std::string& s) noexcept;

}  // namespace kavach::detail
