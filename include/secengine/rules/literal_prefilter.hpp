#pragma once
/// \file The literal prefilter (format version 4): a hashed-gram filter over many positions at
/// once, then exact verification of the literals that start at a passing position.
///
/// The automaton walk (evaluate.hpp detail::prefilter) advances one dependent state load per
/// byte. Hyperscan's literal matchers (Teddy and FDR, Wang et al., "Hyperscan: a fast
/// multi-pattern regex matcher for modern CPUs", NSDI 2019, section 4) instead test many
/// positions with independent operations on a short prefix of every literal and only then
/// confirm candidates against the literals themselves. This is the plainest form of that idea
/// that runs unchanged on RV64 and vectorises on x86:
///  - every literal of >= 4 bytes is keyed by its first 4 case-folded bytes (a "super
///    character", FDR's term); the key hashed to `filter_log2` bits sets one bit of a filter
///    bitmap (a one-hash Bloom filter, sized by the compiler, 64 bits per literal: ~1/64 of random positions
///    pass);
///  - the scan folds 8 payload bytes at a time with SWAR arithmetic (no table), derives the four
///    4-byte keys of positions i..i+3 from that one word, and tests their bits (4 independent
///    loads); the AVX2 path does 32 positions per step with a gather (same table);
///  - a passing position hashes the key again into a bucket of a CSR index (heads) over the
///    literal records and compares each record's 4-byte prefix, then its remaining bytes;
///  - literals of 1-3 bytes (rare: the compiler prefers the longest content) are checked by a
///    second pass with a 256-bit first-byte bitmap and a short sorted list.
/// Every occurrence of every literal is reported once per rule that owns it, exactly the
/// multiset of outputs the case-folded Aho-Corasick walk produces (tests/rules/test_literal.cpp
/// checks that against the walk and a naive search), so the candidate set and the scratch
/// overflow point do not change.
///
/// For small sets the AVX2 path first applies Teddy's filter (Hyperscan, src/fdr/teddy.c; the
/// NSDI paper's section 4.2): the literals split into 8 buckets, and for each of the key's first
/// 3 bytes two 16-entry tables (low and high nibble) give the buckets with such a byte there;
/// two pshufb and an AND per byte test 32 positions without a memory gather.
///
/// Where the CPU has AVX-512 VBMI and GFNI, a third SIMD filter replaces both for sets of up
/// to about a thousand literals (FDR's regime, where Teddy's nibble masks pass almost every
/// position of text and the gather costs ~1.5 cycles a position): a byte-sliced Bloom filter
/// ("slices", format version 5). Each of 2-9 GF(2)-linear hashes maps the folded 4-byte key to
/// one byte per position (4 gf2p8affineqb, one per key byte, XORed: 64 positions an instruction);
/// one hash picks a bit 0..7, each of the others a byte of its own 256-byte table (two vpermi2b
/// and a blend on the hash's top bit), and
/// a position passes when that bit is set in every table. It is FDR's idea - a hashed domain
/// indexing bucket masks, the bucket a bit of the mask (Hyperscan src/fdr/fdr.c, NSDI 2019
/// section 4.1) - with the shift-or over offsets replaced by independent hashes of one 4-byte
/// key, so the exact confirmation below stays the same for every path.
///
/// Layout at the table's offset L (u32 words, all offsets from the image start):
///     lw::count, filter_log2 k, filter (2^k bits), bucket_log2 b, heads (2^b + 1 words),
///     records (count x lw::r_words), long_count, short_bits (32 bytes or none32), pool, pool_len,
///     teddy (lw::teddy_bytes or none32), slices (version >= 5 only; none32 or an 8-aligned
///     offset S: u32 tables t in 1..lw::slices_max, u32 0, (t + 1) x 4 u64 matrices - hash j,
///     key byte k at S + 8 + 8 (4j + k), hash t the bit's - then t x 256 bytes of tables)
/// Records [0, long_count) are the >= 4-byte literals in bucket order; [long_count, count) the
/// 1-3 byte ones sorted by first byte. A record: prefix (the first min(4, len) folded bytes,
/// byte j at bits 8j, zero padded), len, data (offset of the len folded bytes), rule.
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include <secengine/rules/format.hpp>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SECENGINE_LITERAL_AVX2 1
#endif

namespace secengine::rules {

namespace lw {
inline constexpr std::size_t count = 0, filter_log2 = 1, filter = 2, bucket_log2 = 3, heads = 4, records = 5,
                             long_count = 6, short_bits = 7, pool = 8, pool_len = 9, teddy = 10, slices = 11;
/// Header words of a table: version 4 images have no slices word.
[[nodiscard]] constexpr std::size_t words(std::uint32_t version) noexcept { return version >= 5 ? 12 : 11; }
/// Byte-sliced filter: at most 8 table hashes (the compiler adds tables until about 1 position
/// in 256 passes, and writes none when 8 pass more than 1 in 32: then the gather is cheaper).
inline constexpr std::uint32_t slices_max = 8;
inline constexpr std::size_t slice_table_bytes = 256;
[[nodiscard]] constexpr std::size_t slices_bytes(std::uint32_t tables) noexcept {
    return 8 + 32 * (std::size_t{tables} + 1) + slice_table_bytes * tables;
}
/// Teddy masks (none32: absent; written for small sets, <= teddy_max_literals long literals):
/// for key byte j = 0..2, 16 bytes indexed by its low nibble then 16 by its high nibble, each a
/// bit set of the 8 buckets whose literals have such a nibble there.
inline constexpr std::size_t teddy_bytes = 3 * 32;
inline constexpr std::uint32_t teddy_max_literals = 64;
inline constexpr std::size_t r_prefix = 0, r_len = 1, r_data = 2, r_rule = 3, r_words = 4;
inline constexpr std::uint32_t filter_log2_min = 6, filter_log2_max = 24, bucket_log2_min = 1, bucket_log2_max = 20;
inline constexpr std::uint32_t key_len = 4;  ///< bytes of a long literal's key; shorter ones go to the short pass
inline constexpr std::size_t short_bits_bytes = 32;
/// Multiplicative (Fibonacci) hashing, Knuth TAOCP vol. 3, 6.4: the top bits of key * 2^32/phi.
inline constexpr std::uint32_t hash_mul = 0x9E3779B1u;
[[nodiscard]] constexpr std::uint32_t hash(std::uint32_t key, std::uint32_t log2) noexcept {
    return static_cast<std::uint32_t>(key * hash_mul) >> (32 - log2);
}
}  // namespace lw

/// Which scan implementation literal_scan uses: `simd` is the AVX2 path (Teddy or the gather),
/// `simd512` the byte-sliced filter (AVX-512 VBMI + GFNI; `simd` when the CPU or the table lacks
/// it); `automatic` picks the fastest the CPU and the table have.
enum class literal_path : std::uint8_t { automatic, scalar, simd, simd512 };

namespace detail {

[[nodiscard]] constexpr std::uint32_t lit_u32(const std::byte* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 | static_cast<std::uint32_t>(p[2]) << 16 |
           static_cast<std::uint32_t>(p[3]) << 24;
}
[[nodiscard]] constexpr std::uint64_t lit_u64(const std::byte* p) noexcept {
    if (!std::is_constant_evaluated()) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        std::uint64_t v;
        __builtin_memcpy(&v, p, 8);
        return v;
#endif
    }
    return std::uint64_t{lit_u32(p)} | std::uint64_t{lit_u32(p + 4)} << 32;
}

/// ASCII case fold of every byte of a word at once: bytes 'A'..'Z' get bit 5. Per byte,
/// (b & 0x7F) + 0x3F reaches bit 7 iff b & 0x7F >= 'A', (b & 0x7F) + 0x25 iff it is > 'Z';
/// neither sum carries into the next byte. Bytes >= 0x80 stay as they are (like fold()).
template <class W>
[[nodiscard]] constexpr W fold_word(W w) noexcept {
    constexpr W ones = static_cast<W>(~W{0}) / 0xFF;  // 0x0101...
    const W low = w & static_cast<W>(ones * 0x7F);
    const W ge_a = low + static_cast<W>(ones * 0x3F);
    const W gt_z = low + static_cast<W>(ones * 0x25);
    const W upper = ge_a & ~gt_z & ~w & static_cast<W>(ones * 0x80);
    return w | (upper >> 2);
}

[[nodiscard]] constexpr std::uint8_t lit_fold(std::uint8_t b) noexcept {
    return (b >= 'A' && b <= 'Z') ? static_cast<std::uint8_t>(b + 32) : b;
}

/// GF(2) affine map of one byte, gf2p8affineqb's definition (Intel SDM, GF2P8AFFINEQB): bit i of
/// the result is the parity of x AND byte 7 - i of the matrix.
[[nodiscard]] constexpr std::uint8_t gf2_affine(std::uint64_t matrix, std::uint8_t x) noexcept {
    unsigned r = 0;
    for (unsigned i = 0; i < 8; ++i) r |= static_cast<unsigned>(__builtin_parity(static_cast<unsigned>((matrix >> (8 * (7 - i))) & x))) << i;
    return static_cast<std::uint8_t>(r);
}

/// The table's words, read once per scan (the table was validated by db_view::open).
struct literal_table {
    const std::byte* img = nullptr;
    std::uint32_t count = 0, k = 0, filter = 0, b = 0, heads = 0, records = 0, long_count = 0, short_bits = 0, teddy = 0;
    std::uint32_t slices = none32;

    constexpr literal_table(const std::byte* image, std::uint32_t at) noexcept : img(image) {
        auto w = [&](std::size_t i) { return lit_u32(image + at + 4 * i); };
        count = w(lw::count);
        k = w(lw::filter_log2);
        filter = w(lw::filter);
        b = w(lw::bucket_log2);
        heads = w(lw::heads);
        records = w(lw::records);
        long_count = w(lw::long_count);
        short_bits = w(lw::short_bits);
        teddy = w(lw::teddy);
        if (lit_u32(image + hdr::version) >= 5) slices = w(lw::slices);
    }
    [[nodiscard]] constexpr std::uint32_t slice_tables() const noexcept { return lit_u32(img + slices); }
    [[nodiscard]] constexpr std::uint64_t slice_matrix(std::uint32_t j, std::uint32_t kb) const noexcept {
        return lit_u64(img + slices + 8 + 8 * (4 * std::size_t{j} + kb));
    }
    /// Hash j of a folded key (j = slice_tables(): the bit hash), the scalar twin of the SIMD step.
    [[nodiscard]] constexpr std::uint8_t slice_hash(std::uint32_t j, std::uint32_t key) const noexcept {
        std::uint8_t h = 0;
        for (std::uint32_t kb = 0; kb < 4; ++kb) h = static_cast<std::uint8_t>(h ^ gf2_affine(slice_matrix(j, kb), static_cast<std::uint8_t>(key >> (8 * kb))));
        return h;
    }
    /// Whether a key passes the byte-sliced filter (what the SIMD step computes per position).
    [[nodiscard]] constexpr bool slice_pass(std::uint32_t key) const noexcept {
        const std::uint32_t nt = slice_tables();
        const unsigned bit = slice_hash(nt, key) & 7u;
        for (std::uint32_t j = 0; j < nt; ++j) {
            const auto e = static_cast<unsigned>(img[slices + 8 + 32 * (std::size_t{nt} + 1) + lw::slice_table_bytes * j + slice_hash(j, key)]);
            if (((e >> bit) & 1u) == 0) return false;
        }
        return true;
    }
    [[nodiscard]] constexpr std::uint32_t rec(std::uint32_t r, std::size_t word) const noexcept {
        return lit_u32(img + records + (std::size_t{r} * lw::r_words + word) * 4);
    }
    [[nodiscard]] constexpr bool filter_bit(std::uint32_t h) const noexcept {
        return ((static_cast<unsigned>(img[filter + (h >> 3)]) >> (h & 7)) & 1u) != 0;
    }
};

/// Adds the rule of every long literal that occurs at d[i] (key = the folded 4 bytes there).
/// Returns false when `out` overflowed.
constexpr bool verify_long(const literal_table& t, const std::byte* d, std::size_t len, std::size_t i, std::uint32_t key,
                           std::span<std::uint32_t> out, std::size_t& n) noexcept {
    const std::uint32_t bucket = lw::hash(key, t.b);
    const std::uint32_t r1 = lit_u32(t.img + t.heads + 4 * (std::size_t{bucket} + 1));
    for (std::uint32_t r = lit_u32(t.img + t.heads + 4 * std::size_t{bucket}); r < r1; ++r) {
        if (t.rec(r, lw::r_prefix) != key) continue;
        const std::uint32_t l = t.rec(r, lw::r_len);
        if (l > len - i) continue;
        const std::byte* lit = t.img + t.rec(r, lw::r_data);
        std::uint32_t k = lw::key_len;
        while (k < l && lit_fold(static_cast<std::uint8_t>(d[i + k])) == static_cast<std::uint8_t>(lit[k])) ++k;
        if (k != l) continue;
        if (n >= out.size()) return false;
        out[n++] = t.rec(r, lw::r_rule);
    }
    return true;
}

/// The portable pass over the long literals: 4 positions per 8-byte load.
constexpr bool scan_long_scalar(const literal_table& t, const std::byte* d, std::size_t len, std::size_t i,
                                std::span<std::uint32_t> out, std::size_t& n) noexcept {
    if (len < lw::key_len) return true;
    for (; i + 8 <= len; i += 4) {
        const std::uint64_t w = fold_word(lit_u64(d + i));
        const auto k0 = static_cast<std::uint32_t>(w), k1 = static_cast<std::uint32_t>(w >> 8);
        const auto k2 = static_cast<std::uint32_t>(w >> 16), k3 = static_cast<std::uint32_t>(w >> 24);
        const bool p0 = t.filter_bit(lw::hash(k0, t.k)), p1 = t.filter_bit(lw::hash(k1, t.k));
        const bool p2 = t.filter_bit(lw::hash(k2, t.k)), p3 = t.filter_bit(lw::hash(k3, t.k));
        if (!(p0 | p1 | p2 | p3)) continue;  // the common case: no literal can start in i..i+3
        if (p0 && !verify_long(t, d, len, i, k0, out, n)) return false;
        if (p1 && !verify_long(t, d, len, i + 1, k1, out, n)) return false;
        if (p2 && !verify_long(t, d, len, i + 2, k2, out, n)) return false;
        if (p3 && !verify_long(t, d, len, i + 3, k3, out, n)) return false;
    }
    for (; i + lw::key_len <= len; ++i) {  // the last < 8 bytes: one key at a time
        const std::uint32_t key = fold_word(lit_u32(d + i));
        if (t.filter_bit(lw::hash(key, t.k)) && !verify_long(t, d, len, i, key, out, n)) return false;
    }
    return true;
}

#ifdef SECENGINE_LITERAL_AVX2
/// One AVX2 step over the 32 positions p[0..31] (reads p[0..34]): bit o of the result is set
/// when a long literal may start at p[o]. Four unaligned loads at p+0..p+3 hold, in their
/// 32-bit lanes, the keys of positions j+4l (load j, lane l); each lane is folded, hashed
/// (vpmulld) and its filter bit fetched with one gather.
__attribute__((target("avx2,bmi2"))) inline std::uint32_t step_gather(const literal_table& t, const std::byte* p) noexcept {
    const __m256i a1 = _mm256_set1_epi8('A' - 1), z1 = _mm256_set1_epi8('Z' + 1), case_bit = _mm256_set1_epi8(0x20);
    const __m256i mul = _mm256_set1_epi32(static_cast<int>(lw::hash_mul)), low5 = _mm256_set1_epi32(31), one = _mm256_set1_epi32(1);
    const __m128i shift = _mm_cvtsi32_si128(static_cast<int>(32 - t.k));
    const int* const filter = reinterpret_cast<const int*>(t.img + t.filter);
    std::uint32_t out = 0;
    for (unsigned j = 0; j < 4; ++j) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + j));
        const __m256i up = _mm256_and_si256(_mm256_cmpgt_epi8(v, a1), _mm256_cmpgt_epi8(z1, v));
        const __m256i key = _mm256_or_si256(v, _mm256_and_si256(up, case_bit));
        const __m256i h = _mm256_srl_epi32(_mm256_mullo_epi32(key, mul), shift);
        const __m256i word = _mm256_i32gather_epi32(filter, _mm256_srli_epi32(h, 5), 4);
        const __m256i bit = _mm256_and_si256(word, _mm256_sllv_epi32(one, _mm256_and_si256(h, low5)));
        const unsigned m = ~static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(bit, _mm256_setzero_si256())))) & 0xFFu;
        out |= _pdep_u32(m, 0x11111111u << j);  // lane l of load j is position j + 4l
    }
    return out;
}

/// The Teddy step over the same 32 positions (reads p[0..33]): per key byte j, the folded
/// bytes at p+j select bucket sets by low and by high nibble (pshufb); a position passes when
/// one bucket has all of its 3 bytes.
__attribute__((target("avx2,bmi2"))) inline std::uint32_t step_teddy(const literal_table& t, const std::byte* p) noexcept {
    const __m256i a1 = _mm256_set1_epi8('A' - 1), z1 = _mm256_set1_epi8('Z' + 1), case_bit = _mm256_set1_epi8(0x20);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i acc = _mm256_set1_epi8(-1);
    for (unsigned j = 0; j < 3; ++j) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + j));
        const __m256i up = _mm256_and_si256(_mm256_cmpgt_epi8(v, a1), _mm256_cmpgt_epi8(z1, v));
        const __m256i f = _mm256_or_si256(v, _mm256_and_si256(up, case_bit));
        const __m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.img + t.teddy + 32 * j)));
        const __m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.img + t.teddy + 32 * j + 16)));
        const __m256i lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(f, nibble));
        const __m256i hi = _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(f, 4), nibble));
        acc = _mm256_and_si256(acc, _mm256_and_si256(lo, hi));
    }
    return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, _mm256_setzero_si256())));
}

/// The AVX2 pass: 32 positions per step (Teddy for small sets, else the gathered filter), the
/// last < 35 bytes copied into a zero-padded block so short buffers (HTTP methods, hosts) take
/// the same path; positions past len - 4 are masked off.
__attribute__((target("avx2,bmi2"))) inline bool scan_long_avx2(const literal_table& t, const std::byte* d, std::size_t len,
                                                           std::span<std::uint32_t> out, std::size_t& n) noexcept {
    const bool teddy = t.teddy != 0xFFFFFFFFu;
    auto verify = [&](std::uint32_t m, std::size_t i) {
        for (; m != 0; m &= m - 1) {
            const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(m));
            if (!verify_long(t, d, len, at, fold_word(lit_u32(d + at)), out, n)) return false;
        }
        return true;
    };
    std::size_t i = 0;
    for (; i + 35 <= len; i += 32) {
        const std::uint32_t m = teddy ? step_teddy(t, d + i) : step_gather(t, d + i);
        if (m != 0 && !verify(m, i)) return false;
    }
    if (i + lw::key_len > len) return true;
    alignas(32) std::byte pad[64] = {};
    __builtin_memcpy(pad, d + i, len - i);  // len - i <= 34
    const std::uint32_t live = (1u << (len - i - 3)) - 1;  // positions i .. len - 4
    const std::uint32_t m = (teddy ? step_teddy(t, pad) : step_gather(t, pad)) & live;
    return m == 0 || verify(m, i);
}

#define SECENGINE_SLICES_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,gfni")))
/// The hash whose 4 matrices are at mj, of the 64 positions whose folded key bytes are v[0..3].
SECENGINE_SLICES_TARGET inline __m512i slice_hash512(const std::byte* mj, const __m512i* v) noexcept {
    __m512i h = _mm512_gf2p8affine_epi64_epi8(v[0], _mm512_set1_epi64(static_cast<long long>(lit_u64(mj))), 0);
    for (unsigned kb = 1; kb < 4; ++kb)
        h = _mm512_xor_si512(h, _mm512_gf2p8affine_epi64_epi8(v[kb], _mm512_set1_epi64(static_cast<long long>(lit_u64(mj + 8 * kb))), 0));
    return h;
}

/// One byte-sliced step over the 64 positions p[0..63] (reads p[0..66]): bit o of the result is
/// set when a long literal may start at p[o]. The four loads at p+0..p+3 are key bytes 0..3 of
/// every position, folded with a byte mask; each hash is 4 affine maps XORed.
SECENGINE_SLICES_TARGET inline std::uint64_t step_slices(const literal_table& t, const std::byte* p) noexcept {
    const __m512i a = _mm512_set1_epi8('A'), letters = _mm512_set1_epi8(26), case_bit = _mm512_set1_epi8(0x20);
    __m512i v[4];
    for (unsigned kb = 0; kb < 4; ++kb) {
        const __m512i x = _mm512_loadu_si512(p + kb);
        v[kb] = _mm512_mask_add_epi8(x, _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, a), letters), x, case_bit);
    }
    const std::uint32_t nt = t.slice_tables();
    const std::byte* const m = t.img + t.slices + 8;
    const std::byte* const tables = m + 32 * (std::size_t{nt} + 1);
    // pshufb's table: byte i of every 8 is 1 << i.
    const __m512i pow2 = _mm512_set1_epi64(static_cast<long long>(0x8040201008040201ull));
    __m512i acc = _mm512_shuffle_epi8(pow2, _mm512_and_si512(slice_hash512(m + 32 * std::size_t{nt}, v), _mm512_set1_epi8(7)));
    for (std::uint32_t j = 0; j < nt; ++j) {
        const std::byte* tj = tables + lw::slice_table_bytes * j;
        const __m512i h = slice_hash512(m + 32 * std::size_t{j}, v);
        const __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(tj), h, _mm512_loadu_si512(tj + 64));  // index bits 0..6
        const __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(tj + 128), h, _mm512_loadu_si512(tj + 192));
        acc = _mm512_and_si512(acc, _mm512_mask_blend_epi8(_mm512_movepi8_mask(h), lo, hi));  // bit 7 picks the half
    }
    return _mm512_test_epi8_mask(acc, acc);
}

/// The byte-sliced pass: 64 positions per step, the last < 67 bytes in a zero-padded block
/// (positions past len - 4 masked off), like scan_long_avx2.
SECENGINE_SLICES_TARGET inline bool scan_long_slices(const literal_table& t, const std::byte* d, std::size_t len, std::span<std::uint32_t> out,
                                                     std::size_t& n) noexcept {
    auto verify = [&](std::uint64_t m, std::size_t i) {
        for (; m != 0; m &= m - 1) {
            const std::size_t at = i + static_cast<std::size_t>(__builtin_ctzll(m));
            if (!verify_long(t, d, len, at, fold_word(lit_u32(d + at)), out, n)) return false;
        }
        return true;
    };
    std::size_t i = 0;
    for (; i + 67 <= len; i += 64) {
        const std::uint64_t m = step_slices(t, d + i);
        if (m != 0 && !verify(m, i)) return false;
    }
    if (i + lw::key_len > len) return true;
    alignas(64) std::byte pad[128] = {};
    __builtin_memcpy(pad, d + i, len - i);  // len - i <= 66
    const std::uint64_t live = (std::uint64_t{1} << (len - i - 3)) - 1;  // positions i .. len - 4
    const std::uint64_t m = step_slices(t, pad) & live;
    return m == 0 || verify(m, i);
}
#undef SECENGINE_SLICES_TARGET
#endif

/// The pass over the 1-3 byte literals (records [long_count, count), sorted by first byte).
constexpr bool scan_short(const literal_table& t, const std::byte* d, std::size_t len, std::span<std::uint32_t> out,
                          std::size_t& n) noexcept {
    const std::byte* const bits = t.img + t.short_bits;
    for (std::size_t i = 0; i < len; ++i) {
        const std::uint8_t c = lit_fold(static_cast<std::uint8_t>(d[i]));
        if (((static_cast<unsigned>(bits[c >> 3]) >> (c & 7)) & 1u) == 0) continue;
        for (std::uint32_t r = t.long_count; r < t.count; ++r) {
            const std::uint32_t prefix = t.rec(r, lw::r_prefix);
            if ((prefix & 0xFF) != c) {
                if ((prefix & 0xFF) > c) break;
                continue;
            }
            const std::uint32_t l = t.rec(r, lw::r_len);
            if (l > len - i) continue;
            std::uint32_t k = 1;
            while (k < l && lit_fold(static_cast<std::uint8_t>(d[i + k])) == ((prefix >> (8 * k)) & 0xFF)) ++k;
            if (k != l) continue;
            if (n >= out.size()) return false;
            out[n++] = t.rec(r, lw::r_rule);
        }
    }
    return true;
}

}  // namespace detail

/// Whether this build and CPU can run `literal_path::simd` (AVX2 and BMI2's pdep).
[[nodiscard]] inline bool literal_simd_available() noexcept {
#ifdef SECENGINE_LITERAL_AVX2
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
}

/// Whether this build and CPU can run `literal_path::simd512` (AVX-512 F/BW/VBMI and GFNI).
/// Switched off: fuzz_rules_engine found an input (two rules, `content:"lasstype"; distance:4`
/// and a mangled http rule) where the byte-sliced scan's alerts differ from the automaton walk's;
/// until that is found and fixed, every scan takes the AVX2 / portable paths (docs/rules.md).
inline constexpr bool literal_simd512_enabled = false;
[[nodiscard]] inline bool literal_simd512_available() noexcept {
#ifdef SECENGINE_LITERAL_AVX2
    return literal_simd512_enabled && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
           __builtin_cpu_supports("gfni");
#else
    return false;
#endif
}

/// Scans `data` with the literal table at `at` of a validated image, appending the rule of
/// every literal occurrence to out[n...]; sets `overflow` (and stops) when out is full.
constexpr void literal_scan(std::span<const std::byte> image, std::uint32_t at, std::span<const std::byte> data,
                            std::span<std::uint32_t> out, std::size_t& n, bool& overflow,
                            literal_path path = literal_path::automatic) noexcept {
    const detail::literal_table t(image.data(), at);
    const std::byte* const d = data.data();
    const std::size_t len = data.size();
    bool ok = true;
    if (t.long_count != 0) {
        bool simd = false, wide = false;
        if (!std::is_constant_evaluated()) {
            wide = (path == literal_path::simd512 || path == literal_path::automatic) && t.slices != none32 && literal_simd512_available();
            simd = path != literal_path::scalar && literal_simd_available();
        }
#ifdef SECENGINE_LITERAL_AVX2
        if (wide) ok = detail::scan_long_slices(t, d, len, out, n);
        else if (simd) ok = detail::scan_long_avx2(t, d, len, out, n);
        else ok = detail::scan_long_scalar(t, d, len, 0, out, n);
#else
        (void)simd;
        (void)wide;
        ok = detail::scan_long_scalar(t, d, len, 0, out, n);
#endif
    }
    if (ok && t.count > t.long_count) ok = detail::scan_short(t, d, len, out, n);
    if (!ok) overflow = true;
}

/// Validates the literal table at `at` inside `img` (called by db_view::open): every offset and
/// count inside the image, the CSR index monotone and complete, each long record in its hash
/// bucket with its filter bit set, each short record's first-byte bit set and in order, every
/// rule index below `nrules`. A table that passes can be scanned without bounds checks.
[[nodiscard]] constexpr bool literal_table_ok(std::span<const std::byte> img, std::uint32_t at, std::uint64_t nrules) noexcept {
    const std::size_t size = img.size();
    auto in = [&](std::uint64_t off, std::uint64_t n) { return off <= size && size - off >= n; };
    if (size < hdr::size) return false;
    const std::uint32_t version = detail::lit_u32(img.data() + hdr::version);
    if (at % 4 != 0 || !in(at, lw::words(version) * 4)) return false;
    const detail::literal_table t(img.data(), at);
    const std::uint32_t pool = detail::lit_u32(img.data() + at + 4 * lw::pool), pool_len = detail::lit_u32(img.data() + at + 4 * lw::pool_len);
    if (t.k < lw::filter_log2_min || t.k > lw::filter_log2_max || t.b < lw::bucket_log2_min || t.b > lw::bucket_log2_max) return false;
    if (t.count > size / (lw::r_words * 4) || t.long_count > t.count) return false;
    if (!in(t.filter, std::uint64_t{1} << (t.k - 3)) || t.filter % 4 != 0) return false;  // the gather reads whole words
    const std::uint64_t nheads = (std::uint64_t{1} << t.b) + 1;
    if (!in(t.heads, nheads * 4) || t.heads % 4 != 0) return false;
    if (!in(t.records, std::uint64_t{t.count} * lw::r_words * 4) || t.records % 4 != 0) return false;
    if (!in(pool, pool_len)) return false;
    if (t.count > t.long_count && (t.short_bits == 0xFFFFFFFFu || !in(t.short_bits, lw::short_bits_bytes))) return false;
    if (t.teddy != 0xFFFFFFFFu && !in(t.teddy, lw::teddy_bytes)) return false;
    if (t.slices != none32) {
        if (t.slices % 8 != 0 || !in(t.slices, 8)) return false;
        const std::uint32_t nt = t.slice_tables();
        if (nt == 0 || nt > lw::slices_max || !in(t.slices, lw::slices_bytes(nt))) return false;
    }
    auto head = [&](std::uint64_t h) { return detail::lit_u32(img.data() + t.heads + 4 * h); };
    if (head(0) != 0 || head(nheads - 1) != t.long_count) return false;
    for (std::uint64_t h = 0; h + 1 < nheads; ++h) {
        const std::uint32_t r0 = head(h), r1 = head(h + 1);
        if (r1 < r0 || r1 > t.long_count) return false;
        for (std::uint32_t r = r0; r < r1; ++r) {
            const std::uint32_t key = t.rec(r, lw::r_prefix);
            if (lw::hash(key, t.b) != h || !t.filter_bit(lw::hash(key, t.k))) return false;
            // The Teddy masks must pass every literal's key (else the SIMD path would miss it).
            if (t.teddy != 0xFFFFFFFFu) {
                unsigned buckets = 0xFF;
                for (unsigned j = 0; j < 3; ++j) {
                    const unsigned c = (key >> (8 * j)) & 0xFF;
                    buckets &= static_cast<unsigned>(img[t.teddy + 32 * j + (c & 15)]) & static_cast<unsigned>(img[t.teddy + 32 * j + 16 + (c >> 4)]);
                }
                if (buckets == 0) return false;
            }
            if (t.slices != none32 && !t.slice_pass(key)) return false;  // likewise the byte-sliced filter
        }
    }
    std::uint32_t prev_first = 0;
    for (std::uint32_t r = 0; r < t.count; ++r) {
        const std::uint32_t l = t.rec(r, lw::r_len), data = t.rec(r, lw::r_data), key = t.rec(r, lw::r_prefix);
        if (t.rec(r, lw::r_rule) >= nrules) return false;
        if (data < pool || !in(data, l) || data - pool > pool_len || pool_len - (data - pool) < l) return false;
        if (l == 0) return false;
        // The prefix word must be the literal's own first bytes: the scan compares only the rest.
        std::uint32_t expect = 0;
        for (std::uint32_t k = 0; k < l && k < lw::key_len; ++k) expect |= static_cast<std::uint32_t>(img[data + k]) << (8 * k);
        if (key != expect) return false;
        if (r < t.long_count) {
            if (l < lw::key_len) return false;
        } else {
            if (l >= lw::key_len) return false;
            const std::uint32_t c = key & 0xFF;
            if (c < prev_first || ((static_cast<unsigned>(img[t.short_bits + (c >> 3)]) >> (c & 7)) & 1u) == 0) return false;
            prev_first = c;
        }
    }
    return true;
}

/// Bytes the literal table at `at` occupies (header, filter, heads, records, pool): the figure
/// bench_prefilter sets against Hyperscan's database. The table must be valid.
[[nodiscard]] constexpr std::size_t literal_table_bytes(std::span<const std::byte> img, std::uint32_t at) noexcept {
    const detail::literal_table t(img.data(), at);
    const std::size_t pool_len = detail::lit_u32(img.data() + at + 4 * lw::pool_len);
    const std::size_t slices = t.slices != none32 ? lw::slices_bytes(t.slice_tables()) : 0;
    return lw::words(detail::lit_u32(img.data() + hdr::version)) * 4 + slices + (t.teddy != 0xFFFFFFFFu ? lw::teddy_bytes : 0) + (std::size_t{1} << (t.k - 3)) + ((std::size_t{1} << t.b) + 1) * 4 + std::size_t{t.count} * lw::r_words * 4 +
           pool_len + (t.count > t.long_count ? lw::short_bits_bytes : 0);
}

}  // namespace secengine::rules
