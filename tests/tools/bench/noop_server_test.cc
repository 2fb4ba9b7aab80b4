// tenantkv-noop-server, the benchmarks' HTTP ceiling and storage floor, run
// as a process on 127.0.0.1 port 0: what each mode answers, and that the
// floor really stores (per tenant) what it is sent.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// One tenantkv-noop-server process (on 127.0.0.1:0 unless `args` name a
// --listen; "@DIR" in `args` stands for a fresh directory); stopped
// (SIGTERM, then waited for) on destruction.
class NoopServer {
 public:
  explicit NoopServer(std::vector<std::string> args) {
    char dir_template[] = "/tmp/tkv-noop-test.XXXXXX";
    dir_ = mkdtemp(dir_template);
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> all = {TENANTKV_NOOP_SERVER_BIN};
      bool listen = false;
      for (auto& a : args) {
        listen = listen || a == "--listen";
        all.push_back(a == "@DIR" ? dir_ + "/db" : a);
      }
      if (!listen) all.insert(all.end(), {"--listen", "127.0.0.1:0"});
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256];
    // The first line names the port ("... listening on http://127.0.0.1:P").
    if (f != nullptr && std::fgets(line, sizeof(line), f) != nullptr) {
      const std::string s(line);
      const size_t colon = s.rfind(':');
      if (s.find("listening on") != std::string::npos && colon != std::string::npos) {
        port_ = std::atoi(s.c_str() + colon + 1);
      }
    }
    if (f != nullptr) std::fclose(f);
  }
  ~NoopServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::system(("rm -rf " + dir_).c_str());
  }
  int port() const { return port_; }
  // Waits for the process to end by itself; its exit code, or -1.
  int ExitCode() {
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

httplib::Headers Tenant(const std::string& t) { return {{"Authorization", "Bearer " + t}}; }

TEST(NoopServer, TheCeilingAnswersEveryRouteWithTheFixedBody) {
  NoopServer s({"--body-bytes", "100"});
  ASSERT_GT(s.port(), 0);
  httplib::Client c("127.0.0.1", s.port());
  auto get = c.Get("/v1/kv/anything", Tenant("a"));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, std::string(100, 'v'));
  auto put = c.Put("/v1/kv/k1", "a new value", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  EXPECT_EQ(put->body, std::string(100, 'v'));
  // Nothing was stored.
  auto again = c.Get("/v1/kv/k1", Tenant("a"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, std::string(100, 'v'));
}

TEST(NoopServer, TheStorageFloorReadsAndWritesEachTenantsOwnKeys) {
  NoopServer s({"--storage-dir", "@DIR", "--column-families", "2", "--keys", "50", "--body-bytes", "10"});
  ASSERT_GT(s.port(), 0);
  httplib::Client c("127.0.0.1", s.port());
  auto loaded = c.Get("/v1/kv/k49", Tenant("a"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->status, 200);
  EXPECT_EQ(loaded->body, std::string(10, 'v'));
  auto missing = c.Get("/v1/kv/k50", Tenant("a"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  auto put = c.Put("/v1/kv/k7", Tenant("a"), "written by a", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  auto read = c.Get("/v1/kv/k7", Tenant("a"));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->body, "written by a");
  // Tenant b has a column family of its own: its k7 is still the loaded one.
  auto other = c.Get("/v1/kv/k7", Tenant("b"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(other->body, std::string(10, 'v'));
}

TEST(NoopServer, BlindWritesStoreToo) {
  NoopServer s({"--storage-dir", "@DIR", "--column-families", "1", "--keys", "5", "--blind-writes"});
  ASSERT_GT(s.port(), 0);
  httplib::Client c("127.0.0.1", s.port());
  auto put = c.Put("/v1/kv/new", Tenant("a"), "fresh", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  auto read = c.Get("/v1/kv/new", Tenant("a"));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(read->body, "fresh");
}

TEST(NoopServer, RefusesToListenBeyondLoopback) {
  NoopServer s({"--listen", "0.0.0.0:0"});
  EXPECT_EQ(s.port(), 0);
  EXPECT_EQ(s.ExitCode(), 2);
}

}  // namespace
