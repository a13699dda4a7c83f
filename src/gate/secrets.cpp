#include "gate/secrets.hpp"

#include <algorithm>

#include "gate/codec.hpp"

namespace kavach::gate::detail {
namespace {

// The characters of base64(k filler bytes + value) that depend on the value alone.
std::string base64_core(std::string_view value, std::size_t k, bool url) {
  std::string padded(k, '\0');
  padded.append(value);
  const std::string enc = base64_encode(padded, url, false);
  const std::size_t first = (8 * k + 5) / 6;             // ceil(8k / 6)
  const std::size_t last = (8 * (k + value.size())) / 6;  // floor
  if (last <= first) return {};
  return enc.substr(first, last - first);
}

}  // namespace

std::vector<SecretVariant> secret_variants(std::string_view value, std::uint32_t index) {
  std::vector<SecretVariant> v;
  auto add = [&](std::string bytes, std::string enc, bool core) {
    if (bytes.empty()) return;
    if (std::any_of(v.begin(), v.end(), [&](const SecretVariant& x) { return x.bytes == bytes; })) {
      return;
    }
    v.push_back(SecretVariant{std::move(bytes), index, std::move(enc), core});
  };
  add(std::string(value), "", false);
  add(json_escape(value), "json", false);
  add(hex_encode(value, false), "hex", false);
  add(hex_encode(value, true), "hex", false);
  add(url_encode(value, true), "url", false);
  add(url_encode(value, false), "url", false);
  for (bool url : {false, true}) {
    add(base64_encode(value, url, true), "base64", false);
    if (value.size() >= kMinBase64CoreSecret) {
      for (std::size_t k = 0; k < 3; ++k) add(base64_core(value, k, url), "base64", true);
    }
  }
  return v;
}

void SecretSet::add_variant(std::string bytes, std::uint32_t secret, std::string encoding,
                            bool core) {
  variants_.push_back(SecretVariant{std::move(bytes), secret, std::move(encoding), core});
}

Result<void> SecretSet::add(std::string_view name, std::string_view value) {
  if (value.size() < kMinSecretLength) {
    return fail(ErrorCode::secret_error,
                "registered secret is too short to redact reliably (minimum " +
                    std::to_string(kMinSecretLength) + " bytes)",
                {{"secret", std::string(name)}});
  }
  if (db_) {
    return fail(ErrorCode::invalid_argument,
                "secrets must be registered before the first scanner is opened",
                {{"secret", std::string(name)}});
  }
  const auto index = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  for (auto& var : secret_variants(value, index)) {
    add_variant(std::move(var.bytes), var.secret, std::move(var.encoding), var.base64_core);
  }
  return {};
}

Result<void> SecretSet::compile() {
  if (db_ || variants_.empty()) return {};
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < variants_.size(); ++i) {
    exprs.push_back(variants_[i].bytes.data());
    lens.push_back(variants_[i].bytes.size());
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_STREAM, nullptr, &db,
                           &err) != HS_SUCCESS) {
    HsCompileError e(err);
    return fail(ErrorCode::secret_error,
                std::string("cannot build the registered-secret matcher: ") + e->message);
  }
  db_.reset(db);
  return {};
}

}  // namespace kavach::gate::detail
