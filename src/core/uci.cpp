// SPDX-License-Identifier: GPL-2.0-or-later
// UCI reader. The grammar and the meaning of repeated statements follow libuci (openwrt/uci,
// file.c, list.c, util.c); the notes below name the function each rule comes from. The semantics
// of repeated and mixed statements are documented in uci.hpp.
//
// Lexical rules (file.c: uci_parse_line, next_arg, parse_str, parse_*_quote, parse_backslash):
//   - A statement is a keyword and its arguments; it ends at the end of the line or at an unquoted
//     '#' (the rest of the line is a comment, even in the middle of a word). A keyword starting
//     with '#' makes the line a comment. The keyword runs to a space, tab or line end (libuci
//     splits it off with strtok(" \t")), so `config\r` is not a keyword.
//   - Keywords: package, config, option, list, and their one-letter forms p, c, o, l.
//   - An argument is a run of adjacent pieces up to unquoted whitespace: unquoted characters,
//     '...' (taken literally, may span lines) and "..." (may span lines). Outside single quotes a
//     backslash takes the next character literally ("\n" is 'n', "\'" is a quote); a backslash at
//     the end of a line joins the next line (backslash and line end are dropped).
//   - Whitespace is isspace() in the C locale; a CR is whitespace, so CR LF files read like LF
//     files. Line numbers count LF only, columns count UTF-8 characters, both 1-based.
//
// Where hepd is deliberately stricter than libuci:
//   - An unquoted ';' is an error. libuci means it as a statement separator, but after a plain
//     word its string terminator overwrites the ';' and the rest of the line is silently dropped
//     (`config rule x;option a b` has no option a), while after a quoted word it does separate.
//   - Any argument beyond the statement's last is an error; libuci reads exactly one more and
//     lets an empty one (`option a b ''`) pass.
//   - A NUL byte is an error (libuci's fgets-based reader cuts the line there).
// Checked against libuci built from openwrt/uci: `uci export` of generated and fuzzed files
// matches this reader's result, and both refuse the same files, apart from the cases above.

#include "hepd/uci.hpp"

#include <cstdio>
#include <unordered_map>
#include <utility>

namespace hepd::uci {

const Option* Section::get(std::string_view opt) const {
    for (const auto& o : options)
        if (o.name == opt) return &o;
    return nullptr;
}

std::string Section::ref() const {
    if (!name.empty()) return "uci:" + name;
    return "uci:@" + type + "[" + std::to_string(type_index) + "]";
}

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_alnum_(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// util.c uci_validate_str(): names are [A-Za-z0-9_] (packages also '-'), types any printable
// ASCII except space; none may be empty.
bool valid_name(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_alnum_(c)) return false;
    return true;
}

bool valid_package(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_alnum_(c) && c != '-') return false;
    return true;
}

bool valid_type(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126) return false;
    }
    return true;
}

// 'text' for messages: control bytes escaped, long text cut.
std::string quoted(std::string_view s) {
    constexpr size_t max = 60;
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < max; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > max) out += "...";
    out += '\'';
    return out;
}

struct Word {
    std::string text;
    uint32_t line = 0;
    uint32_t col = 0;
};

// How reading a statement's arguments ended.
enum class ArgsEnd {
    ok,     // at the end of the line (or input)
    error,  // a problem was reported and the rest of the line skipped
    stop,   // an unterminated quote swallowed the rest of the input
};

class Parser {
public:
    Parser(std::string_view text, std::string_view file, Diagnostics& diags)
        : text_(text), file_(file), diags_(diags) {}

    File run();

private:
    // --- characters ---
    bool eof() const { return pos_ >= text_.size(); }
    char cur() const { return text_[pos_]; }
    char peek(size_t n) const { return pos_ + n < text_.size() ? text_[pos_ + n] : '\0'; }
    void advance() {
        char c = text_[pos_++];
        if (c == '\n') {
            ++line_;
            col_ = 1;
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++col_;
        }
    }
    Location here() const { return Location{std::string(file_), line_, col_}; }
    Location loc(uint32_t line, uint32_t col) const { return Location{std::string(file_), line, col}; }
    Location loc(const Word& w) const { return loc(w.line, w.col); }
    void skip_rest_of_line();
    bool take_nul();

    // --- statements ---
    bool read_keyword(Word& kw);
    ArgsEnd read_args(std::vector<Word>& args);
    bool quoted_piece(Word& w, char quote);
    void statement(const Word& kw, std::vector<Word>& args);
    void do_package(const Word& kw, std::vector<Word>& args);
    void do_config(const Word& kw, std::vector<Word>& args);
    void do_option(const Word& kw, std::vector<Word>& args, bool is_list);
    bool check_arity(const Word& kw, const std::vector<Word>& args, size_t max);

    std::string_view text_;
    std::string_view file_;
    Diagnostics& diags_;
    size_t pos_ = 0;
    uint32_t line_ = 1;
    uint32_t col_ = 1;

    File out_;
    // Index of the section that option/list statements go to; -1 none yet, -2 after a broken
    // `config` line (its options are checked but dropped, without a cascade of errors).
    long current_ = -1;
    std::unordered_map<std::string, size_t> named_;              // section name -> index
    std::unordered_map<std::string, uint32_t> type_counts_;      // type -> sections so far
    std::vector<std::unordered_map<std::string, size_t>> opts_;  // per section: option -> index
    bool have_package_ = false;
};

void Parser::skip_rest_of_line() {
    while (!eof() && cur() != '\n') advance();
    if (!eof()) advance();
}

// A NUL byte is never valid in a UCI file (libuci's fgets-based reader silently cuts the line
// there). Reports it and steps over it; true if there was one.
bool Parser::take_nul() {
    if (eof() || cur() != '\0') return false;
    diags_.error(here(), "NUL byte in input");
    advance();
    return true;
}

// Skips blank space (line ends included) and reads the keyword: the run of characters up to a
// space, tab or line end (libuci splits it off with strtok(" \t")). False at the end of input.
bool Parser::read_keyword(Word& kw) {
    for (;;) {
        while (!eof() && is_space(cur())) advance();
        if (!take_nul()) break;
    }
    if (eof()) return false;
    kw.text.clear();
    kw.line = line_;
    kw.col = col_;
    while (!eof() && cur() != ' ' && cur() != '\t' && cur() != '\n') {
        if (!take_nul()) {
            kw.text += cur();
            advance();
        }
    }
    return true;
}

// A '...' or "..." piece starting at the quote. False (after an error at the opening quote) if
// the input ends first.
bool Parser::quoted_piece(Word& w, char quote) {
    uint32_t ql = line_, qc = col_;
    advance();
    while (!eof() && cur() != quote) {
        if (take_nul()) continue;
        if (quote == '"' && cur() == '\\') {
            advance();
            if (eof()) break;
            if (cur() == '\n') {
                advance();  // backslash-newline: the line continues, neither is kept
            } else if (cur() == '\r' && peek(1) == '\n') {
                advance();
                advance();
            } else if (!take_nul()) {
                w.text += cur();  // any other escaped character is taken as is
                advance();
            }
            continue;
        }
        w.text += cur();
        advance();
    }
    if (eof()) {
        diags_.error(loc(ql, qc), quote == '\'' ? "unterminated single-quoted string"
                                                : "unterminated double-quoted string");
        return false;
    }
    advance();
    return true;
}

// Reads the arguments up to the end of the line (or a '#' comment). On return the line end has
// been consumed.
ArgsEnd Parser::read_args(std::vector<Word>& args) {
    args.clear();
    for (;;) {
        while (!eof() && is_space(cur()) && cur() != '\n') advance();
        if (eof()) return ArgsEnd::ok;
        if (cur() == '\n' || cur() == '#') {
            skip_rest_of_line();
            return ArgsEnd::ok;
        }
        Word w;
        w.line = line_;
        w.col = col_;
        for (;;) {
            if (eof() || is_space(cur())) break;
            char c = cur();
            if (c == '\'' || c == '"') {
                if (!quoted_piece(w, c)) return ArgsEnd::stop;
            } else if (c == '#') {
                break;  // a comment right after the word; the outer loop skips it
            } else if (c == ';') {
                // libuci treats ';' as a statement separator, but inconsistently: after a plain
                // word it overwrites the ';' with the word's terminator and silently drops the
                // rest of the line, after a quoted word it separates. hepd refuses it.
                diags_.error(here(), "';' outside quotes is not supported (uci may drop the rest "
                                     "of the line); put each statement on its own line or quote the value");
                skip_rest_of_line();
                return ArgsEnd::error;
            } else if (c == '\\') {
                advance();
                if (eof()) break;
                if (cur() == '\n' || (cur() == '\r' && peek(1) == '\n')) {
                    // Line continuation; the word still ends at whitespace on the next line.
                    if (cur() == '\r') advance();
                    advance();
                } else if (!take_nul()) {
                    w.text += cur();
                    advance();
                }
            } else if (!take_nul()) {
                w.text += c;
                advance();
            }
        }
        args.push_back(std::move(w));
    }
}

bool Parser::check_arity(const Word& kw, const std::vector<Word>& args, size_t max) {
    if (args.size() <= max) return true;
    const Word& extra = args[max];
    diags_.error(loc(extra), "too many arguments for '" + kw.text + "': unexpected " +
                                 quoted(extra.text) + " (quote values that contain spaces)");
    return false;
}

void Parser::do_package(const Word& kw, std::vector<Word>& args) {
    if (args.empty() || args[0].text.empty()) {
        diags_.error(loc(kw), "'package' needs a name");
        return;
    }
    if (!valid_package(args[0].text)) {
        diags_.error(loc(args[0]), "invalid package name " + quoted(args[0].text) +
                                       " (letters, digits, '_' and '-' only)");
        return;
    }
    if (!check_arity(kw, args, 1)) return;
    // Like `uci` loading one file: the first name is kept, later ones are checked and ignored.
    if (!have_package_) out_.package = args[0].text;
    have_package_ = true;
}

void Parser::do_config(const Word& kw, std::vector<Word>& args) {
    current_ = -2;  // until this line proves valid
    if (args.empty() || args[0].text.empty()) {
        diags_.error(loc(kw), "'config' needs a section type");
        return;
    }
    const Word& type = args[0];
    if (!valid_type(type.text)) {
        diags_.error(loc(type), "invalid section type " + quoted(type.text) +
                                    " (printable ASCII without spaces)");
        return;
    }
    std::string name = args.size() > 1 ? args[1].text : std::string();
    if (!name.empty() && !valid_name(name)) {
        diags_.error(loc(args[1]),
                     "invalid section name " + quoted(name) + " (letters, digits and '_' only)");
        return;
    }
    if (!check_arity(kw, args, 2)) return;
    if (!name.empty()) {
        auto it = named_.find(name);
        if (it != named_.end()) {
            const Section& prev = out_.sections[it->second];
            if (prev.type != type.text) {
                diags_.error(loc(type), "section " + quoted(name) + " was declared with type " +
                                            quoted(prev.type) + " on line " +
                                            std::to_string(prev.line) +
                                            "; uci refuses to redeclare it with type " +
                                            quoted(type.text));
                return;
            }
            diags_.warning(loc(kw), "section " + quoted(name) + " was already declared on line " +
                                        std::to_string(prev.line) +
                                        "; as in uci, its options are merged into that section");
            current_ = static_cast<long>(it->second);
            return;
        }
    }
    Section s;
    s.type = type.text;
    s.name = name;
    s.line = kw.line;
    s.col = kw.col;
    s.type_index = type_counts_[s.type]++;
    if (!name.empty()) named_.emplace(name, out_.sections.size());
    current_ = static_cast<long>(out_.sections.size());
    out_.sections.push_back(std::move(s));
    opts_.emplace_back();
}

void Parser::do_option(const Word& kw, std::vector<Word>& args, bool is_list) {
    const std::string what = is_list ? "list" : "option";
    if (current_ == -1) {
        diags_.error(loc(kw), "'" + what + "' before the first 'config' section");
        return;
    }
    if (args.empty() || args[0].text.empty()) {
        diags_.error(loc(kw), "'" + what + "' needs a name");
        return;
    }
    const Word& name = args[0];
    if (!valid_name(name.text)) {
        diags_.error(loc(name),
                     "invalid option name " + quoted(name.text) + " (letters, digits and '_' only)");
        return;
    }
    if (!check_arity(kw, args, 2)) return;
    if (current_ < 0) return;  // inside a broken section: checked, dropped

    // An absent value is the empty string (file.c next_arg with required=false).
    std::string value = args.size() > 1 ? args[1].text : std::string();
    ValuePos vpos = args.size() > 1 ? ValuePos{args[1].line, args[1].col} : ValuePos{kw.line, kw.col};

    Section& sec = out_.sections[static_cast<size_t>(current_)];
    auto& index = opts_[static_cast<size_t>(current_)];
    auto it = index.find(name.text);
    Option* existing = it == index.end() ? nullptr : &sec.options[it->second];

    if (!is_list) {
        if (value.empty()) {
            // list.c uci_set(): while a file is parsed, an empty value neither creates the
            // option nor deletes an earlier one.
            diags_.warning(loc(kw), "option " + quoted(name.text) +
                                        " has an empty value; as in uci, the line is ignored");
            return;
        }
        if (existing) {
            diags_.warning(loc(kw), "option " + quoted(name.text) + " replaces the " +
                                        (existing->is_list ? "list" : "value") + " set on line " +
                                        std::to_string(existing->line) +
                                        "; as in uci, the last one wins");
            existing->values.assign(1, value);
            existing->value_pos.assign(1, vpos);
            existing->is_list = false;
            return;
        }
    } else if (existing) {
        // list.c uci_add_list(): appends; a plain option becomes the list's first item.
        existing->values.push_back(value);
        existing->value_pos.push_back(vpos);
        existing->is_list = true;
        return;
    }
    Option o;
    o.name = name.text;
    o.values.push_back(value);
    o.value_pos.push_back(vpos);
    o.is_list = is_list;
    o.line = kw.line;
    o.col = kw.col;
    index.emplace(o.name, sec.options.size());
    sec.options.push_back(std::move(o));
}

void Parser::statement(const Word& kw, std::vector<Word>& args) {
    const std::string& k = kw.text;
    if (k == "package" || k == "p")
        do_package(kw, args);
    else if (k == "config" || k == "c")
        do_config(kw, args);
    else if (k == "option" || k == "o")
        do_option(kw, args, false);
    else
        do_option(kw, args, true);
}

File Parser::run() {
    Word kw;
    std::vector<Word> args;
    while (read_keyword(kw)) {
        if (kw.text[0] == '#') {
            skip_rest_of_line();
            continue;
        }
        const std::string& k = kw.text;
        bool known = k == "package" || k == "p" || k == "config" || k == "c" || k == "option" ||
                     k == "o" || k == "list" || k == "l";
        if (!known) {
            diags_.error(loc(kw), "unknown keyword " + quoted(k) +
                                      " (expected package, config, option or list)");
            skip_rest_of_line();
            continue;
        }
        ArgsEnd end = read_args(args);
        if (end == ArgsEnd::stop) break;
        if (end == ArgsEnd::error) {
            if (k == "config" || k == "c") current_ = -2;
            continue;
        }
        statement(kw, args);
    }
    return std::move(out_);
}

}  // namespace

File parse_uci(std::string_view text, std::string_view file, Diagnostics& diags) {
    Parser p(text, file, diags);
    return p.run();
}

}  // namespace hepd::uci
