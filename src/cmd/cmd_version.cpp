// SPDX-License-Identifier: GPL-2.0-or-later
#include <cstdio>

#include "commands.hpp"

namespace hepd::cmd {

int cmd_version(Args args) {
    if (!args.empty()) {
        std::fprintf(stderr, "hepd version: takes no arguments\n");
        return 2;
    }
    std::printf("hepd %s\n", HEPD_VERSION);
    std::printf("backend: iptables-legacy (libiptc), ipset (libipset)\n");
    std::printf("build: %s, C++%ld, %s\n",
#if defined(__clang__)
                "clang " __clang_version__,
#elif defined(__GNUC__)
                "gcc " __VERSION__,
#else
                "unknown compiler",
#endif
                static_cast<long>(__cplusplus / 100 % 100),
#if defined(__OPTIMIZE__)
                "optimized"
#else
                "debug"
#endif
    );
    return 0;
}

}  // namespace hepd::cmd
