// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the selector parser. Any byte string may be parsed; for the ones that are
// valid, the canonical form must re-parse, be a fixed point, hash the same, and match exactly the
// same label maps as the original. Any disagreement aborts, so the fuzzer reports it as a crash.
//
//     build/fuzz/fuzz_selector -dict=tests/fuzz/selector.dict tests/fuzz/corpus/selector
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/selector.hpp"

namespace {

void fail(const char* what, std::string_view input, const hepd::Selector& s) {
    std::fprintf(stderr, "fuzz_selector: %s\n  input: [%.*s]\n  canonical: [%s]\n", what,
                 static_cast<int>(input.size()), input.data(), s.to_string().c_str());
    std::abort();
}

hepd::Labels many_labels() {
    hepd::Labels l{{"a", "v"}, {"b", ""}, {"c", "vw"}, {"in", "in"}, {"x.y/z", "'"}, {"role", "k8s-worker"}};
    for (char c = 'd'; c <= 'z'; ++c) l.set(std::string(1, c) + "1", std::string(2, c));
    return l;
}

// Label maps over the keys and values the dictionary makes likely, so that evaluation takes both
// branches of most tests.
const hepd::Labels& label_map(size_t i) {
    static const hepd::Labels maps[] = {
        hepd::Labels{},
        hepd::Labels{{"a", "b"}},
        hepd::Labels{{"a", ""}, {"b", "x"}},
        hepd::Labels{{"a", "v"}, {"b", "w"}, {"c", "'"}, {"in", "\""}},
        hepd::Labels{{"a", "hello"}, {"has", "all"}, {"x.y/z", "vw"}, {"k", "v'w"}},
        hepd::Labels{{"role", "k8s-worker"}, {"environment", "staging"}, {"quarantine", ""}},
        hepd::Labels{{"b", "b"}, {"c", "c"}, {"not", "in"}, {"-k_1", "a b"}},
        many_labels(),  // more than the linear-scan limit: the binary-search path
    };
    return maps[i];
}
constexpr size_t label_maps = 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    hepd::Diagnostics diags;
    const auto sel = hepd::Selector::parse(input, diags);
    if (!sel) {
        if (diags.error_count() != 1) std::abort();
        return 0;
    }
    if (!diags.empty()) fail("diagnostics on success", input, *sel);

    hepd::Diagnostics again_diags;
    const auto again = hepd::Selector::parse(sel->to_string(), again_diags);
    if (!again) fail("canonical form does not parse", input, *sel);
    if (again->to_string() != sel->to_string()) fail("canonical form is not a fixed point", input, *sel);
    if (again->hash() != sel->hash()) fail("hash differs after round trip", input, *sel);
    if (again->is_all() != sel->is_all()) fail("is_all differs after round trip", input, *sel);
    if (again->uses_global() != sel->uses_global()) fail("uses_global differs", input, *sel);
    for (size_t i = 0; i < label_maps; ++i) {
        const bool m = sel->matches(label_map(i));
        if (m != again->matches(label_map(i))) fail("evaluation differs after round trip", input, *sel);
        if (sel->is_all() && !m) fail("is_all() but no match", input, *sel);
    }
    return 0;
}
