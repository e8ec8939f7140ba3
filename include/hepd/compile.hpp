// SPDX-License-Identifier: GPL-2.0-or-later
// compile: (model, Felix parameters, this node, its interfaces) -> the netfilter state Calico
// Felix would program for those host endpoints (SEMANTICS.md sections 2-4), with `hepd-` names.
//
// Pure and deterministic: the same input gives the same Ruleset, byte for byte once rendered.
// It cannot fail: the model was validated when it was loaded.
#pragma once

#include <string>
#include <vector>

#include "hepd/config.hpp"
#include "hepd/model.hpp"
#include "hepd/net.hpp"
#include "hepd/ruleset.hpp"

namespace hepd {

// One network interface of this host, as netlink (or `hepd print --link`) describes it.
struct Link {
    std::string name;
    std::vector<IpAddr> addrs;
    bool operator==(const Link&) const = default;
};

struct CompileInput {
    const Model& model;
    const FelixParams& felix;
    std::string node;          // HostEndpoints with spec.node == node are programmed
    bool ipv6 = true;          // program ip6tables too
    std::vector<Link> links;   // this host's interfaces
};

// Which endpoint governs an interface, and what applies to it (for `hepd status`).
struct Binding {
    std::string iface;          // "*" for the all-interfaces endpoint
    std::string endpoint;       // HostEndpoint name
    std::vector<std::string> ingress_policies;  // in evaluation order, all kinds
    std::vector<std::string> egress_policies;
    std::vector<std::string> profiles;
    bool operator==(const Binding&) const = default;
};

struct Compiled {
    nf::Ruleset rules;
    std::vector<Binding> bindings;  // sorted by interface, "*" last
};

// The mark bits Felix takes from IptablesMarkMask, lowest first (SEMANTICS 2.1).
struct MarkBits {
    uint32_t accept = 0;
    uint32_t pass = 0;
    uint32_t drop = 0;
    uint32_t scratch0 = 0;
    uint32_t scratch1 = 0;
    uint32_t all = 0;  // accept | pass | scratch0 | scratch1: what the static chains clear
};
MarkBits mark_bits(uint32_t mask);

Compiled compile(const CompileInput& in);

}  // namespace hepd
