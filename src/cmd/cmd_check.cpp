// SPDX-License-Identifier: GPL-2.0-or-later
// hepd check [-c FILE] [PATH...]: validate offline, without root, and report every problem.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hepd/setup.hpp"

namespace hepd::cmd {

int cmd_check(Args args) {
    const char* config_flag = nullptr;
    bool quiet = false;
    std::vector<std::string> paths;
    for (size_t i = 0; i < args.size(); ++i) {
        const char* a = args[i];
        if (std::strcmp(a, "-c") == 0 || std::strcmp(a, "--config") == 0) {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "hepd check: %s needs a file\n", a);
                return 2;
            }
            config_flag = args[++i];
        } else if (std::strcmp(a, "-q") == 0 || std::strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            std::fprintf(stderr, "hepd check: unknown option '%s' (usage: hepd check [-c FILE] [PATH...])\n", a);
            return 2;
        } else {
            paths.emplace_back(a);
        }
    }
    Diagnostics diags;
    Setup setup;
    if (paths.empty()) {
        const std::string cfg = config_path_from(config_flag);
        setup = load_setup(cfg, config_flag != nullptr || std::getenv("HEPD_CONFIG") != nullptr, diags);
    } else {
        if (config_flag) paths.insert(paths.begin(), config_flag);
        setup = load_paths(paths, diags);
    }
    diags.sort();
    std::fputs(diags.format().c_str(), stderr);
    if (diags.has_errors()) {
        std::fprintf(stderr, "hepd check: %zu error%s, %zu warning%s\n", diags.error_count(),
                     diags.error_count() == 1 ? "" : "s", diags.warning_count(),
                     diags.warning_count() == 1 ? "" : "s");
        return 1;
    }
    if (!quiet) std::printf("ok: %s\n", summarize(setup).c_str());
    return 0;
}

}  // namespace hepd::cmd
