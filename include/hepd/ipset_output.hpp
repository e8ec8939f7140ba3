// SPDX-License-Identifier: GPL-2.0-or-later
// Where libipset's listing commands (`ipset list -t`, `ipset save`) write their text: the
// IpsetBackend hands collect_output and an OutputBuffer to ipset_session_init.
//
// The callback is its own translation unit because it is the one place in the ipset backend
// where C calls into C++ that allocates: it catches an allocation failure and turns it into
// libipset's error return, so it is compiled with exceptions, while the rest of the backend
// (and its unwind tables) is not (mk/static.mk, ST_EH_SRC).
#pragma once

#include <cstddef>
#include <string>

struct ipset_session;

namespace hepd::ipset {

struct OutputBuffer {
    std::string text;
    bool failed = false;     // the text would have grown past `limit`, or an allocation failed
    // The kernel's sets are not hepd's input, but a runaway listing must end in an error, not in
    // the OOM killer. 65536 IPv6 members of a hepd set take about 4.6 MB of save text.
    size_t limit = size_t{64} << 20;
};

// libipset's printf-like output function (ipset_print_outfn): appends to the OutputBuffer `p`.
// Never prints, never throws; returns -1 once the buffer has failed.
__attribute__((format(printf, 3, 4))) int collect_output(ipset_session* s, void* p, const char* fmt,
                                                         ...) noexcept;

}  // namespace hepd::ipset
