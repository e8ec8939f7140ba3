// SPDX-License-Identifier: GPL-2.0-or-later
// The worker: keeps the kernel equal to what the configuration and the interfaces ask for.
//
//   signalfd (HUP reload, TERM/INT exit) --+
//   inotify (hepd.conf, resources, UCI) ---+--> poll() --> Engine: reload / apply / check drift
//   netlink (links, addresses) ------------+                 |
//   control socket (status, reload) -------+                 v
//   timerfd (debounce, retry, refresh) ----+      ipsets (libipset) then rules (libiptc)
//
// Engine is the part with the decisions, and no file descriptors of its own, so tests and
// `hepd run --once` drive it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/diag.hpp"
#include "hepd/iptc.hpp"
#include "hepd/result.hpp"
#include "hepd/setup.hpp"

namespace hepd {

struct ApplyOutcome {
    bool ok = false;
    bool changed = false;            // something was written (a table commit or a set change)
    std::string error;               // when !ok
    std::chrono::microseconds duration{0};
    size_t tables_committed = 0;
    size_t set_changes = 0;          // sets created/destroyed + members added/removed
    size_t rules = 0;                // of the ruleset applied
    size_t set_members = 0;
};

struct DriftReport {
    std::vector<std::string> tables;  // "ipv4 filter", ... that differed and were repaired
    bool sets = false;                // set members differed and were repaired
    bool any() const { return !tables.empty() || sets; }
};

// The summary of every table hepd programs (IPv4's tables, then IPv6's, in the order of the
// compiled ruleset), for the cheap drift probe.
using ProbeState = std::vector<TableInfo>;

// A configuration as loaded, with the bytes it was read from (commit-confirm keeps them).
struct LoadedSetup {
    Setup setup;
    SetupSources sources;
    std::string hash;  // sources_hash(sources)
};

class Engine {
public:
    Engine(std::string config_path, bool explicit_path);
    ~Engine();

    // Loads the configuration. On errors the current setup stays and the diagnostics are kept
    // (rejected()) until a good configuration arrives. Returns true when loaded.
    bool reload(Diagnostics& diags);

    // Reads and validates the files on flash without switching to them: nullopt (and rejected()
    // set) on errors. `hash`, when given, receives the hash of what was read, valid or not.
    std::optional<LoadedSetup> load(Diagnostics& diags, std::string* hash = nullptr);
    // Makes `l` the configuration that apply() programs (a load() result, or a confirmed one).
    void adopt(LoadedSetup l);
    // The running configuration with its bytes (what a confirm window falls back to).
    LoadedSetup current() const;
    const std::string& hash() const { return hash_; }

    // Compiles for `links` and brings sets and rules to it. On failure the kernel keeps what it
    // had (each table commit is atomic), the error is recorded and the caller retries.
    ApplyOutcome apply(const std::vector<Link>& links);

    // A full comparison of the kernel's tables with the last applied ruleset, and of the sets'
    // headers (their members in full at most once per IptablesRefreshInterval); repairs what
    // drifted by applying again (which rewrites only what differs). Sets that sets_changed()
    // found count as drifted here.
    DriftReport check_and_repair();

    // The cheap probe, once a second: every table's summary now (ProbeState order), and
    // whether a hepd set's header (entry count, type, options, initval) changed behind hepd's
    // back since its own last write or read: one header-only listing of the sets (about 10 us
    // of CPU a set), nothing when the ruleset needs no set or the last apply failed, and with
    // many sets not every second (set_probe_spacing). Reads only.
    ProbeState probe_tables() const;
    bool sets_changed();
    // A set listing that cost C of CPU is followed by the next one no sooner than C times this.
    static constexpr int set_probe_spacing = 1000;
    // The tables as the last good apply left them (IptcReport::info): what probe_tables() must
    // still see for nothing to have changed since. Empty after a failed apply.
    const ProbeState& applied_tables() const { return applied_tables_; }

    // Removes everything hepd owns from the kernel.
    Result<void> teardown();

    const Setup& setup() const { return setup_; }
    bool loaded() const { return loaded_; }
    // What the last apply() compiled (its setup, its links). An idle daemon does not keep the
    // rules: shed() drops them and this compiles them again, the same, when asked.
    const Compiled& compiled() const;
    // The bindings and the tables of the last apply(), kept through shed() (status, the probe).
    const std::vector<Binding>& bindings() const { return compiled_.bindings; }
    bool applied_v6() const { return applied_v6_; }
    const std::vector<std::pair<uint8_t, nf::Table>>& applied_table_list() const { return applied_table_list_; }
    // Frees the compiled rules until compiled() is next called (the worker's loop calls it
    // before it sleeps: at W3 the rules are megabytes, and they are only read on a drift check,
    // a repair or `hepd status` with counters). True when it freed them.
    bool shed();
    const std::optional<Diagnostics>& rejected() const { return rejected_; }
    const ApplyOutcome& last_apply() const { return last_apply_; }
    uint64_t apply_count() const { return apply_count_; }
    uint64_t repairs() const { return repairs_; }

private:
    struct Backends;
    std::string config_path_;
    bool explicit_path_;
    Setup setup_;
    SetupSources sources_;
    std::string hash_;
    bool loaded_ = false;
    std::optional<Diagnostics> rejected_;
    mutable Compiled compiled_;
    mutable bool shed_ = false;     // compiled_.rules dropped by shed()
    bool adopted_ = false;          // setup_ changed since the last apply(): no shed() until then
    bool applied_v6_ = false;
    bool applied_sets_ = false;     // the last apply's rules need IP sets
    std::vector<std::pair<uint8_t, nf::Table>> applied_table_list_;  // (family, table) of the last apply
    std::vector<Link> last_links_;  // what the last apply compiled for (repairs reuse it)
    ApplyOutcome last_apply_;
    uint64_t apply_count_ = 0;
    uint64_t repairs_ = 0;
    Backends* backends_ = nullptr;
    bool ipset_missing_logged_ = false;
    ProbeState applied_tables_;
    bool sets_drifted_ = false;       // sets_changed() saw a change; check_and_repair repairs it
    std::chrono::steady_clock::time_point next_set_probe_{};
    bool set_probe_failing_ = false;  // its failure is logged once, until it works again
    std::chrono::steady_clock::time_point last_full_set_check_ = std::chrono::steady_clock::now();

    Result<void> open_backends();
    Compiled compile_applied() const;
};

struct RunOptions {
    std::string config_path;
    bool explicit_config = false;
    bool log_stderr = false;
    bool once = false;     // apply once and exit (no event loop, no supervisor)
    int watchdog_fd = -1;  // the heartbeat pipe to the supervisor (watchdog.hpp); -1: none
};

// The worker (its event loop); returns the process exit status.
int run_worker(const RunOptions& opts);

// `hepd run`: the supervisor, which forks the worker and watches it (src/sys/supervisor.cpp);
// with opts.once, the worker alone. Returns the process exit status.
int run_supervisor(const RunOptions& opts);

// Test hook, never set in production: HEPD_TEST_CRASH_ON_START=1 in the environment of `hepd run`
// makes every worker abort as it starts; HEPD_TEST_CRASH_ON_START=/ABSOLUTE/PATH makes a worker
// abort as it starts while that file exists (tests/netns/40-watchdog.sh holds the box on the
// default rules with it, and checks the restart backoff).
inline constexpr const char* test_crash_on_start_env = "HEPD_TEST_CRASH_ON_START";

}  // namespace hepd
