// SPDX-License-Identifier: GPL-2.0-or-later
// INI reader for hepd.conf, on top of inih: returns every `key = value` with its section and line.
// Interpretation of the keys is config.cpp's job. Lines longer than inih's line buffer, and other
// syntax inih rejects, are errors with their line, never silently split or truncated.
//
// The syntax is inih's (r55, default build options, as Debian 12 ships it):
//   - `[section]`; text after the ']' is ignored; names are kept as written (inner spaces too).
//   - `key = value` or `key: value`; the first '=' or ':' splits; key and value are trimmed.
//   - Comments: a line starting with ';' or '#'; and ';' or '#' after whitespace anywhere (inih
//     knows only ';' inline; hepd also cuts at " #", as hepd.conf documents). `a;b`, `a#b` stay.
//   - An indented non-blank line after a key continues that key's value (inih's multi-line
//     entries, as in Python's configparser). The continuation, its inline comment removed, is
//     appended to the entry's value after a '\n' (no '\n' when the value was still empty, so
//     `key =` followed by indented items gives "item1\nitem2"); comment and blank lines in
//     between do not end it, a section header does. List-valued keys may so span lines; a key that must be one word
//     should reject a value containing '\n'.
//   - CR LF line ends and a UTF-8 byte order mark are accepted.
// Errors, each at its line (column 0), all collected: a line that is neither comment, header nor
// key/value; a header without ']'; `[]`; a section name over 49 bytes (inih would cut it); an
// empty key (`= v`); a NUL byte; and a line over max_line_bytes (4096) without its line end,
// reported as "line N is too long (M bytes; the limit is 4096)". (inih's own line buffer holds 197
// bytes; longer lines are handed to it as a short stand-in and their value put back, so a long
// InterfaceExclude or failsafe list is read whole.) Duplicate keys are not errors: every entry is
// returned, in file order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hepd/diag.hpp"

namespace hepd::ini {

// The longest line hepd.conf may have, without its line end.
inline constexpr size_t max_line_bytes = 4096;

struct Entry {
    std::string section;  // as written, without brackets ("" before any section header)
    std::string key;      // as written (case preserved; callers compare case-insensitively)
    std::string value;    // inline comments (" ;" and " #") and surrounding whitespace removed;
                          // continuation lines joined with '\n'
    uint32_t line = 0;    // of the key (the first line of a multi-line value)
};

struct File {
    std::vector<Entry> entries;  // in file order
    std::vector<std::pair<std::string, uint32_t>> sections;  // every [section] header and its line
};

File parse_ini(std::string_view text, std::string_view file, Diagnostics& diags);

}  // namespace hepd::ini
