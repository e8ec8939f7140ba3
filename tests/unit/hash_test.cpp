// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "hepd/hash.hpp"

namespace hepd {
namespace {

// FIPS 180-2 appendix B and the NIST "SHA256ShortMsg"-style examples; the 896-bit message is the
// two-block example of FIPS 180-4's companion examples document.
TEST(Sha256, FipsVectors) {
    struct Case {
        std::string in;
        const char* want;
    } cases[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlm"
         "nopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (const auto& c : cases) EXPECT_EQ(to_hex(sha256(c.in)), c.want) << '"' << c.in << '"';
}

TEST(Sha256, MillionA) {
    const char* want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    EXPECT_EQ(to_hex(sha256(std::string(1000000, 'a'))), want);
    // The same message fed in uneven pieces exercises the buffering in update().
    Sha256 h;
    const std::string chunk(997, 'a');
    size_t left = 1000000;
    while (left > 0) {
        const size_t n = std::min(left, chunk.size());
        h.update(chunk.data(), n);
        left -= n;
    }
    EXPECT_EQ(to_hex(h.finish()), want);
}

// Every message length around the padding boundaries (55, 56, 63, 64 bytes and their neighbours),
// checked against one-shot hashing of the same bytes fed one at a time.
TEST(Sha256, IncrementalEqualsOneShot) {
    for (size_t len = 0; len <= 130; ++len) {
        std::string msg;
        for (size_t i = 0; i < len; ++i) msg += static_cast<char>('A' + i % 26);
        Sha256 h;
        for (char c : msg) h.update(&c, 1);
        EXPECT_EQ(h.finish(), sha256(msg)) << len;
    }
}

TEST(Sha256, PaddingBoundaries) {
    // Python hashlib for 'a' * n; lengths 55 and 56 straddle the one-block/two-block padding edge.
    EXPECT_EQ(to_hex(sha256(std::string(55, 'a'))),
              "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    EXPECT_EQ(to_hex(sha256(std::string(56, 'a'))),
              "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    EXPECT_EQ(to_hex(sha256(std::string(64, 'a'))),
              "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(StableHash64, FirstEightBytesBigEndian) {
    EXPECT_EQ(stable_hash64("abc"), 0xba7816bf8f01cfeaULL);
    EXPECT_EQ(stable_hash64(""), 0xe3b0c44298fc1c14ULL);
    EXPECT_EQ(stable_hash64("hepd"), 0x3b90842aab205e52ULL);
    EXPECT_EQ(stable_hash64("all()"), 0x25a8314c55fe6245ULL);
}

TEST(HashName, LowercaseBase32OfDigest) {
    // RFC 4648 base32 of the digest, lowercased, without padding.
    EXPECT_EQ(hash_name("abc", 52), "xj4bnp4pahh6uqkbidpf3lrceoyagyndsylxvhfucd7wd4qacwwq");
    EXPECT_EQ(hash_name("", 52), "4oymiquy7qobjgx36tejs35zeqt24qpemsnzgtfeswmrw6csxbkq");
    EXPECT_EQ(hash_name("hepd", 52), "hoiiikvlebpffgm7ouvzrgv75abtlx3o3f5h3unxvlzub63x257a");
    EXPECT_EQ(hash_name("abc", 10), "xj4bnp4pah");
    EXPECT_EQ(hash_name("abc", 0), "");
    EXPECT_EQ(hash_name("abc", 1000), hash_name("abc", 52));  // clamped
    for (size_t n = 0; n <= hash_name_max; ++n) {
        const std::string s = hash_name("selector", n);
        ASSERT_EQ(s.size(), n);
        for (char c : s) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << s;
        EXPECT_EQ(s, hash_name("selector", hash_name_max).substr(0, n));
    }
}

}  // namespace
}  // namespace hepd
