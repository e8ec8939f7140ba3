// SPDX-License-Identifier: GPL-2.0-or-later
// INI reader for hepd.conf, on top of inih: returns every `key = value` with its section and line.
// Interpretation of the keys is config.cpp's job. Lines longer than inih's line buffer, and other
// syntax inih rejects, are errors with their line, never silently split or truncated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"

namespace hepd::ini {

struct Entry {
    std::string section;  // as written, without brackets ("" before any section header)
    std::string key;      // as written (case preserved; callers compare case-insensitively)
    std::string value;    // inline comments (" ;" and " #") and surrounding whitespace removed
    uint32_t line = 0;
};

struct File {
    std::vector<Entry> entries;  // in file order
    std::vector<std::pair<std::string, uint32_t>> sections;  // every [section] header and its line
};

File parse_ini(std::string_view text, std::string_view file, Diagnostics& diags);

}  // namespace hepd::ini
