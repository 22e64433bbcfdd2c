// State-store log compaction (state_store::compact, docs/store.md "Compaction"), against the
// simulated NOR flash that can lose power at any program word or erase (sim_flash.hpp).
//
// The configuration here is a model key-value table: command 1 sets key k (payload[0]) to the
// rest of the payload, command 2 deletes key k. Its compacted form is one set per key, so a
// long history compacts to a few records, as the appliance's port/signature tables would.
//
// Invariants checked:
//  - with compaction when the log runs low, thousands of changes never fill the log, and every
//    reboot replays exactly the acknowledged table;
//  - a power cut at EVERY flash step of a compaction (each program word and erase) boots the
//    acknowledged table, whichever side of the snapshot the cut fell; no word programmed twice;
//  - >= 1,000 random power cuts over changes and compactions: the bank always loads, every
//    acknowledged change is in force, the one in flight whole or absent;
//  - copies of a compaction cut short are dead: their blocks are reclaimed, never replayed;
//  - a compacted state that does not fit is refused (`full`) and the old state stays;
//  - hostile snapshots (bad payload, flipped bits) are refused by name; a lost copy is counted.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <vector>

#include <secengine/store/record.hpp>
#include <secengine/store/state_store.hpp>

#include "sim_flash.hpp"

namespace st = secengine::store;
using bytes = std::vector<std::byte>;
using table = std::map<std::uint8_t, bytes>;

namespace {

constexpr std::uint16_t set_cmd = 1;
constexpr std::uint16_t del_cmd = 2;

void apply(table& t, std::uint16_t type, std::span<const std::byte> p) {
    if (p.empty()) return;  // refused, as the engine refuses a malformed command: no effect
    const auto k = static_cast<std::uint8_t>(p[0]);
    if (type == set_cmd) t[k] = bytes(p.begin() + 1, p.end());
    if (type == del_cmd) t.erase(k);
}

struct loaded {
    st::store_error error;
    table state;
    std::uint32_t commands = 0;
};

loaded load(st::state_store<sim_flash>& s) {
    loaded l;
    l.error = s.load(st::boot_config{}, [&](std::uint16_t type, std::span<const std::byte> p) {
        apply(l.state, type, p);
        ++l.commands;
    });
    return l;
}

/// The table's compacted form: one set command per key.
st::store_error compact(st::state_store<sim_flash>& s, const table& t) {
    return s.compact([&](auto&& put) {
        for (const auto& [k, v] : t) {
            bytes p{static_cast<std::byte>(k)};
            p.insert(p.end(), v.begin(), v.end());
            if (!put(set_cmd, std::span<const std::byte>(p))) return;
        }
    });
}

struct change {
    std::uint16_t type;
    bytes payload;
};

change random_change(std::mt19937_64& rng) {
    change c{rng() % 4 == 0 ? del_cmd : set_cmd, {}};
    c.payload.push_back(static_cast<std::byte>(rng() % 8));  // few keys: history >> state
    if (c.type == set_cmd)
        for (std::size_t i = 0, n = rng() % 40; i < n; ++i) c.payload.push_back(static_cast<std::byte>(rng()));
    return c;
}

st::boot_config config_with_key(std::uint8_t k) {
    st::boot_config c;
    c.key.fill(k);
    return c;
}

}  // namespace

TEST_CASE("compaction: a bounded state never fills the log over thousands of changes", "[flash][compact]") {
    sim_flash f(512, 16);  // 8 state blocks of 512 bytes: ~60 records of history in all
    std::mt19937_64 rng(GENERATE(1u, 2u, 3u));
    table model;
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(config_with_key(7)) == st::store_error::none);
    }
    st::state_store<sim_flash> s(f);
    REQUIRE(load(s).error == st::store_error::none);
    for (int i = 0; i < 3000; ++i) {
        if (s.free_blocks() <= 4) REQUIRE(compact(s, model) == st::store_error::none);
        const change c = random_change(rng);
        INFO("change " << i << " free " << s.free_blocks());
        REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
        apply(model, c.type, c.payload);
        if (i % 500 == 499) {  // a reboot in between replays the table exactly
            st::state_store<sim_flash> r(f);
            const loaded l = load(r);
            REQUIRE(l.error == st::store_error::none);
            REQUIRE(l.state == model);
            REQUIRE(r.boot() == config_with_key(7));
            INFO("torn " << r.health().torn << " crc " << r.health().bad_crc << " mac " << r.health().bad_mac << " payload " << r.health().bad_payload << " missing " << r.health().missing_copies);
            CHECK(r.health().skipped == 0);
        }
    }
    CHECK(s.health().compactions > 20);
    CHECK(f.overprograms == 0);
    st::state_store<sim_flash> r(f);
    const loaded l = load(r);
    REQUIRE(l.state == model);
    CHECK(l.commands < 60);  // bounded by the log, not by the 3,000 changes
}

TEST_CASE("compaction: a power cut at every step of a compaction keeps the acknowledged state", "[flash][compact][powercut]") {
    std::mt19937_64 rng(GENERATE(11u, 12u, 13u, 14u));
    // The history before the compaction, and the compaction's step count on a copy of it.
    sim_flash base(512, 16);
    table model;
    {
        st::state_store<sim_flash> s(base);
        load(s);
        REQUIRE(s.reset(config_with_key(3)) == st::store_error::none);
        for (int i = 0; i < 25; ++i) {
            const change c = random_change(rng);
            REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
            apply(model, c.type, c.payload);
        }
    }
    std::uint64_t steps = 0;
    {
        sim_flash f = base;
        st::state_store<sim_flash> s(f);
        REQUIRE(load(s).state == model);
        const std::uint64_t before = f.ops;
        REQUIRE(compact(s, model) == st::store_error::none);
        steps = f.ops - before;
    }
    REQUIRE(steps > 10);
    int old_state = 0, new_state = 0;
    for (std::uint64_t cut = 0; cut <= steps; ++cut) {
        sim_flash f = base;
        f.rng.seed(cut * 7 + 1);
        st::state_store<sim_flash> s(f);
        REQUIRE(load(s).error == st::store_error::none);
        f.budget = static_cast<std::int64_t>(cut);
        const st::store_error e = compact(s, model);
        INFO("cut at step " << cut << " of " << steps << ": " << st::name(e));
        if (cut == steps) REQUIRE(e == st::store_error::none);
        else REQUIRE(f.dead);
        f.power_on();
        st::state_store<sim_flash> r(f);
        const loaded l = load(r);
        REQUIRE(l.error == st::store_error::none);
        REQUIRE(r.boot() == config_with_key(3));
        REQUIRE(l.state == model);
        (l.commands == model.size() ? new_state : old_state) += 1;
        // and the store goes on: a change after the reboot is kept
        REQUIRE(r.append(set_cmd, bytes{std::byte{200}, std::byte{1}}) == st::store_error::none);
        st::state_store<sim_flash> r2(f);
        const loaded l2 = load(r2);
        table want = model;
        want[200] = bytes{std::byte{1}};
        REQUIRE(l2.state == want);
        REQUIRE(f.overprograms == 0);
    }
    CHECK(old_state > 0);  // cuts before the snapshot: the long history
    CHECK(new_state > 0);  // the whole compaction: one set per key
}

TEST_CASE("compaction: random power cuts over changes and compactions never lose an acknowledged change",
          "[flash][compact][powercut]") {
    // 1,250 cuts: 25 seeds x 50 cuts, at a random program word or erase.
    std::mt19937_64 rng(GENERATE(take(25, random(1u, 1000000u))));
    sim_flash f(512, 16);
    f.rng.seed(rng());
    table acked;
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(config_with_key(9)) == st::store_error::none);
    }
    int cuts = 0, in_compaction = 0;
    while (cuts < 50) {
        st::state_store<sim_flash> s(f);
        const loaded boot = load(s);
        REQUIRE(boot.error == st::store_error::none);  // always bootable
        REQUIRE(boot.state == acked);
        f.budget = static_cast<std::int64_t>(rng() % 300);
        for (;;) {
            if (s.free_blocks() <= 4) {
                const st::store_error e = compact(s, acked);
                if (e == st::store_error::none) continue;
                REQUIRE(f.dead);  // the state fits: only a cut stops a compaction
                ++in_compaction;
                break;            // the next boot checks the state is the acknowledged one
            }
            const change c = random_change(rng);
            const st::store_error e = s.append(c.type, c.payload);
            if (e == st::store_error::none) {
                apply(acked, c.type, c.payload);
                continue;
            }
            REQUIRE(f.dead);  // never `full`: compaction keeps room
            f.power_on();
            st::state_store<sim_flash> r(f);
            const loaded after = load(r);
            REQUIRE(after.error == st::store_error::none);
            table with = acked;
            apply(with, c.type, c.payload);
            INFO("cut " << cuts << " in an append: " << st::name(e));
            REQUIRE((after.state == acked || after.state == with));  // the one in flight: whole or absent
            acked = after.state;
            break;
        }
        f.power_on();
        ++cuts;
        REQUIRE(f.overprograms == 0);
    }
    CHECK(cuts == 50);
    INFO("cuts inside a compaction: " << in_compaction);
}

TEST_CASE("compaction: copies of a compaction cut short are never replayed and their blocks come back",
          "[flash][compact]") {
    sim_flash f(512, 16);
    std::mt19937_64 rng(21);
    table model;
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(config_with_key(5)) == st::store_error::none);
    }
    for (int round = 0; round < 40; ++round) {
        st::state_store<sim_flash> s(f);
        REQUIRE(load(s).state == model);
        for (int i = 0; i < 6; ++i) {
            if (s.free_blocks() <= 4) break;
            const change c = random_change(rng);
            REQUIRE(s.append(c.type, c.payload) == st::store_error::none);
            apply(model, c.type, c.payload);
        }
        if (round % 2 == 0) {
            // a compaction whose snapshot never comes: the source stops it by a cut mid-copy
            f.budget = static_cast<std::int64_t>(20 + rng() % 40);
            (void)compact(s, model);
            f.power_on();
        } else {
            REQUIRE(compact(s, model) == st::store_error::none);
        }
    }
    st::state_store<sim_flash> r(f);
    const loaded l = load(r);
    REQUIRE(l.state == model);
    CHECK(l.commands == model.size());  // the last round compacted: one copy per key, no history
    CHECK(r.free_blocks() >= 3);  // 20 cut compactions left nothing that stays live
    CHECK(f.overprograms == 0);
}

TEST_CASE("compaction: a compacted state larger than the free blocks is refused and the old state stays",
          "[flash][compact]") {
    sim_flash f(512, 16);
    st::state_store<sim_flash> s(f);
    load(s);
    REQUIRE(s.reset(config_with_key(1)) == st::store_error::none);
    table model;
    REQUIRE(s.append(set_cmd, bytes{std::byte{1}, std::byte{2}}) == st::store_error::none);
    apply(model, set_cmd, bytes{std::byte{1}, std::byte{2}});
    const st::store_error e = s.compact([&](auto&& put) {
        const bytes big(300, std::byte{0x5a});  // 8 copies of ~340 bytes: more than 7 free blocks hold
        for (int i = 0; i < 40; ++i)
            if (!put(set_cmd, std::span<const std::byte>(big))) return;
    });
    CHECK(e == st::store_error::full);
    CHECK(st::name(e) == "full");
    st::state_store<sim_flash> r(f);
    const loaded l = load(r);
    REQUIRE(l.state == model);
    // the dead copies are reclaimed: the log still takes changes and compacts
    REQUIRE(r.append(set_cmd, bytes{std::byte{4}}) == st::store_error::none);
    apply(model, set_cmd, bytes{std::byte{4}});
    REQUIRE(compact(r, model) == st::store_error::none);
    st::state_store<sim_flash> r2(f);
    REQUIRE(load(r2).state == model);
}

TEST_CASE("compaction: hostile snapshot records are refused by name; a lost copy is counted", "[flash][compact][record]") {
    const st::boot_config cfg = config_with_key(4);
    const auto key = st::key_of(cfg);
    st::snapshot_info si{cfg, 5, 2};
    const auto good = st::encode(si);
    auto bytes_of = [](const st::record_writer& w) {
        bytes b(w.words() * 4);
        for (std::size_t i = 0; i < w.words(); ++i)
            for (int k = 0; k < 4; ++k) b[i * 4 + static_cast<std::size_t>(k)] = static_cast<std::byte>(w.word(i) >> (8 * k));
        return b;
    };
    {
        const bytes b = bytes_of(st::record_writer(st::record_kind::snapshot, 0, 7, good, key));
        const st::record_view v = st::parse_record(b, nullptr);  // a snapshot is checked under its own key
        REQUIRE(v.ok());
        st::snapshot_info back;
        REQUIRE(st::decode_base(v.kind, v.payload, back));
        CHECK(back.boot == cfg);
        CHECK(back.first == 5);
        CHECK(back.copies == 2);
    }
    SECTION("reserved word set, wrong size, bad boot config: bad_payload") {
        auto bad = good;
        bad[36] = std::byte{1};
        CHECK(st::parse_record(bytes_of(st::record_writer(st::record_kind::snapshot, 0, 7, bad, key)), nullptr).error ==
              st::store_error::bad_payload);
        const std::array<std::byte, 24> short_payload = st::encode(cfg);
        CHECK(st::parse_record(bytes_of(st::record_writer(st::record_kind::snapshot, 0, 7, short_payload, key)), nullptr).error ==
              st::store_error::bad_payload);
        auto port0 = good;
        port0[6] = port0[7] = std::byte{0};
        CHECK(st::parse_record(bytes_of(st::record_writer(st::record_kind::snapshot, 0, 7, port0, key)), nullptr).error ==
              st::store_error::bad_payload);
        CHECK(st::name(st::store_error::bad_payload) == "bad_payload");
    }
    SECTION("every bit flip is refused") {
        const bytes b = bytes_of(st::record_writer(st::record_kind::snapshot, 0, 7, good, key));
        for (std::size_t bit = 0; bit < b.size() * 8; ++bit) {
            bytes c = b;
            c[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
            const st::record_view v = st::parse_record(c, nullptr);
            INFO("bit " << bit);
            CHECK_FALSE(v.ok());
        }
    }
    SECTION("another kind byte: bad_payload") {
        bytes b = bytes_of(st::record_writer(static_cast<st::record_kind>(9), 0, 7, good, key));
        CHECK(st::parse_record(b, &key).error == st::store_error::bad_payload);
    }
    SECTION("a copy destroyed after its snapshot: counted, the rest replays") {
        sim_flash f(512, 16);
        table model;
        {
            st::state_store<sim_flash> s(f);
            load(s);
            REQUIRE(s.reset(cfg) == st::store_error::none);
            for (std::uint8_t k = 0; k < 3; ++k) {
                REQUIRE(s.append(set_cmd, bytes{std::byte{k}, std::byte{k}}) == st::store_error::none);
                apply(model, set_cmd, bytes{std::byte{k}, std::byte{k}});
            }
            REQUIRE(compact(s, model) == st::store_error::none);
        }
        // find the first copy record and clear a bit of its payload (CRC then fails)
        bool hit = false;
        for (std::size_t off = 0; off + 24 < f.mem.size() && !hit; off += 4) {
            const st::record_view v = st::parse_record(std::span<const std::byte>(f.mem).subspan(off), nullptr);
            if (v.ok() && v.kind == st::record_kind::copy) {
                f.mem[off + 24] ^= std::byte{0x01};  // rot after the fact (not a NOR program)
                hit = true;
            }
        }
        REQUIRE(hit);
        st::state_store<sim_flash> r(f);
        const loaded l = load(r);
        REQUIRE(l.error == st::store_error::none);
        // the copy and at most the rest of its chain segment after it (their tags vouch for its
        // old bytes, record.hpp); each copy set its own key
        CHECK(r.health().missing_copies >= 1);
        CHECK(r.health().missing_copies <= st::chain_span);
        CHECK(l.state.size() == model.size() - r.health().missing_copies);
        CHECK(r.health().bad_crc == 1);
    }
}

TEST_CASE("store load: a record whose CRC word alone is corrupt is refused, the rest of its chain segment with it",
          "[flash][store]") {
    // The QEMU test flash_bad_images flips a bit of this word. Version 2's chain tag covers the
    // CRC word (version 1's MAC did not: a load that trusted the MAC alone replayed such a
    // record); the command after it in the same segment is vouched for only by a tag over the
    // old bytes, so it is skipped too (bad_mac), and the one before still replays.
    sim_flash f(512, 16);
    {
        st::state_store<sim_flash> s(f);
        load(s);
        REQUIRE(s.reset(config_with_key(6)) == st::store_error::none);
        for (std::uint8_t k = 0; k < 3; ++k) REQUIRE(s.append(set_cmd, bytes{std::byte{k}, std::byte{1}}) == st::store_error::none);
    }
    std::vector<std::size_t> crc_words;  // offsets of the commands' CRC words
    for (std::size_t off = 0; off + 24 < f.mem.size(); off += 4) {
        const st::record_view v = st::parse_record(std::span<const std::byte>(f.mem).subspan(off), nullptr);
        if (v.ok() && v.kind == st::record_kind::command) crc_words.push_back(off + st::record_header_bytes + st::pad4(v.payload.size()));
    }
    REQUIRE(crc_words.size() == 3);
    for (int bit = 0; bit < 32; ++bit) {
        sim_flash g = f;
        g.mem[crc_words[1] + static_cast<std::size_t>(bit / 8)] ^= static_cast<std::byte>(1u << (bit % 8));
        st::state_store<sim_flash> r(g);
        const loaded l = load(r);
        INFO("bit " << bit);
        REQUIRE(l.error == st::store_error::none);
        CHECK(l.state.count(0) == 1);  // before it: replayed
        CHECK(l.state.count(1) == 0);  // the middle command is not replayed
        CHECK(l.state.count(2) == 0);  // after it in its segment: not provable
        CHECK(r.health().bad_crc == 1);
        CHECK(r.health().bad_mac == 1);
        CHECK(r.health().skipped == 2);
    }
}
