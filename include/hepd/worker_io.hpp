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

// The summary of every table hepd programs, for the cheap drift probe.
using ProbeState = std::vector<TableInfo>;

// Builds the status report from the engine and the interfaces; reads rule counters from the
// kernel when `with_counters` (a few milliseconds for large tables).
StatusReport make_status_report(const Engine& engine, const std::vector<LinkState>& links, bool with_counters,
                                std::chrono::steady_clock::time_point started, const std::vector<StatusWarning>& warnings);

// The first line of a `status` reply body carries the exit code for the client, which strips it:
// "#exit N".
inline constexpr const char* status_exit_prefix = "#exit ";

class WorkerIo {
public:
    WorkerIo(Engine& engine, LinkMonitor& links);
    ~WorkerIo();

    Result<void> open();  // the control socket
    void add_pollfds(std::vector<pollfd>& fds);
    void handle_pollfds(const std::vector<pollfd>& fds, size_t first);
    int poll_timeout_ms() const;

    void on_reload(std::function<bool(const char*)> reload) { reload_ = std::move(reload); }
    void after_apply(const ApplyOutcome& out);
    void note_repair(const DriftReport& d);
    void heartbeat();
    ProbeState probe() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Engine& engine_;
    LinkMonitor& links_;
    std::function<bool(const char*)> reload_;
    std::chrono::steady_clock::time_point started_;
    std::vector<StatusWarning> warnings_;
    void write_status_file();
    std::string handle(const struct ControlIncoming& in);
};

}  // namespace hepd
