// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <string>

#include "hepd/uci.hpp"

namespace hepd::uci {
namespace {

// One line per section: `REF TYPE: name='v' list=['a','b']`; control bytes as \xNN.
std::string render(const File& f) {
    auto q = [](const std::string& s) {
        std::string out = "'";
        for (char c : s) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02X", u);
                out += buf;
            } else {
                out += c;
            }
        }
        return out + "'";
    };
    std::string out;
    if (!f.package.empty()) out += "package " + f.package + "\n";
    for (const auto& s : f.sections) {
        out += s.ref() + " " + s.type + ":";
        for (const auto& o : s.options) {
            out += " " + o.name + "=";
            if (o.is_list) {
                out += "[";
                for (size_t i = 0; i < o.values.size(); ++i) out += (i ? "," : "") + q(o.values[i]);
                out += "]";
            } else {
                out += q(o.values.at(0));
            }
        }
        out += "\n";
    }
    return out;
}

struct Case {
    std::string in;
    const char* want;   // render()
    const char* diags;  // every diagnostic, formatted
};

void run(const Case& c) {
    Diagnostics d;
    File f = parse_uci(c.in, "hepd", d);
    EXPECT_EQ(render(f), c.want) << c.in;
    EXPECT_EQ(d.format(), c.diags) << c.in;
}

TEST(Uci, WhatUciCommitWrites) {
    // The shape of /etc/config files: `uci commit` writes no package line, a blank line before
    // each section, tab-indented options, values in single quotes, ' as '\''.
    run({"\n"
         "config hepd 'main'\n"
         "\toption enabled '1'\n"
         "\toption mode 'enforce'\n"
         "\tlist failsafe_in 'tcp:22'\n"
         "\tlist failsafe_in 'udp:68'\n"
         "\n"
         "config host_endpoint 'wan'\n"
         "\toption network 'wan'\n"
         "\tlist label 'role=wan'\n"
         "\n"
         "config policy\n"
         "\toption name 'allow-ssh'\n"
         "\toption selector 'role == '\\''wan'\\'''\n"
         "\n"
         "config rule\n"
         "\toption policy 'allow-ssh'\n"
         "\toption action 'allow'\n"
         "\tlist dst_port '22'\n"
         "\n"
         "config rule\n"
         "\toption policy 'allow-ssh'\n"
         "\n",
         "uci:main hepd: enabled='1' mode='enforce' failsafe_in=['tcp:22','udp:68']\n"
         "uci:wan host_endpoint: network='wan' label=['role=wan']\n"
         "uci:@policy[0] policy: name='allow-ssh' selector='role == 'wan''\n"
         "uci:@rule[0] rule: policy='allow-ssh' action='allow' dst_port=['22']\n"
         "uci:@rule[1] rule: policy='allow-ssh'\n",
         ""});
}

TEST(Uci, HandEdits) {
    Case cases[] = {
        // Package line, spaces instead of tabs, unquoted and double-quoted words, comments.
        {"package hepd\n"
         "# whole-line comment\n"
         "   # indented comment\n"
         "config hepd main   # trailing comment\n"
         "  option enabled 1\n"
         "  option mode \"audit\"#comment right after the word\n"
         "  list failsafe_in tcp:22 # why\n",
         "package hepd\nuci:main hepd: enabled='1' mode='audit' failsafe_in=['tcp:22']\n", ""},
        // '#' starts a comment anywhere outside quotes, even inside a word; not inside quotes.
        {"config rule\n option a b#c\n option d 'e#f'\n option g \"h # i\"\n",
         "uci:@rule[0] rule: a='b' d='e#f' g='h # i'\n", ""},
        // CR LF line ends, tabs and spaces mixed.
        {"config rule 'r1'\r\n\t option  a\t'b'\r\n\r\n", "uci:r1 rule: a='b'\n", ""},
        // No final newline.
        {"config rule\n\toption a 'b'", "uci:@rule[0] rule: a='b'\n", ""},
        // Adjacent pieces join; quotes are removed.
        {"config rule\n option a 'it'\\''s'\n option b a\"b\"'c'd\n option c 'x y'\"z\"\n",
         "uci:@rule[0] rule: a='it's' b='abcd' c='x yz'\n", ""},
        // Backslash: outside single quotes it takes the next character as is (no \n decoding).
        {"config rule\n option a \"q\\\"q\"\n option b \"back\\\\slash\"\n option c \"\\n\\$\"\n"
         " option d 'no\\escape'\n option e foo\\ bar\n option f \\'x\n",
         "uci:@rule[0] rule: a='q\"q' b='back\\slash' c='n$' d='no\\escape' e='foo bar' "
         "f=''x'\n",
         ""},
        // Quoted values may span lines and keep the line break.
        {"config rule\n option a 'one\ntwo'\n option b \"x\n y\"\n option c z\n",
         "uci:@rule[0] rule: a='one\\x0Atwo' b='x\\x0A y' c='z'\n", ""},
        // A backslash at the end of a line joins the next line, in a word or in double quotes;
        // an unquoted word still ends at whitespace there.
        {"config rule\n option a foo\\\nbar\n option b \"x\\\ny\"\n option c 'p\\\nq'\n",
         "uci:@rule[0] rule: a='foobar' b='xy' c='p\\\\x0Aq'\n", ""},
        // One-letter keywords.
        {"p hepd\nc rule\n o a 1\n l b 2\nc rule n\n",
         "package hepd\nuci:@rule[0] rule: a='1' b=['2']\nuci:n rule:\n", ""},
        // Types may hold any printable ASCII; names are [A-Za-z0-9_].
        {"config 'ru-le.x' 'n_1'\nconfig rule ''\n", "uci:n_1 ru-le.x:\nuci:@rule[0] rule:\n", ""},
        // UTF-8 in values.
        {"config rule\n option comment 'caf\xC3\xA9'\n", "uci:@rule[0] rule: comment='caf\xC3\xA9'\n", ""},
        // Empty input, comments only.
        {"", "", ""},
        {"# nothing\n\n  \n", "", ""},
    };
    for (const auto& c : cases) run(c);
}

TEST(Uci, TypeIndexCountsAllSectionsOfTheType) {
    // libuci's @type[N] counts named sections too.
    Diagnostics d;
    File f = parse_uci("config rule\nconfig policy p1\nconfig rule named\nconfig rule\nconfig policy\n",
                       "hepd", d);
    ASSERT_EQ(f.sections.size(), 5u);
    struct Want {
        uint32_t index;
        const char* ref;
    } want[] = {{0, "uci:@rule[0]"}, {0, "uci:p1"}, {1, "uci:named"}, {2, "uci:@rule[2]"},
                {1, "uci:@policy[1]"}};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(f.sections[i].type_index, want[i].index) << i;
        EXPECT_EQ(f.sections[i].ref(), want[i].ref) << i;
    }
    EXPECT_TRUE(d.empty());
}

TEST(Uci, RepeatedOptionsFollowLibuci) {
    Case cases[] = {
        // option after option: the last value wins, at the first one's place.
        {"config rule\n option a x\n option b y\n option a z\n", "uci:@rule[0] rule: a='z' b='y'\n",
         "hepd:4:2: warning: option 'a' replaces the value set on line 2; as in uci, the last one "
         "wins\n"},
        // option after list: the list is replaced.
        {"config rule\n list a x\n list a y\n option a z\n", "uci:@rule[0] rule: a='z'\n",
         "hepd:4:2: warning: option 'a' replaces the list set on line 2; as in uci, the last one "
         "wins\n"},
        // list after option: a list, the option's value first.
        {"config rule\n option a x\n list a y\n", "uci:@rule[0] rule: a=['x','y']\n", ""},
        // list after list: appended, duplicates kept.
        {"config rule\n list a x\n list a y\n list a x\n", "uci:@rule[0] rule: a=['x','y','x']\n", ""},
        // The whole dance: option, list, option, list.
        {"config rule\n option a x\n list a y\n option a z\n list a w\n",
         "uci:@rule[0] rule: a=['z','w']\n",
         "hepd:4:2: warning: option 'a' replaces the list set on line 2; as in uci, the last one "
         "wins\n"},
        // An empty option is ignored: not created, an earlier one kept.
        {"config rule\n option a ''\n option b x\n option b\n option c \"\"\n",
         "uci:@rule[0] rule: b='x'\n",
         "hepd:2:2: warning: option 'a' has an empty value; as in uci, the line is ignored\n"
         "hepd:4:2: warning: option 'b' has an empty value; as in uci, the line is ignored\n"
         "hepd:5:2: warning: option 'c' has an empty value; as in uci, the line is ignored\n"},
        // An empty list item is kept, with or without quotes.
        {"config rule\n list a ''\n list a\n", "uci:@rule[0] rule: a=['','']\n", ""},
        // A named section declared twice: one section, options merged.
        {"config rule r\n option a 1\nconfig rule s\nconfig rule r\n option b 2\n option a 3\n",
         "uci:r rule: a='3' b='2'\nuci:s rule:\n",
         "hepd:4:1: warning: section 'r' was already declared on line 1; as in uci, its options "
         "are merged into that section\n"
         "hepd:6:2: warning: option 'a' replaces the value set on line 2; as in uci, the last one "
         "wins\n"},
        // Later package lines are checked and ignored.
        {"package a\npackage b\nconfig rule\n", "package a\nuci:@rule[0] rule:\n", ""},
    };
    for (const auto& c : cases) run(c);
}

TEST(Uci, Positions) {
    Diagnostics d;
    File f = parse_uci("\n"
                       "config hepd 'main'\n"
                       "\toption enabled '1'\n"
                       "  list  failsafe_in tcp:22\n"
                       "\tlist failsafe_in \"udp:68\"\n"
                       "\toption caf\xC3\xA9 x\n"  // an error; columns count characters
                       "\toption m 'a\nb' \n"
                       "\toption n v\n"
                       "\toption e\n"
                       "\tlist l\n",
                       "hepd", d);
    ASSERT_EQ(f.sections.size(), 1u);
    const Section& s = f.sections[0];
    EXPECT_EQ(s.line, 2u);
    EXPECT_EQ(s.col, 1u);
    const Option* en = s.get("enabled");
    ASSERT_NE(en, nullptr);
    EXPECT_EQ(en->line, 3u);
    EXPECT_EQ(en->col, 2u);
    ASSERT_EQ(en->value_pos.size(), 1u);
    EXPECT_EQ(en->value_pos[0].line, 3u);
    EXPECT_EQ(en->value_pos[0].col, 17u);
    const Option* fi = s.get("failsafe_in");
    ASSERT_NE(fi, nullptr);
    EXPECT_EQ(fi->line, 4u);
    EXPECT_EQ(fi->col, 3u);
    ASSERT_EQ(fi->value_pos.size(), 2u);
    EXPECT_EQ(fi->value_pos[0].line, 4u);
    EXPECT_EQ(fi->value_pos[0].col, 21u);
    EXPECT_EQ(fi->value_pos[1].line, 5u);
    EXPECT_EQ(fi->value_pos[1].col, 19u);
    // After a value that spans lines, positions continue on the right line.
    const Option* n = s.get("n");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->line, 9u);
    EXPECT_EQ(n->value_pos[0].col, 11u);
    // A list item without a value is placed at its keyword.
    const Option* l = s.get("l");
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->value_pos[0].line, 11u);
    EXPECT_EQ(l->value_pos[0].col, 2u);
    EXPECT_EQ(s.get("caf\xC3\xA9"), nullptr);
    EXPECT_EQ(d.format(),
              "hepd:6:9: error: invalid option name 'caf\xC3\xA9' (letters, digits and '_' only)\n"
              "hepd:10:2: warning: option 'e' has an empty value; as in uci, the line is ignored\n");
}

TEST(Uci, Errors) {
    Case cases[] = {
        // Unterminated quotes: at the opening quote; the quote ate the rest, so parsing stops.
        {"config rule\n option a 'b\n option c d\n", "uci:@rule[0] rule:\n",
         "hepd:2:11: error: unterminated single-quoted string\n"},
        {"config rule\n option x y\n option a \"b\\\"\n", "uci:@rule[0] rule: x='y'\n",
         "hepd:3:11: error: unterminated double-quoted string\n"},
        {"config rule\n option a 'it\\'s'\n", "uci:@rule[0] rule:\n",
         "hepd:2:17: error: unterminated single-quoted string\n"},
        {"config 'rule\n", "", "hepd:1:8: error: unterminated single-quoted string\n"},
        // Statements outside a section.
        {"option a b\nlist c d\nconfig rule\n option e f\n", "uci:@rule[0] rule: e='f'\n",
         "hepd:1:1: error: 'option' before the first 'config' section\n"
         "hepd:2:1: error: 'list' before the first 'config' section\n"},
        // Unknown keywords, including near misses and keywords glued to something.
        {"config rule\n options a b\n set x\n config#x\n Option a b\n option a c\n",
         "uci:@rule[0] rule: a='c'\n",
         "hepd:2:2: error: unknown keyword 'options' (expected package, config, option or list)\n"
         "hepd:3:2: error: unknown keyword 'set' (expected package, config, option or list)\n"
         "hepd:4:2: error: unknown keyword 'config#x' (expected package, config, option or list)\n"
         "hepd:5:2: error: unknown keyword 'Option' (expected package, config, option or list)\n"},
        // Names: sections and options [A-Za-z0-9_], packages also '-', types printable ASCII.
        {"config rule 'a-b'\n option x y\nconfig rule ok\n option 'c.d' 1\n option \"\" 2\n",
         "uci:ok rule:\n",
         "hepd:1:13: error: invalid section name 'a-b' (letters, digits and '_' only)\n"
         "hepd:4:9: error: invalid option name 'c.d' (letters, digits and '_' only)\n"
         "hepd:5:2: error: 'option' needs a name\n"},
        {"config 'a b'\nconfig \"t\\\"\"\n", "uci:@t\"[0] t\":\n",
         "hepd:1:8: error: invalid section type 'a b' (printable ASCII without spaces)\n"},
        {"package 'a.b'\npackage\nconfig rule\n", "uci:@rule[0] rule:\n",
         "hepd:1:9: error: invalid package name 'a.b' (letters, digits, '_' and '-' only)\n"
         "hepd:2:1: error: 'package' needs a name\n"},
        // Missing and extra arguments.
        {"config\nconfig ''\nconfig rule a b\nconfig rule\n option\n option a b c\n list l 'x' 'y'\n",
         "uci:@rule[0] rule:\n",
         "hepd:1:1: error: 'config' needs a section type\n"
         "hepd:2:1: error: 'config' needs a section type\n"
         "hepd:3:15: error: too many arguments for 'config': unexpected 'b' (quote values that "
         "contain spaces)\n"
         "hepd:5:2: error: 'option' needs a name\n"
         "hepd:6:13: error: too many arguments for 'option': unexpected 'c' (quote values that "
         "contain spaces)\n"
         "hepd:7:13: error: too many arguments for 'list': unexpected 'y' (quote values that "
         "contain spaces)\n"},
        // ';' outside quotes is refused; inside quotes it is text.
        {"config rule\n option a b; option c d\n option e 'f;g'\n", "uci:@rule[0] rule: e='f;g'\n",
         "hepd:2:12: error: ';' outside quotes is not supported (uci may drop the rest of the "
         "line); put each statement on its own line or quote the value\n"},
        // A section redeclared with another type.
        {"config rule r\nconfig policy r\n option a b\n", "uci:r rule:\n",
         "hepd:2:8: error: section 'r' was declared with type 'rule' on line 1; uci refuses to "
         "redeclare it with type 'policy'\n"},
        // NUL bytes.
        {std::string("config rule\n option a b\0c\n", 25), "uci:@rule[0] rule: a='bc'\n",
         "hepd:2:12: error: NUL byte in input\n"},
        // Options of a broken section are checked but dropped, without a cascade of errors.
        {"config rule bad-name\n option a b\n option c.d e\nconfig rule\n option f g\n",
         "uci:@rule[0] rule: f='g'\n",
         "hepd:1:13: error: invalid section name 'bad-name' (letters, digits and '_' only)\n"
         "hepd:3:9: error: invalid option name 'c.d' (letters, digits and '_' only)\n"},
        // Binary garbage: errors, no crash.
        {"\x89PNG\r\n\x1A\n", "",
         "hepd:1:1: error: unknown keyword '\x89PNG\\x0D' (expected package, config, option or "
         "list)\n"
         "hepd:2:1: error: unknown keyword '\\x1A' (expected package, config, option or list)\n"},
    };
    for (const auto& c : cases) run(c);
}

TEST(Uci, EveryLineIsReported) {
    std::string in = "config rule\n";
    for (int i = 0; i < 50; ++i) in += " bogus\n";
    Diagnostics d;
    parse_uci(in, "hepd", d);
    EXPECT_EQ(d.error_count(), 50u);
    EXPECT_EQ(d.items().back().where.line, 51u);
}

TEST(Uci, Get) {
    Diagnostics d;
    File f = parse_uci("config rule\n option a 1\n list b x\n", "hepd", d);
    ASSERT_EQ(f.sections.size(), 1u);
    ASSERT_NE(f.sections[0].get("a"), nullptr);
    EXPECT_FALSE(f.sections[0].get("a")->is_list);
    EXPECT_TRUE(f.sections[0].get("b")->is_list);
    EXPECT_EQ(f.sections[0].get("c"), nullptr);
}

}  // namespace
}  // namespace hepd::uci
