// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for what hepd reads back from its own files, which a power cut, a full flash
// or a curious administrator may have damaged: the confirmed snapshot and the unconfirmed marker
// (confirmed_dir) and the supervisor's state file (STATE_DIR/watchdog). Beyond "no crash, no
// leak, no UB": whatever parses prints back to bytes that parse to the same value, and a snapshot
// prints back to exactly the bytes it was read from (the format has one spelling per value).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hepd/confirm.hpp"
#include "hepd/watchdog.hpp"

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) std::abort();   \
    } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    std::string problem;
    auto snap = hepd::parse_snapshot(in, &problem);
    CHECK(snap.has_value() == problem.empty());
    if (snap) {
        const std::string again = hepd::format_snapshot(*snap);
        CHECK(again == in);
        CHECK(hepd::sources_hash(*snap).size() == 64);
    }

    if (auto m = hepd::parse_marker(in)) {
        auto back = hepd::parse_marker(hepd::format_marker(*m));
        CHECK(back && *back == *m);
        CHECK(m->hash.size() == 64);
    }

    if (auto w = hepd::parse_watch_file(in)) {
        CHECK(w->pid > 0);
        auto back = hepd::parse_watch_file(hepd::format_watch_file(*w));
        CHECK(back && *back == *w);
    }
    return 0;
}
