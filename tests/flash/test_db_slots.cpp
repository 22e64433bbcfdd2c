// The rule-database slots A/B (store/db_slots.hpp) against the simulated NOR flash.
//
// Invariants checked:
//  - an upload goes to the slot not in force; after a commit that slot is in force, and a
//    "reboot" (a fresh db_slots over the same bytes) finds the newest committed database;
//  - a power cut at EVERY program word and erase of an upload leaves, after the reboot, either
//    the old database in force or the new one whole - byte for byte one of the two, never a
//    mixture - and the stage accepts it; no word is ever programmed twice;
//  - a slot that fails any check (bit flip anywhere in header or database, another key,
//    revoked) is passed over with the reason named: the other valid slot, else none (built-in);
//  - refusals: too large (the capacity is the slot size), bad lengths, a database that does
//    not verify (the db_error named), a commit without an upload.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <secengine/rules/appliance_stage.hpp>
#include <secengine/store/db_slots.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"
#include "sim_flash.hpp"

namespace {

namespace st = secengine::store;
namespace rules = secengine::rules;
using slots_type = st::db_slots<sim_flash>;

const secengine::wire::siphash_key key = secengine::wire::siphash_key::from_octets(
    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

/// A database of `n` content rules (sids from `first`), compiled by the host compiler.
std::vector<std::byte> compile(std::uint32_t first, std::size_t n) {
    secengine::rulesc::classification classes;
    std::vector<secengine::rulesc::parsed_rule> parsed;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t sid = first + static_cast<std::uint32_t>(i);
        const std::string t = "drop tcp any any -> any any (msg:\"marker " + std::to_string(sid) + "\"; content:\"MARK-" +
                              std::to_string(sid) + "-XYZ\"; sid:" + std::to_string(sid) + "; rev:1;)";
        secengine::rulesc::parsed_rule r;
        const auto o = secengine::rulesc::parse_rule(t, secengine::rulesc::default_vars(), classes, r);
        REQUIRE(o.st == secengine::rulesc::parse_outcome::status::ok);
        parsed.push_back(std::move(r));
    }
    auto db = secengine::rulesc::compile(parsed, {1, false});
    REQUIRE(db.error.empty());
    return db.image;
}

/// Upload `db` as set `id` in chunks of `chunk` bytes; the first failing step's error.
st::store_error upload(slots_type& s, std::uint32_t id, const std::vector<std::byte>& db, std::size_t chunk = 1428) {
    if (const auto e = s.begin(db.size()); e != st::store_error::none) return e;
    for (std::size_t off = 0; off < db.size(); off += chunk) {
        const std::size_t n = std::min(chunk, db.size() - off);
        if (const auto e = s.write(off, std::span<const std::byte>(db).subspan(off, n)); e != st::store_error::none) return e;
    }
    rules::db_error why = rules::db_error::ok;
    return s.commit(id, why);
}

bool same(std::span<const std::byte> a, const std::vector<std::byte>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

TEST_CASE("db slots: uploads alternate between A and B and a reboot finds the newest", "[flash][db_slots]") {
    sim_flash f(1024, 64);  // slots of 16 blocks: databases span several erase blocks
    slots_type s(f);
    REQUIRE(s.open(key) == slots_type::none);
    REQUIRE(s.info(0).error == st::store_error::erased);
    REQUIRE(s.capacity() == 16 * 1024 - st::slot_header_bytes);
    std::mt19937 rng(14);
    std::vector<std::vector<std::byte>> sets;
    for (std::uint32_t round = 0; round < 12; ++round) {
        const std::size_t n = 1 + rng() % 40;
        const auto db = compile(1000 * (round + 1), n);
        REQUIRE(db.size() <= s.capacity());
        const int target = s.inactive();
        REQUIRE(upload(s, round + 1, db, 4 * (1 + rng() % 400)) == st::store_error::none);
        REQUIRE(s.active() == target);
        REQUIRE(same(s.active_image(), db));
        slots_type again(f);
        REQUIRE(again.open(key) == target);
        REQUIRE(again.info(target).set_id == round + 1);
        REQUIRE(same(again.active_image(), db));
        // The other slot still holds the previous set, verified.
        if (round > 0) {
            REQUIRE(again.info(1 - target).error == st::store_error::none);
            REQUIRE(again.info(1 - target).seq < again.info(target).seq);
            REQUIRE(same(std::span<const std::byte>(f.bytes() + (target == 0 ? 48 : 32) * 1024 + st::slot_header_bytes,
                                                    sets.back().size()),
                         sets.back()));
        }
        rules::appliance_stage<> stage;
        REQUIRE(stage.install(again.active_image()) == rules::db_error::ok);
        REQUIRE(stage.db().rule_count() == n);
        REQUIRE(stage.db().bytes().data() == again.active_image().data());  // in place, no copy
        sets.push_back(db);
    }
    REQUIRE(f.overprograms == 0);
}

TEST_CASE("db slots: a power cut at every step of an upload leaves the old database or the new one whole", "[flash][db_slots]") {
    const auto old_db = compile(100, 20);
    const auto new_db = compile(200, 30);
    REQUIRE(new_db.size() > 3 * 1024);  // the upload crosses erase blocks
    sim_flash base(1024, 64);
    {
        slots_type s(base);
        (void)s.open(key);
        REQUIRE(upload(s, 1, old_db) == st::store_error::none);
    }
    // Count the flash steps of a whole upload.
    sim_flash probe = base;
    {
        slots_type s(probe);
        (void)s.open(key);
        const auto before = probe.ops;
        REQUIRE(upload(s, 2, new_db) == st::store_error::none);
        probe.ops -= before;
    }
    const auto steps = static_cast<std::int64_t>(probe.ops);
    REQUIRE(steps > static_cast<std::int64_t>(new_db.size() / 4));
    std::size_t kept_old = 0, got_new = 0;
    for (std::int64_t cut = 0; cut <= steps; ++cut) {
        sim_flash f = base;
        f.rng.seed(static_cast<std::uint64_t>(cut));
        {
            slots_type s(f);
            (void)s.open(key);
            f.budget = cut;
            (void)upload(s, 2, new_db);
        }
        f.power_on();
        slots_type s(f);
        const int a = s.open(key);
        REQUIRE(a != slots_type::none);  // the old one at least
        const bool is_old = same(s.active_image(), old_db) && s.info(a).set_id == 1;
        const bool is_new = same(s.active_image(), new_db) && s.info(a).set_id == 2;
        REQUIRE((is_old || is_new));
        kept_old += is_old;
        got_new += is_new;
        // The header is the last step: only a whole upload switches (a cut in the header's last
        // word may leave it whole, when the bits that were still to clear happened to clear).
        if (cut < steps - 1) REQUIRE(is_old);
        rules::appliance_stage<> stage;
        REQUIRE(stage.install(s.active_image()) == rules::db_error::ok);
        REQUIRE(f.overprograms == 0);
        // After the cut, the next upload works and wins.
        REQUIRE(upload(s, 3, new_db) == st::store_error::none);
        slots_type t(f);
        REQUIRE(t.open(key) == s.active());
        REQUIRE(t.info(t.active()).set_id == 3);
    }
    REQUIRE(kept_old + got_new == static_cast<std::size_t>(steps + 1));
    REQUIRE(kept_old >= static_cast<std::size_t>(steps - 1));
}

TEST_CASE("db slots: a corrupt, foreign or revoked slot is passed over with its reason", "[flash][db_slots]") {
    const auto a_db = compile(300, 10);
    const auto b_db = compile(400, 12);
    sim_flash good(1024, 64);
    {
        slots_type s(good);
        (void)s.open(key);
        REQUIRE(upload(s, 1, a_db) == st::store_error::none);  // A
        REQUIRE(upload(s, 2, b_db) == st::store_error::none);  // B, in force
    }
    const std::size_t b_at = 48 * 1024;
    std::mt19937 rng(7);
    // A bit flipped anywhere in B's header words or database: B is refused, A (older) runs.
    for (int trial = 0; trial < 400; ++trial) {
        sim_flash f = good;
        std::size_t at = rng() % (st::slot_header_bytes + b_db.size());
        if (at >= 44 && at < st::slot_header_bytes) at = rng() % 40;  // reserved bytes: not read
        f.mem[b_at + at] ^= std::byte{static_cast<std::uint8_t>(1u << (rng() % 8))};
        slots_type s(f);
        REQUIRE(s.open(key) == 0);
        REQUIRE(same(s.active_image(), a_db));
        const st::store_error e = s.info(1).error;
        REQUIRE(e != st::store_error::none);
        if (at >= st::slot_header_bytes) REQUIRE((e == st::store_error::bad_mac || e == st::store_error::bad_payload));
        if (at >= 40 && at < 44) REQUIRE(e == st::store_error::revoked);
    }
    // Both corrupt: none in force (the kernel keeps the built-in set).
    {
        sim_flash f = good;
        f.mem[32 * 1024 + st::slot_header_bytes + 200] ^= std::byte{0x10};
        f.mem[b_at + st::slot_header_bytes + 200] ^= std::byte{0x10};
        slots_type s(f);
        REQUIRE(s.open(key) == slots_type::none);
        REQUIRE(s.active_image().empty());
        REQUIRE(s.info(0).error == st::store_error::bad_mac);
    }
    // Another appliance's key: neither slot is authentic.
    {
        slots_type s(good);
        const auto other = secengine::wire::siphash_key::from_octets({9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
        REQUIRE(s.open(other) == slots_type::none);
        REQUIRE(s.info(0).error == st::store_error::bad_mac);
        REQUIRE(s.info(1).error == st::store_error::bad_mac);
    }
    // Factory reset: revoked (one word each), then a new upload is in force again.
    {
        sim_flash f = good;
        slots_type s(f);
        REQUIRE(s.open(key) == 1);
        REQUIRE(s.revoke() == st::store_error::none);
        REQUIRE(s.active() == slots_type::none);
        slots_type t(f);
        REQUIRE(t.open(key) == slots_type::none);
        REQUIRE(t.info(0).error == st::store_error::revoked);
        REQUIRE(t.info(1).error == st::store_error::revoked);
        REQUIRE(upload(t, 5, a_db) == st::store_error::none);
        slots_type u(f);
        REQUIRE(u.open(key) == t.active());
        REQUIRE(u.info(u.active()).set_id == 5);
        REQUIRE(f.overprograms == 0);
    }
    // A zero-filled bank (QEMU's bank 1 without a drive) holds nothing, refuses nothing.
    {
        sim_flash z(1024, 64, std::byte{0});
        slots_type s(z);
        REQUIRE(s.open(key) == slots_type::none);
        REQUIRE(s.info(0).error == st::store_error::erased);
        REQUIRE(upload(s, 1, a_db) == st::store_error::none);
        slots_type t(z);
        REQUIRE(t.open(key) == s.active());
    }
}

TEST_CASE("db slots: refusals name what is wrong and leave the slot in force", "[flash][db_slots]") {
    const auto db = compile(500, 5);
    sim_flash f(1024, 64);
    slots_type s(f);
    (void)s.open(key);
    REQUIRE(upload(s, 1, db) == st::store_error::none);
    const int running = s.active();
    rules::db_error why = rules::db_error::ok;
    // Too large: the capacity is the slot's size.
    REQUIRE(s.begin(s.capacity() + 4) == st::store_error::too_large);
    REQUIRE(s.begin(s.capacity()) == st::store_error::none);
    // Lengths: not whole words, shorter than a database header, a write past the total.
    REQUIRE(s.begin(db.size() + 2) == st::store_error::bad_length);
    REQUIRE(s.begin(16) == st::store_error::bad_length);
    REQUIRE(s.commit(2, why) == st::store_error::disabled);  // no upload in progress
    REQUIRE(s.begin(db.size()) == st::store_error::none);
    REQUIRE(s.write(2, std::span<const std::byte>(db).first(4)) == st::store_error::bad_length);
    REQUIRE(s.write(db.size(), std::span<const std::byte>(db).first(4)) == st::store_error::bad_length);
    // Random bytes, a flipped bit, the header claiming less than was sent: db_error named.
    std::mt19937 rng(3);
    for (int trial = 0; trial < 30; ++trial) {
        std::vector<std::byte> bad = db;
        if (trial == 0) {
            for (auto& b : bad) b = static_cast<std::byte>(rng());
        } else if (trial == 1) {
            bad.resize(bad.size() + 64, std::byte{0});
        } else {
            std::size_t at = rng() % bad.size();
            if (at >= rules::hdr::mac && at < rules::hdr::mac + rules::hdr::mac_len) at = 0;  // outside the CRC
            bad[at] ^= std::byte{static_cast<std::uint8_t>(1u << (rng() % 8))};
        }
        REQUIRE(s.begin(bad.size()) == st::store_error::none);
        REQUIRE(s.write(0, bad) == st::store_error::none);
        REQUIRE(s.commit(7, why) == st::store_error::bad_payload);
        REQUIRE(why != rules::db_error::ok);
        if (trial == 1) REQUIRE(why == rules::db_error::truncated);
        REQUIRE(s.active() == running);
        slots_type t(f);
        REQUIRE(t.open(key) == running);
        REQUIRE(same(t.active_image(), db));
    }
    // A bank too small for slots has none.
    sim_flash tiny(1024, 2);
    slots_type n(tiny);
    REQUIRE(n.capacity() == 0);
    REQUIRE(n.begin(db.size()) == st::store_error::bad_geometry);
}
