// SPDX-License-Identifier: GPL-2.0-or-later
// The watchdog supervisor: `hepd run` is this process. It forks the worker (src/sys/worker.cpp)
// and watches its heartbeat; when the worker dies or hangs it installs the default rules and
// restarts it with backoff (ARCHITECTURE.md, "Processes").
//
//   procd/systemd --> supervisor --fork--> worker --> kernel (full policy)
//                        ^   |                 |
//                        |   |  heartbeat pipe: '.' 'A' 'D' 'S' (watchdog.hpp)
//                        |   `--> kernel (default rules, only when the worker failed)
//                        `-- SIGTERM/SIGINT: stop the worker, exit 0, rules stay
//                            SIGHUP: passed on to the worker (procd's reload)
//                            SIGUSR2: stand down (`hepd teardown` when no worker answers)
//
// Goals, and how this file meets each:
//  1. It cannot fail the way the worker did. It parses no YAML, opens no netlink socket and
//     compiles nothing: at start it reads only the daemon settings (hepd.conf and the UCI file's
//     `config hepd`), and the default rules come ready-made from the worker as kernel entries
//     (STATE_DIR/default-rules, loaded and checked when the worker says 'D', long before they are
//     needed). Installing them encodes nothing, looks nothing up and reads no file; what it still
//     allocates is libiptc's copy of each table and the comparison with it.
//  2. Default rules within a second. The worker's death reaches the loop at once (SIGCHLD and EOF
//     on the pipe); a hang is a beat missing for watchdog_timeout, and poll() sleeps exactly until
//     that deadline. A hung worker is SIGKILLed and reaped first (it may hold the xtables lock).
//  3. No tight restart loop: 1 s doubling to 60 s (Backoff); a worker that ran healthy for a
//     minute starts the schedule again. Until a restarted worker has applied the full policy
//     ('A'), the default rules stay.
//  4. Killing the supervisor leaves the rules as they are: the worker has PR_SET_PDEATHSIG =
//     SIGTERM and exits on it without touching the kernel; procd or systemd then start a new
//     supervisor, whose worker applies the full policy.
//  5. A teardown is not undone: after 'S' (the worker stood down for `hepd teardown`) or SIGUSR2,
//     the supervisor installs nothing and restarts nothing until it is restarted itself.
//  6. One supervisor per state_dir: STATE_DIR/supervisor.lock is flock()ed for its lifetime (a
//     second `hepd run` would otherwise see its own worker fail on the socket and "repair" the
//     first one's rules with the default rules).
//  7. `hepd status` sees it: every event goes to the log and to STATE_DIR/watchdog (WatchFile),
//     which status shows even while no worker answers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "hepd/daemon.hpp"
#include "hepd/files.hpp"
#include "hepd/iptc.hpp"
#include "hepd/log.hpp"
#include "hepd/setup.hpp"
#include "hepd/watchdog.hpp"
#include "hepd/worker_io.hpp"

namespace hepd {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Clock::time_point never = Clock::time_point::max();
constexpr milliseconds install_retry{250};
constexpr milliseconds stop_grace{4000};  // procd's term_timeout is 5 s
// A worker that exits on SIGTERM while the supervisor is being stopped too (systemd's default
// KillMode=control-group signals every process of the service at once) is no failure: its
// supervisor's own SIGTERM is due, so wait that long for it before installing default rules.
constexpr milliseconds exit_grace{500};
constexpr size_t max_default_rules = size_t{64} << 20;

int ms_until(Clock::time_point now, Clock::time_point t) {
    if (t == never) return -1;
    if (t <= now) return 0;
    const auto ms = std::chrono::duration_cast<milliseconds>(t - now).count() + 1;
    return ms > 3600000 ? 3600000 : static_cast<int>(ms);
}

std::string describe_exit(int status) {
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "stopped";
}

class Supervisor {
public:
    explicit Supervisor(const RunOptions& opts) : opts_(opts) {}
    ~Supervisor() {
        for (int fd : {beat_rd_, sigfd_, lock_fd_})
            if (fd >= 0) ::close(fd);
    }
    int run();

private:
    RunOptions opts_;
    DaemonConfig cfg_;
    int lock_fd_ = -1;
    int sigfd_ = -1;
    int beat_rd_ = -1;
    pid_t worker_ = 0;
    pid_t self_ = 0;
    Clock::time_point last_beat_{}, restart_at_ = never, install_at_ = never;
    Clock::time_point healthy_since_{};
    Clock::time_point grace_until_ = never;  // a worker that exited on SIGTERM: see exit_grace
    std::string gone_what_;
    bool healthy_ = false;
    bool worker_exiting_ = false;  // it said 'T'
    int last_status_ = 0;
    bool stood_down_ = false;
    Backoff backoff_;
    IptcBlob defaults_;
    std::unique_ptr<XtablesLock> xt_lock_;
    WatchFile wf_;

    Result<void> take_lock();
    void read_settings();
    void load_defaults();
    bool start_worker();
    void drain_beats(Clock::time_point now);
    void reap();
    void worker_gone(const std::string& what);
    void worker_failed(const std::string& what);
    void kill_worker_hard();
    bool install_defaults();
    void stand_down(const std::string& why);
    int stop(int sig);
    void event(const std::string& what);
    void write_state();
};

Result<void> Supervisor::take_lock() {
    if (::mkdir(cfg_.state_dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir(" + cfg_.state_dir + ")");
    const std::string path = cfg_.state_dir + "/supervisor.lock";
    lock_fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) return sys_error("open(" + path + ")");
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return sys_error("hepd run", EADDRINUSE, "another hepd run is active for state_dir " + cfg_.state_dir);
        return sys_error("flock(" + path + ")");
    }
    return {};
}

// At start, and again on SIGHUP for watchdog_timeout and the xtables lock (state_dir, where the
// supervisor's lock and files are, stays what it was at start).
void Supervisor::read_settings() {
    Diagnostics ignored;  // the worker reports them with file and line
    DaemonConfig next = load_daemon_settings(opts_.config_path, opts_.explicit_config, ignored);
    if (!cfg_.state_dir.empty() && lock_fd_ >= 0) next.state_dir = cfg_.state_dir;
    cfg_ = std::move(next);
    if (!xt_lock_ || xt_lock_->path() != cfg_.xtables_lock) {
        xt_lock_ = std::make_unique<XtablesLock>(cfg_.xtables_lock);
        // Opens the lock file now rather than at the moment of a failure (one try, at once).
        if (xt_lock_->acquire(0)) xt_lock_->release();
    }
}

void Supervisor::event(const std::string& what) {
    wf_.add_event(wall_seconds(), what);
    write_state();
}

void Supervisor::write_state() {
    wf_.pid = self_;
    wf_.worker = worker_;
    if (auto w = write_file_atomic(cfg_.state_dir + watchdog_file, format_watch_file(wf_), 0600); !w)
        HEPD_LOG_WARN("watchdog: %s", w.error().message().c_str());
}

void Supervisor::load_defaults() {
    const std::string path = cfg_.state_dir + default_rules_file;
    if (file_kind(path) == FileKind::missing) return;
    auto bytes = read_file(path, max_default_rules);
    if (!bytes) {
        HEPD_LOG_ERROR("watchdog: default rules: %s; keeping the previous ones", bytes.error().message().c_str());
        return;
    }
    auto blob = IptcBlob::load(*bytes);
    if (!blob) {
        HEPD_LOG_ERROR("watchdog: %s: %s; keeping the previous ones", path.c_str(), blob.error().message().c_str());
        return;
    }
    defaults_ = std::move(*blob);
    HEPD_LOG_DEBUG("watchdog: default rules ready: %zu rules in %zu tables", defaults_.rules(), defaults_.tables());
}

bool Supervisor::start_worker() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
        HEPD_LOG_ERROR("watchdog: pipe: %s", std::strerror(errno));
        return false;
    }
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        HEPD_LOG_ERROR("watchdog: fork: %s", std::strerror(errno));
        ::close(p[0]);
        ::close(p[1]);
        return false;
    }
    if (pid == 0) {
        // The worker: none of the supervisor's descriptors (the lock stays held through the
        // parent's copy), default signal mask, and SIGTERM when the supervisor goes away.
        ::close(p[0]);
        for (int fd : {beat_rd_, sigfd_, lock_fd_})
            if (fd >= 0) ::close(fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != self_) _exit(0);  // the supervisor died before prctl
        RunOptions o = opts_;
        o.watchdog_fd = p[1];
        const int rc = run_worker(o);
        std::fflush(nullptr);
        _exit(rc);
    }
    ::close(p[1]);
    beat_rd_ = p[0];
    worker_ = pid;
    last_beat_ = Clock::now();
    healthy_ = false;
    worker_exiting_ = false;
    restart_at_ = never;
    wf_.restart_at = 0;
    write_state();
    return true;
}

// Reads every byte the worker sent; EOF means it is gone (the reap follows).
void Supervisor::drain_beats(Clock::time_point now) {
    if (beat_rd_ < 0) return;
    char buf[256];
    for (;;) {
        const ssize_t n = ::read(beat_rd_, buf, sizeof buf);
        if (n > 0) {
            last_beat_ = now;
            for (ssize_t i = 0; i < n; ++i) {
                switch (buf[i]) {
                case beat_applied:
                    if (!healthy_) {
                        healthy_ = true;
                        healthy_since_ = now;
                        if (wf_.state == WatchState::default_rules) {
                            wf_.state = WatchState::running;
                            HEPD_LOG_INFO("watchdog: worker %d applied the full policy; the default rules are gone",
                                          static_cast<int>(worker_));
                            event("worker " + std::to_string(worker_) + " healthy: the full policy is back");
                        }
                    }
                    break;
                case beat_defaults: load_defaults(); break;
                case beat_stand_down: stand_down("hepd teardown"); break;
                case beat_exiting: worker_exiting_ = true; break;
                default: break;
                }
            }
            continue;
        }
        if (n == 0) {  // the write end closed: the worker exited
            ::close(beat_rd_);
            beat_rd_ = -1;
        }
        return;  // EAGAIN (or an error: the reap tells the rest)
    }
}

void Supervisor::reap() {
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;
        if (pid == worker_) {
            last_status_ = status;
            worker_gone("worker " + std::to_string(pid) + " " + describe_exit(status));
        }
    }
}

// SIGKILL, then reap for up to a second: a stopped or looping process dies at once; one stuck in
// the kernel is reaped later, by reap().
void Supervisor::kill_worker_hard() {
    if (worker_ <= 0) return;
    ::kill(worker_, SIGKILL);
    const auto until = Clock::now() + milliseconds(1000);
    while (Clock::now() < until) {
        int status = 0;
        const pid_t pid = ::waitpid(worker_, &status, WNOHANG);
        if (pid == worker_ || (pid < 0 && errno == ECHILD)) break;
        ::usleep(5000);
    }
    if (beat_rd_ >= 0) {
        ::close(beat_rd_);
        beat_rd_ = -1;
    }
}

void Supervisor::worker_gone(const std::string& what) {
    worker_ = 0;
    if (beat_rd_ >= 0) {
        drain_beats(Clock::now());  // what it said before it died ('S' above all)
        if (beat_rd_ >= 0) ::close(beat_rd_);
        beat_rd_ = -1;
    }
    if (stood_down_) {
        HEPD_LOG_INFO("watchdog: %s; stood down, so nothing is installed or restarted", what.c_str());
        event(what + "; stood down: not restarted");
        return;
    }
    if (worker_exiting_ && WIFEXITED(last_status_) && WEXITSTATUS(last_status_) == 0) {
        // Asked to stop by someone: see exit_grace. The loop calls worker_failed() after it.
        worker_exiting_ = false;
        gone_what_ = what + " after a SIGTERM not sent by hepd";
        grace_until_ = Clock::now() + exit_grace;
        return;
    }
    worker_failed(what);
}

void Supervisor::worker_failed(const std::string& what) {
    grace_until_ = never;
    const auto now = Clock::now();
    const auto healthy_for = healthy_ ? std::chrono::duration_cast<seconds>(now - healthy_since_) : seconds(0);
    const seconds delay = backoff_.on_failure(healthy_for);
    healthy_ = false;
    const auto t0 = Clock::now();
    const bool installed = install_defaults();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    restart_at_ = now + delay;
    wf_.restart_at = wall_seconds() + delay.count();
    std::string text = what + "; ";
    if (installed) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "default rules installed (%.1f ms)", ms);
        text += buf;
    } else if (defaults_.empty()) {
        text += "no default rules yet (no good apply since this boot): the kernel keeps what it has";
    } else {
        text += "installing the default rules failed, retrying";
    }
    text += "; restart in " + std::to_string(delay.count()) + " s";
    HEPD_LOG_ERROR("watchdog: %s", text.c_str());
    event(text);
}

bool Supervisor::install_defaults() {
    install_at_ = never;
    if (defaults_.empty() || stood_down_) return false;
    const unsigned wait_ms = std::min<unsigned>(cfg_.lock_wait * 1000, 1000);
    auto r = defaults_.apply(*xt_lock_, wait_ms);
    if (!r) {
        HEPD_LOG_ERROR("watchdog: installing the default rules failed: %s; retrying", r.error().message().c_str());
        install_at_ = Clock::now() + install_retry;
        return false;
    }
    wf_.state = WatchState::default_rules;
    write_state();
    return true;
}

void Supervisor::stand_down(const std::string& why) {
    if (stood_down_) return;
    stood_down_ = true;
    restart_at_ = install_at_ = never;
    wf_.state = WatchState::stood_down;
    wf_.restart_at = 0;
    HEPD_LOG_WARN("watchdog: %s: standing down; no default rules, no restarts until hepd is restarted", why.c_str());
    event(why + ": stood down (no default rules, no restarts)");
}

int Supervisor::stop(int sig) {
    HEPD_LOG_INFO("watchdog: signal %d: stopping the worker; the rules stay in place", sig);
    stood_down_ = true;  // nothing to install from here on
    if (worker_ > 0) {
        ::kill(worker_, SIGTERM);
        const auto until = Clock::now() + stop_grace;
        for (;;) {
            int status = 0;
            const pid_t pid = ::waitpid(worker_, &status, WNOHANG);
            if (pid == worker_ || (pid < 0 && errno == ECHILD)) break;
            if (Clock::now() >= until) {
                HEPD_LOG_WARN("watchdog: worker %d did not stop within %lld ms: killed", static_cast<int>(worker_),
                              static_cast<long long>(stop_grace.count()));
                ::kill(worker_, SIGKILL);
                ::waitpid(worker_, &status, 0);
                break;
            }
            ::usleep(10000);
        }
        worker_ = 0;
    }
    ::unlink((cfg_.state_dir + watchdog_file).c_str());
    return 0;
}

int Supervisor::run() {
    self_ = ::getpid();
    read_settings();
    if (auto l = take_lock(); !l) {
        HEPD_LOG_ERROR("%s", l.error().message().c_str());
        return 1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd_ < 0) {
        HEPD_LOG_ERROR("watchdog: signalfd: %s", std::strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    load_defaults();
    wf_.state = WatchState::running;
    HEPD_LOG_INFO("watchdog: supervising (watchdog_timeout %u s, default rules %s)", cfg_.watchdog_timeout,
                  defaults_.empty() ? "not yet known" : "ready");
    if (!start_worker()) return 1;

    for (;;) {
        auto now = Clock::now();
        const auto hang_at = worker_ > 0 && beat_rd_ >= 0 ? last_beat_ + seconds(cfg_.watchdog_timeout) : never;
        const auto next = std::min({hang_at, restart_at_, install_at_, grace_until_});
        pollfd fds[2] = {{sigfd_, POLLIN, 0}, {beat_rd_, POLLIN, 0}};
        const int n = ::poll(fds, beat_rd_ >= 0 ? 2 : 1, ms_until(now, next));
        if (n < 0 && errno != EINTR) {
            HEPD_LOG_ERROR("watchdog: poll: %s", std::strerror(errno));
            return 1;
        }
        now = Clock::now();
        if (beat_rd_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) drain_beats(now);
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (::read(sigfd_, &si, sizeof si) == sizeof si) {
                switch (si.ssi_signo) {
                case SIGCHLD: reap(); break;
                case SIGTERM:
                case SIGINT: return stop(static_cast<int>(si.ssi_signo));
                case SIGHUP:
                    read_settings();
                    if (worker_ > 0) ::kill(worker_, SIGHUP);
                    break;
                case SIGUSR2:
                    stand_down("hepd teardown (no worker answered)");
                    if (worker_ > 0) {
                        kill_worker_hard();
                        event("worker " + std::to_string(worker_) + " stopped for hepd teardown");
                        worker_ = 0;
                        write_state();
                    }
                    break;
                default: break;
                }
            }
        }
        now = Clock::now();
        if (worker_ > 0 && beat_rd_ >= 0 && now >= last_beat_ + seconds(cfg_.watchdog_timeout)) {
            const pid_t pid = worker_;
            HEPD_LOG_ERROR("watchdog: worker %d sent no heartbeat for %u s (hung or stopped): killing it",
                           static_cast<int>(pid), cfg_.watchdog_timeout);
            kill_worker_hard();
            worker_gone("worker " + std::to_string(pid) + " sent no heartbeat for " +
                        std::to_string(cfg_.watchdog_timeout) + " s: killed");
        }
        if (now >= grace_until_) worker_failed(gone_what_);
        if (now >= install_at_ && worker_ <= 0) install_defaults();
        if (worker_ <= 0 && !stood_down_ && grace_until_ == never && now >= restart_at_) {
            ++wf_.restarts;
            if (start_worker()) {
                HEPD_LOG_INFO("watchdog: worker %d started (restart %llu)", static_cast<int>(worker_),
                              static_cast<unsigned long long>(wf_.restarts));
                event("worker " + std::to_string(worker_) + " started (restart " + std::to_string(wf_.restarts) + ")");
            } else {
                restart_at_ = now + backoff_.on_failure(seconds(0));
            }
        }
    }
}

}  // namespace

int run_supervisor(const RunOptions& opts) {
    if (opts.once) return run_worker(opts);
    log_open(opts.log_stderr, LogLevel::info);
    Supervisor s(opts);
    return s.run();
}

}  // namespace hepd
