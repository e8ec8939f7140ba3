// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the YAML reader: any input, default and tight limits. Beyond "no crash,
// no leak, no UB" it checks what callers rely on: every node has a position, the tree is never
// deeper than max_depth, and every diagnostic formats.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "hepd/yaml.hpp"

namespace {

using hepd::yaml::Node;

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

// Walks the tree with an explicit stack and checks positions and depth.
void check_tree(const Node& root, const hepd::yaml::Limits& limits) {
    std::vector<std::pair<const Node*, size_t>> todo{{&root, 0}};
    while (!todo.empty()) {
        auto [n, depth] = todo.back();
        todo.pop_back();
        CHECK(n->line >= 1 && n->col >= 1);
        if (n->kind == hepd::yaml::NodeKind::mapping || n->kind == hepd::yaml::NodeKind::sequence)
            CHECK(depth + 1 <= limits.max_depth);
        if (n->kind == hepd::yaml::NodeKind::scalar) CHECK(n->value.size() <= limits.max_scalar);
        if (n->kind != hepd::yaml::NodeKind::sequence) CHECK(n->items.empty());
        if (n->kind != hepd::yaml::NodeKind::mapping) CHECK(n->entries.empty());
        for (const auto& i : n->items) todo.push_back({&i, depth + 1});
        for (const auto& e : n->entries) {
            todo.push_back({&e.key, depth + 1});
            todo.push_back({&e.value, depth + 1});
        }
    }
}

void run(std::string_view text, const hepd::yaml::Limits& limits) {
    hepd::Diagnostics d;
    auto docs = hepd::yaml::parse_yaml(text, "fuzz.yaml", d, limits);
    for (const auto& doc : docs) {
        CHECK(doc.line >= 1);
        check_tree(doc.root, limits);  // an empty document's null root has a position too
    }
    for (const auto& item : d.items()) {
        CHECK(!item.message.empty());
        CHECK(item.where.file == "fuzz.yaml");
    }
    (void)d.format();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    run(text, hepd::yaml::Limits{});
    run(text, hepd::yaml::Limits{4096, 4, 64, 32});
    return 0;
}
