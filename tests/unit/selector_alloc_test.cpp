// SPDX-License-Identifier: GPL-2.0-or-later
// Selector::matches() must not allocate: it runs for every endpoint on every label change. This TU
// replaces the global operator new/delete with counting versions (they forward to malloc/free),
// which affects the whole test binary but changes nothing else about it.
//
// Under AddressSanitizer the sanitizer's own operator new must stay in place (a partial
// replacement confuses its new/delete pairing checks), so there the test is skipped; the plain
// unit test run covers it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "hepd/selector.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define HEPD_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEPD_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef HEPD_COUNT_ALLOCATIONS
#define HEPD_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<long> allocations{0};
}  // namespace

#if HEPD_COUNT_ALLOCATIONS
void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace hepd {
namespace {

TEST(SelectorAlloc, MatchesDoesNotAllocate) {
#if !HEPD_COUNT_ALLOCATIONS
    GTEST_SKIP() << "operator new is the sanitizer's in this build";
#else
    const char* selectors[] = {
        "role == 'k8s-worker' && environment in {'production','staging'} && !has(quarantine)",
        ("a != 'x' || b not in {'1', '2', '3'} || c contains 'ell' || d starts with 'he' || "
         "e ends with 'lo' || !(has(f) && all())"),
        "",
        "global() && !has(zzz)",
    };
    const Labels maps[] = {
        Labels{},
        Labels{{"role", "k8s-worker"}, {"environment", "staging"}, {"c", "hello"}},
        Labels{{"a", "x"}, {"b", "2"}, {"d", "nope"}, {"e", "hello"}, {"f", ""}},
    };
    for (const char* text : selectors) {
        Diagnostics diags;
        const auto sel = Selector::parse(text, diags);
        ASSERT_TRUE(sel) << text;
        int matched = 0;
        const long before = allocations.load();
        for (int i = 0; i < 1000; ++i) {
            for (const auto& l : maps) matched += sel->matches(l) ? 1 : 0;
        }
        const long after = allocations.load();
        EXPECT_EQ(after - before, 0) << text;
        EXPECT_GE(matched, 0);
    }
    // The counter works: parsing does allocate.
    const long before = allocations.load();
    Diagnostics diags;
    EXPECT_TRUE(Selector::parse("a == 'b'", diags));
    EXPECT_GT(allocations.load() - before, 0);
#endif
}

}  // namespace
}  // namespace hepd
