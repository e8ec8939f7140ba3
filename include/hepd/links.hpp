// SPDX-License-Identifier: GPL-2.0-or-later
// This host's interfaces and their addresses, read once (for `hepd print` without --link and for
// `hepd check`). The daemon follows changes through netlink instead.
#pragma once

#include <string_view>
#include <vector>

#include "hepd/compile.hpp"
#include "hepd/result.hpp"

namespace hepd {

// Every interface (also those without addresses), sorted by name, with its IPv4 and IPv6
// addresses.
Result<std::vector<Link>> read_links();

// Parses one `--link IFACE[=IP,IP...]` argument; returns an error message or fills `out`.
std::optional<std::string> parse_link_arg(std::string_view arg, Link& out);

}  // namespace hepd
