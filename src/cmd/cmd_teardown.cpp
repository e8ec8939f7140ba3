// SPDX-License-Identifier: GPL-2.0-or-later
// hepd teardown [-c FILE]: removes every hepd chain, jump and set, and nothing else.
//
// With a daemon running (the OpenWrt init script's stop_service runs this while procd still has
// hepd up), the daemon does it: over the control socket it stands down first (its supervisor
// stops installing default rules and restarting workers, its worker stops applying and
// repairing), then removes the rules, so nothing puts them back before procd stops it. When no
// worker answers but its supervisor lives (between restarts, or a hung worker), SIGUSR2 makes the
// supervisor stand down (it kills the worker), then the rules are removed here. Without a daemon,
// they are removed here directly.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/daemon.hpp"
#include "hepd/files.hpp"
#include "hepd/log.hpp"
#include "hepd/watchdog.hpp"
#include "hepd/worker_io.hpp"

namespace hepd::cmd {

namespace {

// The supervisor of STATE_DIR, when one is alive: its pid from STATE_DIR/watchdog, checked to be
// a hepd process (a stale file's pid may have been reused).
std::optional<WatchFile> live_supervisor(const std::string& state_dir) {
    auto text = read_file(state_dir + watchdog_file, 64 * 1024);
    if (!text) return std::nullopt;
    auto w = parse_watch_file(*text);
    if (!w || kill(static_cast<pid_t>(w->pid), 0) != 0) return std::nullopt;
    auto comm = read_file("/proc/" + std::to_string(w->pid) + "/comm", 64);
    if (!comm || comm->rfind("hepd", 0) != 0) return std::nullopt;
    return w;
}

}  // namespace

int cmd_teardown(Args args) {
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        if (!config_arg(args, i, config_flag)) {
            std::fprintf(stderr, "hepd teardown: unknown argument '%s' (usage: hepd teardown [-c FILE])\n", args[i]);
            return 2;
        }
    }
    log_open(true, LogLevel::warn);
    const std::string config = config_path_from(config_flag);
    Diagnostics ignored;
    const DaemonConfig d = load_daemon_settings(config, config_flag != nullptr, ignored);

    ControlRequest req;
    req.verb = ControlVerb::teardown;
    auto reply = control_call(d.socket, req, 10000);
    if (reply) {
        // The daemon did it (or said why not).
        std::string body = reply->body;
        int code = reply->ok ? 0 : 1;
        if (body.rfind(status_exit_prefix, 0) == 0) {
            code = std::atoi(body.c_str() + std::strlen(status_exit_prefix));
            const size_t eol = body.find('\n');
            body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
        }
        if (!reply->ok) {
            std::fwrite(body.data(), 1, body.size(), stderr);
            std::fprintf(stderr, "hepd teardown: %s\n", reply->message.c_str());
        }
        return code;
    }
    if (auto sup = live_supervisor(d.state_dir)) {
        // No worker answers, but the supervisor would install default rules or restart one.
        kill(static_cast<pid_t>(sup->pid), SIGUSR2);
        bool down = false;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!down && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            auto text = read_file(d.state_dir + watchdog_file, 64 * 1024);
            auto w = text ? parse_watch_file(*text) : std::nullopt;
            down = !w || w->state == WatchState::stood_down;
        }
        if (!down)
            std::fprintf(stderr, "hepd teardown: the supervisor (pid %lld) did not confirm standing down; removing the "
                                 "rules anyway\n",
                         static_cast<long long>(sup->pid));
    }
    // The configuration only supplies the xtables lock path and wait; a broken configuration must
    // not stop a teardown, so load problems are ignored here.
    Engine engine(config, config_flag != nullptr);
    engine.reload(ignored);
    auto r = engine.teardown();
    if (!r) {
        std::fprintf(stderr, "hepd teardown: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}

}  // namespace hepd::cmd
