// SPDX-License-Identifier: GPL-2.0-or-later
// SHA-256 as specified in FIPS 180-4, sections 4.1.2 (functions), 4.2.2 (constants), 5.1.1
// (padding), 5.3.3 (initial value) and 6.2.2 (computation). Written for clarity; it hashes short
// canonical strings, never bulk data.
#include "hepd/hash.hpp"

#include <algorithm>
#include <cstring>

namespace hepd {

namespace {

// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
constexpr uint32_t k_round[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

constexpr uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }
constexpr uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (~x & z); }
constexpr uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (x & z) ^ (y & z); }
constexpr uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
constexpr uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
constexpr uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
constexpr uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

uint32_t load_be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

Sha256::Sha256()
    : state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::compress(const uint8_t* block) {
    uint32_t w[64];
    for (unsigned t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (unsigned t = 16; t < 64; ++t) {
        w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (unsigned t = 0; t < 64; ++t) {
        const uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + k_round[t] + w[t];
        const uint32_t t2 = big_sigma0(a) + maj(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void Sha256::update(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    total_len_ += len;
    if (buf_len_ > 0) {
        const size_t take = std::min(len, buf_.size() - buf_len_);
        std::memcpy(buf_.data() + buf_len_, p, take);
        buf_len_ += take;
        p += take;
        len -= take;
        if (buf_len_ < buf_.size()) return;
        compress(buf_.data());
        buf_len_ = 0;
    }
    while (len >= buf_.size()) {
        compress(p);
        p += buf_.size();
        len -= buf_.size();
    }
    if (len > 0) {
        std::memcpy(buf_.data(), p, len);
        buf_len_ = len;
    }
}

Sha256Digest Sha256::finish() {
    // Padding (5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then the message length in bits as a
    // 64-bit big-endian number.
    const uint64_t bits = total_len_ * 8;
    const uint8_t one = 0x80;
    update(&one, 1);
    const uint8_t zero = 0;
    while (buf_len_ != 56) update(&zero, 1);
    uint8_t len_be[8];
    for (unsigned i = 0; i < 8; ++i) len_be[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(len_be, sizeof len_be);

    Sha256Digest out;
    for (unsigned i = 0; i < 8; ++i) {
        out[4 * i + 0] = static_cast<uint8_t>(state_[i] >> 24);
        out[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
        out[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
        out[4 * i + 3] = static_cast<uint8_t>(state_[i]);
    }
    return out;
}

Sha256Digest sha256(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

std::string to_hex(const Sha256Digest& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * d.size());
    for (uint8_t b : d) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

uint64_t stable_hash64(std::string_view text) {
    const Sha256Digest d = sha256(text);
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v = (v << 8) | d[i];
    return v;
}

std::string hash_name(std::string_view text, size_t n) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    const Sha256Digest d = sha256(text);
    if (n > hash_name_max) n = hash_name_max;
    std::string out;
    out.reserve(n);
    // Read the digest as one big-endian bit string, 5 bits per character; the last character
    // takes the final 1 bit padded with zeros on the right, as RFC 4648 does.
    for (size_t i = 0; i < n; ++i) {
        const size_t bit = i * 5;
        const size_t byte = bit / 8;
        unsigned window = unsigned{d[byte]} << 8;
        if (byte + 1 < d.size()) window |= d[byte + 1];
        const unsigned shift = 16 - 5 - static_cast<unsigned>(bit % 8);
        out += alphabet[(window >> shift) & 0x1f];
    }
    return out;
}

}  // namespace hepd
