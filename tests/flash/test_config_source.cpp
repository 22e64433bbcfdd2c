// The compaction source (control/config_source.hpp `running_config`): the REAL control plane
// and engine over a state store on the simulated flash (sim_flash.hpp), as in test_persist.
//
// Invariants checked:
//  - after random histories of port rules, signatures, limits and eBPF uploads (refused ones
//    included: a full rule table, unblocks of nothing, a program the verifier refuses), a
//    compaction with the running configuration as source and a reboot give exactly the
//    configuration before it: limits, port rules in order, signatures (id, bytes, nocase),
//    the eBPF program (id, size, code) - and the log holds one command per thing in force;
//  - compaction changes no configuration, so a power cut at any random flash step of it boots
//    the same configuration (the old log or the snapshot), and the next compaction succeeds;
//  - changes after a compaction replay on top of it; a second compaction keeps them;
//  - the source stops at the first failed write (a log too small: `full`, old state kept).
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "appliance_life.hpp"

namespace {

using namespace flash_test;

/// Everything the source promises to keep, read from the engine and the plane.
struct snapshot {
    wire::limits limits;
    std::vector<wire::port_rule> rules;
    struct sig {
        std::uint32_t id;
        bool nocase;
        std::vector<std::byte> bytes;
        bool operator==(const sig&) const = default;
    };
    std::vector<sig> sigs;
    std::uint32_t prog_id = 0, prog_bytes = 0;
    std::vector<std::uint64_t> code;
    bool operator==(const snapshot&) const = default;
};

snapshot take(life& l) {
    snapshot s;
    engine_type& e = l.a.engine();
    s.limits = wire::to_wire(e.limits());
    for (const auto& fr : e.rules().rules())
        if (wire::is_port_rule(fr)) s.rules.push_back(wire::to_wire(fr));
    const auto& ac = e.dpi().automaton();
    for (std::size_t i = 0; i < ac.pattern_count(); ++i) {
        const auto b = ac.bytes(i);
        s.sigs.push_back({ac.id(i), ac.nocase(i), std::vector<std::byte>(b.begin(), b.end())});
    }
    const wire::config cfg = l.config();  // the plane's program id and size
    s.prog_id = cfg.ebpf_program_id;
    s.prog_bytes = cfg.ebpf_program_bytes;
    for (const auto& i : e.ebpf().prog().code()) s.code.push_back(i.encode());
    return s;
}

/// One random change; patterns and programs live in `keep`.
void random_change(std::mt19937_64& rng, life& l, std::vector<std::vector<std::byte>>& keep, std::uint32_t& next_prog) {
    const auto rule = [&] {
        wire::port_rule r;
        r.protocol = rng() % 2 ? wire::l4_protocol::tcp : wire::l4_protocol::udp;
        r.direction = static_cast<wire::traffic_direction>(rng() % 3);
        r.port = static_cast<std::uint16_t>(1 + rng() % 60);  // 360 rules: the table fills
        return r;
    };
    switch (rng() % 9) {
    case 0:
    case 1:
    case 2: (void)l.command(wire::block_port{rule()}); break;
    case 3: (void)l.command(wire::unblock_port{rule()}); break;
    case 4: {
        wire::add_signature m;
        m.id = static_cast<std::uint32_t>(50000 + rng() % 6);
        m.flags = rng() % 2 ? wire::signature_flag::nocase : std::uint16_t{0};
        auto& p = keep.emplace_back(3 + rng() % 10);
        for (auto& b : p) b = static_cast<std::byte>('A' + rng() % 40);
        m.pattern = p;
        (void)l.command(m);
        break;
    }
    case 5: (void)l.command(wire::remove_signature{static_cast<std::uint32_t>(50000 + rng() % 6)}); break;
    case 6: {
        wire::set_limits m;
        if (rng() % 4 != 0) {  // else: back to the defaults
            m.value.per_source_pps = static_cast<std::uint32_t>(100 + rng() % 5000);
            m.value.ban_seconds = static_cast<std::uint32_t>(1 + rng() % 600);
        }
        (void)l.command(m);
        break;
    }
    case 7: {
        // An upload in one chunk (the kernel's slot: 64 instructions); sometimes one the
        // verifier refuses (no exit), sometimes left without its commit.
        auto& code = keep.emplace_back(harness::program_bytes(harness::pass_program(2 + rng() % 40)));
        const bool bad = rng() % 4 == 0;
        if (bad) code.resize(code.size() - 8);
        wire::ebpf_chunk c;
        c.program_id = ++next_prog;
        c.total_length = static_cast<std::uint32_t>(code.size());
        c.data = code;
        (void)l.command(c);
        if (rng() % 5 != 0) {
            wire::ebpf_commit m;
            m.program_id = c.program_id;
            m.total_length = c.total_length;
            (void)l.command(m);
        }
        break;
    }
    default: (void)l.command(wire::ebpf_unload{rng() % 2 ? next_prog : next_prog + 7}); break;
    }
}

sim_flash provisioned_flash(std::size_t block_size = 4096, std::size_t blocks = 32) {
    sim_flash f(block_size, blocks);
    st::state_store<sim_flash> s(f);
    REQUIRE(s.open(provisioned_config()) == st::store_error::not_provisioned);
    REQUIRE(s.reset(provisioned_config()) == st::store_error::none);
    return f;
}

/// Records the source hands out for `l`'s running configuration.
std::size_t source_size(life& l) {
    std::size_t n = 0;
    ctl::running_config<engine_type, sim_flash>{l.a.engine(), l.store}([&](std::uint16_t, std::span<const std::byte>) {
        ++n;
        return true;
    });
    return n;
}

}  // namespace

TEST_CASE("config source: a compaction and a reboot keep the running configuration", "[flash][compact][source]") {
    std::mt19937_64 rng(GENERATE(take(12, random(1u, 1000000u))));
    sim_flash f = provisioned_flash();
    std::vector<std::vector<std::byte>> keep;
    std::uint32_t prog = 100;
    snapshot before;
    std::size_t copies = 0;
    {
        life l(f, 0x1001);
        for (int i = 0; i < 250; ++i) random_change(rng, l, keep, prog);
        before = take(l);
        copies = source_size(l);
        REQUIRE(l.compact() == st::store_error::none);
        CHECK(l.store.health().records == 1 + copies);
        CHECK(take(l) == before);  // compaction changes nothing that runs
    }
    life l(f, 0x1002);
    CHECK(l.a.plane().replayed() == copies);
    CHECK(l.store.health().skipped == 0);
    const snapshot after = take(l);
    CHECK(after.limits == before.limits);
    CHECK(after.rules == before.rules);
    CHECK(after.sigs == before.sigs);
    CHECK(after.prog_id == before.prog_id);
    CHECK(after.code == before.code);
    CHECK(after == before);
    // Fewer records than changes: everything but the eBPF upload's history is one per item.
    CHECK(copies < 250);
}

TEST_CASE("config source: changes after a compaction replay on top of it, twice", "[flash][compact][source]") {
    std::mt19937_64 rng(GENERATE(take(6, random(1u, 1000000u))));
    sim_flash f = provisioned_flash();
    std::vector<std::vector<std::byte>> keep;
    std::uint32_t prog = 200;
    snapshot before;
    for (int round = 0; round < 3; ++round) {
        life l(f, 0x2000u + static_cast<std::uint64_t>(round));
        if (round > 0) CHECK(take(l) == before);
        for (int i = 0; i < 80; ++i) random_change(rng, l, keep, prog);
        if (round < 2) REQUIRE(l.compact() == st::store_error::none);
        before = take(l);
    }
    life l(f, 0x2100);
    CHECK(take(l) == before);
    CHECK(l.store.health().compactions == 0);  // counted per life
}

TEST_CASE("config source: a power cut at a random step of a compaction boots the same configuration",
          "[flash][compact][source][powercut]") {
    std::mt19937_64 rng(GENERATE(take(60, random(1u, 1000000u))));
    sim_flash f = provisioned_flash();
    f.rng.seed(rng());
    std::vector<std::vector<std::byte>> keep;
    std::uint32_t prog = 300;
    snapshot before;
    bool cut_short = false;
    {
        life l(f, 0x3001);
        for (int i = 0; i < 120; ++i) random_change(rng, l, keep, prog);
        before = take(l);
        // The compaction's flash steps (program words and erases), counted on a copy; the cut
        // falls anywhere in them or just after the last.
        std::uint64_t steps = 0;
        {
            sim_flash probe = f;
            life p(probe, 0x3100);
            const std::uint64_t at = probe.ops;
            REQUIRE(p.compact() == st::store_error::none);
            steps = probe.ops - at;
        }
        const std::uint64_t budget = rng() % (steps + 2);
        f.budget = static_cast<std::int64_t>(budget);
        cut_short = l.compact() != st::store_error::none;
        CHECK(cut_short == (budget < steps));  // the same steps as on the copy
    }
    f.power_on();
    {
        life l(f, 0x3002);
        INFO("compaction cut short: " << cut_short);
        CHECK(take(l) == before);
        REQUIRE(l.compact() == st::store_error::none);  // the leftovers never block the next one
    }
    life l(f, 0x3003);
    CHECK(take(l) == before);
    CHECK(f.overprograms == 0);
}

TEST_CASE("config source: a snapshot that does not fit is refused and the old state stays", "[flash][compact][source]") {
    // 8 blocks of 512 bytes: a dozen records a block; a state of ~40 rules cannot be copied
    // while the old one is still in force.
    sim_flash f = provisioned_flash(512, 8);
    std::uint32_t blocked = 0;
    snapshot before;
    {
        life l(f, 0x4001);
        for (std::uint16_t p = 1; p <= 60; ++p) {
            wire::port_rule r;
            r.port = p;
            if (l.command(wire::block_port{r}).result != wire::status::ok) break;
            ++blocked;
        }
        REQUIRE(blocked >= 10);
        before = take(l);
        std::size_t handed = 0;
        const st::store_error e = l.store.compact([&](auto&& put) {
            ctl::running_config<engine_type, sim_flash>{l.a.engine(), l.store}([&](std::uint16_t t, std::span<const std::byte> p) {
                ++handed;
                return put(t, p);
            });
        });
        CHECK(e == st::store_error::full);
        CHECK(handed < before.rules.size());  // stopped at the first failed write
    }
    life l(f, 0x4002);
    CHECK(take(l) == before);
}
