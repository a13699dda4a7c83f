#include "core/secure_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace kavach::detail {
namespace {

std::size_t page_size() {
  const long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<std::size_t>(p) : 4096;
}

std::size_t round_to_pages(std::size_t n) {
  const std::size_t page = page_size();
  if (n == 0) n = 1;
  return (n + page - 1) / page * page;
}

}  // namespace

Result<SecureBuffer> SecureBuffer::with_capacity(std::size_t capacity) {
  SecureBuffer b;
  const std::size_t len = round_to_pages(capacity);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return fail(ErrorCode::secret_error, std::string("cannot allocate memory for a secret: ") +
                                             std::strerror(errno));
  }
  b.data_ = static_cast<char*>(p);
  b.mapped_ = len;
  // Not in core dumps; not inherited by forked children (they see zeros). Both are best effort
  // on kernels that lack them, but exist on every kernel we support (>= 4.14).
  (void)madvise(p, len, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
  (void)madvise(p, len, MADV_WIPEONFORK);
#endif
  // Locking can fail under RLIMIT_MEMLOCK; the secret is still usable, just swappable.
  b.locked_ = mlock(p, len) == 0;
  return b;
}

Result<SecureBuffer> SecureBuffer::copy_of(std::string_view bytes) {
  auto b = with_capacity(bytes.size());
  if (!b) return tl::unexpected(b.error());
  if (!bytes.empty()) std::memcpy(b->data_, bytes.data(), bytes.size());
  b->size_ = bytes.size();
  return b;
}

SecureBuffer::~SecureBuffer() { release(); }

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

void SecureBuffer::release() noexcept {
  if (data_ == nullptr) return;
  explicit_bzero(data_, mapped_);
  if (locked_) (void)munlock(data_, mapped_);
  (void)munmap(data_, mapped_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
  locked_ = false;
}

Result<char*> SecureBuffer::reserve(std::size_t n) {
  if (mapped_ - size_ >= n && data_ != nullptr) return data_ + size_;
  std::size_t want = mapped_ == 0 ? n : mapped_ * 2;
  if (want < size_ + n) want = size_ + n;
  auto bigger = with_capacity(want);
  if (!bigger) return tl::unexpected(bigger.error());
  if (size_ > 0 && data_ != nullptr) std::memcpy(bigger->data_, data_, size_);
  bigger->size_ = size_;
  *this = std::move(*bigger);  // wipes and unmaps the old pages
  return data_ + size_;
}

Result<void> SecureBuffer::append(const char* bytes, std::size_t n) {
  auto dst = reserve(n);
  if (!dst) return tl::unexpected(dst.error());
  if (n > 0) std::memcpy(*dst, bytes, n);
  size_ += n;
  return {};
}

void SecureBuffer::truncate(std::size_t n) {
  if (n >= size_) return;
  explicit_bzero(data_ + n, size_ - n);
  size_ = n;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

}  // namespace kavach::detail
