// SPDX-License-Identifier: GPL-2.0-or-later
// `hepd run`: the worker's event loop around Engine (see include/hepd/daemon.hpp).
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "hepd/daemon.hpp"
#include "hepd/log.hpp"
#include "hepd/netlink.hpp"
#include "hepd/worker_io.hpp"

namespace hepd {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto reload_debounce = 150ms;
constexpr auto probe_period = 1s;
constexpr auto retry_first = 1s;
constexpr auto retry_max = 30s;

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

void log_diagnostics(const Diagnostics& d) {
    for (const auto& item : d.items()) {
        const std::string line = item.format();
        if (item.severity == Severity::error)
            HEPD_LOG_ERROR("%s", line.c_str());
        else
            HEPD_LOG_WARN("%s", line.c_str());
    }
}

// Watches the directories that hold the configuration: editors replace files by renaming over
// them, and `uci commit` does too, so watching the files themselves would lose the watch. Only
// events that name a configuration file count (hepd.conf, the UCI file, *.yaml/*.yml in the
// resource directory), so that other files in those directories (logs, the status file, editor
// swap files) never cause a reload.
class ConfigWatch {
public:
    ConfigWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
    ~ConfigWatch() {
        if (fd_ >= 0) close(fd_);
    }
    int fd() const { return fd_; }

    // Watches what `s` names. Unchanged watches are kept: removing a watch queues an IN_IGNORED
    // event, and reacting to our own removals would reload forever.
    void watch(const Setup& s) {
        std::map<int, Watch> old;
        old.swap(watches_);
        add(dir_of(s.config_path), {base_of(s.config_path)}, false);
        add(s.daemon.resource_dir, {}, true);
        // The resource directory's own name in its parent too: a directory replaced by a rename
        // or by a symlink swap (atomic deploys), or removed and made again, is watched anew.
        std::string rd = s.daemon.resource_dir;
        while (rd.size() > 1 && rd.back() == '/') rd.pop_back();
        add(dir_of(rd), {base_of(rd)}, false);
        if (!s.daemon.uci_config.empty()) add(dir_of(s.daemon.uci_config), {base_of(s.daemon.uci_config)}, false);
        for (const auto& [wd, w] : old) {
            (void)w;
            if (!watches_.count(wd)) inotify_rm_watch(fd_, wd);  // its IN_IGNORED names no current watch
        }
    }

    // Drains the events; true when any concerns the configuration.
    bool drain() {
        alignas(inotify_event) char buf[8192];
        bool any = false;
        while (true) {
            const ssize_t n = read(fd_, buf, sizeof buf);
            if (n <= 0) break;
            for (ssize_t off = 0; off < n;) {
                const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
                off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
                if (ev->mask & IN_Q_OVERFLOW) {
                    any = true;  // events were lost
                    continue;
                }
                auto it = watches_.find(ev->wd);
                if (it == watches_.end()) continue;  // a watch we removed ourselves
                if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                    // A watched directory went away or was replaced: reload, which watches anew.
                    watches_.erase(it);
                    any = true;
                    continue;
                }
                if (ev->len == 0) continue;
                const std::string name = ev->name;
                const Watch& w = it->second;
                if (std::find(w.names.begin(), w.names.end(), name) != w.names.end()) any = true;
                if (w.yaml && name[0] != '.' && (name.ends_with(".yaml") || name.ends_with(".yml"))) any = true;
            }
        }
        return any;
    }

private:
    struct Watch {
        std::string dir;
        std::vector<std::string> names;  // files of interest in dir
        bool yaml = false;               // and every *.yaml/*.yml
    };

    static std::string base_of(const std::string& path) {
        size_t slash = path.rfind('/');
        return slash == std::string::npos ? path : path.substr(slash + 1);
    }

    void add(const std::string& dir, std::vector<std::string> names, bool yaml) {
        // Two sources in one directory share the watch.
        for (auto& [wd, w] : watches_) {
            (void)wd;
            if (w.dir != dir) continue;
            w.names.insert(w.names.end(), names.begin(), names.end());
            w.yaml = w.yaml || yaml;
            return;
        }
        const int wd = inotify_add_watch(fd_, dir.c_str(),
                                         IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
        if (wd < 0) {
            HEPD_LOG_WARN("cannot watch %s: %s (changes there need hepd reload)", dir.c_str(), std::strerror(errno));
            return;
        }
        watches_[wd] = Watch{dir, std::move(names), yaml};
    }

    int fd_;
    std::map<int, Watch> watches_;
};

}  // namespace

int run_worker(const RunOptions& opts) {
    log_open(opts.log_stderr, LogLevel::info);
    Engine engine(opts.config_path, opts.explicit_config);
    Diagnostics diags;
    if (engine.reload(diags)) {
        log_set_level(engine.setup().daemon.log_level);
        log_diagnostics(diags);
        HEPD_LOG_INFO("configuration loaded: %s", summarize(engine.setup()).c_str());
    } else {
        log_diagnostics(diags);
        HEPD_LOG_ERROR("invalid configuration at start (%zu errors): installing only hepd's static and failsafe "
                       "rules; no endpoint is protected until a valid configuration arrives",
                       diags.error_count());
    }

    auto monitor = LinkMonitor::open();
    if (!monitor) {
        HEPD_LOG_ERROR("netlink: %s", monitor.error().message().c_str());
        return 1;
    }
    LinkMonitor& links = **monitor;

    ApplyOutcome first = engine.apply(links.links());
    if (first.ok)
        HEPD_LOG_INFO("applied: %zu rules, %zu set members, %zu table commits in %.1f ms", first.rules, first.set_members,
                      first.tables_committed, first.duration.count() / 1000.0);
    else
        HEPD_LOG_ERROR("apply failed: %s", first.error.c_str());
    if (opts.once) return first.ok && engine.loaded() ? 0 : 1;

    // Signals through a descriptor, so that the loop handles them between other events.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    const int timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    ConfigWatch watch;
    watch.watch(engine.setup());
    WorkerIo io(engine, links);
    if (auto r = io.open(); !r) {
        HEPD_LOG_ERROR("%s", r.error().message().c_str());
        return 1;
    }

    constexpr Clock::time_point never = Clock::time_point::max();
    Clock::time_point reload_at = never, retry_at = never;
    auto retry_delay = retry_first;
    auto next_probe = Clock::now() + probe_period;
    auto refresh_every = std::chrono::duration_cast<Clock::duration>(engine.setup().felix.iptables_refresh_interval);
    auto next_refresh = Clock::now() + (refresh_every.count() > 0 ? refresh_every : Clock::duration::max() / 2);
    bool apply_now = false;
    ProbeState probe = io.probe();

    auto do_apply = [&](const char* why) {
        ApplyOutcome out = engine.apply(links.links());
        if (out.ok) {
            retry_at = never;
            retry_delay = retry_first;
            if (out.changed)
                HEPD_LOG_INFO("applied (%s): %zu table commits, %zu set changes in %.1f ms", why, out.tables_committed,
                              out.set_changes, out.duration.count() / 1000.0);
        } else {
            HEPD_LOG_ERROR("apply failed (%s): %s; retrying in %lld s, the previous rules stay", why, out.error.c_str(),
                           static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(retry_delay).count()));
            retry_at = Clock::now() + retry_delay;
            retry_delay = std::min(retry_delay * 2, std::chrono::duration_cast<std::chrono::seconds>(retry_max));
        }
        io.after_apply(out);
        probe = io.probe();
    };
    auto do_reload = [&](const char* why) -> bool {
        Diagnostics d;
        if (!engine.reload(d)) {
            log_diagnostics(d);
            HEPD_LOG_ERROR("configuration rejected (%s): %zu errors; the running rules stay", why, d.error_count());
            return false;
        }
        log_set_level(engine.setup().daemon.log_level);
        log_diagnostics(d);
        watch.watch(engine.setup());
        refresh_every = std::chrono::duration_cast<Clock::duration>(engine.setup().felix.iptables_refresh_interval);
        next_refresh = Clock::now() + (refresh_every.count() > 0 ? refresh_every : Clock::duration::max() / 2);
        HEPD_LOG_INFO("configuration reloaded (%s): %s", why, summarize(engine.setup()).c_str());
        do_apply("reload");
        return true;
    };
    io.on_reload(do_reload);

    HEPD_LOG_INFO("hepd %s running (node %s)", HEPD_VERSION, engine.setup().daemon.node.c_str());
    while (true) {
        // The next deadline among the timers.
        const auto next = std::min({next_probe, next_refresh, reload_at, retry_at});
        const auto wait = std::max(Clock::duration::zero(), next - Clock::now());
        itimerspec its{};
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
        its.it_value.tv_sec = ns / 1000000000;
        its.it_value.tv_nsec = std::max<long long>(ns % 1000000000, 1);
        timerfd_settime(timerfd, 0, &its, nullptr);

        std::vector<pollfd> fds = {{sigfd, POLLIN, 0}, {timerfd, POLLIN, 0}, {watch.fd(), POLLIN, 0}, {links.fd(), POLLIN, 0}};
        const size_t io_first = fds.size();
        io.add_pollfds(fds);
        if (poll(fds.data(), fds.size(), io.poll_timeout_ms()) < 0 && errno != EINTR) {
            HEPD_LOG_ERROR("poll: %s", std::strerror(errno));
            return 1;
        }
        io.heartbeat();
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                    do_reload("SIGHUP");
                } else {
                    HEPD_LOG_INFO("signal %u: exiting; the rules stay in place", si.ssi_signo);
                    return 0;
                }
            }
        }
        if (fds[1].revents & POLLIN) {
            uint64_t expirations = 0;
            (void)!read(timerfd, &expirations, sizeof expirations);
        }
        if ((fds[2].revents & POLLIN) && watch.drain()) reload_at = Clock::now() + reload_debounce;
        if (fds[3].revents & POLLIN) {
            auto changed = links.process();
            if (!changed)
                HEPD_LOG_WARN("netlink: %s", changed.error().message().c_str());
            else if (*changed)
                apply_now = true;
        }
        io.handle_pollfds(fds, io_first);

        const auto now = Clock::now();
        if (now >= reload_at) {
            reload_at = never;
            do_reload("files changed");
            apply_now = false;
        }
        if (now >= retry_at) {
            retry_at = never;
            apply_now = true;
        }
        if (apply_now) {
            apply_now = false;
            do_apply("interfaces changed");
        }
        if (now >= next_probe) {
            next_probe = now + probe_period;
            ProbeState p = io.probe();
            if (p != probe) {
                DriftReport d = engine.check_and_repair();
                if (d.any()) io.note_repair(d);
                probe = io.probe();
            }
        }
        if (now >= next_refresh) {
            next_refresh = now + refresh_every;
            DriftReport d = engine.check_and_repair();
            if (d.any()) io.note_repair(d);
            probe = io.probe();
        }
    }
}

}  // namespace hepd
