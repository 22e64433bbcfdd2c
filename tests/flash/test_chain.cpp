// The state store's format version 2 (store/record.hpp): one chain tag per segment of records
// instead of one MAC per record, against the simulated NOR flash (sim_flash.hpp).
//
// Invariants checked:
//  - a record's tag is SipHash-2-4 (wire/siphash.hpp) of its segment's records up to its CRC
//    word, each without its tag; the word-at-a-time path equals the byte path;
//  - one record corrupted after the fact (any byte but its magic and length words, which end
//    the block's parse by design; a tag that is not its segment's last may cost nothing)
//    costs that record and at most the rest of its segment
//    (< chain_span records after it): what replays is the written sequence with one contiguous
//    run removed that starts at the corrupt record, and the loss is counted;
//  - version-1 records (one MAC each) are refused as bad_version: a version-1 bank boots the
//    defaults and counts every record;
//  - records planted after ours (CRC right, tag not under our key) are never replayed, and an
//    append after a reboot never vouches for them (it opens a block instead);
//  - >= 1,250 random power cuts over small records (many segments per block, reboots in the
//    middle of a segment): every acknowledged change replays in order, the one in flight whole
//    or absent, no word programmed twice.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>
#include <secengine/wire/siphash.hpp>

#include "sim_flash.hpp"
#include "store_fixtures.hpp"

namespace st = secengine::store;
using namespace store_fixtures;

namespace {

st::boot_config config_with(std::mt19937_64& rng) {
    st::boot_config c;
    for (auto& k : c.key) k = static_cast<std::uint8_t>(rng());
    return c;
}

std::vector<change> replayed(st::state_store<sim_flash>& s, st::store_error& e, const st::boot_config& defaults = {}) {
    std::vector<change> out;
    e = s.load(defaults, [&](std::uint16_t type, std::span<const std::byte> p) { out.push_back({type, bytes(p.begin(), p.end())}); });
    return out;
}

/// Offsets of every record frame in the bank's state blocks, in flash order.
std::vector<std::size_t> record_offsets(const sim_flash& f) {
    std::vector<std::size_t> offs;
    const st::bank_layout lay = st::layout_for(f.nblocks);
    for (std::uint16_t b = 0; b < lay.state_blocks; ++b) {
        const std::size_t start = (std::size_t{lay.state_first} + b) * f.bsize;
        for (std::size_t off = st::block_header_bytes; off < f.bsize;) {
            const st::record_view v = st::parse_frame(std::span<const std::byte>(f.mem).subspan(start + off, f.bsize - off));
            if (v.size == 0) break;
            offs.push_back(start + off);
            off += v.size;
        }
    }
    return offs;
}


}  // namespace

TEST_CASE("chain: a tag is SipHash-2-4 of its segment so far; words and bytes agree", "[flash][chain]") {
    std::mt19937_64 rng(GENERATE(take(8, random(1u, 1000000u))));
    st::record_chain chain(key_a);
    bytes segment;  // the records so far, without their tags
    for (std::size_t i = 0; i < 3 * st::chain_span; ++i) {
        const bytes p = random_bytes(rng, rng() % 70);
        const bool starts = i % st::chain_span == 0;
        if (starts) {
            chain = st::record_chain(key_a);
            segment.clear();
        }
        const st::record_writer w(st::record_kind::command, static_cast<std::uint16_t>(rng()), i + 1, p, chain, starts);
        const bytes b = record_bytes(w);
        segment.insert(segment.end(), b.begin(), b.end() - 8);
        REQUIRE(w.tag() == secengine::wire::siphash(key_a, segment));
        const st::record_view v = st::parse_frame(b);
        REQUIRE(v.ok());
        CHECK(v.starts == starts);
        CHECK(v.mac == w.tag());
        CHECK(st::chain_tag(chain, b, v) == w.tag());  // the word path, from the flash bytes
        chain = w.chain();
    }
    // whole words after any number of whole words, from a 4-aligned buffer
    for (int i = 0; i < 200; ++i) {
        std::vector<std::uint32_t> words(rng() % 40);
        for (auto& x : words) x = static_cast<std::uint32_t>(rng());
        const auto* p = reinterpret_cast<const std::byte*>(words.data());
        const std::size_t n = words.size() * 4;
        st::record_chain a(key_a), b(key_a);
        const std::size_t cut = n == 0 ? 0 : (rng() % (words.size() + 1)) * 4;
        a.update_words(p, cut);
        a.update_words(p + cut, n - cut);
        if (n != 0) b.update(std::span<const std::byte>(p, n));
        REQUIRE(a.finish() == b.finish());
        REQUIRE(a.finish() == secengine::wire::siphash(key_a, std::span<const std::byte>(p, n)));
    }
}

TEST_CASE("chain: one corrupt record costs it and at most the rest of its segment", "[flash][chain]") {
    std::mt19937_64 rng(GENERATE(take(40, random(1u, 1000000u))));
    sim_flash f(1024, 16);
    std::vector<change> model;
    {
        st::state_store<sim_flash> s(f);
        st::store_error e{};
        replayed(s, e);
        REQUIRE(s.reset(config_with(rng)) == st::store_error::none);
        for (int i = 0; i < 60; ++i) {
            change c{static_cast<std::uint16_t>(1 + rng() % 20), random_bytes(rng, rng() % 24)};
            REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
            model.push_back(c);
        }
    }
    const std::vector<std::size_t> offs = record_offsets(f);
    REQUIRE(offs.size() == model.size() + 1);  // the base first
    const std::size_t j = 1 + static_cast<std::size_t>(rng() % model.size());  // a command
    const st::record_view v = st::parse_frame(std::span<const std::byte>(f.mem).subspan(offs[j], f.bsize - offs[j] % f.bsize));
    // any byte but the magic (0..3) and the length words (8..15)
    std::size_t at = 0;
    do at = static_cast<std::size_t>(rng() % v.size);
    while (at < 4 || (at >= 8 && at < 16));
    f.mem[offs[j] + at] ^= static_cast<std::byte>(1 + rng() % 255);
    st::state_store<sim_flash> r(f);
    st::store_error e{};
    const std::vector<change> got = replayed(r, e);
    REQUIRE(e == st::store_error::none);
    const std::size_t k = j - 1;  // the corrupt command's index in the model
    INFO("record " << j << " byte " << at << ": replayed " << got.size() << " of " << model.size());
    REQUIRE(got.size() <= model.size());
    const std::size_t lost = model.size() - got.size();
    // A tag not last in its segment is not needed when the last one proves the segment: its
    // corruption may cost nothing. Any other byte costs the record.
    if (at < v.size - 8) REQUIRE(lost >= 1);
    CHECK(lost <= st::chain_span);
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == model[i < k ? i : i + lost]);
    CHECK(r.health().skipped >= lost);
}

TEST_CASE("chain: a version-1 bank is refused by version and boots the defaults", "[flash][chain]") {
    std::mt19937_64 rng(3);
    sim_flash f(1024, 16);
    const st::boot_config cfg = config_with(rng);
    {
        st::state_store<sim_flash> s(f);
        st::store_error e{};
        replayed(s, e);
        REQUIRE(s.reset(cfg) == st::store_error::none);
        for (int i = 0; i < 5; ++i) REQUIRE(s.append(1, random_bytes(rng, 8)) == st::store_error::none);
    }
    // Rewrite every record as version 1 wrote it: version byte 1, no segment flag, CRC, and
    // one MAC of bytes [0, covered) under the key.
    const std::vector<std::size_t> offs = record_offsets(f);
    REQUIRE(offs.size() == 6);
    for (const std::size_t off : offs) {
        std::byte* p = f.mem.data() + off;
        p[4] = std::byte{1};
        p[5] &= std::byte{0x7f};
        const std::size_t covered = st::record_header_bytes + st::pad4(st::load_le32(p + 8));
        st::store_le32(p + covered, st::crc32_of(std::span<const std::byte>(p, covered)));
        const std::uint64_t mac = secengine::wire::siphash(st::key_of(cfg), std::span<const std::byte>(p, covered));
        st::store_le32(p + covered + 4, static_cast<std::uint32_t>(mac));
        st::store_le32(p + covered + 8, static_cast<std::uint32_t>(mac >> 32));
    }
    st::state_store<sim_flash> r(f);
    st::store_error e{};
    const std::vector<change> got = replayed(r, e);
    CHECK(e == st::store_error::not_provisioned);
    CHECK(st::name(e) == "not_provisioned");
    CHECK(got.empty());
    CHECK(r.health().bad_version == 6);
    CHECK(r.boot() == st::boot_config{});
    // and the bank is usable: the first change writes a version-2 base of the defaults
    REQUIRE(r.append(2, random_bytes(rng, 4)) == st::store_error::none);
    st::state_store<sim_flash> again(f);
    CHECK(replayed(again, e).size() == 1);
    CHECK(e == st::store_error::none);
}

TEST_CASE("chain: records planted after ours are never replayed nor vouched for by a later append", "[flash][chain]") {
    std::mt19937_64 rng(GENERATE(take(10, random(1u, 1000000u))));
    sim_flash f(1024, 16);
    const st::boot_config cfg = config_with(rng);
    std::vector<change> model;
    {
        st::state_store<sim_flash> s(f);
        st::store_error e{};
        replayed(s, e);
        REQUIRE(s.reset(cfg) == st::store_error::none);
        for (int i = 0, n = static_cast<int>(rng() % 12); i < n; ++i) {
            change c{1, random_bytes(rng, rng() % 16)};
            REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
            model.push_back(c);
        }
    }
    // A record with a right CRC, a next sequence number and a tag not under our key, planted
    // after the last record of the log (either as a segment start or as its continuation).
    const std::vector<std::size_t> offs = record_offsets(f);
    const std::size_t last = offs.back();
    const st::record_view lv = st::parse_frame(std::span<const std::byte>(f.mem).subspan(last, f.bsize - last % f.bsize));
    const secengine::wire::siphash_key other{rng(), rng()};
    const bytes planted_payload = random_bytes(rng, 4);
    const bytes planted = record_bytes(st::record_writer(st::record_kind::command, 9, lv.seq + 1, planted_payload,
                                                         st::record_chain(other), (rng() & 1) != 0));
    std::copy(planted.begin(), planted.end(), f.mem.begin() + static_cast<std::ptrdiff_t>(last + lv.size));
    st::store_error e{};
    {
        st::state_store<sim_flash> r(f);
        REQUIRE(replayed(r, e) == model);
        CHECK(r.health().bad_mac == 1);
        const change c{2, random_bytes(rng, 6)};
        REQUIRE(r.append(c.type, c.payload) == st::store_error::none);
        model.push_back(c);
    }
    st::state_store<sim_flash> r(f);
    const std::vector<change> got = replayed(r, e);
    REQUIRE(e == st::store_error::none);
    CHECK(got == model);  // ours, in order; the planted one never
    CHECK(r.health().bad_mac == 1);
    CHECK(f.overprograms == 0);
}

TEST_CASE("chain: random power cuts over many segments never lose an acknowledged change", "[flash][chain][powercut]") {
    // 1,250 cuts: 25 seeds x 50 cuts, at a random program word or erase; small records in
    // 1 KiB blocks, so blocks hold several segments and reboots land inside segments.
    std::mt19937_64 rng(GENERATE(take(25, random(1u, 1000000u))));
    sim_flash f(1024, 16);
    f.rng.seed(rng());
    std::vector<change> acked;
    st::boot_config cfg = config_with(rng);
    {
        st::state_store<sim_flash> s(f);
        st::store_error e{};
        replayed(s, e);
        REQUIRE(s.reset(cfg) == st::store_error::none);
    }
    int cuts = 0;
    while (cuts < 50) {
        st::state_store<sim_flash> s(f);
        st::store_error e{};
        REQUIRE(replayed(s, e) == acked);
        REQUIRE(e == st::store_error::none);
        REQUIRE(s.boot() == cfg);
        REQUIRE(s.health().skipped == s.health().torn + s.health().bad_crc + s.health().bad_mac + s.health().bad_version +
                                          s.health().bad_payload + s.health().missing_copies);
        // a clean reboot in the middle of a segment now and then: appends resume its chain
        if (rng() % 3 == 0) {
            for (int i = 0, n = static_cast<int>(rng() % 5); i < n; ++i) {
                change c{static_cast<std::uint16_t>(1 + rng() % 16), random_bytes(rng, rng() % 12)};
                const st::store_error a = s.append(c.type, c.payload);
                if (a == st::store_error::none) acked.push_back(c);
                else REQUIRE(a == st::store_error::full);
            }
            continue;
        }
        f.budget = static_cast<std::int64_t>(rng() % 150);
        for (;;) {
            if (rng() % 30 == 0) {
                const st::boot_config n = config_with(rng);
                const st::store_error r = s.reset(n);
                if (r == st::store_error::none) {
                    cfg = n;
                    acked.clear();
                    continue;
                }
                REQUIRE(f.dead);
                f.power_on();
                st::state_store<sim_flash> b(f);
                const std::vector<change> after = replayed(b, e);
                REQUIRE(e == st::store_error::none);
                if (b.boot() == n) {
                    CHECK(after.empty());
                    cfg = n;
                    acked.clear();
                } else {
                    REQUIRE(b.boot() == cfg);
                    REQUIRE(after == acked);
                }
                break;
            }
            change c{static_cast<std::uint16_t>(1 + rng() % 16), random_bytes(rng, rng() % 12)};
            const st::store_error a = s.append(c.type, c.payload);
            if (a == st::store_error::none) {
                acked.push_back(c);
                continue;
            }
            if (a == st::store_error::full) {  // refused, not acknowledged: a reset comes
                REQUIRE_FALSE(f.dead);
                continue;
            }
            REQUIRE(f.dead);
            f.power_on();
            st::state_store<sim_flash> b(f);
            const std::vector<change> after = replayed(b, e);
            REQUIRE(e == st::store_error::none);
            REQUIRE(b.boot() == cfg);
            if (after.size() == acked.size() + 1) {  // the one in flight made it, whole
                REQUIRE(after.back() == c);
                acked.push_back(c);
            }
            REQUIRE(after == acked);
            break;
        }
        ++cuts;
        REQUIRE(f.overprograms == 0);
    }
    CHECK(cuts == 50);
}
