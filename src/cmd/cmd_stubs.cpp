// SPDX-License-Identifier: GPL-2.0-or-later
// Commands whose implementation has not landed yet. They say so and exit 2; they never pretend.
#include <cstdio>

#include "commands.hpp"

namespace hepd::cmd {

int not_built(std::string_view name, std::string_view arrives_with) {
    std::fprintf(stderr, "hepd: '%.*s' is not available in this build yet (arrives with: %.*s)\n",
                 static_cast<int>(name.size()), name.data(), static_cast<int>(arrives_with.size()),
                 arrives_with.data());
    return 2;
}

int cmd_apply(Args) { return not_built("apply", "commit-confirm"); }
int cmd_confirm(Args) { return not_built("confirm", "commit-confirm"); }
int cmd_rollback(Args) { return not_built("rollback", "commit-confirm"); }

}  // namespace hepd::cmd
