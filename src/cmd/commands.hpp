// SPDX-License-Identifier: GPL-2.0-or-later
// The subcommands of the hepd binary. Each takes the arguments after its own name and returns the
// process exit status documented in the README (and ../shared/design/CLI.md).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace hepd {
struct ControlRequest;
}

namespace hepd::cmd {

using Args = std::span<char* const>;

int cmd_run(Args args);
int cmd_status(Args args);
int cmd_check(Args args);
int cmd_print(Args args);
int cmd_selector(Args args);
int cmd_reload(Args args);
int cmd_apply(Args args);
int cmd_confirm(Args args);
int cmd_rollback(Args args);
int cmd_teardown(Args args);
int cmd_version(Args args);

// For the commands that talk to the running daemon (src/cmd/daemon_call.cpp): sends `req` to
// the control socket of the configuration, prints the reply (the body on stdout when OK, the
// message and body on stderr otherwise) and returns the exit status the daemon chose ("#exit N");
// 2 when no daemon answers.
int call_daemon(const char* command, const std::string& socket, const ControlRequest& req, int timeout_ms);

// Parses `-c FILE` / `--config FILE` at args[i]; true when it was one (i then points at FILE).
bool config_arg(Args args, size_t& i, const char*& config_flag);

}  // namespace hepd::cmd
