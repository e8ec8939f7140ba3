// SPDX-License-Identifier: GPL-2.0-or-later
// format_config: every effective value with its origin, for `hepd status` and debugging.
//
//   [global]
//   FailsafeInboundHostPorts            tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,
//                                       tcp:6666,tcp:6667  (default)
//   LogPrefix                           hepd-drop  (/etc/hepd/hepd.conf:12)
//   |<-------------- 36 -------------->|<-------------- 44 ---------------->|
//
// Plain ASCII (other bytes become \xNN), at most 80 columns: values wrap after commas, and a
// piece longer than a line is cut.

#include "config_internal.hpp"

namespace hepd {

using namespace config_detail;

namespace {

constexpr size_t name_width = 36;
constexpr size_t value_width = 80 - name_width;

std::string ascii(std::string_view s) {
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

void emit(std::string& out, std::string_view name, std::string_view value, const Location& from) {
    // Pieces: the value split after each comma, then the origin (joined by two spaces).
    std::vector<std::string> pieces;
    const std::string v = ascii(value);
    size_t pos = 0;
    while (pos < v.size()) {
        size_t c = v.find(',', pos);
        size_t end = c == std::string::npos ? v.size() : c + 1;
        pieces.push_back(v.substr(pos, end - pos));
        pos = end;
    }
    if (pieces.empty()) pieces.emplace_back("\"\"");
    const std::string origin = "(" + ascii(from.format()) + ")";

    std::vector<std::string> lines;
    std::string cur;
    auto add = [&](const std::string& piece, std::string_view sep) {
        if (!cur.empty() && cur.size() + sep.size() + piece.size() <= value_width) {
            cur += sep;
            cur += piece;
            return;
        }
        if (!cur.empty()) lines.push_back(cur);
        cur.clear();
        std::string_view rest = piece;
        while (rest.size() > value_width) {
            lines.emplace_back(rest.substr(0, value_width));
            rest.remove_prefix(value_width);
        }
        cur = std::string(rest);
    };
    for (const auto& p : pieces) add(p, "");
    add(origin, "  ");
    lines.push_back(cur);

    std::string head = ascii(name);
    if (head.size() >= name_width) {  // not expected: every key is shorter
        out += head + "\n";
        head.clear();
    }
    for (size_t i = 0; i < lines.size(); ++i) {
        std::string pad = i == 0 ? head : std::string();
        pad.resize(name_width, ' ');
        out += pad + lines[i] + "\n";
    }
}

}  // namespace

std::string format_config(const DaemonConfig& daemon, const FelixParams& felix) {
    std::string out = "hepd configuration: effective value (origin)\n[hepd]\n";
    for (const auto& row : daemon_rows()) {
        emit(out, row.name, row.format(daemon), daemon.origin(row.name));
    }
    out += "[global]\n";
    for (const auto& row : felix_rows()) {
        emit(out, row.name, row.format(felix), felix.origin(row.name));
    }
    return out;
}

std::span<const ConfigKey> config_keys() {
    static const std::vector<ConfigKey> keys = [] {
        std::vector<ConfigKey> k;
        for (const auto& r : daemon_rows()) {
            k.push_back(ConfigKey{r.in_ini ? "hepd" : "", r.name, r.uci, ""});
        }
        for (const auto& r : felix_rows()) k.push_back(ConfigKey{"global", r.name, r.uci, r.v3});
        return k;
    }();
    return keys;
}

}  // namespace hepd
