// SPDX-License-Identifier: GPL-2.0-or-later
// hepd teardown [-c FILE]: removes every hepd chain, jump and set, and nothing else.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "hepd/daemon.hpp"
#include "hepd/log.hpp"

namespace hepd::cmd {

int cmd_teardown(Args args) {
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        if ((std::strcmp(args[i], "-c") == 0 || std::strcmp(args[i], "--config") == 0) && i + 1 < args.size()) {
            config_flag = args[++i];
        } else {
            std::fprintf(stderr, "hepd teardown: unknown argument '%s' (usage: hepd teardown [-c FILE])\n", args[i]);
            return 2;
        }
    }
    log_open(true, LogLevel::warn);
    // The configuration only supplies the xtables lock path and wait; a broken configuration must
    // not stop a teardown, so load problems are ignored here.
    Engine engine(config_path_from(config_flag), config_flag != nullptr);
    Diagnostics ignored;
    engine.reload(ignored);
    auto r = engine.teardown();
    if (!r) {
        std::fprintf(stderr, "hepd teardown: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}

}  // namespace hepd::cmd
