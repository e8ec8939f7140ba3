// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <string>

#include "hepd/ini.hpp"

namespace hepd::ini {
namespace {

// `[section]@line` for headers, then `section.key=<value>@line` per entry, one per line;
// a newline inside a value is shown as \n.
std::string render(const File& f) {
    std::string out;
    for (const auto& [name, line] : f.sections) out += "[" + name + "]@" + std::to_string(line) + "\n";
    for (const auto& e : f.entries) {
        std::string v;
        for (char c : e.value) v += c == '\n' ? std::string("\\n") : std::string(1, c);
        out += e.section + "." + e.key + "=<" + v + ">@" + std::to_string(e.line) + "\n";
    }
    return out;
}

struct Case {
    std::string in;
    std::string want;
    std::string diags;
};

void run(const Case& c) {
    Diagnostics d;
    File f = parse_ini(c.in, "hepd.conf", d);
    EXPECT_EQ(render(f), c.want) << c.in.substr(0, 300);
    EXPECT_EQ(d.format(), c.diags) << c.in.substr(0, 300);
}

TEST(Ini, HepdConf) {
    run({"; hepd.conf\n"
         "[hepd]\n"
         "node = r1                  ; the hostname by default\n"
         "resource_dir = /etc/hepd/resources.d\n"
         "ipv6 = true                # both comment styles\n"
         "log_level=debug\n"
         "\n"
         "[global]\n"
         "# Felix parameters\n"
         "FailsafeInboundHostPorts = tcp:22, udp:68, tcp:179\n"
         "DefaultEndpointToHostAction = Drop\n"
         "LogPrefix =\n",
         "[hepd]@2\n[global]@8\n"
         "hepd.node=<r1>@3\n"
         "hepd.resource_dir=</etc/hepd/resources.d>@4\n"
         "hepd.ipv6=<true>@5\n"
         "hepd.log_level=<debug>@6\n"
         "global.FailsafeInboundHostPorts=<tcp:22, udp:68, tcp:179>@10\n"
         "global.DefaultEndpointToHostAction=<Drop>@11\n"
         "global.LogPrefix=<>@12\n",
         ""});
}

TEST(Ini, Syntax) {
    Case cases[] = {
        {"", "", ""},
        {"; only\n# comments\n\n   \n", "", ""},
        {"\xEF\xBB\xBF", "", ""},
        // A comment starts after whitespace only; elsewhere ';' and '#' are text.
        {"[s]\na = x;y\nb = x#y\nc = x ;y\nd = x #y\ne = ;all comment\nf = #too\n",
         "[s]@1\ns.a=<x;y>@2\ns.b=<x#y>@3\ns.c=<x>@4\ns.d=<x>@5\ns.e=<>@6\ns.f=<>@7\n", ""},
        // Whitespace around keys and values goes; inside it stays; case is kept.
        {"[S]\n  Key Name\t=  a  b  \n", "[S]@1\nS.Key Name=<a  b>@2\n", ""},
        // inih also takes `key: value`; the first '=' or ':' splits.
        {"[s]\na: b\nc = d:e\nf: g = h\n", "[s]@1\ns.a=<b>@2\ns.c=<d:e>@3\ns.f=<g = h>@4\n", ""},
        // Keys before any section have section "".
        {"top = 1\n[s]\nk = 2\n", "[s]@2\n.top=<1>@1\ns.k=<2>@3\n", ""},
        // Duplicate keys and repeated sections are all kept, in order.
        {"[a]\nk = 1\n[b]\nk = 2\n[a]\nk = 3\nk = 4\n",
         "[a]@1\n[b]@3\n[a]@5\na.k=<1>@2\nb.k=<2>@4\na.k=<3>@6\na.k=<4>@7\n", ""},
        // Section names as written (inih keeps inner spaces); text after ']' is ignored.
        {"[ spaced ]\nk = v\n[x] trailing\n", "[ spaced ]@1\n[x]@3\n spaced .k=<v>@2\n", ""},
        {"[s] ; comment\n[t] # comment\n", "[s]@1\n[t]@2\n", ""},
        // CR LF line ends and a BOM change nothing.
        {"\xEF\xBB\xBF[hepd]\r\nnode = r1 ; c\r\n\r\nipv6 = false\r\n",
         "[hepd]@1\nhepd.node=<r1>@2\nhepd.ipv6=<false>@4\n", ""},
        // No final newline.
        {"[s]\nk = v", "[s]@1\ns.k=<v>@2\n", ""},
        // An indented line right after a key continues its value (inih's multi-line entries);
        // comment and blank lines in between do not end it, a section header does.
        {"[global]\nFailsafeInboundHostPorts = tcp:22,\n    udp:68, ; why\n\n  ; note\n"
         "    tcp:179 # last\nnext = 1\n",
         "[global]@1\nglobal.FailsafeInboundHostPorts=<tcp:22,\\nudp:68,\\ntcp:179>@2\n"
         "global.next=<1>@7\n",
         ""},
        {"[s]\n  k = v\n  more\n[t]\n  j = w\n",
         "[s]@1\n[t]@4\ns.k=<v\\nmore>@2\nt.j=<w>@5\n", ""},
        // A list laid out configparser-style: no leading newline.
        {"[global]\nFailsafeOutboundHostPorts =\n    udp:53,\n    udp:67\n",
         "[global]@1\nglobal.FailsafeOutboundHostPorts=<udp:53,\\nudp:67>@2\n", ""},
    };
    for (const auto& c : cases) run(c);
}

TEST(Ini, Errors) {
    Case cases[] = {
        // Every bad line is reported, not only inih's first.
        {"[hepd]\nnode r1\nipv6 = true\n[global\nlog_level\n= orphan\nok = 1\n",
         "[hepd]@1\nhepd.ipv6=<true>@3\nhepd.ok=<1>@7\n",
         "hepd.conf:2: error: expected 'key = value', '[section]' or a comment\n"
         "hepd.conf:4: error: section header without a closing ']'\n"
         "hepd.conf:5: error: expected 'key = value', '[section]' or a comment\n"
         "hepd.conf:6: error: missing key before '='\n"},
        // A comment before the ']' hides it, as in inih.
        {"[a ;b]\n", "", "hepd.conf:1: error: section header without a closing ']'\n"},
        {"[a #b]\n", "", "hepd.conf:1: error: section header without a closing ']'\n"},
        {"key ; = v\n", "", "hepd.conf:1: error: expected 'key = value', '[section]' or a comment\n"},
        {"[]\nk = v\n", "[]@1\n.k=<v>@2\n", "hepd.conf:1: error: empty section name '[]'\n"},
        // Section names longer than inih's 49-byte buffer would be cut.
        {"[" + std::string(49, 's') + "]\n", "[sssssssssssssssssssssssssssssssssssssssssssssssss]@1\n", ""},
        {"[" + std::string(50, 's') + "]\n", "[ssssssssssssssssssssssssssssssssssssssssssssssssss]@1\n",
         "hepd.conf:1: error: section name is longer than 49 bytes\n"},
        // NUL bytes.
        {std::string("[s]\nk = a\0b\nj = 1\n", 17), "[s]@1\ns.j=<1>@3\n",
         "hepd.conf:2: error: line 2 contains a NUL byte\n"},
        // Binary garbage.
        {"\x89PNG\r\n\x1A\n", "",
         "hepd.conf:1: error: expected 'key = value', '[section]' or a comment\n"
         "hepd.conf:2: error: expected 'key = value', '[section]' or a comment\n"},
    };
    for (const auto& c : cases) run(c);
}

TEST(Ini, LongLines) {
    // inih's line buffer is 200 bytes (197 and CR, LF, NUL); longer lines up to max_line_bytes
    // reach it as a stand-in and keep their whole value, whatever the line end.
    const std::string v195(195, 'x'), v196(196, 'x'), v4094(4094, 'x'), v4095(4095, 'x');
    for (const std::string* v : {&v195, &v196, &v4094}) {
        for (const std::string& in : {"k=" + *v + "\n", "k=" + *v + "\r\n", "k=" + *v, "\xEF\xBB\xBFk=" + *v + "\n",
                                      "k = " + *v + "  ; comment\n", "k : " + v->substr(2) + "  # comment\n"}) {
            if (in.size() > max_line_bytes + 2) continue;  // the comment would make it too long
            Diagnostics d;
            File f = parse_ini(in, "hepd.conf", d);
            EXPECT_TRUE(d.empty()) << d.format();
            ASSERT_EQ(f.entries.size(), 1u);
            EXPECT_EQ(f.entries[0].key, "k");
            EXPECT_EQ(f.entries[0].value, in.find(':') == 2 ? v->substr(2) : *v);
        }
    }
    Case cases[] = {
        {"k=" + v4095 + "\n", "", "hepd.conf:1: error: line 1 is too long (4097 bytes; the limit is 4096)\n"},
        {"k=" + v4095 + "\r\n", "", "hepd.conf:1: error: line 1 is too long (4097 bytes; the limit is 4096)\n"},
        {"k=" + v4095, "", "hepd.conf:1: error: line 1 is too long (4097 bytes; the limit is 4096)\n"},
        // A 1 MB value: one error, nothing split off it, the next lines read normally.
        {"[hepd]\nnode = " + std::string(1 << 20, 'n') + "\nipv6 = true\n[global]\nx = 1\n",
         "[hepd]@1\n[global]@4\nhepd.ipv6=<true>@3\nglobal.x=<1>@5\n",
         "hepd.conf:2: error: line 2 is too long (1048583 bytes; the limit is 4096)\n"},
        // Long comments are comments; a very long one is still a long line.
        {"; " + std::string(300, 'c') + "\nk=1\n", ".k=<1>@2\n", ""},
        {"; " + std::string(5000, 'c') + "\n", "", "hepd.conf:1: error: line 1 is too long (5002 bytes; the limit is 4096)\n"},
        // A long continuation line is part of the multi-line value, a too long one is not.
        {"[s]\nk = a\n  " + std::string(300, 'c') + "\n  b\n", "[s]@1\ns.k=<a\\n" + std::string(300, 'c') + "\\nb>@2\n", ""},
        {"[s]\nk = a\n  " + std::string(5000, 'c') + "\n  b\n", "[s]@1\ns.k=<a\\nb>@2\n",
         "hepd.conf:3: error: line 3 is too long (5002 bytes; the limit is 4096)\n"},
        // Long lines that are not key = value, and a long key.
        {"[s]\n" + std::string(300, 'y') + "\n", "[s]@1\n",
         "hepd.conf:2: error: expected 'key = value', '[section]' or a comment\n"},
        {"[s]\n" + std::string(300, 'y') + "=1\n", "[s]@1\n", "hepd.conf:2: error: line 2: the key is longer than 195 bytes\n"},
        // A key that fits inih's buffer may have a long value (and reads back the same).
        {"[s]\n" + std::string(195, 'y') + "=" + std::string(300, 'v') + "\n",
         "[s]@1\ns." + std::string(195, 'y') + "=<" + std::string(300, 'v') + ">@2\n", ""},
        {"[" + std::string(300, 's') + "]\n", "", "hepd.conf:1: error: section name is longer than 49 bytes\n"},
    };
    for (const auto& c : cases) run(c);
}

TEST(Ini, ManyErrorsAreAllCollected) {
    std::string in = "[s]\n";
    for (int i = 0; i < 20; ++i) in += "bad line\n" + std::string(250, 'x') + "\n";
    Diagnostics d;
    parse_ini(in, "hepd.conf", d);
    EXPECT_EQ(d.error_count(), 40u);
    EXPECT_EQ(d.items().back().where.line, 41u);
}

}  // namespace
}  // namespace hepd::ini
