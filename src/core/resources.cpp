// SPDX-License-Identifier: GPL-2.0-or-later
// Calico v3 resources: YAML tree -> validated model.
//
// Goals, and how this file meets them:
//  1. Accept exactly what `calicoctl get ... -o yaml` prints and reject what Calico's v3 validator
//     rejects (SEMANTICS.md section 1): every field has one row in a field table below, with its
//     type check; validation happens while the value is built, so the model holds only checked
//     values and the compiler cannot fail on user input.
//  2. Never drop anything silently: an unknown kind or field, a duplicate name or key is an error;
//     a field that hepd accepts but does not use is a warning.
//  3. Point at the line: every message carries file:line:col of the offending node and the field
//     path (spec.ingress[2].destination.ports[0]), and every problem is reported, not the first.
//  4. Bounded: documented limits (ModelLimits) on sizes and counts.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <set>

#include "hepd/model.hpp"
#include "hepd/selector.hpp"

namespace hepd {

namespace {

using yaml::Node;

struct Ctx {
    std::string_view file;
    Diagnostics& diags;
    std::string_view prefix;  // put before every message ("uci:@rule[3]: ") when the tree was synthesized

    Location loc(const Node& n) const { return Location{std::string(file), n.line, n.col}; }
    void error(const Node& n, std::string msg) { diags.error(loc(n), std::string(prefix) + msg); }
    void warning(const Node& n, std::string msg) { diags.warning(loc(n), std::string(prefix) + msg); }
};

std::string quote(std::string_view s) {
    // Long values are cut in messages so that one bad 1 MB scalar does not flood the report.
    std::string out = "'";
    if (s.size() > 80) {
        out.append(s.substr(0, 77));
        out += "...";
    } else {
        out.append(s);
    }
    out += '\'';
    return out;
}

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string sub(const std::string& path, std::string_view field) {
    return path.empty() ? std::string(field) : path + "." + std::string(field);
}

const char* kind_word(const Node& n) {
    switch (n.kind) {
    case yaml::NodeKind::null: return "null";
    case yaml::NodeKind::scalar: return "a scalar";
    case yaml::NodeKind::mapping: return "a mapping";
    case yaml::NodeKind::sequence: return "a list";
    }
    return "?";
}

// ---- scalar readers ------------------------------------------------------------------------
// Kubernetes decodes YAML through JSON: a string field takes any scalar (numbers and booleans
// keep their text here), a number or boolean field takes only an unquoted scalar.

std::optional<std::string> read_string(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_null()) return std::string();
    if (!n.is_scalar()) {
        c.error(n, path + ": expected a string, found " + kind_word(n));
        return std::nullopt;
    }
    return n.value;
}

std::optional<bool> read_bool(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_null()) return false;
    if (n.is_scalar() && n.style == yaml::ScalarStyle::plain) {
        static constexpr std::string_view yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
        static constexpr std::string_view no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
        for (auto y : yes)
            if (n.value == y) return true;
        for (auto f : no)
            if (n.value == f) return false;
    }
    c.error(n, path + ": expected true or false, found " + (n.is_scalar() ? quote(n.value) : kind_word(n)));
    return std::nullopt;
}

bool parse_u64(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

std::optional<double> read_number(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_scalar() && n.style == yaml::ScalarStyle::plain && !n.value.empty()) {
        double v = 0;
        const char* b = n.value.data();
        const char* e = b + n.value.size();
        if (*b == '+') ++b;
        auto [end, ec] = std::from_chars(b, e, v);
        if (ec == std::errc() && end == e && std::isfinite(v)) return v;
    }
    c.error(n, path + ": expected a number, found " + (n.is_scalar() ? quote(n.value) : kind_word(n)));
    return std::nullopt;
}

// A list of scalars; null is the empty list.
std::optional<std::vector<const Node*>> read_list(Ctx& c, const Node& n, const std::string& path) {
    std::vector<const Node*> out;
    if (n.is_null()) return out;
    if (!n.is_sequence()) {
        c.error(n, path + ": expected a list, found " + kind_word(n));
        return std::nullopt;
    }
    for (const auto& item : n.items) out.push_back(&item);
    return out;
}

// ---- field tables --------------------------------------------------------------------------

struct Field {
    std::string_view name;
    std::function<void(const Node&, const std::string&)> read;  // (value, path of the value)
};

// Reads a mapping through its table: every key must be a known field, at most once (the YAML
// reader already refuses duplicate keys). Unknown fields are errors naming the valid ones.
void read_fields(Ctx& c, const Node& map, const std::string& path, std::string_view what,
                 std::initializer_list<Field> fields) {
    if (map.is_null()) return;
    if (!map.is_mapping()) {
        c.error(map, (path.empty() ? std::string(what) : path) + ": expected a mapping, found " + kind_word(map));
        return;
    }
    for (const auto& e : map.entries) {
        if (!e.key.is_scalar()) {
            c.error(e.key, "keys in " + std::string(what) + " must be plain strings");
            continue;
        }
        const Field* f = nullptr;
        for (const auto& cand : fields) {
            if (cand.name == e.key.value) {
                f = &cand;
                break;
            }
        }
        if (!f) {
            std::string known;
            for (const auto& cand : fields) {
                if (!known.empty()) known += ", ";
                known += cand.name;
            }
            c.error(e.key, "unknown field " + quote(e.key.value) + " in " + std::string(what) +
                               " (known: " + known + ")");
            continue;
        }
        f->read(e.value, sub(path, e.key.value));
    }
}

// ---- shared value checks -------------------------------------------------------------------

void check_resource_name(Ctx& c, const Node& n, const std::string& name, std::string_view kind) {
    if (name.empty()) {
        c.error(n, "metadata.name is required");
        return;
    }
    if (kind == "GlobalNetworkPolicy") {
        // At most one dot: "name" or "tier.name"; each part a DNS label.
        size_t dot = name.find('.');
        bool ok = name.size() <= 253;
        if (ok && dot != std::string::npos) {
            ok = name.find('.', dot + 1) == std::string::npos &&
                 is_dns1123_label(std::string_view(name).substr(0, dot)) &&
                 is_dns1123_subdomain(std::string_view(name).substr(dot + 1));
        } else if (ok) {
            ok = is_dns1123_subdomain(name);
        }
        if (!ok)
            c.error(n, "metadata.name " + quote(name) +
                           " is not a valid policy name: lowercase letters, digits and '-', at most "
                           "one '.', starting and ending with a letter or digit");
        return;
    }
    if (!is_dns1123_subdomain(name))
        c.error(n, "metadata.name " + quote(name) +
                       " is not a valid name: lowercase letters, digits, '-' and '.', starting and "
                       "ending with a letter or digit, at most 253 characters");
}

std::optional<Labels> read_labels(Ctx& c, const Node& n, const std::string& path) {
    Labels out;
    if (n.is_null()) return out;
    if (!n.is_mapping()) {
        c.error(n, path + ": expected a mapping of labels, found " + kind_word(n));
        return std::nullopt;
    }
    bool ok = true;
    for (const auto& e : n.entries) {
        if (!e.key.is_scalar()) {
            c.error(e.key, path + ": label keys must be strings");
            ok = false;
            continue;
        }
        if (auto why = check_label_key(e.key.value)) {
            c.error(e.key, path + ": invalid label key " + quote(e.key.value) + ": " + *why);
            ok = false;
        }
        auto v = read_string(c, e.value, sub(path, e.key.value));
        if (!v) {
            ok = false;
            continue;
        }
        if (auto why = check_label_value(*v)) {
            c.error(e.value, path + ": invalid value " + quote(*v) + " for label " + quote(e.key.value) + ": " + *why);
            ok = false;
        }
        out.set(e.key.value, *v);
    }
    if (!ok) return std::nullopt;
    return out;
}

// Column of the first character of a scalar's text (after an opening quote).
Location text_loc(const Ctx& c, const Node& n) {
    Location l = c.loc(n);
    if (n.style == yaml::ScalarStyle::single_quoted || n.style == yaml::ScalarStyle::double_quoted) ++l.col;
    return l;
}

bool check_selector(Ctx& c, const Node& n, const std::string& path, const std::string& text, bool allow_global) {
    if (text.size() > ModelLimits::max_selector) {
        c.error(n, path + ": selector is " + std::to_string(text.size()) + " characters long, the limit is " +
                       std::to_string(ModelLimits::max_selector));
        return false;
    }
    Diagnostics sd;
    auto sel = Selector::parse(text, sd, text_loc(c, n));
    if (!sel) {
        for (const auto& d : sd.items()) {
            Diagnostic copy = d;
            copy.message = std::string(c.prefix) + path + ": " + copy.message;
            c.diags.add(std::move(copy));
        }
        return false;
    }
    if (!allow_global && sel->uses_global()) {
        c.error(n, path + ": global() is not allowed in this selector");
        return false;
    }
    return true;
}

// Annotations: keys are Kubernetes qualified names (checked lowercased, as Calico does), values any
// string, 256 KiB in all.
bool check_annotations(Ctx& c, const Node& v, const std::string& p) {
    if (v.is_null()) return true;
    if (!v.is_mapping()) {
        c.error(v, p + ": expected a mapping");
        return false;
    }
    bool ok = true;
    size_t total = 0;
    for (const auto& e : v.entries) {
        total += e.key.value.size() + e.value.value.size();
        std::string lowered = e.key.value;
        for (auto& ch : lowered)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (auto why = check_label_key(lowered)) {
            c.error(e.key, p + ": invalid annotation key " + quote(e.key.value) + ": " + *why);
            ok = false;
        }
        if (!e.value.is_scalar() && !e.value.is_null()) {
            c.error(e.value, p + "." + e.key.value + ": expected a string");
            ok = false;
        }
    }
    if (total > ModelLimits::max_annotations) {
        c.error(v, p + ": annotations total " + std::to_string(total) + " bytes, the limit is 256 KiB");
        ok = false;
    }
    return ok;
}

// ---- ports and protocols -------------------------------------------------------------------

// Kubernetes port names (IsValidPortName): at most 15 characters, lowercase letters, digits and
// '-', at least one letter, no "--", no '-' at either end.
std::optional<std::string> check_port_name(std::string_view s) {
    if (s.empty() || s.size() > 15) return "must be 1 to 15 characters";
    bool letter = false;
    for (char ch : s) {
        if (ch >= 'a' && ch <= 'z') {
            letter = true;
        } else if (!((ch >= '0' && ch <= '9') || ch == '-')) {
            return "must contain only lowercase letters, digits and '-'";
        }
    }
    if (!letter) return "must contain at least one letter";
    if (s.front() == '-' || s.back() == '-') return "must not start or end with '-'";
    if (s.find("--") != std::string_view::npos) return "must not contain '--'";
    return std::nullopt;
}

std::optional<PortSpec> read_port(Ctx& c, const Node& n, const std::string& path) {
    if (!n.is_scalar() || n.value.empty()) {
        c.error(n, path + ": expected a port number, range 'MIN:MAX' or port name");
        return std::nullopt;
    }
    const std::string& s = n.value;
    auto bad_number = [&](std::string_view what) {
        c.error(n, path + ": " + std::string(what));
        return std::nullopt;
    };
    bool digits = std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (digits) {
        uint64_t v = 0;
        if (!parse_u64(s, v) || v > 65535) return bad_number("port " + quote(s) + " is out of range (1-65535)");
        if (v == 0) return bad_number("port 0 is not valid (ports are 1-65535)");
        return PortSpec{static_cast<uint16_t>(v), static_cast<uint16_t>(v), {}};
    }
    size_t colon = s.find(':');
    if (colon != std::string::npos) {
        std::string_view a = std::string_view(s).substr(0, colon), b = std::string_view(s).substr(colon + 1);
        auto all_digits = [](std::string_view x) {
            return !x.empty() && std::all_of(x.begin(), x.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        };
        if (all_digits(a) && all_digits(b)) {
            uint64_t lo = 0, hi = 0;
            if (!parse_u64(a, lo) || !parse_u64(b, hi) || lo > 65535 || hi > 65535)
                return bad_number("port range " + quote(s) + " is out of range (1-65535)");
            if (lo == 0) return bad_number("port range " + quote(s) + " starts at 0 (ports are 1-65535)");
            if (lo > hi) return bad_number("port range " + quote(s) + " has its minimum above its maximum");
            return PortSpec{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi), {}};
        }
    }
    // A named port: the parser's own pattern first, then Kubernetes' port-name rules.
    bool syntax = s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char ch) {
                      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                             ch == '_' || ch == '.' || ch == '-';
                  });
    if (!syntax) return bad_number(quote(s) + " is not a port, a range 'MIN:MAX' or a port name");
    if (auto why = check_port_name(s)) return bad_number("invalid port name " + quote(s) + ": " + *why);
    return PortSpec{0, 0, s};
}

struct ProtoName {
    std::string_view name;
    uint8_t number;
};
constexpr ProtoName protocol_names[] = {{"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMPv6", 58}, {"SCTP", 132}, {"UDPLite", 136}};

std::optional<Protocol> read_protocol(Ctx& c, const Node& n, const std::string& path) {
    if (!n.is_scalar() || n.value.empty()) {
        c.error(n, path + ": expected a protocol name or number");
        return std::nullopt;
    }
    const std::string& s = n.value;
    if (std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        uint64_t v = 0;
        if (!parse_u64(s, v) || v < 1 || v > 255) {
            c.error(n, path + ": protocol number " + quote(s) + " is out of range (1-255)");
            return std::nullopt;
        }
        return Protocol{static_cast<uint8_t>(v), false};
    }
    for (const auto& p : protocol_names)
        if (s == p.name) return Protocol{p.number, true};
    c.error(n, path + ": " + quote(s) +
                   " is not a valid protocol: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite (case-sensitive) "
                   "or a number 1-255");
    return std::nullopt;
}

std::optional<IcmpMatch> read_icmp(Ctx& c, const Node& n, const std::string& path) {
    IcmpMatch m;
    bool ok = true;
    auto read_small = [&](const Node& v, const std::string& p, unsigned max) -> std::optional<uint8_t> {
        uint64_t x = 0;
        if (!v.is_scalar() || v.style != yaml::ScalarStyle::plain || !parse_u64(v.value, x) || x > max) {
            c.error(v, p + ": expected a number 0-" + std::to_string(max));
            ok = false;
            return std::nullopt;
        }
        return static_cast<uint8_t>(x);
    };
    read_fields(c, n, path, "icmp", {
        {"type", [&](const Node& v, const std::string& p) { if (!v.is_null()) m.type = read_small(v, p, 254); }},
        {"code", [&](const Node& v, const std::string& p) { if (!v.is_null()) m.code = read_small(v, p, 255); }},
    });
    if (m.code && !m.type) {
        c.error(n, path + ": icmp code requires an icmp type");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return m;
}

// ---- rules ---------------------------------------------------------------------------------

void read_cidr_list(Ctx& c, const Node& n, const std::string& path, std::vector<Cidr>& out, bool& ok) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_nets) {
        c.error(n, path + ": " + std::to_string(items->size()) + " entries, the limit is " +
                       std::to_string(ModelLimits::max_nets));
        ok = false;
        return;
    }
    for (size_t i = 0; i < items->size(); ++i) {
        const Node& it = *(*items)[i];
        // Calico's rule validator re-parses every entry as a CIDR: a bare address is refused.
        auto cidr = it.is_scalar() ? parse_cidr(it.value, false) : std::nullopt;
        if (!cidr) {
            if (it.is_scalar() && parse_ip(it.value))
                c.error(it, idx(path, i) + ": " + quote(it.value) + " needs a prefix length (" + it.value +
                                (it.value.find(':') != std::string::npos ? "/128" : "/32") + " for one address)");
            else
                c.error(it, idx(path, i) + ": " + (it.is_scalar() ? quote(it.value) : std::string(kind_word(it))) +
                                " is not a CIDR");
            ok = false;
            continue;
        }
        if (!cidr->is_network()) {
            c.error(it, idx(path, i) + ": " + quote(it.value) + " has host bits set; did you mean " +
                            cidr->masked().to_string() + "?");
            ok = false;
            continue;
        }
        out.push_back(cidr->masked());
    }
}

void read_port_list(Ctx& c, const Node& n, const std::string& path, std::vector<PortSpec>& out, bool& ok) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_ports) {
        c.error(n, path + ": " + std::to_string(items->size()) + " entries, the limit is " +
                       std::to_string(ModelLimits::max_ports));
        ok = false;
        return;
    }
    for (size_t i = 0; i < items->size(); ++i) {
        auto p = read_port(c, *(*items)[i], idx(path, i));
        if (p)
            out.push_back(*p);
        else
            ok = false;
    }
}

void reject_workload_field(Ctx& c, const Node& v, const std::string& path, std::string_view why) {
    if (v.is_null()) return;
    c.error(v, path + ": not supported by hepd: " + std::string(why));
}

void read_entity(Ctx& c, const Node& n, const std::string& path, EntityRule& e, bool& ok) {
    const Node* nets_node = nullptr;
    read_fields(c, n, path, "source/destination", {
        {"nets", [&](const Node& v, const std::string& p) { nets_node = &v; read_cidr_list(c, v, p, e.nets, ok); }},
        {"notNets", [&](const Node& v, const std::string& p) {
             read_cidr_list(c, v, p, e.not_nets, ok);
             for (size_t i = 0; i < e.not_nets.size(); ++i) {
                 if (e.not_nets[i].prefix == 0) {
                     c.error(v, p + ": " + e.not_nets[i].to_string() + " would match nothing; remove the rule instead");
                     ok = false;
                 }
             }
         }},
        {"selector", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s || !check_selector(c, v, p, *s, false)) ok = false; else e.selector = *s;
         }},
        {"notSelector", [&](const Node& v, const std::string& p) {
             // Calico's CEL ban on global() covers `selector` only.
             auto s = read_string(c, v, p);
             if (!s || !check_selector(c, v, p, *s, true)) ok = false; else e.not_selector = *s;
         }},
        {"ports", [&](const Node& v, const std::string& p) { read_port_list(c, v, p, e.ports, ok); }},
        {"notPorts", [&](const Node& v, const std::string& p) { read_port_list(c, v, p, e.not_ports, ok); }},
        {"namespaceSelector", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "namespaces select Kubernetes workloads, host endpoints have none");
             if (!v.is_null()) ok = false;
         }},
        {"serviceAccounts", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "service accounts belong to Kubernetes workloads");
             if (!v.is_null()) ok = false;
         }},
        {"services", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "Kubernetes services need a datastore");
             if (!v.is_null()) ok = false;
         }},
    });
    (void)nets_node;
}

std::optional<Rule> read_rule(Ctx& c, const Node& n, const std::string& path, Direction dir) {
    Rule r;
    r.where = c.loc(n);
    bool ok = true;
    bool has_action = false;
    const Node* icmp_node = nullptr;
    const Node* not_icmp_node = nullptr;
    const Node* ipv_node = nullptr;
    read_fields(c, n, path, "rule", {
        {"action", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             static constexpr std::pair<std::string_view, Action> actions[] = {
                 {"Allow", Action::allow}, {"Deny", Action::deny}, {"Log", Action::log}, {"Pass", Action::pass}};
             for (const auto& [name, a] : actions) {
                 if (*s == name) { r.action = a; has_action = true; return; }
             }
             c.error(v, p + ": " + quote(*s) + " is not a valid action: use Allow, Deny, Log or Pass (case-sensitive)");
             ok = false;
             has_action = true;  // reported already
         }},
        {"ipVersion", [&](const Node& v, const std::string& p) {
             ipv_node = &v;
             if (v.is_null()) return;
             if (v.is_scalar() && v.style == yaml::ScalarStyle::plain && (v.value == "4" || v.value == "6")) {
                 r.ip_version = static_cast<uint8_t>(v.value[0] - '0');
                 return;
             }
             c.error(v, p + ": must be 4 or 6");
             ok = false;
         }},
        {"protocol", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             r.protocol = read_protocol(c, v, p);
             if (!r.protocol) ok = false;
         }},
        {"notProtocol", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             r.not_protocol = read_protocol(c, v, p);
             if (!r.not_protocol) ok = false;
         }},
        {"icmp", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             icmp_node = &v;
             r.icmp = read_icmp(c, v, p);
             if (!r.icmp) ok = false;
         }},
        {"notICMP", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             not_icmp_node = &v;
             r.not_icmp = read_icmp(c, v, p);
             if (!r.not_icmp) ok = false;
         }},
        {"source", [&](const Node& v, const std::string& p) { read_entity(c, v, p, r.source, ok); }},
        {"destination", [&](const Node& v, const std::string& p) { read_entity(c, v, p, r.destination, ok); }},
        {"http", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             c.error(v, p + ": not supported by hepd: HTTP matches need Calico's application layer policy");
             ok = false;
         }},
        {"metadata", [&](const Node& v, const std::string& p) {
             read_fields(c, v, p, "rule metadata", {
                 {"annotations", [&](const Node& a, const std::string& ap) { if (!check_annotations(c, a, ap)) ok = false; }},
             });
         }},
    });
    if (!has_action) {
        c.error(n, path + ": action is required (Allow, Deny, Log or Pass)");
        ok = false;
    }
    if (!ok) return std::nullopt;

    // Cross-field rules of Calico's validateRule and the Rule CEL expressions.
    auto check_icmp_proto = [&](const std::optional<Protocol>& proto, const std::string& field) {
        if (!proto) return;
        if ((proto->is_icmp()) && r.ip_version == 6) {
            c.error(*ipv_node, path + ".ipVersion: " + field + " ICMP requires ipVersion 4 (or none)");
            ok = false;
        }
        if ((proto->is_icmpv6()) && r.ip_version == 4) {
            c.error(*ipv_node, path + ".ipVersion: " + field + " ICMPv6 requires ipVersion 6 (or none)");
            ok = false;
        }
    };
    check_icmp_proto(r.protocol, "protocol");
    check_icmp_proto(r.not_protocol, "notProtocol");
    const bool icmp_proto = r.protocol && (r.protocol->is_icmp() || r.protocol->is_icmpv6());
    if (r.icmp && !icmp_proto) {
        c.error(*icmp_node, path + ".icmp: requires protocol ICMP or ICMPv6 (or 1 or 58)");
        ok = false;
    }
    if (r.not_icmp && !icmp_proto) {
        // Calico's validator lets this through, but no iptables rule can express an ICMP type
        // match without the ICMP protocol; hepd refuses it instead of rendering a broken rule.
        c.error(*not_icmp_node, path + ".notICMP: requires protocol ICMP or ICMPv6 (or 1 or 58)");
        ok = false;
    }
    // Ports need a protocol that has them.
    auto check_ports = [&](const EntityRule& e, const std::string& side) {
        for (const auto* list : {&e.ports, &e.not_ports}) {
            for (const auto& p : *list) {
                if (!r.protocol) {
                    if (!p.is_named()) {
                        c.error(n, path + "." + side + ": numeric ports need a protocol (TCP, UDP or SCTP); "
                                                       "without one only named ports are allowed");
                        ok = false;
                        return;
                    }
                } else if (!r.protocol->supports_ports()) {
                    c.error(n, path + "." + side + ": protocol " + r.protocol->format() +
                                   " has no ports; ports need TCP, UDP or SCTP");
                    ok = false;
                    return;
                }
            }
        }
    };
    check_ports(r.source, "source");
    check_ports(r.destination, "destination");
    // Nets: one family across all four lists, agreeing with ipVersion.
    uint8_t family = 0;
    for (const auto* list : {&r.source.nets, &r.source.not_nets, &r.destination.nets, &r.destination.not_nets}) {
        for (const auto& cidr : *list) {
            if (family == 0) family = cidr.family();
            if (cidr.family() != family) {
                c.error(n, path + ": rule mixes IPv4 and IPv6 nets; split it into one rule per family");
                ok = false;
                goto nets_done;
            }
        }
    }
    if (family != 0 && r.ip_version != 0 && family != r.ip_version) {
        c.error(n, path + ": ipVersion " + std::to_string(r.ip_version) + " does not match the IPv" +
                       std::to_string(family) + " nets of the rule");
        ok = false;
    }
nets_done:
    (void)dir;
    if (!ok) return std::nullopt;
    return r;
}

void read_rules(Ctx& c, const Node& n, const std::string& path, std::vector<Rule>& out, Direction dir, bool& ok) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_rules) {
        c.error(n, path + ": " + std::to_string(items->size()) + " rules, the limit is " +
                       std::to_string(ModelLimits::max_rules));
        ok = false;
        return;
    }
    for (size_t i = 0; i < items->size(); ++i) {
        auto r = read_rule(c, *(*items)[i], idx(path, i), dir);
        if (r)
            out.push_back(std::move(*r));
        else
            ok = false;
    }
}

// ---- metadata ------------------------------------------------------------------------------

struct Meta {
    std::string name;
    Labels labels;
    const Node* name_node = nullptr;
};

bool read_metadata(Ctx& c, const Node& doc, const Node* n, std::string_view kind, Meta& m) {
    if (!n) {
        c.error(doc, std::string(kind) + ": metadata is required (with at least a name)");
        return false;
    }
    bool ok = true;
    auto ignore = [](const Node&, const std::string&) {};
    read_fields(c, *n, "metadata", "metadata", {
        {"name", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             m.name = *s;
             m.name_node = &v;
         }},
        {"namespace", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (s && !s->empty()) {
                 c.error(v, p + ": " + std::string(kind) + " is a global resource and has no namespace");
                 ok = false;
             }
         }},
        {"labels", [&](const Node& v, const std::string& p) {
             auto l = read_labels(c, v, p);
             if (l) m.labels = std::move(*l); else ok = false;
         }},
        {"annotations", [&](const Node& v, const std::string& p) { if (!check_annotations(c, v, p)) ok = false; }},
        // Bookkeeping that `calicoctl get -o yaml` prints; meaningless in a file, accepted as is.
        {"uid", ignore}, {"resourceVersion", ignore}, {"creationTimestamp", ignore}, {"generation", ignore},
        {"selfLink", ignore}, {"managedFields", ignore}, {"generateName", ignore}, {"finalizers", ignore},
        {"ownerReferences", ignore}, {"deletionTimestamp", ignore}, {"deletionGracePeriodSeconds", ignore},
    });
    if (ok && !m.name_node) {
        c.error(*n, "metadata.name is required");
        return false;
    }
    if (m.name_node) {
        size_t before = c.diags.error_count();
        check_resource_name(c, *m.name_node, m.name, kind);
        if (c.diags.error_count() != before) ok = false;
    }
    return ok;
}

// ---- kinds ---------------------------------------------------------------------------------

void load_host_endpoint(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    HostEndpoint h;
    h.where = c.loc(doc);
    Meta m;
    bool ok = read_metadata(c, doc, meta, "HostEndpoint", m);
    bool has_node = false;
    if (!spec) {
        c.error(doc, "HostEndpoint: spec is required (node and interfaceName or expectedIPs)");
        return;
    }
    read_fields(c, *spec, "spec", "HostEndpoint spec", {
        {"node", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             h.node = *s;
             has_node = !s->empty();
             if (has_node && !is_dns1123_subdomain(*s)) {
                 c.error(v, p + ": " + quote(*s) + " is not a valid node name");
                 ok = false;
             }
         }},
        {"interfaceName", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             h.interface_name = *s;
             if (s->empty() || *s == "*") return;
             bool valid = s->size() <= 15 && std::all_of(s->begin(), s->end(), [](char ch) {
                 return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        ch == '_' || ch == '.' || ch == '-';
             });
             if (!valid) {
                 c.error(v, p + ": " + quote(*s) + " is not a valid interface name: 1-15 letters, digits, "
                                                   "'_', '.' or '-', or '*' for all interfaces");
                 ok = false;
             }
         }},
        {"expectedIPs", [&](const Node& v, const std::string& p) {
             auto items = read_list(c, v, p);
             if (!items) { ok = false; return; }
             for (size_t i = 0; i < items->size(); ++i) {
                 const Node& it = *(*items)[i];
                 auto ip = it.is_scalar() ? parse_ip(it.value) : std::nullopt;
                 if (!ip) {
                     c.error(it, idx(p, i) + ": " + (it.is_scalar() ? quote(it.value) : std::string(kind_word(it))) +
                                     " is not an IP address (no prefix length)");
                     ok = false;
                     continue;
                 }
                 if (std::find(h.expected_ips.begin(), h.expected_ips.end(), *ip) == h.expected_ips.end())
                     h.expected_ips.push_back(*ip);
             }
         }},
        {"profiles", [&](const Node& v, const std::string& p) {
             auto items = read_list(c, v, p);
             if (!items) { ok = false; return; }
             for (size_t i = 0; i < items->size(); ++i) {
                 auto s = read_string(c, *(*items)[i], idx(p, i));
                 if (!s) { ok = false; continue; }
                 if (!is_dns1123_subdomain(*s)) {
                     c.error(*(*items)[i], idx(p, i) + ": " + quote(*s) + " is not a valid profile name");
                     ok = false;
                     continue;
                 }
                 h.profiles.push_back(*s);
             }
         }},
        {"ports", [&](const Node& v, const std::string& p) {
             auto items = read_list(c, v, p);
             if (!items) { ok = false; return; }
             for (size_t i = 0; i < items->size(); ++i) {
                 const Node& it = *(*items)[i];
                 EndpointPort ep;
                 bool has_name = false, has_proto = false, has_port = false;
                 std::string ip = idx(p, i);
                 read_fields(c, it, ip, "endpoint port", {
                     {"name", [&](const Node& pv, const std::string& pp) {
                          auto s = read_string(c, pv, pp);
                          if (!s) { ok = false; return; }
                          if (auto why = check_port_name(*s)) {
                              c.error(pv, pp + ": invalid port name " + quote(*s) + ": " + *why);
                              ok = false;
                              return;
                          }
                          ep.name = *s;
                          has_name = true;
                      }},
                     {"protocol", [&](const Node& pv, const std::string& pp) {
                          auto proto = read_protocol(c, pv, pp);
                          if (!proto) { ok = false; return; }
                          if (!proto->supports_ports()) {
                              c.error(pv, pp + ": protocol " + proto->format() + " has no ports; use TCP, UDP or SCTP");
                              ok = false;
                              return;
                          }
                          ep.protocol = *proto;
                          has_proto = true;
                      }},
                     {"port", [&](const Node& pv, const std::string& pp) {
                          uint64_t x = 0;
                          if (!pv.is_scalar() || pv.style != yaml::ScalarStyle::plain || !parse_u64(pv.value, x) ||
                              x < 1 || x > 65535) {
                              c.error(pv, pp + ": expected a port number 1-65535");
                              ok = false;
                              return;
                          }
                          ep.port = static_cast<uint16_t>(x);
                          has_port = true;
                      }},
                 });
                 if (!it.is_mapping()) continue;
                 if (!has_name || !has_proto || !has_port) {
                     c.error(it, ip + ": a named port needs name, protocol and port");
                     ok = false;
                     continue;
                 }
                 h.ports.push_back(std::move(ep));
             }
         }},
    });
    if (!has_node) {
        c.error(*spec, "spec.node is required: the node (hostname) this endpoint belongs to");
        ok = false;
    }
    if (h.interface_name.empty() && h.expected_ips.empty()) {
        c.error(*spec, "HostEndpoint needs spec.interfaceName or spec.expectedIPs (or both)");
        ok = false;
    }
    if (!ok) return;
    h.name = std::move(m.name);
    h.labels = std::move(m.labels);
    model.host_endpoints.push_back(std::move(h));
}

void load_policy(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    GlobalNetworkPolicy g;
    g.where = c.loc(doc);
    Meta m;
    bool ok = read_metadata(c, doc, meta, "GlobalNetworkPolicy", m);
    const Node* types_node = nullptr;
    bool types_given = false;
    const Node* egress_node = nullptr;
    if (spec) {
        read_fields(c, *spec, "spec", "GlobalNetworkPolicy spec", {
            {"tier", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (!s) { ok = false; return; }
                 if (!s->empty() && *s != "default") {
                     c.error(v, p + ": tier " + quote(*s) + " is not supported: hepd has only the default tier");
                     ok = false;
                 }
             }},
            {"order", [&](const Node& v, const std::string& p) {
                 if (v.is_null()) return;
                 auto d = read_number(c, v, p);
                 if (d) g.order = *d; else ok = false;
             }},
            {"selector", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (!s || !check_selector(c, v, p, *s, false)) { ok = false; return; }
                 g.selector = *s;
             }},
            {"namespaceSelector", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (!s || !check_selector(c, v, p, *s, false)) { ok = false; return; }
                 g.namespace_selector = *s;
                 if (!s->empty())
                     c.warning(v, p + ": host endpoints carry no namespace labels; the namespace selector is "
                                      "ANDed in as Calico does and normally matches no host endpoint");
             }},
            {"serviceAccountSelector", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (s && s->empty()) return;
                 c.error(v, p + ": not supported by hepd: service accounts belong to Kubernetes workloads");
                 ok = false;
             }},
            {"types", [&](const Node& v, const std::string& p) {
                 types_node = &v;
                 auto items = read_list(c, v, p);
                 if (!items) { ok = false; return; }
                 if (items->empty()) return;  // empty = defaulted, as Calico's client does
                 types_given = true;
                 if (items->size() > 2) {
                     c.error(v, p + ": at most two types (Ingress, Egress)");
                     ok = false;
                 }
                 for (size_t i = 0; i < items->size(); ++i) {
                     auto s = read_string(c, *(*items)[i], idx(p, i));
                     if (!s) { ok = false; continue; }
                     bool* slot = *s == "Ingress" ? &g.ingress_type : *s == "Egress" ? &g.egress_type : nullptr;
                     if (!slot) {
                         c.error(*(*items)[i], idx(p, i) + ": " + quote(*s) + " is not a policy type: use Ingress or Egress");
                         ok = false;
                     } else if (*slot) {
                         c.error(*(*items)[i], idx(p, i) + ": type " + *s + " is listed twice");
                         ok = false;
                     } else {
                         *slot = true;
                     }
                 }
             }},
            {"ingress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, g.ingress, Direction::ingress, ok); }},
            {"egress", [&](const Node& v, const std::string& p) {
                 egress_node = &v;
                 read_rules(c, v, p, g.egress, Direction::egress, ok);
             }},
            {"doNotTrack", [&](const Node& v, const std::string& p) { auto b = read_bool(c, v, p); if (b) g.do_not_track = *b; else ok = false; }},
            {"preDNAT", [&](const Node& v, const std::string& p) { auto b = read_bool(c, v, p); if (b) g.pre_dnat = *b; else ok = false; }},
            {"applyOnForward", [&](const Node& v, const std::string& p) { auto b = read_bool(c, v, p); if (b) g.apply_on_forward = *b; else ok = false; }},
            {"performanceHints", [&](const Node& v, const std::string& p) {
                 if (!v.is_null()) c.warning(v, p + ": ignored by hepd");
             }},
        });
    }
    if (!ok) return;
    // Types defaulting, as Calico's client does before Felix sees the policy.
    if (!types_given) {
        if (g.egress.empty()) {
            g.ingress_type = true;
        } else if (g.ingress.empty()) {
            g.egress_type = true;
        } else {
            g.ingress_type = g.egress_type = true;
        }
    }
    // Flag constraints (CEL on the spec).
    const Node& at = spec ? *spec : doc;
    if (g.do_not_track && g.pre_dnat) {
        c.error(at, "spec: doNotTrack and preDNAT cannot both be true");
        ok = false;
    }
    if (g.pre_dnat && (!g.egress.empty() || g.egress_type)) {
        c.error(egress_node ? *egress_node : types_node ? *types_node : at,
                "spec: a preDNAT policy applies to ingress only: remove its egress rules and the Egress type");
        ok = false;
    }
    if ((g.do_not_track || g.pre_dnat) && !g.apply_on_forward) {
        c.error(at, std::string("spec: ") + (g.do_not_track ? "doNotTrack" : "preDNAT") +
                        " policies must also set applyOnForward: true");
        ok = false;
    }
    if (!ok) return;
    g.name = std::move(m.name);
    g.labels = std::move(m.labels);
    model.policies.push_back(std::move(g));
}

void load_network_set(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    GlobalNetworkSet s;
    s.where = c.loc(doc);
    Meta m;
    bool ok = read_metadata(c, doc, meta, "GlobalNetworkSet", m);
    if (m.labels.has("projectcalico.org/namespace")) {
        c.error(meta ? *meta : doc, "metadata.labels: the key projectcalico.org/namespace is reserved for Calico");
        ok = false;
    }
    if (spec) {
        read_fields(c, *spec, "spec", "GlobalNetworkSet spec", {
            {"nets", [&](const Node& v, const std::string& p) {
                 auto items = read_list(c, v, p);
                 if (!items) { ok = false; return; }
                 if (items->size() > ModelLimits::max_gns_nets) {
                     c.error(v, p + ": " + std::to_string(items->size()) + " entries, the limit is " +
                                    std::to_string(ModelLimits::max_gns_nets));
                     ok = false;
                     return;
                 }
                 for (size_t i = 0; i < items->size(); ++i) {
                     const Node& it = *(*items)[i];
                     auto cidr = it.is_scalar() ? parse_cidr(it.value, true) : std::nullopt;
                     if (!cidr) {
                         c.error(it, idx(p, i) + ": " + (it.is_scalar() ? quote(it.value) : std::string(kind_word(it))) +
                                         " is not an IP address or CIDR");
                         ok = false;
                         continue;
                     }
                     s.nets.push_back(cidr->masked());  // host bits allowed; masked as Calico does
                 }
             }},
        });
    }
    if (!ok) return;
    s.name = std::move(m.name);
    s.labels = std::move(m.labels);
    model.network_sets.push_back(std::move(s));
}

void load_profile(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    Profile pr;
    pr.where = c.loc(doc);
    Meta m;
    bool ok = read_metadata(c, doc, meta, "Profile", m);
    if (spec) {
        read_fields(c, *spec, "spec", "Profile spec", {
            {"ingress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, pr.ingress, Direction::ingress, ok); }},
            {"egress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, pr.egress, Direction::egress, ok); }},
            {"labelsToApply", [&](const Node& v, const std::string& p) {
                 auto l = read_labels(c, v, p);
                 if (l) pr.labels_to_apply = std::move(*l); else ok = false;
             }},
        });
    }
    if (!ok) return;
    pr.name = std::move(m.name);
    pr.labels = std::move(m.labels);
    model.profiles.push_back(std::move(pr));
}

void load_felix_config(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    Meta m;
    if (!read_metadata(c, doc, meta, "FelixConfiguration", m)) return;
    FelixConfigResource f;
    f.name = std::move(m.name);
    f.where = c.loc(doc);
    if (spec) f.spec = *spec;
    model.felix_configs.push_back(std::move(f));
}

using Loader = void (*)(Ctx&, const Node&, const Node*, const Node*, Model&);

struct KindRow {
    std::string_view kind;
    std::string_view list_kind;
    Loader load;
};

constexpr KindRow kinds[] = {
    {"HostEndpoint", "HostEndpointList", load_host_endpoint},
    {"GlobalNetworkPolicy", "GlobalNetworkPolicyList", load_policy},
    {"GlobalNetworkSet", "GlobalNetworkSetList", load_network_set},
    {"Profile", "ProfileList", load_profile},
    {"FelixConfiguration", "FelixConfigurationList", load_felix_config},
};

// Calico kinds hepd deliberately does not read, with the reason given to the operator.
constexpr std::pair<std::string_view, std::string_view> unsupported_kinds[] = {
    {"NetworkPolicy", "namespaced policy applies to Kubernetes workloads; use GlobalNetworkPolicy"},
    {"StagedNetworkPolicy", "staged policy needs Calico's policy recommendation machinery"},
    {"StagedGlobalNetworkPolicy", "staged policy needs Calico's policy recommendation machinery"},
    {"NetworkSet", "namespaced network sets belong to Kubernetes workloads; use GlobalNetworkSet"},
    {"WorkloadEndpoint", "hepd has no workload endpoints; workloads are governed by DefaultEndpointToHostAction"},
    {"Tier", "hepd has only the default tier"},
};

const KindRow* find_kind(std::string_view k) {
    for (const auto& row : kinds)
        if (row.kind == k) return &row;
    return nullptr;
}

void load_object(Ctx& c, const Node& obj, const KindRow* expected, Model& model, size_t depth);

void load_list(Ctx& c, const Node& doc, const Node& items, const KindRow* typed, Model& model, size_t depth) {
    if (items.is_null()) return;
    if (!items.is_sequence()) {
        c.error(items, "items: expected a list of resources, found " + std::string(kind_word(items)));
        return;
    }
    (void)doc;
    for (const auto& item : items.items) load_object(c, item, typed, model, depth + 1);
}

void load_object(Ctx& c, const Node& obj, const KindRow* expected, Model& model, size_t depth) {
    if (!obj.is_mapping()) {
        c.error(obj, std::string("a resource must be a mapping with apiVersion, kind, metadata and spec; found ") +
                         kind_word(obj));
        return;
    }
    const Node* api = nullptr;
    const Node* kind = nullptr;
    const Node* meta = nullptr;
    const Node* spec = nullptr;
    const Node* items = nullptr;
    for (const auto& e : obj.entries) {
        const std::string& k = e.key.value;
        if (k == "apiVersion") api = &e.value;
        else if (k == "kind") kind = &e.value;
        else if (k == "metadata") meta = &e.value;
        else if (k == "spec") spec = &e.value;
        else if (k == "items") items = &e.value;
        else if (k == "status") continue;  // printed by some tools; never input
        else c.error(e.key, "unknown field " + quote(k) + " in a resource (known: apiVersion, kind, metadata, spec)");
    }
    std::string kind_text;
    if (kind && kind->is_scalar()) {
        kind_text = kind->value;
    } else if (expected) {
        kind_text = std::string(expected->kind);  // items of a typed list may leave kind out
    } else {
        c.error(kind ? *kind : obj, "kind is required (HostEndpoint, GlobalNetworkPolicy, GlobalNetworkSet, "
                                    "Profile, FelixConfiguration, or a List of them)");
        return;
    }
    if (!api || !api->is_scalar()) {
        c.error(api ? *api : obj, "apiVersion is required: projectcalico.org/v3");
        return;
    }
    const bool is_list = kind_text == "List" || (kind_text.size() > 4 && kind_text.ends_with("List"));
    if (api->value != "projectcalico.org/v3" && !(is_list && api->value == "v1")) {
        c.error(*api, "apiVersion " + quote(api->value) + " is not supported: use projectcalico.org/v3");
        return;
    }
    if (is_list) {
        if (depth > 0) {
            c.error(*kind, "a List cannot contain another List");
            return;
        }
        if (spec) c.error(*spec, "a List has items, not a spec");
        const KindRow* typed = nullptr;
        if (kind_text != "List") {
            for (const auto& row : kinds)
                if (row.list_kind == kind_text) typed = &row;
            if (!typed) {
                c.error(*kind, "unknown kind " + quote(kind_text));
                return;
            }
        }
        if (!items) {
            c.error(obj, kind_text + ": items is required");
            return;
        }
        load_list(c, obj, *items, typed, model, depth);
        return;
    }
    if (items) c.error(*items, "only a List has items");
    const KindRow* row = find_kind(kind_text);
    if (!row) {
        for (const auto& [k, why] : unsupported_kinds) {
            if (k == kind_text) {
                c.error(kind ? *kind : obj, "kind " + kind_text + " is not supported by hepd: " + std::string(why));
                return;
            }
        }
        c.error(kind ? *kind : obj, "unknown kind " + quote(kind_text) +
                                        " (hepd reads HostEndpoint, GlobalNetworkPolicy, GlobalNetworkSet, Profile, "
                                        "FelixConfiguration and their Lists)");
        return;
    }
    if (expected && row != expected) {
        c.error(kind ? *kind : obj, "a " + std::string(expected->list_kind) + " cannot contain a " + kind_text);
        return;
    }
    if (model.resource_count() >= ModelLimits::max_resources) {
        c.error(obj, "too many resources: the limit is " + std::to_string(ModelLimits::max_resources));
        return;
    }
    row->load(c, obj, meta, spec, model);
}

}  // namespace

std::string Protocol::format() const {
    if (by_name) {
        for (const auto& p : protocol_names)
            if (p.number == number) return std::string(p.name);
    }
    return std::to_string(number);
}

std::string PortSpec::format() const {
    if (is_named()) return name;
    if (first == last) return std::to_string(first);
    return std::to_string(first) + ":" + std::to_string(last);
}

std::string_view action_name(Action a) {
    switch (a) {
    case Action::allow: return "Allow";
    case Action::deny: return "Deny";
    case Action::log: return "Log";
    case Action::pass: return "Pass";
    }
    return "?";
}

void load_resource_node(const yaml::Node& obj, std::string_view file, std::string_view prefix, Model& model,
                        Diagnostics& diags) {
    Ctx c{file, diags, prefix};
    load_object(c, obj, nullptr, model, 0);
}

void load_resources(std::string_view text, std::string_view file, Model& model, Diagnostics& diags) {
    Ctx c{file, diags, {}};
    if (text.size() > ModelLimits::max_file_bytes) {
        diags.error(Location{std::string(file), 0, 0},
                    "file is " + std::to_string(text.size()) + " bytes, the limit is " +
                        std::to_string(ModelLimits::max_file_bytes));
        return;
    }
    yaml::Limits limits;
    limits.max_bytes = ModelLimits::max_file_bytes;
    auto docs = yaml::parse_yaml(text, file, diags, limits);
    for (const auto& d : docs) {
        if (d.root.is_null()) continue;  // an empty document between `---` lines
        load_object(c, d.root, nullptr, model, 0);
    }
}

}  // namespace hepd
