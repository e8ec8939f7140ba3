// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the UCI reader. Beyond "no crash, no leak, no UB": names and types obey
// libuci's rules, every value has a position, and a file read without errors, written back the
// way `uci commit` does (everything quoted), reads back to the same sections and options.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "hepd/uci.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

bool name_ok(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// uci commit's layout, with the type quoted too (uci writes it bare).
std::string write(const hepd::uci::File& f) {
    std::string out;
    if (!f.package.empty()) out += "package " + f.package + "\n";
    for (const auto& s : f.sections) {
        out += "\nconfig " + quote(s.type);
        if (!s.name.empty()) out += " " + quote(s.name);
        out += "\n";
        for (const auto& o : s.options) {
            for (const auto& v : o.values) out += (o.is_list ? "\tlist " : "\toption ") + o.name + " " + quote(v) + "\n";
        }
    }
    return out;
}

bool same(const hepd::uci::File& a, const hepd::uci::File& b) {
    if (a.package != b.package || a.sections.size() != b.sections.size()) return false;
    for (size_t i = 0; i < a.sections.size(); ++i) {
        const auto& x = a.sections[i];
        const auto& y = b.sections[i];
        if (x.type != y.type || x.name != y.name || x.type_index != y.type_index ||
            x.options.size() != y.options.size())
            return false;
        for (size_t j = 0; j < x.options.size(); ++j) {
            const auto& o = x.options[j];
            const auto& p = y.options[j];
            if (o.name != p.name || o.is_list != p.is_list || o.values != p.values) return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    hepd::Diagnostics d;
    hepd::uci::File f = hepd::uci::parse_uci(text, "fuzz", d);
    std::map<std::string, uint32_t> per_type;
    for (const auto& s : f.sections) {
        CHECK(!s.type.empty());
        CHECK(s.name.empty() || name_ok(s.name));
        CHECK(s.type_index == per_type[s.type]++);
        CHECK(s.line >= 1 && s.col >= 1);
        CHECK(s.ref().rfind("uci:", 0) == 0);
        for (const auto& o : s.options) {
            CHECK(name_ok(o.name));
            CHECK(!o.values.empty());
            CHECK(o.values.size() == o.value_pos.size());
            CHECK(o.is_list || o.values.size() == 1);
            CHECK(o.is_list || !o.values[0].empty());
            CHECK(o.line >= 1 && o.col >= 1);
            for (const auto& p : o.value_pos) CHECK(p.line >= 1 && p.col >= 1);
        }
    }
    for (const auto& item : d.items()) CHECK(item.where.line >= 1 && item.where.col >= 1);
    (void)d.format();

    if (!d.has_errors()) {
        std::string again = write(f);
        hepd::Diagnostics d2;
        hepd::uci::File g = hepd::uci::parse_uci(again, "fuzz-again", d2);
        CHECK(!d2.has_errors());
        CHECK(same(f, g));
    }
    return 0;
}
