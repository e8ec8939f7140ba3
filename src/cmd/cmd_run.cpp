// SPDX-License-Identifier: GPL-2.0-or-later
// hepd run [-c FILE] [--stderr] [--once]: the supervisor, which runs the worker (src/sys/supervisor.cpp);
// with --once, the worker alone, once.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "hepd/daemon.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

int cmd_run(Args args) {
    RunOptions opts;
    const char* config_flag = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
        const char* a = args[i];
        if (std::strcmp(a, "-c") == 0 || std::strcmp(a, "--config") == 0) {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "hepd run: %s needs a file\n", a);
                return 2;
            }
            config_flag = args[++i];
        } else if (std::strcmp(a, "--stderr") == 0) {
            opts.log_stderr = true;
        } else if (std::strcmp(a, "--once") == 0) {
            opts.once = true;
        } else if (std::strcmp(a, "--foreground") == 0) {
            // hepd always runs in the foreground, as procd and systemd expect.
        } else {
            std::fprintf(stderr, "hepd run: unknown argument '%s' (usage: hepd run [-c FILE] [--stderr] [--once])\n", a);
            return 2;
        }
    }
    opts.config_path = config_path_from(config_flag);
    opts.explicit_config = config_flag != nullptr || std::getenv("HEPD_CONFIG") != nullptr;
    return run_supervisor(opts);
}

}  // namespace hepd::cmd
