// SPDX-License-Identifier: GPL-2.0-or-later
// Selector: Calico's label selector language (libcalico-go/lib/selector), parsed once and then
// evaluated against label maps without allocating.
//
//     role == 'k8s-worker' && environment in {'production', 'staging'} && !has(quarantine)
//
// The grammar, the semantics and the accepted and rejected inputs are those of Calico's tokenizer
// and parser (design/SEMANTICS.md section 6): values are always quoted, `!=` and `not in` match
// when the label is absent, only spaces and tabs separate tokens, keywords are lowercase, and the
// empty or blank selector is all().
//
// to_string() is Calico's canonical String() form: `&&` and `||` groups in parentheses, values in
// double quotes unless they contain one, set members sorted and de-duplicated, ops spelled
// `starts with`, `ends with`, `not in`. One deliberate difference: a double negation that Calico
// keeps because it came through parentheses, `!(!has(a))`, prints as `has(a)` here (Calico prints
// `!!has(a)`, which it then re-parses to `has(a)`); so here the canonical form is a fixed point:
// parse(s.to_string()).to_string() == s.to_string() for every selector.
//
// Limits: labels in a selector are at most 512 characters (Calico's tokenizer); parentheses nest
// at most max_nesting deep (hepd's own, so that a hostile input cannot exhaust the stack; no
// selector within the 1024-character CRD limit comes near it). The 1024-character limit on
// selector fields belongs to resource validation, not to this parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"
#include "hepd/labels.hpp"

namespace hepd {

class Selector {
public:
    static constexpr size_t max_label_length = 512;
    static constexpr size_t max_nesting = 512;
    // Offsets are 32-bit; far above anything a resource or a command line can carry.
    static constexpr size_t max_text_length = size_t{1} << 24;

    // The empty selector: all().
    Selector();

    // Parses text. On error, reports one diagnostic at where.line and column where.col plus the
    // byte offset of the offending token, and returns std::nullopt.
    static std::optional<Selector> parse(std::string_view text, Diagnostics& diags,
                                         const Location& where = {"selector", 1, 1});

    // Whether the labels satisfy the selector. Never allocates; no recursion.
    bool matches(const Labels& labels) const;

    // Calico's canonical form (see above); "all()" for the empty selector.
    const std::string& to_string() const { return canonical_; }
    // stable_hash64(to_string()): equal for selectors with the same canonical form. Computed on
    // each call (SHA-256), not at parse time: validation parses every selector and never asks.
    uint64_t hash() const;
    // The selector mentions global(), which Calico rejects in policy and rule selectors.
    bool uses_global() const { return uses_global_; }
    // The result does not depend on the labels and is true: all(), the empty selector, global(),
    // and anything that folds to them, such as `all() || has(a)` or `a not in {}`.
    bool is_all() const { return entry_ == accept; }

    // The canonical text with every label key prefixed by `prefix` and all() written as
    // has(all_key): Calico's rewrite of a policy's namespaceSelector onto `pcns.` labels.
    std::string with_prefixed_labels(std::string_view prefix, std::string_view all_key) const;

    bool operator==(const Selector& other) const { return canonical_ == other.canonical_; }

private:
    friend class SelectorParser;

    // A byte range in pool_, or for set tests a range in set_items_.
    struct Span {
        uint32_t off = 0;
        uint32_t len = 0;
    };
    enum class TestOp : uint8_t { has, eq, in, contains, starts_with, ends_with };
    // One label test of the compiled program. Negation, &&, || and constants are compiled into
    // the jump targets, so evaluation is a walk from entry_ until accept or reject; targets always
    // point forward, so the walk ends after at most one step per test.
    struct Test {
        TestOp op;
        Span key;
        Span arg;  // the value, or for `in` the members in set_items_ (sorted)
        uint32_t on_true;
        uint32_t on_false;
    };
    static constexpr uint32_t accept = 0xfffffffe;
    static constexpr uint32_t reject = 0xffffffff;

    std::string_view view(Span s) const { return {pool_.data() + s.off, s.len}; }
    bool run(const Test& t, const std::string& value) const;

    std::string pool_;             // every label name and value, back to back
    std::vector<Span> set_items_;  // members of `in` sets, each set sorted and unique
    std::vector<Test> tests_;
    uint32_t entry_ = accept;
    std::string canonical_;
    bool uses_global_ = false;
};

}  // namespace hepd
