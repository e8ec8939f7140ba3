// SPDX-License-Identifier: GPL-2.0-or-later
// The validated model: Calico v3 resources as hepd holds them after loading.
//
// Every value here was built by a parser that checked it (resources.cpp), so the compiler can
// trust it and cannot fail on user input. Each resource and each rule keeps the Location it came
// from, for error messages and `hepd status`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hepd/diag.hpp"
#include "hepd/labels.hpp"
#include "hepd/net.hpp"
#include "hepd/yaml.hpp"

namespace hepd {

// Documented input limits (README "Limits"). Beyond them: a clear error, never unbounded memory.
struct ModelLimits {
    static constexpr size_t max_file_bytes = 1 << 20;    // one resource file
    static constexpr size_t max_resources = 10000;       // all resources of all files together
    static constexpr size_t max_selector = 1024;         // characters in one selector
    static constexpr size_t max_rules = 1024;            // rules per direction per policy/profile
    static constexpr size_t max_nets = 256;              // entries in one nets/notNets list
    static constexpr size_t max_ports = 50;              // entries in one ports/notPorts list
    static constexpr size_t max_gns_nets = 65536;        // nets of one GlobalNetworkSet (hash:net maxelem)
    static constexpr size_t max_annotations = 256 * 1024;  // bytes of annotations per resource
};

enum class Action : uint8_t { allow, deny, log, pass };
enum class Direction : uint8_t { ingress, egress };

// An IP protocol, by number. `by_name` remembers whether the YAML used a name: `ICMP` implies
// IPv4 and `ICMPv6` implies IPv6, while the numbers 1 and 58 imply nothing (SEMANTICS 2.9).
struct Protocol {
    uint8_t number = 0;
    bool by_name = false;

    bool supports_ports() const { return number == 6 || number == 17 || number == 132; }
    bool is_icmp() const { return number == 1; }
    bool is_icmpv6() const { return number == 58; }
    // The Calico v3 spelling ("TCP", "ICMPv6") for named protocols, the number otherwise.
    std::string format() const;
    bool operator==(const Protocol&) const = default;
};

// A port entry: a single port (first == last), a range, or a named port (name non-empty).
struct PortSpec {
    uint16_t first = 0;
    uint16_t last = 0;
    std::string name;

    bool is_named() const { return !name.empty(); }
    std::string format() const;  // "22", "8000:8080", "http"
    bool operator==(const PortSpec&) const = default;
};

struct IcmpMatch {
    std::optional<uint8_t> type;
    std::optional<uint8_t> code;
    bool operator==(const IcmpMatch&) const = default;
};

struct EntityRule {
    std::vector<Cidr> nets;       // masked
    std::vector<Cidr> not_nets;   // masked
    std::string selector;         // validated selector text ("" = none)
    std::string not_selector;
    std::vector<PortSpec> ports;
    std::vector<PortSpec> not_ports;

    bool operator==(const EntityRule&) const = default;
};

struct Rule {
    Action action = Action::allow;
    uint8_t ip_version = 0;  // 0 = both, 4 or 6
    std::optional<Protocol> protocol;
    std::optional<Protocol> not_protocol;
    std::optional<IcmpMatch> icmp;
    std::optional<IcmpMatch> not_icmp;
    EntityRule source;
    EntityRule destination;
    Location where;  // the rule's mapping in its file

    bool operator==(const Rule&) const = default;
};

struct EndpointPort {
    std::string name;
    Protocol protocol;
    uint16_t port = 0;
    bool operator==(const EndpointPort&) const = default;
};

struct HostEndpoint {
    std::string name;
    Labels labels;
    std::string node;
    std::string interface_name;      // "" = match by expectedIPs; "*" = every interface
    std::vector<IpAddr> expected_ips;
    std::vector<std::string> profiles;
    std::vector<EndpointPort> ports;
    Location where;
};

struct GlobalNetworkPolicy {
    std::string name;
    Labels labels;
    std::string tier = "default";
    std::optional<double> order;  // nil sorts last
    std::string selector;         // "" = all()
    std::string namespace_selector;
    bool ingress_type = false;    // types, after Calico's defaulting
    bool egress_type = false;
    std::vector<Rule> ingress;
    std::vector<Rule> egress;
    bool do_not_track = false;
    bool pre_dnat = false;
    bool apply_on_forward = false;
    Location where;

    // The selector the policy is really evaluated with: `selector`, ANDed with the namespace
    // selector over `pcns.`-prefixed labels when one is set (SEMANTICS 1.3).
    std::string effective_selector() const;
};

struct GlobalNetworkSet {
    std::string name;
    Labels labels;
    std::vector<Cidr> nets;  // masked, as Calico converts them
    Location where;
};

struct Profile {
    std::string name;
    Labels labels;
    Labels labels_to_apply;
    std::vector<Rule> ingress;
    std::vector<Rule> egress;
    bool builtin = false;
    Location where;
};

// A FelixConfiguration resource: its spec is interpreted by config.cpp (resolve_felix_params),
// which needs the tree with positions, so the loader keeps the spec node as it was read.
struct FelixConfigResource {
    std::string name;
    yaml::Node spec;
    Location where;
};

struct Model {
    std::vector<HostEndpoint> host_endpoints;      // sorted by name after finish_model
    std::vector<GlobalNetworkPolicy> policies;     // in evaluation order after finish_model
    std::vector<GlobalNetworkSet> network_sets;    // sorted by name
    std::vector<Profile> profiles;                 // sorted by name, built-in included
    std::vector<FelixConfigResource> felix_configs;

    const Profile* find_profile(std::string_view name) const;
    size_t resource_count() const;
};

// The name of the profile Calico ships and kube-controllers attaches to auto-created host
// endpoints: one Allow rule in each direction.
inline constexpr const char* default_allow_profile = "projectcalico-default-allow";

// Loads every Calico v3 document of one YAML file into `model`. Problems go to diags with the
// file, line and column; a document with errors adds nothing to the model.
void load_resources(std::string_view text, std::string_view file, Model& model, Diagnostics& diags);

// Loads one resource document that was already parsed (or synthesized from UCI, with positions
// of the UCI file). `prefix` starts every message, e.g. "uci:@rule[3]: ".
void load_resource_node(const yaml::Node& obj, std::string_view file, std::string_view prefix, Model& model,
                        Diagnostics& diags);

// After every file is loaded: duplicate names, the built-in profile, Calico's policy order
// (tier, order with nil last, then "NAME//GlobalNetworkPolicy"), limits across files.
void finish_model(Model& model, Diagnostics& diags);

// Calico's ordering of two policies of the same tier (SEMANTICS 3): true when a runs before b.
bool policy_less(const GlobalNetworkPolicy& a, const GlobalNetworkPolicy& b);

// Labels an endpoint is matched with: its own, plus labelsToApply of its profiles (own label
// wins; among profiles the first listed wins).
Labels effective_labels(const HostEndpoint& hep, const Model& model);

std::string_view action_name(Action a);  // "Allow", "Deny", "Log", "Pass"

// For "did you mean": the candidate with the same letters in another case, else the only one that
// `word` abbreviates ("proto" for "protocol"), else the closest within two edits (one for words of
// up to four letters), a swap of neighbours counting as one edit. Nullopt when none is close.
std::optional<std::string_view> closest_name(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace hepd
