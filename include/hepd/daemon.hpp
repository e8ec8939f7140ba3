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
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/diag.hpp"
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

class Engine {
public:
    Engine(std::string config_path, bool explicit_path);
    ~Engine();

    // Loads the configuration. On errors the current setup stays and the diagnostics are kept
    // (rejected_diagnostics()) until a good configuration arrives. Returns true when loaded.
    bool reload(Diagnostics& diags);

    // Compiles for `links` and brings sets and rules to it. On failure the kernel keeps what it
    // had (each table commit is atomic), the error is recorded and the caller retries.
    ApplyOutcome apply(const std::vector<Link>& links);

    // A full comparison of the kernel's tables with the last applied ruleset, and of the sets'
    // headers (their members in full at most once per IptablesRefreshInterval); repairs what
    // drifted by applying again (which rewrites only what differs).
    DriftReport check_and_repair();

    // Removes everything hepd owns from the kernel.
    Result<void> teardown();

    const Setup& setup() const { return setup_; }
    bool loaded() const { return loaded_; }
    const Compiled& compiled() const { return compiled_; }
    const std::optional<Diagnostics>& rejected() const { return rejected_; }
    const ApplyOutcome& last_apply() const { return last_apply_; }
    uint64_t apply_count() const { return apply_count_; }
    uint64_t repairs() const { return repairs_; }

private:
    struct Backends;
    std::string config_path_;
    bool explicit_path_;
    Setup setup_;
    bool loaded_ = false;
    std::optional<Diagnostics> rejected_;
    Compiled compiled_;
    std::vector<Link> last_links_;  // what the last apply compiled for (repairs reuse it)
    ApplyOutcome last_apply_;
    uint64_t apply_count_ = 0;
    uint64_t repairs_ = 0;
    Backends* backends_ = nullptr;
    bool ipset_missing_logged_ = false;
    std::chrono::steady_clock::time_point last_full_set_check_ = std::chrono::steady_clock::now();

    Result<void> open_backends();
};

struct RunOptions {
    std::string config_path;
    bool explicit_config = false;
    bool log_stderr = false;
    bool once = false;  // apply once and exit (no event loop)
};

// `hepd run`: returns the process exit status.
int run_worker(const RunOptions& opts);

}  // namespace hepd
