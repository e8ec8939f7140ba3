// SPDX-License-Identifier: GPL-2.0-or-later
#include "hepd/result.hpp"

#include <cstring>

namespace hepd {

std::string SysError::message() const {
    std::string out = op;
    if (err != 0) {
        out += ": ";
        out += std::strerror(err);
        out += " (errno ";
        out += std::to_string(err);
        out += ')';
    }
    if (!detail.empty()) {
        out += ": ";
        out += detail;
    }
    return out;
}

} // namespace hepd
