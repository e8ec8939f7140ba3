// SPDX-License-Identifier: GPL-2.0-or-later
// UCI host_endpoint/policy/rule/net_set sections -> the model (uci_resources.cpp): each row is a
// UCI text and the model fields or the exact diagnostics it must produce.
#include <gtest/gtest.h>

#include <string>

#include "hepd/model.hpp"
#include "hepd/uci.hpp"
#include "hepd/uci_resources.hpp"

namespace hepd {
namespace {

struct Loaded {
    Model model;
    Diagnostics diags;
};

Loaded load(const std::string& text, UciResourceContext rc = {"router1", {}, {}}) {
    Loaded l;
    rc.text = text;
    uci::File f = uci::parse_uci(text, "hepd.uci", l.diags);
    load_uci_resources(f, "hepd.uci", rc, l.model, l.diags);
    finish_model(l.model, l.diags);
    l.diags.sort();
    return l;
}

// "LINE:COL: severity: message" per diagnostic.
std::string render(const Diagnostics& d) {
    std::string out;
    for (const auto& item : d.items())
        out += std::to_string(item.where.line) + ":" + std::to_string(item.where.col) + ": " +
               std::string(severity_name(item.severity)) + ": " + item.message + "\n";
    return out;
}

std::string render(const Rule& r) {
    std::string out(action_name(r.action));
    if (r.ip_version) out += " v" + std::to_string(r.ip_version);
    if (r.protocol) out += " proto=" + r.protocol->format();
    if (r.not_protocol) out += " !proto=" + r.not_protocol->format();
    if (r.icmp) out += " icmp=" + (r.icmp->type ? std::to_string(*r.icmp->type) : "-") + "/" +
                       (r.icmp->code ? std::to_string(*r.icmp->code) : "-");
    auto side = [&](const char* what, const EntityRule& e) {
        for (const auto& c : e.nets) out += std::string(" ") + what + ".net=" + c.to_string();
        for (const auto& c : e.not_nets) out += std::string(" ") + what + ".!net=" + c.to_string();
        for (const auto& p : e.ports) out += std::string(" ") + what + ".port=" + p.format();
        for (const auto& p : e.not_ports) out += std::string(" ") + what + ".!port=" + p.format();
        if (!e.selector.empty()) out += std::string(" ") + what + ".sel=" + e.selector;
        if (!e.not_selector.empty()) out += std::string(" ") + what + ".!sel=" + e.not_selector;
    };
    side("src", r.source);
    side("dst", r.destination);
    return out;
}

std::string rules(const std::vector<Rule>& v) {
    std::string out;
    for (const auto& r : v) out += (out.empty() ? "" : " | ") + render(r);
    return out;
}

const std::string ssh_policy = "config policy 'ssh'\n\toption selector \"role == 'wan'\"\n\n";

// ---- rules -----------------------------------------------------------------------------------

TEST(UciResources, RuleOptions) {
    struct Case {
        std::string options;  // of one `config rule` with policy ssh, direction in
        std::string want;
    };
    const Case cases[] = {
        {"\toption action 'allow'\n", "Allow"},
        {"\toption action 'ACCEPT'\n", "Allow"},
        {"\toption action 'drop'\n", "Deny"},
        {"\toption action 'reject'\n", "Deny"},
        {"\toption action 'Log'\n", "Log"},
        {"\toption action 'pass'\n", "Pass"},
        {"\toption action 'allow'\n\toption proto 'tcp'\n\toption dst_port '22'\n", "Allow proto=TCP dst.port=22"},
        {"\toption action 'allow'\n\toption proto 'UDP'\n\toption src_port '67 68'\n", "Allow proto=UDP src.port=67 src.port=68"},
        // fw3-style ranges with '-', Calico's ':' too; several ports in one option or a list.
        {"\toption action 'allow'\n\toption proto 'tcp'\n\toption dst_port '22 1024-65535 8000:8080'\n",
         "Allow proto=TCP dst.port=22 dst.port=1024:65535 dst.port=8000:8080"},
        {"\toption action 'allow'\n\toption proto 'tcp'\n\tlist dst_port '80'\n\tlist dst_port '443 8443'\n",
         "Allow proto=TCP dst.port=80 dst.port=443 dst.port=8443"},
        {"\toption action 'deny'\n\toption proto 'sctp'\n\toption not_dst_port '1-1023'\n\toption not_src_port 'http'\n",
         "Deny proto=SCTP src.!port=http dst.!port=1:1023"},
        {"\toption action 'allow'\n\toption proto 'icmp'\n\toption icmp_type '8'\n\toption icmp_code '0'\n",
         "Allow proto=ICMP icmp=8/0"},
        {"\toption action 'allow'\n\toption proto 'ipv6-icmp'\n\toption icmp_type '135'\n", "Allow proto=ICMPv6 icmp=135/-"},
        {"\toption action 'allow'\n\toption proto '47'\n", "Allow proto=47"},
        {"\toption action 'allow'\n\toption not_proto 'udplite'\n", "Allow !proto=UDPLite"},
        {"\toption action 'allow'\n\toption ip_version 'ipv6'\n", "Allow v6"},
        {"\toption action 'allow'\n\toption ip_version '4'\n", "Allow v4"},
        // Space-separated nets in one option, and list items.
        {"\toption action 'allow'\n\toption src_net '10.0.0.0/8 192.168.1.0/24'\n\tlist dst_net '172.16.0.0/12'\n",
         "Allow src.net=10.0.0.0/8 src.net=192.168.1.0/24 dst.net=172.16.0.0/12"},
        {"\toption action 'allow'\n\tlist not_src_net '2001:db8::/32'\n\toption not_dst_net '::1/128'\n",
         "Allow src.!net=2001:db8::/32 dst.!net=::1/128"},
        {"\toption action 'allow'\n\toption src_selector \"role == 'admin'\"\n\toption not_dst_selector 'has(x)'\n",
         "Allow src.sel=role == 'admin' dst.!sel=has(x)"},
        {"\toption action 'allow'\n\toption comment 'anything at all'\n\toption name 'a-name'\n", "Allow"},
    };
    for (const auto& c : cases) {
        auto l = load(ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'in'\n" + c.options);
        ASSERT_EQ(render(l.diags), "") << c.options;
        ASSERT_EQ(l.model.policies.size(), 1u);
        EXPECT_EQ(rules(l.model.policies[0].ingress), c.want) << c.options;
        EXPECT_TRUE(l.model.policies[0].egress.empty());
    }
}

// Rule order is section order, per direction, wherever the policy section is; rules name their
// policy by Calico name or by section name.
TEST(UciResources, RuleOrderIsSectionOrder) {
    auto l = load(R"(config rule
	option policy 'allow-ssh'
	option direction 'in'
	option action 'log'

config policy 'allow_ssh'
	option order '10'

config rule
	option policy 'allow_ssh'
	option direction 'egress'
	option action 'allow'
	option proto 'udp'
	option dst_port '53'

config rule
	option policy 'allow-ssh'
	option direction 'ingress'
	option action 'allow'
	option proto 'tcp'
	option dst_port '22'

config rule
	option policy 'allow_ssh'
	option enabled '0'
	option direction 'in'
	option action 'deny'

config rule
	option policy 'allow-ssh'
	option direction 'IN'
	option action 'deny'
)");
    ASSERT_EQ(render(l.diags), "");
    ASSERT_EQ(l.model.policies.size(), 1u);
    const auto& p = l.model.policies[0];
    EXPECT_EQ(p.name, "allow-ssh");
    EXPECT_EQ(p.order, 10.0);
    EXPECT_EQ(rules(p.ingress), "Log | Allow proto=TCP dst.port=22 | Deny");
    EXPECT_EQ(rules(p.egress), "Allow proto=UDP dst.port=53");
    EXPECT_TRUE(p.ingress_type);  // defaulted from the rules, as for YAML
    EXPECT_TRUE(p.egress_type);
    // Each rule keeps the line of its own section.
    EXPECT_EQ(p.ingress[0].where.line, 1u);
    EXPECT_EQ(p.ingress[1].where.line, 16u);
    EXPECT_EQ(p.egress[0].where.line, 9u);
}

TEST(UciResources, PolicyOptions) {
    auto l = load(R"(config policy 'fw'
	option name 'pre.fw'
	option order '-1.5'
	option selector 'has(wan)'
	list types 'ingress'
	option pre_dnat '1'
	option apply_on_forward 'yes'
	option do_not_track 'off'

config policy 'off'
	option enabled '0'
	option selector 'this is not checked either way'

config rule
	option policy 'off'
	option direction 'in'
	option action 'allow'

config policy 'last'
)");
    ASSERT_EQ(render(l.diags), "");
    ASSERT_EQ(l.model.policies.size(), 2u);
    const auto& p = l.model.policies[0];
    EXPECT_EQ(p.name, "pre.fw");
    EXPECT_EQ(p.order, -1.5);
    EXPECT_EQ(p.selector, "has(wan)");
    EXPECT_TRUE(p.ingress_type);
    EXPECT_FALSE(p.egress_type);
    EXPECT_TRUE(p.pre_dnat);
    EXPECT_TRUE(p.apply_on_forward);
    EXPECT_FALSE(p.do_not_track);
    EXPECT_EQ(l.model.policies[1].name, "last");  // nil order last
    EXPECT_FALSE(l.model.policies[1].order.has_value());
}

// ---- host endpoints and network sets ---------------------------------------------------------

TEST(UciResources, HostEndpoints) {
    UciResourceContext rc{"router1", {{"wan", "eth1"}, {"lan", "br-lan"}}, {}};
    auto l = load(R"(config host_endpoint 'wan'
	option network 'wan'
	list label 'role=wan'
	list label 'zone='
	list profile 'p1 p2'
	list port 'http:tcp:80 dns:UDP:53'

config host_endpoint 'all_ifaces'
	option interface '*'

config host_endpoint
	option name 'peer'
	option node 'router2'
	list expected_ip '192.0.2.1 2001:db8::1'

config host_endpoint 'guest'
	option network 'guest'

config host_endpoint 'disabled'
	option enabled '0'
	option interface 'eth9'
)",
                  rc);
    EXPECT_EQ(render(l.diags),
              "1:1: warning: HostEndpoint 'wan' lists profile 'p1', which is not defined: as in Calico, it denies all "
              "traffic\n"
              "1:1: warning: HostEndpoint 'wan' lists profile 'p2', which is not defined: as in Calico, it denies all "
              "traffic\n"
              "17:17: warning: uci:guest: network: 'guest' is not resolved to a device now; the endpoint is inactive "
              "until it is\n");
    ASSERT_EQ(l.model.host_endpoints.size(), 3u);  // sorted by name
    const auto& all = l.model.host_endpoints[0];
    EXPECT_EQ(all.name, "all-ifaces");  // '_' of the section name becomes '-'
    EXPECT_EQ(all.interface_name, "*");
    EXPECT_EQ(all.node, "router1");
    const auto& peer = l.model.host_endpoints[1];
    EXPECT_EQ(peer.node, "router2");
    EXPECT_EQ(peer.interface_name, "");
    ASSERT_EQ(peer.expected_ips.size(), 2u);
    EXPECT_EQ(peer.expected_ips[1].to_string(), "2001:db8::1");
    const auto& wan = l.model.host_endpoints[2];
    EXPECT_EQ(wan.interface_name, "eth1");  // resolved through UciResourceContext::networks
    EXPECT_EQ(wan.labels.format(), "role=wan,zone=");
    EXPECT_EQ(wan.profiles, (std::vector<std::string>{"p1", "p2"}));
    ASSERT_EQ(wan.ports.size(), 2u);
    EXPECT_EQ(wan.ports[0], (EndpointPort{"http", Protocol{6, true}, 80}));
    EXPECT_EQ(wan.ports[1], (EndpointPort{"dns", Protocol{17, true}, 53}));
    EXPECT_EQ(wan.where, (Location{"hepd.uci", 1, 1}));
}

TEST(UciResources, NetSets) {
    auto l = load("config net_set 'admins'\n\tlist net '10.1.2.3/8 192.0.2.1'\n\tlist net '2001:db8::/64'\n"
                  "\tlist label 'admin=yes'\n");
    ASSERT_EQ(render(l.diags), "");
    ASSERT_EQ(l.model.network_sets.size(), 1u);
    std::string nets;
    for (const auto& c : l.model.network_sets[0].nets) nets += c.to_string() + " ";
    EXPECT_EQ(nets, "10.0.0.0/8 192.0.2.1/32 2001:db8::/64 ");
    EXPECT_EQ(l.model.network_sets[0].labels.format(), "admin=yes");
}

// ---- problems --------------------------------------------------------------------------------

TEST(UciResources, Problems) {
    struct Case {
        std::string text;
        std::string want;
    };
    const Case cases[] = {
        {"config rule\n\toption direction 'in'\n\toption action 'allow'\n",
         "1:1: error: uci:@rule[0]: a rule needs option policy, naming the policy section it belongs to\n"},
        {ssh_policy + "config rule\n\toption policy 'sshd'\n\toption direction 'in'\n\toption action 'allow'\n",
         "5:16: error: uci:@rule[0]: policy: no policy section is named 'sshd' (policies: ssh)\n"},
        {ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'through'\n\toption action 'allow'\n",
         "6:19: error: uci:@rule[0]: direction: 'through' is not a direction: use ingress or egress (or in, out)\n"},
        // The loader's messages name the rule's section and the UCI option, at the value.
        {ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'in'\n\toption action 'allow'\n"
                      "\toption proto 'icmp'\n\toption dst_port '22'\n",
         "9:18: error: uci:@rule[0]: dst_port: port 22 cannot be used with protocol ICMP (line 8); only TCP, UDP "
         "and SCTP (6, 17, 132) have ports\n"},
        {ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'in'\n\toption action 'allow'\n"
                      "\toption src_net '10.0.0.0/8'\n\toption dst_net '2001:db8::/32'\n",
         "9:17: error: uci:@rule[0]: dst_net: '2001:db8::/32' is IPv6, but src_net ('10.0.0.0/8') is IPv4; all "
         "nets of a rule must be one family: split it into one rule per family\n"},
        // One bad value, one message: the mapping reports it, the loader's echo is dropped.
        {ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'in'\n\toption action 'permit'\n",
         "7:16: error: uci:@rule[0]: action: 'permit' is not an action: use allow, deny, log or pass (fw3's "
         "accept, drop and reject are read as allow, deny and deny)\n"},
        {ssh_policy + "config rule\n\toption policy 'ssh'\n\toption direction 'in'\n\toption action 'allow'\n"
                      "\toption proto 'tcpudp'\n\toption dst_port '53'\n",
         "8:15: error: uci:@rule[0]: proto: 'tcpudp': a rule has one protocol; write one rule per protocol\n"},
        // Selector columns land inside the quotes.
        {"config policy 'p'\n\toption selector \"a = 'b'\"\n", "2:21: error: uci:p: selector: '=' is not an operator; did you mean '=='?\n"},
        {"config policy 'p'\n\toption selector a==b\n", "2:21: error: uci:p: selector: expected a quoted value after '=='\n"},
        {"config policy 'p'\n\toption pre_dnat '1'\n",
         "2:18: error: uci:p: pre_dnat: a pre-DNAT policy must also set apply_on_forward 1\n"},
        {"config host_endpoint 'h'\n\tlist label 'x'\n",
         "1:1: error: uci:h: a host_endpoint needs option interface, option network or list expected_ip; interface "
         "'*' means every interface\n"
         "2:13: error: uci:h: label: 'x' must be KEY=VALUE (e.g. role=wan)\n"},
        {"config host_endpoint 'h'\n\toption interface 'eth0'\n\toption mtu '1500'\n\toption lables 'a=b'\n",
         "3:2: error: uci:h: unknown option 'mtu' in a host_endpoint section (known: name, enabled, interface, "
         "network, expected_ip, label, profile, node, port)\n"
         "4:2: error: uci:h: unknown option 'lables' in a host_endpoint section; did you mean 'label'?\n"},
        {"config host_endpoint 'Wan'\n\toption interface 'eth0'\n",
         "1:1: error: uci:Wan: section name: 'Wan' is not a valid name: uppercase letters are not allowed (a name "
         "has lowercase letters, digits, '-' and '.', and starts and ends with a letter or digit)\n"},
        {"config net_set 'n'\n\tlist net '10.0.0.0/33'\n",
         "2:11: error: uci:n: net: '10.0.0.0/33': prefix length /33 is out of range for IPv4 (0-32)\n"},
        {"config policy 'a'\n\nconfig policy\n\toption name 'a'\n",
         "3:1: error: uci:@policy[1]: policy 'a' is already defined by uci:a (line 1)\n"},
        {"config zone\n\toption name 'lan'\n",
         "1:1: error: uci:@zone[0]: unknown section type 'zone' (known: hepd, host_endpoint, policy, rule, net_set); "
         "fw3/fw4 sections belong in /etc/config/firewall\n"},
    };
    for (const auto& c : cases) {
        auto l = load(c.text);
        EXPECT_EQ(render(l.diags), c.want) << c.text;
    }
}

// A section with a problem of its own is checked but adds nothing; its policy neither.
TEST(UciResources, BadSectionAddsNothing) {
    auto l = load(ssh_policy + R"(config rule
	option policy 'ssh'
	option direction 'in'
	option action 'allow'
	option bogus '1'

config policy 'other'

config host_endpoint 'h'
	option interface 'eth0'
	option enabled 'maybe'

config host_endpoint 'ok'
	option interface 'eth1'
)");
    EXPECT_EQ(l.diags.error_count(), 2u) << render(l.diags);
    EXPECT_EQ(l.model.policies.size(), 1u);
    EXPECT_EQ(l.model.policies.at(0).name, "other");
    ASSERT_EQ(l.model.host_endpoints.size(), 1u);
    EXPECT_EQ(l.model.host_endpoints[0].name, "ok");
}

// UCI resources and YAML resources share one namespace per kind.
TEST(UciResources, DuplicateWithYaml) {
    Model m;
    Diagnostics d;
    load_resources("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: ssh\n", "a.yaml",
                   m, d);
    const std::string text = ssh_policy;
    uci::File f = uci::parse_uci(text, "hepd.uci", d);
    load_uci_resources(f, "hepd.uci", UciResourceContext{"r", {}, text}, m, d);
    finish_model(m, d);
    EXPECT_EQ(d.format(),
              "hepd.uci:1:1: error: GlobalNetworkPolicy 'ssh' is already defined at a.yaml:1:1; names must be unique\n");
}

}  // namespace
}  // namespace hepd
