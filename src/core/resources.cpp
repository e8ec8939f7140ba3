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
//     path (spec.ingress[2].destination.ports[0]), says what was found and what is allowed, and
//     every problem is reported, not the first. A problem is reported once: cross-field checks
//     (ports need a port protocol, one IP family per rule, ...) run only on a rule whose fields
//     are valid, so that one mistake never shows up as two.
//  4. Bounded: documented limits (ModelLimits) on sizes and counts.
//
// Message shape: "PATH: what is wrong", e.g.
//     spec.ingress[0].destination.ports[0]: port 22 needs a protocol: set protocol TCP, ...
// where PATH is the field as written in the YAML. The UCI mapping (uci_resources.cpp) rewrites
// PATH into UCI option names, so keep it at the start of the message.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <memory>
#include <type_traits>

#include "hepd/model.hpp"
#include "hepd/selector.hpp"

namespace hepd {

namespace {

using yaml::Node;

struct Ctx {
    Ctx(std::string_view f, Diagnostics& d, std::string_view p) : file(f), file_name(std::string(f)), diags(d), prefix(p) {}

    std::string_view file;
    FileName file_name;  // shared by the Location of every resource and rule read
    Diagnostics& diags;
    std::string_view prefix;  // put before every message ("uci:@rule[3]: ") when the tree was synthesized
    bool limit_reported = false;

    Location loc(const Node& n) const { return Location{file_name, n.line, n.col}; }
    void error(const Node& n, std::string msg) { diags.error(loc(n), std::string(prefix) + msg); }
    void warning(const Node& n, std::string msg) { diags.warning(loc(n), std::string(prefix) + msg); }
};

// A value as it appears in a message: in single quotes, control characters escaped (a message is
// one line), cut after 80 bytes (on a UTF-8 boundary) so that one bad 1 MB scalar cannot flood
// the report.
std::string quote(std::string_view s) {
    bool cut = false;
    if (s.size() > 80) {
        size_t n = 77;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        s = s.substr(0, n);
        cut = true;
    }
    std::string out = "'";
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += ch;
        }
    }
    if (cut) out += "...";
    out += '\'';
    return out;
}

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string sub(const std::string& path, std::string_view field) {
    return path.empty() ? std::string(field) : path + "." + std::string(field);
}
// "PATH: " or nothing for the top level.
std::string at(const std::string& path) { return path.empty() ? std::string() : path + ": "; }

bool is_quoted(const Node& n) {
    return n.is_scalar() && (n.style == yaml::ScalarStyle::single_quoted || n.style == yaml::ScalarStyle::double_quoted);
}

// What a node is, for "expected X, found Y".
std::string found(const Node& n) {
    switch (n.kind) {
    case yaml::NodeKind::null: return "nothing (null)";
    case yaml::NodeKind::scalar: return (is_quoted(n) ? "the quoted string " : "") + quote(n.value);
    case yaml::NodeKind::mapping: return "a mapping";
    case yaml::NodeKind::sequence: return "a list";
    }
    return "?";
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// A decimal number as std::from_chars(double) reads it: an optional '-', digits with at most one
// '.' (at least one digit), an optional exponent; out of range is an error. The conversion is
// strtod's (hepd never leaves the C locale) because libc++ 16, the static build's, has no
// floating-point from_chars.
std::optional<double> parse_double(std::string_view s) {
    auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    size_t i = 0, digits = 0;
    if (i < s.size() && s[i] == '-') ++i;
    for (; digit(i); ++i) ++digits;
    if (i < s.size() && s[i] == '.') {
        for (++i; digit(i); ++i) ++digits;
    }
    if (digits == 0) return std::nullopt;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (!digit(j)) return std::nullopt;
        for (i = j; digit(i); ++i) {}
    }
    if (i != s.size()) return std::nullopt;
    const std::string text(s);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (errno == ERANGE || end != text.c_str() + text.size()) return std::nullopt;
    return v;
}

bool parse_u64(std::string_view s, uint64_t& out) {
    if (!all_digits(s) || s.size() > 19) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// A plain scalar that YAML 1.1 readers (Go's yaml.v2, behind calicoctl) take as an integer in a
// form other than plain decimal: 0x1F, 0o17, 017, 0b101, 1_000. hepd reads numbers as decimal
// text, so such a value would mean one thing to Calico and another to hepd; it is refused.
bool is_nondecimal_int(const Node& n) {
    if (!n.is_scalar() || n.style != yaml::ScalarStyle::plain) return false;
    std::string_view s = n.value;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    if (s.size() < 2) return false;
    auto only = [&](std::string_view body, std::string_view chars) {
        return !body.empty() && body.find_first_not_of(chars) == std::string_view::npos;
    };
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return only(s.substr(2), "0123456789abcdefABCDEF_");
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) return only(s.substr(2), "01234567_");
    if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) return only(s.substr(2), "01_");
    if (s[0] == '0') return only(s.substr(1), "0123456789_");
    return only(s, "0123456789_") && s.find('_') != std::string_view::npos;
}

std::string nondecimal_message(const std::string& path, const Node& n) {
    return at(path) + quote(n.value) + " is a YAML integer in a non-decimal form (hex, octal, binary or with '_'); "
                                       "write the number in plain decimal";
}

}  // namespace

std::optional<std::string_view> closest_name(std::string_view word, const std::vector<std::string_view>& candidates) {
    auto lower = [](std::string_view s) {
        std::string o(s);
        for (auto& ch : o)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        return o;
    };
    const std::string lw = lower(word);
    for (auto cand : candidates)
        if (lower(cand) == lw) return cand;
    // An abbreviation: "proto" for "protocol".
    std::optional<std::string_view> prefix_of;
    size_t prefixes = 0;
    for (auto cand : candidates) {
        if (lw.size() >= 3 && lower(cand).starts_with(lw)) {
            prefix_of = cand;
            ++prefixes;
        }
    }
    if (prefixes == 1) return prefix_of;
    if (word.size() > 64) return std::nullopt;
    const size_t limit = word.size() <= 4 ? 1 : 2;
    std::optional<std::string_view> best;
    size_t best_d = limit + 1;
    for (auto cand : candidates) {
        const std::string lc = lower(cand);
        if (lc.size() > lw.size() + limit || lw.size() > lc.size() + limit) continue;
        // Optimal string alignment distance over three rows.
        const size_t m = lw.size(), k = lc.size();
        std::vector<size_t> prev2(k + 1), prev(k + 1), cur(k + 1);
        for (size_t j = 0; j <= k; ++j) prev[j] = j;
        for (size_t i = 1; i <= m; ++i) {
            cur[0] = i;
            for (size_t j = 1; j <= k; ++j) {
                const size_t cost = lw[i - 1] == lc[j - 1] ? 0 : 1;
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
                if (i > 1 && j > 1 && lw[i - 1] == lc[j - 2] && lw[i - 2] == lc[j - 1])
                    cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
            prev2.swap(prev);
            prev.swap(cur);
        }
        if (prev[k] < best_d) {
            best_d = prev[k];
            best = cand;
        }
    }
    return best;
}

namespace {

std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates) {
    return closest_name(word, candidates);
}

// ---- scalar readers ------------------------------------------------------------------------
// Kubernetes decodes YAML through JSON: a string field takes any scalar (numbers and booleans
// keep their text here), a number or boolean field takes only an unquoted scalar.

std::optional<std::string> read_string(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_null()) return std::string();
    if (!n.is_scalar()) {
        c.error(n, at(path) + "expected a string, found " + found(n));
        return std::nullopt;
    }
    return n.value;
}

std::optional<bool> read_bool(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_null()) return false;
    static constexpr std::string_view yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static constexpr std::string_view no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    auto word = [&](bool& v) {
        for (auto y : yes) {
            if (n.value == y) {
                v = true;
                return true;
            }
        }
        for (auto f : no) {
            if (n.value == f) {
                v = false;
                return true;
            }
        }
        return false;
    };
    bool v = false;
    if (n.is_scalar() && word(v)) {
        if (n.style == yaml::ScalarStyle::plain) return v;
        c.error(n, at(path) + "expected true or false, found the quoted string " + quote(n.value) +
                       "; write it without quotes");
        return std::nullopt;
    }
    c.error(n, at(path) + "expected true or false, found " + found(n));
    return std::nullopt;
}

std::optional<double> read_number(Ctx& c, const Node& n, const std::string& path) {
    if (n.is_scalar() && n.style == yaml::ScalarStyle::plain && !n.value.empty()) {
        if (is_nondecimal_int(n)) {
            c.error(n, nondecimal_message(path, n));
            return std::nullopt;
        }
        std::string_view text = n.value;
        if (text.front() == '+') text.remove_prefix(1);
        auto v = parse_double(text);
        if (v && std::isfinite(*v)) return *v;
    }
    std::string hint;
    if (is_quoted(n)) hint = "; write it without quotes";
    c.error(n, at(path) + "expected a number, found " + found(n) + hint);
    return std::nullopt;
}

// An unsigned integer lo..hi, unquoted (a Go int field).
std::optional<uint64_t> read_uint(Ctx& c, const Node& n, const std::string& path, uint64_t lo, uint64_t hi) {
    const std::string range = std::to_string(lo) + "-" + std::to_string(hi);
    if (is_nondecimal_int(n)) {
        c.error(n, nondecimal_message(path, n));
        return std::nullopt;
    }
    if (n.is_scalar() && n.style == yaml::ScalarStyle::plain) {
        std::string_view s = n.value;
        if (!s.empty() && s[0] == '+') s.remove_prefix(1);
        uint64_t v = 0;
        const bool negative = s.size() > 1 && s[0] == '-' && all_digits(s.substr(1));
        if (negative || (all_digits(s) && (!parse_u64(s, v) || v < lo || v > hi))) {
            c.error(n, at(path) + quote(n.value) + " is out of range (" + range + ")");
            return std::nullopt;
        }
        if (all_digits(s)) return v;
    }
    std::string hint;
    if (is_quoted(n) && all_digits(n.value)) hint = "; write it without quotes";
    c.error(n, at(path) + "expected a number " + range + ", found " + found(n) + hint);
    return std::nullopt;
}

// A list of nodes; null is the empty list.
std::optional<std::vector<const Node*>> read_list(Ctx& c, const Node& n, const std::string& path) {
    std::vector<const Node*> out;
    if (n.is_null()) return out;
    if (!n.is_sequence()) {
        c.error(n, at(path) + "expected a list, found " + found(n));
        return std::nullopt;
    }
    for (const auto& item : n.items) out.push_back(&item);
    return out;
}

// ---- field tables --------------------------------------------------------------------------

// What reads one field: a reference to a callable (value, path of the value), which must outlive
// it. The field tables below are built afresh for every mapping read; a std::function would copy
// each of their lambdas onto the heap every time.
class FieldReader {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, FieldReader>)
    FieldReader(F&& f)  // NOLINT: implicit, so that a table row is {"name", lambda}
        : callable_(std::addressof(f)), call_([](const void* c, const Node& n, const std::string& p) {
              (*static_cast<const std::remove_reference_t<F>*>(c))(n, p);
          }) {}
    void operator()(const Node& n, const std::string& path) const { call_(callable_, n, path); }

private:
    const void* callable_;
    void (*call_)(const void*, const Node&, const std::string&);
};

struct Field {
    std::string_view name;
    FieldReader read;
    bool listed = true;  // named in "known: ..." (bookkeeping fields are accepted but not advertised)
};

std::string unknown_field_message(std::string_view key, const std::vector<std::string_view>& names,
                                  const std::vector<std::string_view>& listed, std::string_view where = {}) {
    std::string msg = "unknown field " + quote(key) + std::string(where);
    if (auto guess = closest(key, names)) return msg + "; did you mean '" + std::string(*guess) + "'?";
    msg += " (known: ";
    for (size_t i = 0; i < listed.size(); ++i) msg += (i ? ", " : "") + std::string(listed[i]);
    return msg + ")";
}

// The fields that unknown keys of a mapping were taken for ("did you mean"): a check that a
// required field is present stays quiet about those, so that one typo is one message.
struct Guesses {
    std::vector<std::string_view> names;
    bool has(std::string_view n) const { return std::find(names.begin(), names.end(), n) != names.end(); }
};

// Reads a mapping through its table: every key must be a known field (the YAML reader already
// refuses duplicate keys). Unknown fields are errors naming the closest or the valid ones.
Guesses read_fields(Ctx& c, const Node& map, const std::string& path, std::string_view what,
                    std::initializer_list<Field> fields) {
    Guesses guesses;
    if (map.is_null()) return guesses;
    if (!map.is_mapping()) {
        c.error(map, at(path) + "expected a mapping (" + std::string(what) + "), found " + found(map));
        return guesses;
    }
    for (const auto& e : map.entries) {
        if (!e.key.is_scalar()) {
            c.error(e.key, at(path) + "keys must be strings, found " + found(e.key));
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
            std::vector<std::string_view> names, listed;
            for (const auto& cand : fields) {
                names.push_back(cand.name);
                if (cand.listed) listed.push_back(cand.name);
            }
            if (auto guess = closest(e.key.value, names)) guesses.names.push_back(*guess);
            c.error(e.key, at(path) + unknown_field_message(e.key.value, names, listed));
            continue;
        }
        f->read(e.value, sub(path, e.key.value));
    }
    return guesses;
}

// ---- shared value checks -------------------------------------------------------------------

// Why `s` is not a Calico resource name, or nullopt. Names are lowercase DNS-1123 subdomains
// (parts of [a-z0-9-], alphanumeric at both ends, joined by '.', at most 253 characters); policy
// names may have at most one '.' (Calico's globalNetworkPolicyNameRegex, no per-part length).
std::optional<std::string> name_problem(std::string_view s, bool policy) {
    if (s.empty()) return "it is empty";
    if (s.size() > 253) return "it is " + std::to_string(s.size()) + " characters long, the limit is 253";
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.') continue;
        if (ch >= 'A' && ch <= 'Z') return std::string("uppercase letters are not allowed");
        if (u >= 0x80) return std::string("only ASCII characters are allowed");
        if (u < 0x20 || u == 0x7f) return std::string("control characters are not allowed");
        return "'" + std::string(1, ch) + "' is not allowed";
    }
    if (policy && std::count(s.begin(), s.end(), '.') > 1) return std::string("a policy name may contain at most one '.'");
    size_t start = 0;
    while (true) {
        const size_t dot = s.find('.', start);
        const std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
        if (part.empty()) return std::string("a '.' must stand between letters or digits");
        if (part.front() == '-' || part.back() == '-')
            return std::string("'-' must stand between letters or digits, not at the start or end") +
                   (s.find('.') != std::string_view::npos ? " of a part" : "");
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return std::nullopt;
}

// The rule reminder after the specific reason; left out when the reason is the length.
std::string name_rules(const std::string& why, bool policy) {
    if (why.find("characters long") != std::string::npos) return why;
    return why + (policy ? " (a policy name has lowercase letters, digits, '-' and at most one '.', and starts and "
                           "ends with a letter or digit)"
                         : " (a name has lowercase letters, digits, '-' and '.', and starts and ends with a letter or "
                           "digit)");
}

std::optional<Labels> read_labels(Ctx& c, const Node& n, const std::string& path) {
    Labels out;
    if (n.is_null()) return out;
    if (!n.is_mapping()) {
        c.error(n, at(path) + "expected a mapping of labels (key: value), found " + found(n));
        return std::nullopt;
    }
    bool ok = true;
    for (const auto& e : n.entries) {
        if (!e.key.is_scalar()) {
            c.error(e.key, at(path) + "label keys must be strings, found " + found(e.key));
            ok = false;
            continue;
        }
        if (auto why = check_label_key(e.key.value)) {
            c.error(e.key, at(path) + "invalid label key " + quote(e.key.value) + ": " + *why);
            ok = false;
        }
        auto v = read_string(c, e.value, sub(path, e.key.value));
        if (!v) {
            ok = false;
            continue;
        }
        if (auto why = check_label_value(*v)) {
            c.error(e.value, at(path) + "invalid value " + quote(*v) + " for label " + quote(e.key.value) + ": " + *why);
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
    if (is_quoted(n)) ++l.col;
    return l;
}

enum class GlobalUse { allowed, policy, rule, namespace_selector };

bool check_selector(Ctx& c, const Node& n, const std::string& path, const std::string& text, GlobalUse global) {
    if (text.size() > ModelLimits::max_selector) {
        c.error(n, at(path) + "selector is " + std::to_string(text.size()) + " characters long, the limit is " +
                       std::to_string(ModelLimits::max_selector));
        return false;
    }
    Diagnostics sd;
    auto sel = Selector::parse(text, sd, text_loc(c, n));
    if (!sel) {
        for (const auto& d : sd.items()) {
            Diagnostic copy = d;
            copy.message = std::string(c.prefix) + at(path) + copy.message;
            c.diags.add(std::move(copy));
        }
        return false;
    }
    if (global != GlobalUse::allowed && sel->uses_global()) {
        c.error(n, at(path) + "global() is not allowed in " +
                       (global == GlobalUse::policy              ? "a policy's selector"
                        : global == GlobalUse::namespace_selector ? "a policy's namespaceSelector"
                                                                  : "a rule's selector (only notSelector may use it)"));
        return false;
    }
    return true;
}

// Annotations: keys are Kubernetes qualified names (checked lowercased, as Calico does), values any
// string, 256 KiB in all.
bool check_annotations(Ctx& c, const Node& v, const std::string& p) {
    if (v.is_null()) return true;
    if (!v.is_mapping()) {
        c.error(v, at(p) + "expected a mapping of annotations (key: value), found " + found(v));
        return false;
    }
    bool ok = true;
    size_t total = 0;
    for (const auto& e : v.entries) {
        total += e.key.value.size() + e.value.value.size();
        std::string lowered = e.key.value;
        for (auto& ch : lowered)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (!e.key.is_scalar()) {
            c.error(e.key, at(p) + "annotation keys must be strings, found " + found(e.key));
            ok = false;
        } else if (auto why = check_label_key(lowered)) {
            c.error(e.key, at(p) + "invalid annotation key " + quote(e.key.value) + ": " + *why);
            ok = false;
        }
        if (!e.value.is_scalar() && !e.value.is_null()) {
            c.error(e.value, sub(p, e.key.value) + ": expected a string, found " + found(e.value));
            ok = false;
        }
    }
    if (total > ModelLimits::max_annotations) {
        c.error(v, at(p) + "annotations total " + std::to_string(total) + " bytes, the limit is " +
                       std::to_string(ModelLimits::max_annotations) + " (256 KiB)");
        ok = false;
    }
    return ok;
}

// Why `text` is not a CIDR (or, with allow_bare, an address), for messages.
std::string cidr_problem(std::string_view text, bool allow_bare) {
    const std::string example = " (such as 192.0.2.0/24 or 2001:db8::/32)";
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        if (text.find('%') != std::string_view::npos && parse_ip(text.substr(0, text.find('%'))))
            return quote(text) + " has a zone index ('%...'), which is not allowed";
        return quote(text) + " is not " + (allow_bare ? "an IP address or CIDR" : "a CIDR") + example;
    }
    const auto ip = parse_ip(text.substr(0, slash));
    if (!ip) return quote(text) + ": " + quote(text.substr(0, slash)) + " is not an IP address";
    const std::string_view p = text.substr(slash + 1);
    const unsigned max = ip->family == 4 ? 32 : 128;
    if (all_digits(p) && !(p.size() > 1 && p[0] == '0'))
        return quote(text) + ": prefix length /" + std::string(p) + " is out of range for IPv" +
               std::to_string(ip->family) + " (0-" + std::to_string(max) + ")";
    return quote(text) + ": " + quote(p) + " is not a prefix length (a decimal number 0-" + std::to_string(max) + ")";
}

// ---- ports and protocols -------------------------------------------------------------------

// Kubernetes port names (IsValidPortName): at most 15 characters, lowercase letters, digits and
// '-', at least one letter, no "--", no '-' at either end.
std::optional<std::string> check_port_name(std::string_view s) {
    if (s.empty()) return "must not be empty";
    if (s.size() > 15) return "it is " + std::to_string(s.size()) + " characters long, the limit is 15";
    bool letter = false;
    for (char ch : s) {
        if (ch >= 'a' && ch <= 'z') {
            letter = true;
        } else if (ch >= 'A' && ch <= 'Z') {
            return "uppercase letters are not allowed (port names use lowercase letters, digits and '-')";
        } else if (!((ch >= '0' && ch <= '9') || ch == '-')) {
            return "'" + std::string(1, ch) + "' is not allowed (port names use lowercase letters, digits and '-')";
        }
    }
    if (!letter) return "it must contain at least one letter";
    if (s.front() == '-' || s.back() == '-') return "it must not start or end with '-'";
    if (s.find("--") != std::string_view::npos) return "it must not contain '--'";
    return std::nullopt;
}

// "port 22", "port range 8000:8080", "named port 'http'".
std::string describe(const PortSpec& p) {
    if (p.is_named()) return "named port " + quote(p.name);
    if (p.first == p.last) return "port " + std::to_string(p.first);
    return "port range " + p.format();
}

// Entry i of the ports list at `list`; its path is built only for a message.
std::optional<PortSpec> read_port(Ctx& c, const Node& n, const std::string& list, size_t i) {
    auto path = [&] { return idx(list, i); };
    if (!n.is_scalar() || n.value.empty()) {
        c.error(n, at(path()) + "expected a port number, a range 'MIN:MAX' or a port name, found " + found(n));
        return std::nullopt;
    }
    if (is_nondecimal_int(n)) {
        c.error(n, nondecimal_message(path(), n));
        return std::nullopt;
    }
    const std::string& s = n.value;
    auto bad = [&](std::string what) {
        c.error(n, at(path()) + what);
        return std::nullopt;
    };
    if (all_digits(s)) {
        uint64_t v = 0;
        if (!parse_u64(s, v) || v > 65535) return bad("port " + quote(s) + " is out of range (1-65535)");
        if (v == 0) return bad("port 0 is not valid (ports are 1-65535)");
        return PortSpec{static_cast<uint16_t>(v), static_cast<uint16_t>(v), {}};
    }
    const size_t colon = s.find(':');
    if (colon != std::string::npos) {
        const std::string_view a = std::string_view(s).substr(0, colon), b = std::string_view(s).substr(colon + 1);
        if (all_digits(a) && all_digits(b)) {
            uint64_t lo = 0, hi = 0;
            if (!parse_u64(a, lo) || !parse_u64(b, hi) || lo > 65535 || hi > 65535)
                return bad("port range " + quote(s) + " is out of range (1-65535)");
            if (lo == 0) return bad("port range " + quote(s) + " starts at 0 (ports are 1-65535)");
            if (lo > hi) return bad("port range " + quote(s) + " has its minimum above its maximum");
            return PortSpec{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi), {}};
        }
    }
    // A named port: the parser's own pattern first, then Kubernetes' port-name rules.
    const bool syntax = s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char ch) {
                            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                                   ch == '_' || ch == '.' || ch == '-';
                        });
    if (!syntax)
        return bad(quote(s) + " is not a port (1-65535), a range 'MIN:MAX' or a port name");
    const size_t dash = s.find('-');
    if (dash != std::string::npos && all_digits(std::string_view(s).substr(0, dash)) &&
        all_digits(std::string_view(s).substr(dash + 1)))
        return bad(quote(s) + " is not a port range: Calico writes ranges as 'MIN:MAX' (" + s.substr(0, dash) + ":" +
                   s.substr(dash + 1) + ")");
    if (auto why = check_port_name(s)) return bad("invalid port name " + quote(s) + ": " + *why);
    return PortSpec{0, 0, s};
}

struct ProtoName {
    std::string_view name;
    uint8_t number;
};
constexpr ProtoName protocol_names[] = {{"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMPv6", 58}, {"SCTP", 132}, {"UDPLite", 136}};

// "TCP", "ICMP", "1 (ICMP)", "7".
std::string describe(const Protocol& p) {
    if (p.by_name) return p.format();
    for (const auto& n : protocol_names)
        if (n.number == p.number) return std::to_string(p.number) + " (" + std::string(n.name) + ")";
    return std::to_string(p.number);
}

std::optional<Protocol> read_protocol(Ctx& c, const Node& n, const std::string& path) {
    if (!n.is_scalar() || n.value.empty()) {
        c.error(n, at(path) + "expected a protocol name or number, found " + found(n));
        return std::nullopt;
    }
    if (is_nondecimal_int(n)) {
        c.error(n, nondecimal_message(path, n));
        return std::nullopt;
    }
    const std::string& s = n.value;
    if (all_digits(s)) {
        uint64_t v = 0;
        if (!parse_u64(s, v) || v < 1 || v > 255) {
            c.error(n, at(path) + "protocol number " + quote(s) + " is out of range (1-255)");
            return std::nullopt;
        }
        return Protocol{static_cast<uint8_t>(v), false};
    }
    std::vector<std::string_view> names;
    for (const auto& p : protocol_names) {
        if (s == p.name) return Protocol{p.number, true};
        names.push_back(p.name);
    }
    std::string msg = at(path) + quote(s) + " is not a valid protocol";
    auto guess = closest(s, names);
    if (guess) msg += "; did you mean '" + std::string(*guess) + "'? Names are case-sensitive";
    else msg += ": use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite (case-sensitive) or a number 1-255";
    c.error(n, msg);
    return std::nullopt;
}

std::optional<IcmpMatch> read_icmp(Ctx& c, const Node& n, const std::string& path) {
    IcmpMatch m;
    bool ok = true;
    const Node* code_node = nullptr;
    auto read_small = [&](const Node& v, const std::string& p, unsigned max) -> std::optional<uint8_t> {
        auto x = read_uint(c, v, p, 0, max);
        if (!x) {
            ok = false;
            return std::nullopt;
        }
        return static_cast<uint8_t>(*x);
    };
    const Guesses guesses = read_fields(c, n, path, "an ICMP match: type and code", {
        {"type", [&](const Node& v, const std::string& p) { if (!v.is_null()) m.type = read_small(v, p, 254); }},
        {"code", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             code_node = &v;
             m.code = read_small(v, p, 255);
         }},
    });
    if (!n.is_null() && !n.is_mapping()) ok = false;
    if (ok && m.code && !m.type && !guesses.has("type")) {
        c.error(*code_node, sub(path, "code") + ": a code needs a type: set " + sub(path, "type") + " too");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return m;
}

// ---- rules ---------------------------------------------------------------------------------

// Where each net and port of a rule was written, for the cross-field checks that run once the
// whole rule is read. An entry's path ("spec.ingress[0].source.nets[3]") is built only for a
// message, from its list's path and its index.
struct NetSeen {
    const Node* node;
    size_t list;  // in RuleSeen::lists
    size_t item;
    Cidr cidr;
};
struct PortSeen {
    const Node* node;
    size_t list;
    size_t item;
    PortSpec spec;
};
struct RuleSeen {
    std::vector<std::string> lists;  // paths of the lists read
    std::vector<NetSeen> nets;       // in document order, all four lists
    std::vector<PortSeen> ports;     // in document order, all four lists

    template <class Entry>
    std::string path(const Entry& e) const {
        return idx(lists[e.list], e.item);
    }
};

void read_cidr_list(Ctx& c, const Node& n, const std::string& path, std::vector<Cidr>& out, bool negated, bool& ok,
                    RuleSeen& seen) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_nets) {
        c.error(n, at(path) + std::to_string(items->size()) + " entries, the limit is " +
                       std::to_string(ModelLimits::max_nets));
        ok = false;
        return;
    }
    out.reserve(out.size() + items->size());
    const size_t list = seen.lists.size();
    seen.lists.push_back(path);
    for (size_t i = 0; i < items->size(); ++i) {
        const Node& it = *(*items)[i];
        auto p = [&] { return idx(path, i); };
        if (!it.is_scalar()) {
            c.error(it, p() + ": expected a CIDR such as 192.0.2.0/24, found " + found(it));
            ok = false;
            continue;
        }
        // Calico's rule validator re-parses every entry as a CIDR: a bare address is refused.
        auto cidr = parse_cidr(it.value, false);
        if (!cidr) {
            if (parse_ip(it.value))
                c.error(it, p() + ": " + quote(it.value) + " needs a prefix length (" + it.value +
                                (it.value.find(':') != std::string::npos ? "/128" : "/32") + " for one address)");
            else
                c.error(it, p() + ": " + cidr_problem(it.value, false));
            ok = false;
            continue;
        }
        const Cidr net = cidr->masked();
        if (net != *cidr) {
            c.error(it, p() + ": " + quote(it.value) + " has host bits set; did you mean " + net.to_string() + "?");
            ok = false;
            continue;
        }
        if (negated && cidr->prefix == 0) {
            c.error(it, p() + ": " + quote(it.value) + " is the whole IPv" + std::to_string(cidr->family()) +
                            " address space: a rule that excludes it could never match");
            ok = false;
            continue;
        }
        out.push_back(net);
        seen.nets.push_back(NetSeen{&it, list, i, net});
    }
}

void read_port_list(Ctx& c, const Node& n, const std::string& path, std::vector<PortSpec>& out, bool& ok,
                    RuleSeen& seen) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_ports) {
        c.error(n, at(path) + std::to_string(items->size()) + " entries, the limit is " +
                       std::to_string(ModelLimits::max_ports));
        ok = false;
        return;
    }
    out.reserve(out.size() + items->size());
    const size_t list = seen.lists.size();
    seen.lists.push_back(path);
    for (size_t i = 0; i < items->size(); ++i) {
        auto port = read_port(c, *(*items)[i], path, i);
        if (!port) {
            ok = false;
            continue;
        }
        out.push_back(*port);
        seen.ports.push_back(PortSeen{(*items)[i], list, i, *port});
    }
}

void reject_workload_field(Ctx& c, const Node& v, const std::string& path, std::string_view why, bool& ok) {
    if (v.is_null()) return;
    c.error(v, at(path) + "not supported by hepd: " + std::string(why));
    ok = false;
}

void read_entity(Ctx& c, const Node& n, const std::string& path, EntityRule& e, bool& ok, RuleSeen& seen) {
    if (!n.is_null() && !n.is_mapping()) ok = false;
    read_fields(c, n, path, "nets, selector, ports and their not- forms", {
        {"nets", [&](const Node& v, const std::string& p) { read_cidr_list(c, v, p, e.nets, false, ok, seen); }},
        {"notNets", [&](const Node& v, const std::string& p) { read_cidr_list(c, v, p, e.not_nets, true, ok, seen); }},
        {"selector", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s || !check_selector(c, v, p, *s, GlobalUse::rule)) ok = false; else e.selector = *s;
         }},
        {"notSelector", [&](const Node& v, const std::string& p) {
             // Calico's CEL ban on global() covers `selector` only.
             auto s = read_string(c, v, p);
             if (!s || !check_selector(c, v, p, *s, GlobalUse::allowed)) ok = false; else e.not_selector = *s;
         }},
        {"ports", [&](const Node& v, const std::string& p) { read_port_list(c, v, p, e.ports, ok, seen); }},
        {"notPorts", [&](const Node& v, const std::string& p) { read_port_list(c, v, p, e.not_ports, ok, seen); }},
        {"namespaceSelector", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "namespaces select Kubernetes workloads, host endpoints have none", ok);
         }},
        {"serviceAccounts", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "service accounts belong to Kubernetes workloads", ok);
         }},
        {"services", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "Kubernetes services need a datastore", ok);
         }},
    });
}

std::optional<Rule> read_rule(Ctx& c, const Node& n, const std::string& path) {
    Rule r;
    r.where = c.loc(n);
    if (!n.is_mapping()) {
        c.error(n, at(path) + "expected a rule (a mapping with at least action), found " + found(n));
        return std::nullopt;
    }
    bool ok = true;
    bool has_action = false;
    const Node* icmp_node = nullptr;
    const Node* not_icmp_node = nullptr;
    const Node* ipv_node = nullptr;
    const Node* proto_node = nullptr;
    RuleSeen seen;
    const Guesses guesses = read_fields(c, n, path, "a rule", {
        {"action", [&](const Node& v, const std::string& p) {
             has_action = true;
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             static constexpr std::pair<std::string_view, Action> actions[] = {
                 {"Allow", Action::allow}, {"Deny", Action::deny}, {"Log", Action::log}, {"Pass", Action::pass}};
             for (const auto& [name, a] : actions) {
                 if (*s == name) { r.action = a; return; }
             }
             auto guess = closest(*s, {"Allow", "Deny", "Log", "Pass"});
             if (s->empty())
                 c.error(v, at(p) + "must not be empty: use Allow, Deny, Log or Pass");
             else if (guess)
                 c.error(v, at(p) + quote(*s) + " is not a valid action; did you mean '" + std::string(*guess) +
                                "'? Actions are case-sensitive: Allow, Deny, Log or Pass");
             else
                 c.error(v, at(p) + quote(*s) + " is not a valid action: use Allow, Deny, Log or Pass (case-sensitive)");
             ok = false;
         }},
        {"ipVersion", [&](const Node& v, const std::string& p) {
             ipv_node = &v;
             if (v.is_null()) return;
             if (v.is_scalar() && v.style == yaml::ScalarStyle::plain && (v.value == "4" || v.value == "6")) {
                 r.ip_version = static_cast<uint8_t>(v.value[0] - '0');
                 return;
             }
             c.error(v, at(p) + "expected 4 or 6, found " + found(v) +
                            (is_quoted(v) && (v.value == "4" || v.value == "6") ? "; write it without quotes" : ""));
             ok = false;
         }},
        {"protocol", [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             proto_node = &v;
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
        {"source", [&](const Node& v, const std::string& p) { read_entity(c, v, p, r.source, ok, seen); }},
        {"destination", [&](const Node& v, const std::string& p) { read_entity(c, v, p, r.destination, ok, seen); }},
        {"http", [&](const Node& v, const std::string& p) {
             reject_workload_field(c, v, p, "HTTP matches need Calico's application layer policy", ok);
         }},
        {"metadata", [&](const Node& v, const std::string& p) {
             if (!v.is_null() && !v.is_mapping()) ok = false;
             read_fields(c, v, p, "rule metadata: annotations", {
                 {"annotations", [&](const Node& a, const std::string& ap) { if (!check_annotations(c, a, ap)) ok = false; }},
             });
         }},
    });
    if (!has_action) {
        if (!guesses.has("action")) c.error(n, at(path) + "action is required (Allow, Deny, Log or Pass)");
        ok = false;
    }
    if (!ok) return std::nullopt;

    // Cross-field rules of Calico's validateRule and the Rule CEL expressions. Each reports at the
    // node that has to change.
    auto check_icmp_version = [&](const std::optional<Protocol>& proto, std::string_view field) {
        if (!proto || r.ip_version == 0) return;
        if (proto->is_icmp() && r.ip_version == 6) {
            c.error(*ipv_node, sub(path, "ipVersion") + ": 6 conflicts with " + std::string(field) + " " +
                                   describe(*proto) + ", which is IPv4 only: use ICMPv6 for IPv6, or ipVersion 4");
            ok = false;
        }
        if (proto->is_icmpv6() && r.ip_version == 4) {
            c.error(*ipv_node, sub(path, "ipVersion") + ": 4 conflicts with " + std::string(field) + " " +
                                   describe(*proto) + ", which is IPv6 only: use ICMP for IPv4, or ipVersion 6");
            ok = false;
        }
    };
    check_icmp_version(r.protocol, "protocol");
    check_icmp_version(r.not_protocol, "notProtocol");

    const bool icmp_proto = r.protocol && (r.protocol->is_icmp() || r.protocol->is_icmpv6());
    const std::string has_proto =
        r.protocol ? "the rule has protocol " + describe(*r.protocol) : std::string("the rule has no protocol");
    if (r.icmp && !icmp_proto) {
        c.error(*icmp_node, sub(path, "icmp") + ": needs protocol ICMP or ICMPv6 (or 1 or 58), but " + has_proto);
        ok = false;
    }
    if (r.not_icmp && !icmp_proto) {
        // Calico's validator lets this through, but no iptables rule can express an ICMP type
        // match without the ICMP protocol; hepd refuses it instead of rendering a broken rule.
        c.error(*not_icmp_node, sub(path, "notICMP") + ": needs protocol ICMP or ICMPv6 (or 1 or 58), but " +
                                    has_proto + " (hepd: iptables matches ICMP types only with the ICMP protocol)");
        ok = false;
    }

    // Ports need a protocol that has them; one report per rule, at the first port that is wrong.
    for (const auto& ps : seen.ports) {
        if (!r.protocol) {
            if (ps.spec.is_named()) continue;
            c.error(*ps.node, seen.path(ps) + ": " + describe(ps.spec) +
                                  " needs a protocol: set protocol TCP, UDP or SCTP on the rule (without a protocol, "
                                  "only named ports are allowed)");
            ok = false;
            break;
        }
        if (!r.protocol->supports_ports()) {
            c.error(*ps.node, seen.path(ps) + ": " + describe(ps.spec) + " cannot be used with protocol " +
                                  describe(*r.protocol) + " (line " + std::to_string(proto_node->line) +
                                  "); only TCP, UDP and SCTP (6, 17, 132) have ports");
            ok = false;
            break;
        }
    }

    // Nets: one family across all four lists, agreeing with ipVersion.
    if (!seen.nets.empty()) {
        const NetSeen& first = seen.nets.front();
        const uint8_t family = first.cidr.family();
        bool mixed = false;
        for (const auto& ns : seen.nets) {
            if (ns.cidr.family() == family) continue;
            c.error(*ns.node, seen.path(ns) + ": " + quote(ns.node->value) + " is IPv" + std::to_string(ns.cidr.family()) +
                                  ", but " + seen.path(first) + " (" + quote(first.node->value) + ") is IPv" +
                                  std::to_string(family) +
                                  "; all nets of a rule must be one family: split it into one rule per family");
            ok = false;
            mixed = true;
            break;
        }
        if (!mixed && r.ip_version != 0 && family != r.ip_version) {
            c.error(*first.node, seen.path(first) + ": " + quote(first.node->value) + " is IPv" + std::to_string(family) +
                                     ", but the rule has ipVersion " + std::to_string(r.ip_version) + " (line " +
                                     std::to_string(ipv_node->line) + ")");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return r;
}

void read_rules(Ctx& c, const Node& n, const std::string& path, std::vector<Rule>& out, bool& ok) {
    auto items = read_list(c, n, path);
    if (!items) {
        ok = false;
        return;
    }
    if (items->size() > ModelLimits::max_rules) {
        c.error(n, at(path) + std::to_string(items->size()) + " rules, the limit is " +
                       std::to_string(ModelLimits::max_rules));
        ok = false;
        return;
    }
    out.reserve(out.size() + items->size());
    for (size_t i = 0; i < items->size(); ++i) {
        auto r = read_rule(c, *(*items)[i], idx(path, i));
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
    const Node* labels_node = nullptr;
};

bool read_metadata(Ctx& c, const Node& doc, const Node* n, std::string_view kind, Meta& m) {
    if (!n || n->is_null()) {
        c.error(n ? *n : doc, "metadata is required, with at least a name");
        return false;
    }
    if (!n->is_mapping()) {
        c.error(*n, "metadata: expected a mapping with at least a name, found " + found(*n));
        return false;
    }
    bool ok = true;
    auto ignore = [](const Node&, const std::string&) {};
    const Guesses guesses = read_fields(c, *n, "metadata", "name, labels and annotations", {
        {"name", [&](const Node& v, const std::string& p) {
             m.name_node = &v;
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             m.name = *s;
         }},
        {"namespace", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (s && !s->empty()) {
                 c.error(v, at(p) + std::string(kind) + " is a global resource and has no namespace; remove it");
                 ok = false;
             }
         }},
        {"labels", [&](const Node& v, const std::string& p) {
             m.labels_node = &v;
             auto l = read_labels(c, v, p);
             if (l) m.labels = std::move(*l); else ok = false;
         }},
        {"annotations", [&](const Node& v, const std::string& p) { if (!check_annotations(c, v, p)) ok = false; }},
        // Bookkeeping that `calicoctl get -o yaml` prints; meaningless in a file, accepted as is.
        {"uid", ignore, false}, {"resourceVersion", ignore, false}, {"creationTimestamp", ignore, false},
        {"generation", ignore, false}, {"selfLink", ignore, false}, {"managedFields", ignore, false},
        {"generateName", ignore, false}, {"finalizers", ignore, false}, {"ownerReferences", ignore, false},
        {"deletionTimestamp", ignore, false}, {"deletionGracePeriodSeconds", ignore, false},
    });
    if (!m.name_node) {
        if (!guesses.has("name")) c.error(*n, "metadata.name is required");
        return false;
    }
    if (m.name_node->is_scalar() || m.name_node->is_null()) {
        const bool policy = kind == "GlobalNetworkPolicy";
        if (m.name.empty()) {
            c.error(*m.name_node, "metadata.name must not be empty");
            ok = false;
        } else if (auto why = name_problem(m.name, policy)) {
            c.error(*m.name_node, "metadata.name: " + quote(m.name) + " is not a valid " +
                                      (policy ? "policy name: " : "name: ") + name_rules(*why, policy));
            ok = false;
        }
    }
    return ok;
}

// ---- kinds ---------------------------------------------------------------------------------

void load_host_endpoint(Ctx& c, const Node& doc, const Node* meta, const Node* spec, Model& model) {
    HostEndpoint h;
    h.where = c.loc(doc);
    Meta m;
    bool ok = read_metadata(c, doc, meta, "HostEndpoint", m);
    if (!spec || spec->is_null()) {
        c.error(spec ? *spec : doc, "spec is required: node, and interfaceName or expectedIPs");
        return;
    }
    if (!spec->is_mapping()) {
        c.error(*spec, "spec: expected a mapping (node, interfaceName, expectedIPs, profiles, ports), found " +
                           found(*spec));
        return;
    }
    bool node_seen = false;
    bool ips_listed = false;  // expectedIPs has entries, valid or not
    const Guesses guesses = read_fields(c, *spec, "spec", "a HostEndpoint spec", {
        {"node", [&](const Node& v, const std::string& p) {
             node_seen = true;
             auto s = read_string(c, v, p);
             if (!s) { ok = false; return; }
             h.node = *s;
             if (s->empty()) {
                 c.error(v, at(p) + "must not be empty: name the node (hostname) this endpoint belongs to");
                 ok = false;
             } else if (auto why = name_problem(*s, false)) {
                 c.error(v, at(p) + quote(*s) + " is not a valid node name: " + name_rules(*why, false));
                 ok = false;
             }
         }},
        {"interfaceName", [&](const Node& v, const std::string& p) {
             auto s = read_string(c, v, p);
             if (!s) { ok = false; h.interface_name = "?"; return; }
             h.interface_name = *s;
             if (s->empty() || *s == "*") return;
             std::string why;
             if (s->size() > 15) {
                 why = "it is " + std::to_string(s->size()) + " characters long, the limit is 15";
             } else {
                 for (char ch : *s) {
                     if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '_' || ch == '.' || ch == '-')
                         continue;
                     const auto u = static_cast<unsigned char>(ch);
                     why = u < 0x20 || u >= 0x7f ? std::string("only printable ASCII characters are allowed")
                                                 : "'" + std::string(1, ch) + "' is not allowed";
                     why += ch == '*' ? " (there are no wildcards; '*' alone means every interface)"
                                      : " (1-15 letters, digits, '_', '.' or '-'; or '*' for every interface)";
                     break;
                 }
             }
             if (!why.empty()) {
                 c.error(v, at(p) + quote(*s) + " is not a valid interface name: " + why);
                 ok = false;
             }
         }},
        {"expectedIPs", [&](const Node& v, const std::string& p) {
             auto items = read_list(c, v, p);
             if (!items) { ok = false; ips_listed = true; return; }
             ips_listed = !items->empty();
             for (size_t i = 0; i < items->size(); ++i) {
                 const Node& it = *(*items)[i];
                 auto ip = it.is_scalar() ? parse_ip(it.value) : std::nullopt;
                 if (ip) {
                     if (std::find(h.expected_ips.begin(), h.expected_ips.end(), *ip) == h.expected_ips.end())
                         h.expected_ips.push_back(*ip);
                     continue;
                 }
                 ok = false;
                 if (!it.is_scalar()) {
                     c.error(it, idx(p, i) + ": expected an IP address, found " + found(it));
                 } else if (auto cidr = parse_cidr(it.value, false)) {
                     c.error(it, idx(p, i) + ": " + quote(it.value) +
                                     " is a CIDR; expectedIPs takes plain addresses: write " + cidr->addr.to_string());
                 } else {
                     std::string why = cidr_problem(it.value, true);
                     if (why.find("zone index") == std::string::npos)
                         why = quote(it.value) + " is not an IP address (such as 192.0.2.1 or 2001:db8::1)";
                     c.error(it, idx(p, i) + ": " + why);
                 }
             }
         }},
        {"profiles", [&](const Node& v, const std::string& p) {
             auto items = read_list(c, v, p);
             if (!items) { ok = false; return; }
             for (size_t i = 0; i < items->size(); ++i) {
                 auto s = read_string(c, *(*items)[i], idx(p, i));
                 if (!s) { ok = false; continue; }
                 if (auto why = name_problem(*s, false)) {
                     c.error(*(*items)[i], idx(p, i) + ": " + quote(*s) + " is not a valid profile name: " +
                                               name_rules(*why, false));
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
                 const std::string ip = idx(p, i);
                 if (!it.is_mapping()) {
                     c.error(it, ip + ": expected a named port {name, protocol, port}, found " + found(it));
                     ok = false;
                     continue;
                 }
                 EndpointPort ep;
                 bool entry_ok = true;
                 bool name_seen = false, proto_seen = false, port_seen = false;
                 const Guesses port_guesses = read_fields(c, it, ip, "a named port: name, protocol and port", {
                     {"name", [&](const Node& pv, const std::string& pp) {
                          name_seen = !pv.is_null();
                          auto s = read_string(c, pv, pp);
                          if (!s) { entry_ok = false; return; }
                          if (!name_seen) return;
                          if (auto why = check_port_name(*s)) {
                              c.error(pv, at(pp) + "invalid port name " + quote(*s) + ": " + *why);
                              entry_ok = false;
                              return;
                          }
                          ep.name = *s;
                      }},
                     {"protocol", [&](const Node& pv, const std::string& pp) {
                          proto_seen = !pv.is_null();
                          if (!proto_seen) return;
                          auto proto = read_protocol(c, pv, pp);
                          if (!proto) { entry_ok = false; return; }
                          if (!proto->supports_ports()) {
                              c.error(pv, at(pp) + "protocol " + describe(*proto) +
                                              " has no ports; a named port needs TCP, UDP or SCTP");
                              entry_ok = false;
                              return;
                          }
                          ep.protocol = *proto;
                      }},
                     {"port", [&](const Node& pv, const std::string& pp) {
                          port_seen = !pv.is_null();
                          if (!port_seen) return;
                          auto x = read_uint(c, pv, pp, 1, 65535);
                          if (!x) { entry_ok = false; return; }
                          ep.port = static_cast<uint16_t>(*x);
                      }},
                 });
                 std::string missing;
                 for (auto [seen_it, what] : {std::pair{name_seen, "name"}, {proto_seen, "protocol"}, {port_seen, "port"}}) {
                     if (seen_it) continue;
                     if (port_guesses.has(what)) {
                         entry_ok = false;
                         continue;
                     }
                     missing += missing.empty() ? "" : " and ";
                     missing += what;
                 }
                 if (!missing.empty()) {
                     c.error(it, ip + ": " + missing + (missing.find(" and ") == std::string::npos ? " is" : " are") +
                                     " missing; a named port needs name, protocol and port (e.g. {name: http, "
                                     "protocol: TCP, port: 8080})");
                     entry_ok = false;
                 }
                 if (!entry_ok) { ok = false; continue; }
                 h.ports.push_back(std::move(ep));
             }
         }},
    });
    if (!node_seen) {
        if (!guesses.has("node")) c.error(*spec, "spec.node is required: the node (hostname) this endpoint belongs to");
        ok = false;
    }
    if (h.interface_name.empty() && !ips_listed && !guesses.has("interfaceName") && !guesses.has("expectedIPs")) {
        c.error(*spec, "spec: a HostEndpoint needs interfaceName or expectedIPs (or both); "
                       "interfaceName '*' means every interface");
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
    const Node* egress_type_node = nullptr;
    bool types_given = false;
    const Node* egress_node = nullptr;
    const Node* dnt_node = nullptr;
    const Node* prednat_node = nullptr;
    if (spec) {
        if (!spec->is_null() && !spec->is_mapping()) ok = false;
        read_fields(c, *spec, "spec", "a GlobalNetworkPolicy spec", {
            {"tier", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (!s) { ok = false; return; }
                 if (!s->empty() && *s != "default") {
                     c.error(v, at(p) + "tier " + quote(*s) + " is not supported: hepd has only the default tier");
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
                 if (!s || !check_selector(c, v, p, *s, GlobalUse::policy)) { ok = false; return; }
                 g.selector = *s;
             }},
            {"namespaceSelector", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (!s || !check_selector(c, v, p, *s, GlobalUse::namespace_selector)) { ok = false; return; }
                 g.namespace_selector = *s;
                 if (!s->empty())
                     c.warning(v, at(p) + "host endpoints carry no namespace labels; the namespace selector is "
                                          "ANDed in as Calico does and normally matches no host endpoint");
             }},
            {"serviceAccountSelector", [&](const Node& v, const std::string& p) {
                 auto s = read_string(c, v, p);
                 if (s && s->empty()) return;
                 if (s) c.error(v, at(p) + "not supported by hepd: service accounts belong to Kubernetes workloads");
                 ok = false;
             }},
            {"types", [&](const Node& v, const std::string& p) {
                 auto items = read_list(c, v, p);
                 if (!items) { ok = false; return; }
                 if (items->empty()) return;  // empty = defaulted, as Calico's client does
                 types_given = true;
                 for (size_t i = 0; i < items->size(); ++i) {
                     const Node& it = *(*items)[i];
                     auto s = read_string(c, it, idx(p, i));
                     if (!s) { ok = false; continue; }
                     bool* slot = *s == "Ingress" ? &g.ingress_type : *s == "Egress" ? &g.egress_type : nullptr;
                     if (!slot) {
                         auto guess = closest(*s, {"Ingress", "Egress"});
                         c.error(it, idx(p, i) + ": " + quote(*s) + " is not a policy type: use Ingress or Egress" +
                                         (guess ? " (case-sensitive)" : ""));
                         ok = false;
                     } else if (*slot) {
                         c.error(it, idx(p, i) + ": " + *s + " is listed twice");
                         ok = false;
                     } else {
                         *slot = true;
                         if (slot == &g.egress_type) egress_type_node = &it;
                     }
                 }
             }},
            {"ingress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, g.ingress, ok); }},
            {"egress", [&](const Node& v, const std::string& p) {
                 egress_node = &v;
                 read_rules(c, v, p, g.egress, ok);
             }},
            {"doNotTrack", [&](const Node& v, const std::string& p) {
                 dnt_node = &v;
                 auto b = read_bool(c, v, p);
                 if (b) g.do_not_track = *b; else ok = false;
             }},
            {"preDNAT", [&](const Node& v, const std::string& p) {
                 prednat_node = &v;
                 auto b = read_bool(c, v, p);
                 if (b) g.pre_dnat = *b; else ok = false;
             }},
            {"applyOnForward", [&](const Node& v, const std::string& p) {
                 auto b = read_bool(c, v, p);
                 if (b) g.apply_on_forward = *b; else ok = false;
             }},
            {"performanceHints", [&](const Node& v, const std::string& p) {
                 if (!v.is_null()) c.warning(v, at(p) + "ignored by hepd");
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
    // Flag constraints (CEL on the spec), each at the flag that has to change.
    if (g.do_not_track && g.pre_dnat) {
        c.error(*prednat_node, "spec.preDNAT: cannot be combined with doNotTrack (line " +
                                   std::to_string(dnt_node->line) + "); a policy is either untracked or pre-DNAT");
        ok = false;
    }
    if (g.pre_dnat && !g.egress.empty()) {
        c.error(*egress_node, "spec.egress: a preDNAT policy applies to ingress only: remove its egress rules");
        ok = false;
    }
    if (g.pre_dnat && types_given && g.egress_type) {
        c.error(*egress_type_node, "spec.types: a preDNAT policy applies to ingress only: remove Egress");
        ok = false;
    }
    if (g.do_not_track && !g.apply_on_forward) {
        c.error(*dnt_node, "spec.doNotTrack: an untracked policy must also set applyOnForward: true");
        ok = false;
    }
    if (g.pre_dnat && !g.apply_on_forward) {
        c.error(*prednat_node, "spec.preDNAT: a pre-DNAT policy must also set applyOnForward: true");
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
    constexpr std::string_view reserved = "projectcalico.org/namespace";
    if (m.labels.has(reserved)) {
        const Node* key = m.labels_node;
        for (const auto& e : m.labels_node->entries)
            if (e.key.value == reserved) key = &e.key;
        c.error(*key, "metadata.labels: the key projectcalico.org/namespace is reserved for Calico (it marks "
                      "namespaced resources) and may not label a GlobalNetworkSet");
        ok = false;
    }
    if (spec) {
        if (!spec->is_null() && !spec->is_mapping()) ok = false;
        read_fields(c, *spec, "spec", "a GlobalNetworkSet spec: nets", {
            {"nets", [&](const Node& v, const std::string& p) {
                 auto items = read_list(c, v, p);
                 if (!items) { ok = false; return; }
                 if (items->size() > ModelLimits::max_gns_nets) {
                     c.error(v, at(p) + std::to_string(items->size()) + " entries, the limit is " +
                                    std::to_string(ModelLimits::max_gns_nets));
                     ok = false;
                     return;
                 }
                 for (size_t i = 0; i < items->size(); ++i) {
                     const Node& it = *(*items)[i];
                     auto cidr = it.is_scalar() ? parse_cidr(it.value, true) : std::nullopt;
                     if (!cidr) {
                         c.error(it, idx(p, i) + ": " +
                                         (it.is_scalar() ? cidr_problem(it.value, true)
                                                         : "expected an IP address or CIDR, found " + found(it)));
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
        if (!spec->is_null() && !spec->is_mapping()) ok = false;
        read_fields(c, *spec, "spec", "a Profile spec: ingress, egress, labelsToApply", {
            {"ingress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, pr.ingress, ok); }},
            {"egress", [&](const Node& v, const std::string& p) { read_rules(c, v, p, pr.egress, ok); }},
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

void load_list(Ctx& c, const Node& items, const KindRow* typed, Model& model, size_t depth) {
    if (items.is_null()) return;
    if (!items.is_sequence()) {
        c.error(items, "items: expected a list of resources, found " + found(items));
        return;
    }
    for (const auto& item : items.items) load_object(c, item, typed, model, depth + 1);
}

void load_object(Ctx& c, const Node& obj, const KindRow* expected, Model& model, size_t depth) {
    if (!obj.is_mapping()) {
        c.error(obj, "expected a resource (a mapping with apiVersion, kind, metadata and spec), found " + found(obj));
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
        else
            c.error(e.key, unknown_field_message(k, {"apiVersion", "kind", "metadata", "spec", "items"},
                                                 {"apiVersion", "kind", "metadata", "spec"}, " in a resource"));
    }
    std::string kind_text;
    if (kind && kind->is_scalar() && !kind->value.empty()) {
        kind_text = kind->value;
    } else if (kind && !kind->is_null()) {
        c.error(*kind, "kind: expected a string, found " + found(*kind));
        return;
    } else if (expected) {
        kind_text = std::string(expected->kind);  // items of a typed list may leave kind out
    } else {
        c.error(kind ? *kind : obj, "kind is required (HostEndpoint, GlobalNetworkPolicy, GlobalNetworkSet, "
                                    "Profile, FelixConfiguration, or a List of them)");
        return;
    }
    // Items of a typed List (HostEndpointList, ...) may leave apiVersion out, as Kubernetes decodes them.
    if (!api && !expected) {
        c.error(obj, "apiVersion is required: projectcalico.org/v3");
        return;
    }
    if (api && !api->is_scalar()) {
        c.error(*api, "apiVersion: expected projectcalico.org/v3, found " + found(*api));
        return;
    }
    const bool is_list = kind_text == "List" || (kind_text.size() > 4 && kind_text.ends_with("List"));
    if (api && api->value != "projectcalico.org/v3" && !(is_list && api->value == "v1")) {
        c.error(*api, "apiVersion " + quote(api->value) + " is not supported: use projectcalico.org/v3");
        return;
    }
    if (is_list) {
        if (depth > 0) {
            c.error(kind ? *kind : obj, "a List cannot contain another List");
            return;
        }
        if (spec) c.error(*spec, "a List has items, not a spec");
        const KindRow* typed = nullptr;
        if (kind_text != "List") {
            for (const auto& row : kinds)
                if (row.list_kind == kind_text) typed = &row;
            if (!typed) {
                c.error(*kind, "unknown kind " + quote(kind_text) +
                                   " (lists: List, HostEndpointList, GlobalNetworkPolicyList, GlobalNetworkSetList, "
                                   "ProfileList, FelixConfigurationList)");
                return;
            }
        }
        if (!items) {
            c.error(obj, kind_text + ": items is required");
            return;
        }
        load_list(c, *items, typed, model, depth);
        return;
    }
    if (items) c.error(*items, "only a List has items");
    const KindRow* row = find_kind(kind_text);
    const Node& kind_at = kind ? *kind : obj;
    if (!row) {
        for (const auto& [k, why] : unsupported_kinds) {
            if (k == kind_text) {
                c.error(kind_at, "kind " + kind_text + " is not supported by hepd: " + std::string(why));
                return;
            }
        }
        std::vector<std::string_view> names;
        for (const auto& r : kinds) names.push_back(r.kind);
        if (auto guess = closest(kind_text, names)) {
            c.error(kind_at, "unknown kind " + quote(kind_text) + "; did you mean '" + std::string(*guess) +
                                 "'? Kinds are case-sensitive");
        } else {
            c.error(kind_at, "unknown kind " + quote(kind_text) +
                                 " (hepd reads HostEndpoint, GlobalNetworkPolicy, GlobalNetworkSet, Profile, "
                                 "FelixConfiguration and their Lists)");
        }
        return;
    }
    if (expected && row != expected) {
        c.error(kind_at, "a " + std::string(expected->list_kind) + " cannot contain a " + kind_text);
        return;
    }
    if (model.resource_count() >= ModelLimits::max_resources) {
        if (!c.limit_reported)
            c.error(obj, "too many resources: the limit is " + std::to_string(ModelLimits::max_resources) +
                             " across all files; this one and the rest are not loaded");
        c.limit_reported = true;
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
                    "file is " + std::to_string(text.size()) + " bytes, the limit for a resource file is " +
                        std::to_string(ModelLimits::max_file_bytes) + " (1 MiB); split it into several files");
        return;
    }
    yaml::Limits limits;
    limits.max_bytes = ModelLimits::max_file_bytes;
    const size_t errors_before = diags.error_count();
    // Each document is loaded as soon as it is parsed, and its tree dropped: the tree of a whole
    // file is many times the size of its text.
    bool any = false;
    yaml::parse_yaml_each(text, file, diags, limits, [&](yaml::Document&& d) {
        if (d.root.is_null()) return;  // an empty document between `---` lines
        any = true;
        load_object(c, d.root, nullptr, model, 0);
    });
    // A file without a single resource is most likely a mistake (a truncated copy, a commented-out
    // file); it is legal, as an empty directory is, so it is a warning.
    if (!any && diags.error_count() == errors_before)
        diags.warning(Location{std::string(file), 0, 0}, "no resources in this file (it is empty or has only comments)");
}

}  // namespace hepd
