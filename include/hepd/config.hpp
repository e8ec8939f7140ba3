// SPDX-License-Identifier: GPL-2.0-or-later
// Configuration: the daemon's own settings ([hepd] in hepd.conf) and the Felix parameters that
// shape host-endpoint protection ([global] in hepd.conf, FelixConfiguration resources, UCI).
//
// Sources, highest precedence first (CLI.md):
//
//     UCI `config hepd` section  \  same level; when both set a key, UCI wins with a warning
//     hepd.conf [hepd]/[global]  /
//     FelixConfiguration node.<node>            (Felix parameters only)
//     FelixConfiguration default                (Felix parameters only)
//     built-in defaults                         (hepd's, see ARCHITECTURE.md for the failsafes)
//
// Every source is validated in full, also where a higher one overrides it (as Felix does), and
// every problem is reported with its file and line. Every effective value remembers where it came
// from (`origin()`), for `hepd status` and for error messages.
//
// The functions take already-parsed files (ini::File, uci::File, yaml::Node): the caller reads
// and parses, this module does no I/O and keeps no state. InterfaceExclude regexes are compiled
// with POSIX regcomp (extended syntax), not std::regex, to keep the static binary small.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"
#include "hepd/net.hpp"

namespace hepd {

namespace ini { struct File; }
namespace uci { struct File; }
namespace yaml { struct Node; }

// An iptables verdict, as the Felix action parameters and fallback_action name them. Each
// parameter admits only some of them (see the table in config_felix.cpp).
enum class Verdict : uint8_t { accept, drop, reject, return_ };
// "ACCEPT", "DROP", "REJECT", "RETURN" (Felix's canonical spelling).
std::string_view verdict_name(Verdict v);

enum class ChainInsertMode : uint8_t { insert, append };
enum class LogLevel : uint8_t { error, warn, info, debug };
// enforce programs the rules; audit is the LOG-only dry run (OPENWRT.md).
enum class RunMode : uint8_t { enforce, audit };

// Where each effective value came from, keyed by the [hepd] key ("node") or the Felix parameter
// name ("FailsafeInboundHostPorts"). A key without an entry has its built-in default. Location
// forms: {"hepd.conf", 12} for the INI file, {"resources.d/felix.yaml", 7, 3} for a
// FelixConfiguration field, {"uci:main", 5} or {"uci:@hepd[0]", 5} for UCI (with the UCI file's
// line), {"hostname"} for the node name taken from the hostname.
using Origins = std::map<std::string, Location, std::less<>>;

// The [hepd] section (CLI.md) plus the UCI-only `enabled`.
struct DaemonConfig {
    bool enabled = true;  // UCI `enabled` only; the init script reads it too
    std::string node;     // default: the hostname, lower-cased as Calico does
    std::string resource_dir = "/etc/hepd/resources.d";
    std::string uci_config;  // empty: no UCI file (`none` in hepd.conf means the same)
    std::string socket = "/var/run/hepd/hepd.sock";
    std::string state_dir = "/var/run/hepd";
    std::string confirmed_dir = "/etc/hepd/confirmed";
    bool ipv6 = true;
    uint32_t watchdog_timeout = 10;  // seconds, 1..3600
    Verdict fallback_action = Verdict::drop;  // drop or accept only
    uint32_t confirm_timeout = 0;    // seconds, 0..86400; 0 = applies need no confirmation
    LogLevel log_level = LogLevel::info;
    std::string xtables_lock = "/run/xtables.lock";
    uint32_t lock_wait = 5;          // seconds, 0..3600
    RunMode mode = RunMode::enforce;

    Origins origins;
    // The origin of `key`, or {"default"} when the built-in default applies.
    Location origin(std::string_view key) const;
};

enum class FailsafeProto : uint8_t { tcp, udp, sctp };
std::string_view failsafe_proto_name(FailsafeProto p);  // "tcp", "udp", "sctp"

// One entry of FailsafeInboundHostPorts/FailsafeOutboundHostPorts. Without a net the entry goes
// into both the IPv4 and the IPv6 tables; with one, only into that family's (SEMANTICS.md 2.10).
struct FailsafePort {
    FailsafeProto proto = FailsafeProto::tcp;
    uint16_t port = 0;
    std::optional<Cidr> net;  // stored masked, as Felix does
    bool operator==(const FailsafePort&) const = default;
};

enum class RateUnit : uint8_t { second, minute, hour, day };
// LogActionRateLimit "N/unit": N in 1..9999.
struct LogRateLimit {
    uint16_t count = 0;
    RateUnit unit = RateUnit::second;
    bool operator==(const LogRateLimit&) const = default;
};

class PosixRegex;  // a compiled POSIX ERE (regcomp), immutable once built

// One InterfaceExclude element: a plain interface name (matched exactly) or `/regex/` (a POSIX
// extended regular expression, matched anywhere in the name as Go's MatchString does; anchor it
// with ^ and $ to match whole names).
struct InterfaceMatcher {
    std::string text;                          // as written: "kube-ipvs0" or "/^veth/"
    std::shared_ptr<const PosixRegex> regex;   // null for a plain name
    bool matches(std::string_view iface) const;
    bool operator==(const InterfaceMatcher& o) const { return text == o.text; }
};

std::vector<FailsafePort> default_failsafe_inbound();   // tcp:22,udp:68,tcp:179,tcp:2379,...
std::vector<FailsafePort> default_failsafe_outbound();  // udp:53,udp:67,tcp:179,tcp:2379,...

// The Felix parameters of SEMANTICS.md 1.9, plus hepd's own FailsafeICMPv6ND.
struct FelixParams {
    std::vector<FailsafePort> failsafe_inbound = default_failsafe_inbound();
    std::vector<FailsafePort> failsafe_outbound = default_failsafe_outbound();
    bool failsafe_icmpv6_nd = true;  // hepd's own: ICMPv6 types 133-137 are failsafe
    Verdict default_endpoint_to_host_action = Verdict::drop;  // drop, return_ or accept
    Verdict iptables_filter_allow_action = Verdict::accept;   // accept or return_
    Verdict iptables_mangle_allow_action = Verdict::accept;   // accept or return_
    Verdict iptables_filter_deny_action = Verdict::drop;      // drop or reject
    ChainInsertMode chain_insert_mode = ChainInsertMode::insert;
    // Felix takes (fractional) seconds; hepd keeps milliseconds (rounded). 0 = no periodic resync.
    std::chrono::milliseconds iptables_refresh_interval{180000};
    std::chrono::milliseconds iptables_post_write_check_interval{5000};
    std::vector<std::string> interface_prefixes{"cali"};  // never empty
    std::vector<InterfaceMatcher> interface_exclude{InterfaceMatcher{"kube-ipvs0", nullptr}};
    // %t, %k, %n, %p are expanded by the renderer (SEMANTICS.md 1.9). `none` resets it to
    // "calico-packet", which is what Felix's renderer uses for an empty prefix.
    std::string log_prefix = "calico-packet";
    std::optional<LogRateLimit> log_action_rate_limit;  // unset: LOG rules are not rate limited
    uint32_t log_action_rate_limit_burst = 5;           // 0..9999
    uint32_t iptables_mark_mask = 0xffff0000;           // at least 6 bits set
    bool disable_conntrack_invalid_check = false;
    bool ipv6_support = true;

    Origins origins;
    Location origin(std::string_view name) const;
};

// A FelixConfiguration resource as the resource loader found it.
struct FelixConfigDoc {
    std::string name;                    // metadata.name
    const yaml::Node* spec = nullptr;    // the `spec` mapping, or nullptr / a null node when absent
    Location where;                      // the document (for messages about the resource itself)
};

// Reads the [hepd] keys of hepd.conf and the daemon options of the UCI `config hepd` section.
// `ini` and `uci` may be null (no such file). The caller parses hepd.conf, reads `uci_config`
// from it (or from this function's result with uci = nullptr), parses that file, then calls this.
// This function also owns the structural checks of both files: unknown INI sections, keys outside
// a section, more than one `config hepd` section, and UCI options in it that are neither daemon
// options nor Felix parameters. `hostname` is the node name default (lower-cased); an empty or
// invalid hostname is an error only when `node` is not set.
DaemonConfig load_daemon_config(const ini::File* ini, std::string_view ini_path,
                                const uci::File* uci, std::string_view uci_path,
                                std::string_view hostname, Diagnostics& diags);

// Resolves the Felix parameters from [global] in hepd.conf, the Felix options of the UCI hepd
// section and the FelixConfiguration resources `docs` (every one is validated; `default` and
// `node.<node>` are applied; other node.* names are for other nodes; any other name is ignored
// with a warning). Real Felix parameters/fields that hepd does not use are accepted with a
// warning "ignored by hepd"; unknown names are errors.
FelixParams resolve_felix_params(const ini::File* ini, std::string_view ini_path,
                                 const uci::File* uci, std::string_view uci_path,
                                 const std::vector<FelixConfigDoc>& docs, std::string_view node,
                                 Diagnostics& diags);

// Every effective value and its origin, one setting per line (long values wrap), plain ASCII,
// at most 80 columns. For `hepd status` and debugging.
std::string format_config(const DaemonConfig& daemon, const FelixParams& felix);

// The effective value of one key in its canonical text form ("tcp:22,udp:68", "0xffff0000",
// "180", "DROP", "none" for an empty list or unset value); empty for an unknown key.
std::string format_daemon_value(const DaemonConfig& c, std::string_view key);
std::string format_felix_value(const FelixParams& p, std::string_view name);

// True when `iface` matches an InterfaceExclude element: such interfaces are never governed by a
// named or IP-matched HostEndpoint (SEMANTICS.md 1.9).
bool is_excluded_interface(const FelixParams& p, std::string_view iface);
// True when `iface` starts with one of the InterfacePrefix prefixes (a workload interface).
bool is_workload_interface(const FelixParams& p, std::string_view iface);
// ip6tables is programmed only when both [hepd] ipv6 and Felix's Ipv6Support are true.
inline bool ipv6_enabled(const DaemonConfig& d, const FelixParams& f) {
    return d.ipv6 && f.ipv6_support;
}

// Felix's config-file syntax for a failsafe port list (PortListParam): comma-separated `port`,
// `proto:port`, `proto:net:port` or `proto:[v6net]:port`; proto tcp or udp, case-insensitive,
// default tcp. Returns the problem, or nullopt and fills `out`. (`none` is handled by callers.)
std::optional<std::string> parse_failsafe_ports(std::string_view text,
                                                std::vector<FailsafePort>& out);
// The inverse: "tcp:22,udp:10.0.0.0/8:53,tcp:[2001:db8::/32]:22"; "none" for an empty list.
std::string format_failsafe_ports(const std::vector<FailsafePort>& ports);

// One row per configuration key, for documentation and tests: `section` is "hepd" or "global"
// (empty for the UCI-only `enabled`), `name` the hepd.conf key, `uci` the option in
// `config hepd` (empty when not settable there), `v3` the FelixConfiguration spec field (empty
// when none). Daemon keys first, then Felix parameters, each in format_config's order.
struct ConfigKey {
    std::string_view section;
    std::string_view name;
    std::string_view uci;
    std::string_view v3;
};
std::span<const ConfigKey> config_keys();

}  // namespace hepd
