// SPDX-License-Identifier: GPL-2.0-or-later
// status: the `hepd status` screen and its JSON form (see status.hpp for the layout).
//
// The text is built as a list of lines, each cell already cut to its column; a final pass cuts
// every line to the width and strips trailing blanks, so "every line <= width" holds whatever the
// columns did (tables at a very small width lose their right-hand columns, marked with '~').
//
// Column widths at 80 (a wider screen gives the extra to the free-text columns, a narrower one
// takes it from them first):
//
//   ENDPOINT     IFACE     STATE  LABELS                IN/OUT ACCEPT p/B   DROP p/B
//   <--- 12 ---> <-- 9 --> <-6--> <-------- 21 -------> <-6--> <-- 10 --> <-- 10 -->
//   ORDER  POLICY                     SELECTOR                                  HITS
//   <-6--> <---------- 26 ----------> <---------------- 40 ----------------> <-5->
#include "hepd/status.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hepd {

namespace {

constexpr char cut_marker = '~';

// Supplied text as printable ASCII: other bytes as \xNN (as format_config does).
std::string ascii(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

// At most w characters; a cut string ends in the marker.
std::string cut(std::string s, size_t w) {
    if (s.size() <= w) return s;
    if (w == 0) return {};
    s.resize(w - 1);
    s += cut_marker;
    return s;
}

std::string left(std::string s, size_t w) {
    s = cut(std::move(s), w);
    s.append(w - s.size(), ' ');
    return s;
}

std::string right(std::string s, size_t w) {
    s = cut(std::move(s), w);
    return std::string(w - s.size(), ' ') + s;
}

// Greedy word wrap: the first line starts with `first`, the others with `indent`; words longer
// than a line are split; at most max_lines lines, the last one marked when text was left over.
void wrap(std::vector<std::string>& lines, const std::string& first, std::string_view text,
          size_t width, size_t indent, size_t max_lines) {
    std::string prefix = first;
    size_t made = 0;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    do {
        size_t avail = width > prefix.size() ? width - prefix.size() : 1;
        if (text.size() <= avail) {
            lines.push_back(prefix + std::string(text));
            return;
        }
        if (made + 1 >= max_lines) {
            lines.push_back(prefix + cut(std::string(text), avail));
            return;
        }
        size_t brk = text.rfind(' ', avail);
        size_t next;
        if (brk == std::string_view::npos || brk == 0) {
            brk = avail;
            next = avail;
        } else {
            next = brk + 1;
        }
        std::string_view head = text.substr(0, brk);
        while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
        lines.push_back(prefix + std::string(head));
        ++made;
        text.remove_prefix(next);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        prefix.assign(indent, ' ');
    } while (!text.empty());
}

std::string humanise(uint64_t n, uint64_t base, const char* suffixes) {
    if (n < base) return std::to_string(n);
    uint64_t unit = base;
    size_t i = 0;
    while (n / unit >= base && suffixes[i + 1] != '\0') {
        unit *= base;
        ++i;
    }
    uint64_t q = n / unit;
    std::string out;
    if (q < 10) {
        uint64_t tenth = (n - q * unit) * 10 / unit;  // (n - q*unit) < unit <= 2^60: no overflow
        out = std::to_string(q) + "." + std::to_string(tenth);
    } else {
        out = std::to_string(q);
    }
    out += suffixes[i];
    return out;
}

// The text std::to_chars(first, last, d) writes: the fewest significant digits that read back as
// d (the nearest such decimal), in fixed or scientific notation, whichever is shorter (fixed on a
// tie; an integer in fixed notation has all its digits). Written with snprintf and strtod because
// libc++'s shortest-float code and its tables cost the static build 130 KB.
std::string format_order(double d) {
    if (!std::isfinite(d)) return "-";
    const bool negative = std::signbit(d);
    std::string digits;  // the significant digits, no dot
    int exponent = 0;    // d = 0.DIGITS * 10^(exponent + 1), to the digits' precision
    auto reads_back = [&] {
        std::string t = (negative ? "-" : "") + digits + "e" + std::to_string(exponent - static_cast<int>(digits.size()) + 1);
        return std::strtod(t.c_str(), nullptr) == d;
    };
    for (int precision = 0; precision <= 17; ++precision) {
        char sci[32];  // "-D.DDDDDDDDDDDDDDDDDe-308"
        std::snprintf(sci, sizeof sci, "%.*e", precision, d);
        const char* first = sci + (negative ? 1 : 0);
        const char* e = std::strchr(first, 'e');
        digits.assign(first, e);
        digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
        exponent = std::atoi(e + 1);
        if (reads_back()) break;
        // At a power of two the decimals that read back as d reach twice as far above it as below
        // it: when the nearest one, below d, does not, the next one up may.
        const std::string below = digits;
        const int below_exponent = exponent;
        size_t i = digits.size();
        while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
        if (i > 0) {
            ++digits[i - 1];
        } else {
            digits.insert(digits.begin(), '1');
            digits.pop_back();
            ++exponent;
        }
        if (std::fabs(std::strtod((below + "e" + std::to_string(below_exponent - precision)).c_str(), nullptr)) <
                std::fabs(d) && reads_back()) {
            break;
        }
        digits = below;
        exponent = below_exponent;
    }
    const int n = static_cast<int>(digits.size());
    const std::string sign = negative ? "-" : "";
    std::string scientific = sign + digits.substr(0, 1) + (n > 1 ? "." + digits.substr(1) : "") +
                             (exponent < 0 ? "e-" : "e+") + (std::abs(exponent) < 10 ? "0" : "") +
                             std::to_string(std::abs(exponent));
    std::string fixed;
    if (exponent >= n - 1) {  // an integer
        char buf[320];        // DBL_MAX has 309 digits
        std::snprintf(buf, sizeof buf, "%.0f", d);
        fixed = buf;
    } else if (exponent >= 0) {
        fixed = sign + digits.substr(0, static_cast<size_t>(exponent) + 1) + "." +
                digits.substr(static_cast<size_t>(exponent) + 1);
    } else {
        fixed = sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    return fixed.size() <= scientific.size() ? fixed : scientific;
}

std::string pair_cell(const std::optional<Counters>& c) {
    if (!c) return "-";
    return format_count(c->packets) + "/" + format_bytes(c->bytes);
}

std::string families(const ApplySummary& a) {
    if (a.v4 && a.v6) return "v4+v6";
    if (a.v4) return "v4";
    if (a.v6) return "v6";
    return "-";
}

bool shows_endpoint_list(DaemonState s) {
    return s != DaemonState::not_running && s != DaemonState::starting;
}

// --- JSON -------------------------------------------------------------------------------------

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when the bytes there are not
// valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_decode(std::string_view s, size_t i, uint32_t& cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

void json_u16(std::string& out, uint32_t unit) {
    static const char hex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex[(unit >> shift) & 15];
}

void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        size_t len = utf8_decode(s, i, cp);
        if (len == 0) {
            json_u16(out, 0xfffd);
            ++i;
            continue;
        }
        i += len;
        switch (cp) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        default: break;
        }
        if (cp >= 0x20 && cp < 0x7f) {
            out += static_cast<char>(cp);
        } else if (cp < 0x10000) {
            json_u16(out, cp);
        } else {
            cp -= 0x10000;
            json_u16(out, 0xd800 + (cp >> 10));
            json_u16(out, 0xdc00 + (cp & 0x3ff));
        }
    }
    out += '"';
}

// A minimal writer for one compact object: keys in call order, commas handled here.
class Json {
public:
    std::string out;

    Json& open(char c) {
        sep();
        out += c;
        first_ = true;
        return *this;
    }
    Json& close(char c) {
        out += c;
        first_ = false;
        return *this;
    }
    Json& key(std::string_view k) {
        sep();
        json_string(out, k);
        out += ':';
        first_ = true;  // the value follows without a comma
        return *this;
    }
    Json& str(std::string_view s) {
        sep();
        json_string(out, s);
        return *this;
    }
    Json& num(uint64_t n) { return raw(std::to_string(n)); }
    Json& num(int64_t n) { return raw(std::to_string(n)); }
    Json& boolean(bool b) { return raw(b ? "true" : "false"); }
    Json& null() { return raw("null"); }
    Json& raw(std::string_view text) {
        sep();
        out += text;
        return *this;
    }

private:
    void sep() {
        if (!first_) out += ',';
        first_ = false;
    }
    bool first_ = true;
};

void json_counters(Json& j, std::string_view key, const std::optional<Counters>& c) {
    j.key(key);
    if (!c) {
        j.null();
        return;
    }
    j.open('{').key("packets").num(c->packets).key("bytes").num(c->bytes).close('}');
}

void json_ports(Json& j, std::string_view key, const std::vector<FailsafePort>& ports) {
    j.key(key).open('[');
    for (const auto& p : ports) j.str(format_failsafe_ports({p}));
    j.close(']');
}

}  // namespace

std::string_view status_state_name(DaemonState s) {
    switch (s) {
    case DaemonState::not_running: return "NOT-RUNNING";
    case DaemonState::starting: return "STARTING";
    case DaemonState::enforcing: return "ENFORCING";
    case DaemonState::degraded: return "DEGRADED";
    case DaemonState::pending_confirm: return "PENDING-CONFIRM";
    case DaemonState::rolled_back: return "ROLLED-BACK";
    case DaemonState::default_rules: return "DEGRADED";
    case DaemonState::audit: return "AUDIT";
    case DaemonState::stood_down: return "STOOD-DOWN";
    }
    return "UNKNOWN";
}

std::string_view status_state_key(DaemonState s) {
    switch (s) {
    case DaemonState::not_running: return "not_running";
    case DaemonState::starting: return "starting";
    case DaemonState::enforcing: return "enforcing";
    case DaemonState::degraded: return "degraded";
    case DaemonState::pending_confirm: return "pending_confirm";
    case DaemonState::rolled_back: return "rolled_back";
    case DaemonState::default_rules: return "default_rules";
    case DaemonState::audit: return "audit";
    case DaemonState::stood_down: return "stood_down";
    }
    return "unknown";
}

std::string_view apply_result_name(ApplyResult r) {
    switch (r) {
    case ApplyResult::ok: return "ok";
    case ApplyResult::failed: return "failed";
    case ApplyResult::rejected: return "rejected";
    }
    return "unknown";
}

std::string_view link_state_name(IfaceState s) {
    switch (s) {
    case IfaceState::up: return "up";
    case IfaceState::down: return "down";
    case IfaceState::absent: return "absent";
    case IfaceState::any: return "any";
    }
    return "unknown";
}

std::string_view warning_kind_name(WarningKind k) {
    switch (k) {
    case WarningKind::config_rejected: return "config rejected";
    case WarningKind::rules_repaired: return "rules repaired";
    case WarningKind::backend_error: return "backend error";
    case WarningKind::lock_timeout: return "lock timeout";
    case WarningKind::other: return "";
    }
    return "";
}

std::string_view warning_kind_key(WarningKind k) {
    switch (k) {
    case WarningKind::config_rejected: return "config_rejected";
    case WarningKind::rules_repaired: return "rules_repaired";
    case WarningKind::backend_error: return "backend_error";
    case WarningKind::lock_timeout: return "lock_timeout";
    case WarningKind::other: return "other";
    }
    return "other";
}

DaemonState effective_state(const StatusReport& r) {
    if (r.state != DaemonState::enforcing) return r.state;
    for (const auto& w : r.warnings)
        if (w.ongoing) return DaemonState::degraded;
    return r.state;
}

int status_exit_code(const StatusReport& r) {
    switch (effective_state(r)) {
    case DaemonState::enforcing: return 0;
    case DaemonState::not_running:
    case DaemonState::stood_down: return 2;
    case DaemonState::pending_confirm: return 3;
    case DaemonState::starting:
    case DaemonState::degraded:
    case DaemonState::rolled_back:
    case DaemonState::default_rules:
    case DaemonState::audit: return 1;
    }
    return 1;
}

std::string format_count(uint64_t n) { return humanise(n, 1000, "kMGTPE"); }
std::string format_bytes(uint64_t n) { return humanise(n, 1024, "KMGTPE"); }

std::string format_uptime(uint64_t s) {
    auto two = [](uint64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m" + two(s % 60) + "s";
    if (s < 86400) return std::to_string(s / 3600) + "h" + two(s % 3600 / 60) + "m";
    return std::to_string(s / 86400) + "d" + two(s % 86400 / 3600) + "h";
}

std::string format_failsafe_summary(const std::vector<FailsafePort>& ports) {
    if (ports.empty()) return "none";
    // "tcp:22" / "udp:10.0.0.0/8:53": the group is everything before the last ':'.
    std::vector<std::pair<std::string, std::string>> groups;
    for (const auto& p : ports) {
        std::string one = format_failsafe_ports({p});
        size_t colon = one.rfind(':');
        std::string group = one.substr(0, colon);
        std::string port = one.substr(colon + 1);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto& g) { return g.first == group; });
        if (it == groups.end()) {
            groups.emplace_back(group, port);
        } else {
            it->second += "," + port;
        }
    }
    std::string out;
    for (const auto& [group, list] : groups) {
        if (!out.empty()) out += ' ';
        out += group + ":" + list;
    }
    return out;
}

std::string format_status_text(const StatusReport& r, size_t width) {
    std::vector<std::string> lines;
    const DaemonState state = effective_state(r);

    // Header: the optional facts that fit, in priority order.
    {
        std::string head = "hepd";
        if (!r.version.empty()) head += " " + ascii(r.version);
        head += "  ";
        head += status_state_name(state);
        std::vector<std::string> extra;
        if (r.pid > 0) extra.push_back("pid " + std::to_string(r.pid));
        if (r.uptime_s) extra.push_back("up " + format_uptime(*r.uptime_s));
        if (!r.backend.empty()) extra.push_back("backend " + ascii(r.backend));
        if (!r.node.empty()) extra.push_back("node " + ascii(r.node));
        for (const auto& e : extra)
            if (head.size() + 2 + e.size() <= width) head += "  " + e;
        lines.push_back(head);
    }

    if (r.last_apply) {
        const ApplySummary& a = *r.last_apply;
        std::string line = "apply   #" + std::to_string(a.seq) + " ";
        line += apply_result_name(a.result);
        if (!a.at.empty()) line += " " + ascii(a.at);
        line += " (" + std::to_string(a.duration_ms) + " ms, " + families(a);
        if (a.result != ApplyResult::rejected) {
            line += ", " + format_count(a.rules) + " rules";
            if (a.set_members > 0) line += ", " + format_count(a.set_members) + " set members";
        }
        line += ")";
        lines.push_back(line);
        if (!a.error.empty()) wrap(lines, "        error: ", ascii(a.error), width, 15, 3);
    } else if (r.state != DaemonState::not_running) {
        lines.push_back("apply   none yet");
    }

    if (r.confirm) {
        std::string line = "confirm PENDING " + format_uptime(r.confirm->remaining_s);
        if (!r.confirm->deadline.empty()) line += " (until " + ascii(r.confirm->deadline) + ")";
        line += " -> hepd confirm | hepd rollback";
        lines.push_back(line);
    }

    if (!r.firewall.empty()) lines.push_back("fw      " + ascii(r.firewall));

    if (r.failsafe) {
        const FailsafeReport& f = *r.failsafe;
        std::string nd = f.icmpv6_nd ? " icmp6:133-137" : "";
        std::string text = "in " + format_failsafe_summary(f.in) + nd + " | out " +
                           format_failsafe_summary(f.out) + nd;
        wrap(lines, "failsafe ", ascii(text), width, 12, 4);
    }

    if (!r.endpoints.empty()) {
        const size_t extra = width > 80 ? width - 80 : 0;
        const size_t name_w = 12 + extra / 3;
        const size_t iface_w = 9, state_w = 6, pol_w = 6, cnt_w = 10;
        const size_t fixed = name_w + iface_w + state_w + pol_w + 2 * cnt_w + 6;
        const size_t labels_w = width > fixed + 6 ? width - fixed : 6;
        auto row = [&](std::string name, std::string iface, std::string st, std::string labels,
                       std::string pol, std::string acc, std::string drop) {
            lines.push_back(left(std::move(name), name_w) + " " + left(std::move(iface), iface_w) +
                            " " + left(std::move(st), state_w) + " " +
                            left(std::move(labels), labels_w) + " " + right(std::move(pol), pol_w) +
                            " " + right(std::move(acc), cnt_w) + " " +
                            right(std::move(drop), cnt_w));
        };
        row("ENDPOINT", "IFACE", "STATE", "LABELS", "IN/OUT", "ACCEPT p/B", "DROP p/B");
        for (const auto& e : r.endpoints) {
            std::string st =
                e.state == IfaceState::any ? "-" : std::string(link_state_name(e.state));
            std::string labels = e.labels.empty() ? "-" : ascii(e.labels.format());
            row(ascii(e.name), ascii(e.iface), st, labels,
                std::to_string(e.policies_in) + "/" + std::to_string(e.policies_out),
                pair_cell(e.accepted), pair_cell(e.dropped));
        }
    } else if (shows_endpoint_list(r.state)) {
        lines.push_back("ENDPOINT none: no HostEndpoint of this node matches an interface");
    }

    if (!r.policies.empty()) {
        const size_t order_w = 6, hits_w = 5;
        size_t name_w = 26, sel_w = 40;
        if (width > 80) {
            name_w += (width - 80) / 3;
            sel_w += (width - 80) - (width - 80) / 3;
        } else {
            size_t less = 80 - width;
            size_t from_name = std::min(less / 2, name_w - 8);
            name_w -= from_name;
            sel_w = sel_w > less - from_name + 6 ? sel_w - (less - from_name) : 6;
        }
        auto row = [&](std::string order, std::string name, std::string sel, std::string hits) {
            lines.push_back(left(std::move(order), order_w) + " " + left(std::move(name), name_w) +
                            " " + left(std::move(sel), sel_w) + " " +
                            right(std::move(hits), hits_w));
        };
        row("ORDER", "POLICY", "SELECTOR", "HITS");
        for (const auto& p : r.policies) {
            row(p.order ? format_order(*p.order) : "-", ascii(p.name),
                p.selector.empty() ? "all()" : ascii(p.selector),
                p.hits ? format_count(*p.hits) : "-");
        }
    }

    // The supervisor's events: the last three; the log has the rest.
    constexpr size_t max_watchdog = 3;
    if (r.watchdog.size() > max_watchdog) {
        lines.push_back("watch   (+" + std::to_string(r.watchdog.size() - max_watchdog) +
                        " earlier: logread -e hepd)");
    }
    for (size_t i = r.watchdog.size() > max_watchdog ? r.watchdog.size() - max_watchdog : 0;
         i < r.watchdog.size(); ++i) {
        const WatchdogEvent& e = r.watchdog[i];
        std::string line = "watch   ";
        if (!e.at.empty()) line += ascii(e.at) + " ";
        wrap(lines, line, ascii(e.what), width, 8, 2);
    }

    constexpr size_t max_details = 3;
    for (const auto& w : r.warnings) {
        std::string head = "warn: ";
        std::string_view kind = warning_kind_name(w.kind);
        std::string intro(kind);
        if (w.count > 1) intro += (intro.empty() ? "x" : " x") + std::to_string(w.count);
        if (!w.at.empty()) {
            std::string at = ascii(w.at);
            intro += intro.empty() ? at : (w.count > 1 ? " (last " + at + ")" : " " + at);
        }
        std::string text = intro;
        if (!w.message.empty()) text += (text.empty() ? "" : ": ") + ascii(w.message);
        wrap(lines, head, text, width, 6, 3);
        for (size_t i = 0; i < w.details.size() && i < max_details; ++i)
            lines.push_back("      " + ascii(w.details[i]));
        if (w.details.size() > max_details)
            lines.push_back("      (+" + std::to_string(w.details.size() - max_details) + " more)");
    }

    for (const auto& n : r.notes) wrap(lines, "note: ", ascii(n), width, 6, 3);

    std::string out;
    for (auto& l : lines) {
        l = cut(std::move(l), width);
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l;
        out += '\n';
    }
    return out;
}

std::string format_status_json(const StatusReport& r) {
    Json j;
    j.open('{');
    j.key("schema").num(uint64_t{1});
    j.key("state").str(status_state_key(effective_state(r)));
    j.key("exit_code").num(int64_t{status_exit_code(r)});
    j.key("version").str(r.version);
    j.key("pid");
    if (r.pid > 0) j.num(r.pid); else j.null();
    j.key("uptime_s");
    if (r.uptime_s) j.num(*r.uptime_s); else j.null();
    j.key("backend").str(r.backend);
    j.key("node").str(r.node);
    j.key("firewall").str(r.firewall);

    j.key("last_apply");
    if (r.last_apply) {
        const ApplySummary& a = *r.last_apply;
        j.open('{');
        j.key("seq").num(a.seq);
        j.key("result").str(apply_result_name(a.result));
        j.key("at").str(a.at);
        j.key("duration_ms").num(a.duration_ms);
        j.key("families").open('[');
        if (a.v4) j.str("v4");
        if (a.v6) j.str("v6");
        j.close(']');
        j.key("rules").num(a.rules);
        j.key("set_members").num(a.set_members);
        j.key("error").str(a.error);
        j.close('}');
    } else {
        j.null();
    }

    j.key("confirm");
    if (r.confirm) {
        j.open('{').key("remaining_s").num(r.confirm->remaining_s);
        j.key("deadline").str(r.confirm->deadline).close('}');
    } else {
        j.null();
    }

    j.key("failsafe");
    if (r.failsafe) {
        j.open('{');
        json_ports(j, "in", r.failsafe->in);
        json_ports(j, "out", r.failsafe->out);
        j.key("icmpv6_nd").boolean(r.failsafe->icmpv6_nd);
        j.close('}');
    } else {
        j.null();
    }

    j.key("endpoints").open('[');
    for (const auto& e : r.endpoints) {
        j.open('{');
        j.key("name").str(e.name);
        j.key("iface").str(e.iface);
        j.key("state").str(link_state_name(e.state));
        j.key("labels").open('{');
        for (const auto& [k, v] : e.labels) j.key(k).str(v);
        j.close('}');
        j.key("policies_in").num(uint64_t{e.policies_in});
        j.key("policies_out").num(uint64_t{e.policies_out});
        json_counters(j, "accepted", e.accepted);
        json_counters(j, "dropped", e.dropped);
        j.close('}');
    }
    j.close(']');

    j.key("policies").open('[');
    for (const auto& p : r.policies) {
        j.open('{');
        j.key("order");
        if (p.order && std::isfinite(*p.order)) j.raw(format_order(*p.order)); else j.null();
        j.key("name").str(p.name);
        j.key("selector").str(p.selector);
        j.key("hits");
        if (p.hits) j.num(*p.hits); else j.null();
        j.close('}');
    }
    j.close(']');

    j.key("watchdog").open('[');
    for (const auto& e : r.watchdog)
        j.open('{').key("at").str(e.at).key("what").str(e.what).close('}');
    j.close(']');

    j.key("warnings").open('[');
    for (const auto& w : r.warnings) {
        j.open('{');
        j.key("kind").str(warning_kind_key(w.kind));
        j.key("count").num(w.count);
        j.key("at").str(w.at);
        j.key("message").str(w.message);
        j.key("details").open('[');
        for (const auto& d : w.details) j.str(d);
        j.close(']');
        j.key("ongoing").boolean(w.ongoing);
        j.close('}');
    }
    j.close(']');

    j.key("notes").open('[');
    for (const auto& n : r.notes) j.str(n);
    j.close(']');

    j.close('}');
    j.out += '\n';
    return j.out;
}

}  // namespace hepd
