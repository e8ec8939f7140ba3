// SPDX-License-Identifier: GPL-2.0-or-later
// hepd reload [-c FILE]: 0 applied, 1 rejected (errors printed, old rules kept), 2 not running.
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "hepd/control.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

int cmd_reload(Args args) {
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        if ((std::strcmp(args[i], "-c") == 0 || std::strcmp(args[i], "--config") == 0) && i + 1 < args.size()) {
            config_flag = args[++i];
        } else {
            std::fprintf(stderr, "hepd reload: unknown argument '%s' (usage: hepd reload [-c FILE])\n", args[i]);
            return 2;
        }
    }
    Diagnostics ignored;
    Setup s = load_setup(config_path_from(config_flag), config_flag != nullptr, ignored);
    ControlRequest req;
    req.verb = ControlVerb::reload;
    // A reload of a large configuration takes its time; the answer comes after the apply.
    auto reply = control_call(s.daemon.socket, req, 60000);
    if (!reply) {
        std::fprintf(stderr, "hepd reload: the daemon is not running (%s)\n", reply.error().message().c_str());
        return 2;
    }
    if (reply->ok) {
        std::fwrite(reply->body.data(), 1, reply->body.size(), stdout);
        return 0;
    }
    std::fwrite(reply->body.data(), 1, reply->body.size(), stderr);
    std::fprintf(stderr, "hepd reload: %s\n", reply->message.c_str());
    return 1;
}

}  // namespace hepd::cmd
