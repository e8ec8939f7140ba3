// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "hepd/yaml.hpp"

namespace hepd::yaml {
namespace {

// A compact, exact rendering of a tree:
//   scalar   a  'a'  "a"  |a  >a      (plain, single, double, literal, folded; control bytes \xNN)
//   null     ~
//   tag      !!str 80                 (before the node)
//   sequence [x, y]    mapping {k: v, k2: v2}
//   position @line:col after every node when `pos` is set.
std::string render(const Node& n, bool pos) {
    std::string out;
    if (!n.tag.empty()) out += n.tag + " ";
    switch (n.kind) {
    case NodeKind::null: out += "~"; break;
    case NodeKind::scalar: {
        switch (n.style) {
        case ScalarStyle::plain: break;
        case ScalarStyle::single_quoted: out += '\''; break;
        case ScalarStyle::double_quoted: out += '"'; break;
        case ScalarStyle::literal: out += '|'; break;
        case ScalarStyle::folded: out += '>'; break;
        }
        for (char c : n.value) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02X", u);
                out += buf;
            } else {
                out += c;
            }
        }
        if (n.style == ScalarStyle::single_quoted) out += '\'';
        if (n.style == ScalarStyle::double_quoted) out += '"';
        break;
    }
    case NodeKind::sequence: {
        out += '[';
        for (size_t i = 0; i < n.items.size(); ++i) {
            if (i) out += ", ";
            out += render(n.items[i], pos);
        }
        out += ']';
        break;
    }
    case NodeKind::mapping: {
        out += '{';
        for (size_t i = 0; i < n.entries.size(); ++i) {
            if (i) out += ", ";
            out += render(n.entries[i].key, pos) + ": " + render(n.entries[i].value, pos);
        }
        out += '}';
        break;
    }
    }
    if (pos) out += "@" + std::to_string(n.line) + ":" + std::to_string(n.col);
    return out;
}

// Every document rendered, separated by " --- ".
std::string render_all(const std::vector<Document>& docs, bool pos) {
    std::string out;
    for (size_t i = 0; i < docs.size(); ++i) {
        if (i) out += " --- ";
        out += render(docs[i].root, pos);
    }
    return out;
}

TEST(Yaml, Structure) {
    struct Case {
        std::string in;
        const char* want;  // documents, " --- " between them
    } cases[] = {
        {"", ""},
        {"# only a comment\n# and another\n", ""},
        {"\n\n   \n", ""},
        {"---\n", "~"},
        {"---\n...\n", "~"},
        {"a: 1\n", "{a: 1}"},
        {"a: 1\n---\nb: 2\n", "{a: 1} --- {b: 2}"},
        {"---\na: 1\n...\n---\n- x\n...\n", "{a: 1} --- [x]"},
        {"--- x\n--- y\n", "x --- y"},
        // Nulls: empty, ~, null/Null/NULL plain, !!null; quoted or tagged text is not null.
        {"a:\nb: ~\nc: null\nd: Null\ne: NULL\n", "{a: ~, b: ~, c: ~, d: ~, e: ~}"},
        {"a: 'null'\nb: \"\"\nc: !!str null\nd: nul\ne: nULL\nf: !!null\n",
         "{a: 'null', b: \"\", c: !!str null, d: nul, e: nULL, f: !!null ~}"},
        {"[~, null, {a: }]\n", "[~, ~, {a: ~}]"},
        {"~: x\n", "{~: x}"},
        // Styles and unescaping.
        {"a: plain\nb: 'it''s'\nc: \"tab\\there\"\n", "{a: plain, b: 'it's', c: \"tab\\x09here\"}"},
        {"a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
         "{a: |line1\\x0Aline2\\x0A, b: >folded text\\x0A}"},
        {"c: \"\\x41\\u00e9\\n\"\n", "{c: \"A\xC3\xA9\\x0A\"}"},
        {"p: 80\nq: \"80\"\n", "{p: 80, q: \"80\"}"},
        // Tags as written; scalars are not resolved.
        {"a: !!str 80\nb: !!int \"80\"\nc: !local x\nd: !!map {k: v}\ne: ! y\n",
         "{a: !!str 80, b: !!int \"80\", c: !local x, d: !!map {k: v}, e: ! y}"},
        {"%TAG !e! tag:example.com,2000:\n---\n!e!foo x\n", "tag:example.com,2000:foo x"},
        {"%YAML 1.1\n---\na: yes\n", "{a: yes}"},
        // Anchors alone are fine.
        {"a: &anchor 1\nb: &m {c: d}\n", "{a: 1, b: {c: d}}"},
        // Flow collections and complex keys.
        {"{a: [1, 2], b: {c: d}, e: []}\n", "{a: [1, 2], b: {c: d}, e: []}"},
        {"? [a, b]\n: v\n", "{[a, b]: v}"},
        // A BOM and CR LF line ends change nothing.
        {"\xEF\xBB\xBF" "a: 1\r\nb:\r\n  - x\r\n", "{a: 1, b: [x]}"},
        // Calico shapes.
        {"apiVersion: projectcalico.org/v3\nkind: List\nitems:\n- kind: HostEndpoint\n"
         "  metadata:\n    name: eth0\n  spec:\n    expectedIPs: [198.18.0.1]\n",
         "{apiVersion: projectcalico.org/v3, kind: List, items: [{kind: HostEndpoint, "
         "metadata: {name: eth0}, spec: {expectedIPs: [198.18.0.1]}}]}"},
    };
    for (const auto& c : cases) {
        Diagnostics d;
        auto docs = parse_yaml(c.in, "t.yaml", d);
        EXPECT_FALSE(d.has_errors()) << c.in << "\n" << d.format();
        EXPECT_EQ(render_all(docs, false), c.want) << c.in;
    }
}

TEST(Yaml, Positions) {
    struct Case {
        std::string in;
        const char* want;
    } cases[] = {
        {"a: 1\n", "{a@1:1: 1@1:4}@1:1"},
        {"spec:\n  ports:\n    - 22\n    -  \"80\"\n",
         "{spec@1:1: {ports@2:3: [22@3:7, \"80\"@4:8]@3:5}@2:3}@1:1"},
        {"[a, {b: c}]\n", "[a@1:2, {b@1:6: c@1:9}@1:5]@1:1"},
        {"a:\nb: x\n", "{a@1:1: ~@1:3, b@2:1: x@2:4}@1:1"},  // empty: right after the colon
        // CR LF counts as one line end; the BOM takes no column.
        {"\xEF\xBB\xBF" "a: 1\r\nb: 2\r\n", "{a@1:1: 1@1:4, b@2:1: 2@2:4}@1:1"},
        // Columns count characters, not bytes.
        {"\xC3\xA9t\xC3\xA9: x\n", "{\xC3\xA9t\xC3\xA9@1:1: x@1:6}@1:1"},
        // A tag or anchor is part of its node.
        {"k: !!str &a v\n", "{k@1:1: !!str v@1:4}@1:1"},
        {"k: |\n  text\n", "{k@1:1: |text\\x0A@1:4}@1:1"},
    };
    for (const auto& c : cases) {
        Diagnostics d;
        auto docs = parse_yaml(c.in, "t.yaml", d);
        EXPECT_FALSE(d.has_errors()) << c.in << "\n" << d.format();
        EXPECT_EQ(render_all(docs, true), c.want) << c.in;
    }
}

TEST(Yaml, DocumentLines) {
    Diagnostics d;
    auto docs = parse_yaml("# head\n\na: 1\n---\nb: 2\n---\n\n\nc: 3\n", "t.yaml", d);
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].line, 3u);  // an implicit document starts at its first node
    EXPECT_EQ(docs[1].line, 4u);  // an explicit one at its ---
    EXPECT_EQ(docs[2].line, 6u);
    EXPECT_TRUE(d.empty());
}

TEST(Yaml, Errors) {
    struct Case {
        std::string in;
        size_t docs;       // documents returned
        const char* want;  // every diagnostic, formatted
    } cases[] = {
        // Aliases: refused, one error per file at the first alias with the count of the others;
        // parsing goes on.
        {"a: &x 1\nb: *x\nc: *x\n", 1,
         "t.yaml:2:4: error: YAML aliases are not supported (*x): hepd does not expand them; write "
         "the value out (1 more aliases in this file)\n"},
        {"- &a [1]\n- *a\n", 1,
         "t.yaml:2:3: error: YAML aliases are not supported (*a): hepd does not expand them; write "
         "the value out\n"},
        // Duplicate keys: at the second key, in any mapping, whatever the quoting.
        {"a: 1\nb: 2\na: 3\n", 1,
         "t.yaml:3:1: error: duplicate key 'a' in mapping (first at line 1, column 1)\n"},
        {"{a: 1, a: 2}\n", 1,
         "t.yaml:1:8: error: duplicate key 'a' in mapping (first at line 1, column 2)\n"},
        {"a: 1\n\"a\": 2\n'a': 3\n", 1,
         "t.yaml:2:1: error: duplicate key 'a' in mapping (first at line 1, column 1)\n"
         "t.yaml:3:1: error: duplicate key 'a' in mapping (first at line 1, column 1)\n"},
        {"spec:\n  x: 1\n  y: 2\n  x: 3\nx: ok\n", 1,
         "t.yaml:4:3: error: duplicate key 'x' in mapping (first at line 2, column 3)\n"},
        {"~: 1\nnull: 2\n", 1,
         "t.yaml:2:1: error: duplicate key 'null' in mapping (first at line 1, column 1)\n"},
        {"- a: 1\n- a: 2\n", 1, ""},  // different mappings
        // Syntax errors: libyaml's message and position; earlier documents are kept.
        {"a: b: c\n", 0, "t.yaml:1:5: error: mapping values are not allowed in this context\n"},
        {"a: 1\n---\nb: [\n", 1,
         "t.yaml:4:1: error: did not find expected node content (while parsing a flow node at "
         "line 4, column 1)\n"},
        {"a: \"abc\n", 0,
         "t.yaml:2:1: error: found unexpected end of stream (while scanning a quoted scalar at "
         "line 1, column 4)\n"},
        {"a:\n  - 1\n - 2\n", 0,
         "t.yaml:3:2: error: did not find expected key (while parsing a block mapping at line 1, "
         "column 1)\n"},
        {"a: 1\n\tb: 2\n", 0,
         "t.yaml:2:1: error: found a tab character that violates indentation (while scanning a "
         "plain scalar at line 1, column 4)\n"},
        {"key: [a, b\nnext: 1\n", 0,
         "t.yaml:2:5: error: did not find expected ',' or ']' (while parsing a flow sequence at "
         "line 1, column 6)\n"},
        // Bytes libyaml's reader refuses: position from the byte offset.
        {"a: 1\nb: \xC3\xA9\xFF\n", 0,
         "t.yaml:2:5: error: invalid input: invalid leading UTF-8 octet (byte 0xFF)\n"},
        {"a: \xC3\x28\n", 0,
         "t.yaml:1:5: error: invalid input: invalid trailing UTF-8 octet (byte 0x28)\n"},
        {"a: \xE2\x82", 0, "t.yaml:1:4: error: invalid input: incomplete UTF-8 octet sequence\n"},
        {"a: \xED\xA0\x80\n", 0,
         "t.yaml:1:4: error: invalid input: invalid Unicode character (U+D800)\n"},
        {std::string("a: b\nc: x\0y\n", 12), 0,
         "t.yaml:2:5: error: invalid input: control characters are not allowed (U+0000)\n"},
        {"a: 1\r\nb: \x01\r\n", 0,
         "t.yaml:2:4: error: invalid input: control characters are not allowed (U+0001)\n"},
        // Lone CR and U+2028 end lines for libyaml, so they do for positions too.
        {"a: 1\rb: 2\r\x7F", 0,
         "t.yaml:3:1: error: invalid input: control characters are not allowed (U+007F)\n"},
        {"x: \xE2\x80\xA8y: \x02", 0,
         "t.yaml:2:4: error: invalid input: control characters are not allowed (U+0002)\n"},
        // UTF-16 and UTF-32 (with a BOM, or ASCII text with its NUL bytes) are not decoded:
        // hepd resources are UTF-8, and the one error says which encoding it saw.
        {std::string("\xFF\xFE" "a\0:\0 \0" "1\0", 10), 0,
         "t.yaml:1:1: error: the file is encoded in UTF-16 (little-endian); hepd reads UTF-8 only "
         "(convert it, e.g. iconv -f UTF-16 -t UTF-8)\n"},
        {std::string("\xFE\xFF" "\0a\0:", 6), 0,
         "t.yaml:1:1: error: the file is encoded in UTF-16 (big-endian); hepd reads UTF-8 only "
         "(convert it, e.g. iconv -f UTF-16 -t UTF-8)\n"},
        {std::string("a\0:\0 \0" "1\0", 8), 0,
         "t.yaml:1:1: error: the file is encoded in UTF-16 (little-endian); hepd reads UTF-8 only "
         "(convert it, e.g. iconv -f UTF-16 -t UTF-8)\n"},
        {std::string("\xFF\xFE\0\0" "a\0\0\0", 8), 0,
         "t.yaml:1:1: error: the file is encoded in UTF-32 (little-endian); hepd reads UTF-8 only "
         "(convert it, e.g. iconv -f UTF-32 -t UTF-8)\n"},
        {"\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 0,
         "t.yaml:1:1: error: invalid input: invalid leading UTF-8 octet (byte 0x89)\n"},
    };
    for (const auto& c : cases) {
        Diagnostics d;
        auto docs = parse_yaml(c.in, "t.yaml", d);
        EXPECT_EQ(docs.size(), c.docs) << c.in;
        EXPECT_EQ(d.format(), c.want) << c.in;
    }
}

TEST(Yaml, Limits) {
    struct Case {
        std::string in;
        Limits limits;
        size_t docs;
        const char* want;
    } cases[] = {
        {"a: 1\n", {4, 64, 100, 100}, 0,
         "t.yaml: error: input is 5 bytes, more than the limit of 4 bytes\n"},
        {"a: 1\n", {5, 64, 100, 100}, 1, ""},
        // Depth: the collection that would be one level too deep is refused.
        {"a: {b: [c]}\n", {100, 3, 100, 100}, 1, ""},
        {"a: {b: [c]}\n", {100, 2, 100, 100}, 0,
         "t.yaml:1:8: error: YAML nesting is deeper than 2 levels\n"},
        {"a:\n  b:\n    c: 1\n", {100, 2, 100, 100}, 0,
         "t.yaml:3:5: error: YAML nesting is deeper than 2 levels\n"},
        // Nodes: keys, values and collections all count, over all documents.
        {"a: 1\n---\nb: 2\n", {100, 64, 6, 100}, 2, ""},
        {"a: 1\n---\nb: 2\n", {100, 64, 5, 100}, 1,
         "t.yaml:3:4: error: more than 5 YAML nodes; the input is too large\n"},
        // Scalars: bytes after unescaping.
        {"a: abcd\n", {100, 64, 100, 4}, 1, ""},
        {"a: abcde\n", {100, 64, 100, 4}, 0,
         "t.yaml:1:4: error: scalar of 5 bytes, more than the limit of 4 bytes\n"},
    };
    for (const auto& c : cases) {
        Diagnostics d;
        auto docs = parse_yaml(c.in, "t.yaml", d, c.limits);
        EXPECT_EQ(docs.size(), c.docs) << c.in;
        EXPECT_EQ(d.format(), c.want) << c.in;
    }
}

TEST(Yaml, DeepNestingIsRefusedEarly) {
    // 100k '[' (and '{'): refused at the 65th level with the default limits, quickly, without
    // recursion or memory in proportion to the input.
    for (std::string open : {"[", "{a: ", "- "}) {
        std::string in;
        for (int i = 0; i < 100000 && in.size() + open.size() <= Limits{}.max_bytes; ++i) in += open;
        auto t0 = std::chrono::steady_clock::now();
        Diagnostics d;
        auto docs = parse_yaml(in, "deep.yaml", d);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0).count();
        EXPECT_TRUE(docs.empty()) << open;
        ASSERT_EQ(d.error_count(), 1u) << open << d.format();
        EXPECT_NE(d.format().find("YAML nesting is deeper than 64 levels"), std::string::npos)
            << d.format();
        EXPECT_LT(ms, 2000) << open;
    }
    // Exactly at the limit is fine.
    std::string ok = std::string(64, '[') + std::string(64, ']');
    Diagnostics d;
    auto docs = parse_yaml(ok, "t.yaml", d);
    EXPECT_FALSE(d.has_errors()) << d.format();
    ASSERT_EQ(docs.size(), 1u);
}

TEST(Yaml, ManyNodesAndBigScalars) {
    std::string many = "[" + std::string(600000, '1');
    for (size_t i = 2; i < many.size(); i += 2) many[i] = ',';
    Diagnostics d;
    parse_yaml(many, "t.yaml", d);
    // The sequence is node 1; item k sits at column 2k, so node 200001 is at column 400000.
    EXPECT_EQ(d.format(), "t.yaml:1:400000: error: more than 200000 YAML nodes; the input is too large\n");

    Diagnostics d2;
    std::string big = "a: " + std::string(70000, 'x') + "\n";
    auto docs = parse_yaml(big, "t.yaml", d2);
    EXPECT_EQ(d2.format(), "t.yaml:1:4: error: scalar of 70000 bytes, more than the limit of 65536 bytes\n");
    EXPECT_TRUE(docs.empty());
}

TEST(Yaml, Get) {
    Diagnostics d;
    auto docs = parse_yaml("kind: HostEndpoint\n\"spec\": {node: r1}\n~: n\n", "t.yaml", d);
    ASSERT_EQ(docs.size(), 1u);
    const Node& root = docs[0].root;
    ASSERT_NE(root.get("kind"), nullptr);
    EXPECT_EQ(root.get("kind")->value, "HostEndpoint");
    ASSERT_NE(root.get("spec"), nullptr);
    EXPECT_TRUE(root.get("spec")->is_mapping());
    EXPECT_EQ(root.get("spec")->get("node")->value, "r1");
    EXPECT_EQ(root.get("missing"), nullptr);
    EXPECT_EQ(root.get("~"), nullptr);  // the null key is not the string "~"
    EXPECT_EQ(root.get("kind")->get("x"), nullptr);
    EXPECT_TRUE(root.get("kind")->is_scalar());
    EXPECT_FALSE(root.get("kind")->is_null());
}

TEST(Yaml, FileNameInDiagnostics) {
    Diagnostics d;
    parse_yaml("a: *b\n", "resources.d/10-web.yaml", d);
    EXPECT_EQ(d.format(),
              "resources.d/10-web.yaml:1:4: error: YAML aliases are not supported (*b): hepd does not "
              "expand them; write the value out\n");
}

}  // namespace
}  // namespace hepd::yaml
