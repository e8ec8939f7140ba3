// SPDX-License-Identifier: GPL-2.0-or-later
// The watchdog, the pure part: the heartbeat bytes the worker sends, the restart backoff, and the
// supervisor's state file that `hepd status` and the worker read.
//
//   hepd run (supervisor)                                   worker (forked, event loop)
//     | <---- heartbeat pipe: '.' alive, 'A' applied, ------ |
//     |       'D' default rules rewritten, 'S' stand down,   |
//     |       'T' exiting on SIGTERM                         |
//     | reads STATE_DIR/default-rules on 'D' (iptc blobs)    | writes it after each good apply
//     | writes STATE_DIR/watchdog on every event  --------->  | shows its events in status
//
// The supervisor (src/sys/supervisor.cpp) reads the bytes without allocating; a byte it does not
// know is ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hepd {

inline constexpr char beat_alive = '.';       // the loop turned (at least every beat_period)
inline constexpr char beat_applied = 'A';     // a full policy is in the kernel (healthy)
inline constexpr char beat_defaults = 'D';    // STATE_DIR/default-rules was rewritten
inline constexpr char beat_stand_down = 'S';  // `hepd teardown`: no default rules, no restart
inline constexpr char beat_exiting = 'T';     // exiting on SIGTERM/SIGINT, the rules left in place

// How often the worker beats for a given watchdog_timeout: a quarter of it, between 100 ms and
// 1 s, so that a late wake-up or two never looks like a hang.
std::chrono::milliseconds beat_period(uint32_t watchdog_timeout_s);

// Restart delays: first, doubling up to max. A worker that ran healthy for at least `max` before
// it failed starts the schedule again (a crash a day is not a crash loop).
class Backoff {
public:
    explicit Backoff(std::chrono::seconds first = std::chrono::seconds(1),
                     std::chrono::seconds max = std::chrono::seconds(60))
        : first_(first), max_(max), next_(first) {}
    // The delay before the next restart, after a failure of a worker that had been healthy for
    // `healthy_for` (zero: never healthy).
    std::chrono::seconds on_failure(std::chrono::seconds healthy_for);
    std::chrono::seconds peek() const { return next_; }
    void reset() { next_ = first_; }

private:
    std::chrono::seconds first_, max_, next_;
};

// What the supervisor is doing, as its state file says.
enum class WatchState : uint8_t {
    running,        // a worker runs and applied the full policy (or is starting)
    default_rules,  // the default rules are in the kernel; a restart is due or under way
    stood_down,     // `hepd teardown`: nothing enforced, nothing restarted
};
std::string_view watch_state_key(WatchState s);  // "running", "default_rules", "stood_down"

struct WatchEvent {
    int64_t at = 0;  // wall clock, seconds since the epoch
    std::string what;
    bool operator==(const WatchEvent&) const = default;
};

// STATE_DIR/watchdog, written atomically by the supervisor:
//   hepd-watchdog 1
//   pid <supervisor pid>
//   worker <pid, 0 when none runs>
//   state running|default_rules|stood_down
//   restarts <n>
//   restart_at <epoch, 0 when none is scheduled>
//   event <epoch> <text to the end of the line>      (oldest first, at most max_events)
struct WatchFile {
    int64_t pid = 0;
    int64_t worker = 0;
    WatchState state = WatchState::running;
    uint64_t restarts = 0;
    int64_t restart_at = 0;
    std::vector<WatchEvent> events;
    bool operator==(const WatchFile&) const = default;

    static constexpr size_t max_events = 20;
    // Appends, dropping the oldest beyond max_events; the text is made one printable line.
    void add_event(int64_t at, std::string_view what);
};
std::string format_watch_file(const WatchFile& w);
std::optional<WatchFile> parse_watch_file(std::string_view data);

}  // namespace hepd
