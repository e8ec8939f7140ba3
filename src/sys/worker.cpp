// SPDX-License-Identifier: GPL-2.0-or-later
// `hepd run`: the worker's event loop around Engine (see include/hepd/daemon.hpp), with
// commit-confirm (confirm.hpp) and the heartbeat to the supervisor (watchdog.hpp).
//
// What the loop owns beyond the engine, and where each piece of state goes:
//  - the confirm window: ConfirmState (pure) + ConfirmStore (confirmed_dir on flash) + the
//    confirmed configuration in RAM while a window is open (what a rollback adopts);
//  - standing down (`hepd teardown` while running): no apply, repair or reload any more, and the
//    supervisor told first ('S') so that it installs no default rules behind the teardown;
//  - the default rules the supervisor would install, rewritten to STATE_DIR/default-rules after
//    every good apply that changes them ('D'), and 'A' after every good apply;
//  - a beat ('.') at least every beat_period(watchdog_timeout) while the loop turns.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>

#include "hepd/confirm_store.hpp"
#include "hepd/control.hpp"
#include "hepd/daemon.hpp"
#include "hepd/default_rules.hpp"
#include "hepd/files.hpp"
#include "hepd/hash.hpp"
#include "hepd/log.hpp"
#include "hepd/netlink.hpp"
#include "hepd/watchdog.hpp"
#include "hepd/worker_io.hpp"

namespace hepd {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A change to the configuration is applied once the files have been quiet for reload_quiet (an
// editor's write + rename, `uci commit`, a deploy tool's burst), and at the latest reload_debounce
// after the first event of a burst, so that a writer that never stops cannot starve the reload.
constexpr auto reload_quiet = 20ms;
constexpr auto reload_debounce = 150ms;
constexpr auto probe_period = 1s;
constexpr auto retry_first = 1s;
constexpr auto retry_max = 30s;

// Gives freed heap pages back to the kernel (glibc keeps them until asked; musl's malloc returns
// them by itself).
void trim_heap() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

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


std::string clock_text(int64_t t) { return wall_clock_text(t); }

// The heartbeat pipe to the supervisor. Writes never block: when the pipe is full the supervisor
// is behind, and the bytes already queued say the same.
class Heartbeat {
public:
    explicit Heartbeat(int fd) : fd_(fd) {}
    bool supervised() const { return fd_ >= 0; }
    void send(char c) {
        if (fd_ >= 0) (void)!::write(fd_, &c, 1);
    }
    void set_period(std::chrono::milliseconds p) { period_ = p; }
    Clock::time_point next() const { return fd_ >= 0 ? next_ : Clock::time_point::max(); }
    void tick(Clock::time_point now) {
        if (fd_ < 0 || now < next_) return;
        send(beat_alive);
        next_ = now + period_;
    }

private:
    int fd_;
    std::chrono::milliseconds period_{1000};
    Clock::time_point next_{};
};

// The answer to a command from the control socket; its body starts with "#exit N".
struct CommandReply {
    int exit = 0;
    int code = 0;         // ERR code (an errno); 0: OK
    std::string message;  // ERR only
    std::string body;
};

std::string to_wire(const CommandReply& r) {
    std::string body = std::string(status_exit_prefix) + std::to_string(r.exit) + "\n" + r.body;
    if (r.code == 0) return control_reply_ok(body);
    return control_reply_error(r.code, r.message, body);
}

CommandReply fail(int exit, int code, std::string message, std::string body = {}) {
    return CommandReply{exit, code, std::move(message), std::move(body)};
}

CommandReply ok(std::string body) { return CommandReply{0, 0, {}, std::move(body)}; }

class Worker {
public:
    Worker(const RunOptions& opts, Engine& engine, Heartbeat& hb)
        : opts_(opts), engine_(engine), hb_(hb), store_(default_config().confirmed_dir) {}

    int run();

private:
    const RunOptions& opts_;
    Engine& engine_;
    Heartbeat& hb_;
    ConfirmStore store_;
    ConfirmState confirm_;
    std::optional<LoadedSetup> confirmed_;  // while a window is open: what a rollback adopts
    std::string confirmed_on_flash_;        // hash of the snapshot known to be in store_, if any
    bool stood_down_ = false;
    std::optional<ReloadTrigger> deferred_;  // a reload that waits for the window to close
    bool run_deferred_ = false;
    std::string unapplied_change_;           // watch-only: when the files changed
    std::string save_detail_;                // the whole error of the last failed confirm save
    std::optional<StatusWarning> rollback_warning_;
    std::optional<Sha256Digest> published_;  // of the default rules last handed to the supervisor

    LinkMonitor* links_ = nullptr;
    WorkerIo* io_ = nullptr;
    ConfigWatch* watch_ = nullptr;

    static constexpr Clock::time_point never = Clock::time_point::max();
    Clock::time_point reload_at_ = never, retry_at_ = never, next_probe_{}, next_refresh_{};
    Clock::time_point burst_start_{};  // first file event of the burst reload_at_ waits for
    Clock::duration refresh_every_{};
    Clock::duration retry_delay_ = retry_first;
    ProbeState probe_;

    static DaemonConfig default_config() { return DaemonConfig{}; }
    const DaemonConfig& daemon() const { return engine_.setup().daemon; }

    void boot();
    void adopted(const Diagnostics& d, const char* why);
    bool do_apply(const char* why);
    CommandReply do_reload(ReloadTrigger t, std::optional<uint32_t> requested);
    CommandReply open_window(LoadedSetup candidate, uint32_t seconds, const Diagnostics& d);
    CommandReply do_confirm();
    CommandReply do_rollback(const char* why);
    CommandReply do_teardown();
    std::string command(const ControlIncoming& in);
    void decorate(StatusReport& r);
    void publish_default_rules();
    void reset_refresh();
    void check_drift(ProbeState seen);
    std::string applied_text() const;
};

std::string Worker::applied_text() const {
    const ApplyOutcome& a = engine_.last_apply();
    return "applied: " + std::to_string(a.rules) + " rules, " + std::to_string(a.set_members) + " set members, " +
           std::to_string(a.tables_committed) + " table commits in " + std::to_string(a.duration.count() / 1000) +
           " ms";
}

// The full comparison, and a repair when something drifted. `seen` is what the probe read before
// it: the next reference when nothing needed an apply, so that a write landing during or after
// the comparison still differs from it; after a repair, the tables as that apply left them.
void Worker::check_drift(ProbeState seen) {
    const uint64_t applies = engine_.apply_count();
    DriftReport d = engine_.check_and_repair();
    if (d.any()) io_->note_repair(d);
    if (engine_.apply_count() == applies) {
        probe_ = std::move(seen);
    } else if (engine_.last_apply().ok) {
        probe_ = engine_.applied_tables();
    } else {
        // The repair failed (logged): retry as after any failed apply; until then the drift
        // checks stand still (they compare with a good apply only).
        probe_ = std::move(seen);
        if (retry_at_ == never) retry_at_ = Clock::now() + retry_delay_;
    }
}

void Worker::reset_refresh() {
    refresh_every_ = std::chrono::duration_cast<Clock::duration>(engine_.setup().felix.iptables_refresh_interval);
    next_refresh_ = Clock::now() + (refresh_every_.count() > 0 ? refresh_every_ : Clock::duration::max() / 2);
}

// Which configuration runs at start: the files on flash, unless a confirm marker says they are
// not confirmed (decide_boot).
void Worker::boot() {
    Diagnostics diags;
    std::string live_hash;
    std::optional<LoadedSetup> live = engine_.load(diags, &live_hash);
    Diagnostics ignored;
    const DaemonConfig settings =
        live ? live->setup.daemon : load_daemon_settings(opts_.config_path, opts_.explicit_config, ignored);
    store_ = ConfirmStore(settings.confirmed_dir);
    std::string problem;
    std::optional<ConfirmMarker> marker = store_.read_marker(&problem);
    if (!problem.empty()) HEPD_LOG_ERROR("confirm marker: %s; ignored", problem.c_str());

    std::optional<LoadedSetup> snap;
    if (marker) {
        auto s = store_.read_snapshot();
        if (!s) {
            HEPD_LOG_ERROR("confirmed snapshot: %s", s.error().message().c_str());
        } else if (*s && (*s)->config_path != opts_.config_path) {
            HEPD_LOG_ERROR("confirmed snapshot in %s is of %s, not of %s: ignored", store_.dir().c_str(),
                           (*s)->config_path.c_str(), opts_.config_path.c_str());
        } else if (*s) {
            Diagnostics sd;
            LoadedSetup l;
            l.setup = load_setup_snapshot(**s, sd);
            if (sd.has_errors()) {
                log_diagnostics(sd);
                HEPD_LOG_ERROR("the confirmed snapshot in %s does not load (%zu errors)", store_.dir().c_str(),
                               sd.error_count());
            } else {
                l.sources = std::move(**s);
                l.hash = sources_hash(l.sources);
                snap = std::move(l);
            }
        }
    }
    const BootDecision d = decide_boot(marker, live_hash, snap.has_value());
    if (d.use_snapshot) {
        HEPD_LOG_ERROR("ROLLED BACK: %s (%s)", d.why.c_str(), store_.dir().c_str());
        confirmed_on_flash_ = snap->hash;
        engine_.adopt(std::move(*snap));
        confirm_.booted_rolled_back(marker->hash);
        rollback_warning_ = StatusWarning{WarningKind::other, 1, clock_text(wall_seconds()),
                                          d.why + " (confirmed_dir " + store_.dir() + ")", {}, false};
        if (d.mark_rolled_back) {
            ConfirmMarker m = *marker;
            m.state = ConfirmMarker::State::rolled_back;
            if (auto w = store_.write_marker(m); !w)
                HEPD_LOG_WARN("confirm marker: %s (a restart also runs the confirmed configuration)",
                              w.error().message().c_str());
        }
        log_set_level(daemon().log_level);
        HEPD_LOG_INFO("configuration loaded from the confirmed snapshot: %s", summarize(engine_.setup()).c_str());
        return;
    }
    if (!d.why.empty()) HEPD_LOG_WARN("%s", d.why.c_str());
    if (d.remove_marker) {
        if (auto r = store_.remove_marker(); !r) HEPD_LOG_WARN("confirm marker: %s", r.error().message().c_str());
    }
    log_diagnostics(diags);
    if (live) {
        engine_.adopt(std::move(*live));
        log_set_level(daemon().log_level);
        HEPD_LOG_INFO("configuration loaded: %s", summarize(engine_.setup()).c_str());
    } else {
        HEPD_LOG_ERROR("invalid configuration at start (%zu errors): installing only hepd's static and failsafe "
                       "rules; no endpoint is protected until a valid configuration arrives",
                       diags.error_count());
    }
}

// After the engine switched to another configuration.
void Worker::adopted(const Diagnostics& d, const char* why) {
    log_set_level(daemon().log_level);
    log_diagnostics(d);
    if (watch_) watch_->watch(engine_.setup());
    reset_refresh();
    hb_.set_period(beat_period(daemon().watchdog_timeout));
    if (!confirm_.pending()) store_ = ConfirmStore(daemon().confirmed_dir);
    unapplied_change_.clear();
    HEPD_LOG_INFO("configuration reloaded (%s): %s", why, summarize(engine_.setup()).c_str());
}

bool Worker::do_apply(const char* why) {
    ApplyOutcome out = engine_.apply(links_->links());
    if (out.ok) {
        retry_at_ = never;
        retry_delay_ = retry_first;
        if (out.changed)
            HEPD_LOG_INFO("applied (%s): %zu table commits, %zu set changes in %.1f ms", why, out.tables_committed,
                          out.set_changes, out.duration.count() / 1000.0);
        publish_default_rules();
        hb_.send(beat_applied);
    } else {
        HEPD_LOG_ERROR("apply failed (%s): %s; retrying in %lld s, the previous rules stay", why, out.error.c_str(),
                       static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(retry_delay_).count()));
        retry_at_ = Clock::now() + retry_delay_;
        retry_delay_ = std::min(retry_delay_ * 2, std::chrono::duration_cast<Clock::duration>(retry_max));
    }
    io_->after_apply(out);
    // The probe's reference is the tables as this apply left them, taken under the xtables lock
    // (a write that lands after hepd's commit must differ from it); after a failure the retry
    // does the work, so what is there now will do.
    probe_ = out.ok ? engine_.applied_tables() : io_->probe();
    // A reload keeps the old and the new model and ruleset alive together for a moment; give the
    // pages back so the steady RSS is what the current ruleset needs.
    trim_heap();
    return out.ok;
}

// The default rules for the last good ruleset, handed to the supervisor through STATE_DIR when
// they change. In audit mode nothing may be enforced, so they fail open whatever fallback_action
// says.
void Worker::publish_default_rules() {
    if (!hb_.supervised() || !engine_.last_apply().ok) return;
    const Setup& s = engine_.setup();
    const Verdict fallback = s.daemon.mode == RunMode::audit ? Verdict::accept : s.daemon.fallback_action;
    auto blob = iptc_pack(default_rules(engine_.compiled().rules, fallback, s.felix.interface_prefixes));
    if (blob && published_ && *published_ == sha256(*blob)) return;
    if (!blob) {
        HEPD_LOG_WARN("default rules: %s", blob.error().message().c_str());
        return;
    }
    if (auto w = write_file_atomic(s.daemon.state_dir + default_rules_file, *blob, 0600); !w) {
        HEPD_LOG_WARN("default rules: %s; the supervisor keeps the previous ones", w.error().message().c_str());
        return;
    }
    published_ = sha256(*blob);
    hb_.send(beat_defaults);
}

CommandReply Worker::do_reload(ReloadTrigger t, std::optional<uint32_t> requested) {
    const uint32_t confirm_timeout = daemon().confirm_timeout;
    const char* why = reload_trigger_name(t).data();
    switch (gate_reload(t, confirm_.pending(), stood_down_, confirm_timeout)) {
    case ReloadGate::refuse_down:
        if (t == ReloadTrigger::cli_reload || t == ReloadTrigger::cli_apply)
            HEPD_LOG_WARN("%s refused: the daemon stood down after hepd teardown", why);
        return fail(1, ESHUTDOWN, "hepd stood down after `hepd teardown` and enforces nothing; restart it to apply");
    case ReloadGate::refuse_pending: {
        const std::string left = std::to_string(confirm_.seconds_left(Clock::now()));
        HEPD_LOG_WARN("%s refused: a confirm is pending (%s s left)", why, left.c_str());
        return fail(1, EBUSY,
                    "an apply is waiting for confirmation (" + left +
                        " s left): run `hepd confirm` or `hepd rollback` first; one pending apply at a time");
    }
    case ReloadGate::defer:
        if (!deferred_ || t == ReloadTrigger::signal) deferred_ = t;
        HEPD_LOG_INFO("%s during a confirm window: applied after hepd confirm or hepd rollback", why);
        return ok("deferred\n");
    case ReloadGate::watch_only: {
        // Only say so when the files really differ from what runs (or do not load at all).
        Diagnostics d;
        auto cand = engine_.load(d);
        if (cand && cand->hash == engine_.hash()) {
            unapplied_change_.clear();
        } else if (unapplied_change_.empty()) {
            unapplied_change_ = clock_text(wall_seconds());
            HEPD_LOG_WARN("the configuration on flash changed; not applied because confirm_timeout is %u s: run "
                          "`hepd apply` to apply it with a confirm window",
                          confirm_timeout);
        }
        if (!cand) log_diagnostics(d);
        io_->write_status_file();
        return ok("not applied\n");
    }
    case ReloadGate::go: break;
    }

    Diagnostics d;
    auto cand = engine_.load(d);
    if (!cand) {
        log_diagnostics(d);
        HEPD_LOG_ERROR("configuration rejected (%s): %zu errors; the running rules stay", why, d.error_count());
        io_->write_status_file();
        return fail(1, 1, "configuration rejected; the running rules stay", engine_.rejected()->format());
    }
    if (skip_rolled_back(t, cand->hash, confirm_.rolled_back_hash())) {
        HEPD_LOG_WARN("%s: the files on flash are the configuration that was rolled back; still running the "
                      "confirmed one (`hepd apply` applies them on purpose)",
                      why);
        return ok("not applied: rolled back earlier\n");
    }
    const uint32_t window = window_for(t, requested, engine_.loaded() ? confirm_timeout : cand->setup.daemon.confirm_timeout);
    if (window > 0) return open_window(std::move(*cand), window, d);

    const bool was_unconfirmed = confirm_.phase() != ConfirmState::Phase::none;
    engine_.adopt(std::move(*cand));
    adopted(d, why);
    if (!do_apply("reload")) return fail(1, EIO, "apply failed: " + engine_.last_apply().error);
    if (was_unconfirmed) {
        // The files on flash were applied on purpose, without a window: they are trusted now.
        confirm_.applied_without_window();
        rollback_warning_.reset();
        if (auto r = store_.remove_marker(); !r) {
            HEPD_LOG_ERROR("confirm marker: %s", r.error().message().c_str());
            confirm_.save_failed("cannot remove the confirm marker");
            save_detail_ = r.error().message();
        }
    }
    io_->write_status_file();
    return ok(applied_text() + "\n");
}

// Applies `candidate` with a deadline: the running configuration is the confirmed one, on flash
// first (snapshot, then the marker), then the candidate goes in.
CommandReply Worker::open_window(LoadedSetup candidate, uint32_t seconds, const Diagnostics& d) {
    if (!engine_.loaded()) {
        HEPD_LOG_WARN("apply with a confirm window refused: no valid configuration ran yet to roll back to");
        return fail(1, EINVAL,
                    "not applied: a confirm window needs a configuration to roll back to, and no valid one has run "
                    "yet; apply this one with `hepd apply --no-confirm`");
    }
    LoadedSetup running = engine_.current();
    if (confirmed_on_flash_ != running.hash) {
        auto have = store_.read_snapshot();
        if (have && *have && sources_hash(**have) == running.hash) {
            confirmed_on_flash_ = running.hash;
        } else if (auto w = store_.write_snapshot(running.sources); !w) {
            HEPD_LOG_ERROR("cannot open a confirm window: saving the confirmed configuration failed: %s",
                           w.error().message().c_str());
            return fail(1, w.error().err ? w.error().err : EIO,
                        "not applied: a confirm window needs the confirmed configuration on flash, and saving it "
                        "failed: " + w.error().message());
        } else {
            confirmed_on_flash_ = running.hash;
        }
    }
    if (auto w = store_.write_marker(ConfirmMarker{ConfirmMarker::State::pending, candidate.hash, wall_seconds()}); !w) {
        HEPD_LOG_ERROR("cannot open a confirm window: %s", w.error().message().c_str());
        return fail(1, w.error().err ? w.error().err : EIO,
                    "not applied: writing the confirm marker failed: " + w.error().message());
    }
    const std::string hash = candidate.hash;
    const ConfirmStore window_store = store_;  // the marker's directory, for the whole window
    confirmed_ = std::move(running);
    engine_.adopt(std::move(candidate));
    adopted(d, "hepd apply with a confirm window");
    store_ = window_store;
    if (!do_apply("apply with confirm window")) {
        const std::string err = engine_.last_apply().error;
        HEPD_LOG_ERROR("the candidate could not be applied (%s): restoring the confirmed configuration", err.c_str());
        engine_.adopt(std::move(*confirmed_));
        confirmed_.reset();
        adopted(Diagnostics{}, "restoring the confirmed configuration");
        do_apply("restore");
        confirm_.abandon();
        if (auto r = store_.remove_marker(); !r) HEPD_LOG_WARN("confirm marker: %s", r.error().message().c_str());
        io_->write_status_file();
        return fail(1, EIO, "apply failed: " + err + "; the confirmed configuration was restored");
    }
    const auto now = Clock::now();
    confirm_.open(now, seconds, hash);
    const std::string at = clock_text(wall_seconds() + seconds);
    HEPD_LOG_WARN("applied with a confirm window: run `hepd confirm` within %u s, or the last confirmed "
                  "configuration returns at %s",
                  seconds, at.c_str());
    io_->write_status_file();
    return ok(applied_text() + "\nconfirm within " + std::to_string(seconds) + " s: hepd confirm (rollback at " +
              at + "; hepd rollback undoes it now)\n");
}

CommandReply Worker::do_confirm() {
    if (!confirm_.wants_save())
        return fail(1, ESRCH, stood_down_ ? "nothing to confirm: the daemon stood down"
                                          : "nothing to confirm: no apply is waiting for confirmation");
    const LoadedSetup cur = engine_.current();
    if (auto w = store_.write_snapshot(cur.sources); !w) {
        const std::string e = w.error().message();
        confirm_.save_failed(w.error().err ? std::strerror(w.error().err) : e);
        save_detail_ = e;
        confirmed_.reset();
        HEPD_LOG_ERROR("CONFIRM NOT SAVED: %s. The applied rules stay (confirmed in RAM); after a restart hepd would "
                       "run the previous confirmed configuration; fix %s and run `hepd confirm` again",
                       e.c_str(), store_.dir().c_str());
        io_->write_status_file();
        return fail(3, w.error().err ? w.error().err : EIO,
                    "confirmed in RAM only: saving to " + store_.dir() + " failed: " + e,
                    "The applied rules stay. After a restart hepd would run the previous confirmed "
                    "configuration.\nFix " + store_.dir() + " and run `hepd confirm` again.\n");
    }
    confirmed_on_flash_ = cur.hash;
    if (auto r = store_.remove_marker(); !r)
        HEPD_LOG_WARN("confirm marker: %s (harmless: the snapshot is the confirmed configuration)",
                      r.error().message().c_str());
    confirm_.saved();
    confirmed_.reset();
    rollback_warning_.reset();
    HEPD_LOG_INFO("confirmed: the applied configuration is saved in %s", store_.dir().c_str());
    store_ = ConfirmStore(daemon().confirmed_dir);
    if (deferred_) run_deferred_ = true;
    io_->write_status_file();
    return ok("confirmed: the configuration is saved in " + store_.snapshot_path() + "\n");
}

CommandReply Worker::do_rollback(const char* why) {
    if (!confirm_.pending())
        return fail(1, ESRCH, "nothing to roll back: no apply is waiting for confirmation");
    const std::string rejected = confirm_.candidate_hash();
    const uint32_t window = confirm_.window_s();
    engine_.adopt(std::move(*confirmed_));
    confirmed_.reset();
    adopted(Diagnostics{}, "rollback");
    do_apply("rollback");
    confirm_.rolled_back();
    if (auto w = store_.write_marker(ConfirmMarker{ConfirmMarker::State::rolled_back, rejected, wall_seconds()}); !w)
        HEPD_LOG_WARN("confirm marker: %s (a restart also runs the confirmed configuration)",
                      w.error().message().c_str());
    const std::string text = std::string("rolled back (") + why + "): the apply of " + std::to_string(window) +
                             " s ago was not confirmed; the last confirmed configuration is back";
    HEPD_LOG_ERROR("ROLLED BACK: %s; the files on flash are not applied again until they change or `hepd apply` "
                   "applies them",
                   text.c_str());
    rollback_warning_ = StatusWarning{WarningKind::other, 1, clock_text(wall_seconds()), text, {}, false};
    store_ = ConfirmStore(daemon().confirmed_dir);
    if (deferred_) run_deferred_ = true;
    io_->write_status_file();
    if (!engine_.last_apply().ok)
        return fail(1, EIO, "rolled back, but the apply failed: " + engine_.last_apply().error + " (retrying)");
    return ok(text + "\n");
}

CommandReply Worker::do_teardown() {
    // The supervisor first: from now on it installs no default rules and restarts nothing.
    hb_.send(beat_stand_down);
    stood_down_ = true;
    retry_at_ = reload_at_ = never;
    deferred_.reset();
    auto r = engine_.teardown();
    io_->write_status_file();
    if (!r) {
        HEPD_LOG_ERROR("hepd teardown: %s", r.error().message().c_str());
        return fail(1, r.error().err ? r.error().err : EIO, "teardown failed: " + r.error().message());
    }
    HEPD_LOG_WARN("hepd teardown: every hepd chain, jump and set removed; the daemon stands down (no apply, no "
                  "repair) until it is restarted");
    return ok("removed every hepd chain, jump and set; the daemon stands down until it is restarted\n");
}

std::string Worker::command(const ControlIncoming& in) {
    HEPD_LOG_INFO("%s requested by pid %d", format_control_request(in.request).c_str(), static_cast<int>(in.peer.pid));
    switch (in.request.verb) {
    case ControlVerb::reload: return to_wire(do_reload(ReloadTrigger::cli_reload, std::nullopt));
    case ControlVerb::apply: return to_wire(do_reload(ReloadTrigger::cli_apply, in.request.timeout_s));
    case ControlVerb::confirm: return to_wire(do_confirm());
    case ControlVerb::rollback: return to_wire(do_rollback("hepd rollback"));
    case ControlVerb::teardown: return to_wire(do_teardown());
    default: break;
    }
    return control_reply_error(EINVAL, "unexpected request");
}

void Worker::decorate(StatusReport& r) {
    r.watchdog = read_watchdog_events(daemon().state_dir);
    if (stood_down_) {
        r.state = DaemonState::stood_down;
        r.notes.push_back("hepd teardown removed every hepd rule; this daemon enforces nothing until it is "
                          "restarted");
        return;
    }
    const auto now = Clock::now();
    switch (confirm_.phase()) {
    case ConfirmState::Phase::pending: {
        r.state = DaemonState::pending_confirm;
        const uint64_t left = confirm_.seconds_left(now);
        r.confirm = ConfirmReport{left, clock_text(wall_seconds() + static_cast<int64_t>(left))};
        break;
    }
    case ConfirmState::Phase::rolled_back:
        if (r.state == DaemonState::enforcing) r.state = DaemonState::rolled_back;
        break;
    case ConfirmState::Phase::unsaved: {
        StatusWarning w{WarningKind::other, 1, {},
                        "confirmed in RAM only, not saved: " + confirm_.save_error() +
                            "; after a restart hepd would run the previous confirmed configuration; fix "
                            "confirmed_dir, then hepd confirm",
                        {}, true};
        if (!save_detail_.empty()) w.details.push_back(save_detail_);
        r.warnings.push_back(std::move(w));
        break;
    }
    case ConfirmState::Phase::none: break;
    }
    if (rollback_warning_) r.warnings.push_back(*rollback_warning_);
    if (!unapplied_change_.empty())
        r.notes.push_back("the configuration on flash changed at " + unapplied_change_ +
                          " and is not applied (confirm_timeout is set): hepd apply");
    if (deferred_)
        r.notes.push_back("the configuration on flash changed during the confirm window; it is applied after hepd "
                          "confirm or hepd rollback");
}

int Worker::run() {
    hb_.set_period(beat_period(default_config().watchdog_timeout));
    boot();
    hb_.set_period(beat_period(daemon().watchdog_timeout));
    hb_.send(beat_alive);

    auto monitor = LinkMonitor::open();
    if (!monitor) {
        HEPD_LOG_ERROR("netlink: %s", monitor.error().message().c_str());
        return 1;
    }
    LinkMonitor& links = **monitor;
    links_ = &links;
    hb_.send(beat_alive);

    if (opts_.once) {
        ApplyOutcome first = engine_.apply(links.links());
        if (first.ok)
            HEPD_LOG_INFO("applied: %zu rules, %zu set members, %zu table commits in %.1f ms", first.rules,
                          first.set_members, first.tables_committed, first.duration.count() / 1000.0);
        else
            HEPD_LOG_ERROR("apply failed: %s", first.error.c_str());
        return first.ok && engine_.loaded() ? 0 : 1;
    }

    // Signals through a descriptor, so that the loop handles them between other events.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    const int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    const int timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    ConfigWatch watch;
    watch.watch(engine_.setup());
    watch_ = &watch;
    WorkerIo io(engine_, links);
    io_ = &io;
    io.on_command([this](const ControlIncoming& in) { return command(in); });
    io.on_status([this](StatusReport& r) { decorate(r); });

    if (do_apply("start"))
        HEPD_LOG_INFO("applied: %zu rules, %zu set members, %zu table commits in %.1f ms",
                      engine_.last_apply().rules, engine_.last_apply().set_members,
                      engine_.last_apply().tables_committed, engine_.last_apply().duration.count() / 1000.0);
    hb_.send(beat_alive);

    // A worker restarted by the supervisor may find the previous one's socket still held for a
    // moment (it is on its way out): try for a few seconds before giving up.
    for (int attempt = 0;; ++attempt) {
        auto r = io.open();
        if (r) break;
        if (r.error().err != EADDRINUSE || attempt >= 30) {
            HEPD_LOG_ERROR("%s", r.error().message().c_str());
            return 1;
        }
        hb_.send(beat_alive);
        ::usleep(100 * 1000);
    }

    next_probe_ = Clock::now() + probe_period;
    reset_refresh();
    bool apply_now = false;

    HEPD_LOG_INFO("hepd %s running (node %s)", HEPD_VERSION, daemon().node.c_str());
    while (true) {
        // The compiled rules are not kept while the loop sleeps (glibc keeps freed pages until
        // malloc_trim; musl's malloc returns them by itself).
        if (engine_.shed()) trim_heap();
        // The next deadline among the timers.
        const auto deadline = confirm_.pending() ? confirm_.deadline() : never;
        const auto next = std::min({next_probe_, next_refresh_, reload_at_, retry_at_, deadline, hb_.next()});
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
        hb_.tick(Clock::now());
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                    do_reload(ReloadTrigger::signal, std::nullopt);
                } else {
                    HEPD_LOG_INFO("signal %u: exiting; the rules stay in place", si.ssi_signo);
                    hb_.send(beat_exiting);
                    return 0;
                }
            }
        }
        if (fds[1].revents & POLLIN) {
            uint64_t expirations = 0;
            (void)!read(timerfd, &expirations, sizeof expirations);
        }
        if ((fds[2].revents & POLLIN) && watch.drain()) {
            const auto t = Clock::now();
            if (reload_at_ == never) burst_start_ = t;
            reload_at_ = std::min(t + reload_quiet, burst_start_ + reload_debounce);
        }
        if (fds[3].revents & POLLIN) {
            auto changed = links.process();
            if (!changed)
                HEPD_LOG_WARN("netlink: %s", changed.error().message().c_str());
            else if (*changed)
                apply_now = true;
        }
        io.handle_pollfds(fds, io_first);

        const auto now = Clock::now();
        if (!stood_down_ && confirm_.due(now)) do_rollback("the confirm deadline passed");
        if (run_deferred_ && !stood_down_) {
            run_deferred_ = false;
            const ReloadTrigger t = deferred_.value_or(ReloadTrigger::files);
            deferred_.reset();
            do_reload(t, std::nullopt);
            apply_now = false;
        }
        if (stood_down_) {
            apply_now = false;
            continue;
        }
        if (now >= reload_at_) {
            reload_at_ = never;
            do_reload(ReloadTrigger::files, std::nullopt);
            apply_now = false;
        }
        if (now >= retry_at_) {
            retry_at_ = never;
            apply_now = true;
        }
        if (apply_now) {
            apply_now = false;
            do_apply("interfaces changed");
        }
        if (now >= next_probe_) {
            next_probe_ = now + probe_period;
            ProbeState p = io.probe();
            if (p != probe_ || engine_.sets_changed()) check_drift(std::move(p));
        }
        if (now >= next_refresh_) {
            next_refresh_ = now + refresh_every_;
            check_drift(io.probe());
        }
    }
}

}  // namespace

int run_worker(const RunOptions& opts) {
    log_open(opts.log_stderr, LogLevel::info);
    if (const char* hook = std::getenv(test_crash_on_start_env);
        hook && (std::strcmp(hook, "1") == 0 || (hook[0] == '/' && ::access(hook, F_OK) == 0))) {
        // A test hook (tests/netns/40-watchdog.sh); nothing sets it in production.
        HEPD_LOG_ERROR("test hook %s=%s: the worker aborts on purpose", test_crash_on_start_env, hook);
        rlimit no_core{0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        std::abort();
    }
    // A write to the heartbeat pipe after the supervisor died must not kill the worker (it gets
    // SIGTERM through PR_SET_PDEATHSIG and leaves the rules in place).
    signal(SIGPIPE, SIG_IGN);
    Heartbeat hb(opts.watchdog_fd);
    hb.send(beat_alive);
    Engine engine(opts.config_path, opts.explicit_config);
    Worker w(opts, engine, hb);
    return w.run();
}

}  // namespace hepd
