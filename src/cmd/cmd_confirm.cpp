// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirm from the command line (README, "Commit-confirm"):
//
//   hepd apply [-c FILE] [--confirm-timeout SECS | --no-confirm]
//       0 applied, 1 rejected or refused (a confirm is already pending), 2 not running
//   hepd confirm [-c FILE]    0 confirmed and saved, 1 nothing pending, 2 not running,
//                             3 confirmed in RAM but saving to confirmed_dir failed
//   hepd rollback [-c FILE]   0 rolled back, 1 nothing pending, 2 not running
//
// Without --confirm-timeout, apply uses confirm_timeout from the configuration; --no-confirm is
// the "apply unchecked" escape (no window whatever confirm_timeout says).
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

namespace {

std::string socket_of(const char* config_flag) {
    Diagnostics ignored;  // a broken configuration must not stop a confirm or a rollback
    return load_daemon_settings(config_path_from(config_flag), config_flag != nullptr, ignored).socket;
}

int simple(const char* name, ControlVerb verb, Args args, int timeout_ms) {
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        if (!config_arg(args, i, config_flag)) {
            std::fprintf(stderr, "hepd %s: unknown argument '%s' (usage: hepd %s [-c FILE])\n", name, args[i], name);
            return 2;
        }
    }
    ControlRequest req;
    req.verb = verb;
    return call_daemon(name, socket_of(config_flag), req, timeout_ms);
}

}  // namespace

int cmd_apply(Args args) {
    const char* config_flag = nullptr;
    std::optional<uint32_t> timeout;
    bool no_confirm = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (config_arg(args, i, config_flag)) continue;
        if (a == "--no-confirm") {
            no_confirm = true;
        } else if (a == "--confirm-timeout" && i + 1 < args.size()) {
            const std::string_view v = args[++i];
            uint32_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n > control_max_apply_timeout) {
                std::fprintf(stderr, "hepd apply: --confirm-timeout takes 0..%u seconds, not '%s'\n",
                             control_max_apply_timeout, args[i]);
                return 2;
            }
            timeout = n;
        } else {
            std::fprintf(stderr,
                         "hepd apply: unknown argument '%s' (usage: hepd apply [-c FILE] [--confirm-timeout SECS | "
                         "--no-confirm])\n",
                         args[i]);
            return 2;
        }
    }
    if (no_confirm && timeout && *timeout > 0) {
        std::fprintf(stderr, "hepd apply: --no-confirm and --confirm-timeout %u contradict each other\n", *timeout);
        return 2;
    }
    ControlRequest req;
    req.verb = ControlVerb::apply;
    req.timeout_s = no_confirm ? std::optional<uint32_t>(0) : timeout;
    return call_daemon("apply", socket_of(config_flag), req, 60000);
}

int cmd_confirm(Args args) { return simple("confirm", ControlVerb::confirm, args, 30000); }
int cmd_rollback(Args args) { return simple("rollback", ControlVerb::rollback, args, 60000); }

}  // namespace hepd::cmd
