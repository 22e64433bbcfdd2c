// The literal prefilter (format v4/v5, secengine/rules/literal_prefilter.hpp): over random literal
// sets (1-12 bytes, short ones included, case variants, overlapping, shared) and random payloads
// with planted occurrences (also at the very end), its outputs are EXACTLY the automaton walk's
// (the same multiset of rule indices) and a naive search's, on the scalar path and each SIMD
// path (AVX2 Teddy or gather, AVX-512 byte slices), at every set size boundary of those filters;
// evaluate() reports the same sids and counts with either table, overflow included; db_view
// refuses every inconsistent literal table; version 3 images (no literal tables) still open.
#include <algorithm>
#include <bit>
#include <map>
#include <random>

#include <secengine/rules/literal_prefilter.hpp>

#include "engine_util.hpp"
#include "image_edit.hpp"

using namespace secengine;
using rules::db_error;
using rules::db_view;
namespace hdr = rules::hdr;
namespace lw = rules::lw;

namespace {

std::string hex_content(const std::string& lit) {
    static const char* digits = "0123456789ABCDEF";
    std::string s = "|";
    for (unsigned char c : lit) {
        if (s.size() > 1) s += ' ';
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s + "|";
}

std::uint8_t fold(std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c; }

// Occurrences of the case-folded literal in the case-folded data (overlapping ones count).
std::size_t naive_count(const std::string& lit, const std::string& data) {
    std::size_t n = 0;
    for (std::size_t i = 0; i + lit.size() <= data.size(); ++i) {
        bool eq = true;
        for (std::size_t k = 0; k < lit.size() && eq; ++k)
            eq = fold(static_cast<std::uint8_t>(data[i + k])) == fold(static_cast<std::uint8_t>(lit[k]));
        n += eq ? 1 : 0;
    }
    return n;
}

std::vector<std::string> rule_texts(const std::vector<std::string>& lits, std::mt19937& rng) {
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < lits.size(); ++i)
        texts.push_back("alert tcp any any -> any any (content:\"" + hex_content(lits[i]) + "\";" + (rng() % 2 ? " nocase;" : "") +
                        " sid:" + std::to_string(i + 1) + ";)");
    return texts;
}

std::vector<std::uint32_t> sorted(std::vector<std::uint32_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::uint32_t> walk(const test::engine& e, const std::string& data) {
    std::vector<std::uint32_t> out(1 << 16);
    std::size_t n = 0;
    bool overflow = false;
    const std::uint32_t a = e.view.automaton(http::buffer::payload);
    REQUIRE(a != rules::none32);
    rules::detail::prefilter(e.view, a, test::bytes(data), out, n, overflow);
    REQUIRE(!overflow);
    out.resize(n);
    return sorted(out);
}

std::vector<std::uint32_t> scan(const test::engine& e, const std::string& data, rules::literal_path path) {
    std::vector<std::uint32_t> out(1 << 16);
    std::size_t n = 0;
    bool overflow = false;
    const std::uint32_t t = e.view.literal_table(http::buffer::payload);
    REQUIRE(t != rules::none32);
    rules::literal_scan(e.view.bytes(), t, test::bytes(data), out, n, overflow, path);
    REQUIRE(!overflow);
    out.resize(n);
    return sorted(out);
}

rulesc::prefilter_layout literal_only() { return {rulesc::default_dense_rows, true, true, false}; }

}  // namespace

TEST_CASE("literal: fold_word folds every byte like fold()", "[rules][literal]") {
    std::mt19937_64 rng(7);
    for (int k = 0; k < 20000; ++k) {
        std::uint64_t w = rng();
        if (k < 256) w = 0x0101010101010101ull * static_cast<std::uint64_t>(k);  // every byte value in every lane
        const std::uint64_t f = rules::detail::fold_word(w);
        for (int b = 0; b < 8; ++b) {
            const auto in = static_cast<std::uint8_t>(w >> (8 * b)), out = static_cast<std::uint8_t>(f >> (8 * b));
            INFO("word " << w << " byte " << b);
            REQUIRE(out == fold(in));
        }
        REQUIRE(rules::detail::fold_word(static_cast<std::uint32_t>(w)) == static_cast<std::uint32_t>(f));
    }
}

TEST_CASE("literal: outputs equal the automaton walk and a naive search (property)", "[rules][literal]") {
    // Invariant: for every literal set and payload, the multiset of rule indices reported by the
    // literal scan (both paths) == the automaton walk's == sum over rules of naive occurrences.
    const std::uint32_t seed = GENERATE(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u);
    std::mt19937 rng(seed);
    // A small alphabet with case variants makes overlaps, shared prefixes and fold cases common;
    // some seeds use every byte value.
    const std::string small = "abAB_-\xff\x00z";
    auto byte = [&](bool wide) { return wide ? static_cast<char>(rng() % 256) : small[rng() % small.size()]; };
    const bool wide = seed % 4 == 0;
    const std::size_t nlits = seed % 3 == 0 ? 1 + rng() % 4 : 20 + rng() % 300;
    const bool with_short = seed % 2 == 1;
    std::vector<std::string> lits;
    for (std::size_t i = 0; i < nlits; ++i) {
        const std::size_t len = with_short && rng() % 4 == 0 ? 1 + rng() % 3 : 4 + rng() % 9;
        std::string l;
        for (std::size_t k = 0; k < len; ++k) l += byte(wide);
        if (!lits.empty() && rng() % 8 == 0) l = lits[rng() % lits.size()];  // two rules, one pattern
        lits.push_back(l);
    }
    const auto texts = rule_texts(lits, rng);
    test::engine ac(texts);                                           // automaton only (version 3)
    test::engine lit(texts, rulesc::default_vars(), literal_only());  // literal tables only (version 4)
    REQUIRE(ac.view.literal_table(http::buffer::payload) == rules::none32);
    REQUIRE(lit.view.automaton(http::buffer::payload) == rules::none32);
    for (int round = 0; round < 40; ++round) {
        const std::size_t len = round == 0 ? 0 : rng() % (round < 10 ? 12 : 700);
        std::string data;
        for (std::size_t k = 0; k < len; ++k) data += byte(wide || rng() % 16 == 0);
        for (int p = 0; p < 3 && !data.empty(); ++p) {  // planted, in random case, also at the end
            std::string l = lits[rng() % lits.size()];
            for (auto& c : l)
                if (rng() % 2 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
            if (l.size() > data.size()) continue;
            const std::size_t at = p == 0 ? data.size() - l.size() : rng() % (data.size() - l.size() + 1);
            data.replace(at, l.size(), l);
        }
        std::vector<std::uint32_t> expect;
        for (std::uint32_t r = 0; r < ac.view.rule_count(); ++r) {
            const std::uint32_t input = ac.db.order[r];
            for (std::size_t c = naive_count(lits[input], data); c > 0; --c) expect.push_back(r);
        }
        INFO("seed " << seed << " round " << round << " literals " << lits.size() << " bytes " << data.size());
        const auto walked = walk(ac, data);
        REQUIRE(walked == expect);
        REQUIRE(scan(lit, data, rules::literal_path::scalar) == expect);
        REQUIRE(scan(lit, data, rules::literal_path::simd) == expect);  // scalar again when the CPU lacks AVX2
        REQUIRE(scan(lit, data, rules::literal_path::simd512) == expect);  // the byte-sliced filter (simd without AVX-512)
        // The whole evaluation agrees too.
        const test::packet pk(data);
        const auto sa = ac.run(pk.ctx), sb = lit.run(pk.ctx);
        CHECK(sa == sb);
        CHECK(ac.last.candidates == lit.last.candidates);
        CHECK(ac.last.overflow == lit.last.overflow);
    }
}

namespace {
// The compiler's byte-sliced filter choice, recomputed from the table: the fill of each table
// (set bits / bits) multiplied over the tables estimates the pass rate of a random position.
double slice_fill(const rules::detail::literal_table& t, std::uint32_t j) {
    std::size_t set = 0;
    const std::byte* tab = t.img + t.slices + 8 + 32 * (std::size_t{t.slice_tables()} + 1) + lw::slice_table_bytes * j;
    for (std::size_t i = 0; i < lw::slice_table_bytes; ++i) set += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(tab[i])));
    return static_cast<double>(set) / (lw::slice_table_bytes * 8);
}
}  // namespace

TEST_CASE("literal: each set size gets its SIMD filters (Teddy, byte slices, gather); every path agrees with the walk", "[rules][literal]") {
    // Boundaries: Teddy masks up to teddy_max_literals; the byte-sliced filter while at most
    // slices_max tables reach a pass rate <= 1/32 (about 2,100 distinct keys), with the fewest
    // tables that reach 1/256; the gather filter (always there) above.
    for (const std::size_t nlits : {std::size_t{8}, std::size_t{lw::teddy_max_literals}, std::size_t{lw::teddy_max_literals + 1}, std::size_t{100},
                                    std::size_t{500}, std::size_t{1000}, std::size_t{1800}, std::size_t{3000}}) {
        std::mt19937 rng(static_cast<std::uint32_t>(nlits));
        // 27 letters (and case variants): distinct 4-byte keys for every set size here.
        const std::string alphabet = "abcdefghijklmnopqrstuvwxyz_ABCD";
        std::vector<std::string> lits;
        for (std::size_t i = 0; i < nlits; ++i) {
            std::string l;
            for (std::size_t k = 0, len = 4 + rng() % 6; k < len; ++k) l += alphabet[rng() % alphabet.size()];
            lits.push_back(l);
        }
        const auto texts = rule_texts(lits, rng);
        test::engine ac(texts);
        test::engine lit(texts, rulesc::default_vars(), literal_only());
        const rules::detail::literal_table t(lit.view.bytes().data(), lit.view.literal_table(http::buffer::payload));
        INFO(nlits << " literals");
        CHECK((t.teddy != rules::none32) == (nlits <= lw::teddy_max_literals));
        CHECK((t.slices != rules::none32) == (nlits <= 1800));
        if (t.slices != rules::none32) {
            const std::uint32_t nt = t.slice_tables();
            REQUIRE((nt >= 1 && nt <= lw::slices_max));
            double pass = 1;
            for (std::uint32_t j = 0; j < nt; ++j) {
                if (j + 1 == nt) CHECK((j == 0 || pass > 1.0 / 256));  // the fewest tables: one fewer passed more than 1/256
                pass *= slice_fill(t, j);
            }
            CHECK((pass <= 1.0 / 256 || (nt == lw::slices_max && pass <= 1.0 / 32)));
        }
        for (int round = 0; round < 30; ++round) {
            std::string data;
            for (std::size_t k = 0, len = rng() % 400; k < len; ++k) data += alphabet[rng() % alphabet.size()];
            for (int p = 0; p < 3 && !data.empty(); ++p) {
                const std::string& l = lits[rng() % lits.size()];
                if (l.size() <= data.size()) data.replace(rng() % (data.size() - l.size() + 1), l.size(), l);
            }
            const auto expect = walk(ac, data);
            REQUIRE(scan(lit, data, rules::literal_path::simd512) == expect);
            REQUIRE(scan(lit, data, rules::literal_path::simd) == expect);
            REQUIRE(scan(lit, data, rules::literal_path::scalar) == expect);
        }
    }
}

TEST_CASE("literal: the candidate scratch overflows exactly where the walk's does", "[rules][literal]") {
    std::mt19937 rng(99);
    const std::vector<std::string> lits = {"aaaa", "aa", "a", "aaaaaaa", "baaa"};
    const auto texts = rule_texts(lits, rng);
    test::engine ac(texts);
    test::engine lit(texts, rulesc::default_vars(), {rulesc::default_dense_rows, true, true, true});  // both: evaluate takes the table
    REQUIRE(lit.view.literal_table(http::buffer::payload) != rules::none32);
    REQUIRE(lit.view.automaton(http::buffer::payload) != rules::none32);
    for (std::size_t cap : {0u, 1u, 5u, 40u, 63u, 64u, 65u, 200u}) {
        for (std::size_t len : {0u, 1u, 3u, 10u, 16u, 40u}) {
            const std::string data(len, 'a');
            ac.scratch.assign(cap, 0);
            lit.scratch.assign(cap, 0);
            const test::packet pk(data);
            const auto sa = ac.run(pk.ctx), sb = lit.run(pk.ctx);
            INFO("capacity " << cap << " bytes " << len);
            CHECK(sa == sb);
            CHECK(ac.last.overflow == lit.last.overflow);
            CHECK(ac.last.candidates == lit.last.candidates);
        }
    }
}

using test::get32;
using test::put32;
using test::reopen;

TEST_CASE("literal: db_view refuses inconsistent literal tables", "[rules][literal][db]") {
    std::mt19937 rng(5);
    const test::engine e(rule_texts({"abcdef", "abcdxy", "qq", "zzzzz", "x"}, rng), rulesc::default_vars(), literal_only());
    const std::vector<std::byte> good = e.db.image;
    REQUIRE(get32(good, hdr::version) == rules::db_version);
    REQUIRE(reopen(good) == db_error::ok);
    const std::uint32_t t = e.view.literal_table(http::buffer::payload);
    REQUIRE(t != rules::none32);
    auto word = [&](std::size_t w) { return get32(good, t + 4 * w); };
    const std::uint32_t recs = word(lw::records), heads = word(lw::heads), filter = word(lw::filter);
    REQUIRE(word(lw::count) == 5);
    REQUIRE(word(lw::long_count) == 3);
    REQUIRE(word(lw::teddy) != rules::none32);  // a small set: the SIMD path's Teddy masks are there
    REQUIRE(word(lw::slices) != rules::none32);  // and the byte-sliced filter
    auto rec = [&](std::uint32_t r, std::size_t w) { return recs + 4 * (r * lw::r_words + w); };
    struct change { const char* what; std::size_t at; std::uint32_t value; db_error want; };
    const std::vector<change> changes = {
        {"literal table list outside the image", hdr::literals, static_cast<std::uint32_t>(good.size() - 4), db_error::bad_section},
        {"table offset outside the image", get32(good, hdr::literals), static_cast<std::uint32_t>(good.size()), db_error::bad_prefilter},
        {"misaligned table", get32(good, hdr::literals), t + 1, db_error::bad_prefilter},
        {"filter too small", t + 4 * lw::filter_log2, lw::filter_log2_min - 1, db_error::bad_prefilter},
        {"filter too large", t + 4 * lw::filter_log2, lw::filter_log2_max + 1, db_error::bad_prefilter},
        {"no buckets", t + 4 * lw::bucket_log2, 0, db_error::bad_prefilter},
        {"too many buckets", t + 4 * lw::bucket_log2, lw::bucket_log2_max + 1, db_error::bad_prefilter},
        {"filter past the end", t + 4 * lw::filter, static_cast<std::uint32_t>(good.size() - 4), db_error::bad_prefilter},
        {"records past the end", t + 4 * lw::records, static_cast<std::uint32_t>(good.size() - 8), db_error::bad_prefilter},
        {"count beyond the records", t + 4 * lw::count, 0x10000000u, db_error::bad_prefilter},
        {"long count above count", t + 4 * lw::long_count, 6, db_error::bad_prefilter},
        {"heads do not cover the long literals", t + 4 * lw::long_count, 2, db_error::bad_prefilter},
        {"heads not starting at 0", heads, 1, db_error::bad_prefilter},
        {"rule index out of range", rec(0, lw::r_rule), 5, db_error::bad_prefilter},
        {"prefix not the literal's bytes", rec(0, lw::r_prefix), 0x12345678u, db_error::bad_prefilter},
        {"empty literal", rec(4, lw::r_len), 0, db_error::bad_prefilter},
        {"long literal shorter than the key", rec(0, lw::r_len), 3, db_error::bad_prefilter},
        {"short literal as long as the key", rec(4, lw::r_len), 4, db_error::bad_prefilter},
        {"literal bytes outside the pool", rec(1, lw::r_data), static_cast<std::uint32_t>(good.size() - 2), db_error::bad_prefilter},
        {"short bits missing", t + 4 * lw::short_bits, rules::none32, db_error::bad_prefilter},
        {"filter bits cleared", filter, 0, db_error::bad_prefilter},
        {"teddy masks past the end", t + 4 * lw::teddy, static_cast<std::uint32_t>(good.size() - 8), db_error::bad_prefilter},
        {"teddy masks cleared", word(lw::teddy), 0, db_error::bad_prefilter},
        {"slices misaligned", t + 4 * lw::slices, word(lw::slices) + 4, db_error::bad_prefilter},
        {"slices past the end", t + 4 * lw::slices, static_cast<std::uint32_t>(good.size() - 8), db_error::bad_prefilter},
        {"no slice tables", word(lw::slices), 0, db_error::bad_prefilter},
        {"too many slice tables", word(lw::slices), lw::slices_max + 1, db_error::bad_prefilter},
        {"slice tables cleared", word(lw::slices), 0, db_error::bad_prefilter},
    };
    for (const auto& c : changes) {
        auto img = good;
        put32(img, c.at, c.value);
        if (std::string_view(c.what) == "filter bits cleared")
            for (std::size_t k = 0; k < (std::size_t{1} << word(lw::filter_log2)) / 8; ++k) img[filter + k] = std::byte{0};
        if (std::string_view(c.what) == "teddy masks cleared")
            for (std::size_t k = 0; k < lw::teddy_bytes; ++k) img[word(lw::teddy) + k] = std::byte{0};
        if (std::string_view(c.what) == "slice tables cleared") {
            const std::uint32_t nt = word(word(lw::slices) / 4 - t / 4);  // the table count, as it was
            put32(img, word(lw::slices), nt);
            for (std::size_t k = 0; k < lw::slice_table_bytes * nt; ++k) img[word(lw::slices) + 8 + 32 * (nt + 1) + k] = std::byte{0};
        }
        INFO(c.what);
        CHECK(reopen(img) == c.want);
    }
    // A long record moved out of its hash bucket would never be verified: refused.
    {
        auto img = good;
        const std::uint32_t b = word(lw::bucket_log2);
        const std::uint32_t h = lw::hash(get32(good, rec(0, lw::r_prefix)), b);
        // Shift bucket h's start one record later (its first record now belongs to bucket h - 1
        // or nowhere) while keeping the heads monotone.
        if (get32(good, heads + 4 * (h + 1)) > get32(good, heads + 4 * h) && h > 0) {
            put32(img, heads + 4 * h, get32(good, heads + 4 * h) + 1);
            CHECK(reopen(img) == db_error::bad_prefilter);
        }
    }
    // Random single-word corruption of the table: refused or opened, never a fault, and an opened
    // image still scans without reading outside it (ASan/UBSan builds check that).
    for (int k = 0; k < 3000; ++k) {
        auto img = good;
        const std::size_t at = t + 4 * (rng() % ((good.size() - t) / 4));
        put32(img, at & ~std::size_t{3}, rng() % 3 == 0 ? static_cast<std::uint32_t>(rng()) : get32(good, at & ~std::size_t{3}) ^ (1u << (rng() % 32)));
        test::reseal(img);
        db_view v;
        if (db_view::open(std::span(img), v) != db_error::ok) continue;
        const std::string data = "abcdefxyzzzzzqqx" + std::string(64, 'a');
        std::vector<std::uint32_t> out(64);
        std::size_t n = 0;
        bool overflow = false;
        for (std::size_t b = 0; b < http::buffer_count; ++b)
            if (const std::uint32_t lt = v.literal_table(static_cast<http::buffer>(b)); lt != rules::none32)
                rules::literal_scan(v.bytes(), lt, test::bytes(data), out, n, overflow);
        for (std::size_t i = 0; i < n; ++i) CHECK(out[i] < v.rule_count());
    }
}

TEST_CASE("literal: version 3 images open without literal tables, version 4 with", "[rules][literal][db]") {
    std::mt19937 rng(3);
    const auto texts = rule_texts({"abcdef", "zz"}, rng);
    const test::engine v3(texts);
    CHECK(get32(v3.db.image, hdr::version) == rules::db_version_min);
    CHECK(get32(v3.db.image, hdr::literals) == 0);
    CHECK(v3.view.literal_table(http::buffer::payload) == rules::none32);
    const test::engine v4(texts, rulesc::default_vars(), literal_only());
    CHECK(get32(v4.db.image, hdr::version) == rules::db_version);
    CHECK(v4.view.literal_table(http::buffer::payload) != rules::none32);
    CHECK(v4.view.literal_table(http::buffer::uri) == rules::none32);
    CHECK(v4.db.literal_bytes > 0);
    CHECK(v4.db.image.size() < v3.db.image.size());  // no 1 KiB dense rows, no start/skip tables
    // A v3 image's reserved word at hdr::literals is not read: garbage there is harmless.
    auto img = v3.db.image;
    put32(img, hdr::literals, 0xDEADBEEF);
    CHECK(reopen(img) == db_error::ok);
    // The same garbage in a v4 image is refused.
    img = v4.db.image;
    put32(img, hdr::literals, 0xDEADBEEF);
    CHECK(reopen(img) == db_error::bad_section);
}

TEST_CASE("literal: a version 4 image (no slices word) opens and scans like version 5", "[rules][literal][db]") {
    // Version 5 added the 12th table word; offsets are absolute, so a v5 image relabelled v4 is a
    // valid v4 image whose tables have no byte-sliced filter: every path must find the same.
    std::mt19937 rng(21);
    std::vector<std::string> lits;
    for (int i = 0; i < 150; ++i) {
        std::string l;
        for (std::size_t k = 0, len = 3 + rng() % 8; k < len; ++k) l += "abcdefghijklmnop"[rng() % 16];
        lits.push_back(l);
    }
    const test::engine v5(rule_texts(lits, rng), rulesc::default_vars(), literal_only());
    REQUIRE(get32(v5.db.image, hdr::version) == 5);
    const std::uint32_t at = v5.view.literal_table(http::buffer::payload);
    REQUIRE(rules::detail::literal_table(v5.view.bytes().data(), at).slices != rules::none32);
    auto img = v5.db.image;
    put32(img, hdr::version, 4);
    test::reseal(img);
    db_view v4;
    REQUIRE(db_view::open(std::span(img), v4) == db_error::ok);
    CHECK(rules::detail::literal_table(v4.bytes().data(), at).slices == rules::none32);
    CHECK(rules::literal_table_bytes(v4.bytes(), at) + 4 + lw::slices_bytes(rules::detail::literal_table(v5.view.bytes().data(), at).slice_tables()) ==
          rules::literal_table_bytes(v5.view.bytes(), at));
    for (int round = 0; round < 50; ++round) {
        std::string data;
        for (std::size_t k = 0, len = rng() % 300; k < len; ++k) data += "abcdefghijklmnopq"[rng() % 17];
        for (auto path : {rules::literal_path::scalar, rules::literal_path::simd, rules::literal_path::simd512}) {
            std::vector<std::uint32_t> a(4096), b(4096);
            std::size_t na = 0, nb = 0;
            bool oa = false, ob = false;
            rules::literal_scan(v5.view.bytes(), at, test::bytes(data), a, na, oa, path);
            rules::literal_scan(v4.bytes(), at, test::bytes(data), b, nb, ob, path);
            a.resize(na);
            b.resize(nb);
            CHECK(sorted(a) == sorted(b));
            CHECK((!oa && !ob));
        }
    }
}

TEST_CASE("literal: hostile payloads (every byte value, long runs) never break the scan", "[rules][literal]") {
    std::mt19937 rng(11);
    std::vector<std::string> lits;
    for (int i = 0; i < 64; ++i) {
        std::string l;
        for (std::size_t k = 0, len = 1 + rng() % 10; k < len; ++k) l += static_cast<char>(rng() % 256);
        lits.push_back(l);
    }
    lits.push_back(std::string(4, '\0'));
    lits.push_back(std::string(5, '\xff'));
    const auto texts = rule_texts(lits, rng);
    const test::engine ac(texts);
    const test::engine lit(texts, rulesc::default_vars(), literal_only());
    for (int round = 0; round < 30; ++round) {
        std::string data;
        const int kind = round % 3;
        for (std::size_t k = 0, len = rng() % 2000; k < len; ++k)
            data += kind == 0 ? static_cast<char>(rng() % 256) : kind == 1 ? '\0' : '\xff';
        INFO("round " << round);
        const auto w = walk(ac, data);
        CHECK(scan(lit, data, rules::literal_path::scalar) == w);
        CHECK(scan(lit, data, rules::literal_path::simd) == w);
    }
}
