// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirm, the pure part (OPENWRT.md, "Commit-confirm"): the snapshot of a configuration
// kept on flash, the marker that says the files on flash are not confirmed, and every decision
// the worker takes around them. The worker (src/sys/worker.cpp) does the I/O; the store
// (src/sys/confirm_store.cpp) reads and writes confirmed_dir.
//
// On flash, in confirmed_dir (written only when a configuration becomes the confirmed one, and
// always with write, fsync, rename, fsync of the directory):
//
//   snapshot     every file the confirmed configuration was read from (hepd.conf, the UCI file,
//                resource_dir/*.yaml), byte for byte under its own path: format_snapshot()
//   unconfirmed  the marker: "the configuration on flash with this hash is not confirmed";
//                written before a confirm window opens, removed by `hepd confirm`
//
// The life of a window:
//
//   none --apply with deadline--> pending --hepd confirm--> none      (snapshot := candidate,
//    ^                              |  |                               marker removed)
//    |                              |  `--confirm, flash write fails--> unsaved --confirm--> none
//    |                              `--hepd rollback / deadline / restart--> rolled_back
//    `--a different configuration applied without a window-- rolled_back, unsaved
//
// At start (decide_boot): a marker in state pending means hepd (or the box) restarted inside a
// window, so the confirmed snapshot runs and the marker becomes rolled-back; a rolled-back marker
// keeps the snapshot running for as long as the files on flash still hash to the rejected
// candidate. Automatic reloads (file watcher, SIGHUP) of those same files are skipped, so a
// rolled-back configuration never comes back by itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hepd {

// The bytes of every file a configuration was read from, in reading order: what the confirmed
// snapshot holds, and what its hash identifies. `dirs` are the directories that were listed
// (resource_dir), so that an empty resource directory reads back as existing.
struct SetupSources {
    std::string config_path;
    std::vector<std::pair<std::string, std::string>> files;  // path, bytes
    std::vector<std::string> dirs;
    bool operator==(const SetupSources&) const = default;
};

// The snapshot file: a text header line, then length-prefixed records (binary-safe):
//   "hepd-snapshot 1\n"
//   "config <n>\n" <n bytes> "\n"
//   "dir <n>\n" <n bytes> "\n"                       (any number)
//   "file <n> <m>\n" <n bytes of path> "\n" <m bytes> "\n"   (any number, in reading order)
//   "end\n"
std::string format_snapshot(const SetupSources& s);
// nullopt, and `problem` set, for anything else (cut short, bad lengths, trailing bytes).
std::optional<SetupSources> parse_snapshot(std::string_view data, std::string* problem = nullptr);
// 64 hex digits: SHA-256 of format_snapshot(s). Equal files under equal paths, equal hash.
std::string sources_hash(const SetupSources& s);

// The marker file: "hepd-unconfirmed 1\nstate pending|rolled-back\nhash <64 hex>\nsince <epoch>\n".
struct ConfirmMarker {
    enum class State : uint8_t { pending, rolled_back };
    State state = State::pending;
    std::string hash;   // sources_hash() of the unconfirmed configuration
    int64_t since = 0;  // wall clock, seconds since the epoch (for messages only)
    bool operator==(const ConfirmMarker&) const = default;
};
std::string format_marker(const ConfirmMarker& m);
std::optional<ConfirmMarker> parse_marker(std::string_view data);

// Which configuration runs at start.
struct BootDecision {
    bool use_snapshot = false;      // run the confirmed snapshot instead of the files on flash
    bool mark_rolled_back = false;  // rewrite the marker as rolled-back (same hash)
    bool remove_marker = false;     // the marker no longer applies
    std::string why;                // one line for the log, empty when nothing special
};
// `marker` as read (nullopt: none, or unreadable), `live_hash` of the files on flash (empty when
// they could not be read), `have_snapshot` when the snapshot parsed and loads.
BootDecision decide_boot(const std::optional<ConfirmMarker>& marker, std::string_view live_hash, bool have_snapshot);

// What asked for a reload. The deadline each gets (window_for) is the contract in the README:
//   cli_apply   `hepd apply`: --confirm-timeout N, else confirm_timeout (`--no-confirm` sends 0)
//   cli_reload  `hepd reload`: confirm_timeout
//   signal      SIGHUP (procd's reload_signal: `/etc/init.d/hepd reload`, LuCI's apply, which runs
//               inside rpcd's own rollback window): never a window, so none is stacked on top
//   files       the file watcher: never a window; and with confirm_timeout > 0 it does not apply
//               at all (a change nobody could confirm), it only says that `hepd apply` is due
enum class ReloadTrigger : uint8_t { files, signal, cli_reload, cli_apply };
std::string_view reload_trigger_name(ReloadTrigger t);  // "files changed", "SIGHUP", ...

uint32_t window_for(ReloadTrigger t, std::optional<uint32_t> requested, uint32_t confirm_timeout);

enum class ReloadGate : uint8_t {
    go,             // load and apply
    defer,          // a window is pending: apply after confirm/rollback (automatic triggers)
    refuse_pending, // a window is pending: the CLI gets "confirm or roll back first"
    refuse_down,    // the daemon stood down after `hepd teardown`
    watch_only,     // files changed, confirm_timeout > 0: log that `hepd apply` is due
};
ReloadGate gate_reload(ReloadTrigger t, bool pending, bool stood_down, uint32_t confirm_timeout);

// After loading: an automatic reload of exactly the configuration that was rolled back is
// skipped (the CLI can still apply it on purpose).
bool skip_rolled_back(ReloadTrigger t, std::string_view loaded_hash, std::string_view rolled_back_hash);

// The window's state machine. Time points are passed in (steady clock), never read here.
class ConfirmState {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    enum class Phase : uint8_t { none, pending, unsaved, rolled_back };

    Phase phase() const { return phase_; }
    bool pending() const { return phase_ == Phase::pending; }
    TimePoint deadline() const { return deadline_; }
    uint32_t window_s() const { return window_s_; }
    const std::string& candidate_hash() const { return candidate_hash_; }
    const std::string& rolled_back_hash() const { return rolled_back_hash_; }
    const std::string& save_error() const { return save_error_; }

    // Seconds before the rollback, rounded up; 0 when nothing is pending or the time is up.
    uint64_t seconds_left(TimePoint now) const;
    // The deadline passed: the caller rolls back (then calls rolled_back()).
    bool due(TimePoint now) const { return phase_ == Phase::pending && now >= deadline_; }

    // A window opens over `candidate_hash` (the caller checked !pending()).
    void open(TimePoint now, uint32_t seconds, std::string candidate_hash);
    // `hepd confirm` while pending or unsaved: the caller saves the candidate, then reports.
    bool wants_save() const { return phase_ == Phase::pending || phase_ == Phase::unsaved; }
    void saved();                     // -> none
    void save_failed(std::string e);  // -> unsaved: confirmed in RAM, not on flash
    // `hepd rollback`, the deadline, or a restart inside the window: -> rolled_back.
    void rolled_back();
    // The candidate could not even be applied: the window closes as if it never opened (the
    // caller restores the confirmed rules and removes the marker).
    void abandon();
    // At start, when decide_boot() ran the snapshot because of a marker.
    void booted_rolled_back(std::string hash);
    // A configuration applied without a window replaced the running one: a rolled-back marker no
    // longer applies (the files on flash are trusted again). unsaved stays unsaved.
    void applied_without_window();

private:
    Phase phase_ = Phase::none;
    TimePoint deadline_{};
    uint32_t window_s_ = 0;
    std::string candidate_hash_;
    std::string rolled_back_hash_;
    std::string save_error_;
};

}  // namespace hepd
