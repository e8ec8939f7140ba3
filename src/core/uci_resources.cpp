// SPDX-License-Identifier: GPL-2.0-or-later
// UCI sections -> Calico resources.
//
// OpenWrt operators write `config host_endpoint`, `config policy`, `config rule` and
// `config net_set` sections (OPENWRT.md). Rather than validating them a second time, each section is
// turned into the Calico v3 document it stands for, with every node carrying the line of the UCI
// option it came from, and that document goes through the same loader as YAML files
// (load_resource_node). Messages start with the section's reference ("uci:@rule[3]: ") and point at
// the UCI file's line.
//
// UCI spellings are forgiving in the way fw3 users expect: actions and protocols in any case,
// port ranges as "1024-65535" or "1024:65535", several ports or nets in one option separated by
// spaces. Rule order is section order; a rule names its policy with `option policy`.
#include <algorithm>
#include <map>

#include "hepd/model.hpp"
#include "hepd/uci.hpp"
#include "hepd/uci_resources.hpp"

namespace hepd {

namespace {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

Node scalar(std::string value, uint32_t line, uint32_t col) {
    Node n;
    n.kind = NodeKind::scalar;
    n.value = std::move(value);
    n.line = line;
    n.col = col;
    return n;
}

Node mapping(uint32_t line, uint32_t col) {
    Node n;
    n.kind = NodeKind::mapping;
    n.line = line;
    n.col = col;
    return n;
}

Node sequence(uint32_t line, uint32_t col) {
    Node n;
    n.kind = NodeKind::sequence;
    n.line = line;
    n.col = col;
    return n;
}

Node& put(Node& map, std::string key, Node value) {
    Node k = scalar(std::move(key), value.line, value.col);
    map.entries.push_back(MapEntry{std::move(k), std::move(value)});
    return map.entries.back().value;
}

Node& child_map(Node& map, const std::string& key, uint32_t line, uint32_t col) {
    for (auto& e : map.entries)
        if (e.key.value == key) return e.value;
    return put(map, key, mapping(line, col));
}

std::vector<std::string> split_words(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
        size_t i = 0;
        while (i < v.size()) {
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            size_t j = i;
            while (j < v.size() && v[j] != ' ' && v[j] != '\t') ++j;
            if (j > i) out.push_back(v.substr(i, j - i));
            i = j;
        }
    }
    return out;
}

std::string lower(std::string s) {
    for (auto& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

std::optional<bool> uci_bool(const std::string& v) {
    const std::string l = lower(v);
    if (l == "1" || l == "true" || l == "yes" || l == "on" || l == "enabled") return true;
    if (l == "0" || l == "false" || l == "no" || l == "off" || l == "disabled") return false;
    return std::nullopt;
}

struct SectionCtx {
    const uci::Section& s;
    std::string_view file;
    Diagnostics& diags;
    std::string prefix;

    Location loc(uint32_t line, uint32_t col) const { return Location{std::string(file), line, col}; }
    void error(const uci::Option& o, const std::string& msg) { diags.error(loc(o.line, o.col), prefix + msg); }
    void error_section(const std::string& msg) { diags.error(loc(s.line, 1), prefix + msg); }
};

// Options allowed per section type; anything else is an error naming the allowed ones.
bool check_options(SectionCtx& c, std::initializer_list<std::string_view> allowed) {
    bool ok = true;
    for (const auto& o : c.s.options) {
        bool known = false;
        for (auto a : allowed) known = known || a == o.name;
        if (known) continue;
        std::string list;
        for (auto a : allowed) {
            if (!list.empty()) list += ", ";
            list += a;
        }
        c.error(o, "unknown option '" + o.name + "' in a " + c.s.type + " section (known: " + list + ")");
        ok = false;
    }
    return ok;
}

const uci::Option* opt(const uci::Section& s, std::string_view name) {
    for (const auto& o : s.options)
        if (o.name == name) return &o;
    return nullptr;
}

// The Calico name of a section: `option name`, else the section's own name with '_' as '-'.
std::optional<std::string> resource_name(SectionCtx& c) {
    if (const auto* o = opt(c.s, "name")) return o->values.empty() ? std::string() : o->values.front();
    if (c.s.name.empty()) {
        c.error_section("an anonymous " + c.s.type + " section needs `option name`");
        return std::nullopt;
    }
    std::string n = c.s.name;
    for (auto& ch : n)
        if (ch == '_') ch = '-';
    return n;
}

bool enabled(SectionCtx& c) {
    const auto* o = opt(c.s, "enabled");
    if (!o || o->values.empty()) return true;
    auto b = uci_bool(o->values.front());
    if (!b) {
        c.error(*o, "enabled must be 0 or 1, not '" + o->values.front() + "'");
        return false;
    }
    return *b;
}

Node doc_header(const std::string& kind, const std::string& name, uint32_t line) {
    Node d = mapping(line, 1);
    put(d, "apiVersion", scalar("projectcalico.org/v3", line, 1));
    put(d, "kind", scalar(kind, line, 1));
    Node& meta = put(d, "metadata", mapping(line, 1));
    put(meta, "name", scalar(name, line, 1));
    return d;
}

// Adds `list label 'k=v'` options to metadata.labels (or another mapping).
bool put_labels(SectionCtx& c, const uci::Option& o, Node& labels) {
    bool ok = true;
    for (const auto& v : o.values) {
        size_t eq = v.find('=');
        if (eq == std::string::npos) {
            c.error(o, "label '" + v + "' must be KEY=VALUE");
            ok = false;
            continue;
        }
        put(labels, v.substr(0, eq), scalar(v.substr(eq + 1), o.line, o.col));
    }
    return ok;
}

void put_list(const uci::Option& o, Node& map, const std::string& key, bool split) {
    Node seq = sequence(o.line, o.col);
    for (const auto& w : split ? split_words(o.values) : o.values) seq.items.push_back(scalar(w, o.line, o.col));
    put(map, key, std::move(seq));
}

// ---- host_endpoint ---------------------------------------------------------------------------

void map_host_endpoint(SectionCtx& c, const UciResourceContext& rc, Model& model) {
    if (!check_options(c, {"name", "enabled", "interface", "network", "expected_ip", "label", "profile", "node", "port"}))
        return;
    if (!enabled(c)) return;
    auto name = resource_name(c);
    if (!name) return;
    Node d = doc_header("HostEndpoint", *name, c.s.line);
    Node& meta = child_map(d, "metadata", c.s.line, 1);
    Node spec = mapping(c.s.line, 1);
    bool ok = true;
    const auto* iface = opt(c.s, "interface");
    const auto* network = opt(c.s, "network");
    if (iface && network) {
        c.error(*network, "use either interface or network, not both");
        return;
    }
    put(spec, "node", scalar(rc.node, c.s.line, 1));
    if (iface && !iface->values.empty()) put(spec, "interfaceName", scalar(iface->values.front(), iface->line, iface->col));
    if (network && !network->values.empty()) {
        const std::string& net = network->values.front();
        auto it = rc.networks.find(net);
        if (it == rc.networks.end()) {
            // The init script resolves logical networks to devices; an unresolved one is an
            // interface that does not exist right now, which programs nothing (as in Calico).
            c.diags.warning(c.loc(network->line, network->col),
                            c.prefix + "network '" + net + "' is not resolved to a device now; the endpoint is "
                                       "inactive until it is");
            return;
        }
        put(spec, "interfaceName", scalar(it->second, network->line, network->col));
    }
    for (const auto& o : c.s.options) {
        if (o.name == "expected_ip") put_list(o, spec, "expectedIPs", true);
        if (o.name == "profile") put_list(o, spec, "profiles", true);
        if (o.name == "node") {
            // An explicit node other than this one is an endpoint of another box: it still feeds
            // rule selectors through its expectedIPs.
            for (auto& e : spec.entries)
                if (e.key.value == "node") e.value = scalar(o.values.empty() ? "" : o.values.front(), o.line, o.col);
        }
        if (o.name == "label") ok = put_labels(c, o, child_map(meta, "labels", o.line, o.col)) && ok;
        if (o.name == "port") {
            // `list port 'NAME:PROTO:PORT'`, e.g. 'http:tcp:8080'.
            Node seq = sequence(o.line, o.col);
            for (const auto& w : split_words(o.values)) {
                size_t a = w.find(':'), b = a == std::string::npos ? a : w.find(':', a + 1);
                if (b == std::string::npos) {
                    c.error(o, "port '" + w + "' must be NAME:PROTOCOL:PORT, e.g. http:tcp:8080");
                    ok = false;
                    continue;
                }
                Node p = mapping(o.line, o.col);
                put(p, "name", scalar(w.substr(0, a), o.line, o.col));
                std::string proto = w.substr(a + 1, b - a - 1);
                const std::string l = lower(proto);
                if (l == "tcp" || l == "udp" || l == "sctp") proto = l == "tcp" ? "TCP" : l == "udp" ? "UDP" : "SCTP";
                put(p, "protocol", scalar(proto, o.line, o.col));
                put(p, "port", scalar(w.substr(b + 1), o.line, o.col));
                seq.items.push_back(std::move(p));
            }
            put(spec, "ports", std::move(seq));
        }
    }
    if (!ok) return;
    put(d, "spec", std::move(spec));
    load_resource_node(d, c.file, c.prefix, model, c.diags);
}

// ---- net_set ---------------------------------------------------------------------------------

void map_net_set(SectionCtx& c, Model& model) {
    if (!check_options(c, {"name", "enabled", "label", "net"})) return;
    if (!enabled(c)) return;
    auto name = resource_name(c);
    if (!name) return;
    Node d = doc_header("GlobalNetworkSet", *name, c.s.line);
    Node& meta = child_map(d, "metadata", c.s.line, 1);
    Node spec = mapping(c.s.line, 1);
    bool ok = true;
    for (const auto& o : c.s.options) {
        if (o.name == "label") ok = put_labels(c, o, child_map(meta, "labels", o.line, o.col)) && ok;
        if (o.name == "net") put_list(o, spec, "nets", true);
    }
    if (!ok) return;
    put(d, "spec", std::move(spec));
    load_resource_node(d, c.file, c.prefix, model, c.diags);
}

// ---- policy and rule -------------------------------------------------------------------------

struct PendingPolicy {
    Node doc;
    std::string prefix;
    bool enabled = true;
    bool has_ingress = false;
    bool has_egress = false;
};

constexpr std::pair<std::string_view, std::string_view> uci_protocols[] = {
    {"tcp", "TCP"}, {"udp", "UDP"}, {"icmp", "ICMP"}, {"icmpv6", "ICMPv6"}, {"ipv6-icmp", "ICMPv6"},
    {"sctp", "SCTP"}, {"udplite", "UDPLite"},
};

std::string calico_protocol(const std::string& v) {
    const std::string l = lower(v);
    for (const auto& [u, calico] : uci_protocols)
        if (l == u) return std::string(calico);
    return v;  // numbers and anything else: the validator decides
}

std::string calico_action(const std::string& v) {
    const std::string l = lower(v);
    if (l == "allow" || l == "accept") return "Allow";
    if (l == "deny" || l == "drop" || l == "reject") return "Deny";
    if (l == "log") return "Log";
    if (l == "pass") return "Pass";
    return v;
}

// fw3 writes port ranges with '-'; Calico with ':'.
std::string calico_port(const std::string& v) {
    size_t dash = v.find('-');
    if (dash != std::string::npos && dash > 0 && dash + 1 < v.size() &&
        std::all_of(v.begin(), v.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '-'; }))
        return v.substr(0, dash) + ":" + v.substr(dash + 1);
    return v;
}

void map_policy(SectionCtx& c, std::map<std::string, PendingPolicy>& policies) {
    if (!check_options(c, {"name", "enabled", "order", "selector", "types", "apply_on_forward", "pre_dnat",
                           "do_not_track", "namespace_selector"}))
        return;
    auto name = resource_name(c);
    if (!name) return;
    if (policies.count(*name)) {
        c.error_section("policy '" + *name + "' is defined twice");
        return;
    }
    PendingPolicy p;
    p.enabled = enabled(c);
    p.prefix = c.prefix;
    p.doc = doc_header("GlobalNetworkPolicy", *name, c.s.line);
    Node spec = mapping(c.s.line, 1);
    for (const auto& o : c.s.options) {
        const std::string v = o.values.empty() ? std::string() : o.values.front();
        if (o.name == "order") put(spec, "order", scalar(v, o.line, o.col));
        if (o.name == "selector") put(spec, "selector", scalar(v, o.line, o.col));
        if (o.name == "namespace_selector") put(spec, "namespaceSelector", scalar(v, o.line, o.col));
        if (o.name == "types") {
            Node seq = sequence(o.line, o.col);
            for (const auto& w : split_words(o.values)) {
                const std::string l = lower(w);
                seq.items.push_back(scalar(l == "ingress" ? "Ingress" : l == "egress" ? "Egress" : w, o.line, o.col));
            }
            put(spec, "types", std::move(seq));
        }
        static constexpr std::pair<std::string_view, std::string_view> flags[] = {
            {"apply_on_forward", "applyOnForward"}, {"pre_dnat", "preDNAT"}, {"do_not_track", "doNotTrack"}};
        for (const auto& [u, calico] : flags) {
            if (o.name != u) continue;
            auto b = uci_bool(v);
            if (!b) {
                c.error(o, std::string(u) + " must be 0 or 1, not '" + v + "'");
                p.enabled = false;
                continue;
            }
            put(spec, std::string(calico), scalar(*b ? "true" : "false", o.line, o.col));
        }
    }
    put(p.doc, "spec", std::move(spec));
    policies.emplace(*name, std::move(p));
}

void map_rule(SectionCtx& c, std::map<std::string, PendingPolicy>& policies) {
    if (!check_options(c, {"name", "enabled", "policy", "direction", "action", "ip_version", "proto", "not_proto",
                           "src_net", "dst_net", "not_src_net", "not_dst_net", "src_selector", "dst_selector",
                           "not_src_selector", "not_dst_selector", "src_port", "dst_port", "not_src_port",
                           "not_dst_port", "icmp_type", "icmp_code", "not_icmp_type", "not_icmp_code", "comment"}))
        return;
    if (!enabled(c)) return;
    const auto* pol = opt(c.s, "policy");
    if (!pol || pol->values.empty()) {
        c.error_section("a rule needs `option policy` naming its policy section");
        return;
    }
    auto it = policies.find(pol->values.front());
    if (it == policies.end()) {
        c.error(*pol, "rule refers to policy '" + pol->values.front() + "', which no earlier policy section defines");
        return;
    }
    PendingPolicy& p = it->second;
    const auto* dir = opt(c.s, "direction");
    std::string d = dir && !dir->values.empty() ? lower(dir->values.front()) : "";
    if (d == "in") d = "ingress";
    if (d == "out") d = "egress";
    if (d != "ingress" && d != "egress") {
        if (dir)
            c.error(*dir, "direction must be ingress or egress, not '" + dir->values.front() + "'");
        else
            c.error_section("a rule needs `option direction` (ingress or egress)");
        p.enabled = false;
        return;
    }
    Node rule = mapping(c.s.line, 1);
    for (const auto& o : c.s.options) {
        const std::string v = o.values.empty() ? std::string() : o.values.front();
        auto side = [&](const char* which) -> Node& {
            return child_map(rule, which, o.line, o.col);
        };
        const std::string& n = o.name;
        if (n == "action") put(rule, "action", scalar(calico_action(v), o.line, o.col));
        else if (n == "ip_version") put(rule, "ipVersion", scalar(v, o.line, o.col));
        else if (n == "proto") put(rule, "protocol", scalar(calico_protocol(v), o.line, o.col));
        else if (n == "not_proto") put(rule, "notProtocol", scalar(calico_protocol(v), o.line, o.col));
        else if (n == "src_net") put_list(o, side("source"), "nets", true);
        else if (n == "dst_net") put_list(o, side("destination"), "nets", true);
        else if (n == "not_src_net") put_list(o, side("source"), "notNets", true);
        else if (n == "not_dst_net") put_list(o, side("destination"), "notNets", true);
        else if (n == "src_selector") put(side("source"), "selector", scalar(v, o.line, o.col));
        else if (n == "dst_selector") put(side("destination"), "selector", scalar(v, o.line, o.col));
        else if (n == "not_src_selector") put(side("source"), "notSelector", scalar(v, o.line, o.col));
        else if (n == "not_dst_selector") put(side("destination"), "notSelector", scalar(v, o.line, o.col));
        else if (n == "src_port" || n == "dst_port" || n == "not_src_port" || n == "not_dst_port") {
            Node seq = sequence(o.line, o.col);
            for (const auto& w : split_words(o.values)) seq.items.push_back(scalar(calico_port(w), o.line, o.col));
            const bool src = n.find("src") != std::string::npos;
            put(side(src ? "source" : "destination"), n.starts_with("not_") ? "notPorts" : "ports", std::move(seq));
        } else if (n == "icmp_type" || n == "icmp_code") {
            put(child_map(rule, "icmp", o.line, o.col), n == "icmp_type" ? "type" : "code", scalar(v, o.line, o.col));
        } else if (n == "not_icmp_type" || n == "not_icmp_code") {
            put(child_map(rule, "notICMP", o.line, o.col), n == "not_icmp_type" ? "type" : "code",
                scalar(v, o.line, o.col));
        }
    }
    // The rule's own reference goes into the policy document so that messages about it name
    // this section: nodes carry this section's lines.
    Node& spec = child_map(p.doc, "spec", c.s.line, 1);
    Node& list = child_map(spec, d, c.s.line, 1);
    list.kind = NodeKind::sequence;
    list.items.push_back(std::move(rule));
    (d == "ingress" ? p.has_ingress : p.has_egress) = true;
}

}  // namespace

void load_uci_resources(const uci::File& file, std::string_view path, const UciResourceContext& rc, Model& model,
                        Diagnostics& diags) {
    std::map<std::string, PendingPolicy> policies;
    std::vector<std::string> policy_order;
    for (const auto& s : file.sections) {
        SectionCtx c{s, path, diags, s.ref() + ": "};
        if (s.type == "hepd") continue;  // the daemon's own settings: config.cpp
        if (s.type == "host_endpoint") {
            map_host_endpoint(c, rc, model);
        } else if (s.type == "net_set") {
            map_net_set(c, model);
        } else if (s.type == "policy") {
            size_t before = policies.size();
            map_policy(c, policies);
            if (policies.size() != before) {
                auto n = resource_name(c);
                if (n) policy_order.push_back(*n);
            }
        } else if (s.type == "rule") {
            map_rule(c, policies);
        } else {
            diags.error(Location{std::string(path), s.line, 1},
                        s.ref() + ": unknown section type '" + s.type +
                            "' (known: hepd, host_endpoint, policy, rule, net_set)");
        }
    }
    for (const auto& name : policy_order) {
        PendingPolicy& p = policies.at(name);
        if (!p.enabled) continue;
        load_resource_node(p.doc, path, p.prefix, model, diags);
    }
}

}  // namespace hepd
