// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket: the server the daemon loop drives and the client the CLI uses.
// The protocol itself (parsing, framing, reply text) is pure and lives in
// src/core/control_proto.cpp; this file moves bytes.
//
// Goals, and how this file meets them:
//  1. Only root talks to the daemon. The socket is mode 0600 in a directory that is 0700 (made
//     here) or at least writable by nobody else; and every peer's uid is checked with
//     SO_PEERCRED at accept time, so loosened modes still do not let anyone else in. A refused
//     peer gets "ERR 13 permission denied" and a log line with its pid, uid and gid.
//  2. No client can stall the daemon. Every socket is non-blocking; the daemon polls one epoll
//     descriptor. A request must be complete within read_timeout; a reply is queued (at most
//     max_reply bytes, one per client, at most max_clients clients) and must be taken within
//     write_timeout, else the client is dropped. Nothing here ever waits.
//  3. Bad input gets an answer, not silence: garbage, unknown verbs and oversized lines get an
//     ERR reply naming the problem, then the connection is closed. Before closing, unread input
//     is drained so that the kernel does not turn our last reply into ECONNRESET at the peer.
//  4. One daemon per socket. `PATH.lock` is flock()ed for the server's lifetime; a socket file
//     left by a dead daemon is removed only after a connect() to it is refused, and anything at
//     PATH that is not a socket is never removed.
//  5. The client never hangs longer than its timeout: non-blocking connect (retried while the
//     backlog is full), send and receive, each poll() bounded by what is left of the deadline.
//     A daemon stopped with SIGSTOP still completes connect() (the kernel queues it) and then
//     simply never answers: that is ETIMEDOUT at the deadline.
//
// Client life cycle inside the server (epoll events registered in brackets):
//
//   accept --peer ok--> reading [IN] --request--> waiting [] --reply()--> writing [OUT] --> close
//      |                   |  `-- bad/too long/late --------------------> writing [OUT]
//      `--peer refused / too many clients -----------------------------> writing [OUT]
//   waiting: a hang-up (HUP/ERR, always reported) closes it; reply() then does nothing.
//
// Known limitations:
//  - At EMFILE, each accept_and_read() accepts one pending connection on a spare descriptor and
//    tells it "ERR 24", so that the listener does not stay readable with nothing done.
//  - The flock() belongs to the open file description: a child forked after open() shares it
//    (O_CLOEXEC only helps across exec). Open the server in the process that serves it.
//  - The reply is complete only at EOF; a daemon that dies half-way through a multi-write reply
//    leaves the client a prefix. The final-LF rule catches most of these, not all.
#include "hepd/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>

namespace hepd {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.release();
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

constexpr uint64_t listener_id = 0;
constexpr size_t drain_limit = 64 * 1024;  // bytes read and dropped before a close

bool make_address(const std::string& path, sockaddr_un& addr) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, path.data(), path.size());
    return true;
}

std::string parent_dir(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Milliseconds left until `deadline`, rounded up, at least 0.
int ms_left(Clock::time_point now, Clock::time_point deadline) {
    if (deadline <= now) return 0;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
    auto ms = (us + 999) / 1000;
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// The directory must exist (made here with 0700), be a directory, belong to us and be writable by
// nobody else: whoever can write it could replace the socket.
Result<void> ensure_private_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        if (::chmod(dir.c_str(), 0700) != 0) return sys_error("chmod(" + dir + ")");
        return {};
    }
    if (errno != EEXIST) return sys_error("mkdir(" + dir + ")");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return sys_error("stat(" + dir + ")");
    if (!S_ISDIR(st.st_mode)) return sys_error("control socket directory " + dir, ENOTDIR);
    if (st.st_uid != ::geteuid())
        return sys_error("control socket directory " + dir, EPERM,
                         "owned by uid " + std::to_string(st.st_uid) + ", not by this process");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return sys_error("control socket directory " + dir, EPERM,
                         "writable by group or others; use a private directory (mode 0700)");
    return {};
}

// Does anything accept connections at `path`? ECONNREFUSED means a socket file without a
// listener (a dead daemon's); a full backlog (EAGAIN) means a live one.
Result<bool> somebody_listens(const std::string& path) {
    sockaddr_un addr;
    if (!make_address(path, addr)) return sys_error("connect(" + path + ")", ENAMETOOLONG);
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return sys_error("socket(AF_UNIX)");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
    int e = errno;
    if (e == EAGAIN || e == EINPROGRESS) return true;
    if (e == ECONNREFUSED || e == ENOENT) return false;
    return sys_error("connect(" + path + ")", e);
}

}  // namespace

struct ControlServer::Impl {
    enum class Phase { reading, waiting, writing };
    struct Client {
        Fd fd;
        ControlPeer peer;
        Phase phase = Phase::reading;
        std::string in;
        bool eof = false;
        std::string out;
        size_t sent = 0;
        Clock::time_point deadline{};
        bool registered = false;  // in the epoll set
    };

    std::string path;
    ControlServerOptions opt;
    Fd lock;
    Fd listener;
    Fd epoll;
    Fd spare;  // /dev/null, given up at EMFILE to accept and refuse one connection
    dev_t dev = 0;
    ino_t ino = 0;
    std::map<uint64_t, Client> clients;
    uint64_t next_id = 1;
    bool owns_socket = false;  // bound by us: unlinked on destruction if still ours

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        clients.clear();
        struct stat st {};
        if (owns_socket && ::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino)
            ::unlink(path.c_str());
        // The lock is released when its descriptor closes; the lock file stays (removing it
        // would race with a daemon that has just opened it).
    }

    Clock::time_point now() const { return opt.now ? opt.now() : Clock::now(); }

    void log(const std::string& line) const {
        if (opt.log) opt.log(line);
    }

    std::string who(const Client& c) const {
        return "pid " + std::to_string(c.peer.pid) + " uid " + std::to_string(c.peer.uid) +
               " gid " + std::to_string(c.peer.gid);
    }

    // Sets the events a client waits for. Cannot fail for a descriptor we own, short of ENOMEM;
    // a client that could not be registered would never be served, so it is then dropped
    // (and false returned: the client is gone).
    bool watch(uint64_t id, uint32_t events) {
        Client& c = clients.at(id);
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = id;
        int op = c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (::epoll_ctl(epoll.get(), op, c.fd.get(), &ev) != 0) {
            log("control: epoll_ctl: " + std::string(std::strerror(errno)) + "; dropping " +
                who(c));
            close_client(id);
            return false;
        }
        c.registered = true;
        return true;
    }

    void close_client(uint64_t id) {
        auto it = clients.find(id);
        if (it == clients.end()) return;
        char buf[4096];
        for (size_t drained = 0; drained < drain_limit;) {
            ssize_t n = ::recv(it->second.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) break;
            drained += static_cast<size_t>(n);
        }
        if (it->second.registered)
            ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
        clients.erase(it);
    }

    void start_reply(uint64_t id, std::string text) {
        auto it = clients.find(id);
        if (it == clients.end()) return;
        Client& c = it->second;
        if (text.size() > opt.max_reply) {
            log("control: reply of " + std::to_string(text.size()) + " bytes to " + who(c) +
                " exceeds the limit of " + std::to_string(opt.max_reply));
            text = control_reply_error(EFBIG, "reply too large");
        }
        c.phase = Phase::writing;
        c.out = std::move(text);
        c.sent = 0;
        c.deadline = now() + opt.write_timeout;
        if (!flush(id)) return;  // done and closed, or failed and closed
        watch(id, EPOLLOUT);
    }

    // Sends what the socket takes. Returns true when the client is still there with output left.
    bool flush(uint64_t id) {
        Client& c = clients.at(id);
        while (c.sent < c.out.size()) {
            ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                c.sent += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            close_client(id);  // EPIPE, ECONNRESET: the client left
            return false;
        }
        close_client(id);
        return false;
    }

    void read_request(uint64_t id, std::vector<ControlIncoming>& out) {
        Client& c = clients.at(id);
        char buf[4096];
        while (!c.eof && c.in.size() < control_max_request) {
            size_t room = std::min(sizeof buf, control_max_request - c.in.size());
            ssize_t n = ::recv(c.fd.get(), buf, room, MSG_DONTWAIT);
            if (n > 0) {
                c.in.append(buf, static_cast<size_t>(n));
            } else if (n == 0) {
                c.eof = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            } else {
                close_client(id);
                return;
            }
        }
        ControlFraming f = frame_control_request(c.in, c.eof);
        switch (f.kind) {
        case ControlFraming::Kind::incomplete:
            if (c.eof) close_client(id);  // connected and left without a word
            return;
        case ControlFraming::Kind::too_long:
            log("control: request from " + who(c) + " longer than " +
                std::to_string(control_max_request) + " bytes");
            start_reply(id, control_reply_error(EMSGSIZE, "request longer than " +
                                                              std::to_string(control_max_request) +
                                                              " bytes"));
            return;
        case ControlFraming::Kind::line: break;
        }
        Diagnostics diags;
        std::optional<ControlRequest> req = parse_control_request(f.line, diags);
        if (!req) {
            std::string msg = diags.empty() ? "bad request" : diags.items().front().message;
            start_reply(id, control_reply_error(EINVAL, msg));
            return;
        }
        c.phase = Phase::waiting;
        c.in.clear();
        c.in.shrink_to_fit();
        ControlIncoming incoming{id, c.peer, *req};
        if (watch(id, 0)) out.push_back(std::move(incoming));
    }

    void accept_one(int fd, std::vector<ControlIncoming>& out) {
        Fd conn(fd);
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
            log("control: getsockopt(SO_PEERCRED): " + std::string(std::strerror(errno)));
            return;
        }
        uint64_t id = next_id++;
        Client& c = clients[id];
        c.fd = std::move(conn);
        c.peer = ControlPeer{cred.pid, cred.uid, cred.gid};
        c.phase = Phase::waiting;  // until the checks below pass
        if (cred.uid != opt.allowed_uid) {
            log("control: refused " + who(c) + ": only uid " + std::to_string(opt.allowed_uid) +
                " may use the control socket");
            start_reply(id, control_reply_error(EACCES, "permission denied"));
            return;
        }
        if (clients.size() > opt.max_clients) {
            log("control: refused " + who(c) + ": " + std::to_string(opt.max_clients) +
                " clients already connected");
            start_reply(id, control_reply_error(EAGAIN, "too many clients"));
            return;
        }
        c.phase = Phase::reading;
        c.deadline = now() + opt.read_timeout;
        // The request may be there already.
        if (watch(id, EPOLLIN | EPOLLRDHUP)) read_request(id, out);
    }

    void accept_all(std::vector<ControlIncoming>& out) {
        for (;;) {
            int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                accept_one(fd, out);
                continue;
            }
            int e = errno;
            if (e == EINTR || e == ECONNABORTED) continue;
            if ((e == EMFILE || e == ENFILE) && spare.get() >= 0) {
                spare.reset();
                Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
                if (conn.get() >= 0) {
                    std::string r = control_reply_error(EMFILE, "daemon out of file descriptors");
                    (void)::send(conn.get(), r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                }
                conn.reset();
                spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
                log("control: out of file descriptors; refused a client");
                return;
            }
            if (e != EAGAIN && e != EWOULDBLOCK)
                log("control: accept: " + std::string(std::strerror(e)));
            return;
        }
    }

    void expire() {
        Clock::time_point t = now();
        std::vector<uint64_t> late;
        for (const auto& [id, c] : clients)
            if (c.phase != Phase::waiting && c.deadline <= t) late.push_back(id);
        for (uint64_t id : late) {
            Client& c = clients.at(id);
            if (c.phase == Phase::reading) {
                const std::string limit = std::to_string(opt.read_timeout.count()) + " ms";
                log("control: " + who(c) + " sent no complete request within " + limit);
                start_reply(id, control_reply_error(ETIMEDOUT, "request not complete within " + limit));
            } else {
                log("control: dropped " + who(c) + ": reply not taken within " +
                    std::to_string(opt.write_timeout.count()) + " ms (" + std::to_string(c.sent) +
                    " of " + std::to_string(c.out.size()) + " bytes sent)");
                close_client(id);
            }
        }
    }
};

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlServer::ControlServer(ControlServer&&) noexcept = default;
ControlServer& ControlServer::operator=(ControlServer&&) noexcept = default;

ControlServer::~ControlServer() = default;

Result<ControlServer> ControlServer::open(const std::string& path, ControlServerOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->opt = std::move(options);
    sockaddr_un addr;
    if (!make_address(path, addr))
        return sys_error("control socket " + path, ENAMETOOLONG,
                         "at most " + std::to_string(sizeof addr.sun_path - 1) + " bytes");

    if (auto r = ensure_private_dir(parent_dir(path)); !r) return r.error();

    const std::string lock_path = path + ".lock";
    impl->lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (impl->lock.get() < 0) return sys_error("open(" + lock_path + ")");
    if (::flock(impl->lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return sys_error("flock(" + lock_path + ")", EADDRINUSE, "another hepd is running");
        return sys_error("flock(" + lock_path + ")");
    }

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return sys_error("control socket " + path, EEXIST, "exists and is not a socket");
        Result<bool> alive = somebody_listens(path);
        if (!alive) return alive.error();
        if (*alive)
            return sys_error("control socket " + path, EADDRINUSE,
                             "another process accepts connections on it");
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return sys_error("unlink(" + path + ")");
    } else if (errno != ENOENT) {
        return sys_error("lstat(" + path + ")");
    }

    impl->listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (impl->listener.get() < 0) return sys_error("socket(AF_UNIX)");
    if (::bind(impl->listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return sys_error("bind(" + path + ")");
    if (::chmod(path.c_str(), 0600) != 0) {
        SysError e = sys_error("chmod(" + path + ")");
        ::unlink(path.c_str());
        return e;
    }
    if (::lstat(path.c_str(), &st) != 0) {
        SysError e = sys_error("lstat(" + path + ")");
        ::unlink(path.c_str());
        return e;
    }
    impl->dev = st.st_dev;
    impl->ino = st.st_ino;
    impl->owns_socket = true;  // from here on, the destructor unlinks the socket
    ControlServer server(std::move(impl));
    Impl& s = *server.impl_;
    if (::listen(s.listener.get(), 64) != 0) return sys_error("listen(" + path + ")");
    s.epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (s.epoll.get() < 0) return sys_error("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listener_id;
    if (::epoll_ctl(s.epoll.get(), EPOLL_CTL_ADD, s.listener.get(), &ev) != 0)
        return sys_error("epoll_ctl(" + path + ")");
    s.spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    return server;
}

int ControlServer::fd() const { return impl_->epoll.get(); }
const std::string& ControlServer::path() const { return impl_->path; }
size_t ControlServer::client_count() const { return impl_->clients.size(); }

std::vector<ControlIncoming> ControlServer::accept_and_read() {
    Impl& s = *impl_;
    std::vector<ControlIncoming> out;
    constexpr int batch = 64;
    epoll_event evs[batch];
    // Bounded rounds: a flood of events cannot keep the daemon here; the rest stays readable.
    for (int round = 0; round < 8; ++round) {
        int n = ::epoll_wait(s.epoll.get(), evs, batch, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (int i = 0; i < n; ++i) {
            uint64_t id = evs[i].data.u64;
            uint32_t events = evs[i].events;
            if (id == listener_id) {
                s.accept_all(out);
                continue;
            }
            auto it = s.clients.find(id);
            if (it == s.clients.end()) continue;
            switch (it->second.phase) {
            case Impl::Phase::reading: s.read_request(id, out); break;
            case Impl::Phase::waiting:
                if (events & (EPOLLHUP | EPOLLERR)) s.close_client(id);
                break;
            case Impl::Phase::writing: s.flush(id); break;
            }
        }
        if (n < batch) break;
    }
    s.expire();
    // A client that hung up while waiting may be reported above after its request was
    // collected in the same call: reply() to it is then a no-op.
    return out;
}

void ControlServer::reply(uint64_t client, std::string text) {
    auto it = impl_->clients.find(client);
    if (it == impl_->clients.end() || it->second.phase != Impl::Phase::waiting) return;
    impl_->start_reply(client, std::move(text));
}

void ControlServer::serve(const ControlHandler& handler) {
    for (const ControlIncoming& in : accept_and_read()) reply(in.client, handler(in));
}

int ControlServer::poll_timeout_ms() const {
    const Impl& s = *impl_;
    std::optional<Clock::time_point> next;
    for (const auto& [id, c] : s.clients)
        if (c.phase != Impl::Phase::waiting && (!next || c.deadline < *next)) next = c.deadline;
    if (!next) return -1;
    return ms_left(s.now(), *next);
}

// --- client ------------------------------------------------------------------------------------

namespace {

// Waits for `events` on fd until the deadline. 1 ready, 0 timed out, -1 error (errno set).
int wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        int left = ms_left(Clock::now(), deadline);
        if (left == 0) return 0;
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, left);
        if (n > 0) return 1;
        if (n == 0) continue;  // re-check the clock (poll may wake a little early)
        if (errno != EINTR) return -1;
    }
}

}  // namespace

Result<std::string> control_request(const std::string& path, std::string_view line,
                                    int timeout_ms) {
    const Clock::time_point deadline = Clock::now() + milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    const std::string op = "control_request(" + path + ")";
    auto timed_out = [&] {
        return sys_error(op, ETIMEDOUT, "no reply within " + std::to_string(timeout_ms) + " ms");
    };
    if (line.find('\n') != std::string_view::npos)
        return sys_error(op, EINVAL, "a request is one line");
    sockaddr_un addr;
    if (!make_address(path, addr)) return sys_error(op, ENAMETOOLONG);

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return sys_error("socket(AF_UNIX)");

    // Connect. A Linux AF_UNIX non-blocking connect either completes at once or fails with
    // EAGAIN while the listener's backlog is full (the daemon is not accepting): retry briefly.
    for (;;) {
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        int e = errno;
        if (e == EINTR) continue;
        if (e == EAGAIN) {
            int left = ms_left(Clock::now(), deadline);
            if (left == 0) return timed_out();
            ::poll(nullptr, 0, std::min(left, 10));
            continue;
        }
        if (e == EINPROGRESS) {
            int w = wait_for(fd.get(), POLLOUT, deadline);
            if (w == 0) return timed_out();
            if (w < 0) return sys_error("poll(" + path + ")");
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                return sys_error("getsockopt(SO_ERROR)");
            if (err != 0) return sys_error("connect(" + path + ")", err);
            break;
        }
        return sys_error("connect(" + path + ")", e);
    }

    // Send. If the server closes early (it refused us), go on and read what it said.
    std::string msg(line);
    msg += '\n';
    for (size_t sent = 0; sent < msg.size();) {
        ssize_t n =
            ::send(fd.get(), msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_for(fd.get(), POLLOUT, deadline);
            if (w == 0) return timed_out();
            if (w < 0) return sys_error("poll(" + path + ")");
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
        return sys_error("send(" + path + ")");
    }

    // Receive until EOF.
    constexpr size_t max_reply = size_t{16} << 20;
    std::string reply;
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            reply.append(buf, static_cast<size_t>(n));
            if (reply.size() > max_reply)
                return sys_error(op, EFBIG,
                                 "reply larger than " + std::to_string(max_reply) + " bytes");
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        // The server closed with our unread bytes queued: what it sent before is the reply.
        if (errno == ECONNRESET && !reply.empty()) break;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_for(fd.get(), POLLIN, deadline);
            if (w == 0) return timed_out();
            if (w < 0) return sys_error("poll(" + path + ")");
            continue;
        }
        return sys_error("recv(" + path + ")");
    }
    return reply;
}

Result<ControlReply> control_call(const std::string& path, const ControlRequest& req,
                                  int timeout_ms) {
    Result<std::string> raw = control_request(path, format_control_request(req), timeout_ms);
    if (!raw) return raw.error();
    std::string problem;
    std::optional<ControlReply> reply = parse_control_reply(*raw, &problem);
    if (!reply) return sys_error("control_request(" + path + ")", EPROTO, problem);
    return std::move(*reply);
}

}  // namespace hepd
