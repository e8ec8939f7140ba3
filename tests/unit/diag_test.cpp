// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "hepd/diag.hpp"
#include "hepd/labels.hpp"
#include "hepd/result.hpp"

namespace hepd {
namespace {

TEST(Diagnostics, FormatsLikeACompiler) {
    struct Case {
        Location where;
        Severity sev;
        const char* msg;
        const char* want;
    } cases[] = {
        {{"a.yaml", 14, 7}, Severity::error, "bad", "a.yaml:14:7: error: bad"},
        {{"a.yaml", 14, 0}, Severity::warning, "meh", "a.yaml:14: warning: meh"},
        {{"a.yaml", 0, 0}, Severity::note, "fyi", "a.yaml: note: fyi"},
        {{"", 1, 2}, Severity::error, "x", "<input>:1:2: error: x"},
        {{"selector", 1, 14}, Severity::error, "expected a quoted value after '=='",
         "selector:1:14: error: expected a quoted value after '=='"},
    };
    for (const auto& c : cases) {
        Diagnostic d{c.sev, c.where, c.msg};
        EXPECT_EQ(d.format(), c.want);
    }
}

TEST(Diagnostics, CountsAndSorts) {
    Diagnostics d;
    d.error({"b", 2, 1}, "e1");
    d.warning({"a", 9, 1}, "w1");
    d.error({"a", 3, 4}, "e2");
    EXPECT_TRUE(d.has_errors());
    EXPECT_EQ(d.error_count(), 2u);
    EXPECT_EQ(d.warning_count(), 1u);
    d.sort();
    EXPECT_EQ(d.format(), "a:3:4: error: e2\na:9:1: warning: w1\nb:2:1: error: e1\n");
}

TEST(Diagnostics, CapsTheReportButKeepsCounting) {
    Diagnostics d;
    for (size_t i = 0; i < Diagnostics::max_items + 5; ++i) d.error({"f", 1, 1}, "x");
    EXPECT_EQ(d.items().size(), Diagnostics::max_items);
    EXPECT_EQ(d.error_count(), Diagnostics::max_items + 5);
    EXPECT_NE(d.format().find("5 more diagnostics not shown"), std::string::npos);
    Diagnostics e;
    e.merge(d);
    EXPECT_EQ(e.error_count(), Diagnostics::max_items + 5);
}

TEST(Result, CarriesValueOrError) {
    Result<int> good(42);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 42);
    Result<int> bad(sys_error("open(/x)", 2));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "open(/x): No such file or directory (errno 2)");
    Result<void> v;
    EXPECT_TRUE(v.ok());
    Result<void> w(sys_error("ipset add", 0, "it's already added"));
    EXPECT_EQ(w.error().message(), "ipset add: it's already added");
}

TEST(Labels, SortedMapWithLookup) {
    Labels l{{"b", "2"}, {"a", "1"}};
    l.set("c", "3");
    l.set("a", "9");
    l.set_default("a", "ignored");
    l.set_default("d", "4");
    EXPECT_EQ(l.format(), "a=9,b=2,c=3,d=4");
    ASSERT_NE(l.find("b"), nullptr);
    EXPECT_EQ(*l.find("b"), "2");
    EXPECT_EQ(l.find("zz"), nullptr);
    EXPECT_TRUE(l.erase("b"));
    EXPECT_FALSE(l.erase("b"));
    EXPECT_FALSE(l.has("b"));
}

TEST(Labels, KubernetesKeyRules) {
    struct Case {
        const char* key;
        bool valid;
    } cases[] = {
        {"a", true},
        {"role", true},
        {"k8s-worker", true},
        {"A.b_c-d", true},
        {"projectcalico.org/namespace", true},
        {"example.com/x", true},
        {"kubernetes.io/hostname", true},
        {"1", true},
        {"", false},
        {"-a", false},
        {"a-", false},
        {"_a", false},
        {"a b", false},
        {"/a", false},
        {"a/", false},
        {"Example.com/x", false},
        {"ex_ample.com/x", false},
        {"a/b/c", false},
        {"a..b/c", false},
        {"x@y", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},     // 63
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},   // 64
    };
    for (const auto& c : cases) {
        EXPECT_EQ(!check_label_key(c.key).has_value(), c.valid) << c.key;
    }
}

TEST(Labels, KubernetesValueRules) {
    struct Case {
        const char* value;
        bool valid;
    } cases[] = {
        {"", true},      {"a", true},   {"production", true}, {"1.2.3", true}, {"A_b-C", true},
        {"-a", false},   {"a-", false}, {"a b", false},       {"a/b", false},  {"é", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(!check_label_value(c.value).has_value(), c.valid) << c.value;
    }
}

TEST(Labels, Dns1123) {
    EXPECT_TRUE(is_dns1123_subdomain("my-host-eth0"));
    EXPECT_TRUE(is_dns1123_subdomain("a.b.c"));
    EXPECT_FALSE(is_dns1123_subdomain("A"));
    EXPECT_FALSE(is_dns1123_subdomain("a..b"));
    EXPECT_FALSE(is_dns1123_subdomain(".a"));
    EXPECT_FALSE(is_dns1123_subdomain("a_b"));
    EXPECT_FALSE(is_dns1123_subdomain(std::string(254, 'a')));
    EXPECT_TRUE(is_dns1123_subdomain(std::string(253, 'a')));
    EXPECT_TRUE(is_dns1123_label("eth0"));
    EXPECT_FALSE(is_dns1123_label("a.b"));
}

}  // namespace
}  // namespace hepd
