#include <kavach/kavach.hpp>

#include <cstdio>

int main() {
  auto cfg = kavach::SandboxConfigBuilder().backend(kavach::BackendKind::noop).build();
  if (!cfg) return 1;
  auto s = kavach::requested_score(kavach::BackendKind::process, kavach::preset_policy(kavach::Preset::strict));
  std::printf("%d %s\n", s.value, s.label.c_str());
  return s.value > 0 ? 0 : 1;
}
