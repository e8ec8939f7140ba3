// SPDX-License-Identifier: GPL-2.0-or-later
// INI reader: inih's ini_parse_stream() fed by our own line reader.
//
//   text --> read_line() --(one line at a time)--> inih --> on_entry() --> File::entries
//             |  line numbers, BOM, NUL bytes,               (key = value, continuation)
//             |  too-long lines, " #" comments
//             +-- finish_line(): what inih did not report: [section] headers, syntax errors
//
// Goals, and how this file meets them:
//  1. Every entry and every error has its line. inih (Debian's r55 build) has no line number in
//     its handler (INI_HANDLER_LINENO is 0) and returns only the first error line, so the reader
//     counts lines itself: inih asks for the next line only after it has finished the previous
//     one, so "the line being parsed" is always the last one handed out.
//  2. Nothing is split or truncated. inih reads lines through a fixed buffer of `num` bytes
//     (INI_MAX_LINE, 200; the reader is told the size) and would parse the rest of a longer line
//     as a new line. The reader measures each line first. A line longer than max_line_bytes
//     (4096) is an error and inih gets an empty line in its place. A longer line than inih's
//     buffer holds (num - 3 bytes: room for CR, LF and NUL, as ini.h documents; 197 with the
//     default build) but within max_line_bytes is handed to inih as a short stand-in of the same
//     shape (`key=x`, or ` x` for a continuation line), and the handler puts the real value, cut
//     and trimmed by inih's rules, in place of the `x`. Section names longer than inih's 49-byte
//     section buffer would be cut by inih, so they are errors too.
//  3. Every error is reported, not only inih's first: after inih is done with a line that it did
//     not pass to the handler, finish_line() classifies it with inih's own rules (comment, blank,
//     [section], or a syntax error). inih's return value is cross-checked against that, and
//     fuzz_ini checks on every input that the first error found so is the line inih reports.
//  4. No exception crosses into C: the callbacks are noexcept and catch everything.
//
// inih behaviours hepd relies on (r55 defaults, which Debian's build keeps; pinned by ini_test):
// ';' and '#' start a comment at the start of a line; ';' after whitespace starts an inline
// comment (the reader adds '#' after whitespace, as hepd.conf documents); `key: value` is
// accepted like `key = value`; an indented line after a key continues that key's value
// (multi-line, as in Python's configparser); a UTF-8 BOM is skipped (the reader drops it itself).
#include "hepd/ini.hpp"

#include <ini.h>

#include <cstring>

namespace hepd::ini {

namespace {

// inih's section buffer (MAX_SECTION in ini.c) holds 49 bytes and a NUL.
constexpr size_t max_section_name = 49;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Position of the first inline comment (';' or '#' right after whitespace), or npos.
size_t inline_comment(std::string_view s, bool at_start_counts) {
    bool was_space = at_start_counts;
    for (size_t i = 0; i < s.size(); ++i) {
        if (was_space && (s[i] == ';' || s[i] == '#')) return i;
        was_space = is_space(s[i]);
    }
    return std::string_view::npos;
}

// inih's treatment of a value: cut at an inline ';' comment (after whitespace), trimmed.
std::string_view inih_value(std::string_view v) {
    size_t c = inline_comment(v, false);
    if (c != std::string_view::npos) v = v.substr(0, c);
    return trim(v);
}

struct Reader {
    std::string_view text;
    std::string_view file;
    Diagnostics* diags = nullptr;
    File out;

    size_t pos = 0;      // next unread byte of text
    uint32_t line = 0;   // number of the line inih is working on
    std::string content; // that line as handed to inih, without its line end
    bool replaced = false;  // the line was refused and inih got an empty line instead
    bool stand_in = false;  // inih got a short stand-in; long_value is the real value
    std::string long_value;
    bool handled = false;   // inih called the handler for it
    bool have_prev = false; // mirrors inih's prev_name: a key was read since the last header
    size_t last_entry = 0;  // index of the entry a continuation line extends
    std::vector<uint32_t> error_lines;
    bool failed = false;    // an allocation failed inside a callback

    void error(uint32_t at, std::string msg) {
        error_lines.push_back(at);
        diags->error(Location{std::string(file), at, 0}, std::move(msg));
    }
    void finish_line();
};

// Classifies the line inih has just finished, unless the handler already saw it.
void Reader::finish_line() {
    if (line == 0 || replaced || handled) return;
    std::string_view t = trim(content);
    if (t.empty() || t[0] == ';' || t[0] == '#') return;
    if (t[0] == '[') {
        // inih: the header ends at the first ']' before an inline comment.
        std::string_view rest = t.substr(1);
        size_t close = std::string_view::npos;
        bool was_space = false;
        for (size_t i = 0; i < rest.size(); ++i) {
            if (rest[i] == ']') {
                close = i;
                break;
            }
            if (was_space && rest[i] == ';') break;
            was_space = is_space(rest[i]);
        }
        if (close == std::string_view::npos) {
            error(line, "section header without a closing ']'");
            return;
        }
        std::string name(rest.substr(0, close));
        if (name.empty()) {
            error(line, "empty section name '[]'");
        } else if (name.size() > max_section_name) {
            error(line, "section name is longer than " + std::to_string(max_section_name) +
                            " bytes");
        }
        out.sections.emplace_back(std::move(name), line);
        have_prev = false;
        return;
    }
    error(line, "expected 'key = value', '[section]' or a comment");
}

// inih's ini_reader: copies the next line (with its line end) into buf, like fgets.
char* read_line(char* buf, int num, void* stream) noexcept {
    auto* r = static_cast<Reader*>(stream);
    try {
        r->finish_line();
        if (r->pos >= r->text.size() || num < 4) return nullptr;

        std::string_view rest = r->text.substr(r->pos);
        size_t nl = rest.find('\n');
        std::string_view raw = nl == std::string_view::npos ? rest : rest.substr(0, nl + 1);
        r->pos += raw.size();
        ++r->line;
        r->handled = false;
        r->replaced = false;

        std::string_view ending;
        std::string_view body = raw;
        if (!body.empty() && body.back() == '\n') {
            body.remove_suffix(1);
            ending = "\n";
            if (!body.empty() && body.back() == '\r') {
                body.remove_suffix(1);
                ending = "\r\n";
            }
        }
        if (r->line == 1 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);

        const size_t limit = static_cast<size_t>(num) - 3;
        r->stand_in = false;
        if (body.find('\0') != std::string_view::npos) {
            r->error(r->line, "line " + std::to_string(r->line) + " contains a NUL byte");
            r->replaced = true;
        } else if (body.size() > max_line_bytes) {
            r->error(r->line, "line " + std::to_string(r->line) + " is too long (" +
                                  std::to_string(body.size()) + " bytes; the limit is " +
                                  std::to_string(max_line_bytes) + ")");
            r->replaced = true;
        }
        if (r->replaced) {
            r->content.clear();
            std::memcpy(buf, "\n", 2);
            return buf;
        }
        // '#' after whitespace starts a comment, like ';' does in inih (an inline '#' is not
        // one of inih's comment prefixes): the line ends there.
        size_t hash = std::string_view::npos;
        for (size_t i = 1; i < body.size(); ++i) {
            if (body[i] == '#' && is_space(body[i - 1])) {
                hash = i;
                break;
            }
        }
        if (hash != std::string_view::npos) body = body.substr(0, hash);
        std::string stand_in;  // what inih gets in place of a line its buffer cannot hold
        if (body.size() > limit) {
            std::string_view t = trim(body);
            const bool indented = is_space(body[0]);
            if (t[0] == ';' || t[0] == '#') {
                stand_in = ";";  // a long comment
            } else if (indented && r->have_prev) {
                stand_in = " x";  // a continuation line: inih passes the whole line as the value
                r->long_value.assign(inih_value(t));
                r->stand_in = true;
            } else if (t[0] == '[') {
                stand_in.assign(t.substr(0, std::min<size_t>(t.size(), limit)));  // too long a name
                r->error(r->line, "section name is longer than " + std::to_string(max_section_name) + " bytes");
                r->replaced = true;
            } else {
                size_t sep = 0;
                while (sep < t.size() && t[sep] != '=' && t[sep] != ':' &&
                       !((t[sep] == ';') && sep > 0 && is_space(t[sep - 1])))
                    ++sep;
                if (sep == t.size() || t[sep] == ';') {
                    stand_in = "x";  // not key = value: inih reports it, finish_line says why
                } else if (trim(t.substr(0, sep)).size() + 2 > limit) {
                    // The stand-in `key=x` must fit in inih's buffer, as the key would on a
                    // short line (fuzz_ini: a file read without errors reads back the same).
                    r->error(r->line, "line " + std::to_string(r->line) + ": the key is longer than " +
                                          std::to_string(limit - 2) + " bytes");
                    r->replaced = true;
                } else {
                    stand_in = std::string(trim(t.substr(0, sep))) + "=x";
                    r->long_value.assign(inih_value(t.substr(sep + 1)));
                    r->stand_in = true;
                }
            }
            if (r->replaced) {
                r->content.clear();
                std::memcpy(buf, "\n", 2);
                return buf;
            }
            body = stand_in;
        }
        r->content.assign(body);
        // (num - 3 >= body.size() leaves room for the line end and the NUL.)
        if (!body.empty()) std::memcpy(buf, body.data(), body.size());
        if (!ending.empty()) std::memcpy(buf + body.size(), ending.data(), ending.size());
        buf[body.size() + ending.size()] = '\0';
        return buf;
    } catch (...) {
        r->failed = true;
        return nullptr;
    }
}

int on_entry(void* user, const char* section, const char* name, const char* value) noexcept {
    auto* r = static_cast<Reader*>(user);
    try {
        r->handled = true;
        bool indented = !r->content.empty() && is_space(r->content[0]);
        if (indented && r->have_prev) {
            // A continuation line: inih passes it whole; drop an inline comment and join it to
            // the previous value with a newline, as Python's configparser does (but without a
            // leading newline when the key's own line had no value).
            std::string_view v = r->stand_in ? std::string_view(r->long_value) : std::string_view(value);
            size_t c = inline_comment(v, false);
            if (c != std::string_view::npos) v = trim(v.substr(0, c));
            if (!v.empty()) {
                Entry& e = r->out.entries[r->last_entry];
                if (!e.value.empty()) e.value += '\n';
                e.value.append(v);
            }
            return 1;
        }
        std::string_view key(name);
        if (key.empty()) {
            r->error(r->line, "missing key before '='");
            r->have_prev = false;  // inih's prev_name is now empty: no continuation follows
            return 1;
        }
        Entry e;
        e.section = section;
        e.key.assign(key);
        if (r->stand_in)
            e.value = std::move(r->long_value);
        else
            e.value = value;
        e.line = r->line;
        r->last_entry = r->out.entries.size();
        r->out.entries.push_back(std::move(e));
        r->have_prev = true;
        return 1;
    } catch (...) {
        r->failed = true;
        return 0;
    }
}

}  // namespace

File parse_ini(std::string_view text, std::string_view file, Diagnostics& diags) {
    Reader r;
    r.text = text;
    r.file = file;
    r.diags = &diags;
    int rc = ini_parse_stream(read_line, &r, on_entry, &r);
    if (r.failed || rc == -2) {
        diags.error(Location{std::string(file), 0, 0}, "out of memory while reading the file");
        return {};
    }
    if (rc > 0) {
        bool known = false;
        for (uint32_t l : r.error_lines) known = known || l == static_cast<uint32_t>(rc);
        if (!known) diags.error(Location{std::string(file), static_cast<uint32_t>(rc), 0}, "syntax error");
    }
    return std::move(r.out);
}

}  // namespace hepd::ini
