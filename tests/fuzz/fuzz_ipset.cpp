// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the IP set text parsers (include/hepd/ipset.hpp). The first byte picks
// the parser (see LLVMFuzzerTestOneInput), the rest is its input. Beyond "no crash, no leak, no UB":
//  - parse_member: a member that parses prints canonically, and its canonical text parses back
//    to the same member (a fixed point); its libipset text holds only digits, hex digits and
//    the separators . : / , (nothing libipset could hand to a resolver);
//  - parse_save: only hepd sets, sorted by name, members sorted; a conforming set's members are
//    canonical; entries counts every add line of the set;
//  - parse_list_headers: only hepd sets, sorted by name, no members.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/ipset.hpp"
#include "hepd/names.hpp"

namespace {

#define CHECK(cond)                \
    do {                           \
        if (!(cond)) std::abort(); \
    } while (0)

using hepd::ipset::SetType;

void member(SetType type, uint8_t family, std::string_view text) {
    auto m = hepd::ipset::parse_member(type, family, text);
    if (!m) return;
    const std::string canon = m->to_string();
    auto again = hepd::ipset::parse_member(type, family, canon);
    CHECK(again && *again == *m);
    CHECK(again->to_string() == canon);
    for (char c : m->elem_text())
        CHECK(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '/' || c == ',');
    CHECK(m->net.family() == family);
}

void owned_and_sorted(const std::vector<hepd::ipset::KernelSet>& sets) {
    for (size_t i = 0; i < sets.size(); ++i) {
        CHECK(hepd::names::is_owned_set(sets[i].set.name));
        if (i) CHECK(sets[i - 1].set.name < sets[i].set.name);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    // 'n' hash:net IPv4, 'N' IPv6, 'p' hash:ip,port IPv4, 'P' IPv6, 's' save text, 'l' list
    // text; any other byte picks one of these by its value.
    static constexpr char modes[] = {'n', 'N', 'p', 'P', 's', 'l'};
    char mode = static_cast<char>(data[0]);
    if (std::string_view("nNpPsl").find(mode) == std::string_view::npos) mode = modes[data[0] % 6];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (mode) {
    case 'n': member(SetType::hash_net, 4, text); break;
    case 'N': member(SetType::hash_net, 6, text); break;
    case 'p': member(SetType::hash_ip_port, 4, text); break;
    case 'P': member(SetType::hash_ip_port, 6, text); break;
    case 's': {
        auto sets = hepd::ipset::parse_save(text);
        if (!sets) break;
        owned_and_sorted(*sets);
        for (const auto& k : *sets) {
            CHECK(std::is_sorted(k.set.members.begin(), k.set.members.end()));
            CHECK(k.entries && *k.entries == k.set.members.size() + k.odd_members.size());
            if (!k.conforms()) continue;
            const auto type = hepd::ipset::parse_set_type(k.set.type);
            CHECK(type);
            for (const auto& m : k.set.members)
                CHECK(hepd::ipset::canonical_member(*type, k.set.family, m).value_or("") == m);
        }
        break;
    }
    default: {
        auto sets = hepd::ipset::parse_list_headers(text);
        if (!sets) break;
        owned_and_sorted(*sets);
        for (const auto& k : *sets) CHECK(k.set.members.empty());
        break;
    }
    }
    return 0;
}
