// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the config_*.cpp files only: the value parsers (Felix's config-file syntax, one
// function per Felix param type in felix/config/param_types.go) and the key tables.
//
// A parser returns the problem as text without the key name ("port 'x' is not a number"), or
// nullopt on success; the caller prefixes the key as the user wrote it and adds the location.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/config.hpp"

namespace hepd::config_detail {

using Problem = std::optional<std::string>;

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string quote(std::string_view s);  // 's' with non-printable bytes as \xNN

// Felix BoolParam: true/1/yes/y/t and false/0/no/n/f, case-insensitive. With `uci`, also the
// words OpenWrt's config_get_bool knows: on/off, enabled/disabled.
Problem parse_bool(std::string_view raw, bool uci, bool& out);
// A decimal whole number (no sign) in [min, max].
Problem parse_uint_decimal(std::string_view raw, uint64_t min, uint64_t max, uint64_t& out);
// Go's strconv.ParseInt/ParseUint with base 0: optional sign (signed only), 0x/0o/0b prefixes,
// a leading 0 for octal, '_' between digits. Magnitude must fit 64 bits.
Problem parse_go_int(std::string_view raw, bool allow_sign, int64_t& out);
Problem parse_go_uint(std::string_view raw, uint64_t& out);
// Felix SecondsParam: a decimal float number of seconds ("180", "1.5", "2e1"); hepd also refuses
// negative values, infinities, NaN and hex floats. Rounded to milliseconds.
Problem parse_seconds(std::string_view raw, std::chrono::milliseconds& out);
// Go's time.ParseDuration as metav1.Duration uses it: "90s", "1m30s", "1.5h", "300ms", "0".
// Negative durations are refused. Rounded down to milliseconds.
Problem parse_go_duration(std::string_view raw, std::chrono::milliseconds& out);
// "180", "1.5", "0.001": seconds with up to three decimals, no trailing zeros.
std::string format_seconds(std::chrono::milliseconds ms);

Problem parse_interface_prefixes(std::string_view raw, std::vector<std::string>& out);
Problem parse_interface_exclude(std::string_view raw, std::vector<InterfaceMatcher>& out);
Problem parse_log_rate_limit(std::string_view raw, std::optional<LogRateLimit>& out);
std::string format_log_rate_limit(const std::optional<LogRateLimit>& r);
Problem check_log_prefix(std::string_view raw);
Problem parse_mark_mask(std::string_view raw, uint32_t& out);
std::string format_hex32(uint32_t v);

// How a FelixConfiguration spec field is written in YAML, and so how it is turned into the Felix
// config-file string (libcalico-go's felixconfigprocessor.go does the same conversion).
enum class V3Type : uint8_t { none, string, boolean, integer, duration, proto_ports };

struct FelixRow {
    std::string_view name;  // Felix config-file name, canonical case
    std::string_view v3;    // FelixConfiguration spec field, empty for hepd's own
    std::string_view uci;   // option in `config hepd`
    V3Type v3type;
    bool non_zero;          // `none` is an error (Felix's non-zero flag)
    bool uci_list;          // `list` allowed in UCI (values are joined with ',')
    Problem (*parse)(std::string_view raw, bool uci, FelixParams& p);
    void (*zero)(FelixParams& p);  // what `none` sets
    std::string (*format)(const FelixParams& p);
    std::vector<FailsafePort> FelixParams::*ports;  // for V3Type::proto_ports rows, else null
};

struct DaemonRow {
    std::string_view name;  // [hepd] key
    std::string_view uci;   // UCI option, empty when not settable from UCI
    bool in_ini;            // settable in hepd.conf
    Problem (*parse)(std::string_view raw, bool uci, DaemonConfig& c);
    std::string (*format)(const DaemonConfig& c);
};

std::span<const FelixRow> felix_rows();
std::span<const DaemonRow> daemon_rows();
const FelixRow* find_felix_row(std::string_view name_ci);   // by Felix name, case-insensitive
const FelixRow* find_felix_row_uci(std::string_view uci);
const FelixRow* find_felix_row_v3(std::string_view v3);     // exact
const DaemonRow* find_daemon_row(std::string_view name_ci); // by [hepd] key, case-insensitive
const DaemonRow* find_daemon_row_uci(std::string_view uci);

// Every Felix config parameter name (felix/config/config_params.go) and every
// FelixConfigurationSpec json field (api/.../v3/felixconfig.go), for "ignored by hepd" warnings.
bool is_felix_param_name(std::string_view name_ci);
bool is_felix_v3_field(std::string_view field);
// The v3 field equal to `field` ignoring case, or empty.
std::string_view felix_v3_field_ci(std::string_view field);

// A provenance Location for UCI: {"uci:main", line} or {"uci:@hepd[0]", line}.
std::string uci_section_ref(std::string_view type, std::string_view name, uint32_t index);

}  // namespace hepd::config_detail
