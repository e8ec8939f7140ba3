// SPDX-License-Identifier: GPL-2.0-or-later
// libipset's output callback (hepd/ipset_output.hpp says why it stands alone).
#include "hepd/ipset_output.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace hepd::ipset {

int collect_output(ipset_session* /*s*/, void* p, const char* fmt, ...) noexcept {
    auto* buf = static_cast<OutputBuffer*>(p);
    if (buf->failed) return -1;
    std::string& out = buf->text;
    va_list ap;
    va_start(ap, fmt);
    int n = -1;
    try {
        if (std::strcmp(fmt, "%s") == 0) {  // how libipset hands over its buffer
            const char* text = va_arg(ap, const char*);
            const size_t len = std::strlen(text);
            if (out.size() + len <= buf->limit) {
                out.append(text, len);
                n = static_cast<int>(len);
            }
        } else {
            va_list again;
            va_copy(again, ap);
            const int len = std::vsnprintf(nullptr, 0, fmt, ap);
            if (len >= 0 && out.size() + static_cast<size_t>(len) <= buf->limit) {
                const size_t old = out.size();
                out.resize(old + static_cast<size_t>(len) + 1);
                std::vsnprintf(out.data() + old, static_cast<size_t>(len) + 1, fmt, again);
                out.resize(old + static_cast<size_t>(len));
                n = len;
            }
            va_end(again);
        }
    } catch (...) {
        n = -1;
    }
    va_end(ap);
    if (n < 0) buf->failed = true;
    return n;
}

}  // namespace hepd::ipset
