// SPDX-License-Identifier: GPL-2.0-or-later
// UCI sections -> Calico resources.
//
// OpenWrt operators write `config host_endpoint`, `config policy`, `config rule` and
// `config net_set` sections (OPENWRT.md). Rather than validating them a second time, each section is
// turned into the Calico v3 document it stands for, with every node carrying the position of the
// UCI value it came from, and that document goes through the same loader as YAML files
// (load_resource_node). The loader's messages name Calico fields ("spec.ingress[2].protocol: ..."),
// so they are translated back (translate_message): the prefix names the UCI section the problem
// is in ("uci:@rule[3]: ") and the field is the UCI option ("proto: ..."), at the line of that
// option's value.
//
//   config policy 'ssh'      ---\                      spec.ingress[0] <- uci:@rule[0]
//   config rule  (policy ssh) ---+--> GlobalNetworkPolicy spec.ingress[1] <- uci:@rule[2]
//   config rule  (policy ssh) --/                      spec.egress[0]  <- uci:@rule[1]
//
// UCI spellings are forgiving in the way fw3 users expect: actions and protocols in any case,
// port ranges as "1024-65535" or "1024:65535", several ports or nets in one option separated by
// spaces. Rule order is section order; a rule names its policy with `option policy` (the policy's
// Calico name or its section name), wherever in the file the policy section is.
//
// A section with a problem of its own (an unknown option, a bad boolean) is still validated as
// far as it goes, so that every problem shows at once, but nothing of it reaches the model.
#include <algorithm>
#include <map>
#include <set>

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

// The position of value i of an option (its first character), or of the keyword.
uci::ValuePos pos_of(const uci::Option& o, size_t i = 0) {
    if (i < o.value_pos.size()) return o.value_pos[i];
    return uci::ValuePos{o.line, o.col};
}

Node value_node(const uci::Option& o, std::string v, size_t i = 0) {
    const auto p = pos_of(o, i);
    return scalar(std::move(v), p.line, p.col);
}

// Whether the value at `p` was written in quotes in `text` (lines and columns as the UCI reader
// counts them: LF ends a line, columns count UTF-8 characters).
bool quoted_at(std::string_view text, uci::ValuePos p) {
    size_t i = 0;
    for (uint32_t line = 1; line < p.line && i < text.size(); ++line) {
        const size_t nl = text.find('\n', i);
        if (nl == std::string_view::npos) return false;
        i = nl + 1;
    }
    for (uint32_t col = 1; i < text.size() && text[i] != '\n'; ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (col++ == p.col) return text[i] == '\'' || text[i] == '"';
    }
    return false;
}

// A selector value: marked quoted when it was, so that the selector parser's columns (which
// count from the first character of the text) land on the right character.
Node selector_node(const uci::Option& o, std::string_view text) {
    Node n = value_node(o, o.values.empty() ? std::string() : o.values.front());
    if (quoted_at(text, pos_of(o))) n.style = yaml::ScalarStyle::single_quoted;
    return n;
}

// The first value of an option ("" for none).
std::string first(const uci::Option& o) { return o.values.empty() ? std::string() : o.values.front(); }

// Every space-separated word of every value, each with the position of its value.
struct Word {
    std::string text;
    uci::ValuePos pos;
};
std::vector<Word> split_words(const uci::Option& o) {
    std::vector<Word> out;
    for (size_t k = 0; k < o.values.size(); ++k) {
        const std::string& v = o.values[k];
        size_t i = 0;
        while (i < v.size()) {
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            size_t j = i;
            while (j < v.size() && v[j] != ' ' && v[j] != '\t') ++j;
            if (j > i) out.push_back(Word{v.substr(i, j - i), pos_of(o, k)});
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

std::string quote(std::string_view s) {
    std::string out = "'";
    for (char ch : s.substr(0, 80)) out += (static_cast<unsigned char>(ch) < 0x20 ? '?' : ch);
    if (s.size() > 80) out += "...";
    return out + "'";
}

std::optional<bool> uci_bool(const std::string& v) {
    const std::string l = lower(v);
    if (l == "1" || l == "true" || l == "yes" || l == "on" || l == "enabled") return true;
    if (l == "0" || l == "false" || l == "no" || l == "off" || l == "disabled") return false;
    return std::nullopt;
}

// ---- message translation -------------------------------------------------------------------

// Where the pieces of one Calico document came from, to turn its messages into UCI terms.
struct Origin {
    std::string ref;                          // the resource's own section, "uci:wan"
    bool name_from_section = false;           // metadata.name is the section name
    std::string interface_option = "interface";
    std::vector<std::string> ingress_refs;    // section of spec.ingress[i]
    std::vector<std::string> egress_refs;     // section of spec.egress[i]
    // (section, option) pairs the mapping has reported already: the loader's message about the
    // same value is dropped, so one bad value is one message.
    std::set<std::pair<std::string, std::string>> reported;
};

// Calico field path (after the resource or the rule) -> UCI option, longest prefix first.
constexpr std::pair<std::string_view, std::string_view> rule_options[] = {
    {".action", "action"},
    {".ipVersion", "ip_version"},
    {".protocol", "proto"},
    {".notProtocol", "not_proto"},
    {".icmp.type", "icmp_type"},
    {".icmp.code", "icmp_code"},
    {".icmp", "icmp_type"},
    {".notICMP.type", "not_icmp_type"},
    {".notICMP.code", "not_icmp_code"},
    {".notICMP", "not_icmp_type"},
    {".source.nets", "src_net"},
    {".source.notNets", "not_src_net"},
    {".source.selector", "src_selector"},
    {".source.notSelector", "not_src_selector"},
    {".source.ports", "src_port"},
    {".source.notPorts", "not_src_port"},
    {".destination.nets", "dst_net"},
    {".destination.notNets", "not_dst_net"},
    {".destination.selector", "dst_selector"},
    {".destination.notSelector", "not_dst_selector"},
    {".destination.ports", "dst_port"},
    {".destination.notPorts", "not_dst_port"},
};

constexpr std::pair<std::string_view, std::string_view> resource_options[] = {
    {"metadata.labels", "label"},
    {"spec.node", "node"},
    {"spec.expectedIPs", "expected_ip"},
    {"spec.profiles", "profile"},
    {"spec.ports", "port"},
    {"spec.nets", "net"},
    {"spec.order", "order"},
    {"spec.selector", "selector"},
    {"spec.namespaceSelector", "namespace_selector"},
    {"spec.types", "types"},
    {"spec.doNotTrack", "do_not_track"},
    {"spec.preDNAT", "pre_dnat"},
    {"spec.applyOnForward", "apply_on_forward"},
};

// Calico words in message texts -> UCI words (outside quoted values only).
constexpr std::pair<std::string_view, std::string_view> words[] = {
    {"a HostEndpoint needs interfaceName or expectedIPs (or both)",
     "a host_endpoint needs option interface, option network or list expected_ip"},
    {"action is required (Allow, Deny, Log or Pass)", "option action is required (allow, deny, log or pass)"},
    {"use Ingress or Egress", "use ingress or egress"},
    {"applyOnForward: true", "apply_on_forward 1"},
    {"interfaceName '*'", "interface '*'"},
    {"interfaceName", "interface"},
    {"expectedIPs", "expected_ip"},
    {"doNotTrack", "do_not_track"},
    {"preDNAT", "pre_dnat"},
    {"ipVersion", "ip_version"},
    {"notProtocol", "not_proto"},
    {"a HostEndpoint", "a host_endpoint"},
};

bool is_path_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '[' || ch == ']';
}

// "spec.ingress[2].destination.ports[0]" -> {"uci:@rule[5]", "dst_port"}; the ref is empty when the
// path belongs to the resource's own section. Unknown paths come back unchanged.
std::pair<std::string, std::string> translate_path(const std::string& path, const Origin& o) {
    if (path == "metadata.name") return {"", o.name_from_section ? "section name" : "name"};
    if (path == "spec.interfaceName") return {"", o.interface_option};
    if (path == "spec") return {"", ""};
    for (auto [dir, refs] : {std::pair{std::string_view("spec.ingress"), &o.ingress_refs},
                             std::pair{std::string_view("spec.egress"), &o.egress_refs}}) {
        if (!path.starts_with(dir)) continue;
        std::string_view rest = std::string_view(path).substr(dir.size());
        if (rest.empty()) return {refs->empty() ? "" : refs->front(), ""};  // the list: its first rule
        if (rest[0] != '[') continue;
        const size_t close = rest.find(']');
        if (close == std::string_view::npos) continue;
        size_t i = 0;
        for (char ch : rest.substr(1, close - 1)) i = i * 10 + static_cast<size_t>(ch - '0');
        if (i >= refs->size()) continue;
        rest.remove_prefix(close + 1);
        if (rest.empty()) return {(*refs)[i], ""};
        for (auto [calico, option] : rule_options)
            if (rest.starts_with(calico)) return {(*refs)[i], std::string(option)};
        return {(*refs)[i], std::string(rest.substr(1))};
    }
    for (auto [calico, option] : resource_options) {
        if (path == calico || path.starts_with(std::string(calico) + "[") || path.starts_with(std::string(calico) + "."))
            return {"", std::string(option)};
    }
    return {"", path};
}

// Replaces Calico words and embedded field paths outside quoted values.
std::string translate_text(std::string_view text, const Origin& o) {
    std::string out;
    bool in_quote = false;
    size_t i = 0;
    while (i < text.size()) {
        const char ch = text[i];
        if (ch == '\'') in_quote = !in_quote;
        if (!in_quote && (i == 0 || !is_path_char(text[i - 1]))) {
            if (text.substr(i).starts_with("spec.") || text.substr(i).starts_with("metadata.")) {
                size_t j = i;
                while (j < text.size() && is_path_char(text[j])) ++j;
                auto [ref, option] = translate_path(std::string(text.substr(i, j - i)), o);
                out += option.empty() ? ref : option;
                i = j;
                continue;
            }
            bool replaced = false;
            for (auto [calico, uci] : words) {
                if (text.substr(i).starts_with(calico)) {
                    out += uci;
                    i += calico.size();
                    replaced = true;
                    break;
                }
            }
            if (replaced) continue;
        }
        out += ch;
        ++i;
    }
    return out;
}

struct Translated {
    std::string ref;     // the section the message is about
    std::string option;  // the UCI option, or empty
    std::string message;
};

// "spec.ingress[0].protocol: 'x' is ..." -> {"uci:@rule[2]", "proto", "uci:@rule[2]: proto: 'x' is ..."}.
Translated translate_message(const std::string& msg, const Origin& o) {
    size_t end = 0;
    while (end < msg.size() && is_path_char(msg[end])) ++end;
    std::string path = msg.substr(0, end);
    std::string rest = msg.substr(end);
    const bool is_path = path.starts_with("spec") || path.starts_with("metadata");
    if (!is_path) return {o.ref, "", o.ref + ": " + translate_text(msg, o)};
    auto [ref, option] = translate_path(path, o);
    if (rest.starts_with(": ")) rest = rest.substr(2);
    else if (rest.starts_with(" ")) rest = rest.substr(1);
    if (ref.empty()) ref = o.ref;
    return {ref, option, ref + ": " + (option.empty() ? "" : option + ": ") + translate_text(rest, o)};
}

// Validates one synthesized document and reports its problems in UCI terms. When the section had
// problems of its own (`failed`), the document is checked but not kept.
void load_translated(const Node& doc, std::string_view file, const Origin& origin, bool failed, Model& model,
                     Diagnostics& diags) {
    Diagnostics local;
    Model scratch;
    load_resource_node(doc, file, "", failed ? scratch : model, local);
    for (const auto& d : local.items()) {
        Translated t = translate_message(d.message, origin);
        if (origin.reported.count({t.ref, t.option})) continue;
        Diagnostic copy = d;
        copy.message = std::move(t.message);
        diags.add(std::move(copy));
    }
}

// ---- sections ------------------------------------------------------------------------------

struct SectionCtx {
    const uci::Section& s;
    std::string_view file;
    Diagnostics& diags;
    std::string prefix;
    bool failed = false;
    std::set<std::pair<std::string, std::string>> reported;  // (section ref, option), see Origin

    Location loc(uci::ValuePos p) const { return Location{std::string(file), p.line, p.col}; }
    // At the option's value (or its keyword when it has none).
    void error(const uci::Option& o, const std::string& msg, size_t value = 0) {
        diags.error(loc(pos_of(o, value)), prefix + o.name + ": " + msg);
        failed = true;
        reported.emplace(s.ref(), o.name);
    }
    void error_section(const std::string& msg) {
        diags.error(loc(uci::ValuePos{s.line, s.col}), prefix + msg);
        failed = true;
    }
};

const uci::Option* opt(const uci::Section& s, std::string_view name) {
    for (const auto& o : s.options)
        if (o.name == name) return &o;
    return nullptr;
}

// Options allowed per section type; anything else is an error naming the closest or the allowed
// ones. Returns false when one was unknown (the section is still checked).
void check_options(SectionCtx& c, std::initializer_list<std::string_view> allowed) {
    for (const auto& o : c.s.options) {
        if (std::find(allowed.begin(), allowed.end(), o.name) != allowed.end()) continue;
        std::string msg = "unknown option " + quote(o.name) + " in a " + c.s.type + " section";
        const std::vector<std::string_view> names(allowed);
        auto guess = closest_name(o.name, names);
        if (guess) {
            msg += "; did you mean '" + std::string(*guess) + "'?";
        } else {
            msg += " (known: ";
            bool firstw = true;
            for (auto a : allowed) {
                msg += (firstw ? "" : ", ") + std::string(a);
                firstw = false;
            }
            msg += ")";
        }
        c.diags.error(Location{std::string(c.file), o.line, o.col}, c.prefix + msg);
        c.failed = true;
    }
}

// The Calico name of a section: `option name`, else the section's own name with '_' as '-'.
std::optional<std::string> resource_name(SectionCtx& c, Origin& origin) {
    if (const auto* o = opt(c.s, "name")) return first(*o);
    if (c.s.name.empty()) {
        c.error_section("an anonymous " + c.s.type + " section needs option name (the Calico resource name)");
        return std::nullopt;
    }
    origin.name_from_section = true;
    std::string n = c.s.name;
    std::replace(n.begin(), n.end(), '_', '-');
    return n;
}

bool read_bool_option(SectionCtx& c, const uci::Option& o, bool& out) {
    auto b = uci_bool(first(o));
    if (!b) {
        c.error(o, quote(first(o)) + " is not a boolean: use 1 or 0");
        return false;
    }
    out = *b;
    return true;
}

bool enabled(SectionCtx& c) {
    const auto* o = opt(c.s, "enabled");
    bool on = true;
    if (o) read_bool_option(c, *o, on);
    return on;
}

Node doc_header(SectionCtx& c, const std::string& kind, const std::string& name) {
    Node d = mapping(c.s.line, c.s.col);
    put(d, "apiVersion", scalar("projectcalico.org/v3", c.s.line, c.s.col));
    put(d, "kind", scalar(kind, c.s.line, c.s.col));
    Node& meta = put(d, "metadata", mapping(c.s.line, c.s.col));
    if (const auto* o = opt(c.s, "name"))
        put(meta, "name", value_node(*o, name));
    else
        put(meta, "name", scalar(name, c.s.line, c.s.col));
    return d;
}

// `list label 'k=v'` -> metadata.labels.
void put_labels(SectionCtx& c, const uci::Option& o, Node& doc) {
    Node& labels = child_map(child_map(doc, "metadata", c.s.line, c.s.col), "labels", o.line, o.col);
    for (size_t i = 0; i < o.values.size(); ++i) {
        const std::string& v = o.values[i];
        const size_t eq = v.find('=');
        if (eq == std::string::npos) {
            c.error(o, quote(v) + " must be KEY=VALUE (e.g. role=wan)", i);
            continue;
        }
        put(labels, v.substr(0, eq), value_node(o, v.substr(eq + 1), i));
    }
}

// A list option -> a YAML list; with `split`, space-separated words are separate items.
void put_list(const uci::Option& o, Node& map, const std::string& key, bool split,
              std::string (*convert)(const std::string&) = nullptr) {
    const auto p0 = pos_of(o);
    Node seq = sequence(p0.line, p0.col);
    if (split) {
        for (auto& w : split_words(o))
            seq.items.push_back(scalar(convert ? convert(w.text) : w.text, w.pos.line, w.pos.col));
    } else {
        for (size_t i = 0; i < o.values.size(); ++i) seq.items.push_back(value_node(o, o.values[i], i));
    }
    put(map, key, std::move(seq));
}

constexpr std::pair<std::string_view, std::string_view> uci_protocols[] = {
    {"tcp", "TCP"}, {"udp", "UDP"}, {"icmp", "ICMP"}, {"icmpv6", "ICMPv6"}, {"ipv6-icmp", "ICMPv6"},
    {"sctp", "SCTP"}, {"udplite", "UDPLite"},
};

// A protocol name in any case -> Calico's spelling; anything else unchanged (the loader decides).
std::string calico_protocol_name(const std::string& v) {
    const std::string l = lower(v);
    for (const auto& [u, calico] : uci_protocols)
        if (l == u) return std::string(calico);
    return v;
}

// ---- host_endpoint ---------------------------------------------------------------------------

void map_host_endpoint(SectionCtx& c, const UciResourceContext& rc, Model& model) {
    check_options(c, {"name", "enabled", "interface", "network", "expected_ip", "label", "profile", "node", "port"});
    const bool on = enabled(c);
    if (!on && !c.failed) return;
    Origin origin;
    origin.ref = c.s.ref();
    auto name = resource_name(c, origin);
    if (!name) return;
    Node d = doc_header(c, "HostEndpoint", *name);
    Node spec = mapping(c.s.line, c.s.col);
    const auto* iface = opt(c.s, "interface");
    const auto* network = opt(c.s, "network");
    if (iface && network) c.error(*network, "use either interface or network, not both");
    const auto* node = opt(c.s, "node");
    // An explicit node other than this one is an endpoint of another box: it still feeds rule
    // selectors through its expectedIPs.
    put(spec, "node", node ? value_node(*node, first(*node)) : scalar(rc.node, c.s.line, c.s.col));
    if (iface) put(spec, "interfaceName", value_node(*iface, first(*iface)));
    if (network && !iface) {
        origin.interface_option = "network";
        const std::string& net = first(*network);
        auto it = rc.networks.find(net);
        if (it == rc.networks.end()) {
            // The init script resolves logical networks to devices; an unresolved one is an
            // interface that does not exist right now, which programs nothing (as in Calico).
            c.diags.warning(c.loc(pos_of(*network)),
                            c.prefix + "network: " + quote(net) + " is not resolved to a device now; the endpoint is "
                                       "inactive until it is");
            return;
        }
        put(spec, "interfaceName", value_node(*network, it->second));
    }
    for (const auto& o : c.s.options) {
        if (o.name == "expected_ip") put_list(o, spec, "expectedIPs", true);
        if (o.name == "profile") put_list(o, spec, "profiles", true);
        if (o.name == "label") put_labels(c, o, d);
        if (o.name == "port") {
            // `list port 'NAME:PROTO:PORT'`, e.g. 'http:tcp:8080'.
            Node seq = sequence(pos_of(o).line, pos_of(o).col);
            for (const auto& w : split_words(o)) {
                const size_t a = w.text.find(':'), b = a == std::string::npos ? a : w.text.find(':', a + 1);
                if (b == std::string::npos) {
                    c.diags.error(c.loc(w.pos), c.prefix + "port: " + quote(w.text) +
                                                    " must be NAME:PROTOCOL:PORT, e.g. http:tcp:8080");
                    c.failed = true;
                    continue;
                }
                Node p = mapping(w.pos.line, w.pos.col);
                put(p, "name", scalar(w.text.substr(0, a), w.pos.line, w.pos.col));
                put(p, "protocol", scalar(calico_protocol_name(w.text.substr(a + 1, b - a - 1)), w.pos.line, w.pos.col));
                put(p, "port", scalar(w.text.substr(b + 1), w.pos.line, w.pos.col));
                seq.items.push_back(std::move(p));
            }
            put(spec, "ports", std::move(seq));
        }
    }
    put(d, "spec", std::move(spec));
    origin.reported = c.reported;
    load_translated(d, c.file, origin, c.failed || !on, model, c.diags);
}

// ---- net_set ---------------------------------------------------------------------------------

void map_net_set(SectionCtx& c, Model& model) {
    check_options(c, {"name", "enabled", "label", "net"});
    const bool on = enabled(c);
    if (!on && !c.failed) return;
    Origin origin;
    origin.ref = c.s.ref();
    auto name = resource_name(c, origin);
    if (!name) return;
    Node d = doc_header(c, "GlobalNetworkSet", *name);
    Node spec = mapping(c.s.line, c.s.col);
    for (const auto& o : c.s.options) {
        if (o.name == "label") put_labels(c, o, d);
        if (o.name == "net") put_list(o, spec, "nets", true);
    }
    put(d, "spec", std::move(spec));
    origin.reported = c.reported;
    load_translated(d, c.file, origin, c.failed || !on, model, c.diags);
}

// ---- policy and rule -------------------------------------------------------------------------

struct PendingPolicy {
    Node doc;
    Origin origin;
    std::string section_name;  // for `option policy` naming the section instead
    bool enabled = true;
    bool failed = false;
};

// On a problem the raw value is returned too, after the report: the loader then knows the field
// is bad (and skips the rule's cross-field checks), and its own message about it is dropped.
std::string calico_protocol(SectionCtx& c, const uci::Option& o) {
    const std::string v = first(o);
    const std::string l = lower(v);
    for (const auto& [u, calico] : uci_protocols)
        if (l == u) return std::string(calico);
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return v;
    if (l == "all" || l == "any") {
        c.error(o, quote(v) + ": a rule without " + o.name + " matches every protocol; remove the option");
    } else if (v.find(' ') != std::string::npos || l == "tcpudp") {
        c.error(o, quote(v) + ": a rule has one protocol; write one rule per protocol");
    } else {
        c.error(o, quote(v) + " is not a protocol: use tcp, udp, icmp, icmpv6, sctp, udplite or a number 1-255");
    }
    return v;
}

std::string calico_action(SectionCtx& c, const uci::Option& o) {
    const std::string l = lower(first(o));
    if (l == "allow" || l == "accept") return "Allow";
    if (l == "deny" || l == "drop" || l == "reject") return "Deny";
    if (l == "log") return "Log";
    if (l == "pass") return "Pass";
    c.error(o, quote(first(o)) + " is not an action: use allow, deny, log or pass (fw3's accept, drop and reject "
                                 "are read as allow, deny and deny)");
    return first(o);
}

// fw3 writes port ranges with '-'; Calico with ':'.
std::string calico_port(const std::string& v) {
    const size_t dash = v.find('-');
    if (dash != std::string::npos && dash > 0 && dash + 1 < v.size() && v.find('-', dash + 1) == std::string::npos &&
        std::all_of(v.begin(), v.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '-'; }))
        return v.substr(0, dash) + ":" + v.substr(dash + 1);
    return v;
}

void map_policy(SectionCtx& c, std::vector<PendingPolicy>& policies, std::string_view text) {
    check_options(c, {"name", "enabled", "order", "selector", "types", "apply_on_forward", "pre_dnat",
                      "do_not_track", "namespace_selector"});
    PendingPolicy p;
    p.origin.ref = c.s.ref();
    p.section_name = c.s.name;
    auto name = resource_name(c, p.origin);
    if (!name) return;
    for (const auto& other : policies) {
        if (other.doc.get("metadata")->get("name")->value == *name) {
            c.error_section("policy " + quote(*name) + " is already defined by " + other.origin.ref + " (line " +
                            std::to_string(other.doc.line) + ")");
            return;
        }
    }
    p.enabled = enabled(c);
    p.doc = doc_header(c, "GlobalNetworkPolicy", *name);
    Node spec = mapping(c.s.line, c.s.col);
    for (const auto& o : c.s.options) {
        const std::string v = first(o);
        if (o.name == "order") put(spec, "order", value_node(o, v));
        if (o.name == "selector") put(spec, "selector", selector_node(o, text));
        if (o.name == "namespace_selector") put(spec, "namespaceSelector", selector_node(o, text));
        if (o.name == "types") {
            put_list(o, spec, "types", true, [](const std::string& w) {
                const std::string l = lower(w);
                return l == "ingress" ? std::string("Ingress") : l == "egress" ? std::string("Egress") : w;
            });
        }
        static constexpr std::pair<std::string_view, std::string_view> flags[] = {
            {"apply_on_forward", "applyOnForward"}, {"pre_dnat", "preDNAT"}, {"do_not_track", "doNotTrack"}};
        for (const auto& [u, calico] : flags) {
            bool b = false;
            if (o.name == u && read_bool_option(c, o, b))
                put(spec, std::string(calico), value_node(o, b ? "true" : "false"));
        }
    }
    put(p.doc, "spec", std::move(spec));
    p.failed = c.failed;
    p.origin.reported = c.reported;
    policies.push_back(std::move(p));
}

PendingPolicy* find_policy(std::vector<PendingPolicy>& policies, const std::string& ref) {
    for (auto& p : policies)
        if (p.doc.get("metadata")->get("name")->value == ref) return &p;
    for (auto& p : policies)
        if (!p.section_name.empty() && p.section_name == ref) return &p;
    return nullptr;
}

void map_rule(SectionCtx& c, std::vector<PendingPolicy>& policies, std::string_view text) {
    check_options(c, {"name", "enabled", "policy", "direction", "action", "ip_version", "proto", "not_proto",
                      "src_net", "dst_net", "not_src_net", "not_dst_net", "src_selector", "dst_selector",
                      "not_src_selector", "not_dst_selector", "src_port", "dst_port", "not_src_port",
                      "not_dst_port", "icmp_type", "icmp_code", "not_icmp_type", "not_icmp_code", "comment"});
    const bool on = enabled(c);
    const auto* pol = opt(c.s, "policy");
    PendingPolicy* p = nullptr;
    if (!pol || first(*pol).empty()) {
        c.error_section("a rule needs option policy, naming the policy section it belongs to");
    } else if (!(p = find_policy(policies, first(*pol)))) {
        std::string names;
        for (const auto& q : policies)
            names += (names.empty() ? "" : ", ") + q.doc.get("metadata")->get("name")->value;
        c.error(*pol, "no policy section is named " + quote(first(*pol)) +
                          (names.empty() ? std::string(" (this file defines no policy)") : " (policies: " + names + ")"));
    }
    const auto* dir = opt(c.s, "direction");
    std::string d = dir ? lower(first(*dir)) : "";
    if (d == "in") d = "ingress";
    if (d == "out") d = "egress";
    if (!dir) {
        c.error_section("a rule needs option direction (ingress or egress)");
    } else if (d != "ingress" && d != "egress") {
        c.error(*dir, quote(first(*dir)) + " is not a direction: use ingress or egress (or in, out)");
    }
    if (!on && !c.failed) return;
    if (p && !p->enabled && !c.failed) return;  // a disabled policy takes its rules with it

    Node rule = mapping(c.s.line, c.s.col);
    for (const auto& o : c.s.options) {
        const std::string v = first(o);
        const auto vp = pos_of(o);
        auto side = [&](const char* which) -> Node& { return child_map(rule, which, vp.line, vp.col); };
        const std::string& n = o.name;
        if (n == "action") {
            put(rule, "action", value_node(o, calico_action(c, o)));
        } else if (n == "ip_version") {
            const std::string l = lower(v);
            put(rule, "ipVersion", value_node(o, l == "ipv4" ? "4" : l == "ipv6" ? "6" : v));
        } else if (n == "proto" || n == "not_proto") {
            put(rule, n == "proto" ? "protocol" : "notProtocol", value_node(o, calico_protocol(c, o)));
        } else if (n == "src_net") put_list(o, side("source"), "nets", true);
        else if (n == "dst_net") put_list(o, side("destination"), "nets", true);
        else if (n == "not_src_net") put_list(o, side("source"), "notNets", true);
        else if (n == "not_dst_net") put_list(o, side("destination"), "notNets", true);
        else if (n == "src_selector") put(side("source"), "selector", selector_node(o, text));
        else if (n == "dst_selector") put(side("destination"), "selector", selector_node(o, text));
        else if (n == "not_src_selector") put(side("source"), "notSelector", selector_node(o, text));
        else if (n == "not_dst_selector") put(side("destination"), "notSelector", selector_node(o, text));
        else if (n == "src_port" || n == "dst_port" || n == "not_src_port" || n == "not_dst_port") {
            const bool src = n.find("src") != std::string::npos;
            put_list(o, side(src ? "source" : "destination"), n.starts_with("not_") ? "notPorts" : "ports", true,
                     calico_port);
        } else if (n == "icmp_type" || n == "icmp_code") {
            put(child_map(rule, "icmp", vp.line, vp.col), n == "icmp_type" ? "type" : "code", value_node(o, v));
        } else if (n == "not_icmp_type" || n == "not_icmp_code") {
            put(child_map(rule, "notICMP", vp.line, vp.col), n == "not_icmp_type" ? "type" : "code", value_node(o, v));
        }
    }
    if (!p || (d != "ingress" && d != "egress")) return;  // reported above; nowhere to check the rule
    if (c.failed || !on) p->failed = true;               // checked, but the policy is not kept
    Node& spec = child_map(p->doc, "spec", c.s.line, c.s.col);
    Node& list = child_map(spec, d, c.s.line, c.s.col);
    list.kind = NodeKind::sequence;
    list.items.push_back(std::move(rule));
    (d == "ingress" ? p->origin.ingress_refs : p->origin.egress_refs).push_back(c.s.ref());
    p->origin.reported.insert(c.reported.begin(), c.reported.end());
}

}  // namespace

void load_uci_resources(const uci::File& file, std::string_view path, const UciResourceContext& rc, Model& model,
                        Diagnostics& diags) {
    std::vector<PendingPolicy> policies;
    // Policies first, so that a rule may come before its policy in the file.
    for (const auto& s : file.sections) {
        if (s.type != "policy") continue;
        SectionCtx c{s, path, diags, s.ref() + ": ", false, {}};
        map_policy(c, policies, rc.text);
    }
    for (const auto& s : file.sections) {
        SectionCtx c{s, path, diags, s.ref() + ": ", false, {}};
        if (s.type == "hepd" || s.type == "policy") continue;  // hepd: the daemon's own settings (config.cpp)
        if (s.type == "host_endpoint") {
            map_host_endpoint(c, rc, model);
        } else if (s.type == "net_set") {
            map_net_set(c, model);
        } else if (s.type == "rule") {
            map_rule(c, policies, rc.text);
        } else {
            std::string msg = s.ref() + ": unknown section type " + quote(s.type) +
                              " (known: hepd, host_endpoint, policy, rule, net_set)";
            const std::string l = lower(s.type);
            if (l == "zone" || l == "forwarding" || l == "redirect" || l == "defaults" || l == "include" || l == "ipset")
                msg += "; fw3/fw4 sections belong in /etc/config/firewall";
            diags.error(Location{std::string(path), s.line, s.col}, msg);
        }
    }
    for (auto& p : policies) {
        if (!p.enabled && !p.failed) continue;
        load_translated(p.doc, path, p.origin, p.failed || !p.enabled, model, diags);
    }
}

}  // namespace hepd
