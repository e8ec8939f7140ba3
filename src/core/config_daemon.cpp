// SPDX-License-Identifier: GPL-2.0-or-later
// The [hepd] section of hepd.conf and the daemon options of UCI `config hepd`: one row per key,
// plus the structural checks of both files (unknown sections, keys and options).

#include "config_internal.hpp"
#include "hepd/ini.hpp"
#include "hepd/labels.hpp"
#include "hepd/uci.hpp"

namespace hepd {

Location DaemonConfig::origin(std::string_view key) const {
    auto it = origins.find(key);
    if (it != origins.end()) return it->second;
    return Location{"default", 0, 0};
}

namespace config_detail {

namespace {

Problem parse_path(std::string_view raw, std::string& out) {
    for (char c : raw) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return quote(raw) + " contains control characters";
    }
    out = std::string(raw);
    return std::nullopt;
}

Problem parse_seconds_u32(std::string_view raw, uint64_t min, uint64_t max, uint32_t& out) {
    uint64_t v = 0;
    if (auto p = parse_uint_decimal(raw, min, max, v)) return p;
    out = static_cast<uint32_t>(v);
    return std::nullopt;
}

std::string_view log_level_name(LogLevel l) {
    switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "info";
}

#define PATH_ROW(NAME, UCI, FIELD)                                                               \
    DaemonRow {                                                                                  \
        NAME, UCI, true,                                                                         \
            [](std::string_view raw, bool, DaemonConfig& c) -> Problem {                         \
                return parse_path(raw, c.FIELD);                                                 \
            },                                                                                   \
            [](const DaemonConfig& c) { return c.FIELD; }                                        \
    }

#define SECONDS_ROW(NAME, FIELD, MIN, MAX)                                                       \
    DaemonRow {                                                                                  \
        NAME, NAME, true,                                                                        \
            [](std::string_view raw, bool, DaemonConfig& c) -> Problem {                         \
                return parse_seconds_u32(raw, MIN, MAX, c.FIELD);                                \
            },                                                                                   \
            [](const DaemonConfig& c) { return std::to_string(c.FIELD); }                        \
    }

// The order is CLI.md's, then the keys this module adds; UCI-only `enabled` comes first.
const DaemonRow rows[] = {
    DaemonRow{"enabled", "enabled", false,
              [](std::string_view raw, bool uci, DaemonConfig& c) -> Problem {
                  return parse_bool(raw, uci, c.enabled);
              },
              [](const DaemonConfig& c) { return std::string(c.enabled ? "true" : "false"); }},
    DaemonRow{"node", "node", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  // HostEndpoint spec.node is validated as a DNS-1123 subdomain, so any other
                  // node name could never match one.
                  if (!is_dns1123_subdomain(raw)) {
                      return quote(raw) +
                             " is not a valid node name (lower-case a-z, 0-9, '-' and '.', as "
                             "HostEndpoint spec.node)";
                  }
                  c.node = std::string(raw);
                  return std::nullopt;
              },
              [](const DaemonConfig& c) { return c.node; }},
    PATH_ROW("resource_dir", "resource_dir", resource_dir),
    DaemonRow{"uci_config", "", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  if (iequals(raw, "none")) {
                      c.uci_config.clear();
                      return std::nullopt;
                  }
                  return parse_path(raw, c.uci_config);
              },
              [](const DaemonConfig& c) {
                  return c.uci_config.empty() ? std::string("none") : c.uci_config;
              }},
    DaemonRow{"socket", "socket", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  // sockaddr_un.sun_path is 108 bytes including the terminating NUL.
                  if (raw.size() > 107)
                      return "path is " + std::to_string(raw.size()) +
                             " bytes; a socket path can have at most 107";
                  return parse_path(raw, c.socket);
              },
              [](const DaemonConfig& c) { return c.socket; }},
    PATH_ROW("state_dir", "state_dir", state_dir),
    PATH_ROW("confirmed_dir", "confirmed_dir", confirmed_dir),
    DaemonRow{"ipv6", "ipv6", true,
              [](std::string_view raw, bool uci, DaemonConfig& c) -> Problem {
                  return parse_bool(raw, uci, c.ipv6);
              },
              [](const DaemonConfig& c) { return std::string(c.ipv6 ? "true" : "false"); }},
    SECONDS_ROW("watchdog_timeout", watchdog_timeout, 1, 3600),
    DaemonRow{"fallback_action", "fallback_action", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  if (iequals(raw, "drop")) c.fallback_action = Verdict::drop;
                  else if (iequals(raw, "accept")) c.fallback_action = Verdict::accept;
                  else return quote(raw) + " is not one of Drop, Accept";
                  return std::nullopt;
              },
              [](const DaemonConfig& c) {
                  return std::string(c.fallback_action == Verdict::accept ? "Accept" : "Drop");
              }},
    SECONDS_ROW("confirm_timeout", confirm_timeout, 0, 86400),
    DaemonRow{"log_level", "log_level", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  for (LogLevel l : {LogLevel::error, LogLevel::warn, LogLevel::info,
                                     LogLevel::debug}) {
                      if (iequals(raw, log_level_name(l))) {
                          c.log_level = l;
                          return std::nullopt;
                      }
                  }
                  return quote(raw) + " is not one of error, warn, info, debug";
              },
              [](const DaemonConfig& c) { return std::string(log_level_name(c.log_level)); }},
    PATH_ROW("xtables_lock", "xtables_lock", xtables_lock),
    SECONDS_ROW("lock_wait", lock_wait, 0, 3600),
    DaemonRow{"mode", "mode", true,
              [](std::string_view raw, bool, DaemonConfig& c) -> Problem {
                  if (iequals(raw, "enforce")) c.mode = RunMode::enforce;
                  else if (iequals(raw, "audit")) c.mode = RunMode::audit;
                  else return quote(raw) + " is not one of enforce, audit";
                  return std::nullopt;
              },
              [](const DaemonConfig& c) {
                  return std::string(c.mode == RunMode::audit ? "audit" : "enforce");
              }},
};

#undef PATH_ROW
#undef SECONDS_ROW

// Names people may guess from the Felix parameter, for a "did you mean" in UCI errors.
struct UciAlias {
    std::string_view guess;
    std::string_view option;
};
const UciAlias uci_aliases[] = {
    {"chain_insert_mode", "chain_insert"},
    {"iptables_refresh_interval", "refresh_interval"},
    {"failsafe_inbound_host_ports", "failsafe_in"},
    {"failsafe_outbound_host_ports", "failsafe_out"},
    {"iptables_post_write_check_interval", "iptables_post_write_check_interval_secs"},
};

}  // namespace

std::span<const DaemonRow> daemon_rows() { return rows; }

const DaemonRow* find_daemon_row(std::string_view name_ci) {
    for (const auto& r : rows) {
        if (iequals(r.name, name_ci)) return &r;
    }
    return nullptr;
}

const DaemonRow* find_daemon_row_uci(std::string_view uci) {
    for (const auto& r : rows) {
        if (!r.uci.empty() && r.uci == uci) return &r;
    }
    return nullptr;
}

}  // namespace config_detail

using namespace config_detail;

DaemonConfig load_daemon_config(const ini::File* ini, std::string_view ini_path,
                                const uci::File* uci, std::string_view uci_path,
                                std::string_view hostname, Diagnostics& diags) {
    DaemonConfig c;
    std::map<const DaemonRow*, Location> ini_set;

    if (ini != nullptr) {
        for (const auto& [name, line] : ini->sections) {
            if (!iequals(name, "hepd") && !iequals(name, "global")) {
                diags.error(Location{std::string(ini_path), line, 0},
                            "unknown section [" + name + "] (hepd.conf has [hepd] and [global])");
            }
        }
        std::map<const DaemonRow*, uint32_t> seen;
        for (const auto& e : ini->entries) {
            const Location loc{std::string(ini_path), e.line, 0};
            if (e.section.empty()) {
                diags.error(loc, quote(e.key) +
                                     " is outside any section (put it under [hepd] or [global])");
                continue;
            }
            if (!iequals(e.section, "hepd")) continue;
            const DaemonRow* row = find_daemon_row(e.key);
            if (row == nullptr || !row->in_ini) {
                if (find_felix_row(e.key) != nullptr || is_felix_param_name(e.key)) {
                    diags.error(loc, "unknown key " + quote(e.key) +
                                         " in [hepd]; Felix parameters go in [global]");
                } else {
                    diags.error(loc, "unknown key " + quote(e.key) + " in [hepd]");
                }
                continue;
            }
            auto [it, fresh] = seen.emplace(row, e.line);
            if (!fresh) {
                diags.error(loc, "duplicate key " + quote(e.key) +
                                     " in [hepd] (first set at line " +
                                     std::to_string(it->second) + ")");
                continue;
            }
            if (e.value.empty()) continue;  // empty keeps the default, as in [global]
            if (auto prob = row->parse(e.value, false, c)) {
                diags.error(loc, e.key + ": " + *prob);
                continue;
            }
            c.origins[std::string(row->name)] = loc;
            ini_set[row] = loc;
        }
    }

    if (uci != nullptr) {
        const uci::Section* first = nullptr;
        for (const auto& sec : uci->sections) {
            if (sec.type != "hepd") continue;
            if (first != nullptr) {
                diags.error(Location{std::string(uci_path), sec.line, 0},
                            uci_section_ref(sec.type, sec.name, sec.type_index) +
                                ": only one 'config hepd' section is allowed (the first is at line " +
                                std::to_string(first->line) + ")");
                continue;
            }
            first = &sec;
        }
        if (first != nullptr) {
            const std::string ref = uci_section_ref(first->type, first->name, first->type_index);
            for (const auto& opt : first->options) {
                const Location loc{std::string(uci_path), opt.line, opt.col};
                const DaemonRow* row = find_daemon_row_uci(opt.name);
                if (row == nullptr) {
                    if (find_felix_row_uci(opt.name) != nullptr) continue;
                    std::string msg = "unknown option " + quote(opt.name) + " in 'config hepd'";
                    if (opt.name == "uci_config") {
                        msg = "option 'uci_config' cannot be set in the UCI file itself (set it "
                              "in hepd.conf)";
                    }
                    for (const auto& a : uci_aliases) {
                        if (a.guess == opt.name)
                            msg += " (did you mean '" + std::string(a.option) + "'?)";
                    }
                    diags.error(loc, ref + ": " + msg);
                    continue;
                }
                if (opt.is_list) {
                    diags.error(loc, ref + ": " + quote(opt.name) + " takes one value: use 'option " +
                                         opt.name + "', not 'list'");
                    continue;
                }
                const std::string value = opt.values.empty() ? std::string() : opt.values.front();
                if (value.empty()) continue;
                if (auto prob = row->parse(value, true, c)) {
                    diags.error(loc, ref + ": " + opt.name + ": " + *prob);
                    continue;
                }
                c.origins[std::string(row->name)] = Location{ref, opt.line, 0};
                if (auto it = ini_set.find(row); it != ini_set.end()) {
                    diags.warning(loc, ref + ": " + quote(opt.name) + " overrides [hepd] " +
                                           std::string(row->name) + " set at " +
                                           it->second.format() + " (UCI wins)");
                }
            }
        }
    }

    if (c.node.empty()) {
        const std::string h = to_lower(hostname);
        const Location loc{std::string(ini_path), 0, 0};
        if (h.empty()) {
            diags.error(loc, "node is not set and the hostname is empty; set node in [hepd]");
        } else if (!is_dns1123_subdomain(h)) {
            diags.error(loc, "the hostname " + quote(h) +
                                 " is not a valid node name (lower-case a-z, 0-9, '-' and '.'); "
                                 "set node in [hepd]");
        } else {
            c.node = h;
            c.origins["node"] = Location{"hostname", 0, 0};
        }
    }
    return c;
}

std::string format_daemon_value(const DaemonConfig& c, std::string_view key) {
    const DaemonRow* row = find_daemon_row(key);
    return row ? row->format(c) : std::string();
}

}  // namespace hepd
