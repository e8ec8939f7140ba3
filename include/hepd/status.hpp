// SPDX-License-Identifier: GPL-2.0-or-later
// status: everything `hepd status` shows, as one value, and its two printed forms.
//
// The daemon fills a StatusReport (from its own state, the last apply and the kernel counters);
// the CLI fills one from the kernel tables when the daemon is gone. Both print it with the pure
// formatters below, so the serial-console screen and the JSON that LuCI reads are the same facts.
//
// Pure: no clock, no I/O. Times of day are text the caller supplies ("12:04:31"); durations are
// plain numbers (uptime in seconds, apply duration in milliseconds, confirm time left in seconds).
//
// The text form (OPENWRT.md, "hepd status on a serial console"), at the default width of 80:
//
//   hepd 0.3.1  PENDING-CONFIRM  pid 812  up 2d04h  backend iptables-legacy
//   apply   #42 ok 12:04:31 (38 ms, v4+v6, 214 rules, 12 set members)
//   confirm PENDING 57s (until 12:05:28) -> hepd confirm | hepd rollback
//   fw      fw4 active (nft); hepd adds legacy tables
//   failsafe in tcp:22,80,443 udp:53,67,68 icmp6:133-137 | out udp:53,67
//               icmp6:133-137
//   ENDPOINT     IFACE     STATE  LABELS                IN/OUT ACCEPT p/B   DROP p/B
//   wan          eth1      up     role=wan                 3/2   12M/4.5G   1.2k/88K
//   all-ifaces   *         -      -                        1/1          -          -
//   ORDER  POLICY                     SELECTOR                                  HITS
//   100    allow-mgmt-lan             role == 'lan'                             8.1k
//   watch   09:12 worker missed heartbeats for 10 s; default rules; restarted
//   warn: rules repaired x2 (last 09:12): hepd chains missing - re-applied
//
// IN/OUT counts the policies and profiles that apply each way; ACCEPT and DROP are packets/bytes.
// The header shows pid, uptime, backend and node, each only when it fits the width.
//
// Rules of the text form:
//  - plain ASCII: a byte outside 0x20..0x7e in any supplied text prints as \xNN;
//  - every line has at most `width` characters (also for silly widths: the last resort cuts the
//    line); a cell or line that was cut ends in the marker '~';
//  - numbers are humanised (format_count, format_bytes): "1.2k" packets, "88K" bytes;
//  - sections with nothing to show are left out (a running daemon without endpoints says so,
//    and "apply none yet" before its first apply); an empty report prints one header line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/config.hpp"
#include "hepd/labels.hpp"

namespace hepd {

// What the daemon is doing. status_exit_code() maps it to CLI.md's exit codes.
enum class DaemonState : uint8_t {
    not_running,      // no daemon; the report comes from the kernel tables (exit 2)
    starting,         // loading and applying the first ruleset (exit 1)
    enforcing,        // the configured ruleset is in the kernel (exit 0)
    degraded,         // rules in place, but something is wrong: see the warnings (exit 1)
    pending_confirm,  // an apply waits for `hepd confirm` before its deadline (exit 3)
    rolled_back,      // the last apply was not confirmed and was undone (exit 1)
    default_rules,    // the supervisor installed the default rules after a worker failure:
                      // shown as DEGRADED, with the watchdog's events (exit 1)
    audit,            // mode=audit: LOG-only dry run, nothing is enforced (exit 1)
    stood_down,       // `hepd teardown` removed the rules; the daemon enforces nothing (exit 2)
};
// "ENFORCING", "PENDING-CONFIRM", ... (text form); status_state_key: "pending_confirm" (JSON).
std::string_view status_state_name(DaemonState s);
std::string_view status_state_key(DaemonState s);

enum class ApplyResult : uint8_t {
    ok,        // programmed
    failed,    // the kernel said no (commit failed); the previous rules stay
    rejected,  // the configuration had errors; nothing was programmed
};
std::string_view apply_result_name(ApplyResult r);  // "ok", "failed", "rejected"

struct ApplySummary {
    uint64_t seq = 0;            // 1 for the first apply since the daemon started
    ApplyResult result = ApplyResult::ok;
    std::string at;              // wall time, as the caller formats it ("12:04:31"); may be empty
    uint64_t duration_ms = 0;
    bool v4 = true;              // families programmed (or attempted)
    bool v6 = false;
    uint64_t rules = 0;          // rules in hepd chains, both families
    uint64_t set_members = 0;    // members of hepd ipsets
    std::string error;           // failed/rejected: the first error, one line; empty when ok
    bool operator==(const ApplySummary&) const = default;
};

struct ConfirmReport {
    uint64_t remaining_s = 0;    // seconds left before the automatic rollback
    std::string deadline;        // wall time of the rollback ("12:05:28"); may be empty
    bool operator==(const ConfirmReport&) const = default;
};

// The failsafe ports in force: the traffic that passes whatever the policies say.
struct FailsafeReport {
    std::vector<FailsafePort> in;
    std::vector<FailsafePort> out;
    bool icmpv6_nd = false;  // ICMPv6 types 133-137, in and out
    bool operator==(const FailsafeReport&) const = default;
};

struct Counters {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    bool operator==(const Counters&) const = default;
};

enum class IfaceState : uint8_t {
    up,
    down,
    absent,  // the named interface does not exist (yet)
    any,     // the endpoint is interfaceName "*": printed as "-"
};
std::string_view link_state_name(IfaceState s);  // "up", "down", "absent", "any"

struct EndpointStatus {
    std::string name;        // HostEndpoint name
    std::string iface;       // interface name, or "*"
    IfaceState state = IfaceState::absent;
    Labels labels;
    uint32_t policies_in = 0;   // ingress policies and profiles that apply (Binding)
    uint32_t policies_out = 0;
    std::optional<Counters> accepted;  // unset: not known (kernel not read)
    std::optional<Counters> dropped;
    bool operator==(const EndpointStatus&) const = default;
};

struct PolicyStatus {
    std::optional<double> order;  // unset prints "-" (Calico: nil order sorts last)
    std::string name;
    std::string selector;         // as written
    std::optional<uint64_t> hits; // packets that matched one of its rules; unset: not known
    bool operator==(const PolicyStatus&) const = default;
};

// A supervisor event: "worker missed heartbeats for 10 s; default rules; restarted".
struct WatchdogEvent {
    std::string at;    // wall time text; may be empty
    std::string what;
    bool operator==(const WatchdogEvent&) const = default;
};

enum class WarningKind : uint8_t {
    config_rejected,  // the files on flash have errors; the previous rules stay
    rules_repaired,   // hepd chains or jumps were changed or removed by someone else, and restored
    backend_error,    // libiptc/libipset/netlink failed
    lock_timeout,     // the xtables lock was not free within lock_wait
    other,
};
// "config rejected", "rules repaired", "backend error", "lock timeout", "" (text form);
// warning_kind_key: "config_rejected", ... , "other" (JSON).
std::string_view warning_kind_name(WarningKind k);
std::string_view warning_kind_key(WarningKind k);

struct StatusWarning {
    WarningKind kind = WarningKind::other;
    uint64_t count = 1;                // how many times (repairs, lock timeouts); shown when > 1
    std::string at;                    // wall time of the last one; may be empty
    std::string message;               // one line
    std::vector<std::string> details;  // config_rejected: the first diagnostics, formatted
    bool ongoing = false;              // still the case now: makes an enforcing daemon degraded
    bool operator==(const StatusWarning&) const = default;
};

struct StatusReport {
    DaemonState state = DaemonState::not_running;
    std::string version;         // "0.3.1"; empty: unknown
    int64_t pid = 0;             // 0: unknown / not running
    std::optional<uint64_t> uptime_s;
    std::string backend;         // "iptables-legacy (libiptc)"
    std::string node;            // HostEndpoints of this node are programmed
    std::string firewall;        // one line about the system firewall ("fw4 active (nft); ...")

    std::optional<ApplySummary> last_apply;
    std::optional<ConfirmReport> confirm;  // set while an apply waits for confirmation

    std::optional<FailsafeReport> failsafe;  // unset: not known (not shown)

    std::vector<EndpointStatus> endpoints;  // in the order to show ("*" endpoints last)
    std::vector<PolicyStatus> policies;     // in evaluation order
    std::vector<WatchdogEvent> watchdog;    // oldest first; the text form shows the last 3
    std::vector<StatusWarning> warnings;
    std::vector<std::string> notes;         // free-form lines ("read from the kernel tables")

    bool operator==(const StatusReport&) const = default;
};

// The state the report stands for: `enforcing` with an ongoing warning is `degraded`.
DaemonState effective_state(const StatusReport& r);

// CLI.md: 0 enforcing, 1 degraded (and starting, rolled back, default rules, audit), 2 not
// running (and stood down), 3 confirm pending.
int status_exit_code(const StatusReport& r);

// The screen described at the top of this file. Ends with '\n'; every line <= width characters.
std::string format_status_text(const StatusReport& r, size_t width = 80);

// One JSON object on one line, ending with '\n'. Keys in a fixed order (the order of the struct
// fields); strings are escaped to pure ASCII (\uXXXX for every non-ASCII code point, U+FFFD for a
// byte that is not valid UTF-8); unknown values are null. "exit_code" is status_exit_code().
std::string format_status_json(const StatusReport& r);

// Humanised numbers, at most 4 characters, rounded down so that "1.2k" means at least 1200:
// counts are decimal (999, 1.2k, 12k, 999k, 1.0M ... 18E), bytes binary (1023, 1.0K, 88K, 4.5G).
std::string format_count(uint64_t n);
std::string format_bytes(uint64_t n);
// "45s", "12m05s", "3h07m", "2d04h", "1234d00h".
std::string format_uptime(uint64_t seconds);
// Failsafe ports grouped by protocol (and net) in first-seen order: "tcp:22,80 udp:53".
std::string format_failsafe_summary(const std::vector<FailsafePort>& ports);

}  // namespace hepd
