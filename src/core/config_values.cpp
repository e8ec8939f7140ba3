// SPDX-License-Identifier: GPL-2.0-or-later
// Value syntax of the configuration: Felix's config-file types (felix/config/param_types.go),
// Go's number and duration syntax where Felix or metav1 rely on it, and POSIX regexes for
// InterfaceExclude.
//
// Where hepd is stricter than Felix, the function says so; every such case is pinned by a test
// in tests/unit/config_test.cpp.

#include <regex.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

#include "config_internal.hpp"

namespace hepd {

// regcomp/regexec behind RAII. Compiled once at load; matched read-only afterwards.
class PosixRegex {
public:
    explicit PosixRegex(const regex_t& re) : re_(re) {}
    ~PosixRegex() { regfree(&re_); }
    PosixRegex(const PosixRegex&) = delete;
    PosixRegex& operator=(const PosixRegex&) = delete;

    bool search(std::string_view text) const {
        std::string s(text);  // regexec needs a NUL-terminated string
        return regexec(&re_, s.c_str(), 0, nullptr, 0) == 0;
    }

private:
    mutable regex_t re_;
};

bool InterfaceMatcher::matches(std::string_view iface) const {
    if (regex) return regex->search(iface);
    return iface == text;
}

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::accept: return "ACCEPT";
    case Verdict::drop: return "DROP";
    case Verdict::reject: return "REJECT";
    case Verdict::return_: return "RETURN";
    }
    return "DROP";
}

std::string_view failsafe_proto_name(FailsafeProto p) {
    switch (p) {
    case FailsafeProto::tcp: return "tcp";
    case FailsafeProto::udp: return "udp";
    case FailsafeProto::sctp: return "sctp";
    }
    return "tcp";
}

namespace {

std::vector<FailsafePort> ports_of(std::initializer_list<std::pair<FailsafeProto, uint16_t>> l) {
    std::vector<FailsafePort> out;
    for (const auto& [proto, port] : l) out.push_back(FailsafePort{proto, port, std::nullopt});
    return out;
}

constexpr auto tcp = FailsafeProto::tcp;
constexpr auto udp = FailsafeProto::udp;

}  // namespace

// ARCHITECTURE.md "Where hepd deliberately differs": Felix's lists without tcp:5473 and tcp:6443.
std::vector<FailsafePort> default_failsafe_inbound() {
    return ports_of({{tcp, 22}, {udp, 68}, {tcp, 179}, {tcp, 2379}, {tcp, 2380}, {tcp, 6666},
                     {tcp, 6667}});
}

std::vector<FailsafePort> default_failsafe_outbound() {
    return ports_of({{udp, 53}, {udp, 67}, {tcp, 179}, {tcp, 2379}, {tcp, 2380}, {tcp, 6666},
                     {tcp, 6667}});
}

std::optional<std::string> parse_failsafe_ports(std::string_view text,
                                                std::vector<FailsafePort>& out) {
    using config_detail::quote;
    std::vector<FailsafePort> result;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view entry = text.substr(pos, comma - pos);
        pos = comma + 1;
        // Felix trims spaces (only spaces) and skips empty entries.
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        if (entry.empty()) continue;

        const std::string where = "entry " + quote(entry) + ": ";
        std::string rest(entry);
        std::string net_text;
        // An IPv6 net is bracketed: "tcp:[2001:db8::/32]:22". Felix looks for the first '[' and
        // the first "]:" and cuts the net out (it panics when "]:" is missing; hepd reports it).
        if (rest.find('[') != std::string::npos && rest.find(']') != std::string::npos) {
            size_t open = rest.find('[');
            size_t close = rest.find("]:");
            if (close == std::string::npos || close < open) {
                return where + "expected ']:' after the bracketed network";
            }
            net_text = rest.substr(open + 1, close - open - 1);
            rest = rest.substr(0, open) + rest.substr(close + 2);
        }
        std::vector<std::string> parts;
        {
            size_t p = 0;
            while (true) {
                size_t c = rest.find(':', p);
                parts.push_back(rest.substr(p, c == std::string::npos ? std::string::npos : c - p));
                if (c == std::string::npos) break;
                p = c + 1;
            }
        }
        if (parts.size() > 3) {
            return where + "expected PORT, PROTO:PORT, PROTO:NET:PORT or PROTO:[V6NET]:PORT";
        }
        std::string proto = "tcp";
        std::string port_text = parts.back();
        if (parts.size() >= 2) proto = config_detail::to_lower(parts[0]);
        if (parts.size() == 3) net_text = parts[1];

        FailsafePort fp;
        if (proto == "tcp") {
            fp.proto = FailsafeProto::tcp;
        } else if (proto == "udp") {
            fp.proto = FailsafeProto::udp;
        } else {
            return where + "protocol " + quote(parts[0]) + " is not tcp or udp";
        }
        // strconv.Atoi: optional sign, decimal digits.
        std::string_view digits = port_text;
        bool negative = false;
        if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
            negative = digits[0] == '-';
            digits.remove_prefix(1);
        }
        if (digits.empty() || !std::all_of(digits.begin(), digits.end(),
                                           [](char c) { return c >= '0' && c <= '9'; })) {
            return where + "port " + quote(port_text) + " is not a number";
        }
        uint64_t value = 0;
        bool big = false;
        for (char c : digits) {
            value = value * 10 + static_cast<uint64_t>(c - '0');
            if (value > 65535) big = true;
            if (big) break;
        }
        if (big || (negative && value != 0)) {
            return where + "port " + port_text + " is out of range 0-65535";
        }
        fp.port = static_cast<uint16_t>(value);
        if (!net_text.empty()) {
            auto cidr = parse_cidr(net_text, true);
            if (!cidr) return where + quote(net_text) + " is not an IP address or CIDR";
            fp.net = cidr->masked();
        }
        result.push_back(fp);
    }
    out = std::move(result);
    return std::nullopt;
}

std::string format_failsafe_ports(const std::vector<FailsafePort>& ports) {
    if (ports.empty()) return "none";
    std::string out;
    for (const auto& p : ports) {
        if (!out.empty()) out += ',';
        out += failsafe_proto_name(p.proto);
        out += ':';
        if (p.net) {
            if (p.net->family() == 6) {
                out += '[' + p.net->to_string() + "]:";
            } else {
                out += p.net->to_string() + ':';
            }
        }
        out += std::to_string(p.port);
    }
    return out;
}

namespace config_detail {

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

std::string quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

Problem parse_bool(std::string_view raw, bool uci, bool& out) {
    const std::string v = to_lower(raw);
    for (const char* t : {"true", "1", "yes", "y", "t"}) {
        if (v == t) return out = true, std::nullopt;
    }
    for (const char* f : {"false", "0", "no", "n", "f"}) {
        if (v == f) return out = false, std::nullopt;
    }
    if (uci) {
        if (v == "on" || v == "enabled") return out = true, std::nullopt;
        if (v == "off" || v == "disabled") return out = false, std::nullopt;
    }
    return quote(raw) + " is not a boolean (true or false)";
}

Problem parse_uint_decimal(std::string_view raw, uint64_t min, uint64_t max, uint64_t& out) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (raw.empty() || raw[0] == '-' || raw[0] == '+' || end != raw.data() + raw.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        return quote(raw) + " is not a whole number";
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
        return quote(raw) + " is out of range (" + std::to_string(min) + " to " +
               std::to_string(max) + ")";
    }
    out = v;
    return std::nullopt;
}

namespace {

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

// The magnitude of a Go base-0 integer literal without sign. Returns false for bad syntax; sets
// `overflow` when it does not fit 64 bits.
bool go_magnitude(std::string_view s, uint64_t& out, bool& overflow) {
    overflow = false;
    unsigned base = 10;
    bool prefixed = false;  // a prefix counts as a digit before '_' (Go's underscoreOK)
    if (s.size() >= 2 && s[0] == '0') {
        char b = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
        if (b == 'x' || b == 'o' || b == 'b') {
            base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
            s.remove_prefix(2);
            prefixed = true;
        } else {
            base = 8;  // a leading 0 means octal; the 0 stays a digit
        }
    }
    if (s.empty()) return false;
    uint64_t v = 0;
    bool saw_digit = prefixed;
    bool last_underscore = false;
    bool any_digit = false;
    for (char c : s) {
        if (c == '_') {
            if (!saw_digit || last_underscore) return false;
            last_underscore = true;
            continue;
        }
        int d = digit_value(c);
        if (d >= static_cast<int>(base)) return false;
        saw_digit = true;
        any_digit = true;
        last_underscore = false;
        if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / base) {
            overflow = true;
        } else {
            v = v * base + static_cast<uint64_t>(d);
        }
    }
    if (last_underscore || !any_digit) return false;
    out = v;
    return true;
}

}  // namespace

Problem parse_go_int(std::string_view raw, bool allow_sign, int64_t& out) {
    std::string_view s = raw;
    bool negative = false;
    if (allow_sign && !s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    uint64_t mag = 0;
    bool overflow = false;
    if (!go_magnitude(s, mag, overflow)) return quote(raw) + " is not an integer";
    const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    if (overflow || mag > limit) return quote(raw) + " is out of range";
    out = negative ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
    return std::nullopt;
}

Problem parse_go_uint(std::string_view raw, uint64_t& out) {
    bool overflow = false;
    if (!go_magnitude(raw, out, overflow)) return quote(raw) + " is not an integer";
    if (overflow) return quote(raw) + " is out of range";
    return std::nullopt;
}

namespace {

constexpr int64_t max_seconds = 31536000;  // one year: far beyond any useful interval
constexpr int64_t max_ms = max_seconds * 1000;

}  // namespace

Problem parse_seconds(std::string_view raw, std::chrono::milliseconds& out) {
    // [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits]
    const std::string bad = quote(raw) + " is not a number of seconds";
    std::string_view s = raw;
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    std::string mantissa;  // all significant digits
    int64_t exp10 = 0;     // value = mantissa * 10^exp10
    size_t i = 0;
    bool int_digits = false, frac_digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        mantissa += s[i++];
        int_digits = true;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            mantissa += s[i++];
            --exp10;
            frac_digits = true;
        }
    }
    if (!int_digits && !frac_digits) return bad;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool eneg = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= s.size()) return bad;
        int64_t e = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
            ++i;
        }
        exp10 += eneg ? -e : e;
    }
    if (i != s.size()) return bad;

    // Drop leading zeros, keep at most 18 significant digits (truncating the rest).
    size_t nz = mantissa.find_first_not_of('0');
    mantissa = nz == std::string::npos ? std::string() : mantissa.substr(nz);
    if (mantissa.size() > 18) {
        exp10 += static_cast<int64_t>(mantissa.size() - 18);
        mantissa.resize(18);
    }
    const std::string too_big =
        quote(raw) + " is too large (at most " + std::to_string(max_seconds) + " seconds)";
    int64_t m = 0;
    for (char c : mantissa) m = m * 10 + (c - '0');
    if (m == 0) {
        out = std::chrono::milliseconds(0);
        return std::nullopt;
    }
    if (negative) return quote(raw) + " is negative";
    // milliseconds = m * 10^(exp10 + 3), rounded to nearest.
    int64_t shift = exp10 + 3;
    int64_t ms = 0;
    if (shift >= 0) {
        if (shift > 12) return too_big;
        ms = m;
        for (int64_t k = 0; k < shift; ++k) {
            if (ms > max_ms) return too_big;
            ms *= 10;
        }
    } else if (-shift > 18) {
        ms = 0;  // m < 10^18, so m / 10^19 and beyond rounds to 0
    } else {
        int64_t div = 1;
        for (int64_t k = 0; k < -shift; ++k) div *= 10;
        ms = m / div + ((m % div) * 2 >= div ? 1 : 0);  // round half up
    }
    if (ms > max_ms) return too_big;
    out = std::chrono::milliseconds(ms);
    return std::nullopt;
}

Problem parse_go_duration(std::string_view raw, std::chrono::milliseconds& out) {
    const std::string bad = quote(raw) + " is not a duration (such as 90s, 1m30s or 500ms)";
    std::string_view s = raw;
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") {
        out = std::chrono::milliseconds(0);
        return std::nullopt;
    }
    if (s.empty()) return bad;
    constexpr int64_t cap_ns = max_seconds * int64_t{1000000000};
    const std::string too_big =
        quote(raw) + " is too large (at most " + std::to_string(max_seconds) + "s)";
    int64_t total = 0;
    while (!s.empty()) {
        if (!(s[0] == '.' || std::isdigit(static_cast<unsigned char>(s[0])))) return bad;
        int64_t whole = 0;
        bool pre = false, post = false, big = false;
        while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
            if (whole > cap_ns) big = true;
            else whole = whole * 10 + (s[0] - '0');
            s.remove_prefix(1);
            pre = true;
        }
        int64_t frac = 0, scale = 1;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
                if (scale < 1000000000) {  // nanosecond resolution of the fraction is plenty
                    frac = frac * 10 + (s[0] - '0');
                    scale *= 10;
                }
                s.remove_prefix(1);
                post = true;
            }
        }
        if (!pre && !post) return bad;
        size_t ulen = 0;
        while (ulen < s.size() && s[ulen] != '.' &&
               !std::isdigit(static_cast<unsigned char>(s[ulen])))
            ++ulen;
        std::string_view unit_text = s.substr(0, ulen);
        s.remove_prefix(ulen);
        int64_t unit = 0;
        if (unit_text == "ns") unit = 1;
        // "us", and "µs" with U+00B5 (micro sign) or U+03BC (Greek mu), in UTF-8.
        else if (unit_text == "us" || unit_text == "\xc2\xb5s" || unit_text == "\xce\xbcs")
            unit = 1000;
        else if (unit_text == "ms") unit = 1000000;
        else if (unit_text == "s") unit = 1000000000;
        else if (unit_text == "m") unit = int64_t{60} * 1000000000;
        else if (unit_text == "h") unit = int64_t{3600} * 1000000000;
        else return bad;
        if (big || whole > cap_ns / unit) return too_big;
        int64_t ns = whole * unit;
        // frac/scale of a unit, exactly: split unit = q*scale + r.
        const int64_t q = unit / scale, r = unit % scale;
        ns += frac * q + frac * r / scale;
        total += ns;
        if (total > cap_ns) return too_big;
    }
    if (negative && total != 0) return quote(raw) + " is negative";
    // Calico's CRD pattern for durations is checked against Go's canonical form and refuses any
    // form with a fraction ("1.5s", and "1500ms", which Go prints as "1.5s") or a unit below ms:
    // so a duration must be whole seconds, or whole milliseconds under one second.
    constexpr int64_t ns_per_s = 1000000000, ns_per_ms = 1000000;
    if (total != 0 && total % ns_per_s != 0 && (total >= ns_per_s || total % ns_per_ms != 0))
        return quote(raw) + " is not a whole number of seconds (or of milliseconds below 1s), "
                            "which Calico requires";
    out = std::chrono::milliseconds(total / 1000000);
    return std::nullopt;
}

std::string format_seconds(std::chrono::milliseconds ms) {
    const int64_t v = ms.count();
    std::string out = std::to_string(v / 1000);
    int64_t frac = v % 1000;
    if (frac != 0) {
        char buf[8];
        std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
        std::string f = buf;
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    return out;
}

namespace {

bool is_iface_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Felix's NonRegexpIfaceElemRegexp/IfaceListRegexp element: ^[a-zA-Z0-9_-]{1,15}$.
bool is_iface_word(std::string_view s) {
    return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), is_iface_char);
}

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (true) {
        size_t c = s.find(',', pos);
        out.push_back(s.substr(pos, c == std::string_view::npos ? c : c - pos));
        if (c == std::string_view::npos) break;
        pos = c + 1;
    }
    return out;
}

std::string dot_hint(std::string_view s) {
    if (s.find('.') == std::string_view::npos) return {};
    return "; a name with a dot must be written as a regex, e.g. /^eth0\\.2$/";
}

// RE2 (Go) syntax that POSIX ERE lacks or reads differently. glibc's regcomp would accept some of
// these as GNU extensions and musl's would not, so they are refused everywhere: the same file
// then means the same thing on a Debian test box and on an OpenWrt router.
Problem check_ere_portable(std::string_view re) {
    for (size_t i = 0; i + 1 < re.size(); ++i) {
        if (re[i] == '\\') {
            char n = re[i + 1];
            if (std::string_view("dDsSwWbBpPAzQECx").find(n) != std::string_view::npos) {
                return std::string("'\\") + n +
                       "' is RE2 syntax, not POSIX ERE (use a bracket expression such as [0-9])";
            }
            ++i;  // skip the escaped character
            continue;
        }
        if (re[i] == '(' && re[i + 1] == '?') {
            return std::string("'(?' is RE2 syntax, not POSIX ERE");
        }
        if ((re[i] == '*' || re[i] == '+' || re[i] == '?' || re[i] == '}') && re[i + 1] == '?') {
            return std::string("lazy quantifiers ('") + re[i] + "?') are RE2 syntax, not POSIX ERE";
        }
    }
    return std::nullopt;
}

}  // namespace

Problem parse_interface_prefixes(std::string_view raw, std::vector<std::string>& out) {
    std::vector<std::string> result;
    for (std::string_view p : split_commas(raw)) {
        if (!is_iface_word(p)) {
            return "prefix " + quote(p) +
                   " is not a valid interface name prefix (1 to 15 of A-Z a-z 0-9 _ -, comma "
                   "separated, no spaces)";
        }
        result.emplace_back(p);
    }
    out = std::move(result);
    return std::nullopt;
}

Problem parse_interface_exclude(std::string_view raw, std::vector<InterfaceMatcher>& out) {
    std::vector<InterfaceMatcher> result;
    for (std::string_view t : split_commas(raw)) {
        // Felix's RegexpIfaceElemRegexp: ^/[^\s]+/$ (Go's \s: space, \t, \n, \f, \r).
        bool regex_form = t.size() >= 3 && t.front() == '/' && t.back() == '/' &&
                          t.find_first_of(" \t\n\f\r\v") == std::string_view::npos;
        if (regex_form) {
            std::string_view pattern = t.substr(1, t.size() - 2);
            if (auto p = check_ere_portable(pattern)) return "regex " + quote(t) + ": " + *p;
            regex_t re;
            std::string pat(pattern);
            int rc = regcomp(&re, pat.c_str(), REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                char buf[160];
                regerror(rc, &re, buf, sizeof buf);
                return "regex " + quote(t) + ": " + buf;
            }
            result.push_back(
                InterfaceMatcher{std::string(t), std::make_shared<const PosixRegex>(re)});
        } else if (is_iface_word(t)) {
            result.push_back(InterfaceMatcher{std::string(t), nullptr});
        } else {
            return quote(t) +
                   " is neither an interface name (1 to 15 of A-Z a-z 0-9 _ -) nor a /regex/" +
                   dot_hint(t);
        }
    }
    out = std::move(result);
    return std::nullopt;
}

Problem parse_log_rate_limit(std::string_view raw, std::optional<LogRateLimit>& out) {
    // Felix's LogActionRateRegexp: ^[1-9]\d{0,3}/(second|minute|hour|day)$ (units are
    // case-sensitive).
    const std::string bad =
        quote(raw) + " is not N/unit (N 1 to 9999, unit second, minute, hour or day)";
    size_t slash = raw.find('/');
    if (slash == std::string_view::npos) return bad;
    std::string_view n = raw.substr(0, slash), unit = raw.substr(slash + 1);
    if (n.empty() || n.size() > 4 || n[0] == '0' ||
        !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad;
    LogRateLimit r;
    r.count = static_cast<uint16_t>(std::stoi(std::string(n)));
    if (unit == "second") r.unit = RateUnit::second;
    else if (unit == "minute") r.unit = RateUnit::minute;
    else if (unit == "hour") r.unit = RateUnit::hour;
    else if (unit == "day") r.unit = RateUnit::day;
    else return bad;
    out = r;
    return std::nullopt;
}

std::string format_log_rate_limit(const std::optional<LogRateLimit>& r) {
    if (!r) return "none";
    static const char* const units[] = {"second", "minute", "hour", "day"};
    return std::to_string(r->count) + "/" + units[static_cast<int>(r->unit)];
}

Problem check_log_prefix(std::string_view raw) {
    // The v3 pattern ^([a-zA-Z0-9%: /_-])*$, applied to every source: the prefix ends up in LOG
    // rules and iptables-save text, where quotes and control characters would break things.
    for (char c : raw) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("%: /_-").find(c) != std::string_view::npos)) {
            return quote(raw) + " may contain only A-Z a-z 0-9 % : / _ - and space";
        }
    }
    return std::nullopt;
}

Problem parse_mark_mask(std::string_view raw, uint32_t& out) {
    uint64_t v = 0;
    auto p = parse_go_uint(raw, v);
    if (p || v > 0xffffffffu) return quote(raw) + " is not a 32-bit number (hex or decimal)";
    int bits = 0;
    for (uint64_t x = v; x; x &= x - 1) ++bits;
    // Felix's parser wants 2 bits, but its renderer takes accept, pass, drop, scratch0, scratch1
    // and at least one endpoint bit (felix/rules/rule_defs.go), so hepd needs 6.
    if (bits < 6) {
        return format_hex32(static_cast<uint32_t>(v)) + " has " + std::to_string(bits) +
               " bits set; at least 6 are needed (accept, pass, drop, 2 scratch, 1 endpoint)";
    }
    out = static_cast<uint32_t>(v);
    return std::nullopt;
}

std::string format_hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string uci_section_ref(std::string_view type, std::string_view name, uint32_t index) {
    if (!name.empty()) return "uci:" + std::string(name);
    return "uci:@" + std::string(type) + "[" + std::to_string(index) + "]";
}

}  // namespace config_detail

bool is_excluded_interface(const FelixParams& p, std::string_view iface) {
    return std::any_of(p.interface_exclude.begin(), p.interface_exclude.end(),
                       [&](const InterfaceMatcher& m) { return m.matches(iface); });
}

bool is_workload_interface(const FelixParams& p, std::string_view iface) {
    return std::any_of(p.interface_prefixes.begin(), p.interface_prefixes.end(),
                       [&](const std::string& pre) { return iface.starts_with(pre); });
}

}  // namespace hepd
