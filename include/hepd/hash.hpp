// SPDX-License-Identifier: GPL-2.0-or-later
// Hashes that must never change between builds, hosts or versions: SHA-256 (FIPS 180-4), and two
// values derived from it.
//
// - stable_hash64: identity of a canonical text (a selector, a rule) inside hepd, e.g. to find
//   equal selectors. It is the first 8 digest bytes read big-endian, so it can be checked with
//   `printf %s TEXT | sha256sum | cut -c1-16`.
// - hash_name: characters for kernel-visible names (ipsets, chains) derived from user text. It is
//   the digest in lowercase base32 (RFC 4648 alphabet a-z2-7, no padding): only characters that
//   iptables and ipset accept in names, 5 bits per character.
//
// Nothing here is for secrets; SHA-256 is used because it is specified to the bit and its test
// vectors are public, not for its cryptographic strength.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hepd {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental SHA-256. update() any number of times, then finish() once.
class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // Pads and returns the digest. The object must not be updated afterwards.
    Sha256Digest finish();

private:
    void compress(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buf_{};
    size_t buf_len_ = 0;
    uint64_t total_len_ = 0;  // bytes
};

Sha256Digest sha256(std::string_view data);

// 64 lowercase hex digits.
std::string to_hex(const Sha256Digest& d);

// First 8 bytes of SHA-256(text), big-endian.
uint64_t stable_hash64(std::string_view text);

// The first n characters of the lowercase base32 encoding of SHA-256(text). A digest has 52 base32
// characters (256 bits); n is clamped to that.
inline constexpr size_t hash_name_max = 52;
std::string hash_name(std::string_view text, size_t n);

}  // namespace hepd
