// SPDX-License-Identifier: GPL-2.0-or-later
// hepd reload [-c FILE]: 0 applied, 1 rejected (errors printed, old rules kept; or refused while
// a confirm is pending), 2 not running. With confirm_timeout > 0 the apply gets that confirm
// window (README, "Commit-confirm").
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

int cmd_reload(Args args) {
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        if (!config_arg(args, i, config_flag)) {
            std::fprintf(stderr, "hepd reload: unknown argument '%s' (usage: hepd reload [-c FILE])\n", args[i]);
            return 2;
        }
    }
    Diagnostics ignored;
    const DaemonConfig d = load_daemon_settings(config_path_from(config_flag), config_flag != nullptr, ignored);
    ControlRequest req;
    req.verb = ControlVerb::reload;
    // A reload of a large configuration takes its time; the answer comes after the apply.
    return call_daemon("reload", d.socket, req, 60000);
}

}  // namespace hepd::cmd
