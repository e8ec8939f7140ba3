// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket: the protocol (tables), then real sockets in a temporary directory.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hepd/control.hpp"

namespace hepd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long ms_since(Clock::time_point t0) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
}

// --- protocol --------------------------------------------------------------------------------

TEST(ControlProto, ParseGood) {
    struct Row {
        const char* line;
        ControlRequest want;
    };
    const Row rows[] = {
        {"ping", {ControlVerb::ping, std::nullopt}},
        {"status", {ControlVerb::status, std::nullopt}},
        {"status json", {ControlVerb::status_json, std::nullopt}},
        {"  status \t json  ", {ControlVerb::status_json, std::nullopt}},
        {"status json\r", {ControlVerb::status_json, std::nullopt}},
        {"reload", {ControlVerb::reload, std::nullopt}},
        {"apply", {ControlVerb::apply, std::nullopt}},
        {"apply 0", {ControlVerb::apply, 0u}},
        {"apply 90", {ControlVerb::apply, 90u}},
        {"apply 086400", {ControlVerb::apply, 86400u}},
        {"confirm", {ControlVerb::confirm, std::nullopt}},
        {"rollback", {ControlVerb::rollback, std::nullopt}},
        {"teardown", {ControlVerb::teardown, std::nullopt}},
    };
    for (const auto& row : rows) {
        Diagnostics d;
        auto r = parse_control_request(row.line, d);
        ASSERT_TRUE(r.has_value()) << row.line << "\n" << d.format();
        EXPECT_EQ(*r, row.want) << row.line;
        EXPECT_TRUE(d.empty());
        // The canonical form parses back to the same request.
        Diagnostics d2;
        auto again = parse_control_request(format_control_request(*r), d2);
        ASSERT_TRUE(again.has_value());
        EXPECT_EQ(*again, *r);
    }
    EXPECT_EQ(format_control_request({ControlVerb::apply, 90u}), "apply 90");
    EXPECT_EQ(format_control_request({ControlVerb::apply, std::nullopt}), "apply");
    EXPECT_EQ(format_control_request({ControlVerb::status_json, std::nullopt}), "status json");
}

TEST(ControlProto, ParseBad) {
    struct Row {
        std::string line;
        const char* error;  // the formatted diagnostic
    };
    const Row rows[] = {
        {"", "control:1: error: empty request (expected ping, status, status json, reload, apply "
             "[SECONDS], confirm, rollback or teardown)"},
        {"   ", "control:1: error: empty request (expected ping, status, status json, reload, apply "
                "[SECONDS], confirm, rollback or teardown)"},
        {"STATUS", "control:1:1: error: unknown request 'STATUS' (expected ping, status, status "
                   "json, reload, apply [SECONDS], confirm, rollback or teardown)"},
        {"  hello world", "control:1:3: error: unknown request 'hello' (expected ping, status, "
                          "status json, reload, apply [SECONDS], confirm, rollback or teardown)"},
        {std::string(100, 'x'),
         "control:1:1: error: unknown request 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (expected ping, "
         "status, status json, reload, apply [SECONDS], confirm, rollback or teardown)"},
        {"status yaml", "control:1:8: error: 'status' takes only the argument 'json', got 'yaml'"},
        {"status json now", "control:1:13: error: too many arguments for 'status json'"},
        {"ping pong", "control:1:6: error: 'ping' takes no argument, got 'pong'"},
        {"reload now", "control:1:8: error: 'reload' takes no argument, got 'now'"},
        {"confirm 1", "control:1:9: error: 'confirm' takes no argument, got '1'"},
        {"rollback x", "control:1:10: error: 'rollback' takes no argument, got 'x'"},
        {"apply 86401", "control:1:7: error: apply: the confirm timeout must be 0..86400 seconds, "
                        "got '86401'"},
        {"apply -1", "control:1:7: error: apply: the confirm timeout must be 0..86400 seconds, "
                     "got '-1'"},
        {"apply +5", "control:1:7: error: apply: the confirm timeout must be 0..86400 seconds, "
                     "got '+5'"},
        {"apply 9s", "control:1:7: error: apply: the confirm timeout must be 0..86400 seconds, "
                     "got '9s'"},
        {"apply 99999999999999999999999", "control:1:7: error: apply: the confirm timeout must be "
                                          "0..86400 seconds, got '99999999999999999999999'"},
        {"apply 1 2", "control:1:9: error: too many arguments for 'apply' (apply [SECONDS])"},
        {std::string("ping\0", 5), "control:1:5: error: request contains the byte 0x00 (only "
                                   "printable ASCII is allowed)"},
        {"st\x1b[2Jatus", "control:1:3: error: request contains the byte 0x1b (only printable ASCII "
                          "is allowed)"},
        {"ping\xc3\xa9", "control:1:5: error: request contains the byte 0xc3 (only printable ASCII "
                         "is allowed)"},
        {"ping\r\r", "control:1:5: error: request contains the byte 0x0d (only printable ASCII is "
                     "allowed)"},
        {std::string(4096, 'a'), "control:1: error: request longer than 4096 bytes"},
    };
    for (const auto& row : rows) {
        Diagnostics d;
        EXPECT_FALSE(parse_control_request(row.line, d).has_value()) << row.line;
        ASSERT_EQ(d.items().size(), 1u) << row.line;
        EXPECT_EQ(d.items()[0].format(), row.error);
    }
}

TEST(ControlProto, Framing) {
    using K = ControlFraming::Kind;
    struct Row {
        std::string received;
        bool eof;
        K kind;
        std::string line;
    };
    const std::string max_line(control_max_request - 1, 'a');
    const Row rows[] = {
        {"", false, K::incomplete, ""},
        {"", true, K::incomplete, ""},
        {"stat", false, K::incomplete, ""},
        {"stat", true, K::line, "stat"},
        {"status\n", false, K::line, "status"},
        {"status\r\n", false, K::line, "status\r"},
        {"ping\nstatus\n", false, K::line, "ping"},
        {"\n", false, K::line, ""},
        {max_line + "\n", false, K::line, max_line},
        {max_line, false, K::incomplete, ""},
        {max_line, true, K::line, max_line},
        {max_line + "a", false, K::too_long, ""},
        {max_line + "a", true, K::too_long, ""},
        {max_line + "a\n", false, K::too_long, ""},
    };
    for (const auto& row : rows) {
        ControlFraming f = frame_control_request(row.received, row.eof);
        EXPECT_EQ(f.kind, row.kind) << row.received.size();
        EXPECT_EQ(std::string(f.line), row.line);
    }
}

TEST(ControlProto, Replies) {
    EXPECT_EQ(control_reply_ok(), "OK\n");
    EXPECT_EQ(control_reply_ok("pong"), "OK\npong\n");
    EXPECT_EQ(control_reply_ok("a\nb\n"), "OK\na\nb\n");
    EXPECT_EQ(control_reply_error(13, "permission denied"), "ERR 13 permission denied\n");
    EXPECT_EQ(control_reply_error(22, "bad\nthing\x01", "x.yaml:1:1: error: y"),
              "ERR 22 bad?thing?\nx.yaml:1:1: error: y\n");
    EXPECT_EQ(control_reply_error(5, ""), "ERR 5 error\n");

    struct Row {
        std::string data;
        std::optional<ControlReply> want;
        const char* problem;
    };
    const Row rows[] = {
        {"OK\n", ControlReply{true, 0, "", ""}, ""},
        {"OK\npong\n", ControlReply{true, 0, "", "pong\n"}, ""},
        {"ERR 13 permission denied\n", ControlReply{false, 13, "permission denied", ""}, ""},
        {"ERR 22 rejected\na\nb\n", ControlReply{false, 22, "rejected", "a\nb\n"}, ""},
        {"ERR 110\n", ControlReply{false, 110, "", ""}, ""},
        {"", std::nullopt, "empty reply: the daemon closed the connection without answering"},
        {"OK\npo", std::nullopt, "reply cut short (it does not end in a newline)"},
        {"OK", std::nullopt, "reply cut short (it does not end in a newline)"},
        {"ok\n", std::nullopt, "not a hepd reply: 'ok'"},
        {"ERR\n", std::nullopt, "not a hepd reply: 'ERR'"},
        {"ERR x y\n", std::nullopt, "not a hepd reply: 'ERR x y'"},
        {"ERR 12345 y\n", std::nullopt, "not a hepd reply: 'ERR 12345 y'"},
        {"HTTP/1.1 200 OK\x01\n", std::nullopt, "not a hepd reply: 'HTTP/1.1 200 OK?'"},
    };
    for (const auto& row : rows) {
        std::string problem;
        auto r = parse_control_reply(row.data, &problem);
        EXPECT_EQ(r, row.want) << row.data;
        EXPECT_EQ(problem, row.problem) << row.data;
    }
    // What the server sends, the client reads back.
    auto r = parse_control_reply(control_reply_error(90, "request longer than 4096 bytes", "b"));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (ControlReply{false, 90, "request longer than 4096 bytes", "b\n"}));
}

// --- sockets ---------------------------------------------------------------------------------

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/hepd-control-test-XXXXXX";
        if (char* p = ::mkdtemp(tmpl)) path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

struct Logs {
    std::mutex mu;
    std::vector<std::string> lines;
    void add(std::string_view l) {
        std::lock_guard<std::mutex> g(mu);
        lines.emplace_back(l);
    }
    bool contains(std::string_view part) {
        std::lock_guard<std::mutex> g(mu);
        for (const auto& l : lines)
            if (l.find(part) != std::string::npos) return true;
        return false;
    }
    std::string all() {
        std::lock_guard<std::mutex> g(mu);
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
};

ControlServerOptions options_with(const std::shared_ptr<Logs>& logs) {
    ControlServerOptions o;
    o.log = [logs](std::string_view l) { logs->add(l); };
    return o;
}

// The daemon loop in a thread: poll the server's descriptor, serve(), repeat.
class Loop {
public:
    Loop(ControlServer server, ControlHandler handler)
        : server_(std::move(server)), handler_(std::move(handler)), thread_([this] { run(); }) {}
    ~Loop() {
        stop_ = true;
        thread_.join();
    }
    size_t clients() const { return clients_; }

private:
    void run() {
        while (!stop_) {
            pollfd p{server_.fd(), POLLIN, 0};
            int t = server_.poll_timeout_ms();
            ::poll(&p, 1, t < 0 || t > 5 ? 5 : t);
            server_.serve(handler_);
            clients_ = server_.client_count();
        }
    }
    ControlServer server_;
    ControlHandler handler_;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> clients_{0};
    std::thread thread_;  // last: starts when everything above is ready
};

std::string default_handler_reply(const ControlIncoming& in) {
    switch (in.request.verb) {
    case ControlVerb::ping: return control_reply_ok("pong");
    case ControlVerb::status: return control_reply_ok("hepd 0.1.0  ENFORCING\n");
    case ControlVerb::status_json: return control_reply_ok("{\"state\":\"enforcing\"}");
    case ControlVerb::reload:
        return control_reply_error(EINVAL, "configuration rejected", "a.yaml:1:1: error: x");
    case ControlVerb::apply:
        return control_reply_ok("apply " + (in.request.timeout_s
                                                ? std::to_string(*in.request.timeout_s)
                                                : std::string("default")));
    case ControlVerb::confirm: return control_reply_error(ENOENT, "nothing pending");
    case ControlVerb::rollback: return control_reply_ok("rolled back");
    case ControlVerb::teardown: return control_reply_ok("stood down");
    }
    return control_reply_error(EINVAL, "?");
}

// A blocking client socket connected to `path`, or -1.
int raw_connect(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads until EOF (or an error such as ECONNRESET, or timeout_ms).
std::string read_all(int fd, int timeout_ms = 2000) {
    std::string out;
    char buf[4096];
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int left = static_cast<int>(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
        if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
        ssize_t n = ::read(fd, buf, sizeof buf);  // sockets and pipes
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
    }
}

// A socket at `path` that is bound and listening (backlog `backlog`) but never accepts: what a
// daemon stopped with SIGSTOP looks like from outside.
int deaf_listener(const std::string& path, int backlog) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(ControlSocket, RoundTrip) {
    TempDir t;
    const std::string dir = t / "run";
    const std::string path = dir + "/hepd.sock";
    auto logs = std::make_shared<Logs>();
    {
        auto server = ControlServer::open(path, options_with(logs));
        ASSERT_TRUE(server.ok()) << server.error().message();
        EXPECT_EQ(server->path(), path);
        EXPECT_EQ(server->poll_timeout_ms(), -1);

        struct stat st {};
        ASSERT_EQ(::stat(dir.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0700u);
        ASSERT_EQ(::lstat(path.c_str(), &st), 0);
        EXPECT_TRUE(S_ISSOCK(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        ASSERT_EQ(::stat((path + ".lock").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u);

        Loop loop(std::move(*server), default_handler_reply);
        struct Row {
            ControlRequest req;
            ControlReply want;
        };
        const Row rows[] = {
            {{ControlVerb::ping, std::nullopt}, {true, 0, "", "pong\n"}},
            {{ControlVerb::status, std::nullopt}, {true, 0, "", "hepd 0.1.0  ENFORCING\n"}},
            {{ControlVerb::status_json, std::nullopt}, {true, 0, "", "{\"state\":\"enforcing\"}\n"}},
            {{ControlVerb::reload, std::nullopt},
             {false, EINVAL, "configuration rejected", "a.yaml:1:1: error: x\n"}},
            {{ControlVerb::apply, 90u}, {true, 0, "", "apply 90\n"}},
            {{ControlVerb::apply, std::nullopt}, {true, 0, "", "apply default\n"}},
            {{ControlVerb::confirm, std::nullopt}, {false, ENOENT, "nothing pending", ""}},
            {{ControlVerb::rollback, std::nullopt}, {true, 0, "", "rolled back\n"}},
        };
        for (const auto& row : rows) {
            auto r = control_call(path, row.req, 2000);
            ASSERT_TRUE(r.ok()) << format_control_request(row.req) << ": " << r.error().message();
            EXPECT_EQ(*r, row.want) << format_control_request(row.req);
        }
        // The raw form, with a sloppy but valid request line.
        auto raw = control_request(path, "  status \t json\r", 2000);
        ASSERT_TRUE(raw.ok());
        EXPECT_EQ(*raw, "OK\n{\"state\":\"enforcing\"}\n");

        // A request ended by EOF (shutdown) instead of LF.
        int fd = raw_connect(path);
        ASSERT_GE(fd, 0);
        send_all(fd, "ping");
        ::shutdown(fd, SHUT_WR);
        EXPECT_EQ(read_all(fd), "OK\npong\n");
        ::close(fd);

        // Many clients at once, each answered.
        std::vector<int> fds;
        for (int i = 0; i < 10; ++i) {
            fds.push_back(raw_connect(path));
            ASSERT_GE(fds.back(), 0);
        }
        for (int f : fds) send_all(f, "ping\n");
        for (int f : fds) {
            EXPECT_EQ(read_all(f), "OK\npong\n");
            ::close(f);
        }
        EXPECT_EQ(control_request(path, "status\nping", 1000).error().err, EINVAL);
    }
    // The server is gone: so is its socket; the lock file stays.
    struct stat st {};
    EXPECT_NE(::lstat(path.c_str(), &st), 0);
    EXPECT_EQ(::lstat((path + ".lock").c_str(), &st), 0);
    auto gone = control_request(path, "ping", 500);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().err, ENOENT);
    EXPECT_EQ(logs->all(), "");
}

TEST(ControlSocket, OversizedAndGarbage) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto logs = std::make_shared<Logs>();
    auto server = ControlServer::open(path, options_with(logs));
    ASSERT_TRUE(server.ok()) << server.error().message();
    Loop loop(std::move(*server), default_handler_reply);

    struct Row {
        std::string line;
        std::string reply;
    };
    const Row rows[] = {
        {std::string(5000, 'a'), "ERR " + std::to_string(EMSGSIZE) + " request longer than 4096 bytes\n"},
        {std::string(4096, 'a'), "ERR " + std::to_string(EMSGSIZE) + " request longer than 4096 bytes\n"},
        // 4095 bytes + LF is the longest request: it is read and parsed (and is no verb).
        {std::string(4095, 'a'),
         "ERR 22 unknown request 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (expected ping, status, "
         "status json, reload, apply [SECONDS], confirm, rollback or teardown)\n"},
        {"hello", "ERR 22 unknown request 'hello' (expected ping, status, status json, reload, "
                  "apply [SECONDS], confirm, rollback or teardown)\n"},
        {"", "ERR 22 empty request (expected ping, status, status json, reload, apply [SECONDS], "
             "confirm, rollback or teardown)\n"},
        {std::string("\x01\xff\x00zz", 5),
         "ERR 22 request contains the byte 0x01 (only printable ASCII is allowed)\n"},
        {"apply soon", "ERR 22 apply: the confirm timeout must be 0..86400 seconds, got 'soon'\n"},
    };
    for (const auto& row : rows) {
        auto r = control_request(path, row.line, 2000);
        ASSERT_TRUE(r.ok()) << r.error().message();
        EXPECT_EQ(*r, row.reply) << row.line.size();
    }
    EXPECT_TRUE(logs->contains("longer than 4096 bytes")) << logs->all();

    // Binary noise without any LF, far beyond the limit, from a raw socket: an error, then EOF.
    int fd = raw_connect(path);
    ASSERT_GE(fd, 0);
    std::string noise(3 * control_max_request, '\0');
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) % 251 + 1);
    for (char& c : noise)
        if (c == '\n') c = 'x';
    send_all(fd, noise);
    EXPECT_EQ(read_all(fd), "ERR " + std::to_string(EMSGSIZE) + " request longer than 4096 bytes\n");
    ::close(fd);

    // The server is still fine.
    auto ping = control_request(path, "ping", 1000);
    ASSERT_TRUE(ping.ok());
    EXPECT_EQ(*ping, "OK\npong\n");
}

TEST(ControlSocket, NonRootPeerIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as uid 65534";
    TempDir t;
    const std::string dir = t / "run";
    const std::string path = dir + "/hepd.sock";
    auto logs = std::make_shared<Logs>();
    auto server = ControlServer::open(path, options_with(logs));
    ASSERT_TRUE(server.ok()) << server.error().message();
    // Loosen the modes so that uid 65534 can reach the socket at all: the peer check must
    // still refuse it (defence in depth).
    ASSERT_EQ(::chmod(t.path().c_str(), 0711), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0711), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);

    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    // No thread runs here: the server is driven by this thread after the fork.
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipefd[0]);
        if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(3);
        int fd = raw_connect(path);
        if (fd < 0) _exit(4);
        send_all(fd, "status\n");
        std::string reply = read_all(fd, 3000);
        if (::write(pipefd[1], reply.data(), reply.size()) < 0) _exit(5);
        _exit(0);
    }
    ::close(pipefd[1]);
    int status = 0;
    auto t0 = Clock::now();
    while (::waitpid(child, &status, WNOHANG) == 0 && ms_since(t0) < 5000) {
        pollfd p{server->fd(), POLLIN, 0};
        ::poll(&p, 1, 5);
        server->serve(default_handler_reply);
    }
    std::string got = read_all(pipefd[0], 1000);
    ::close(pipefd[0]);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    ASSERT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(got, "ERR 13 permission denied\n");
    const std::string who = "refused pid " + std::to_string(child) + " uid 65534 gid 65534";
    EXPECT_TRUE(logs->contains(who)) << logs->all();
    EXPECT_EQ(server->client_count(), 0u);
}

TEST(ControlSocket, StalledClientDoesNotBlockOthers) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto logs = std::make_shared<Logs>();
    ControlServerOptions opt = options_with(logs);
    opt.max_reply = 16u << 20;
    opt.write_timeout = milliseconds(400);
    auto server = ControlServer::open(path, opt);
    ASSERT_TRUE(server.ok()) << server.error().message();
    // `status` answers with 8 MiB: far more than a socket buffer holds.
    const std::string big(8u << 20, 'x');
    Loop loop(std::move(*server), [&](const ControlIncoming& in) {
        if (in.request.verb == ControlVerb::status) return control_reply_ok(big);
        return default_handler_reply(in);
    });

    int stalled = raw_connect(path);
    ASSERT_GE(stalled, 0);
    send_all(stalled, "status\n");  // and never read
    auto t_wait = Clock::now();
    while (loop.clients() != 1 && ms_since(t_wait) < 2000) std::this_thread::sleep_for(milliseconds(5));
    ASSERT_EQ(loop.clients(), 1u);
    std::this_thread::sleep_for(milliseconds(20));  // the reply is queued and the socket full

    for (int i = 0; i < 3; ++i) {
        auto t0 = Clock::now();
        auto r = control_request(path, "ping", 1000);
        long long took = ms_since(t0);
        ASSERT_TRUE(r.ok()) << r.error().message();
        EXPECT_EQ(*r, "OK\npong\n");
        EXPECT_LT(took, 100) << "a client that never reads delayed another by " << took << " ms";
    }

    // After write_timeout the stalled client is dropped, and logged.
    auto t0 = Clock::now();
    while (loop.clients() != 0 && ms_since(t0) < 2000) std::this_thread::sleep_for(milliseconds(10));
    EXPECT_EQ(loop.clients(), 0u);
    EXPECT_TRUE(logs->contains("reply not taken within 400 ms")) << logs->all();
    // What the stalled client then reads is a prefix of the reply, never more.
    std::string partial = read_all(stalled, 1000);
    EXPECT_LT(partial.size(), big.size());
    ::close(stalled);
}

TEST(ControlSocket, SlowRequestTimesOut) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto logs = std::make_shared<Logs>();
    ControlServerOptions opt = options_with(logs);
    opt.read_timeout = milliseconds(200);
    auto server = ControlServer::open(path, opt);
    ASSERT_TRUE(server.ok()) << server.error().message();
    Loop loop(std::move(*server), default_handler_reply);

    int fd = raw_connect(path);
    ASSERT_GE(fd, 0);
    auto t0 = Clock::now();
    send_all(fd, "sta");
    EXPECT_EQ(read_all(fd, 2000), "ERR " + std::to_string(ETIMEDOUT) + " request not complete within 200 ms\n");
    long long took = ms_since(t0);
    EXPECT_GE(took, 190);
    EXPECT_LT(took, 700);
    ::close(fd);
    EXPECT_TRUE(logs->contains("sent no complete request within 200 ms")) << logs->all();
}

TEST(ControlSocket, TooManyClients) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto logs = std::make_shared<Logs>();
    ControlServerOptions opt = options_with(logs);
    opt.max_clients = 2;
    auto server = ControlServer::open(path, opt);
    ASSERT_TRUE(server.ok()) << server.error().message();
    Loop loop(std::move(*server), default_handler_reply);

    int a = raw_connect(path), b = raw_connect(path);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    auto t0 = Clock::now();
    while (loop.clients() < 2 && ms_since(t0) < 2000) std::this_thread::sleep_for(milliseconds(5));
    auto r = control_request(path, "ping", 1000);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, "ERR 11 too many clients\n");
    ::close(a);
    ::close(b);
    t0 = Clock::now();
    while (loop.clients() > 0 && ms_since(t0) < 2000) std::this_thread::sleep_for(milliseconds(5));
    r = control_request(path, "ping", 1000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "OK\npong\n");
}

TEST(ControlSocket, ReplyTooLarge) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto logs = std::make_shared<Logs>();
    ControlServerOptions opt = options_with(logs);
    opt.max_reply = 100;
    auto server = ControlServer::open(path, opt);
    ASSERT_TRUE(server.ok()) << server.error().message();
    Loop loop(std::move(*server), [](const ControlIncoming&) { return control_reply_ok(std::string(200, 'x')); });
    auto r = control_request(path, "status", 1000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "ERR 27 reply too large\n");
    EXPECT_TRUE(logs->contains("exceeds the limit of 100")) << logs->all();
}

// Driven by hand: a client that leaves before its reply, and the deadlines poll() is given.
TEST(ControlSocket, ClientLeavesBeforeReply) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    auto server = ControlServer::open(path);
    ASSERT_TRUE(server.ok()) << server.error().message();
    int fd = raw_connect(path);
    ASSERT_GE(fd, 0);
    pollfd p{server->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    EXPECT_TRUE(server->accept_and_read().empty());
    EXPECT_EQ(server->client_count(), 1u);
    int left = server->poll_timeout_ms();
    EXPECT_GT(left, 0);
    EXPECT_LE(left, 1000);

    send_all(fd, "ping\nmore bytes that nobody reads");
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    auto in = server->accept_and_read();
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].request.verb, ControlVerb::ping);
    EXPECT_EQ(in[0].peer.pid, ::getpid());
    EXPECT_EQ(in[0].peer.uid, ::geteuid());
    EXPECT_EQ(server->poll_timeout_ms(), -1);  // waiting for the daemon: no deadline
    ::close(fd);
    ASSERT_EQ(::poll(&p, 1, 1000), 1);  // the hang-up wakes the loop once ...
    EXPECT_TRUE(server->accept_and_read().empty());
    EXPECT_EQ(server->client_count(), 0u);
    p.revents = 0;
    EXPECT_EQ(::poll(&p, 1, 0), 0);  // ... and then the descriptor is quiet
    server->reply(in[0].client, control_reply_ok("late"));  // ignored
    server->reply(12345, control_reply_ok("nobody"));        // ignored
    EXPECT_EQ(server->client_count(), 0u);
}

TEST(ControlSocket, OpenChecks) {
    TempDir t;
    // A second server on the same path is refused while the first runs.
    const std::string path = t / "hepd.sock";
    {
        auto first = ControlServer::open(path);
        ASSERT_TRUE(first.ok()) << first.error().message();
        auto second = ControlServer::open(path);
        ASSERT_FALSE(second.ok());
        EXPECT_EQ(second.error().err, EADDRINUSE);
        EXPECT_EQ(second.error().detail, "another hepd is running");
        struct stat st {};
        EXPECT_EQ(::lstat(path.c_str(), &st), 0);  // the first one's socket is untouched
    }
    // A socket left by a dead daemon (bound, not listening) is replaced.
    {
        int fd = deaf_listener(path, 1);
        ASSERT_GE(fd, 0);
        ::close(fd);
        auto r = ControlServer::open(path);
        ASSERT_TRUE(r.ok()) << r.error().message();
        auto ping = control_request(path, "ping", 200);  // nobody serves: the server is not polled
        EXPECT_FALSE(ping.ok());
    }
    // Someone else (not holding the lock) accepts on the path: refused, and left alone.
    {
        int fd = deaf_listener(path, 4);
        ASSERT_GE(fd, 0);
        auto r = ControlServer::open(path);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().err, EADDRINUSE);
        EXPECT_EQ(r.error().detail, "another process accepts connections on it");
        struct stat st {};
        EXPECT_EQ(::lstat(path.c_str(), &st), 0);
        ::close(fd);
        ::unlink(path.c_str());
    }
    // Anything else at the path is never deleted.
    {
        std::ofstream(path) << "precious";
        auto r = ControlServer::open(path);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().err, EEXIST);
        std::ifstream f(path);
        std::string content;
        f >> content;
        EXPECT_EQ(content, "precious");
        ::unlink(path.c_str());
    }
    // The directory must be private.
    {
        const std::string open_dir = t / "open";
        ASSERT_EQ(::mkdir(open_dir.c_str(), 0700), 0);
        ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
        auto r = ControlServer::open(open_dir + "/hepd.sock");
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().err, EPERM);
        auto tmp = ControlServer::open("/tmp/hepd-control-test.sock");
        ASSERT_FALSE(tmp.ok());  // /tmp is world-writable
        EXPECT_EQ(tmp.error().err, EPERM);
    }
    // Missing parent, path too long, a file where the directory should be.
    {
        auto r = ControlServer::open(t / "no/such/dir/hepd.sock");
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().err, ENOENT);
        auto l = ControlServer::open(t / std::string(200, 'x'));
        ASSERT_FALSE(l.ok());
        EXPECT_EQ(l.error().err, ENAMETOOLONG);
        std::ofstream(t / "file") << "x";
        auto f = ControlServer::open(t / "file/hepd.sock");
        ASSERT_FALSE(f.ok());
        EXPECT_EQ(f.error().err, ENOTDIR);
    }
}

TEST(ControlClient, NotRunning) {
    TempDir t;
    auto t0 = Clock::now();
    auto missing = control_request(t / "hepd.sock", "ping", 1000);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().err, ENOENT);
    // A socket file nobody listens on.
    int fd = deaf_listener(t / "dead.sock", 1);
    ASSERT_GE(fd, 0);
    ::close(fd);
    auto dead = control_request(t / "dead.sock", "ping", 1000);
    ASSERT_FALSE(dead.ok());
    EXPECT_EQ(dead.error().err, ECONNREFUSED);
    EXPECT_LT(ms_since(t0), 100);  // both fail at once, without waiting for the timeout
}

// The daemon never answers (stopped with SIGSTOP, or hung): the client gives up at its timeout.
TEST(ControlClient, ServerNeverAnswers) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    int fd = deaf_listener(path, 8);
    ASSERT_GE(fd, 0);
    for (int timeout : {50, 300}) {
        auto t0 = Clock::now();
        auto r = control_request(path, "status", timeout);
        long long took = ms_since(t0);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().err, ETIMEDOUT);
        EXPECT_EQ(r.error().message(),
                  "control_request(" + path + "): " + std::strerror(ETIMEDOUT) + " (errno " +  // libc's
                      std::to_string(ETIMEDOUT) + "): no reply within " + std::to_string(timeout) + " ms")
            << r.error().message();
        EXPECT_GE(took, timeout - 1);
        EXPECT_LT(took, timeout + 100) << "timeout " << timeout;
    }
    ::close(fd);

    // With the listen backlog full, connect() itself cannot complete: still the timeout.
    const std::string full = t / "full.sock";
    int lfd = deaf_listener(full, 0);
    ASSERT_GE(lfd, 0);
    std::vector<int> fillers;
    for (int i = 0; i < 8; ++i) {
        int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, full.c_str(), sizeof addr.sun_path - 1);
        if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(c);
            break;
        }
        fillers.push_back(c);
    }
    auto t0 = Clock::now();
    auto r = control_request(full, "status", 200);
    long long took = ms_since(t0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err, ETIMEDOUT);
    EXPECT_GE(took, 199);
    EXPECT_LT(took, 300);
    for (int c : fillers) ::close(c);
    ::close(lfd);

    // A real server whose daemon loop takes requests and never replies.
    const std::string hung = t / "hung.sock";
    auto server = ControlServer::open(hung);
    ASSERT_TRUE(server.ok());
    std::atomic<bool> stop{false};
    std::thread loop([&] {
        while (!stop) {
            pollfd p{server->fd(), POLLIN, 0};
            ::poll(&p, 1, 5);
            (void)server->accept_and_read();  // and no reply()
        }
    });
    t0 = Clock::now();
    auto h = control_call(hung, {ControlVerb::reload, std::nullopt}, 250);
    took = ms_since(t0);
    stop = true;
    loop.join();
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().err, ETIMEDOUT);
    EXPECT_GE(took, 249);
    EXPECT_LT(took, 350);
}

TEST(ControlClient, BadReplyIsEproto) {
    TempDir t;
    const std::string path = t / "hepd.sock";
    int lfd = deaf_listener(path, 4);
    ASSERT_GE(lfd, 0);
    std::thread peer([&] {
        int c = ::accept(lfd, nullptr, nullptr);
        char buf[64];
        (void)::recv(c, buf, sizeof buf, 0);
        send_all(c, "HTTP/1.0 400 Bad Request\r\n\r\n");
        ::close(c);
    });
    auto r = control_call(path, {ControlVerb::ping, std::nullopt}, 1000);
    peer.join();
    ::close(lfd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err, EPROTO);
    EXPECT_EQ(r.error().detail, "not a hepd reply: 'HTTP/1.0 400 Bad Request?'");
}

}  // namespace
}  // namespace hepd
