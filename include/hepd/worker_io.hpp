// SPDX-License-Identifier: GPL-2.0-or-later
// What the worker's loop shows the world: the control socket, the status report and the status
// file, the cheap drift probe, and (for the supervisor) the heartbeat.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <poll.h>

#include "hepd/daemon.hpp"
#include "hepd/iptc.hpp"
#include "hepd/netlink.hpp"
#include "hepd/status.hpp"

namespace hepd {

class LinkMonitor;

// Builds the status report from the engine and the interfaces; reads rule counters from the
// kernel when `with_counters` (a few milliseconds for large tables).
StatusReport make_status_report(const Engine& engine, const std::vector<LinkState>& links, bool with_counters,
                                std::chrono::steady_clock::time_point started, const std::vector<StatusWarning>& warnings);

// The first line of a `status` reply body carries the exit code for the client, which strips it:
// "#exit N". So do the replies to reload, apply, confirm, rollback and teardown.
inline constexpr const char* status_exit_prefix = "#exit ";

// Where the worker publishes its state and the supervisor its own (watchdog.hpp).
inline constexpr const char* status_file_txt = "/status.txt";
inline constexpr const char* status_file_json = "/status.json";
inline constexpr const char* watchdog_file = "/watchdog";
inline constexpr const char* default_rules_file = "/default-rules";

// The supervisor's events as status lines (wall times as local HH:MM:SS), from STATE_DIR/watchdog.
std::vector<WatchdogEvent> read_watchdog_events(const std::string& state_dir);

class WorkerIo {
public:
    WorkerIo(Engine& engine, LinkMonitor& links);
    ~WorkerIo();

    Result<void> open();  // the control socket
    void add_pollfds(std::vector<pollfd>& fds);
    void handle_pollfds(const std::vector<pollfd>& fds, size_t first);
    int poll_timeout_ms() const;

    // Requests other than ping and status (reload, apply, confirm, rollback, teardown): the
    // worker's loop answers them; the reply is a whole control reply (control.hpp).
    void on_command(std::function<std::string(const struct ControlIncoming&)> f) { command_ = std::move(f); }
    // Called on every status report before it is shown or written: the loop adds what only it
    // knows (a confirm window, a rollback, standing down, the watchdog's events).
    void on_status(std::function<void(StatusReport&)> f) { decorate_ = std::move(f); }
    void after_apply(const ApplyOutcome& out);
    void note_repair(const DriftReport& d);
    // Rewrites STATE_DIR/status.{txt,json} (after a state change the loop made).
    void write_status_file();
    ProbeState probe() const { return engine_.probe_tables(); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Engine& engine_;
    LinkMonitor& links_;
    std::function<std::string(const struct ControlIncoming&)> command_;
    std::function<void(StatusReport&)> decorate_;
    std::chrono::steady_clock::time_point started_;
    std::vector<StatusWarning> warnings_;
    StatusReport report(bool with_counters);
    std::string handle(const struct ControlIncoming& in);
};

}  // namespace hepd
