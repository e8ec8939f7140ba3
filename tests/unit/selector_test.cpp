// SPDX-License-Identifier: GPL-2.0-or-later
// The selector language, table-driven: what matches, what does not, what is rejected (and where),
// and the canonical form. The facts (which inputs Calico accepts, its String() form) come from
// libcalico-go/lib/selector; the cases are hepd's own.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hepd/selector.hpp"

namespace hepd {
namespace {

std::optional<Selector> parse_ok(const std::string& text) {
    Diagnostics diags;
    auto sel = Selector::parse(text, diags);
    EXPECT_TRUE(sel.has_value()) << "[" << text << "]: " << diags.format();
    EXPECT_EQ(sel.has_value(), !diags.has_errors());
    return sel;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

struct MatchCase {
    std::string sel;
    Labels labels;
    bool want;
};

const Labels bench_worker{{"role", "k8s-worker"},   {"environment", "production"},
                          {"zone", "eu-west-1a"},   {"rack", "r12"},
                          {"kubernetes.io/os", "linux"}, {"tier", "edge"},
                          {"owner", "netops"},      {"hostname", "gw-01"}};

const MatchCase match_cases[] = {
    // ==: present and equal; byte-exact and case-sensitive.
    {R"(a == "b")", {{"a", "b"}}, true},
    {R"(a == "b")", {{"a", "b"}, {"c", "d"}}, true},
    {R"(a == "b")", {}, false},
    {R"(a == "b")", {{"a", "c"}}, false},
    {R"(a == "b")", {{"c", "b"}}, false},
    {R"(a == 'b')", {{"a", "b"}}, true},
    {R"(a == "")", {{"a", ""}}, true},
    {R"(a == "")", {}, false},
    {R"(a == "B")", {{"a", "b"}}, false},
    {R"(A == "b")", {{"a", "b"}}, false},
    {R"(a=="b")", {{"a", "b"}}, true},
    {"\ta\t==\t'b'\t", {{"a", "b"}}, true},
    {R"(a == "b ")", {{"a", "b"}}, false},
    {R"(a == "bb")", {{"a", "b"}}, false},
    {R"(x.y/z-1_2 == "v")", {{"x.y/z-1_2", "v"}}, true},
    {R"(projectcalico.org/name == 'eth0-gw')", {{"projectcalico.org/name", "eth0-gw"}}, true},
    // !=: absent or different.
    {R"(a != "b")", {}, true},
    {R"(a != "b")", {{"a", "b"}}, false},
    {R"(a != "b")", {{"a", "c"}}, true},
    {R"(a != "")", {{"a", ""}}, false},
    {R"(a != "")", {}, true},
    {R"(a!='b')", {{"a", "c"}}, true},
    {R"(a != "b")", {{"b", "b"}}, true},
    // in: present and a member.
    {R"(a in {"x", "y"})", {{"a", "x"}}, true},
    {R"(a in {"x", "y"})", {{"a", "y"}}, true},
    {R"(a in {"x", "y"})", {{"a", "z"}}, false},
    {R"(a in {"x", "y"})", {}, false},
    {R"(a in {"x", "y"})", {{"b", "x"}}, false},
    {R"(a in {})", {{"a", ""}}, false},
    {R"(a in {})", {}, false},
    {R"(a in {""})", {{"a", ""}}, true},
    {R"(a in {"x",})", {{"a", "x"}}, true},
    {R"(a in {'"', "'"})", {{"a", "\""}}, true},
    {R"(a in {'"', "'"})", {{"a", "'"}}, true},
    {R"(a in{"x"})", {{"a", "x"}}, true},
    {R"(a in {"b", "a", "b"})", {{"a", "b"}}, true},
    {R"(a in {"c", "a", "b"})", {{"a", "a"}}, true},
    {R"(a in {"c", "a", "b"})", {{"a", "bb"}}, false},
    {R"(a in {"X"})", {{"a", "x"}}, false},
    // not in: absent or not a member.
    {R"(a not in {"x"})", {}, true},
    {R"(a not in {"x"})", {{"a", "x"}}, false},
    {R"(a not in {"x"})", {{"a", "y"}}, true},
    {R"(a not in {})", {{"a", "x"}}, true},
    {R"(a not in {})", {}, true},
    {R"(a notin {"x"})", {{"a", "x"}}, false},
    {"a not\tin {\"x\"}", {{"a", "y"}}, true},
    {R"(a notin{"x", "y"})", {{"a", "y"}}, false},
    {R"(a not   in {"x", "y",})", {{"a", "z"}}, true},
    // has(): present, whatever the value.
    {"has(a)", {{"a", ""}}, true},
    {"has(a)", {{"a", "x"}}, true},
    {"has(a)", {}, false},
    {"has(a)", {{"b", "a"}}, false},
    {"has( a )", {{"a", "x"}}, true},
    {"has(\ta\t)", {{"a", "x"}}, true},
    {"has(x.y/z)", {{"x.y/z", "1"}}, true},
    {"has(A)", {{"a", "1"}}, false},
    // !: repeatable, each one toggles.
    {"!has(a)", {}, true},
    {"!has(a)", {{"a", "x"}}, false},
    {"!!has(a)", {{"a", "x"}}, true},
    {"!!has(a)", {}, false},
    {"! ! ! has(a)", {{"a", "x"}}, false},
    {"!!!has(a)", {}, true},
    {"!! !!has(a)", {{"a", "x"}}, true},
    // contains / starts with / ends with: present, byte-wise.
    {R"(a contains "ell")", {{"a", "hello"}}, true},
    {R"(a contains "ell")", {{"a", "help"}}, false},
    {R"(a contains "")", {{"a", ""}}, true},
    {R"(a contains "")", {}, false},
    {R"(a contains "x")", {{"b", "x"}}, false},
    {R"(a contains "Hello")", {{"a", "hello"}}, false},
    {R"(a contains'lo')", {{"a", "hello"}}, true},
    {R"(a contains "hello")", {{"a", "hello"}}, true},
    {R"(a contains "hello!")", {{"a", "hello"}}, false},
    {R"(a starts with "he")", {{"a", "hello"}}, true},
    {R"(a starts with "lo")", {{"a", "hello"}}, false},
    {R"(a startswith "he")", {{"a", "hello"}}, true},
    {R"(a starts  with "he")", {{"a", "hello"}}, true},
    {"a starts\twith \"he\"", {{"a", "hello"}}, true},
    {R"(a starts with "")", {{"a", "x"}}, true},
    {R"(a starts with "")", {}, false},
    {R"(a starts with "hello!")", {{"a", "hello"}}, false},
    {R"(a starts with "He")", {{"a", "hello"}}, false},
    {R"(a ends with "lo")", {{"a", "hello"}}, true},
    {R"(a ends with "he")", {{"a", "hello"}}, false},
    {R"(a endswith 'lo')", {{"a", "hello"}}, true},
    {R"(a ends with "")", {}, false},
    {R"(a ends with "")", {{"a", ""}}, true},
    {R"(a ends with "hello")", {{"a", "hello"}}, true},
    {R"(a ends with "ohello")", {{"a", "hello"}}, false},
    // Empty, all(), global().
    {"", {}, true},
    {"", {{"a", "b"}}, true},
    {"   ", {}, true},
    {"\t", {{"a", "b"}}, true},
    {"all()", {}, true},
    {"all( )", {{"a", "b"}}, true},
    {" all() ", {}, true},
    {"global()", {}, true},
    {"global(\t)", {{"a", "b"}}, true},
    {"!all()", {}, false},
    {"!global()", {{"a", "b"}}, false},
    {"all() && has(a)", {}, false},
    {"all() || has(a)", {}, true},
    {"(all())", {}, true},
    // && binds tighter than ||; ! binds to one term.
    {R"(a == "1" && b == "2")", {{"a", "1"}, {"b", "2"}}, true},
    {R"(a == "1" && b == "2")", {{"a", "1"}}, false},
    {R"(a == "1" && b == "2")", {{"a", "1"}, {"b", "3"}}, false},
    {R"(a == "1" || b == "2")", {{"b", "2"}}, true},
    {R"(a == "1" || b == "2")", {}, false},
    {R"(a == "1" || b == "2")", {{"a", "2"}, {"b", "1"}}, false},
    {R"(a == "1" || b == "2" && c == "3")", {{"a", "1"}}, true},
    {R"(a == "1" || b == "2" && c == "3")", {{"b", "2"}}, false},
    {R"(a == "1" || b == "2" && c == "3")", {{"b", "2"}, {"c", "3"}}, true},
    {R"(a == "1" && b == "2" || c == "3")", {{"c", "3"}}, true},
    {R"(a == "1" && b == "2" || c == "3")", {{"a", "1"}}, false},
    {R"((a == "1" || b == "2") && c == "3")", {{"a", "1"}}, false},
    {R"((a == "1" || b == "2") && c == "3")", {{"a", "1"}, {"c", "3"}}, true},
    {R"(a == "1" && (b == "2" || c == "3"))", {{"a", "1"}, {"c", "3"}}, true},
    {R"(a == "1" && (b == "2" || c == "3"))", {{"c", "3"}}, false},
    {R"(!a == "1")", {}, true},
    {R"(!a == "1")", {{"a", "1"}}, false},
    {R"(!a == "1" && b == "2")", {{"b", "2"}}, true},
    {R"(!a == "1" && b == "2")", {{"a", "1"}, {"b", "2"}}, false},
    {R"(!(a == "1" && b == "2"))", {{"a", "1"}, {"b", "2"}}, false},
    {R"(!(a == "1" && b == "2"))", {{"a", "1"}}, true},
    {R"(!(a == "1" || b == "2"))", {}, true},
    {R"(!(a == "1" || b == "2"))", {{"b", "2"}}, false},
    {R"(!!(a == "1" || b == "2"))", {{"b", "2"}}, true},
    {"!(!has(a))", {{"a", ""}}, true},
    {"!(!has(a))", {}, false},
    {"!(!(!has(a)))", {}, true},
    {"((((has(a)))))", {{"a", "x"}}, true},
    {"!((((has(a)))))", {{"a", "x"}}, false},
    {"has(a) && has(b) && has(c)", {{"a", ""}, {"b", ""}, {"c", ""}}, true},
    {"has(a) && has(b) && has(c)", {{"a", ""}, {"b", ""}}, false},
    {"has(a) || has(b) || has(c)", {{"c", ""}}, true},
    {"has(a) || has(b) || has(c)", {}, false},
    {"has(a) && !has(b)", {{"a", "a"}}, true},
    {"!has(b) && has(a)", {{"a", "a"}, {"b", "b"}}, false},
    {"!(!has(a) || has(b))", {{"a", "a"}}, true},
    {"!(has(b) || !has(a))", {{"a", "a"}, {"b", "b"}}, false},
    {R"(a != "x" && a != "y")", {}, true},
    {R"(a != "x" && a != "y")", {{"a", "y"}}, false},
    {R"(a != "x" || a == "x")", {}, true},
    {R"(a not in {"x"} && has(a))", {{"a", "y"}}, true},
    {R"(a not in {"x"} && has(a))", {}, false},
    {R"(!a in {"x"})", {{"a", "y"}}, true},
    {R"(!a in {"x"})", {}, true},
    {R"(!a in {"x"})", {{"a", "x"}}, false},
    {R"(!a not in {"x"})", {}, false},
    {R"(!a not in {"x"})", {{"a", "x"}}, true},
    {R"(!a != "x")", {}, false},
    {R"(!a != "x")", {{"a", "x"}}, true},
    {R"(!a contains "x")", {}, true},
    {R"(a == 'a1' && b != 'b1')", {{"a", "a1"}, {"b", "b1"}}, false},
    {R"(a != 'a1' || b != 'b1')", {{"a", "a1"}, {"b", "b1"}}, false},
    {R"(! a == 'a1' || ! b == 'b1')", {{"a", "a1"}}, true},
    // The benchmark selector.
    {R"(role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine))",
     bench_worker, true},
    {R"(role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine))",
     {{"role", "k8s-master"}, {"environment", "production"}}, false},
    {R"(role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine))",
     {{"role", "k8s-worker"}, {"environment", "staging"}, {"quarantine", ""}}, false},
    // Anything but the closing quote is literal inside a string.
    {R"(a == "it's")", {{"a", "it's"}}, true},
    {R"(a == 'say "hi"')", {{"a", "say \"hi\""}}, true},
    {R"(a == "x&&y")", {{"a", "x&&y"}}, true},
    {"a == \"(x)\"", {{"a", "(x)"}}, true},
    {"a == \"has(b)\"", {{"a", "has(b)"}}, true},
    {R"(a == "}")", {{"a", "}"}}, true},
    {R"(a == "\n")", {{"a", "\\n"}}, true},  // no escapes: backslash and n
    {"a == \"line\nbreak\"", {{"a", "line\nbreak"}}, true},
    {"a == \"caf\xc3\xa9\"", {{"a", "caf\xc3\xa9"}}, true},
    {R"(a in {"a, b"})", {{"a", "a, b"}}, true},
    {R"(a in {"a, b"})", {{"a", "a"}}, false},
    // Operator words are labels where a label is expected.
    {R"(in == "x")", {{"in", "x"}}, true},
    {R"(not == "x")", {{"not", "x"}}, true},
    {R"(contains contains "x")", {{"contains", "axb"}}, true},
    {R"(has == "x")", {{"has", "x"}}, true},
    {R"(all == "x")", {{"all", "x"}}, true},
    {R"(global != "x")", {}, true},
    {R"(starts starts with "s")", {{"starts", "sx"}}, true},
    {R"(in in {"in"})", {{"in", "in"}}, true},
    {R"(not not in {"not"})", {{"not", "x"}}, true},
    {R"(ends ends with 'ends')", {{"ends", "bookends"}}, true},
    {R"(with == "w")", {{"with", "w"}}, true},
    // Label characters: [a-zA-Z0-9_./-], in any order.
    {R"(-a == "x")", {{"-a", "x"}}, true},
    {R"(1 == "x")", {{"1", "x"}}, true},
    {R"(a/b/c == "x")", {{"a/b/c", "x"}}, true},
    {R"(./- == "x")", {{"./-", "x"}}, true},
    {R"(_ == "")", {{"_", ""}}, true},
    {"has(./-_)", {{"./-_", "v"}}, true},
};

TEST(Selector, Matches) {
    for (const auto& c : match_cases) {
        const auto sel = parse_ok(c.sel);
        if (!sel) continue;
        EXPECT_EQ(sel->matches(c.labels), c.want) << "[" << c.sel << "] on {" << c.labels.format()
                                                  << "}";
        // The canonical form means the same thing.
        const auto again = parse_ok(sel->to_string());
        if (!again) continue;
        EXPECT_EQ(again->matches(c.labels), c.want) << "[" << sel->to_string() << "]";
    }
}

// Small maps and sets are scanned linearly, large ones binary-searched; both must agree.
TEST(Selector, LargeLabelMapsAndSets) {
    Labels big;
    for (int i = 0; i < 40; ++i) big.set("k" + std::to_string(i), "v" + std::to_string(i));
    std::string even = "{";
    for (int i = 0; i < 80; i += 2) even += "'v" + std::to_string(i) + "', ";
    even += "}";
    for (int i = 0; i < 40; ++i) {
        const std::string k = "k" + std::to_string(i);
        const std::string v = "v" + std::to_string(i);
        const Labels small{{k, v}};
        for (const Labels* l : {static_cast<const Labels*>(&big), &small}) {
            EXPECT_TRUE(parse_ok(k + " == '" + v + "'")->matches(*l)) << k;
            EXPECT_FALSE(parse_ok(k + " == '" + v + "x'")->matches(*l)) << k;
            EXPECT_TRUE(parse_ok("has(" + k + ")")->matches(*l)) << k;
            EXPECT_FALSE(parse_ok("has(" + k + "x)")->matches(*l)) << k;
            EXPECT_FALSE(parse_ok("has(x" + k + ")")->matches(*l)) << k;
            EXPECT_EQ(parse_ok(k + " in " + even)->matches(*l), i % 2 == 0) << k;
            EXPECT_EQ(parse_ok(k + " not in " + even)->matches(*l), i % 2 != 0) << k;
            EXPECT_EQ(parse_ok(k + " in {'v" + std::to_string(i) + "', 'a'}")->matches(*l), true);
        }
    }
}

TEST(Selector, LongestLabel) {
    const std::string key(Selector::max_label_length, 'k');
    const auto sel = parse_ok(key + " == 'v'");
    ASSERT_TRUE(sel);
    EXPECT_TRUE(sel->matches(Labels{{key, "v"}}));
    EXPECT_TRUE(parse_ok("has(" + key + ")"));
}

TEST(Selector, DeepNestingUpToTheLimit) {
    const size_t n = Selector::max_nesting;
    const auto sel = parse_ok(std::string(n, '(') + "has(a)" + std::string(n, ')'));
    ASSERT_TRUE(sel);
    EXPECT_EQ(sel->to_string(), "has(a)");
    std::string nots;
    for (size_t i = 0; i < n; ++i) nots += "!(";
    const auto neg = parse_ok(nots + "has(a)" + std::string(n, ')'));
    ASSERT_TRUE(neg);
    EXPECT_EQ(neg->to_string(), "has(a)");  // an even number of negations
    EXPECT_TRUE(neg->matches(Labels{{"a", ""}}));
}

// ---------------------------------------------------------------------------------------------
// Rejected selectors: the column of the offending token and a part of the message.

struct BadCase {
    std::string sel;
    uint32_t col;  // 1-based, as printed
    const char* message;
};

const BadCase bad_cases[] = {
    // Values must be quoted strings; the left side must be a label.
    {"a == b", 6, "expected a quoted value after '=='"},
    {"a != b", 6, "expected a quoted value after '!='"},
    {"a == 1", 6, "expected a quoted value after '=='"},
    {"b contains b", 12, "expected a quoted value after 'contains'"},
    {"b starts with b", 15, "expected a quoted value after 'starts with'"},
    {"b ends with b", 13, "expected a quoted value after 'ends with'"},
    {"'b1' == b", 1, "starts with a label, not a quoted string"},
    {R"("x" == "x")", 1, "not a quoted string"},
    {"a ==", 5, "expected a quoted value after '=='"},
    {"a == (\"b\")", 6, "expected a quoted value"},
    // A label needs an operator.
    {"b", 2, "expected an operator"},
    {"a ", 3, "after label 'a', found the end of the selector"},
    {"a b", 3, "after label 'a', found 'b'"},
    {"a && b == \"c\"", 3, "after label 'a', found character '&'"},
    {"a (", 3, "expected an operator"},
    {"a \"x\"", 3, "found a quoted string"},
    {"a = \"b\"", 3, "'=' is not an operator; did you mean '=='?"},
    {"a === \"b\"", 5, "'=' is not an operator"},
    {"a ! \"b\"", 3, "expected an operator"},
    {"a inx {\"b\"}", 3, "found 'inx'"},
    {"a containsx \"b\"", 3, "found 'containsx'"},
    {"a startswithx \"b\"", 3, "expected an operator"},
    {"a endswith_ \"b\"", 3, "expected an operator"},
    {"a starts \"b\"", 3, "expected an operator"},
    {"a ends \"b\"", 3, "expected an operator"},
    {"a starts-with \"b\"", 3, "expected an operator"},
    {"a not \"b\"", 3, "expected an operator"},
    {"a notx in {}", 3, "expected an operator"},
    {"a not inx {}", 3, "expected an operator"},
    {"a IN {\"x\"}", 3, "found 'IN'"},
    {"a Contains \"x\"", 3, "expected an operator"},
    {"a STARTS WITH \"x\"", 3, "expected an operator"},
    {"not has(a)", 5, "after label 'not'"},
    {"a.b@c == \"x\"", 4, "found character '@'"},
    {"a:b == \"x\"", 2, "found character ':'"},
    // Keywords: lowercase, and '(' straight after the name.
    {"has (x)", 5, "no space is allowed between 'has' and '('"},
    {"all ()", 5, "no space is allowed between 'all' and '('"},
    {"global ()", 8, "no space is allowed between 'global' and '('"},
    {"HAS(a)", 4, "after label 'HAS'"},
    {"ALL()", 4, "expected an operator"},
    {"Global()", 7, "expected an operator"},
    {"has(", 5, "expected a label name inside has()"},
    {"has()", 5, "expected a label name inside has()"},
    {"has( )", 6, "expected a label name inside has()"},
    {"has(\"a\")", 5, "expected a label name inside has()"},
    {"has(a", 6, "expected ')' to close has(a"},
    {"has(a b)", 7, "expected ')' to close has(a"},
    {"has(a,b)", 6, "expected ')'"},
    {"has(a)(", 7, "after a complete expression, found '('"},
    {"has(a) has(b)", 8, "after a complete expression, found has()"},
    {"all(", 5, "all() takes no arguments"},
    {"all(x)", 5, "all() takes no arguments"},
    {"global(x)", 8, "global() takes no arguments"},
    {"global(", 8, "global() takes no arguments"},
    // Single '=', '&', '|'.
    {"foo == \"bar\" &", 14, "'&' is not an operator; did you mean '&&'?"},
    {"foo == \"bar\" |", 14, "'|' is not an operator; did you mean '||'?"},
    {"a == \"b\" & c == \"d\"", 10, "did you mean '&&'?"},
    {"a == \"b\" | c == \"d\"", 10, "did you mean '||'?"},
    {"=", 1, "'=' is not an operator"},
    // Operators in the wrong place; trailing operators.
    {"foo != ||", 8, "expected a quoted value after '!='"},
    {"has(foo) &&", 10, "trailing '&&'"},
    {"has(foo) ||", 10, "trailing '||'"},
    {"a == \"x\" && ", 10, "trailing '&&'"},
    {"&& a == \"x\"", 1, "found '&&'"},
    {"|| a == \"x\"", 1, "found '||'"},
    {"a == \"x\" && && b == \"y\"", 13, "found '&&'"},
    {"a == \"x\" || || b == \"y\"", 13, "found '||'"},
    {"a == \"x\" && || b == \"y\"", 13, "found '||'"},
    {"a == \"x\" !", 10, "after a complete expression, found '!'"},
    {"== \"x\"", 1, "found '=='"},
    {"!= \"x\"", 1, "found '!='"},
    {"!", 1, "expected an expression after '!'"},
    {"!!", 2, "expected an expression after '!'"},
    {"!\t", 1, "expected an expression after '!'"},
    {"! && has(a)", 3, "found '&&'"},
    // Garbage after a complete expression.
    {"a == \"x\" b", 10, "expected '&&', '||' or the end of the selector after a complete expression, found label 'b'"},
    {"a == \"x\" \"y\"", 10, "found a quoted string"},
    {"a == \"x\" AND b == \"y\"", 10, "found label 'AND'"},
    {"a == \"x\" and b == \"y\"", 10, "found label 'and'"},
    {"a == \"x\" or b == \"y\"", 10, "found label 'or'"},
    {"a in {\"x\"} {\"y\"}", 12, "found '{'"},
    {"all() all()", 7, "found all()"},
    {"has(a),", 7, "found ','"},
    // Parentheses.
    {"(", 2, "found the end of the selector"},
    {"(a == \"foo\"", 12, "missing ')' for the '(' at column 1"},
    {"((a == \"x\")", 12, "missing ')' for the '(' at column 1"},
    {"a == \"x\" || (b == \"y\"", 22, "missing ')' for the '(' at column 13"},
    {")", 1, "unbalanced ')'"},
    {"a == \"x\" )", 10, "unbalanced ')'"},
    {"(a == \"x\"))", 11, "unbalanced ')'"},
    {"()", 2, "empty parentheses"},
    {"!()", 3, "empty parentheses"},
    {"!(", 3, "found the end of the selector"},
    {"(a == \"x\" b == \"y\")", 11, "expected ')', '&&' or '||', found label 'b'"},
    {"(has(a) has(b))", 9, "expected ')', '&&' or '||', found has()"},
    // Sets.
    {"foo in {\"\", ||", 13, "expected a quoted value or '}' in set, found '||'"},
    {"foo in \"\"", 8, "expected '{' after 'in'"},
    {"a in \"x\"", 6, "expected '{' after 'in' (a set: {'a', 'b'})"},
    {"a not in 'x', 'y'", 10, "expected '{' after 'not in'"},
    {"a in", 5, "expected '{' after 'in'"},
    {"a not in", 9, "expected '{' after 'not in'"},
    {"a in (\"x\")", 6, "expected '{' after 'in'"},
    {"a in [\"x\"]", 6, "unexpected character '['"},
    {"a in x", 6, "expected '{'"},
    {"a in {,\"x\"}", 7, "leading ','"},
    {"a in {,}", 7, "leading ','"},
    {"a in {\"x\",,}", 11, "expected a quoted value or '}' in set, found ','"},
    {"a in {\"x\" \"y\"}", 11, "expected ',' or '}' after a value in the set, found a quoted string"},
    {"a in {\"x\"", 10, "missing '}' at the end of the set"},
    {"a in {", 7, "missing '}' at the end of the set"},
    {"a in {\"x\",", 11, "missing '}'"},
    {"a in {x}", 7, "expected a quoted value or '}' in set, found label 'x'"},
    {"a in {\"x\"; \"y\"}", 10, "unexpected character ';'"},
    {"a not in {\"x\" && has(b)", 15, "expected ',' or '}' after a value in the set, found '&&'"},
    // Strings: no escapes, no unterminated ones.
    {"\"FOO", 1, "unterminated string: no closing '\"'"},
    {"\"FOO'", 1, "unterminated string"},
    {"'FOO", 1, "unterminated string: no closing \"'\""},
    {"a == 'b", 6, "unterminated string"},
    {"a == \"b'", 6, "unterminated string"},
    {"a in {\"x', 'y'}", 7, "unterminated string"},
    {"a == \"x\\\"\"", 10, "unterminated string"},
    // Characters that are not tokens; only space and TAB are whitespace.
    {"%", 1, "unexpected character '%'"},
    {"a == \"b\" && %", 13, "unexpected character '%'"},
    {"a == \"b\" || %", 13, "unexpected character '%'"},
    {"a == \"b\"\n", 9, "unexpected newline; only spaces and tabs may separate tokens"},
    {"a == \"b\"\r\n", 9, "unexpected carriage return"},
    {"\na == \"b\"", 1, "unexpected newline"},
    {"a ==\n\"b\"", 5, "unexpected newline"},
    {"a\v== \"b\"", 2, "found byte 0x0b"},
    {"a == \"b\" \f", 10, "unexpected byte 0x0c; only spaces and tabs may separate tokens"},
    {"a == \"b\" \xc3\xa9", 10, "unexpected byte 0xc3"},
    {"a == \"b\" #comment", 10, "unexpected character '#'"},
    {"a == \"b\";", 9, "unexpected character ';'"},
    {std::string("a == \"b\"\0", 9), 9, "unexpected byte 0x00"},
    {"\xef\xbb\xbf" "a == \"b\"", 1, "unexpected byte 0xef"},
    {"[a == \"b\"]", 1, "unexpected character '['"},
    // Labels longer than 512 characters.
    {std::string(513, 'k') + " == 'v'", 1, "label is longer than 512 characters"},
    {"has(" + std::string(513, 'k') + ")", 5, "label is longer than 512 characters"},
    {"a == 'x' || " + std::string(600, 'k') + " == 'v'", 13, "longer than 512"},
    // Nesting beyond hepd's guard.
    {std::string(513, '(') + "has(a)" + std::string(513, ')'), 513, "nested more than 512 deep"},
};

TEST(Selector, Rejects) {
    for (const auto& c : bad_cases) {
        Diagnostics diags;
        const auto sel = Selector::parse(c.sel, diags);
        EXPECT_FALSE(sel.has_value()) << "[" << c.sel << "] parsed as [" << sel->to_string() << "]";
        ASSERT_EQ(diags.items().size(), 1u) << "[" << c.sel << "]";
        const Diagnostic& d = diags.items()[0];
        EXPECT_EQ(d.severity, Severity::error);
        EXPECT_EQ(d.where.file, "selector");
        EXPECT_EQ(d.where.line, 1u);
        EXPECT_EQ(d.where.col, c.col) << "[" << c.sel << "]: " << d.format();
        EXPECT_NE(d.message.find(c.message), std::string::npos)
            << "[" << c.sel << "]: " << d.format() << "\n  want: " << c.message;
    }
}

TEST(Selector, ErrorLocationIsOffsetFromWhere) {
    Diagnostics diags;
    EXPECT_FALSE(Selector::parse("a == b", diags, {"res.yaml", 7, 15}));
    ASSERT_EQ(diags.items().size(), 1u);
    EXPECT_EQ(diags.items()[0].format(), "res.yaml:7:20: error: expected a quoted value after '=='");

    Diagnostics unknown_col;
    EXPECT_FALSE(Selector::parse("a == b", unknown_col, {"res.yaml", 7, 0}));
    ASSERT_EQ(unknown_col.items().size(), 1u);
    EXPECT_EQ(unknown_col.items()[0].where.col, 0u);

    Diagnostics def;
    EXPECT_FALSE(Selector::parse("role == k8s", def));
    EXPECT_EQ(def.format(), "selector:1:9: error: expected a quoted value after '=='\n");
}

TEST(Selector, OneErrorPerParseAndNoneOnSuccess) {
    Diagnostics diags;
    EXPECT_FALSE(Selector::parse("a == b && % && )", diags));
    EXPECT_EQ(diags.error_count(), 1u);
    Diagnostics ok;
    EXPECT_TRUE(Selector::parse("a == 'b'", ok));
    EXPECT_TRUE(ok.empty());
}

// ---------------------------------------------------------------------------------------------
// Canonical form (Calico's String()).

struct CanonCase {
    std::string in;
    const char* want;
};

const CanonCase canon_cases[] = {
    {"", "all()"},
    {"   ", "all()"},
    {"\t \t", "all()"},
    {" all() ", "all()"},
    {" (all() )", "all()"},
    {"all(\t)", "all()"},
    {"global()", "global()"},
    {"global( )", "global()"},
    {"!global()", "!global()"},
    {R"(a=="b")", R"(a == "b")"},
    {R"(a == 'b')", R"(a == "b")"},
    {R"(a == "'")", R"(a == "'")"},
    {R"(a == '"')", R"(a == '"')"},
    {R"(a == '"x"')", R"(a == '"x"')"},
    {R"(a == "")", R"(a == "")"},
    {R"(a == '')", R"(a == "")"},
    {R"(a == "x  y")", R"(a == "x  y")"},
    {"a == \"\tx\t\"", "a == \"\tx\t\""},
    {R"(a!='"')", R"(a != '"')"},
    {R"(a != 'b')", R"(a != "b")"},
    {R"(a contains 'x')", R"(a contains "x")"},
    {R"(a contains '"')", R"(a contains '"')"},
    {R"(a contains"x")", R"(a contains "x")"},
    {R"(a startswith 'x')", R"(a starts with "x")"},
    {R"(a starts   with 'x')", R"(a starts with "x")"},
    {R"(a startswith '"')", R"(a starts with '"')"},
    {R"(a endswith "'")", R"(a ends with "'")"},
    {"a ends\twith 'x'", R"(a ends with "x")"},
    {R"(a notin {'x'})", R"(a not in {"x"})"},
    {R"(a not  in{'x'})", R"(a not in {"x"})"},
    {R"(a in {})", R"(a in {})"},
    {R"(a not in { })", R"(a not in {})"},
    {R"(a in {"x",})", R"(a in {"x"})"},
    {R"(a in {"d"})", R"(a in {"d"})"},
    {R"(a in {"d", "a", "b"})", R"(a in {"a", "b", "d"})"},
    {R"(a in {"z", "z", "x", "y", "x", "a"})", R"(a in {"a", "x", "y", "z"})"},
    {R"(a in {"x", 'x'})", R"(a in {"x"})"},
    {R"(a in {"b", 'a"'})", R"(a in {'a"', "b"})"},
    {R"(a in {"b", "B", "a", "_", "1"})", R"(a in {"1", "B", "_", "a", "b"})"},
    {"a in {\"\xc3\xa9\", \"z\"}", "a in {\"z\", \"\xc3\xa9\"}"},  // byte order, not locale
    {R"(a in {"ab", "a", ""})", R"(a in {"", "a", "ab"})"},
    {R"(a not in {"'", '"', "c"})", R"(a not in {'"', "'", "c"})"},
    {R"(a in{'x','y'})", R"(a in {"x", "y"})"},
    {"has( b )", "has(b)"},
    {"has(\tb)", "has(b)"},
    {"!has(a)", "!has(a)"},
    {"! has(a)", "!has(a)"},
    {"!!has(a)", "has(a)"},
    {"!!!has(a)", "!has(a)"},
    {"! ! ! ! has(a)", "has(a)"},
    {"!(has(a))", "!has(a)"},
    {"!(!has(a))", "has(a)"},  // Calico prints !!has(a); see selector.hpp
    {"!(!(!has(a)))", "!has(a)"},
    {"!!(!has(a))", "!has(a)"},
    {"!(k == 'v')", R"(!k == "v")"},
    {"!(all())", "!all()"},
    {"((has(a)))", "has(a)"},
    {R"(a == "1" && b == "2")", R"((a == "1" && b == "2"))"},
    {R"(a == "1" || b == "2")", R"((a == "1" || b == "2"))"},
    {R"(a == "1"&&b == "2"&&c == "3")", R"((a == "1" && b == "2" && c == "3"))"},
    {R"(a == "1"||b == "2"||c == "3")", R"((a == "1" || b == "2" || c == "3"))"},
    {"has(a) || has(b) && has(c)", "(has(a) || (has(b) && has(c)))"},
    {"has(a) && has(b) || has(c)", "((has(a) && has(b)) || has(c))"},
    {"(has(a) || has(b)) && has(c)", "((has(a) || has(b)) && has(c))"},
    {"(has(a) && has(b)) && has(c)", "((has(a) && has(b)) && has(c))"},
    {"has(a) && (has(b) && has(c))", "(has(a) && (has(b) && has(c)))"},
    {"(has(a) || has(b)) || has(c)", "((has(a) || has(b)) || has(c))"},
    {"((has(a) && has(b)))", "(has(a) && has(b))"},
    {"!(has(a) && has(b))", "!(has(a) && has(b))"},
    {"!has(a) && !has(b)", "(!has(a) && !has(b))"},
    {"! (has( b)||! has(a ))", "!(has(b) || !has(a))"},
    {R"(! (a == "b"&&! c != "d"))", R"(!(a == "b" && !c != "d"))"},
    {"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
     R"(!(!((k == "v" && has(t)) || all()) && a in {"b", "c"}))"},
    {"all() && global()", "(all() && global())"},
    {"all() || has(a)", "(all() || has(a))"},
    {R"(in in {'in'})", R"(in in {"in"})"},
    {R"(-a == "x")", R"(-a == "x")"},
    {R"(not not in {"not"})", R"(not not in {"not"})"},
    {"a == \"line\nbreak\"", "a == \"line\nbreak\""},
    {R"(role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine))",
     R"((role == "k8s-worker" && environment in {"production", "staging"} && !has(quarantine)))"},
};

TEST(Selector, CanonicalForm) {
    for (const auto& c : canon_cases) {
        const auto sel = parse_ok(c.in);
        if (!sel) continue;
        EXPECT_EQ(sel->to_string(), c.want) << "[" << c.in << "]";
        const auto again = parse_ok(sel->to_string());
        if (!again) continue;
        EXPECT_EQ(again->to_string(), sel->to_string()) << "[" << c.in << "]";
        EXPECT_EQ(again->hash(), sel->hash());
        EXPECT_TRUE(*again == *sel);
    }
}

// ---------------------------------------------------------------------------------------------
// Hashes: stable_hash64 of the canonical form, pinned so that they never change silently (they
// will name kernel objects).

TEST(Selector, HashIsPinned) {
    struct Case {
        const char* in;
        uint64_t want;
    } cases[] = {
        {"", 0x25a8314c55fe6245ULL},
        {"all()", 0x25a8314c55fe6245ULL},
        {"global()", 0x564da20b7b407ef0ULL},
        {"has(a)", 0xb9975078788812b9ULL},
        {"a == 'b'", 0xa162c10fd07554c8ULL},
        {"a == \"1\" && b == \"2\"", 0xa9c542bad12e9403ULL},
        {"role == 'k8s-worker' && environment in {'staging','production'} && !has(quarantine)",
         0x224767697a3c8697ULL},
        {"(role == 'k8s-worker' && environment in {'production','staging'}) && !has(quarantine)",
         0x175d333908c9e44fULL},
    };
    for (const auto& c : cases) {
        const auto sel = parse_ok(c.in);
        if (!sel) continue;
        EXPECT_EQ(sel->hash(), c.want) << "[" << c.in << "] = [" << sel->to_string() << "]";
    }
    EXPECT_EQ(Selector().hash(), 0x25a8314c55fe6245ULL);
}

TEST(Selector, DefaultIsAll) {
    const Selector s;
    EXPECT_EQ(s.to_string(), "all()");
    EXPECT_TRUE(s.is_all());
    EXPECT_FALSE(s.uses_global());
    EXPECT_TRUE(s.matches(Labels{}));
    EXPECT_TRUE(s.matches(Labels{{"a", "b"}}));
    EXPECT_TRUE(s == *parse_ok(""));
}

TEST(Selector, IsAllAndUsesGlobal) {
    struct Case {
        const char* in;
        bool is_all;
        bool uses_global;
    } cases[] = {
        {"", true, false},
        {"all()", true, false},
        {"(all())", true, false},
        {"!!all()", true, false},
        {"!all()", false, false},
        {"global()", true, true},
        {"!global()", false, true},
        {"has(a) && global()", false, true},
        {"all() || has(a)", true, false},
        {"has(a) || all()", true, false},
        {"a not in {}", true, false},
        {"a in {}", false, false},
        {"has(a)", false, false},
        {"a != 'x'", false, false},
        {"global() || has(global)", true, true},
        {"has(global)", false, false},
    };
    for (const auto& c : cases) {
        const auto sel = parse_ok(c.in);
        if (!sel) continue;
        EXPECT_EQ(sel->is_all(), c.is_all) << c.in;
        EXPECT_EQ(sel->uses_global(), c.uses_global) << c.in;
    }
}

TEST(Selector, CopiesAreIndependent) {
    std::optional<Selector> a = parse_ok("x in {'1', '2'} && !has(y)");
    ASSERT_TRUE(a);
    Selector copy = *a;
    a.reset();  // the copy must own its strings
    EXPECT_TRUE(copy.matches(Labels{{"x", "2"}}));
    EXPECT_FALSE(copy.matches(Labels{{"x", "2"}, {"y", ""}}));
    Selector moved = std::move(copy);
    EXPECT_TRUE(moved.matches(Labels{{"x", "1"}}));
    EXPECT_EQ(moved.to_string(), R"((x in {"1", "2"} && !has(y)))");
}

// ---------------------------------------------------------------------------------------------
// Property test: random selectors written in random (valid) spellings, evaluated on random label
// maps against an independent reference evaluation of the generated tree; the canonical form must
// re-parse to itself and match exactly the same maps.

class Generator {
public:
    explicit Generator(uint64_t seed) : rng_(seed) {}

    struct Expr {
        enum Kind { all, global, has, eq, ne, contains, starts, ends, in, not_in, not_, and_, or_ };
        Kind kind = all;
        std::string key, value;
        std::vector<std::string> set;
        std::vector<Expr> kids;
    };

    uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
    bool chance(uint32_t one_in) { return pick(one_in) == 0; }

    const std::string& key() {
        static const std::vector<std::string> keys = {"a", "b", "c", "x.y/z", "in", "-k_1", "has"};
        return keys[pick(static_cast<uint32_t>(keys.size()))];
    }
    const std::string& value() {
        static const std::vector<std::string> values = {"",  "v",   "w", "vw",  "wv",
                                                        "'", "\"",  "a b", "in", "v'w",
                                                        "V", "\t"};
        return values[pick(static_cast<uint32_t>(values.size()))];
    }

    Expr expr(int depth) {
        Expr e;
        const uint32_t leaf_kinds = 10;
        const uint32_t k = depth <= 0 ? pick(leaf_kinds) : pick(leaf_kinds + 6);
        if (k < leaf_kinds) {
            e.kind = static_cast<Expr::Kind>(k);
            e.key = key();
            e.value = value();
            if (e.kind == Expr::in || e.kind == Expr::not_in) {
                const uint32_t n = pick(4);
                for (uint32_t i = 0; i < n; ++i) e.set.push_back(value());
            }
            return e;
        }
        if (k < leaf_kinds + 2) {
            e.kind = Expr::not_;
            e.kids.push_back(expr(depth - 1));
            return e;
        }
        e.kind = k < leaf_kinds + 4 ? Expr::and_ : Expr::or_;
        const uint32_t n = 2 + pick(3);
        for (uint32_t i = 0; i < n; ++i) e.kids.push_back(expr(depth - 1));
        return e;
    }

    static bool eval(const Expr& e, const Labels& l) {
        const std::string* v = l.find(e.key);
        switch (e.kind) {
        case Expr::all:
        case Expr::global: return true;
        case Expr::has: return v != nullptr;
        case Expr::eq: return v != nullptr && *v == e.value;
        case Expr::ne: return v == nullptr || *v != e.value;
        case Expr::contains: return v != nullptr && v->find(e.value) != std::string::npos;
        case Expr::starts: return v != nullptr && v->compare(0, e.value.size(), e.value) == 0;
        case Expr::ends:
            return v != nullptr && v->size() >= e.value.size() &&
                   v->compare(v->size() - e.value.size(), e.value.size(), e.value) == 0;
        case Expr::in:
        case Expr::not_in: {
            bool member = false;
            for (const auto& s : e.set) member = member || (v != nullptr && *v == s);
            return e.kind == Expr::in ? member : !member;
        }
        case Expr::not_: return !eval(e.kids[0], l);
        case Expr::and_:
            for (const auto& k : e.kids) {
                if (!eval(k, l)) return false;
            }
            return true;
        case Expr::or_:
            for (const auto& k : e.kids) {
                if (eval(k, l)) return true;
            }
            return false;
        }
        return false;
    }

    // Context: 0 = operand of ||, or the top; 1 = operand of &&; 2 = operand of '!'.
    std::string text(const Expr& e, int ctx) {
        std::string t = raw(e, ctx);
        if (chance(8)) t = "(" + blanks() + t + blanks() + ")";
        return t;
    }

    std::string blanks() {
        static const char* choices[] = {"", "", "", " ", "  ", "\t", " \t"};
        return choices[pick(7)];
    }
    std::string sep() {  // at least one blank, where a word boundary is needed
        static const char* choices[] = {" ", " ", "\t", "  "};
        return choices[pick(4)];
    }
    std::string quoted(const std::string& v) {
        char q = chance(2) ? '"' : '\'';
        if (v.find('"') != std::string::npos) q = '\'';
        if (v.find('\'') != std::string::npos) q = '"';
        return q + v + q;
    }
    std::string op_word(const char* first, const char* second) {
        return chance(3) ? std::string(first) + second
                         : std::string(first) + sep() + second;
    }

    Labels labels() {
        Labels l;
        static const std::vector<std::string> keys = {"a", "b", "c", "x.y/z", "in", "-k_1", "has"};
        for (const auto& k : keys) {
            if (chance(2)) l.set(k, value());
        }
        return l;
    }

private:
    std::string raw(const Expr& e, int ctx) {
        const std::string b = blanks();
        switch (e.kind) {
        case Expr::all: return "all(" + blanks() + ")";
        case Expr::global: return "global(" + blanks() + ")";
        case Expr::has: return "has(" + blanks() + e.key + blanks() + ")";
        case Expr::eq: return e.key + b + "==" + blanks() + quoted(e.value);
        case Expr::ne: return e.key + b + "!=" + blanks() + quoted(e.value);
        case Expr::contains: return e.key + sep() + "contains" + blanks() + quoted(e.value);
        case Expr::starts: return e.key + sep() + op_word("starts", "with") + blanks() + quoted(e.value);
        case Expr::ends: return e.key + sep() + op_word("ends", "with") + blanks() + quoted(e.value);
        case Expr::in:
        case Expr::not_in: {
            std::string t = e.key + sep() + (e.kind == Expr::in ? "in" : op_word("not", "in")) + b + "{";
            for (size_t i = 0; i < e.set.size(); ++i) {
                if (i > 0) t += blanks() + "," + blanks();
                t += quoted(e.set[i]);
            }
            if (!e.set.empty() && chance(4)) t += ",";  // trailing comma
            return t + blanks() + "}";
        }
        case Expr::not_: {
            // An odd number of '!' is one negation.
            std::string bangs = chance(4) ? "!!!" : "!";
            return bangs + blanks() + text(e.kids[0], 2);
        }
        case Expr::and_:
        case Expr::or_: {
            const bool is_and = e.kind == Expr::and_;
            std::string t;
            for (size_t i = 0; i < e.kids.size(); ++i) {
                if (i > 0) t += blanks() + (is_and ? "&&" : "||") + blanks();
                t += text(e.kids[i], is_and ? 1 : 0);
            }
            // Precedence: an || group under && or '!', and an && group under '!', need parentheses.
            const bool need = is_and ? ctx >= 2 : ctx >= 1;
            return need ? "(" + t + ")" : t;
        }
        }
        return "";
    }

    std::mt19937_64 rng_;
};

TEST(Selector, PropertyRoundTripAndReferenceSemantics) {
    Generator g(20240611);
    int checked = 0;
    for (int i = 0; i < 4000; ++i) {
        const Generator::Expr e = g.expr(static_cast<int>(g.pick(5)));
        const std::string text = g.blanks() + g.text(e, 0) + g.blanks();
        Diagnostics diags;
        const auto sel = Selector::parse(text, diags);
        ASSERT_TRUE(sel) << "[" << text << "]: " << diags.format();
        const auto again = parse_ok(sel->to_string());
        ASSERT_TRUE(again) << "[" << text << "] -> [" << sel->to_string() << "]";
        ASSERT_EQ(again->to_string(), sel->to_string()) << "[" << text << "]";
        ASSERT_EQ(again->hash(), sel->hash());
        for (int j = 0; j < 8; ++j) {
            const Labels l = g.labels();
            const bool want = Generator::eval(e, l);
            ASSERT_EQ(sel->matches(l), want)
                << "[" << text << "] = [" << sel->to_string() << "] on {" << l.format() << "}";
            ASSERT_EQ(again->matches(l), want) << "[" << sel->to_string() << "]";
            ++checked;
        }
    }
    EXPECT_EQ(checked, 32000);
}

// Truncating a valid selector anywhere must give either a valid selector or one error, never a
// crash; cheap coverage of the error paths in every position.
TEST(Selector, PrefixesOfValidSelectorsParseOrFailCleanly) {
    Generator g(7);
    for (int i = 0; i < 300; ++i) {
        const std::string text = g.text(g.expr(3), 0);
        for (size_t n = 0; n <= text.size(); ++n) {
            Diagnostics diags;
            const auto sel = Selector::parse(std::string_view(text).substr(0, n), diags);
            EXPECT_EQ(sel.has_value(), diags.empty()) << "[" << text.substr(0, n) << "]";
            if (!sel) {
                EXPECT_EQ(diags.error_count(), 1u);
            }
        }
    }
}

}  // namespace
}  // namespace hepd
