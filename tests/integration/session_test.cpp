// Sessions on real backends: a sandbox that lives across commands. What is checked is what an
// agent relies on — state and background processes persist, execs run at once, a timeout ends a
// command and not the session, pause stops everything, destroy leaves no process on the host —
// and what a security engineer relies on: every exec is confined like the sandbox (seccomp,
// no_new_privs), scored from the same report, and gated and audited like Sandbox::exec.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "corpus_secret.hpp"
#include "kavach/session.hpp"

namespace kavach {
namespace {

using namespace std::chrono_literals;

class Events final : public AuditHook {
 public:
  void on_event(const AuditEvent& e) noexcept override {
    std::lock_guard lk(mu);
    types.push_back(std::string(to_string(e.type)));
    if (e.type == AuditEventType::gate_verdict) gate.push_back(e.data.dump());
  }
  std::size_t count(const std::string& t) {
    std::lock_guard lk(mu);
    return static_cast<std::size_t>(std::count(types.begin(), types.end(), t));
  }
  std::mutex mu;
  std::vector<std::string> types;
  std::vector<std::string> gate;
};

// Host processes whose command line is exactly `argv` (NUL-separated).
int host_processes_with_cmdline(const std::string& joined) {
  int n = 0;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == joined) ++n;
  }
  if (d) ::closedir(d);
  return n;
}

class SessionTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    auto backend = create_backend(GetParam());
    if (!backend || !(*backend)->availability().available) {
      GTEST_SKIP() << to_string(GetParam()) << " backend unavailable here: "
                   << (backend ? (*backend)->availability().reason : backend.error().message);
    }
  }

  std::unique_ptr<Session> open(SandboxPolicy policy, SessionOptions options = {}) {
    SandboxConfig config;
    config.backend = GetParam();
    if (GetParam() == BackendKind::gvisor) policy.may_degrade.insert(Control::protected_paths);
    config.policy = ValidPolicy::check(std::move(policy)).value();
    config.hooks.push_back(events);
    auto s = Session::open(std::move(config), options);
    EXPECT_TRUE(s.has_value()) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }
  static SandboxPolicy strict(std::chrono::milliseconds timeout = 20s) {
    SandboxPolicy p = preset_policy(Preset::strict);
    p.limits.wall_timeout = timeout;
    return p;
  }
  static Command sh(const std::string& script) {
    Command c;
    c.argv = {"sh", "-c", script};
    return c;
  }
  std::shared_ptr<Events> events = std::make_shared<Events>();
};

TEST_P(SessionTest, StateAndBackgroundProcessesPersistBetweenExecs) {
  auto s = open(strict());
  ASSERT_TRUE(s);
  auto bg = s->exec(sh("sleep 300 >/dev/null 2>&1 & echo $!; echo kept > /tmp/state"));
  ASSERT_TRUE(bg) << bg.error().describe();
  ASSERT_EQ(bg->result.exit_code, 0) << bg->result.stderr_data;
  const std::string pid = bg->result.stdout_data.substr(0, bg->result.stdout_data.find('\n'));
  auto check = s->exec(sh("kill -0 " + pid + " && echo alive; cat /tmp/state"));
  ASSERT_TRUE(check) << check.error().describe();
  EXPECT_EQ(check->result.stdout_data, "alive\nkept\n");
  EXPECT_EQ(check->result.exit_code, 0) << check->result.stderr_data;
}

// Exec A waits for a file only exec B creates: serial execs would time A out.
TEST_P(SessionTest, ExecsRunAtTheSameTime) {
  auto s = open(strict(15s));
  ASSERT_TRUE(s);
  Result<RunReport> a = fail(ErrorCode::internal, "not run");
  std::thread ta([&] { a = s->exec(sh("while [ ! -e /tmp/go ]; do sleep 0.05; done; echo A")); });
  while (s->metrics().value_or(SessionMetrics{}).running_execs == 0) std::this_thread::sleep_for(10ms);
  auto b = s->exec(sh("touch /tmp/go; echo B"));
  ta.join();
  ASSERT_TRUE(a) << a.error().describe();
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_FALSE(a->result.timed_out);
  EXPECT_EQ(a->result.stdout_data, "A\n");
  EXPECT_EQ(b->result.stdout_data, "B\n");
}

TEST_P(SessionTest, ATimeoutEndsTheCommandNotTheSession) {
  auto s = open(strict(1500ms));
  ASSERT_TRUE(s);
  auto slow = s->exec(sh("echo started; sleep 30"));
  ASSERT_TRUE(slow) << slow.error().describe();
  EXPECT_TRUE(slow->result.timed_out);
  EXPECT_EQ(slow->result.final_status(), FinalStatus::timed_out);
  EXPECT_EQ(slow->result.stdout_data, "started\n");
  auto next = s->exec(sh("echo still here"));
  ASSERT_TRUE(next) << next.error().describe();
  EXPECT_EQ(next->result.stdout_data, "still here\n");
}

// The confinement of a session's commands is the sandbox's: they descend from its init. The
// strict allow-list refuses unshare(CLONE_NEWUSER); negative control: without the allow-list the
// same command in a session succeeds.
TEST_P(SessionTest, CommandsAreConfinedLikeTheSandboxAndScoredFromItsReport) {
  auto s = open(strict());
  ASSERT_TRUE(s);
  auto st = s->exec(sh("grep -E '^Seccomp:' /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?"));
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_NE(st->result.stdout_data.find("Seccomp:\t2"), std::string::npos) << st->result.stdout_data;
  EXPECT_EQ(st->result.stdout_data.find("unshare=0"), std::string::npos) << st->result.stdout_data;
  EXPECT_TRUE(st->result.enforcement.applied(Control::seccomp));
  EXPECT_EQ(st->score.value, compute_score(GetParam(), st->result.enforcement).value);
  EXPECT_GT(st->score.value, 0);
  ASSERT_TRUE(s->destroy());
  if (GetParam() == BackendKind::gvisor) return;  // the sentry's own rules for nested namespaces

  SandboxPolicy open_policy = strict();
  open_policy.seccomp.mode = SeccompMode::none;
  auto weak = open(open_policy);
  ASSERT_TRUE(weak);
  auto wst = weak->exec(sh("unshare -U true; echo unshare=$?"));
  ASSERT_TRUE(wst) << wst.error().describe();
  EXPECT_NE(wst->result.stdout_data.find("unshare=0"), std::string::npos) << wst->result.stdout_data;
  EXPECT_FALSE(wst->result.enforcement.applied(Control::seccomp));
  EXPECT_LT(wst->score.value, st->score.value);
}

TEST_P(SessionTest, EveryExecIsGatedAndAudited) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty());
  auto s = open(strict());
  ASSERT_TRUE(s);
  auto r = s->exec(sh("echo T=" + token));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_TRUE(r->gate.has_value());
  EXPECT_EQ(r->result.stdout_data.find(token), std::string::npos) << "a secret left a session exec";
  EXPECT_NE(r->release, OutputRelease::released);
  auto r2 = s->exec(sh("echo fine"));
  ASSERT_TRUE(r2) << r2.error().describe();
  EXPECT_EQ(r2->release, OutputRelease::released);
  EXPECT_EQ(events->count("exec_started"), 2u);
  EXPECT_EQ(events->count("exec_finished"), 2u);
  EXPECT_EQ(events->count("gate_verdict"), 2u);
  for (const auto& g : events->gate) EXPECT_EQ(g.find(token), std::string::npos);
}

TEST_P(SessionTest, StdinAndLiveOutput) {
  struct Sink final : OutputSink {
    bool on_output(OutputStream, std::string_view b) override {
      got.append(b);
      return true;
    }
    std::string got;
  } sink;
  auto s = open(strict());
  ASSERT_TRUE(s);
  Command c;
  c.argv = {"cat"};
  c.stdin_data = std::string(200000, 'x') + "end";
  c.output = &sink;
  auto r = s->exec(c);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->result.stdout_data.size(), 200003u);
  EXPECT_EQ(sink.got.size(), 200003u);
}

TEST_P(SessionTest, PauseStopsEveryProcessAndResumeContinuesThem) {
  auto s = open(strict());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->exec(sh("sleep 300 >/dev/null 2>&1 & sleep 300 >/dev/null 2>&1 &")));
  ASSERT_TRUE(s->pause());
  auto m = s->metrics();
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_GE(m->processes, 2u);
  EXPECT_EQ(m->stopped_processes, m->processes);
  auto refused = s->exec(sh("true"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_transition);
  ASSERT_TRUE(s->resume());
  m = s->metrics();
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->stopped_processes, 0u);
  EXPECT_TRUE(s->exec(sh("true")));
}

// Destroy kills the whole tree: a background process is gone from the host afterwards.
TEST_P(SessionTest, DestroyLeavesNoProcessOnTheHost) {
  if (GetParam() == BackendKind::gvisor) GTEST_SKIP() << "gVisor's processes are not host processes";
  auto s = open(strict());
  ASSERT_TRUE(s);
  const std::string secs = std::to_string(900000 + ::getpid() % 90000);
  const std::string cmdline = std::string("sleep") + '\0' + secs + '\0';
  ASSERT_TRUE(s->exec(sh("sleep " + secs + " >/dev/null 2>&1 &")));
  for (int i = 0; i < 200 && host_processes_with_cmdline(cmdline) == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(host_processes_with_cmdline(cmdline), 1) << "the session's background process is not on the host";
  ASSERT_TRUE(s->destroy());
  EXPECT_FALSE(s->alive());
  EXPECT_EQ(host_processes_with_cmdline(cmdline), 0) << "a session process outlived destroy";
  auto after = s->exec(sh("true"));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::backend_unavailable);
}

// The channel between kavach and the init is the session's own business, but it must never hurt
// more than the session: the init is not dumpable, so on process and oci its /proc entries (the
// channel's pipes) are closed to the commands (they could read them before); where a command can
// still write into it (gVisor's procfs), garbage ends that session only.
TEST_P(SessionTest, CommandsCannotReachTheChannelAndGarbageEndsOnlyTheirSession) {
  auto s = open(strict());
  ASSERT_TRUE(s);
  if (GetParam() != BackendKind::gvisor) {
    auto r = s->exec(sh("readlink /proc/$PPID/fd/0 /proc/$PPID/fd/1 2>&1; echo rc=$?"));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->result.stdout_data.find("pipe:"), std::string::npos) << r->result.stdout_data;
    EXPECT_NE(r->result.stdout_data.find("rc=1"), std::string::npos) << r->result.stdout_data;
  }
  auto forged = s->exec(sh("head -c 100000 /dev/urandom > /proc/$PPID/fd/1 2>/dev/null; echo done"));
  if (!forged) {
    EXPECT_EQ(forged.error().code, ErrorCode::backend_unavailable);  // that session ended
    EXPECT_FALSE(s->alive());
  } else {
    EXPECT_EQ(forged->result.stdout_data, "done\n");
  }
  auto next = open(strict());
  ASSERT_TRUE(next);
  auto r = next->exec(sh("echo fine"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->result.stdout_data, "fine\n");
}

// A command may stop the init (same user, same Landlock domain on the process backend); destroy
// does not wait for it: the backend kills the tree (not after the session's lifetime).
TEST_P(SessionTest, AStoppedInitDoesNotHoldDestroy) {
  auto s = open(strict());
  ASSERT_TRUE(s);
  auto r = s->exec(sh("(sleep 0.3; kill -STOP $PPID) >/dev/null 2>&1 & echo ok"));
  ASSERT_TRUE(r) << r.error().describe();
  std::this_thread::sleep_for(600ms);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s->destroy());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s) << "destroy waited for a stopped init";
  EXPECT_FALSE(s->alive());
}

TEST_P(SessionTest, AnIdleSessionEnds) {
  SessionOptions o;
  o.idle_timeout = 300ms;
  auto s = open(strict(), o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->exec(sh("true")));
  for (int i = 0; i < 100 && s->alive(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(s->alive());
  EXPECT_NE(s->end_reason().find("idle"), std::string::npos) << s->end_reason();
}

TEST_P(SessionTest, TheLifetimeBoundsTheSession) {
  SessionOptions o;
  o.max_lifetime = 2s;
  auto s = open(strict(), o);
  ASSERT_TRUE(s);
  auto r = s->exec(sh("sleep 30"));
  // Killed with the session: an error (the session ended) or a killed command, never a success.
  if (r) {
    EXPECT_NE(r->result.exit_code, 0);
  }
  for (int i = 0; i < 100 && s->alive(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(s->alive());
}

TEST_P(SessionTest, FilesInAndOut) {
  const std::string work = "/tmp/kavach-session-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(work);
  SandboxPolicy p = strict();
  p.fs.writable_paths.push_back(work);
  p.fs.workdir = work;
  auto s = open(p);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->import_file("in.txt", "hello\n"));
  auto r = s->exec(sh("tr a-z A-Z < in.txt > out.txt"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->result.exit_code, 0) << r->result.stderr_data;
  auto out = s->export_file("out.txt");
  ASSERT_TRUE(out) << out.error().describe();
  EXPECT_EQ(out->content, "HELLO\n");
  (void)s->destroy();
  std::filesystem::remove_all(work);
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionTest,
                         ::testing::Values(BackendKind::process, BackendKind::oci, BackendKind::gvisor),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

}  // namespace
}  // namespace kavach
