// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the UCI resource mapping: UCI text -> parse_uci -> load_uci_resources ->
// finish_model. Beyond "no crash, no leak, no UB":
//   - every message of the mapping names a UCI section ("uci:...") and a position in the file,
//     and speaks UCI: it names the option, never a Calico field path ("spec.ingress[0]...");
//   - the result is deterministic;
//   - without errors, every policy and endpoint the model holds obeys the loader's guarantees
//     (rule order aside, which the unit tests pin).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/model.hpp"
#include "hepd/uci.hpp"
#include "hepd/uci_resources.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

std::string run(std::string_view text) {
    hepd::Diagnostics rd;
    hepd::uci::File f = hepd::uci::parse_uci(text, "fuzz.uci", rd);
    hepd::UciResourceContext rc{"router1", {{"wan", "eth1"}, {"lan", "br-lan"}}, text};
    hepd::Model m;
    hepd::Diagnostics d;
    hepd::load_uci_resources(f, "fuzz.uci", rc, m, d);
    for (const auto& item : d.items()) {
        CHECK(item.message.starts_with("uci:"));
        // After "uci:REF: " comes a UCI option or plain text, never a Calico field path. (Values
        // quoted later in the message may contain anything, "spec." included.)
        const size_t sep = item.message.find(": ");
        CHECK(sep != std::string::npos);
        const std::string_view rest = std::string_view(item.message).substr(sep + 2);
        CHECK(!rest.starts_with("spec") && !rest.starts_with("metadata"));
        CHECK(item.where.file == "fuzz.uci");
        CHECK(item.where.line >= 1 && item.where.col >= 1);
    }
    hepd::finish_model(m, d);
    if (!d.has_errors() && !rd.has_errors()) {
        for (const auto& p : m.policies) {
            CHECK(p.ingress_type || p.egress_type);
            if (p.pre_dnat || p.do_not_track) CHECK(p.apply_on_forward);
            for (const auto* rules : {&p.ingress, &p.egress})
                for (const auto& r : *rules) CHECK(r.where.file == "fuzz.uci" && r.where.line >= 1);
        }
        for (const auto& h : m.host_endpoints) CHECK(!h.interface_name.empty() || !h.expected_ips.empty());
        for (size_t i = 1; i < m.policies.size(); ++i) CHECK(!hepd::policy_less(m.policies[i], m.policies[i - 1]));
    }
    return rd.format() + d.format();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    CHECK(run(text) == run(text));
    return 0;
}
