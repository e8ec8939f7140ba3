// SPDX-License-Identifier: GPL-2.0-or-later
// The resource sections of /etc/config/hepd (host_endpoint, policy, rule, net_set) -> the model.
// See uci_resources.cpp for the option names and how they map to Calico fields.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "hepd/diag.hpp"
#include "hepd/model.hpp"
#include "hepd/uci.hpp"

namespace hepd {

struct UciResourceContext {
    std::string node;                            // this node: UCI endpoints belong to it
    std::map<std::string, std::string> networks; // OpenWrt logical network -> device (init script)
    std::string_view text = {};                  // the UCI file itself, when known: lets messages
                                                 // about a quoted selector point at its characters
};

void load_uci_resources(const uci::File& file, std::string_view path, const UciResourceContext& rc, Model& model,
                        Diagnostics& diags);

}  // namespace hepd
