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
//
// What repeated statements mean. hepd reads a file the way libuci loads it (openwrt/uci: file.c
// uci_parse_option/uci_parse_config, list.c uci_set/uci_add_list), so that hepd sees what
// `uci show` shows; where that quietly loses something written in the file, a warning says so.
//
//   option x 'a' ... option x 'b'     one option x = 'b', at the first one's place (warning)
//   list x 'a'   ... option x 'b'     the list is replaced by option x = 'b' (warning)
//   option x 'a' ... list x 'b'       a list x = ['a', 'b'] (uci_add_list turns the option into
//                                     a list with the old value first)
//   list x 'a'   ... list x 'b'       a list x = ['a', 'b']
//   option x ''  or  option x         ignored: not created, and an earlier x is kept (warning)
//   list x ''                         an empty item is appended
//   config T 'n' ... config T 'n'     one section: the second block's options merge into the
//                                     first (warning); a different type is an error
//   config T ''                       an anonymous section
//   package NAME                      optional; the first one is kept, later ones are checked
//
// Also from libuci: the keywords have one-letter forms (p, c, o, l); '#' outside quotes starts a
// comment anywhere (`option a b#c` is a = 'b'); quoted strings may span lines (the line break is
// kept); a backslash at the end of a line joins the next line; lines have no length limit.
// Every problem is an error, as in libuci's strict mode (the `uci` tool's default), and reading
// goes on so that all are reported. hepd refuses an unquoted ';' (libuci's statement separator,
// which silently drops the rest of the line after a plain word), an argument after the last one
// even if empty, and NUL bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hepd/diag.hpp"

namespace hepd::uci {

// Where a value was written (its first character, the opening quote if quoted).
struct ValuePos {
    uint32_t line = 0;
    uint32_t col = 0;
};

struct Option {
    std::string name;
    std::vector<std::string> values;  // one value for `option`, one or more for `list`
    bool is_list = false;
    uint32_t line = 0;                // of the first statement that set it
    uint32_t col = 0;                 // (its keyword)
    std::vector<ValuePos> value_pos;  // parallel to values; for `option x` without value: keyword
};

struct Section {
    std::string type;        // `config TYPE`
    std::string name;        // `config TYPE 'NAME'`; empty for an anonymous section
    uint32_t line = 0;       // of the `config` keyword (the first one for a merged section)
    uint32_t type_index = 0; // 0-based position among sections of the same type (for @type[N]);
                             // named sections count too, as in libuci's @type[N] lookup
    uint32_t col = 0;
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
// continues with the next line so that every problem is reported. An unterminated quote is
// reported at the opening quote and ends the parse (the quote swallowed the rest of the input).
// Lines count LF, columns count UTF-8 characters, both from 1. NUL bytes are errors.
File parse_uci(std::string_view text, std::string_view file, Diagnostics& diags);

}  // namespace hepd::uci
