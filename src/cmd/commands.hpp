// SPDX-License-Identifier: GPL-2.0-or-later
// The subcommands of the hepd binary. Each takes the arguments after its own name and returns the
// process exit status documented in the README (and ../shared/design/CLI.md).
#pragma once

#include <span>
#include <string_view>

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

// Prints "hepd: 'NAME' is not available in this build yet (arrives with: WHAT)" and returns 2.
int not_built(std::string_view name, std::string_view arrives_with);

}  // namespace hepd::cmd
