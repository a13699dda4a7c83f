// Session: policy, limits and registered secrets shared by the scanners of one run.
#include <algorithm>

#include "gate/session_impl.hpp"

namespace kavach::gate {
namespace {

std::string marker_for(std::string_view name) {
  std::string safe;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    safe.push_back(ok ? c : '_');
  }
  return "[REDACTED:" + std::string(kRegisteredSecretRule) + (safe.empty() ? "" : ":" + safe) + "]";
}

}  // namespace

Session::Session(std::shared_ptr<const Gate> gate, Options options)
    : impl_(std::make_shared<Impl>()) {
  impl_->gate = std::move(gate);
  impl_->options = std::move(options);
  const auto& rules = impl_->gate->impl().rules.rules;
  impl_->enabled.assign(rules.size(), 1);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const auto& o = impl_->options;
    const bool rule_off =
        std::find(o.disabled_rules.begin(), o.disabled_rules.end(), r.id) != o.disabled_rules.end();
    const bool tag_off = std::any_of(r.tags.begin(), r.tags.end(), [&](const std::string& t) {
      return std::find(o.disabled_tags.begin(), o.disabled_tags.end(), t) != o.disabled_tags.end();
    });
    if (rule_off || tag_off || !r.report) impl_->enabled[i] = 0;
  }
}

Session::~Session() = default;

Result<void> Session::register_secret(std::string_view name, std::string_view value) {
  std::lock_guard lock(impl_->mu);
  if (impl_->frozen) {
    return fail(ErrorCode::invalid_argument,
                "secrets must be registered before the first scanner is opened",
                {{"secret", std::string(name)}});
  }
  auto ok = impl_->secrets.add(name, value);
  if (!ok) return ok;
  impl_->secret_markers.push_back(marker_for(name));
  return {};
}

Result<std::unique_ptr<Scanner>> Session::open(std::string source) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->frozen) {
      auto ok = impl_->secrets.compile();
      if (!ok) return tl::unexpected(ok.error());
      impl_->frozen = true;
    }
  }
  auto impl = std::make_unique<Scanner::Impl>(impl_, std::move(source));
  auto ok = impl->open();
  if (!ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Scanner>(new Scanner(std::move(impl)));
}

Result<std::string> Session::scan(std::string source, std::string_view data) {
  auto sc = open(std::move(source));
  if (!sc) return tl::unexpected(sc.error());
  std::string out;
  out.reserve(data.size() + 64);
  auto w = (*sc)->write(data, out);
  auto f = (*sc)->finish(out);
  if (!w) return tl::unexpected(w.error());
  if (!f) return tl::unexpected(f.error());
  return out;
}

Report Session::report() const {
  std::lock_guard lock(impl_->mu);
  return impl_->report;
}

Result<Report> apply(Session& session, ExecResult& result) {
  auto out = session.scan("stdout", result.stdout_data);
  if (!out) return tl::unexpected(out.error());
  auto err = session.scan("stderr", result.stderr_data);
  if (!err) return tl::unexpected(err.error());
  result.stdout_data = std::move(*out);
  result.stderr_data = std::move(*err);
  return session.report();
}

}  // namespace kavach::gate
