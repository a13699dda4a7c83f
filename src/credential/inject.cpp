// Resolution of SecretRefs into what a backend delivers: env pairs, in-memory files, stdin,
// placeholders for the egress proxy.
#include <openssl/rand.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/secure_buffer.hpp"
#include "core/hex.hpp"
#include "kavach/credential.hpp"

namespace kavach {
namespace {

Error inject_error(const SecretRef& ref, std::string_view reason, std::string what) {
  std::map<std::string, std::string> ctx{{"secret", ref.name},
                                         {"method", std::string(to_string(ref.method))},
                                         {"reason", std::string(reason)}};
  if (!ref.target.empty()) ctx.emplace("target", ref.target);
  return make_error(ErrorCode::secret_error, std::move(what), std::move(ctx));
}

// An absolute, lexically normal path that names a file (not "/", no "..", no trailing '/').
bool is_valid_sandbox_file(std::string_view target) {
  if (target.size() < 2 || target.front() != '/' || target.back() == '/') return false;
  if (target.find('\0') != std::string_view::npos) return false;
  const std::filesystem::path p(target);
  if (p.lexically_normal().string() != target) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

Result<void> CredentialProxy::validate(const std::vector<SecretRef>& refs, const Command& cmd) const {
  return validate(refs, cmd, {});
}

Result<void> CredentialProxy::validate(const std::vector<SecretRef>& refs, const Command& cmd,
                                       const std::vector<std::string>& policy_env) const {
  // Targets already taken, with who took them, for precise duplicate messages.
  std::map<std::string, std::string> env_owner;
  std::map<std::string, std::string> file_owner;
  std::string stdin_owner;
  for (const auto& var : policy_env) env_owner.emplace(var, "the policy (env allow-list / default environment)");
  for (const auto& [var, value] : cmd.env) env_owner.emplace(var, "the command");
  for (const auto& f : cmd.files) file_owner.emplace(f.path.string(), "the command");
  if (cmd.stdin_data) stdin_owner = "the command";

  const auto owner_of = [](const SecretRef& ref) { return "secret '" + ref.name + "'"; };

  for (const auto& ref : refs) {
    const auto it = secrets_.find(ref.name);
    if (it == secrets_.end()) {
      std::string known;
      for (const auto& [name, buf] : secrets_) known += (known.empty() ? "" : ", ") + name;
      return tl::unexpected(inject_error(
          ref, kReasonUnknownName, "unknown secret '" + ref.name + "' (registered: " + (known.empty() ? "none" : known) + ")"));
    }
    switch (ref.method) {
      case InjectionMethod::env: {
        if (!is_valid_env_name(ref.target)) {
          return tl::unexpected(
              inject_error(ref, kReasonInvalidTarget, "secret '" + ref.name + "': '" + ref.target + "' is not a valid environment variable name"));
        }
        if (it->second->view().find('\0') != std::string_view::npos) {
          return tl::unexpected(inject_error(
              ref, kReasonNulByte, "secret '" + ref.name + "' contains a NUL byte and cannot be an environment variable; inject it as a file or stdin"));
        }
        const auto [pos, fresh] = env_owner.emplace(ref.target, owner_of(ref));
        if (!fresh) {
          return tl::unexpected(inject_error(ref, kReasonDuplicateTarget, "duplicate target: environment variable " + ref.target +
                                                      " is set by both " + pos->second + " and " + owner_of(ref)));
        }
        break;
      }
      case InjectionMethod::file: {
        if (!is_valid_sandbox_file(ref.target)) {
          return tl::unexpected(inject_error(
              ref, kReasonInvalidTarget, "secret '" + ref.name + "': file target '" + ref.target +
                       "' must be an absolute, normalized path to a file inside the sandbox"));
        }
        const auto [pos, fresh] = file_owner.emplace(ref.target, owner_of(ref));
        if (!fresh) {
          return tl::unexpected(inject_error(ref, kReasonDuplicateTarget, "duplicate target: file " + ref.target + " is written by both " +
                                                      pos->second + " and " + owner_of(ref)));
        }
        break;
      }
      case InjectionMethod::egress: {
        auto target = parse_egress_target(ref.target);
        if (!target) return tl::unexpected(inject_error(ref, kReasonInvalidTarget, target.error().message));
        const auto [pos, fresh] = env_owner.emplace(target->variable, owner_of(ref));
        if (!fresh) {
          return tl::unexpected(inject_error(ref, kReasonDuplicateTarget, "duplicate target: environment variable " +
                                                                              target->variable + " is set by both " +
                                                                              pos->second + " and " + owner_of(ref)));
        }
        break;
      }
      case InjectionMethod::standard_input: {
        if (!stdin_owner.empty()) {
          return tl::unexpected(inject_error(
              ref, kReasonDuplicateTarget, "duplicate target: stdin is given by both " + stdin_owner + " and " + owner_of(ref)));
        }
        stdin_owner = owner_of(ref);
        break;
      }
    }
  }

  return {};
}

Result<void> CredentialProxy::inject(const std::vector<SecretRef>& refs, Command& cmd) const {
  if (auto r = validate(refs, cmd); !r) return r;
  // Reserve first: a vector that grows moves short (inline-stored) strings and frees the old
  // buffer unwiped, which would leave stray copies of a value in the heap.
  std::size_t envs = 0;
  std::size_t files = 0;
  for (const auto& ref : refs) {
    envs += ref.method == InjectionMethod::env || ref.method == InjectionMethod::egress ? 1 : 0;
    files += ref.method == InjectionMethod::file ? 1 : 0;
  }
  cmd.env.reserve(cmd.env.size() + envs);
  cmd.files.reserve(cmd.files.size() + files);
  cmd.egress_swaps.reserve(cmd.egress_swaps.size() + refs.size());
  for (const auto& ref : refs) {
    const std::string_view value = secrets_.find(ref.name)->second->view();
    switch (ref.method) {
      case InjectionMethod::env: cmd.env.emplace_back(ref.target, std::string(value)); break;
      case InjectionMethod::file:
        cmd.files.push_back(InjectedFile{ref.target, std::string(value), 0400});
        break;
      case InjectionMethod::standard_input: cmd.stdin_data = std::string(value); break;
      case InjectionMethod::egress: {
        // The sandbox gets a random placeholder; only the egress proxy holds the value.
        const EgressTarget t = *parse_egress_target(ref.target);
        unsigned char rnd[16];
        if (RAND_bytes(rnd, sizeof rnd) != 1) {
          return tl::unexpected(inject_error(ref, kReasonHardening, "no random bytes for the placeholder"));
        }
        std::string placeholder = "kavach-placeholder-";
        placeholder += hex_encode(rnd, sizeof rnd);
        cmd.env.emplace_back(t.variable, placeholder);
        cmd.egress_swaps.push_back(EgressSwap{ref.name, t.host, t.port, t.header, placeholder, std::string(value)});
        break;
      }
    }
  }
  return {};
}

}  // namespace kavach
