// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the INI reader (inih underneath). Beyond "no crash, no leak, no UB":
// entries come in line order with non-empty trimmed keys; the first syntax error found by hepd's
// own classification of the lines is the line inih itself reports (checked on inputs the reader
// hands to inih unchanged: no '#', NUL or long line); and a file read without errors, written
// back compactly (`key=value`, continuation lines indented by one space, so no line gets longer
// than the one it came from), reads back the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <ini.h>

#include "hepd/ini.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string write(const hepd::ini::File& f) {
    // A blank first line, so that a key that starts with a BOM's bytes (possible when the BOM
    // was not at the very start of the input) is not taken for a BOM.
    std::string out = "\n";
    size_t s = 0;
    for (const auto& e : f.entries) {
        while (s < f.sections.size() && f.sections[s].second < e.line) {
            out += "[" + f.sections[s].first + "]\n";
            ++s;
        }
        // The first piece goes on the key's line when that fits in a line (it must, if it starts
        // with ';' or '#': it came from such a line), else on a continuation line like the rest.
        std::string_view v(e.value);
        size_t nl = v.find('\n');
        std::string_view first = v.substr(0, nl);
        out += e.key + "=";
        if (e.key.size() + 1 + first.size() > hepd::ini::max_line_bytes) out += "\n ";
        out += first;
        out += "\n";
        while (nl != std::string_view::npos) {
            v.remove_prefix(nl + 1);
            nl = v.find('\n');
            out += " ";
            out += v.substr(0, nl);
            out += "\n";
        }
    }
    for (; s < f.sections.size(); ++s) out += "[" + f.sections[s].first + "]\n";
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    hepd::Diagnostics d;
    hepd::ini::File f = hepd::ini::parse_ini(text, "fuzz.conf", d);
    uint32_t last = 0;
    for (const auto& e : f.entries) {
        CHECK(e.line >= 1 && e.line > last);
        last = e.line;
        CHECK(!e.key.empty() && !space(e.key.front()) && !space(e.key.back()));
        CHECK(e.value.empty() || (!space(e.value.front()) && !space(e.value.back())));
    }
    uint32_t last_section = 0;
    for (const auto& [name, line] : f.sections) {
        CHECK(line > last_section);
        last_section = line;
    }
    for (const auto& item : d.items()) CHECK(item.where.line >= 1);
    (void)d.format();

    // hepd's classification against inih's first error line.
    bool plain = text.find('#') == std::string_view::npos && text.find('\0') == std::string_view::npos;
    for (size_t start = 0; plain && start < text.size();) {
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string_view::npos ? text.size() : nl;
        if (end - start > 150) plain = false;
        start = end + 1;
    }
    if (plain) {
        uint32_t first = 0;
        for (const auto& item : d.items()) {
            const std::string& m = item.message;
            CHECK(m != "syntax error");  // the fallback: inih saw an error hepd did not
            if (m == "expected 'key = value', '[section]' or a comment" ||
                m == "section header without a closing ']'") {
                if (first == 0) first = item.where.line;
            }
        }
        std::string copy(text);
        int rc = ini_parse_string(copy.c_str(), [](void*, const char*, const char*, const char*) { return 1; }, nullptr);
        CHECK(rc == static_cast<int>(first));
    }

    if (!d.has_errors()) {
        std::string again = write(f);
        hepd::Diagnostics d2;
        hepd::ini::File g = hepd::ini::parse_ini(again, "fuzz-again.conf", d2);
        CHECK(!d2.has_errors());
        CHECK(g.entries.size() == f.entries.size());
        for (size_t i = 0; i < f.entries.size(); ++i) {
            CHECK(g.entries[i].section == f.entries[i].section);
            CHECK(g.entries[i].key == f.entries[i].key);
            CHECK(g.entries[i].value == f.entries[i].value);
        }
        CHECK(g.sections.size() == f.sections.size());
        for (size_t i = 0; i < f.sections.size(); ++i) CHECK(g.sections[i].first == f.sections[i].first);
    }
    return 0;
}
