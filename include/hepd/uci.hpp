// SPDX-License-Identifier: GPL-2.0-or-later
// UCI reader: OpenWrt's /etc/config file format, as `uci commit` writes it and as people edit it.
//
//     package 'hepd'                      (optional)
//     config hepd 'main'                  a named section
//         option enabled '1'
//         list failsafe_in 'tcp:22'
//     config rule                         an anonymous section
//         option policy 'allow-ssh'       # a comment
//
// Words may be unquoted, 'single-quoted' (no escapes) or "double-quoted" (backslash escapes), and
// adjacent pieces join ('it'\''s' is it's). Lines end the statement. The reader is hepd's own,
// pure and tested; it maps nothing to hepd's model (config.cpp and resources.cpp do).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"

namespace hepd::uci {

struct Option {
    std::string name;
    std::vector<std::string> values;  // one value for `option`, one or more for `list`
    bool is_list = false;
    uint32_t line = 0;                // of the first statement that set it
    uint32_t col = 0;
};

struct Section {
    std::string type;        // `config TYPE`
    std::string name;        // `config TYPE 'NAME'`; empty for an anonymous section
    uint32_t line = 0;
    uint32_t type_index = 0; // 0-based position among sections of the same type (for @type[N])
    std::vector<Option> options;  // in first-appearance order

    const Option* get(std::string_view name) const;
    // "uci:main" for a named section, "uci:@rule[3]" for an anonymous one.
    std::string ref() const;
};

struct File {
    std::string package;  // from `package NAME`, else empty
    std::vector<Section> sections;
};

// Parses `text`; `file` names it in diagnostics. Problems (unterminated quotes, a statement
// outside a section, an unknown keyword, bad names) become errors with line and column; parsing
// continues with the next line so that every problem is reported.
File parse_uci(std::string_view text, std::string_view file, Diagnostics& diags);

}  // namespace hepd::uci
