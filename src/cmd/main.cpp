// SPDX-License-Identifier: GPL-2.0-or-later
// hepd: the host endpoint protection daemon. One binary; the first argument picks the subcommand.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.hpp"

namespace {

using hepd::cmd::Args;

struct Command {
    const char* name;
    int (*fn)(Args);
    const char* usage;    // after "hepd NAME"
    const char* summary;  // one line
};

// The table is the whole CLI surface; `hepd --help` prints it in this order.
constexpr Command commands[] = {
    {"run", hepd::cmd::cmd_run, "[-c FILE] [--stderr] [--once]",
     "run in the foreground (supervisor + worker), as procd and systemd expect"},
    {"status", hepd::cmd::cmd_status, "[-c FILE] [--json]",
     "summary of the running daemon (exit 0 enforcing, 1 degraded, 2 not running, 3 pending)"},
    {"check", hepd::cmd::cmd_check, "[-c FILE] [PATH...]",
     "validate configuration and resources offline; every problem as FILE:LINE:COL"},
    {"print", hepd::cmd::cmd_print,
     "[-c FILE] [--only ipset|ipv4|ipv6] [--link IFACE[=IP,...]]... [PATH...]",
     "render the ipset and iptables-save text hepd would program, touching nothing"},
    {"selector", hepd::cmd::cmd_selector, "EXPR [KEY=VALUE...]",
     "evaluate a Calico selector against labels: match (exit 0) or no match (exit 1)"},
    {"reload", hepd::cmd::cmd_reload, "[-c FILE]", "ask the running daemon to reload now"},
    {"apply", hepd::cmd::cmd_apply, "[-c FILE] [--confirm-timeout SECS | --no-confirm]",
     "reload with a deadline; without `hepd confirm` in time the last confirmed rules return"},
    {"confirm", hepd::cmd::cmd_confirm, "[-c FILE]",
     "keep the pending apply (exit 1 nothing pending, 3 kept but not saved to flash)"},
    {"rollback", hepd::cmd::cmd_rollback, "[-c FILE]", "undo the pending apply now (exit 1 nothing pending)"},
    {"teardown", hepd::cmd::cmd_teardown, "[-c FILE]",
     "remove every hepd chain, jump and set, and nothing else; a running daemon stands down"},
    {"version", hepd::cmd::cmd_version, "", "version, backend and build flags"},
};

void print_help(FILE* out) {
    std::fprintf(out,
                 "usage: hepd COMMAND [ARGS...]\n\n"
                 "Calico host endpoint protection for routers and edge hosts: HostEndpoint and\n"
                 "GlobalNetworkPolicy YAML, evaluated locally, programmed through libiptc.\n\n"
                 "commands:\n");
    for (const auto& c : commands) {
        std::fprintf(out, "  hepd %s%s%s\n      %s\n", c.name, *c.usage ? " " : "", c.usage, c.summary);
    }
    std::fprintf(out,
                 "\nThe configuration file is -c FILE, else $HEPD_CONFIG, else /etc/hepd/hepd.conf.\n"
                 "`hepd COMMAND --help` describes one command.\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_help(stdout);
        return 0;
    }
    if (name == "--version" || name == "-V") name = "version";
    for (const auto& c : commands) {
        if (name != c.name) continue;
        Args args(argv + 2, static_cast<size_t>(argc - 2));
        if (!args.empty() && (std::strcmp(args[0], "--help") == 0 || std::strcmp(args[0], "-h") == 0)) {
            std::printf("usage: hepd %s%s%s\n  %s\n", c.name, *c.usage ? " " : "", c.usage, c.summary);
            return 0;
        }
        return c.fn(args);
    }
    std::fprintf(stderr, "hepd: unknown command '%.*s' (see hepd --help)\n",
                 static_cast<int>(name.size()), name.data());
    return 2;
}
