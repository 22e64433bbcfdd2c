// State store (include/secengine/store/): record format and recovery, against a simulated
// NOR flash that can lose power at any program word or erase (sim_flash.hpp).
//
// Invariants checked:
//  - a record parses back to what was written; any bit flip, any truncation, another key or
//    another format version is refused with its named error, never accepted, never a crash;
//  - after a power cut at ANY step (>= 1,000 random cuts): the bank always loads, every
//    acknowledged change is replayed in order, and the change in flight is either wholly
//    there or wholly absent; no word is ever programmed over (NOR: bits only clear);
//  - erased and all-zero banks load the defaults (not_provisioned) and become usable;
//  - corrupt images replay a subsequence of what was written, counting what they skip;
//  - wear levelling keeps the erase counts of the state blocks within a small spread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>

#include "sim_flash.hpp"
#include "store_fixtures.hpp"

namespace st = secengine::store;
using namespace store_fixtures;

namespace {

st::boot_config random_config(std::mt19937_64& rng) {
    st::boot_config c;
    c.ip = static_cast<std::uint32_t>(rng());
    c.prefix = static_cast<std::uint8_t>(rng() % 33);
    c.mgmt_port = static_cast<std::uint16_t>(1 + rng() % 65535);
    for (auto& k : c.key) k = static_cast<std::uint8_t>(rng());
    return c;
}

struct loaded {
    st::store_error error;
    std::vector<change> changes;
};

loaded load(st::state_store<sim_flash>& s, const st::boot_config& defaults = {}) {
    loaded l;
    l.error = s.load(defaults, [&](std::uint16_t type, std::span<const std::byte> p) {
        l.changes.push_back({type, bytes(p.begin(), p.end())});
    });
    return l;
}


}  // namespace

TEST_CASE("store record: written records parse back whole", "[flash][record]") {
    std::mt19937_64 rng(GENERATE(take(8, random(1u, 1000000u))));
    for (int i = 0; i < 200; ++i) {
        const bytes p = random_bytes(rng, rng() % 300);
        const auto type = static_cast<std::uint16_t>(rng());
        const std::uint64_t seq = rng();
        const st::record_writer w(st::record_kind::command, type, seq, p, key_a);
        REQUIRE(w.words() * 4 == st::record_size(p.size()));
        const bytes b = record_bytes(w);
        const st::record_view v = st::parse_record(b, &key_a);
        REQUIRE(v.ok());
        CHECK(v.kind == st::record_kind::command);
        CHECK(v.type == type);
        CHECK(v.seq == seq);
        CHECK(v.size == b.size());
        CHECK(bytes(v.payload.begin(), v.payload.end()) == p);
    }
}

TEST_CASE("store record: every bit flip is refused with a named error", "[flash][record]") {
    std::mt19937_64 rng(GENERATE(take(4, random(1u, 1000000u))));
    const bytes p = random_bytes(rng, 1 + rng() % 40);
    const st::record_writer w(st::record_kind::command, 7, 42, p, key_a);
    const bytes good = record_bytes(w);
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
        bytes b = good;
        b[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
        const st::record_view v = st::parse_record(b, &key_a);
        INFO("bit " << bit << " -> " << st::name(v.error));
        REQUIRE_FALSE(v.ok());
        REQUIRE(st::name(v.error) != "unknown");
    }
}

TEST_CASE("store record: truncated, foreign key, wrong version, hostile headers", "[flash][record]") {
    std::mt19937_64 rng(11);
    const bytes p = random_bytes(rng, 33);
    const bytes good = record_bytes(st::record_writer(st::record_kind::command, 5, 9, p, key_a));
    SECTION("every truncation") {
        for (std::size_t n = 0; n < good.size(); ++n) {
            const st::record_view v = st::parse_record(std::span<const std::byte>(good.data(), n), &key_a);
            REQUIRE(v.error == st::store_error::truncated);
        }
    }
    SECTION("another appliance's key") {
        CHECK(st::parse_record(good, &key_b).error == st::store_error::bad_mac);
        CHECK(st::parse_record(good, &key_a).ok());
    }
    SECTION("the old format version 1 (and a newer one), CRC fixed up: skipped by its length") {
        for (const std::uint8_t version : {std::uint8_t{1}, std::uint8_t{3}}) {
            bytes b = good;
            b[4] = std::byte{version};
            const std::size_t covered = st::record_header_bytes + st::pad4(p.size());
            st::store_le32(b.data() + covered, st::crc32_of(std::span<const std::byte>(b.data(), covered)));
            const st::record_view v = st::parse_record(b, &key_a);
            CHECK(v.error == st::store_error::bad_version);
            CHECK(v.size == good.size());
        }
    }
    SECTION("a length beyond the block and a torn length") {
        bytes b = good;
        st::store_le32(b.data() + 8, 0x7fffffffu);
        st::store_le32(b.data() + 12, ~0x7fffffffu);
        CHECK(st::parse_record(b, &key_a).error == st::store_error::truncated);
        st::store_le32(b.data() + 12, 0);
        CHECK(st::parse_record(b, &key_a).error == st::store_error::bad_length);
    }
    SECTION("random bytes are never a record") {
        for (int i = 0; i < 2000; ++i) {
            bytes b = random_bytes(rng, rng() % 200);
            if (b.size() >= 4 && (rng() & 1)) st::store_le32(b.data(), st::record_magic);
            REQUIRE_FALSE(st::parse_record(b, &key_a).ok());
        }
    }
    SECTION("a base record with a bad boot configuration") {
        st::boot_config c;
        c.prefix = 24;
        auto enc = st::encode(c);
        enc[4] = std::byte{40};  // prefix 40
        const bytes b = record_bytes(st::record_writer(st::record_kind::base, 0, 1, enc, key_a));
        CHECK(st::parse_record(b, nullptr).error == st::store_error::bad_payload);
    }
}

TEST_CASE("store: boot configuration encoding round-trips", "[flash][record]") {
    std::mt19937_64 rng(3);
    for (int i = 0; i < 500; ++i) {
        const st::boot_config c = random_config(rng);
        st::boot_config d;
        REQUIRE(st::decode(st::encode(c), d));
        REQUIRE(d == c);
    }
    st::boot_config d;
    auto e = st::encode(st::boot_config{});
    e[6] = std::byte{0};
    e[7] = std::byte{0};  // port 0
    CHECK_FALSE(st::decode(e, d));
    CHECK_FALSE(st::decode(std::span<const std::byte>(e.data(), 10), d));
}

TEST_CASE("store: appended changes are replayed in order after a reboot", "[flash][store]") {
    std::mt19937_64 rng(GENERATE(take(5, random(1u, 1000000u))));
    sim_flash f(4096, 16);
    std::vector<change> model;
    const st::boot_config cfg = random_config(rng);
    {
        st::state_store<sim_flash> s(f);
        REQUIRE(load(s).error == st::store_error::not_provisioned);
        REQUIRE(s.reset(cfg) == st::store_error::none);
        for (int i = 0; i < 100; ++i) {
            change c{static_cast<std::uint16_t>(1 + rng() % 16), random_bytes(rng, rng() % 120)};
            REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
            model.push_back(c);
        }
        CHECK(s.version() == 101);
    }
    st::state_store<sim_flash> s(f);
    const loaded l = load(s);
    REQUIRE(l.error == st::store_error::none);
    CHECK(s.boot() == cfg);
    CHECK(l.changes == model);
    CHECK(s.version() == 101);
    CHECK(s.health().records == 101);
    CHECK(s.health().skipped == 0);
    CHECK(f.overprograms == 0);
}

TEST_CASE("store: erased and all-zero banks boot the defaults and become usable", "[flash][store]") {
    const std::byte fill = GENERATE(std::byte{0xff}, std::byte{0x00});
    sim_flash f(1024, 16, fill);
    st::boot_config defaults;
    defaults.key = {1, 2, 3};
    {
        st::state_store<sim_flash> s(f);
        const loaded l = load(s, defaults);
        REQUIRE(l.error == st::store_error::not_provisioned);
        CHECK(l.changes.empty());
        CHECK(s.boot() == defaults);
        CHECK_FALSE(s.provisioned());
        if (fill == std::byte{0}) CHECK(s.health().bad_headers == 8);
        CHECK(s.health().skipped == 0);  // a blank bank is not a bank of torn records
        const bytes p{std::byte{1}, std::byte{2}};
        REQUIRE(s.append(5, p) == st::store_error::none);  // the defaults become the base
    }
    st::state_store<sim_flash> s(f);
    const loaded l = load(s, st::boot_config{});
    REQUIRE(l.error == st::store_error::none);
    CHECK(s.boot() == defaults);
    REQUIRE(l.changes.size() == 1);
    CHECK(l.changes[0].type == 5);
}

TEST_CASE("store: bad geometry is refused by name", "[flash][store]") {
    sim_flash tiny(1024, 2);
    st::state_store<sim_flash> s(tiny);
    CHECK(load(s).error == st::store_error::bad_geometry);
    CHECK(s.append(1, {}) == st::store_error::bad_geometry);
    CHECK(s.reset({}) == st::store_error::bad_geometry);
    sim_flash big(1024, 8);
    st::state_store<sim_flash> s2(big);
    load(s2);
    REQUIRE(s2.reset({}) == st::store_error::none);
    const bytes huge(1024, std::byte{1});
    CHECK(s2.append(1, huge) == st::store_error::too_large);
}

TEST_CASE("store: records under another key are skipped and counted", "[flash][store]") {
    sim_flash f(1024, 16);
    st::boot_config a;
    a.key = {0xaa};
    st::boot_config b;
    b.key = {0xbb};
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(a) == st::store_error::none);
        REQUIRE(s.append(1, bytes{std::byte{1}}) == st::store_error::none);
    }
    // Another appliance's records copied in after ours: same layout, its own key.
    {
        sim_flash other(1024, 16);
        st::state_store<sim_flash> s(other);
        load(s);
        REQUIRE(s.reset(b) == st::store_error::none);
        REQUIRE(s.append(2, bytes{std::byte{2}}) == st::store_error::none);
        REQUIRE(s.append(3, bytes{std::byte{3}}) == st::store_error::none);
        // its command records, renumbered past ours, re-signed by nobody: planted in our log
        const std::byte* src = other.bytes() + st::block_header_bytes + st::record_size(st::boot_config_bytes);
        const std::size_t n = 2 * st::record_size(1);
        const std::size_t dst = st::block_header_bytes + st::record_size(st::boot_config_bytes) + st::record_size(1);
        std::copy(src, src + n, f.mem.begin() + static_cast<std::ptrdiff_t>(dst));
    }
    st::state_store<sim_flash> s(f);
    const loaded l = load(s);
    REQUIRE(l.error == st::store_error::none);
    REQUIRE(l.changes.size() == 1);
    CHECK(l.changes[0].type == 1);
    CHECK(s.health().bad_mac >= 1);
    CHECK(s.boot() == a);
}

TEST_CASE("store: a corrupt image replays a subsequence of what was written", "[flash][store]") {
    std::mt19937_64 rng(GENERATE(take(20, random(1u, 1000000u))));
    sim_flash f(1024, 16);
    std::vector<change> model;
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(random_config(rng)) == st::store_error::none);
        for (int i = 0; i < 30; ++i) {
            change c{static_cast<std::uint16_t>(rng() % 20), random_bytes(rng, rng() % 60)};
            if (s.append(c.type, c.payload) == st::store_error::none) model.push_back(c);
        }
    }
    const int flips = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < flips; ++i) f.mem[rng() % f.mem.size()] ^= static_cast<std::byte>(1 + rng() % 255);
    st::state_store<sim_flash> s(f);
    const loaded l = load(s);
    // The base itself may be hit (then: defaults); otherwise what is replayed is in order.
    if (l.error == st::store_error::none) {
        std::size_t j = 0;
        for (const change& c : l.changes) {
            while (j < model.size() && !(model[j] == c)) ++j;
            REQUIRE(j < model.size());
            ++j;
        }
        if (l.changes.size() < model.size()) CHECK(s.health().skipped + s.health().bad_mac > 0);
    } else {
        CHECK(l.error == st::store_error::not_provisioned);
    }
}

TEST_CASE("store: power cuts at random steps never lose an acknowledged change", "[flash][store][powercut]") {
    // 1,250 cuts: 25 seeds x 50 cuts each, at a random program word or erase.
    std::mt19937_64 rng(GENERATE(take(25, random(1u, 1000000u))));
    sim_flash f(512, 16);  // small blocks: appends cross blocks, the log fills, resets reclaim
    f.rng.seed(rng());
    std::vector<change> acked;
    st::boot_config cfg = random_config(rng);
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(cfg) == st::store_error::none);
    }
    int cuts = 0;
    while (cuts < 50) {
        st::state_store<sim_flash> s(f);
        const loaded boot = load(s);
        REQUIRE(boot.error == st::store_error::none);  // always bootable
        REQUIRE(s.boot() == cfg);
        REQUIRE(boot.changes == acked);
        f.budget = static_cast<std::int64_t>(rng() % 200);
        // Changes until the power goes: the one in flight decides what the next boot may see.
        for (;;) {
            const bool do_reset = rng() % 12 == 0;
            if (do_reset) {
                const st::boot_config n = random_config(rng);
                const st::store_error e = s.reset(n);
                if (e == st::store_error::none) {
                    cfg = n;
                    acked.clear();
                    continue;
                }
                INFO("reset: " << st::name(e));
                REQUIRE(f.dead);
                f.power_on();
                st::state_store<sim_flash> r(f);
                const loaded after = load(r);
                REQUIRE(after.error == st::store_error::none);
                // whole or absent: the new base with nothing after it, or the old state
                if (r.boot() == n) {
                    CHECK(after.changes.empty());
                    cfg = n;
                    acked.clear();
                } else {
                    REQUIRE(r.boot() == cfg);
                    REQUIRE(after.changes == acked);
                }
                break;
            }
            change c{static_cast<std::uint16_t>(1 + rng() % 16), random_bytes(rng, rng() % 90)};
            const st::store_error e = s.append(c.type, c.payload);
            if (e == st::store_error::none) {
                acked.push_back(c);
                continue;
            }
            if (e == st::store_error::full) {  // refused, not acknowledged: compact by a reset
                REQUIRE_FALSE(f.dead);
                continue;
            }
            REQUIRE(f.dead);
            f.power_on();
            st::state_store<sim_flash> r(f);
            const loaded after = load(r);
            REQUIRE(after.error == st::store_error::none);
            REQUIRE(r.boot() == cfg);
            std::size_t first_diff = 0;
            while (first_diff < after.changes.size() && first_diff < acked.size() && after.changes[first_diff] == acked[first_diff]) ++first_diff;
            INFO("cut " << cuts << ": replayed " << after.changes.size() << ", acked " << acked.size() << ", first difference at " << first_diff
                        << ", error " << st::name(e) << ", skipped " << r.health().skipped << " torn " << r.health().torn
                        << " crc " << r.health().bad_crc << " blocks_used " << r.health().blocks_used);
            if (after.changes.size() == acked.size() + 1) {  // the unacknowledged one made it, whole
                REQUIRE(after.changes.back() == c);
                acked.push_back(c);
            }
            REQUIRE(after.changes == acked);
            break;
        }
        ++cuts;
        REQUIRE(f.overprograms == 0);
    }
    CHECK(cuts == 50);
}

TEST_CASE("store: wear levelling spreads erases over the state blocks", "[flash][store][wear]") {
    sim_flash f(512, 16);
    std::mt19937_64 rng(5);
    st::state_store<sim_flash> s(f);
    load(s);
    REQUIRE(s.reset({}) == st::store_error::none);
    for (int round = 0; round < 200; ++round) {
        for (int i = 0; i < 10; ++i) {
            const st::store_error e = s.append(1, random_bytes(rng, 40));
            REQUIRE((e == st::store_error::none || e == st::store_error::full));
        }
        REQUIRE(s.reset({}) == st::store_error::none);  // compaction: everything before is dead
    }
    st::state_store<sim_flash> r(f);
    REQUIRE(load(r).error == st::store_error::none);
    std::uint32_t lo = ~0u, hi = 0;
    for (std::uint16_t b = 0; b < r.layout().state_blocks; ++b) {
        std::uint32_t c = 0;
        REQUIRE(r.erase_count(b, c));
        lo = std::min(lo, c);
        hi = std::max(hi, c);
    }
    CHECK(hi > 10);          // the log did move over the blocks...
    CHECK(hi - lo <= 2);     // ...evenly
    CHECK(r.health().erase_max == hi);
    CHECK(r.health().erase_min == lo);
    CHECK(f.overprograms == 0);
}
