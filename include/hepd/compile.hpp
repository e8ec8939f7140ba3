// SPDX-License-Identifier: GPL-2.0-or-later
// compile: (model, Felix parameters, this node, its interfaces) -> the netfilter state Calico
// Felix would program for those host endpoints (SEMANTICS.md sections 2-4), with `hepd-` names.
//
// Pure and deterministic: the same input gives the same Ruleset, byte for byte once rendered.
// It cannot fail: the model was validated when it was loaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/config.hpp"
#include "hepd/model.hpp"
#include "hepd/net.hpp"
#include "hepd/ruleset.hpp"

namespace hepd {

// One network interface of this host, as netlink (or `hepd print --link`) describes it.
struct Link {
    std::string name;
    std::vector<IpAddr> addrs;
    bool operator==(const Link&) const = default;
};

struct CompileInput {
    const Model& model;
    const FelixParams& felix;
    std::string node;          // HostEndpoints with spec.node == node are programmed
    bool ipv6 = true;          // program ip6tables too
    std::vector<Link> links;   // this host's interfaces
};

// Which endpoint governs an interface, and what applies to it (for `hepd status`).
struct Binding {
    std::string iface;          // "*" for the all-interfaces endpoint
    std::string endpoint;       // HostEndpoint name
    std::vector<std::string> ingress_policies;  // in evaluation order, all kinds
    std::vector<std::string> egress_policies;
    std::vector<std::string> profiles;
    bool operator==(const Binding&) const = default;
};

struct Compiled {
    nf::Ruleset rules;
    std::vector<Binding> bindings;  // sorted by interface, "*" last
};

// The mark bits Felix takes from IptablesMarkMask, lowest first (SEMANTICS 2.1).
struct MarkBits {
    uint32_t accept = 0;
    uint32_t pass = 0;
    uint32_t drop = 0;
    uint32_t scratch0 = 0;
    uint32_t scratch1 = 0;
    uint32_t all = 0;  // accept | pass | scratch0 | scratch1: what the static chains clear
};
MarkBits mark_bits(uint32_t mask);

Compiled compile(const CompileInput& in);

// ---- the same output, one piece at a time ---------------------------------------------------
//
// compile() holds the whole Ruleset at once (W3: 27k rules and 25k set members, over 10 MB). A
// Compilation hands out the same values one set or one chain at a time, in the order compile()
// stores them, so that a caller that renders or applies as it goes holds one piece at a time
// (render_compiled below; `hepd print`). Nothing is built before it is asked for, except what
// set_count() needs: every set must be known before the first table is handed out (rules refer to
// them), so set_count() builds each policy and profile chain once and keeps only the set names.

namespace detail {
class Compiler;
struct PlannedChain;
struct SetDef;
}  // namespace detail

// One table of one family: the names of its chains, sorted as compile() sorts them, each built
// when it is asked for. Valid while the Compilation it came from is.
class PlannedTable {
public:
    PlannedTable(PlannedTable&&) noexcept;
    PlannedTable& operator=(PlannedTable&&) noexcept;
    ~PlannedTable();

    nf::Table table() const { return table_; }
    uint8_t family() const { return family_; }
    const std::vector<nf::Hook>& hooks() const { return hooks_; }
    size_t size() const;
    std::string_view chain_name(size_t i) const;
    // Builds chain i (its name and rules); each call builds it anew.
    nf::Chain chain(size_t i) const;

private:
    friend class detail::Compiler;
    friend class Compilation;
    PlannedTable(detail::Compiler& c, uint8_t family, nf::Table t);
    detail::Compiler* compiler_;
    uint8_t family_;
    nf::Table table_;
    std::vector<nf::Hook> hooks_;
    std::vector<detail::PlannedChain> chains_;
};

class Compilation {
public:
    explicit Compilation(const CompileInput& in);  // keeps a reference to in and its model
    ~Compilation();
    Compilation(const Compilation&) = delete;
    Compilation& operator=(const Compilation&) = delete;

    // The number of ipsets the rules refer to.
    size_t set_count();
    // Set i of set_count(), in name order: name, type, family and, with `members`, its members
    // (sorted). Call set_count() first.
    nf::IpSet set(size_t i, bool members = true) const;
    // The families compiled: {4} or {4, 6}.
    std::vector<uint8_t> families() const;
    // One table of one family (raw, mangle, filter: compile() holds all three of each family).
    PlannedTable table(uint8_t family, nf::Table t);
    std::vector<Binding> bindings() const;

private:
    std::unique_ptr<detail::Compiler> c_;
    std::vector<const std::pair<const std::string, detail::SetDef>*> sets_;  // in name order
    bool sets_known_ = false;
};

// What `hepd print` writes, rendered while compiling: `only` absent is render_all(), else
// render_ipsets() or render_family() of one family, exactly the same bytes, handed to `write` in
// pieces of about 16 KiB. Holds one set or chain at a time, never the whole Ruleset or text.
struct RenderStats {
    size_t rules = 0;    // rule_count() of what was rendered (hooks included)
    size_t sets = 0;
    size_t members = 0;  // set_member_count()
    size_t chains = 0;
    size_t bytes = 0;
};
RenderStats render_compiled(const CompileInput& in, std::optional<nf::RenderPart> only,
                            const std::function<void(std::string_view)>& write);

}  // namespace hepd
