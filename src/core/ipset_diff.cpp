// SPDX-License-Identifier: GPL-2.0-or-later
// IP sets, the pure part: member text, `ipset save` and `ipset list -t` text, the diff. See
// include/hepd/ipset.hpp for the formats.
#include <algorithm>
#include <cerrno>
#include <charconv>

#include "hepd/ipset.hpp"
#include "hepd/names.hpp"

namespace hepd {

namespace ipset {

namespace {

bool fail(std::string* why, std::string msg) {
    if (why) *why = std::move(msg);
    return false;
}

// A decimal number without sign or leading zeros, at most `max`.
std::optional<uint32_t> parse_decimal(std::string_view s, uint32_t max) {
    if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n > max) return std::nullopt;
    return n;
}

// "0x" and 1-8 hex digits, as ipset prints initval.
std::optional<uint32_t> parse_hex32(std::string_view s) {
    if (s.size() < 3 || s.size() > 10 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return std::nullopt;
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), n, 16);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

struct Proto {
    uint8_t number;
    std::string_view name;
};
constexpr Proto protos[] = {{6, "tcp"}, {17, "udp"}, {132, "sctp"}, {136, "udplite"}};

std::optional<uint8_t> parse_proto(std::string_view s) {
    for (const auto& p : protos)
        if (s == p.name) return p.number;
    if (auto n = parse_decimal(s, 255))
        for (const auto& p : protos)
            if (*n == p.number) return p.number;
    return std::nullopt;
}

std::string_view proto_name(uint8_t number) {
    for (const auto& p : protos)
        if (p.number == number) return p.name;
    return "?";
}

std::string_view family_word(uint8_t family) { return family == 4 ? "IPv4" : "IPv6"; }

// Splits on single spaces (the save and list formats use exactly one).
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        size_t sp = line.find(' ', i);
        if (sp == std::string_view::npos) sp = line.size();
        if (sp > i) out.push_back(line.substr(i, sp - i));
        i = sp + 1;
    }
    return out;
}

// Reads create options ("family inet hashsize 1024 ... initval 0x12345678") into `k`: family and
// initval kept, hashsize/maxelem/bucketsize dropped (they do not change what the set matches),
// everything else collected in k.options.
void read_create_options(const std::vector<std::string_view>& w, size_t from, KernelSet& k) {
    for (size_t i = from; i < w.size(); ++i) {
        const std::string_view key = w[i];
        const bool has_next = i + 1 < w.size();
        if (key == "family" && has_next) {
            const std::string_view f = w[++i];
            k.set.family = f == "inet" ? 4 : f == "inet6" ? 6 : 0;
            if (k.set.family == 0) {
                if (!k.options.empty()) k.options += ' ';
                k.options += "family " + std::string(f);
            }
        } else if ((key == "hashsize" || key == "maxelem" || key == "bucketsize") && has_next &&
                   parse_decimal(w[i + 1], UINT32_MAX)) {
            ++i;
        } else if (key == "initval" && has_next && parse_hex32(w[i + 1])) {
            k.initval = parse_hex32(w[++i]);
        } else {
            if (!k.options.empty()) k.options += ' ';
            k.options += std::string(key);
        }
    }
}

void sort_members(KernelSet& k) {
    std::sort(k.set.members.begin(), k.set.members.end());
    std::sort(k.odd_members.begin(), k.odd_members.end());
}

}  // namespace

std::optional<SetType> parse_set_type(std::string_view name) {
    if (name == "hash:net") return SetType::hash_net;
    if (name == "hash:ip,port") return SetType::hash_ip_port;
    return std::nullopt;
}

std::string_view set_type_name(SetType t) { return t == SetType::hash_net ? "hash:net" : "hash:ip,port"; }

std::string Member::to_string() const {
    const unsigned host = net.family() == 4 ? 32 : 128;
    if (proto != 0) return net.addr.to_string() + "," + std::string(proto_name(proto)) + ":" + std::to_string(port);
    return net.prefix == host ? net.addr.to_string() : net.to_string();
}

std::string Member::elem_text() const {
    if (proto != 0) return net.addr.to_string() + "," + std::to_string(proto) + ":" + std::to_string(port);
    return net.to_string();
}

std::optional<Member> parse_member(SetType type, uint8_t family, std::string_view text, std::string* why) {
    const unsigned host = family == 4 ? 32 : 128;
    Member m;
    std::string_view addr = text;
    std::string_view rest;
    const size_t comma = text.find(',');
    if (type == SetType::hash_ip_port) {
        if (comma == std::string_view::npos) {
            fail(why, "'" + std::string(text) + "' is not ADDRESS,PROTO:PORT");
            return std::nullopt;
        }
        addr = text.substr(0, comma);
        rest = text.substr(comma + 1);
    } else if (comma != std::string_view::npos) {
        fail(why, "'" + std::string(text) + "' is not an " + std::string(family_word(family)) + " network");
        return std::nullopt;
    }
    auto c = parse_cidr(addr, true);
    if (!c || c->family() != family) {
        fail(why, "'" + std::string(addr) + "' is not an " + std::string(family_word(family)) +
                      (type == SetType::hash_net ? " network" : " address"));
        return std::nullopt;
    }
    if (type == SetType::hash_net) {
        if (c->prefix == 0) {
            fail(why, "'" + std::string(text) + "': hash:net cannot hold a /0 (use two /1 halves)");
            return std::nullopt;
        }
        m.net = c->masked();
        return m;
    }
    if (c->prefix != host) {
        fail(why, "'" + std::string(addr) + "' is not a single address");
        return std::nullopt;
    }
    m.net = *c;
    std::string_view proto = "tcp";
    std::string_view port = rest;
    if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
        proto = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    auto p = parse_proto(proto);
    if (!p) {
        fail(why, "'" + std::string(text) + "': protocol '" + std::string(proto) +
                      "' is not tcp, udp, sctp or udplite");
        return std::nullopt;
    }
    auto n = parse_decimal(port, 65535);
    if (!n) {
        fail(why, "'" + std::string(text) + "': '" + std::string(port) + "' is not a port number (0-65535)");
        return std::nullopt;
    }
    m.proto = *p;
    m.port = static_cast<uint16_t>(*n);
    return m;
}

std::optional<std::string> canonical_member(SetType type, uint8_t family, std::string_view text, std::string* why) {
    auto m = parse_member(type, family, text, why);
    if (!m) return std::nullopt;
    return m->to_string();
}

std::optional<std::string> check_set_header(const nf::IpSet& s) {
    const std::string set = "set '" + s.name + "'";
    if (!names::is_owned_set(s.name)) return set + ": not a hepd set (names start with hepd4 or hepd6)";
    if (s.name.size() > names::max_set) return set + ": longer than 31 characters";
    for (unsigned char ch : s.name)
        if (ch <= ' ' || ch >= 0x7f) return set + ": only printable characters without spaces";
    if (!parse_set_type(s.type)) return set + ": type '" + s.type + "' is not hash:net or hash:ip,port";
    if (s.family != 4 && s.family != 6) return set + ": family " + std::to_string(s.family) + " is not 4 or 6";
    return std::nullopt;
}

std::optional<nf::IpSet> canonical_set(const nf::IpSet& s, std::string* why) {
    if (auto e = check_set_header(s)) {
        fail(why, *e);
        return std::nullopt;
    }
    const SetType type = *parse_set_type(s.type);
    nf::IpSet out{s.name, s.type, s.family, {}};
    out.members.reserve(s.members.size());
    std::string err;
    for (const auto& m : s.members) {
        auto c = canonical_member(type, s.family, m, &err);
        if (!c) {
            fail(why, "set '" + s.name + "': member " + err);
            return std::nullopt;
        }
        out.members.push_back(std::move(*c));
    }
    std::sort(out.members.begin(), out.members.end());
    out.members.erase(std::unique(out.members.begin(), out.members.end()), out.members.end());
    if (out.members.size() > default_maxelem) {
        fail(why, "set '" + s.name + "': " + std::to_string(out.members.size()) + " members, more than maxelem " +
                      std::to_string(default_maxelem));
        return std::nullopt;
    }
    return out;
}

bool KernelSet::conforms() const {
    return parse_set_type(set.type) && (set.family == 4 || set.family == 6) && options.empty() && odd_members.empty();
}

std::optional<std::vector<KernelSet>> parse_save(std::string_view text, std::string* why) {
    std::map<std::string, KernelSet, std::less<>> sets;
    std::map<std::string, bool, std::less<>> foreign;  // names seen in `create` that hepd does not own
    size_t lineno = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        if (line.empty()) continue;
        const auto w = words(line);
        auto bad = [&](std::string_view what) {
            fail(why, "ipset save line " + std::to_string(lineno) + ": " + std::string(what) + ": " +
                          std::string(line.substr(0, 200)));
            return std::nullopt;
        };
        if (w.size() < 3 || (w[0] != "create" && w[0] != "add")) return bad("not a create or add line");
        const std::string_view name = w[1];
        if (w[0] == "create") {
            if (!names::is_owned_set(name)) {
                foreign[std::string(name)] = true;
                continue;
            }
            if (sets.count(name)) return bad("second create of the set");
            KernelSet k;
            k.set.name = std::string(name);
            k.set.type = std::string(w[2]);
            k.set.family = 0;
            read_create_options(w, 3, k);
            k.entries = 0;
            sets.emplace(k.set.name, std::move(k));
            continue;
        }
        if (!names::is_owned_set(name)) {
            if (!foreign.count(name)) return bad("add before the set's create");
            continue;
        }
        auto it = sets.find(name);
        if (it == sets.end()) return bad("add before the set's create");
        KernelSet& k = it->second;
        ++*k.entries;
        const auto type = parse_set_type(k.set.type);
        std::optional<std::string> member;
        if (type && (k.set.family == 4 || k.set.family == 6) && w.size() == 3)
            member = canonical_member(*type, k.set.family, w[2]);
        if (member) {
            k.set.members.push_back(std::move(*member));
        } else {
            // Extra per-member data (timeout, counters, comment, nomatch) or a type hepd does not
            // use: keep the text after the set name as printed.
            k.odd_members.emplace_back(line.substr(w[2].data() - line.data()));
        }
    }
    std::vector<KernelSet> out;
    out.reserve(sets.size());
    for (auto& [name, k] : sets) {
        sort_members(k);
        out.push_back(std::move(k));
    }
    return out;
}

std::optional<std::vector<KernelSet>> parse_list_headers(std::string_view text, std::string* why) {
    std::vector<KernelSet> out;
    KernelSet cur;
    bool have = false;
    auto flush = [&] {
        if (have && names::is_owned_set(cur.set.name)) out.push_back(std::move(cur));
        cur = KernelSet{};
        cur.set.family = 0;
        have = false;
    };
    size_t lineno = 0;
    bool in_members = false;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        if (line.empty()) {
            in_members = false;
            continue;
        }
        const size_t colon = line.find(": ");
        const std::string_view key = line.substr(0, colon == std::string_view::npos ? line.find(':') : colon);
        const std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 2);
        if (key == "Name") {
            flush();
            cur.set.name = std::string(value);
            have = true;
            in_members = false;
            continue;
        }
        if (in_members) continue;
        if (!have) {
            fail(why, "ipset list line " + std::to_string(lineno) + ": before the first Name: " +
                          std::string(line.substr(0, 200)));
            return std::nullopt;
        }
        if (key == "Type") {
            cur.set.type = std::string(value);
        } else if (key == "Header") {
            read_create_options(words(value), 0, cur);
        } else if (key == "References") {
            if (auto n = parse_decimal(value, UINT32_MAX)) cur.references = *n;
        } else if (key == "Number of entries") {
            if (auto n = parse_decimal(value, UINT32_MAX)) cur.entries = *n;
        } else if (key == "Members") {
            in_members = true;  // a full listing: members are not read from this text
        }
        // Revision, Size in memory and keys of later ipset versions: not needed.
    }
    flush();
    std::sort(out.begin(), out.end(), [](const KernelSet& a, const KernelSet& b) { return a.set.name < b.set.name; });
    for (size_t i = 1; i < out.size(); ++i) {
        if (out[i - 1].set.name == out[i].set.name) {
            fail(why, "ipset list: set " + out[i].set.name + " listed twice");
            return std::nullopt;
        }
    }
    return out;
}

void diff_members(const std::vector<std::string>& want, const std::vector<std::string>& have,
                  std::vector<std::string>& add, std::vector<std::string>& del) {
    add.clear();
    del.clear();
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(add));
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(del));
}

std::optional<SetChange> diff_set(const nf::IpSet& want, const KernelSet* have) {
    SetChange c;
    c.name = want.name;
    c.type = parse_set_type(want.type).value_or(SetType::hash_net);
    c.family = want.family;
    if (!have || !have->conforms() || have->set.type != want.type || have->set.family != want.family) {
        c.kind = have ? SetChange::recreate : SetChange::create;
        c.add = want.members;
        return c;
    }
    c.kind = SetChange::update;
    diff_members(want.members, have->set.members, c.add, c.del);
    if (c.add.empty() && c.del.empty()) return std::nullopt;
    return c;
}

}  // namespace ipset

SysError ipset_open_error(std::string_view report, int err) {
    std::string detail(report);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    auto has = [&](std::string_view s) { return detail.find(s) != std::string::npos; };
    std::string op;
    if (has("Cannot open session") || detail.empty()) {
        // socket(AF_NETLINK, ..., NETLINK_NETFILTER) or the first send failed; errno says why
        // (EPROTONOSUPPORT: a kernel without nfnetlink).
        op = "ipset: open a netfilter netlink socket to the kernel (kernel without nfnetlink?)";
    } else if (has("Operation not permitted")) {
        op = "ipset: the kernel refused the IP set protocol check (needs CAP_NET_ADMIN in this network namespace)";
        err = EPERM;
    } else if (has("Invalid argument") || has("protocol error") || has("Cannot communicate")) {
        // nfnetlink answers EINVAL for a subsystem nobody registered: no ip_set in the kernel.
        op = "ipset: no IP set support in the kernel (ip_set module not loaded or not built)";
        err = 0;
    } else {
        op = "ipset: first contact with the kernel's IP set subsystem failed";
        err = 0;
    }
    return SysError{std::move(op), err, std::move(detail)};
}

}  // namespace hepd
