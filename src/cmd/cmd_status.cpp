// SPDX-License-Identifier: GPL-2.0-or-later
// hepd status [-c FILE] [--json]: exit 0 enforcing, 1 degraded, 2 not running, 3 confirm pending.
//
// Answers within about a second whatever state the daemon is in: it asks the daemon over the
// control socket (1 s timeout); when the daemon does not answer but its pid is alive (hung, or
// stopped), it shows the last status the daemon wrote, marked as stale; when no daemon runs, it
// reads the kernel tables and says what hepd left there; when only the watchdog supervisor lives
// (the worker died or was killed, a restart is due), it shows the supervisor's state and events.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/files.hpp"
#include "hepd/iptc.hpp"
#include "hepd/log.hpp"
#include "hepd/setup.hpp"
#include "hepd/status.hpp"
#include "hepd/watchdog.hpp"
#include "hepd/worker_io.hpp"

namespace hepd::cmd {

namespace {

// Strips the "#exit N" line; returns N (or fallback).
int take_exit_line(std::string& body, int fallback) {
    if (body.rfind(status_exit_prefix, 0) != 0) return fallback;
    const size_t eol = body.find('\n');
    const int code = std::atoi(body.c_str() + std::strlen(status_exit_prefix));
    body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
    return code;
}

bool pid_alive(const std::string& status_text) {
    // The status file notes "written at HH:MM:SS by pid N".
    const size_t at = status_text.find("by pid ");
    if (at == std::string::npos) return false;
    const long pid = std::strtol(status_text.c_str() + at + 7, nullptr, 10);
    return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0;
}

StatusReport from_kernel(const DaemonConfig& d) {
    StatusReport r;
    r.state = DaemonState::not_running;
    r.backend = "iptables-legacy (libiptc)";
    r.node = d.node;
    size_t chains = 0;
    bool hooked = false;
    std::vector<std::string> ifaces;
    for (uint8_t fam : {4, 6}) {
        for (nf::Table t : nf::all_tables) {
            auto v = iptc_owned(fam, t);
            if (!v) continue;
            chains += v->chains.size();
            hooked = hooked || v->hooked;
            if (fam == 4 && t == nf::Table::filter) ifaces = v->ingress_ifaces;
        }
    }
    if (chains == 0) {
        r.notes.push_back("no hepd rules in the kernel");
    } else {
        r.notes.push_back("read from the kernel tables: " + std::to_string(chains) + " hepd chains" +
                          (hooked ? ", hooked into the built-in chains" : ", NOT hooked"));
        std::string list;
        for (const auto& i : ifaces) list += (list.empty() ? "" : " ") + i;
        if (!list.empty()) r.notes.push_back("interfaces still protected by the last rules: " + list);
    }
    return r;
}

// The supervisor of STATE_DIR, when one is alive (its pid checked to be a hepd process).
std::optional<WatchFile> live_supervisor(const std::string& state_dir) {
    auto text = read_file(state_dir + watchdog_file, 64 * 1024);
    if (!text) return std::nullopt;
    auto w = parse_watch_file(*text);
    if (!w || kill(static_cast<pid_t>(w->pid), 0) != 0) return std::nullopt;
    auto comm = read_file("/proc/" + std::to_string(w->pid) + "/comm", 64);
    if (!comm || comm->rfind("hepd", 0) != 0) return std::nullopt;
    return w;
}

// No worker answers, but the supervisor lives: what it says, and what the kernel holds.
StatusReport from_supervisor(const DaemonConfig& d, const WatchFile& w) {
    StatusReport r = from_kernel(d);
    r.pid = w.pid;
    r.watchdog = read_watchdog_events(d.state_dir);
    switch (w.state) {
    case WatchState::default_rules:
        r.state = DaemonState::default_rules;
        r.notes.insert(r.notes.begin(), "DEFAULT RULES in force: established traffic and the failsafe ports stay "
                                        "open on the protected interfaces, the rest follows fallback_action");
        break;
    case WatchState::stood_down: r.state = DaemonState::stood_down; break;
    case WatchState::running: r.state = DaemonState::starting; break;
    }
    std::string line = "no worker answers; supervisor pid " + std::to_string(w.pid);
    if (w.restart_at > 0) line += ", next restart at " + wall_clock_text(w.restart_at);
    r.notes.insert(r.notes.begin(), line);
    return r;
}

}  // namespace

int cmd_status(Args args) {
    const char* config_flag = nullptr;
    bool json = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if ((std::strcmp(args[i], "-c") == 0 || std::strcmp(args[i], "--config") == 0) && i + 1 < args.size()) {
            config_flag = args[++i];
        } else if (std::strcmp(args[i], "--json") == 0) {
            json = true;
        } else {
            std::fprintf(stderr, "hepd status: unknown argument '%s' (usage: hepd status [-c FILE] [--json])\n", args[i]);
            return 2;
        }
    }
    // Only the socket and state paths matter here; a broken configuration must not hide status.
    Diagnostics ignored;
    struct {
        DaemonConfig daemon;
    } s{load_daemon_settings(config_path_from(config_flag), config_flag != nullptr, ignored)};
    ControlRequest req;
    req.verb = json ? ControlVerb::status_json : ControlVerb::status;
    auto reply = control_call(s.daemon.socket, req, 1000);
    if (reply && reply->ok) {
        std::string body = reply->body;
        int code = json ? 0 : take_exit_line(body, 0);
        std::fwrite(body.data(), 1, body.size(), stdout);
        return code;
    }
    auto last = read_file(s.daemon.state_dir + (json ? status_file_json : status_file_txt), 1 << 20);
    if (last && pid_alive(*last)) {
        std::string body = *last;
        take_exit_line(body, 1);
        std::fprintf(stderr, "hepd status: the daemon does not answer (%s); its last status follows\n",
                     reply ? reply->message.c_str() : reply.error().message().c_str());
        std::fwrite(body.data(), 1, body.size(), stdout);
        return 1;
    }
    if (auto sup = live_supervisor(s.daemon.state_dir)) {
        StatusReport r = from_supervisor(s.daemon, *sup);
        const std::string out = json ? format_status_json(r) : format_status_text(r);
        std::fwrite(out.data(), 1, out.size(), stdout);
        return status_exit_code(r);
    }
    StatusReport r = from_kernel(s.daemon);
    const std::string out = json ? format_status_json(r) : format_status_text(r);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 2;
}

}  // namespace hepd::cmd
