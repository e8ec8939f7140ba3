// SPDX-License-Identifier: GPL-2.0-or-later
// hepd.conf, UCI and FelixConfiguration -> DaemonConfig and FelixParams.
//
// The inputs are built by the small helpers below (ini_of, uci_of, and a YAML tree builder), not
// by the real parsers, so these tests pin config.cpp alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "hepd/config.hpp"
#include "hepd/ini.hpp"
#include "hepd/uci.hpp"
#include "hepd/yaml.hpp"

namespace hepd {
namespace {

// ---- builders -----------------------------------------------------------------------------------

// A tiny INI reader with inih's rules as hepd uses them: `[section]`, `key = value`, comment
// lines starting with ';' or '#', inline comments after " ;" or " #".
ini::File ini_of(std::string_view text) {
    ini::File f;
    std::string section;
    std::istringstream in{std::string(text)};
    std::string line;
    uint32_t n = 0;
    auto trim = [](std::string s) {
        size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    while (std::getline(in, line)) {
        ++n;
        line = trim(line);
        if (line.empty() || line[0] == ';' || line[0] == '#') continue;
        if (line[0] == '[') {
            section = line.substr(1, line.find(']') - 1);
            f.sections.emplace_back(section, n);
            continue;
        }
        for (const char* c : {" ;", " #", "\t;"}) {
            size_t p = line.find(c);
            if (p != std::string::npos) line = trim(line.substr(0, p));
        }
        size_t eq = line.find('=');
        f.entries.push_back({section, trim(line.substr(0, eq)), trim(line.substr(eq + 1)), n});
    }
    return f;
}

// UCI: `config TYPE ['NAME']`, `option NAME 'VALUE'`, `list NAME 'VALUE'` (single quotes only).
uci::File uci_of(std::string_view text) {
    uci::File f;
    std::istringstream in{std::string(text)};
    std::string line;
    uint32_t n = 0;
    std::map<std::string, uint32_t> per_type;
    auto unquote = [](std::string s) {
        if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') return s.substr(1, s.size() - 2);
        return s;
    };
    while (std::getline(in, line)) {
        ++n;
        size_t ind = line.find_first_not_of(" \t");
        if (ind == std::string::npos) continue;
        std::istringstream words(line.substr(ind));
        std::string kw, name, rest;
        words >> kw >> name;
        std::getline(words, rest);
        rest = rest.empty() ? rest : rest.substr(rest.find_first_not_of(' '));
        if (kw == "config") {
            uci::Section s;
            s.type = name;
            s.name = unquote(rest);
            s.line = n;
            s.type_index = per_type[name]++;
            f.sections.push_back(s);
        } else {
            auto& opts = f.sections.back().options;
            bool is_list = kw == "list";
            auto it = std::find_if(opts.begin(), opts.end(),
                                   [&](const uci::Option& o) { return o.name == name; });
            if (is_list && it != opts.end()) {
                it->values.push_back(unquote(rest));
                continue;
            }
            uci::Option o;
            o.name = name;
            o.values = {unquote(rest)};
            o.is_list = is_list;
            o.line = n;
            o.col = static_cast<uint32_t>(ind + 1);
            opts.push_back(std::move(o));
        }
    }
    return f;
}

// YAML trees. Positions are filled in by `lay`, as block-style YAML would place them.
yaml::Node S(std::string v, yaml::ScalarStyle st = yaml::ScalarStyle::plain) {
    yaml::Node n;
    n.kind = yaml::NodeKind::scalar;
    n.style = st;
    n.value = std::move(v);
    return n;
}
yaml::Node Q(std::string v) { return S(std::move(v), yaml::ScalarStyle::double_quoted); }
yaml::Node Null() { return yaml::Node{}; }
yaml::Node Seq(std::vector<yaml::Node> items) {
    yaml::Node n;
    n.kind = yaml::NodeKind::sequence;
    n.items = std::move(items);
    return n;
}
yaml::Node Map(std::vector<std::pair<std::string, yaml::Node>> kv) {
    yaml::Node n;
    n.kind = yaml::NodeKind::mapping;
    for (auto& [k, v] : kv) n.entries.push_back(yaml::MapEntry{S(k), std::move(v)});
    return n;
}

bool is_inline(const yaml::Node& n) {
    return n.is_scalar() || n.is_null() || (n.is_sequence() && n.items.empty()) ||
           (n.is_mapping() && n.entries.empty());
}

// Lays out a block collection whose first element starts at (line, col).
void lay(yaml::Node& n, uint32_t col, uint32_t& line) {
    n.line = line;
    n.col = col;
    if (n.is_mapping()) {
        for (auto& e : n.entries) {
            e.key.line = line;
            e.key.col = col;
            if (is_inline(e.value)) {
                e.value.line = line;
                e.value.col = col + static_cast<uint32_t>(e.key.value.size()) + 2;
                ++line;
            } else {
                ++line;
                lay(e.value, col + 2, line);
            }
        }
    } else if (n.is_sequence()) {  // "- item": the dash at col, the item two further
        for (auto& item : n.items) {
            if (is_inline(item)) {
                item.line = line++;
                item.col = col + 2;
            } else {
                lay(item, col + 2, line);
            }
        }
    }
}

// A FelixConfiguration in `file` whose spec starts at line 6 (after apiVersion, kind, metadata,
// name, spec), indented by two.
struct Doc {
    std::string name;
    yaml::Node spec;
    std::string file = "resources.d/felix.yaml";
};

std::vector<FelixConfigDoc> docs_of(std::vector<Doc>& docs) {
    std::vector<FelixConfigDoc> out;
    for (auto& d : docs) {
        uint32_t line = 6;
        lay(d.spec, 3, line);
        out.push_back(FelixConfigDoc{d.name, &d.spec, Location{d.file, 1, 1}});
    }
    return out;
}

std::vector<std::string> lines_of(const Diagnostics& d) {
    std::vector<std::string> out;
    for (const auto& x : d.items()) out.push_back(x.format());
    return out;
}

using Lines = std::vector<std::string>;

// resolve_felix_params on a hepd.conf text only.
FelixParams felix_from_ini(std::string_view text, Diagnostics& d) {
    ini::File f = ini_of(text);
    return resolve_felix_params(&f, "hepd.conf", nullptr, "", {}, "r1", d);
}

FelixParams felix_from_yaml(yaml::Node spec, Diagnostics& d, std::string name = "default") {
    std::vector<Doc> docs{{std::move(name), std::move(spec)}};
    auto fc = docs_of(docs);
    return resolve_felix_params(nullptr, "", nullptr, "", fc, "r1", d);
}

// ---- [global]: every parameter's syntax ---------------------------------------------------------

struct GlobalCase {
    const char* key;    // as written in hepd.conf
    const char* value;
    const char* name;   // canonical Felix name to read back
    const char* want;   // effective value, or nullptr when `error` is expected
    const char* error;  // the message after "hepd.conf:2: error: "
};

TEST(ConfigGlobal, EveryParameterSyntax) {
    const GlobalCase cases[] = {
        // Failsafe ports: Felix's PortListParam.
        {"FailsafeInboundHostPorts", "tcp:22,udp:68", "FailsafeInboundHostPorts", "tcp:22,udp:68", nullptr},
        {"FailsafeInboundHostPorts", "22", "FailsafeInboundHostPorts", "tcp:22", nullptr},
        {"FailsafeInboundHostPorts", "UDP:53", "FailsafeInboundHostPorts", "udp:53", nullptr},
        {"FailsafeInboundHostPorts", "Tcp:0", "FailsafeInboundHostPorts", "tcp:0", nullptr},
        {"FailsafeInboundHostPorts", "tcp:+22", "FailsafeInboundHostPorts", "tcp:22", nullptr},
        {"FailsafeInboundHostPorts", "tcp:0022", "FailsafeInboundHostPorts", "tcp:22", nullptr},
        {"FailsafeInboundHostPorts", "tcp:10.0.0.0/8:22", "FailsafeInboundHostPorts", "tcp:10.0.0.0/8:22", nullptr},
        {"FailsafeInboundHostPorts", "tcp:10.1.2.3/8:22", "FailsafeInboundHostPorts", "tcp:10.0.0.0/8:22", nullptr},
        {"FailsafeInboundHostPorts", "udp:198.18.0.1:53", "FailsafeInboundHostPorts", "udp:198.18.0.1/32:53", nullptr},
        {"FailsafeInboundHostPorts", "tcp:[2001:db8::/32]:22", "FailsafeInboundHostPorts", "tcp:[2001:db8::/32]:22", nullptr},
        {"FailsafeInboundHostPorts", "tcp:[2001:db8:1::5/32]:22", "FailsafeInboundHostPorts", "tcp:[2001:db8::/32]:22", nullptr},
        {"FailsafeInboundHostPorts", "[2001:db8::1]:22", "FailsafeInboundHostPorts", "tcp:[2001:db8::1/128]:22", nullptr},
        {"FailsafeInboundHostPorts", "tcp:22 , ,udp:68", "FailsafeInboundHostPorts", "tcp:22,udp:68", nullptr},
        {"FailsafeInboundHostPorts", ",", "FailsafeInboundHostPorts", "none", nullptr},
        {"FailsafeInboundHostPorts", "none", "FailsafeInboundHostPorts", "none", nullptr},
        {"FailsafeInboundHostPorts", "NONE", "FailsafeInboundHostPorts", "none", nullptr},
        {"FailsafeInboundHostPorts", "sctp:22", "", nullptr,
         "FailsafeInboundHostPorts: entry 'sctp:22': protocol 'sctp' is not tcp or udp"},
        {"FailsafeInboundHostPorts", "tcp:x", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:x': port 'x' is not a number"},
        {"FailsafeInboundHostPorts", "tcp:", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:': port '' is not a number"},
        {"FailsafeInboundHostPorts", "tcp:65536", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:65536': port 65536 is out of range 0-65535"},
        {"FailsafeInboundHostPorts", "tcp:-1", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:-1': port -1 is out of range 0-65535"},
        {"FailsafeInboundHostPorts", "tcp:1.2.3:22", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:1.2.3:22': '1.2.3' is not an IP address or CIDR"},
        {"FailsafeInboundHostPorts", "tcp:22 udp:68", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:22 udp:68': '22 udp' is not an IP address or CIDR"},
        {"FailsafeInboundHostPorts", "a:b:c:d", "", nullptr,
         "FailsafeInboundHostPorts: entry 'a:b:c:d': expected PORT, PROTO:PORT, PROTO:NET:PORT or "
         "PROTO:[V6NET]:PORT"},
        {"FailsafeInboundHostPorts", "tcp:[2001:db8::]22", "", nullptr,
         "FailsafeInboundHostPorts: entry 'tcp:[2001:db8::]22': expected ']:' after the bracketed "
         "network"},
        {"FailsafeOutboundHostPorts", "udp:53,tcp:53", "FailsafeOutboundHostPorts", "udp:53,tcp:53", nullptr},
        {"FailsafeOutboundHostPorts", "none", "FailsafeOutboundHostPorts", "none", nullptr},
        // Booleans: Felix's BoolParam.
        {"FailsafeICMPv6ND", "false", "FailsafeICMPv6ND", "false", nullptr},
        {"FailsafeICMPv6ND", "No", "FailsafeICMPv6ND", "false", nullptr},
        {"FailsafeICMPv6ND", "t", "FailsafeICMPv6ND", "true", nullptr},
        {"FailsafeICMPv6ND", "none", "FailsafeICMPv6ND", "false", nullptr},
        {"FailsafeICMPv6ND", "on", "", nullptr, "FailsafeICMPv6ND: 'on' is not a boolean (true or false)"},
        {"DisableConntrackInvalidCheck", "TRUE", "DisableConntrackInvalidCheck", "true", nullptr},
        {"DisableConntrackInvalidCheck", "1", "DisableConntrackInvalidCheck", "true", nullptr},
        {"Ipv6Support", "0", "Ipv6Support", "false", nullptr},
        {"Ipv6Support", "y", "Ipv6Support", "true", nullptr},
        {"Ipv6Support", "maybe", "", nullptr, "Ipv6Support: 'maybe' is not a boolean (true or false)"},
        // Actions: oneof, case-insensitive, non-zero.
        {"DefaultEndpointToHostAction", "accept", "DefaultEndpointToHostAction", "ACCEPT", nullptr},
        {"DefaultEndpointToHostAction", "Return", "DefaultEndpointToHostAction", "RETURN", nullptr},
        {"DefaultEndpointToHostAction", "DROP", "DefaultEndpointToHostAction", "DROP", nullptr},
        {"DefaultEndpointToHostAction", "REJECT", "", nullptr,
         "DefaultEndpointToHostAction: 'REJECT' is not one of DROP, RETURN, ACCEPT"},
        {"DefaultEndpointToHostAction", "none", "", nullptr,
         "DefaultEndpointToHostAction: cannot be 'none', it needs a value"},
        {"IptablesFilterAllowAction", "return", "IptablesFilterAllowAction", "RETURN", nullptr},
        {"IptablesFilterAllowAction", "drop", "", nullptr,
         "IptablesFilterAllowAction: 'drop' is not one of ACCEPT, RETURN"},
        {"IptablesMangleAllowAction", "RETURN", "IptablesMangleAllowAction", "RETURN", nullptr},
        {"IptablesMangleAllowAction", "reject", "", nullptr,
         "IptablesMangleAllowAction: 'reject' is not one of ACCEPT, RETURN"},
        {"IptablesFilterDenyAction", "reject", "IptablesFilterDenyAction", "REJECT", nullptr},
        {"IptablesFilterDenyAction", "accept", "", nullptr,
         "IptablesFilterDenyAction: 'accept' is not one of DROP, REJECT"},
        {"ChainInsertMode", "Append", "ChainInsertMode", "append", nullptr},
        {"ChainInsertMode", "top", "", nullptr, "ChainInsertMode: 'top' is not one of insert, append"},
        {"ChainInsertMode", "none", "", nullptr, "ChainInsertMode: cannot be 'none', it needs a value"},
        // Seconds: Felix's SecondsParam (a float), kept in milliseconds.
        {"IptablesRefreshInterval", "90", "IptablesRefreshInterval", "90", nullptr},
        {"IptablesRefreshInterval", "1.5", "IptablesRefreshInterval", "1.5", nullptr},
        {"IptablesRefreshInterval", ".25", "IptablesRefreshInterval", "0.25", nullptr},
        {"IptablesRefreshInterval", "2e1", "IptablesRefreshInterval", "20", nullptr},
        {"IptablesRefreshInterval", "0.0004", "IptablesRefreshInterval", "0", nullptr},
        {"IptablesRefreshInterval", "0.0015", "IptablesRefreshInterval", "0.002", nullptr},
        {"IptablesRefreshInterval", "0", "IptablesRefreshInterval", "0", nullptr},
        {"IptablesRefreshInterval", "none", "IptablesRefreshInterval", "0", nullptr},
        {"IptablesRefreshInterval", "-5", "", nullptr, "IptablesRefreshInterval: '-5' is negative"},
        {"IptablesRefreshInterval", "90s", "", nullptr,
         "IptablesRefreshInterval: '90s' is not a number of seconds"},
        {"IptablesRefreshInterval", "inf", "", nullptr,
         "IptablesRefreshInterval: 'inf' is not a number of seconds"},
        {"IptablesRefreshInterval", "99999999999", "", nullptr,
         "IptablesRefreshInterval: '99999999999' is too large (at most 31536000 seconds)"},
        {"IptablesPostWriteCheckIntervalSecs", "1", "IptablesPostWriteCheckIntervalSecs", "1", nullptr},
        // Interface prefixes: Felix's IfaceListRegexp, non-zero.
        {"InterfacePrefix", "cali,tap", "InterfacePrefix", "cali,tap", nullptr},
        {"InterfacePrefix", "cali, tap", "", nullptr,
         "InterfacePrefix: prefix ' tap' is not a valid interface name prefix (1 to 15 of A-Z a-z "
         "0-9 _ -, comma separated, no spaces)"},
        {"InterfacePrefix", "abcdefghijklmnop", "", nullptr,
         "InterfacePrefix: prefix 'abcdefghijklmnop' is not a valid interface name prefix (1 to 15 "
         "of A-Z a-z 0-9 _ -, comma separated, no spaces)"},
        {"InterfacePrefix", "none", "", nullptr, "InterfacePrefix: cannot be 'none', it needs a value"},
        // Interface exclusions: names or /regex/.
        {"InterfaceExclude", "kube-ipvs0,/^veth/", "InterfaceExclude", "kube-ipvs0,/^veth/", nullptr},
        {"InterfaceExclude", "/^eth0\\.2$/", "InterfaceExclude", "/^eth0\\.2$/", nullptr},
        {"InterfaceExclude", "none", "InterfaceExclude", "none", nullptr},
        {"InterfaceExclude", "eth0.2", "", nullptr,
         "InterfaceExclude: 'eth0.2' is neither an interface name (1 to 15 of A-Z a-z 0-9 _ -) nor "
         "a /regex/; a name with a dot must be written as a regex, e.g. /^eth0\\.2$/"},
        {"InterfaceExclude", "a,,b", "", nullptr,
         "InterfaceExclude: '' is neither an interface name (1 to 15 of A-Z a-z 0-9 _ -) nor a "
         "/regex/"},
        {"InterfaceExclude", "/a b/", "", nullptr,
         "InterfaceExclude: '/a b/' is neither an interface name (1 to 15 of A-Z a-z 0-9 _ -) nor "
         "a /regex/"},
        {"InterfaceExclude", "/\\d+/", "", nullptr,
         "InterfaceExclude: regex '/\\d+/': '\\d' is RE2 syntax, not POSIX ERE (use a bracket "
         "expression such as [0-9])"},
        {"InterfaceExclude", "/(?i)eth/", "", nullptr,
         "InterfaceExclude: regex '/(?i)eth/': '(?' is RE2 syntax, not POSIX ERE"},
        // LogPrefix: the v3 pattern.
        {"LogPrefix", "hepd-drop %n", "LogPrefix", "hepd-drop %n", nullptr},
        {"LogPrefix", "a:b/c_d", "LogPrefix", "a:b/c_d", nullptr},
        {"LogPrefix", "none", "LogPrefix", "calico-packet", nullptr},
        {"LogPrefix", "say\"hi\"", "", nullptr,
         "LogPrefix: 'say\"hi\"' may contain only A-Z a-z 0-9 % : / _ - and space"},
        // LogActionRateLimit and its burst.
        {"LogActionRateLimit", "10/second", "LogActionRateLimit", "10/second", nullptr},
        {"LogActionRateLimit", "9999/day", "LogActionRateLimit", "9999/day", nullptr},
        {"LogActionRateLimit", "none", "LogActionRateLimit", "none", nullptr},
        {"LogActionRateLimit", "0/second", "", nullptr,
         "LogActionRateLimit: '0/second' is not N/unit (N 1 to 9999, unit second, minute, hour or "
         "day)"},
        {"LogActionRateLimit", "10/sec", "", nullptr,
         "LogActionRateLimit: '10/sec' is not N/unit (N 1 to 9999, unit second, minute, hour or "
         "day)"},
        {"LogActionRateLimit", "10000/hour", "", nullptr,
         "LogActionRateLimit: '10000/hour' is not N/unit (N 1 to 9999, unit second, minute, hour "
         "or day)"},
        {"LogActionRateLimitBurst", "10", "LogActionRateLimitBurst", "10", nullptr},
        {"LogActionRateLimitBurst", "0x10", "LogActionRateLimitBurst", "16", nullptr},
        {"LogActionRateLimitBurst", "010", "LogActionRateLimitBurst", "8", nullptr},
        {"LogActionRateLimitBurst", "none", "LogActionRateLimitBurst", "0", nullptr},
        {"LogActionRateLimitBurst", "10000", "", nullptr,
         "LogActionRateLimitBurst: '10000' is out of range (0 to 9999)"},
        {"LogActionRateLimitBurst", "-1", "", nullptr,
         "LogActionRateLimitBurst: '-1' is out of range (0 to 9999)"},
        {"LogActionRateLimitBurst", "ten", "", nullptr, "LogActionRateLimitBurst: 'ten' is not an integer"},
        {"LogActionRateLimitBurst", "1__0", "", nullptr, "LogActionRateLimitBurst: '1__0' is not an integer"},
        // IptablesMarkMask: hex or decimal, at least 6 bits for hepd.
        {"IptablesMarkMask", "0xff000000", "IptablesMarkMask", "0xff000000", nullptr},
        {"IptablesMarkMask", "4278190080", "IptablesMarkMask", "0xff000000", nullptr},
        {"IptablesMarkMask", "0xffff_0000", "IptablesMarkMask", "0xffff0000", nullptr},
        {"IptablesMarkMask", "0X3F", "IptablesMarkMask", "0x0000003f", nullptr},
        {"IptablesMarkMask", "0x1f", "", nullptr,
         "IptablesMarkMask: 0x0000001f has 5 bits set; at least 6 are needed (accept, pass, drop, 2 "
         "scratch, 1 endpoint)"},
        {"IptablesMarkMask", "0x1ffffffff", "", nullptr,
         "IptablesMarkMask: '0x1ffffffff' is not a 32-bit number (hex or decimal)"},
        {"IptablesMarkMask", "-1", "", nullptr,
         "IptablesMarkMask: '-1' is not a 32-bit number (hex or decimal)"},
        {"IptablesMarkMask", "none", "", nullptr, "IptablesMarkMask: cannot be 'none', it needs a value"},
        // Names are case-insensitive.
        {"failsafeinboundhostports", "udp:1", "FailsafeInboundHostPorts", "udp:1", nullptr},
        {"IPTABLESMARKMASK", "0xfc", "IptablesMarkMask", "0x000000fc", nullptr},
        {"ipv6support", "false", "Ipv6Support", "false", nullptr},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key) + " = " + c.value);
        Diagnostics d;
        FelixParams p = felix_from_ini(std::string("[global]\n") + c.key + " = " + c.value + "\n", d);
        if (c.error) {
            EXPECT_EQ(lines_of(d), Lines{std::string("hepd.conf:2: error: ") + c.error});
            continue;
        }
        EXPECT_TRUE(d.empty()) << d.format();
        EXPECT_EQ(format_felix_value(p, c.name), c.want);
        EXPECT_EQ(p.origin(c.name), (Location{"hepd.conf", 2, 0}));
    }
}

TEST(ConfigGlobal, RegcompErrorsAreReported) {
    Diagnostics d;
    felix_from_ini("[global]\nInterfaceExclude = /(/\n", d);
    ASSERT_EQ(d.error_count(), 1u);
    EXPECT_EQ(d.items()[0].message.rfind("InterfaceExclude: regex '/(/': ", 0), 0u)
        << d.items()[0].message;
}

TEST(ConfigGlobal, TypedValues) {
    Diagnostics d;
    FelixParams p = felix_from_ini(
        "[global]\n"
        "FailsafeInboundHostPorts = udp:[2001:db8::/48]:547, 22\n"
        "IptablesRefreshInterval = 1.5\n"
        "LogActionRateLimit = 5/minute\n"
        "DefaultEndpointToHostAction = return\n",
        d);
    EXPECT_TRUE(d.empty()) << d.format();
    ASSERT_EQ(p.failsafe_inbound.size(), 2u);
    EXPECT_EQ(p.failsafe_inbound[0].proto, FailsafeProto::udp);
    EXPECT_EQ(p.failsafe_inbound[0].port, 547);
    ASSERT_TRUE(p.failsafe_inbound[0].net.has_value());
    EXPECT_EQ(p.failsafe_inbound[0].net->to_string(), "2001:db8::/48");
    EXPECT_EQ(p.failsafe_inbound[1], (FailsafePort{FailsafeProto::tcp, 22, std::nullopt}));
    EXPECT_EQ(p.iptables_refresh_interval, std::chrono::milliseconds(1500));
    EXPECT_EQ(p.log_action_rate_limit, (LogRateLimit{5, RateUnit::minute}));
    EXPECT_EQ(p.default_endpoint_to_host_action, Verdict::return_);
}

TEST(ConfigGlobal, EmptyValueKeepsTheDefault) {
    Diagnostics d;
    FelixParams p = felix_from_ini("[global]\nLogPrefix =\nFailsafeInboundHostPorts =\n", d);
    EXPECT_TRUE(d.empty()) << d.format();
    EXPECT_EQ(p.log_prefix, "calico-packet");
    EXPECT_EQ(p.failsafe_inbound, default_failsafe_inbound());
    EXPECT_EQ(p.origin("LogPrefix"), Location{"default"});
}

TEST(ConfigGlobal, EmptyValueDoesNotHideALowerLayer) {
    std::vector<Doc> docs{{"default", Map({{"logPrefix", S("from-yaml")}})}};
    auto fc = docs_of(docs);
    ini::File f = ini_of("[global]\nLogPrefix =\n");
    Diagnostics d;
    FelixParams p = resolve_felix_params(&f, "hepd.conf", nullptr, "", fc, "r1", d);
    EXPECT_TRUE(d.empty()) << d.format();
    EXPECT_EQ(p.log_prefix, "from-yaml");
}

TEST(ConfigGlobal, UnknownIgnoredAndMisplacedKeys) {
    Diagnostics d;
    felix_from_ini(
        "[global]\n"
        "LogSeverityScreen = Info\n"   // a real Felix parameter hepd does not use
        "FailsafeInboundHostPort = 22\n"  // typo
        "ipv6 = false\n"               // a [hepd] key
        "Ipv6Support = true\n"
        "IPV6SUPPORT = false\n",       // the same parameter again
        d);
    EXPECT_EQ(lines_of(d), (Lines{
        "hepd.conf:2: warning: Felix parameter 'LogSeverityScreen' is ignored by hepd",
        "hepd.conf:3: error: unknown Felix parameter 'FailsafeInboundHostPort' in [global]",
        "hepd.conf:4: error: unknown Felix parameter 'ipv6' in [global]; it belongs in [hepd]",
        "hepd.conf:6: error: duplicate parameter 'IPV6SUPPORT' in [global] (first set at line 5)",
    }));
}

TEST(ConfigGlobal, EveryParameterDefault) {
    const std::pair<const char*, const char*> defaults[] = {
        {"FailsafeInboundHostPorts", "tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:6666,tcp:6667"},
        {"FailsafeOutboundHostPorts", "udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:6666,tcp:6667"},
        {"FailsafeICMPv6ND", "true"},
        {"DefaultEndpointToHostAction", "DROP"},
        {"IptablesFilterAllowAction", "ACCEPT"},
        {"IptablesMangleAllowAction", "ACCEPT"},
        {"IptablesFilterDenyAction", "DROP"},
        {"ChainInsertMode", "insert"},
        {"IptablesRefreshInterval", "180"},
        {"IptablesPostWriteCheckIntervalSecs", "5"},
        {"InterfacePrefix", "cali"},
        {"InterfaceExclude", "kube-ipvs0"},
        {"LogPrefix", "calico-packet"},
        {"LogActionRateLimit", "none"},
        {"LogActionRateLimitBurst", "5"},
        {"IptablesMarkMask", "0xffff0000"},
        {"DisableConntrackInvalidCheck", "false"},
        {"Ipv6Support", "true"},
    };
    FelixParams p;
    size_t global_keys = 0;
    for (const auto& k : config_keys()) global_keys += k.section == "global";
    EXPECT_EQ(global_keys, std::size(defaults));
    for (const auto& [name, want] : defaults) {
        EXPECT_EQ(format_felix_value(p, name), want) << name;
        EXPECT_EQ(p.origin(name).format(), "default");
    }
}

// ---- cross-field rules --------------------------------------------------------------------------

TEST(ConfigGlobal, CrossFieldRules) {
    struct Case {
        const char* text;
        Lines want;
    } cases[] = {
        {"[global]\nLogActionRateLimit = 10/second\nLogActionRateLimitBurst = 0\n",
         {"hepd.conf:3: error: LogActionRateLimitBurst: must be at least 1 when LogActionRateLimit "
          "is set (the kernel's limit match refuses a burst of 0)"}},
        {"[global]\nLogActionRateLimitBurst = 0\n", {}},  // no rate limit: the burst is unused
        {"[global]\nLogActionRateLimit = 1/day\n",
         {"hepd.conf:2: error: LogActionRateLimit: 1/day with a burst of 5 overflows the kernel's "
          "limit match (burst x seconds per packet must stay below 429497); use a faster rate or a "
          "smaller burst"}},
        {"[global]\nLogActionRateLimit = 1/day\nLogActionRateLimitBurst = 4\n", {}},
        {"[global]\nLogActionRateLimit = 9999/second\nLogActionRateLimitBurst = 9999\n", {}},
        {"[global]\nLogPrefix = a-very-long-prefix-for-the-log-target\n",
         {"hepd.conf:2: warning: LogPrefix: 'a-very-long-prefix-for-the-log-target' is 37 "
          "characters; the kernel's LOG target keeps the first 29"}},
        {"[global]\nLogPrefix = %t-%k-%n-and-a-long-tail-of-text\n", {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        Diagnostics d;
        felix_from_ini(c.text, d);
        EXPECT_EQ(lines_of(d), c.want);
    }
}

// ---- [hepd] -------------------------------------------------------------------------------------

TEST(ConfigDaemon, EveryKeySyntax) {
    struct Case {
        const char* key;
        const char* value;
        const char* want;   // effective value of `key`
        const char* error;  // message after "hepd.conf:2: error: "
    } cases[] = {
        {"node", "router-1.lan", "router-1.lan", nullptr},
        {"node", "Router1", nullptr,
         "node: 'Router1' is not a valid node name (lower-case a-z, 0-9, '-' and '.', as "
         "HostEndpoint spec.node)"},
        {"node", "my_router", nullptr,
         "node: 'my_router' is not a valid node name (lower-case a-z, 0-9, '-' and '.', as "
         "HostEndpoint spec.node)"},
        {"resource_dir", "/srv/hepd/resources.d", "/srv/hepd/resources.d", nullptr},
        {"uci_config", "/etc/config/hepd", "/etc/config/hepd", nullptr},
        {"uci_config", "none", "none", nullptr},
        {"socket", "/tmp/h.sock", "/tmp/h.sock", nullptr},
        {"socket", "/var/run/hepd-with-a-rather-long-directory-name/and-another-level/and-yet-another-one/x/hepd.sock00000000000",
         nullptr, "socket: path is 108 bytes; a socket path can have at most 107"},
        {"state_dir", "/tmp/hepd", "/tmp/hepd", nullptr},
        {"confirmed_dir", "/overlay/hepd", "/overlay/hepd", nullptr},
        {"ipv6", "no", "false", nullptr},
        {"ipv6", "enabled", nullptr, "ipv6: 'enabled' is not a boolean (true or false)"},
        {"watchdog_timeout", "30", "30", nullptr},
        {"watchdog_timeout", "0", nullptr, "watchdog_timeout: '0' is out of range (1 to 3600)"},
        {"watchdog_timeout", "1.5", nullptr, "watchdog_timeout: '1.5' is not a whole number"},
        {"watchdog_timeout", "-1", nullptr, "watchdog_timeout: '-1' is not a whole number"},
        {"fallback_action", "accept", "Accept", nullptr},
        {"fallback_action", "DROP", "Drop", nullptr},
        {"fallback_action", "Reject", nullptr, "fallback_action: 'Reject' is not one of Drop, Accept"},
        {"confirm_timeout", "90", "90", nullptr},
        {"confirm_timeout", "86401", nullptr, "confirm_timeout: '86401' is out of range (0 to 86400)"},
        {"log_level", "DEBUG", "debug", nullptr},
        {"log_level", "warning", nullptr,
         "log_level: 'warning' is not one of error, warn, info, debug"},
        {"xtables_lock", "/var/run/xtables.lock", "/var/run/xtables.lock", nullptr},
        {"lock_wait", "0", "0", nullptr},
        {"lock_wait", "99999999999999999999999", nullptr,
         "lock_wait: '99999999999999999999999' is out of range (0 to 3600)"},
        {"mode", "audit", "audit", nullptr},
        {"mode", "dry-run", nullptr, "mode: 'dry-run' is not one of enforce, audit"},
        {"Watchdog_Timeout", "7", "7", nullptr},  // keys are case-insensitive too
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key) + " = " + c.value);
        ini::File f = ini_of(std::string("[hepd]\n") + c.key + " = " + c.value + "\n");
        Diagnostics d;
        DaemonConfig cfg = load_daemon_config(&f, "hepd.conf", nullptr, "", "host", d);
        if (c.error) {
            EXPECT_EQ(lines_of(d), Lines{std::string("hepd.conf:2: error: ") + c.error});
            continue;
        }
        EXPECT_TRUE(d.empty()) << d.format();
        EXPECT_EQ(format_daemon_value(cfg, c.key), c.want);
        std::string canonical = f.entries[0].key;
        std::transform(canonical.begin(), canonical.end(), canonical.begin(), ::tolower);
        EXPECT_EQ(cfg.origin(canonical).format(), "hepd.conf:2");
    }
}

TEST(ConfigDaemon, Defaults) {
    Diagnostics d;
    DaemonConfig c = load_daemon_config(nullptr, "hepd.conf", nullptr, "", "OpenWrt", d);
    EXPECT_TRUE(d.empty()) << d.format();
    EXPECT_EQ(c.node, "openwrt");  // lower-cased, as Calico's names.Hostname does
    EXPECT_EQ(c.origin("node").format(), "hostname");
    EXPECT_EQ(c.resource_dir, "/etc/hepd/resources.d");
    EXPECT_EQ(c.uci_config, "");
    EXPECT_EQ(c.socket, "/var/run/hepd/hepd.sock");
    EXPECT_EQ(c.state_dir, "/var/run/hepd");
    EXPECT_EQ(c.confirmed_dir, "/etc/hepd/confirmed");
    EXPECT_TRUE(c.ipv6);
    EXPECT_EQ(c.watchdog_timeout, 10u);
    EXPECT_EQ(c.fallback_action, Verdict::drop);
    EXPECT_EQ(c.confirm_timeout, 0u);
    EXPECT_EQ(c.log_level, LogLevel::info);
    EXPECT_EQ(c.xtables_lock, "/run/xtables.lock");
    EXPECT_EQ(c.lock_wait, 5u);
    EXPECT_EQ(c.mode, RunMode::enforce);
    EXPECT_TRUE(c.enabled);
    EXPECT_EQ(c.origin("socket").format(), "default");
}

TEST(ConfigDaemon, NodeFromHostname) {
    struct Case {
        const char* conf;
        const char* hostname;
        const char* want_node;
        Lines want;
    } cases[] = {
        {"", "gw.example", "gw.example", {}},
        {"", "", "", {"hepd.conf: error: node is not set and the hostname is empty; set node in [hepd]"}},
        {"", "my_router", "",
         {"hepd.conf: error: the hostname 'my_router' is not a valid node name (lower-case a-z, "
          "0-9, '-' and '.'); set node in [hepd]"}},
        {"[hepd]\nnode = edge1\n", "my_router", "edge1", {}},
        {"[hepd]\nnode =\n", "gw", "gw", {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.conf);
        ini::File f = ini_of(c.conf);
        Diagnostics d;
        DaemonConfig cfg = load_daemon_config(&f, "hepd.conf", nullptr, "", c.hostname, d);
        EXPECT_EQ(lines_of(d), c.want);
        EXPECT_EQ(cfg.node, c.want_node);
    }
}

TEST(ConfigDaemon, StructuralErrors) {
    ini::File f = ini_of(
        "stray = 1\n"
        "[hepd]\n"
        "ipv6 = true\n"
        "FailsafeInboundHostPorts = 22\n"
        "enabled = true\n"
        "colour = blue\n"
        "IPV6 = false\n"
        "[global]\n"
        "LogPrefix = x\n"
        "[firewall]\n"
        "zone = wan\n");
    Diagnostics d;
    load_daemon_config(&f, "hepd.conf", nullptr, "", "h", d);
    EXPECT_EQ(lines_of(d), (Lines{
        "hepd.conf:10: error: unknown section [firewall] (hepd.conf has [hepd] and [global])",
        "hepd.conf:1: error: 'stray' is outside any section (put it under [hepd] or [global])",
        "hepd.conf:4: error: unknown key 'FailsafeInboundHostPorts' in [hepd]; Felix parameters go "
        "in [global]",
        "hepd.conf:5: error: unknown key 'enabled' in [hepd]",
        "hepd.conf:6: error: unknown key 'colour' in [hepd]",
        "hepd.conf:7: error: duplicate key 'IPV6' in [hepd] (first set at line 3)",
    }));
}

// ---- UCI ----------------------------------------------------------------------------------------

TEST(ConfigUci, DaemonAndFelixOptions) {
    uci::File u = uci_of(
        "config hepd 'main'\n"
        "\toption enabled '0'\n"
        "\toption mode 'audit'\n"
        "\toption ipv6 'off'\n"
        "\tlist failsafe_in 'tcp:22'\n"
        "\tlist failsafe_in 'tcp:80,tcp:443'\n"
        "\toption failsafe_out 'none'\n"
        "\toption chain_insert 'append'\n"
        "\toption refresh_interval '30'\n"
        "\toption confirm_timeout '60'\n"
        "\toption resource_dir '/etc/hepd/r'\n"
        "\toption log_level 'warn'\n"
        "\toption xtables_lock '/var/run/xtables.lock'\n"
        "\toption lock_wait '10'\n"
        "\toption failsafe_icmpv6_nd 'disabled'\n"
        "\toption iptables_mark_mask '0xff00'\n"
        "\tlist interface_exclude 'kube-ipvs0'\n"
        "\tlist interface_exclude '/^wg/'\n"
        "config host_endpoint\n"
        "\toption interface 'eth1'\n");
    Diagnostics d;
    DaemonConfig c = load_daemon_config(nullptr, "", &u, "/etc/config/hepd", "gw", d);
    FelixParams p = resolve_felix_params(nullptr, "", &u, "/etc/config/hepd", {}, c.node, d);
    EXPECT_TRUE(d.empty()) << d.format();
    EXPECT_FALSE(c.enabled);
    EXPECT_EQ(c.mode, RunMode::audit);
    EXPECT_FALSE(c.ipv6);
    EXPECT_EQ(c.confirm_timeout, 60u);
    EXPECT_EQ(c.resource_dir, "/etc/hepd/r");
    EXPECT_EQ(c.log_level, LogLevel::warn);
    EXPECT_EQ(c.xtables_lock, "/var/run/xtables.lock");
    EXPECT_EQ(c.lock_wait, 10u);
    EXPECT_EQ(format_failsafe_ports(p.failsafe_inbound), "tcp:22,tcp:80,tcp:443");
    EXPECT_TRUE(p.failsafe_outbound.empty());
    EXPECT_EQ(p.chain_insert_mode, ChainInsertMode::append);
    EXPECT_EQ(p.iptables_refresh_interval, std::chrono::seconds(30));
    EXPECT_FALSE(p.failsafe_icmpv6_nd);
    EXPECT_EQ(p.iptables_mark_mask, 0xff00u);
    EXPECT_EQ(format_felix_value(p, "InterfaceExclude"), "kube-ipvs0,/^wg/");
    EXPECT_EQ(c.origin("mode").format(), "uci:main:3");
    EXPECT_EQ(p.origin("FailsafeInboundHostPorts").format(), "uci:main:5");
    EXPECT_FALSE(ipv6_enabled(c, p));
}

TEST(ConfigUci, AnonymousSectionProvenance) {
    uci::File u = uci_of("config hepd\n\toption chain_insert 'append'\n\toption node 'gw2'\n");
    Diagnostics d;
    DaemonConfig c = load_daemon_config(nullptr, "", &u, "/etc/config/hepd", "gw", d);
    FelixParams p = resolve_felix_params(nullptr, "", &u, "/etc/config/hepd", {}, c.node, d);
    EXPECT_TRUE(d.empty()) << d.format();
    EXPECT_EQ(c.node, "gw2");
    EXPECT_EQ(c.origin("node").format(), "uci:@hepd[0]:3");
    EXPECT_EQ(p.origin("ChainInsertMode").format(), "uci:@hepd[0]:2");
}

TEST(ConfigUci, Errors) {
    uci::File u = uci_of(
        "config hepd 'main'\n"
        "\toption chain_insert_mode 'append'\n"
        "\toption uci_config '/etc/config/other'\n"
        "\tlist ipv6 '1'\n"
        "\tlist chain_insert 'insert'\n"
        "\toption failsafe_in 'sctp:9'\n"
        "\toption watchdog_timeout '0'\n"
        "\toption bogus 'x'\n"
        "config hepd 'second'\n"
        "\toption mode 'audit'\n");
    Diagnostics d;
    DaemonConfig c = load_daemon_config(nullptr, "", &u, "/etc/config/hepd", "gw", d);
    resolve_felix_params(nullptr, "", &u, "/etc/config/hepd", {}, c.node, d);
    EXPECT_EQ(c.mode, RunMode::enforce);  // the second section is not applied
    EXPECT_EQ(lines_of(d), (Lines{
        "/etc/config/hepd:9: error: uci:second: only one 'config hepd' section is allowed (the first is at "
        "line 1)",
        "/etc/config/hepd:2:2: error: uci:main: unknown option 'chain_insert_mode' in 'config hepd' (did you "
        "mean 'chain_insert'?)",
        "/etc/config/hepd:3:2: error: uci:main: option 'uci_config' cannot be set in the UCI file itself (set "
        "it in hepd.conf)",
        "/etc/config/hepd:4:2: error: uci:main: 'ipv6' takes one value: use 'option ipv6', not 'list'",
        "/etc/config/hepd:7:2: error: uci:main: watchdog_timeout: '0' is out of range (1 to 3600)",
        "/etc/config/hepd:8:2: error: uci:main: unknown option 'bogus' in 'config hepd'",
        "/etc/config/hepd:5:2: error: uci:main: 'chain_insert' takes one value: use 'option chain_insert', "
        "not 'list'",
        "/etc/config/hepd:6:2: error: uci:main: failsafe_in: entry 'sctp:9': protocol 'sctp' is not tcp or "
        "udp",
    }));
}

TEST(ConfigUci, UciWinsOverHepdConfWithAWarning) {
    ini::File f = ini_of(
        "[hepd]\n"
        "mode = enforce\n"
        "log_level = debug\n"
        "[global]\n"
        "FailsafeInboundHostPorts = tcp:22\n"
        "ChainInsertMode = insert\n");
    uci::File u = uci_of(
        "config hepd 'main'\n"
        "\toption mode 'audit'\n"
        "\tlist failsafe_in 'tcp:2222'\n"
        "\toption log_level ''\n");  // empty: not set, so no conflict
    Diagnostics d;
    DaemonConfig c = load_daemon_config(&f, "/etc/hepd/hepd.conf", &u, "/etc/config/hepd", "gw", d);
    FelixParams p = resolve_felix_params(&f, "/etc/hepd/hepd.conf", &u, "/etc/config/hepd", {},
                                         c.node, d);
    EXPECT_EQ(lines_of(d), (Lines{
        "/etc/config/hepd:2:2: warning: uci:main: 'mode' overrides [hepd] mode set at /etc/hepd/hepd.conf:2 "
        "(UCI wins)",
        "/etc/config/hepd:3:2: warning: uci:main: 'failsafe_in' overrides FailsafeInboundHostPorts set at "
        "/etc/hepd/hepd.conf:5 (UCI wins)",
    }));
    EXPECT_EQ(c.mode, RunMode::audit);
    EXPECT_EQ(c.log_level, LogLevel::debug);
    EXPECT_EQ(c.origin("log_level").format(), "/etc/hepd/hepd.conf:3");
    EXPECT_EQ(format_failsafe_ports(p.failsafe_inbound), "tcp:2222");
    EXPECT_EQ(p.origin("ChainInsertMode").format(), "/etc/hepd/hepd.conf:6");
}

TEST(ConfigUci, BooleanWordsOfOpenWrt) {
    const std::pair<const char*, bool> cases[] = {
        {"1", true}, {"on", true}, {"yes", true}, {"enabled", true}, {"true", true},
        {"0", false}, {"off", false}, {"no", false}, {"disabled", false}, {"false", false},
    };
    for (const auto& [word, want] : cases) {
        uci::File u = uci_of(std::string("config hepd 'main'\n\toption ipv6_support '") + word + "'\n");
        Diagnostics d;
        FelixParams p = resolve_felix_params(nullptr, "", &u, "u", {}, "gw", d);
        EXPECT_TRUE(d.empty()) << word << d.format();
        EXPECT_EQ(p.ipv6_support, want) << word;
    }
}

// ---- FelixConfiguration -------------------------------------------------------------------------

TEST(ConfigFelixConfiguration, Fields) {
    struct Case {
        const char* field;
        yaml::Node value;
        const char* name;   // Felix name to read back
        const char* want;   // or nullptr for an error
        const char* error;  // "resources.d/felix.yaml:6:COL: error: ..." after the location
    } cases[] = {
        {"chainInsertMode", S("Append"), "ChainInsertMode", "append", nullptr},
        {"defaultEndpointToHostAction", S("Accept"), "DefaultEndpointToHostAction", "ACCEPT", nullptr},
        {"defaultEndpointToHostAction", S("Allow"), nullptr, nullptr,
         "6:32: error: defaultEndpointToHostAction: 'Allow' is not one of DROP, RETURN, ACCEPT"},
        {"iptablesFilterDenyAction", S("Reject"), "IptablesFilterDenyAction", "REJECT", nullptr},
        {"iptablesRefreshInterval", S("90s"), "IptablesRefreshInterval", "90", nullptr},
        {"iptablesRefreshInterval", S("1m30s"), "IptablesRefreshInterval", "90", nullptr},
        {"iptablesRefreshInterval", S("1.5h"), "IptablesRefreshInterval", "5400", nullptr},
        {"iptablesRefreshInterval", S("250ms"), "IptablesRefreshInterval", "0.25", nullptr},
        {"iptablesRefreshInterval", Q("0"), "IptablesRefreshInterval", "0", nullptr},
        // Calico's CRD pattern sees Go's canonical form: fractions of a second above 1s and
        // anything below a millisecond are refused.
        {"iptablesRefreshInterval", S("1h2m3s"), "IptablesRefreshInterval", "3723", nullptr},
        {"iptablesRefreshInterval", S("1000000us"), "IptablesRefreshInterval", "1", nullptr},
        {"iptablesRefreshInterval", S("1h2m3.5s"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '1h2m3.5s' is not a whole number of seconds (or of milliseconds below 1s), which Calico requires"},
        {"iptablesRefreshInterval", S("1500ms"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '1500ms' is not a whole number of seconds (or of milliseconds below 1s), which Calico requires"},
        {"iptablesRefreshInterval", S("999999ns"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '999999ns' is not a whole number of seconds (or of milliseconds below 1s), which Calico requires"},
        {"iptablesRefreshInterval", S("0.5"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: expected a duration such as \"90s\", got the number "
         "0.5 (add a unit)"},
        {"iptablesRefreshInterval", S("10d"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '10d' is not a duration (such as 90s, 1m30s or "
         "500ms)"},
        {"iptablesRefreshInterval", S("9000h"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '9000h' is too large (at most 31536000s)"},
        {"iptablesRefreshInterval", S("90"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: expected a duration such as \"90s\", got the number "
         "90 (add a unit)"},
        {"iptablesRefreshInterval", S("90 s"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '90 s' is not a duration (such as 90s, 1m30s or "
         "500ms)"},
        {"iptablesRefreshInterval", S("-1s"), nullptr, nullptr,
         "6:28: error: iptablesRefreshInterval: '-1s' is negative"},
        {"iptablesPostWriteCheckInterval", S("2s"), "IptablesPostWriteCheckIntervalSecs", "2", nullptr},
        {"interfacePrefix", S("cali,tap"), "InterfacePrefix", "cali,tap", nullptr},
        {"interfacePrefix", S(""), "InterfacePrefix", "cali", nullptr},  // empty = unset
        {"interfaceExclude", S("none"), "InterfaceExclude", "none", nullptr},
        {"interfaceExclude", S("/^veth/,docker0"), "InterfaceExclude", "/^veth/,docker0", nullptr},
        {"logPrefix", S("hepd %k %n"), "LogPrefix", "hepd %k %n", nullptr},
        {"logActionRateLimit", S("10/minute"), "LogActionRateLimit", "10/minute", nullptr},
        {"logActionRateLimitBurst", S("7"), "LogActionRateLimitBurst", "7", nullptr},
        {"logActionRateLimitBurst", Q("7"), nullptr, nullptr,
         "6:28: error: logActionRateLimitBurst: expected an integer, got the string '7'"},
        {"iptablesMarkMask", S("0xff000000"), "IptablesMarkMask", "0xff000000", nullptr},
        {"iptablesMarkMask", S("4278190080"), "IptablesMarkMask", "0xff000000", nullptr},
        {"iptablesMarkMask", S("3"), nullptr, nullptr,
         "6:21: error: iptablesMarkMask: 0x00000003 has 2 bits set; at least 6 are needed (accept, "
         "pass, drop, 2 scratch, 1 endpoint)"},
        {"disableConntrackInvalidCheck", S("true"), "DisableConntrackInvalidCheck", "true", nullptr},
        {"ipv6Support", S("False"), "Ipv6Support", "false", nullptr},
        {"ipv6Support", Q("false"), nullptr, nullptr,
         "6:16: error: ipv6Support: expected true or false, got 'false'"},
        {"ipv6Support", S("no"), nullptr, nullptr,
         "6:16: error: ipv6Support: expected true or false, got 'no'"},
        {"ipv6Support", Null(), "Ipv6Support", "true", nullptr},  // null = unset
        {"chainInsertMode", Seq({S("insert")}), nullptr, nullptr,
         "7:5: error: chainInsertMode: expected a single value, not a list"},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.field);
        Diagnostics d;
        FelixParams p = felix_from_yaml(Map({{c.field, c.value}}), d);
        if (c.error) {
            EXPECT_EQ(lines_of(d), Lines{std::string("resources.d/felix.yaml:") + c.error});
            continue;
        }
        EXPECT_TRUE(d.empty()) << d.format();
        EXPECT_EQ(format_felix_value(p, c.name), c.want);
    }
}

TEST(ConfigFelixConfiguration, FailsafePorts) {
    struct Case {
        yaml::Node value;
        const char* want;  // effective FailsafeInboundHostPorts, or nullptr
        Lines errors;
    } cases[] = {
        {Seq({Map({{"protocol", S("TCP")}, {"port", S("22")}}),
              Map({{"protocol", S("UDP")}, {"port", S("53")}, {"net", S("10.1.0.0/16")}}),
              Map({{"protocol", S("TCP")}, {"port", S("22")}, {"net", S("2001:db8::1/64")}})}),
         "tcp:22,udp:10.1.0.0/16:53,tcp:[2001:db8::/64]:22",
         {}},
        {Seq({}), "none", {}},  // [] converts to `none`
        {Seq({Map({{"protocol", S("SCTP")}, {"port", S("9")}})}), "sctp:9", {}},
        {Seq({Map({{"protocol", S("tcp")}, {"port", S("22")}})}), nullptr,
         {"resources.d/felix.yaml:7:17: error: failsafeInboundHostPorts[0].protocol: 'tcp' must be "
          "TCP, UDP or SCTP (upper case)"}},
        {Seq({Map({{"port", S("22")}})}), nullptr,
         {"resources.d/felix.yaml:7:7: error: failsafeInboundHostPorts[0]: protocol is required "
          "(TCP, UDP or SCTP)"}},
        {Seq({Map({{"protocol", S("UDP")}})}), nullptr,
         {"resources.d/felix.yaml:7:7: error: failsafeInboundHostPorts[0]: port is required"}},
        {Seq({Map({{"protocol", S("UDP")}, {"port", Q("53")}})}), nullptr,
         {"resources.d/felix.yaml:8:13: error: failsafeInboundHostPorts[0].port: expected a number "
          "0-65535, got '53'"}},
        {Seq({Map({{"protocol", S("UDP")}, {"port", S("70000")}})}), nullptr,
         {"resources.d/felix.yaml:8:13: error: failsafeInboundHostPorts[0].port: expected a number "
          "0-65535, got '70000'"}},
        {Seq({Map({{"protocol", S("UDP")}, {"port", S("53")}, {"net", S("10.0.0.300")}})}), nullptr,
         {"resources.d/felix.yaml:9:12: error: failsafeInboundHostPorts[0].net: '10.0.0.300' is not "
          "an IP address or CIDR"}},
        {Seq({Map({{"protocol", S("UDP")}, {"prot", S("53")}})}), nullptr,
         {"resources.d/felix.yaml:8:7: error: failsafeInboundHostPorts[0]: unknown field 'prot' "
          "(protocol, port, net)"}},
        {Seq({S("tcp:22")}), nullptr,
         {"resources.d/felix.yaml:7:7: error: failsafeInboundHostPorts[0]: expected a mapping with "
          "protocol, port and net"}},
        {S("tcp:22"), nullptr,
         {"resources.d/felix.yaml:6:29: error: failsafeInboundHostPorts: expected a list of "
          "{protocol, port, net} ([] for none)"}},
    };
    for (auto& c : cases) {
        Diagnostics d;
        FelixParams p = felix_from_yaml(Map({{"failsafeInboundHostPorts", c.value}}), d);
        EXPECT_EQ(lines_of(d), c.errors);
        if (c.want) {
            EXPECT_EQ(format_felix_value(p, "FailsafeInboundHostPorts"), c.want);
            EXPECT_EQ(p.origin("FailsafeInboundHostPorts").format(), "resources.d/felix.yaml:6:3");
        } else {
            EXPECT_EQ(p.failsafe_inbound, default_failsafe_inbound());  // nothing half-applied
        }
    }
}

TEST(ConfigFelixConfiguration, IgnoredFieldsWarnTyposFail) {
    Diagnostics d;
    felix_from_yaml(Map({{"bpfEnabled", S("true")},
                         {"logSeverityScreen", S("Info")},
                         {"chainInsertmode", S("append")},
                         {"failsafeICMPv6ND", S("false")},
                         {"iptablesRefrshInterval", S("10s")}}),
                    d);
    EXPECT_EQ(lines_of(d), (Lines{
        "resources.d/felix.yaml:6:3: warning: FelixConfiguration field 'bpfEnabled' is ignored by "
        "hepd",
        "resources.d/felix.yaml:7:3: warning: FelixConfiguration field 'logSeverityScreen' is "
        "ignored by hepd",
        "resources.d/felix.yaml:8:3: error: unknown FelixConfiguration field 'chainInsertmode' (did "
        "you mean 'chainInsertMode'?)",
        "resources.d/felix.yaml:9:3: error: unknown FelixConfiguration field 'failsafeICMPv6ND': "
        "FailsafeICMPv6ND is hepd's own; set it in [global] of hepd.conf or as UCI option "
        "failsafe_icmpv6_nd",
        "resources.d/felix.yaml:10:3: error: unknown FelixConfiguration field "
        "'iptablesRefrshInterval'",
    }));
}

TEST(ConfigFelixConfiguration, SpecShapes) {
    {
        Diagnostics d;
        std::vector<Doc> docs{{"default", S("oops")}};
        auto fc = docs_of(docs);
        resolve_felix_params(nullptr, "", nullptr, "", fc, "r1", d);
        EXPECT_EQ(lines_of(d), Lines{"resources.d/felix.yaml:6:3: error: FelixConfiguration spec "
                                     "must be a mapping"});
    }
    {
        Diagnostics d;
        std::vector<FelixConfigDoc> fc{{"default", nullptr, Location{"f.yaml", 1, 1}}};
        FelixParams p = resolve_felix_params(nullptr, "", nullptr, "", fc, "r1", d);
        EXPECT_TRUE(d.empty());
        EXPECT_EQ(p.origins.size(), 0u);
    }
}

TEST(ConfigPrecedence, FourLayers) {
    // default sets A B C D, node.r1 sets B C D, hepd.conf [global] sets C D, UCI sets D.
    std::vector<Doc> docs{
        {"node.r1",
         Map({{"logPrefix", S("node")},
              {"chainInsertMode", S("Append")},
              {"iptablesFilterDenyAction", S("Reject")}}),
         "resources.d/20-node.yaml"},
        {"default",
         Map({{"interfacePrefix", S("veth")},
              {"logPrefix", S("default")},
              {"chainInsertMode", S("Insert")},
              {"iptablesFilterDenyAction", S("Drop")}}),
         "resources.d/10-default.yaml"},
        {"node.other", Map({{"interfacePrefix", S("other")}}), "resources.d/30-other.yaml"},
    };
    auto fc = docs_of(docs);
    ini::File f = ini_of("[global]\nChainInsertMode = insert\nIptablesFilterDenyAction = drop\n");
    uci::File u = uci_of("config hepd 'main'\n\toption iptables_filter_deny_action 'REJECT'\n");
    Diagnostics d;
    FelixParams p = resolve_felix_params(&f, "hepd.conf", &u, "/etc/config/hepd", fc, "r1", d);
    EXPECT_EQ(lines_of(d), Lines{"/etc/config/hepd:2:2: warning: uci:main: 'iptables_filter_deny_action' "
                                 "overrides IptablesFilterDenyAction set at hepd.conf:3 (UCI wins)"});
    EXPECT_EQ(format_felix_value(p, "InterfacePrefix"), "veth");
    EXPECT_EQ(p.origin("InterfacePrefix").format(), "resources.d/10-default.yaml:6:3");
    EXPECT_EQ(format_felix_value(p, "LogPrefix"), "node");
    EXPECT_EQ(p.origin("LogPrefix").format(), "resources.d/20-node.yaml:6:3");
    EXPECT_EQ(format_felix_value(p, "ChainInsertMode"), "insert");
    EXPECT_EQ(p.origin("ChainInsertMode").format(), "hepd.conf:2");
    EXPECT_EQ(format_felix_value(p, "IptablesFilterDenyAction"), "REJECT");
    EXPECT_EQ(p.origin("IptablesFilterDenyAction").format(), "uci:main:2");
    EXPECT_EQ(p.origin("Ipv6Support").format(), "default");
}

TEST(ConfigPrecedence, OtherDocumentsAreValidatedButNotApplied) {
    std::vector<Doc> docs{
        {"node.other", Map({{"logPrefix", S("other")}, {"chainInsertMode", S("sideways")}})},
        {"custom", Map({{"logPrefix", S("custom")}})},
        {"default", Map({{"logPrefix", S("one")}})},
        {"default", Map({{"logPrefix", S("two")}})},
    };
    auto fc = docs_of(docs);
    Diagnostics d;
    FelixParams p = resolve_felix_params(nullptr, "", nullptr, "", fc, "r1", d);
    EXPECT_EQ(lines_of(d), (Lines{
        "resources.d/felix.yaml:1:1: warning: FelixConfiguration 'custom' is ignored: hepd reads "
        "'default' and 'node.r1'",
        "resources.d/felix.yaml:1:1: error: duplicate FelixConfiguration 'default' (also at "
        "resources.d/felix.yaml:1:1)",
        "resources.d/felix.yaml:7:20: error: chainInsertMode: 'sideways' is not one of insert, "
        "append",
    }));
    EXPECT_EQ(p.log_prefix, "one");
}

TEST(ConfigPrecedence, OverriddenValuesAreStillValidated) {
    // As in Felix, a bad value is an error even where a higher layer overrides it.
    std::vector<Doc> docs{{"default", Map({{"chainInsertMode", S("sideways")}})}};
    auto fc = docs_of(docs);
    ini::File f = ini_of("[global]\nChainInsertMode = append\n");
    Diagnostics d;
    FelixParams p = resolve_felix_params(&f, "hepd.conf", nullptr, "", fc, "r1", d);
    EXPECT_EQ(lines_of(d), Lines{"resources.d/felix.yaml:6:20: error: chainInsertMode: 'sideways' "
                                 "is not one of insert, append"});
    EXPECT_EQ(p.chain_insert_mode, ChainInsertMode::append);
}

// ---- InterfaceExclude / InterfacePrefix matching ------------------------------------------------

TEST(ConfigInterfaces, ExcludeMatching) {
    struct Case {
        const char* exclude;
        const char* iface;
        bool excluded;
    } cases[] = {
        {"kube-ipvs0", "kube-ipvs0", true},
        {"kube-ipvs0", "kube-ipvs01", false},
        {"kube-ipvs0", "kube", false},
        {"/^veth/", "veth1234", true},
        {"/^veth/", "aveth", false},
        {"/eth/", "veth0", true},  // unanchored, like Go's MatchString
        {"/^eth0\\.2$/", "eth0.2", true},
        {"/^eth0\\.2$/", "eth0x2", false},
        {"/^eth0\\.2$/", "eth0.20", false},
        {"/^(wg|tun)[0-9]+$/", "wg0", true},
        {"/^(wg|tun)[0-9]+$/", "tun12", true},
        {"/^(wg|tun)[0-9]+$/", "tap1", false},
        {"lo,/^br-/", "br-lan", true},
        {"lo,/^br-/", "lo", true},
        {"lo,/^br-/", "eth1", false},
        {"none", "kube-ipvs0", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.exclude) + " ~ " + c.iface);
        Diagnostics d;
        FelixParams p = felix_from_ini(std::string("[global]\nInterfaceExclude = ") + c.exclude, d);
        ASSERT_TRUE(d.empty()) << d.format();
        EXPECT_EQ(is_excluded_interface(p, c.iface), c.excluded);
    }
}

TEST(ConfigInterfaces, ExcludeSurvivesCopies) {
    Diagnostics d;
    FelixParams a = felix_from_ini("[global]\nInterfaceExclude = /^wan/\n", d);
    FelixParams b = a;
    a = FelixParams{};
    EXPECT_TRUE(is_excluded_interface(b, "wan6"));
    EXPECT_FALSE(is_excluded_interface(a, "wan6"));
}

TEST(ConfigInterfaces, WorkloadPrefixes) {
    Diagnostics d;
    FelixParams p = felix_from_ini("[global]\nInterfacePrefix = cali,tap\n", d);
    EXPECT_TRUE(is_workload_interface(p, "cali12ab"));
    EXPECT_TRUE(is_workload_interface(p, "tap0"));
    EXPECT_FALSE(is_workload_interface(p, "eth0"));
    EXPECT_FALSE(is_workload_interface(FelixParams{}, "tap0"));
}

// ---- parse/format helpers -----------------------------------------------------------------------

TEST(ConfigPorts, RoundTrip) {
    const char* texts[] = {
        "tcp:22",
        "tcp:22,udp:68,tcp:179",
        "udp:198.18.0.0/15:53",
        "tcp:[2001:db8::/32]:22,udp:[2001:db8::5/128]:547",
    };
    for (const char* t : texts) {
        std::vector<FailsafePort> v;
        ASSERT_FALSE(parse_failsafe_ports(t, v).has_value()) << t;
        EXPECT_EQ(format_failsafe_ports(v), t);
    }
    std::vector<FailsafePort> keep{{FailsafeProto::udp, 1, std::nullopt}};
    EXPECT_TRUE(parse_failsafe_ports("tcp:x", keep).has_value());
    EXPECT_EQ(keep.size(), 1u);  // untouched on error
}

// ---- format_config ------------------------------------------------------------------------------

TEST(ConfigFormat, EveryValueWithItsOrigin) {
    ini::File f = ini_of("[hepd]\nnode = gw\n[global]\nLogPrefix = hepd\n");
    uci::File u = uci_of("config hepd 'main'\n\toption mode 'audit'\n");
    Diagnostics d;
    DaemonConfig c = load_daemon_config(&f, "/etc/hepd/hepd.conf", &u, "/etc/config/hepd", "x", d);
    FelixParams p = resolve_felix_params(&f, "/etc/hepd/hepd.conf", &u, "/etc/config/hepd", {},
                                         c.node, d);
    ASSERT_TRUE(d.empty()) << d.format();
    const std::string out = format_config(c, p);
    auto row = [](std::string name, std::string text) {
        name.resize(36, ' ');
        return "\n" + name + text + "\n";
    };
    EXPECT_EQ(out.rfind("hepd configuration: effective value (origin)\n[hepd]\n", 0), 0u) << out;
    EXPECT_NE(out.find(row("node", "gw  (/etc/hepd/hepd.conf:2)")), std::string::npos) << out;
    EXPECT_NE(out.find(row("mode", "audit  (uci:main:2)")), std::string::npos) << out;
    EXPECT_NE(out.find(row("uci_config", "none  (default)")), std::string::npos) << out;
    EXPECT_NE(out.find(row("FailsafeInboundHostPorts", "tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,") +
                       std::string(36, ' ') + "tcp:6666,tcp:6667  (default)\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(row("LogPrefix", "hepd  (/etc/hepd/hepd.conf:4)")), std::string::npos) << out;
    for (const auto& k : config_keys()) {
        EXPECT_NE(out.find("\n" + std::string(k.name) + " "), std::string::npos) << k.name;
    }
}

TEST(ConfigFormat, EightyColumnsPlainAscii) {
    DaemonConfig c;
    c.node = "n";
    c.resource_dir = "/a/very/long/path/" + std::string(120, 'x') + "/\xc3\xa9t\xc3\xa9";
    c.origins["resource_dir"] = Location{"/etc/" + std::string(90, 'y') + "/hepd.conf", 3, 0};
    FelixParams p;
    std::vector<FailsafePort> many;
    for (uint16_t i = 1; i <= 40; ++i) many.push_back({FailsafeProto::udp, i, std::nullopt});
    p.failsafe_outbound = many;
    const std::string out = format_config(c, p);
    std::istringstream in(out);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        EXPECT_LE(line.size(), 80u) << line;
        for (char ch : line) {
            EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << line;
        }
    }
    EXPECT_GT(n, 36u);
    EXPECT_NE(out.find("\\xc3\\xa9t\\xc3\\xa9"), std::string::npos);
}

// ---- config/hepd.conf ---------------------------------------------------------------------------

std::string read_shipped_conf() {
    for (std::string path : {"config/hepd.conf", "../config/hepd.conf", "../../config/hepd.conf"}) {
        std::ifstream in(path);
        if (in) {
            std::stringstream ss;
            ss << in.rdbuf();
            return ss.str();
        }
    }
    std::string here = __FILE__;  // tests/unit/config_test.cpp
    std::ifstream in(here.substr(0, here.rfind("tests/unit/")) + "config/hepd.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(ConfigShipped, HepdConfIsValidAndDocumentsEveryKey) {
    const std::string text = read_shipped_conf();
    ASSERT_FALSE(text.empty()) << "config/hepd.conf not found";

    // As shipped: valid, and everything at its default.
    {
        ini::File f = ini_of(text);
        Diagnostics d;
        DaemonConfig c = load_daemon_config(&f, "hepd.conf", nullptr, "", "gw", d);
        resolve_felix_params(&f, "hepd.conf", nullptr, "", {}, c.node, d);
        EXPECT_TRUE(d.empty()) << d.format();
    }
    // Every key appears as a commented-out "; key = default" line; uncommenting them all gives a
    // valid file whose values are the built-in defaults.
    std::string uncommented;
    std::istringstream in(text);
    std::string line;
    std::set<std::string> seen;
    while (std::getline(in, line)) {
        if (line.rfind("; ", 0) == 0 && line.find(" = ") != std::string::npos) {
            std::string key = line.substr(2, line.find(" = ") - 2);
            bool known = std::any_of(config_keys().begin(), config_keys().end(),
                                     [&](const ConfigKey& k) { return k.name == key; });
            if (known) {
                seen.insert(key);
                line = line.substr(2);
            }
        }
        uncommented += line + "\n";
    }
    for (const auto& k : config_keys()) {
        if (k.section.empty()) continue;  // UCI-only
        EXPECT_TRUE(seen.count(std::string(k.name))) << "config/hepd.conf lacks " << k.name;
    }
    ini::File f = ini_of(uncommented);
    Diagnostics d;
    DaemonConfig c = load_daemon_config(&f, "hepd.conf", nullptr, "", "gw", d);
    FelixParams p = resolve_felix_params(&f, "hepd.conf", nullptr, "", {}, c.node, d);
    EXPECT_TRUE(d.empty()) << d.format();
    DaemonConfig dc;
    FelixParams dp;
    for (const auto& k : config_keys()) {
        if (k.section == "hepd" && k.name != "node") {
            EXPECT_EQ(format_daemon_value(c, k.name), format_daemon_value(dc, k.name)) << k.name;
        }
        if (k.section == "global") {
            EXPECT_EQ(format_felix_value(p, k.name), format_felix_value(dp, k.name)) << k.name;
        }
    }
}

TEST(ConfigKeys, UciNamesAreUniqueAndSnakeCase) {
    std::set<std::string> names;
    for (const auto& k : config_keys()) {
        if (k.uci.empty()) continue;
        EXPECT_TRUE(names.insert(std::string(k.uci)).second) << k.uci;
        for (char ch : k.uci) {
            EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << k.uci;
        }
    }
    for (const char* expected : {"enabled", "mode", "ipv6", "failsafe_in", "failsafe_out",
                                 "chain_insert", "refresh_interval", "confirm_timeout",
                                 "resource_dir", "log_level", "xtables_lock", "lock_wait"}) {
        EXPECT_TRUE(names.count(expected)) << expected;  // OPENWRT.md's UCI schema
    }
}

}  // namespace
}  // namespace hepd
