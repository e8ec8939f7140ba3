// SPDX-License-Identifier: GPL-2.0-or-later
// The Felix parameters hepd uses: one row per parameter (name, FelixConfiguration field, UCI
// option, parser), and their resolution across the four layers.
//
// How a value travels (the same path Felix takes, so the same text means the same thing):
//
//   FelixConfiguration spec field --(felixconfigprocessor.go conversion)--+
//   hepd.conf [global] Name = text ----------------------------------------+--> row.parse(text)
//   UCI option/list in `config hepd` --(list values joined with ',')------+
//
// `none` sets the zero value (an error for non-zero parameters), an empty value keeps the lower
// layer's value (config_params.go UpdateFrom/resolve). Failsafe port lists from YAML are built
// directly from the {protocol, port, net} items so each problem points at its item.

#include <algorithm>

#include "config_internal.hpp"
#include "hepd/ini.hpp"
#include "hepd/uci.hpp"
#include "hepd/yaml.hpp"

namespace hepd {

Location FelixParams::origin(std::string_view name) const {
    auto it = origins.find(name);
    if (it != origins.end()) return it->second;
    return Location{"default", 0, 0};
}

namespace config_detail {

namespace {

Problem parse_verdict(std::string_view raw, std::initializer_list<Verdict> allowed, Verdict& out) {
    std::string names;
    for (Verdict v : allowed) {
        if (iequals(raw, verdict_name(v))) {
            out = v;
            return std::nullopt;
        }
        if (!names.empty()) names += ", ";
        names += verdict_name(v);
    }
    return quote(raw) + " is not one of " + names;
}

#define VERDICT_ROW(NAME, V3, UCI, FIELD, ...)                                                   \
    FelixRow {                                                                                   \
        NAME, V3, UCI, V3Type::string, true, false,                                              \
            [](std::string_view raw, bool, FelixParams& p) -> Problem {                          \
                return parse_verdict(raw, {__VA_ARGS__}, p.FIELD);                               \
            },                                                                                   \
            [](FelixParams&) {},                                                                 \
            [](const FelixParams& p) { return std::string(verdict_name(p.FIELD)); }, nullptr     \
    }

#define BOOL_ROW(NAME, V3, UCI, V3TYPE, FIELD)                                                   \
    FelixRow {                                                                                   \
        NAME, V3, UCI, V3TYPE, false, false,                                                     \
            [](std::string_view raw, bool uci, FelixParams& p) -> Problem {                      \
                return parse_bool(raw, uci, p.FIELD);                                            \
            },                                                                                   \
            [](FelixParams& p) { p.FIELD = false; },                                             \
            [](const FelixParams& p) { return std::string(p.FIELD ? "true" : "false"); }, nullptr \
    }

#define PORTS_ROW(NAME, V3, UCI, FIELD)                                                          \
    FelixRow {                                                                                   \
        NAME, V3, UCI, V3Type::proto_ports, false, true,                                         \
            [](std::string_view raw, bool, FelixParams& p) -> Problem {                          \
                return parse_failsafe_ports(raw, p.FIELD);                                       \
            },                                                                                   \
            [](FelixParams& p) { p.FIELD.clear(); },                                             \
            [](const FelixParams& p) { return format_failsafe_ports(p.FIELD); },                 \
            &FelixParams::FIELD                                                                  \
    }

#define SECONDS_ROW(NAME, V3, UCI, FIELD)                                                        \
    FelixRow {                                                                                   \
        NAME, V3, UCI, V3Type::duration, false, false,                                           \
            [](std::string_view raw, bool, FelixParams& p) -> Problem {                          \
                return parse_seconds(raw, p.FIELD);                                              \
            },                                                                                   \
            [](FelixParams& p) { p.FIELD = std::chrono::milliseconds(0); },                      \
            [](const FelixParams& p) { return format_seconds(p.FIELD); }, nullptr                \
    }

// The order is the order of SEMANTICS.md 1.9, and of `format_config` and config/hepd.conf.
const FelixRow rows[] = {
    PORTS_ROW("FailsafeInboundHostPorts", "failsafeInboundHostPorts", "failsafe_in",
              failsafe_inbound),
    PORTS_ROW("FailsafeOutboundHostPorts", "failsafeOutboundHostPorts", "failsafe_out",
              failsafe_outbound),
    BOOL_ROW("FailsafeICMPv6ND", "", "failsafe_icmpv6_nd", V3Type::none, failsafe_icmpv6_nd),
    VERDICT_ROW("DefaultEndpointToHostAction", "defaultEndpointToHostAction",
                "default_endpoint_to_host_action", default_endpoint_to_host_action, Verdict::drop,
                Verdict::return_, Verdict::accept),
    VERDICT_ROW("IptablesFilterAllowAction", "iptablesFilterAllowAction",
                "iptables_filter_allow_action", iptables_filter_allow_action, Verdict::accept,
                Verdict::return_),
    VERDICT_ROW("IptablesMangleAllowAction", "iptablesMangleAllowAction",
                "iptables_mangle_allow_action", iptables_mangle_allow_action, Verdict::accept,
                Verdict::return_),
    VERDICT_ROW("IptablesFilterDenyAction", "iptablesFilterDenyAction",
                "iptables_filter_deny_action", iptables_filter_deny_action, Verdict::drop,
                Verdict::reject),
    FelixRow{"ChainInsertMode", "chainInsertMode", "chain_insert", V3Type::string, true, false,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 if (iequals(raw, "insert")) p.chain_insert_mode = ChainInsertMode::insert;
                 else if (iequals(raw, "append")) p.chain_insert_mode = ChainInsertMode::append;
                 else return quote(raw) + " is not one of insert, append";
                 return std::nullopt;
             },
             [](FelixParams&) {},
             [](const FelixParams& p) {
                 return std::string(p.chain_insert_mode == ChainInsertMode::insert ? "insert"
                                                                                   : "append");
             },
             nullptr},
    SECONDS_ROW("IptablesRefreshInterval", "iptablesRefreshInterval", "refresh_interval",
                iptables_refresh_interval),
    SECONDS_ROW("IptablesPostWriteCheckIntervalSecs", "iptablesPostWriteCheckInterval",
                "iptables_post_write_check_interval_secs", iptables_post_write_check_interval),
    FelixRow{"InterfacePrefix", "interfacePrefix", "interface_prefix", V3Type::string, true, true,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 return parse_interface_prefixes(raw, p.interface_prefixes);
             },
             [](FelixParams&) {},
             [](const FelixParams& p) {
                 std::string out;
                 for (const auto& s : p.interface_prefixes) out += (out.empty() ? "" : ",") + s;
                 return out;
             },
             nullptr},
    FelixRow{"InterfaceExclude", "interfaceExclude", "interface_exclude", V3Type::string, false,
             true,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 return parse_interface_exclude(raw, p.interface_exclude);
             },
             [](FelixParams& p) { p.interface_exclude.clear(); },
             [](const FelixParams& p) {
                 if (p.interface_exclude.empty()) return std::string("none");
                 std::string out;
                 for (const auto& m : p.interface_exclude) out += (out.empty() ? "" : ",") + m.text;
                 return out;
             },
             nullptr},
    FelixRow{"LogPrefix", "logPrefix", "log_prefix", V3Type::string, false, false,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 if (auto e = check_log_prefix(raw)) return e;
                 p.log_prefix = std::string(raw);
                 return std::nullopt;
             },
             [](FelixParams& p) { p.log_prefix = "calico-packet"; },
             [](const FelixParams& p) { return p.log_prefix; }, nullptr},
    FelixRow{"LogActionRateLimit", "logActionRateLimit", "log_action_rate_limit", V3Type::string,
             false, false,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 return parse_log_rate_limit(raw, p.log_action_rate_limit);
             },
             [](FelixParams& p) { p.log_action_rate_limit.reset(); },
             [](const FelixParams& p) { return format_log_rate_limit(p.log_action_rate_limit); },
             nullptr},
    FelixRow{"LogActionRateLimitBurst", "logActionRateLimitBurst", "log_action_rate_limit_burst",
             V3Type::integer, false, false,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 int64_t v = 0;
                 if (auto e = parse_go_int(raw, true, v)) return e;
                 // Felix's own int(0,9999) tag works out as ">= 0"; the v3 API says 0..9999.
                 if (v < 0 || v > 9999) return quote(raw) + " is out of range (0 to 9999)";
                 p.log_action_rate_limit_burst = static_cast<uint32_t>(v);
                 return std::nullopt;
             },
             [](FelixParams& p) { p.log_action_rate_limit_burst = 0; },
             [](const FelixParams& p) { return std::to_string(p.log_action_rate_limit_burst); },
             nullptr},
    FelixRow{"IptablesMarkMask", "iptablesMarkMask", "iptables_mark_mask", V3Type::integer, true,
             false,
             [](std::string_view raw, bool, FelixParams& p) -> Problem {
                 return parse_mark_mask(raw, p.iptables_mark_mask);
             },
             [](FelixParams&) {},
             [](const FelixParams& p) { return format_hex32(p.iptables_mark_mask); }, nullptr},
    BOOL_ROW("DisableConntrackInvalidCheck", "disableConntrackInvalidCheck",
             "disable_conntrack_invalid_check", V3Type::boolean, disable_conntrack_invalid_check),
    BOOL_ROW("Ipv6Support", "ipv6Support", "ipv6_support", V3Type::boolean, ipv6_support),
};

#undef VERDICT_ROW
#undef BOOL_ROW
#undef PORTS_ROW
#undef SECONDS_ROW

}  // namespace

std::span<const FelixRow> felix_rows() { return rows; }

const FelixRow* find_felix_row(std::string_view name_ci) {
    for (const auto& r : rows) {
        if (iequals(r.name, name_ci)) return &r;
    }
    return nullptr;
}

const FelixRow* find_felix_row_uci(std::string_view uci) {
    for (const auto& r : rows) {
        if (r.uci == uci) return &r;
    }
    return nullptr;
}

const FelixRow* find_felix_row_v3(std::string_view v3) {
    if (v3.empty()) return nullptr;
    for (const auto& r : rows) {
        if (r.v3 == v3) return &r;
    }
    return nullptr;
}

}  // namespace config_detail

using namespace config_detail;

namespace {

Location at(const Location& file, const yaml::Node& n) {
    return Location{file.file, n.line, n.col};
}

// Applies one raw Felix value. Returns true when it set the parameter.
bool apply_raw(const FelixRow& row, std::string_view raw, bool uci, const Location& err_at,
               const Location& origin, std::string_view shown, FelixParams& p, Diagnostics& diags) {
    if (raw.empty()) return false;
    if (iequals(raw, "none")) {
        if (row.non_zero) {
            diags.error(err_at, std::string(shown) + ": cannot be 'none', it needs a value");
            return false;
        }
        row.zero(p);
    } else if (auto prob = row.parse(raw, uci, p)) {
        diags.error(err_at, std::string(shown) + ": " + *prob);
        return false;
    }
    p.origins[std::string(row.name)] = origin;
    return true;
}

// A failsafe list in the v3 form: [{protocol: TCP, port: 22, net: 10.0.0.0/8}, ...].
std::optional<std::vector<FailsafePort>> parse_v3_ports(const yaml::Node& v, std::string_view field,
                                                        const Location& file, Diagnostics& diags) {
    if (!v.is_sequence()) {
        diags.error(at(file, v), std::string(field) +
                                     ": expected a list of {protocol, port, net} ([] for none)");
        return std::nullopt;
    }
    std::vector<FailsafePort> out;
    bool ok = true;
    for (size_t i = 0; i < v.items.size(); ++i) {
        const yaml::Node& item = v.items[i];
        const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
        if (!item.is_mapping()) {
            diags.error(at(file, item), name + ": expected a mapping with protocol, port and net");
            ok = false;
            continue;
        }
        FailsafePort fp;
        bool have_proto = false, have_port = false, item_ok = true;
        for (const auto& e : item.entries) {
            const std::string& k = e.key.value;
            const yaml::Node& val = e.value;
            if (k != "protocol" && k != "port" && k != "net") {
                diags.error(at(file, e.key),
                            name + ": unknown field " + quote(k) + " (protocol, port, net)");
                item_ok = false;
                continue;
            }
            if (val.is_null()) continue;
            if (k == "protocol") {
                // validateProtoPort: exactly TCP, UDP or SCTP (case-sensitive).
                if (val.is_scalar() && val.value == "TCP") fp.proto = FailsafeProto::tcp;
                else if (val.is_scalar() && val.value == "UDP") fp.proto = FailsafeProto::udp;
                else if (val.is_scalar() && val.value == "SCTP") fp.proto = FailsafeProto::sctp;
                else {
                    std::string hint;
                    if (val.is_scalar() &&
                        (iequals(val.value, "tcp") || iequals(val.value, "udp") ||
                         iequals(val.value, "sctp")))
                        hint = " (upper case)";
                    diags.error(at(file, val), name + ".protocol: " +
                                                   (val.is_scalar() ? quote(val.value) + " " : "") +
                                                   "must be TCP, UDP or SCTP" + hint);
                    item_ok = false;
                    continue;
                }
                have_proto = true;
            } else if (k == "port") {
                int64_t n = -1;
                if (!val.is_scalar() || val.style != yaml::ScalarStyle::plain ||
                    parse_go_int(val.value, true, n) || n < 0 || n > 65535) {
                    diags.error(at(file, val), name + ".port: expected a number 0-65535" +
                                                   (val.is_scalar() ? ", got " + quote(val.value)
                                                                    : std::string()));
                    item_ok = false;
                    continue;
                }
                fp.port = static_cast<uint16_t>(n);
                have_port = true;
            } else {  // net
                std::optional<Cidr> c;
                if (val.is_scalar()) c = parse_cidr(val.value, true);
                if (val.is_scalar() && val.value.empty()) continue;
                if (!c) {
                    diags.error(at(file, val),
                                name + ".net: " + (val.is_scalar() ? quote(val.value) : "value") +
                                    " is not an IP address or CIDR");
                    item_ok = false;
                    continue;
                }
                fp.net = c->masked();
            }
        }
        if (item_ok && !have_proto) {
            diags.error(at(file, item), name + ": protocol is required (TCP, UDP or SCTP)");
            item_ok = false;
        }
        if (item_ok && !have_port) {
            diags.error(at(file, item), name + ": port is required");
            item_ok = false;
        }
        if (!item_ok) ok = false;
        else out.push_back(fp);
    }
    if (!ok) return std::nullopt;
    return out;
}

bool is_yaml_true(const yaml::Node& n) {
    return n.style == yaml::ScalarStyle::plain &&
           (n.value == "true" || n.value == "True" || n.value == "TRUE");
}

bool is_yaml_false(const yaml::Node& n) {
    return n.style == yaml::ScalarStyle::plain &&
           (n.value == "false" || n.value == "False" || n.value == "FALSE");
}

// One FelixConfiguration spec into `p`.
void apply_doc(const FelixConfigDoc& doc, FelixParams& p, Diagnostics& diags) {
    if (doc.spec == nullptr || doc.spec->is_null()) return;
    const yaml::Node& spec = *doc.spec;
    if (!spec.is_mapping()) {
        diags.error(at(doc.where, spec), "FelixConfiguration spec must be a mapping");
        return;
    }
    for (const auto& e : spec.entries) {
        const std::string& key = e.key.value;
        const yaml::Node& v = e.value;
        const Location key_at = at(doc.where, e.key);
        const Location val_at = at(doc.where, v);
        const FelixRow* row = find_felix_row_v3(key);
        if (row == nullptr) {
            if (is_felix_v3_field(key)) {
                diags.warning(key_at,
                              "FelixConfiguration field " + quote(key) + " is ignored by hepd");
            } else if (auto f = felix_v3_field_ci(key); !f.empty()) {
                diags.error(key_at, "unknown FelixConfiguration field " + quote(key) +
                                        " (did you mean '" + std::string(f) + "'?)");
            } else if (iequals(key, "failsafeICMPv6ND")) {
                diags.error(key_at, "unknown FelixConfiguration field " + quote(key) +
                                        ": FailsafeICMPv6ND is hepd's own; set it in [global] of "
                                        "hepd.conf or as UCI option failsafe_icmpv6_nd");
            } else {
                diags.error(key_at, "unknown FelixConfiguration field " + quote(key));
            }
            continue;
        }
        if (v.is_null()) continue;  // an unset pointer field in Go
        if (row->v3type == V3Type::proto_ports) {
            if (auto ports = parse_v3_ports(v, key, doc.where, diags)) {
                p.*(row->ports) = std::move(*ports);
                p.origins[std::string(row->name)] = key_at;
            }
            continue;
        }
        if (!v.is_scalar()) {
            diags.error(val_at, key + ": expected a single value, not a " +
                                    (v.is_mapping() ? "mapping" : "list"));
            continue;
        }
        std::string raw;
        switch (row->v3type) {
        case V3Type::string:
            raw = v.value;
            break;
        case V3Type::boolean:
            if (is_yaml_true(v)) raw = "true";
            else if (is_yaml_false(v)) raw = "false";
            else {
                diags.error(val_at, key + ": expected true or false, got " + quote(v.value));
                continue;
            }
            break;
        case V3Type::integer: {
            int64_t n = 0;
            if (v.style != yaml::ScalarStyle::plain || parse_go_int(v.value, true, n)) {
                diags.error(val_at, key + ": expected an integer, got " +
                                        (v.style == yaml::ScalarStyle::plain ? "" : "the string ") +
                                        quote(v.value));
                continue;
            }
            raw = std::to_string(n);
            break;
        }
        case V3Type::duration: {
            // metav1.Duration is a string; a bare YAML number does not unmarshal into it.
            bool bare_number = v.style == yaml::ScalarStyle::plain && !v.value.empty() &&
                               v.value.find_first_not_of("0123456789.") == std::string::npos;
            std::chrono::milliseconds ms{0};
            if (bare_number) {
                diags.error(val_at, key + ": expected a duration such as \"90s\", got the number " +
                                        v.value + " (add a unit)");
                continue;
            }
            if (auto prob = parse_go_duration(v.value, ms)) {
                diags.error(val_at, key + ": " + *prob);
                continue;
            }
            raw = format_seconds(ms);
            break;
        }
        case V3Type::none:
        case V3Type::proto_ports:
            continue;
        }
        apply_raw(*row, raw, false, val_at, key_at, key, p, diags);
    }
}

// Errors about an effective value point at the file, not at "uci:main".
Location error_location(const Location& origin, std::string_view uci_path) {
    if (origin.file.str().rfind("uci:", 0) == 0) return Location{std::string(uci_path), origin.line, 0};
    return origin;
}

void check_cross_fields(FelixParams& p, std::string_view uci_path, Diagnostics& diags) {
    if (p.log_action_rate_limit) {
        const auto& r = *p.log_action_rate_limit;
        if (p.log_action_rate_limit_burst == 0) {
            diags.error(error_location(p.origin("LogActionRateLimitBurst"), uci_path),
                        "LogActionRateLimitBurst: must be at least 1 when LogActionRateLimit is "
                        "set (the kernel's limit match refuses a burst of 0)");
        } else {
            // iptables' limit match: avg = 10000 * period / N, and the kernel multiplies avg by
            // the burst in 32 bits (xt_limit.c limit_mt_check), refusing an overflow.
            static const uint64_t period[] = {1, 60, 3600, 86400};
            const uint64_t avg = 10000 * period[static_cast<int>(r.unit)] / r.count;
            if (avg * p.log_action_rate_limit_burst > 0xffffffffull) {
                const std::string rate = format_log_rate_limit(r);
                diags.error(error_location(p.origin("LogActionRateLimit"), uci_path),
                            "LogActionRateLimit: " + rate + " with a burst of " +
                                std::to_string(p.log_action_rate_limit_burst) +
                                " overflows the kernel's limit match (burst x seconds per packet "
                                "must stay below 429497); use a faster rate or a smaller burst");
            }
        }
    }
    if (p.log_prefix.find('%') == std::string::npos && p.log_prefix.size() > 29) {
        diags.warning(error_location(p.origin("LogPrefix"), uci_path),
                      "LogPrefix: " + quote(p.log_prefix) + " is " +
                          std::to_string(p.log_prefix.size()) +
                          " characters; the kernel's LOG target keeps the first 29");
    }
}

}  // namespace

FelixParams resolve_felix_params(const ini::File* ini, std::string_view ini_path,
                                 const uci::File* uci, std::string_view uci_path,
                                 const std::vector<FelixConfigDoc>& docs, std::string_view node,
                                 Diagnostics& diags) {
    FelixParams p;

    // Layers 1 and 2: FelixConfiguration `default`, then `node.<node>`. Every document is
    // validated; the others go into a scratch value.
    const std::string mine = "node." + std::string(node);
    const FelixConfigDoc* def_doc = nullptr;
    const FelixConfigDoc* node_doc = nullptr;
    std::map<std::string, Location, std::less<>> seen_docs;
    std::vector<const FelixConfigDoc*> others;
    for (const auto& doc : docs) {
        auto [it, fresh] = seen_docs.emplace(doc.name, doc.where);
        if (!fresh) {
            diags.error(doc.where, "duplicate FelixConfiguration " + quote(doc.name) +
                                       " (also at " + it->second.format() + ")");
            others.push_back(&doc);
            continue;
        }
        if (doc.name == "default") {
            def_doc = &doc;
        } else if (!node.empty() && doc.name == mine) {
            node_doc = &doc;
        } else {
            if (doc.name.rfind("node.", 0) != 0) {
                diags.warning(doc.where, "FelixConfiguration " + quote(doc.name) +
                                             " is ignored: hepd reads 'default' and '" + mine +
                                             "'");
            }
            others.push_back(&doc);
        }
    }
    for (const FelixConfigDoc* doc : others) {
        FelixParams scratch;
        apply_doc(*doc, scratch, diags);
    }
    if (def_doc) apply_doc(*def_doc, p, diags);
    if (node_doc) apply_doc(*node_doc, p, diags);

    // Layer 3: [global] in hepd.conf.
    std::map<const FelixRow*, Location> ini_set;
    if (ini != nullptr) {
        std::map<const FelixRow*, uint32_t> seen;
        for (const auto& e : ini->entries) {
            if (!iequals(e.section, "global")) continue;
            const Location loc{std::string(ini_path), e.line, 0};
            const FelixRow* row = find_felix_row(e.key);
            if (row == nullptr) {
                if (is_felix_param_name(e.key)) {
                    diags.warning(loc, "Felix parameter " + quote(e.key) + " is ignored by hepd");
                } else if (find_daemon_row(e.key) != nullptr) {
                    diags.error(loc, "unknown Felix parameter " + quote(e.key) +
                                         " in [global]; it belongs in [hepd]");
                } else {
                    diags.error(loc, "unknown Felix parameter " + quote(e.key) + " in [global]");
                }
                continue;
            }
            auto [it, fresh] = seen.emplace(row, e.line);
            if (!fresh) {
                diags.error(loc, "duplicate parameter " + quote(e.key) +
                                     " in [global] (first set at line " +
                                     std::to_string(it->second) + ")");
                continue;
            }
            if (apply_raw(*row, e.value, false, loc, loc, e.key, p, diags)) ini_set[row] = loc;
        }
    }

    // Layer 3, same level: the UCI `config hepd` section (the first one; load_daemon_config
    // reports any other). UCI wins over hepd.conf, with a warning.
    if (uci != nullptr) {
        for (const auto& sec : uci->sections) {
            if (sec.type != "hepd") continue;
            const std::string ref = uci_section_ref(sec.type, sec.name, sec.type_index);
            for (const auto& opt : sec.options) {
                const FelixRow* row = find_felix_row_uci(opt.name);
                if (row == nullptr) continue;  // a daemon option, or unknown (reported there)
                const Location loc{std::string(uci_path), opt.line, opt.col};
                if (opt.is_list && !row->uci_list) {
                    diags.error(loc, ref + ": " + quote(opt.name) + " takes one value: use 'option " +
                                         opt.name + "', not 'list'");
                    continue;
                }
                std::string raw;
                for (const auto& v : opt.values) {
                    if (v.empty()) continue;
                    if (!raw.empty()) raw += ',';
                    raw += v;
                }
                if (!apply_raw(*row, raw, true, loc, Location{ref, opt.line, 0}, ref + ": " + opt.name,
                               p, diags))
                    continue;
                if (auto it = ini_set.find(row); it != ini_set.end()) {
                    diags.warning(loc, ref + ": " + quote(opt.name) + " overrides " + std::string(row->name) +
                                           " set at " + it->second.format() + " (UCI wins)");
                }
            }
            break;
        }
    }

    check_cross_fields(p, uci_path, diags);
    return p;
}

std::string format_felix_value(const FelixParams& p, std::string_view name) {
    const FelixRow* row = find_felix_row(name);
    return row ? row->format(p) : std::string();
}

}  // namespace hepd
