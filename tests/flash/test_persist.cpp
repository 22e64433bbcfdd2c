// The control plane with a state store (control/persist.hpp) against a simulated flash: the
// REAL plane and engine (tests/control/appliance_harness.hpp), commands sealed by a client.
//
// Invariants checked:
//  - persist first: a change whose record cannot be stored is acked storage_failed and NOT
//    applied (the configuration reply is unchanged);
//  - after a reboot (fresh engine and plane, the store loaded and replayed) the configuration
//    is exactly what it was - over random sequences of port rules, signatures and limits, and
//    after power cuts at random flash steps (then: as before the cut, or with the change in
//    flight applied whole);
//  - factory reset keeps the boot configuration and drops the changes; queries are not stored.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "appliance_life.hpp"

namespace {

using namespace flash_test;

bool same(const wire::config& x, const wire::config& y) {
    if (!(x.current == y.current) || x.ebpf_program_id != y.ebpf_program_id || x.signature_count != y.signature_count ||
        x.rule_total != y.rule_total || x.rules.count != y.rules.count)
        return false;
    for (std::size_t i = 0; i < x.rules.count; ++i)
        if (!(x.rules.items[i] == y.rules.items[i])) return false;
    return true;
}

/// A random configuration change, handed to `send` (signature patterns live in `keep`).
template <class Send>
wire::ack random_change(std::mt19937_64& rng, std::vector<std::vector<std::byte>>& keep, Send&& send) {
    switch (rng() % 5) {
    case 0:
    case 1: {
        wire::block_port m;
        m.rule.protocol = rng() % 2 ? wire::l4_protocol::tcp : wire::l4_protocol::udp;
        m.rule.direction = static_cast<wire::traffic_direction>(rng() % 3);
        m.rule.port = static_cast<std::uint16_t>(1 + rng() % 40);
        return send(m);
    }
    case 2: {
        wire::unblock_port m;
        m.rule.protocol = rng() % 2 ? wire::l4_protocol::tcp : wire::l4_protocol::udp;
        m.rule.direction = static_cast<wire::traffic_direction>(rng() % 3);
        m.rule.port = static_cast<std::uint16_t>(1 + rng() % 40);
        return send(m);
    }
    case 3: {
        wire::add_signature m;
        m.id = static_cast<std::uint32_t>(50000 + rng() % 8);
        auto& p = keep.emplace_back(4 + rng() % 8);
        for (auto& b : p) b = static_cast<std::byte>('a' + rng() % 26);
        m.pattern = p;
        return send(m);
    }
    default: {
        wire::set_limits m;
        m.value.per_source_pps = static_cast<std::uint32_t>(100 + rng() % 5000);
        m.value.ban_seconds = static_cast<std::uint32_t>(1 + rng() % 600);
        return send(m);
    }
    }
}

/// An appliance without persistence that is sent the same commands: the expected state.
struct model {
    harness::appliance<> a{0x9001};
    harness::client c{harness::default_key, 1, 0x9001};
    std::uint64_t now = 10 * tps;
    template <class M>
    void command(const M& m) {
        a.deliver(c.seal(m), ++now);
        if (auto got = a.next_datagram()) (void)c.open(*got);  // the ack teaches the config version
    }
    wire::config config() {
        a.deliver(c.seal(wire::read_config{0}), ++now);
        auto got = a.next_datagram();
        REQUIRE(got);
        const wire::opened o = c.open(*got);
        wire::config cfg;
        REQUIRE(wire::decode_payload(o.payload, cfg) == wire::wire_error::none);
        return cfg;
    }
};

sim_flash provisioned_flash() {
    sim_flash f(4096, 16);
    st::state_store<sim_flash> s(f);
    REQUIRE(s.open(provisioned_config()) == st::store_error::not_provisioned);
    REQUIRE(s.reset(provisioned_config()) == st::store_error::none);
    return f;
}

}  // namespace

TEST_CASE("persist: the configuration after a reboot is the one before", "[flash][persist]") {
    std::mt19937_64 rng(GENERATE(take(10, random(1u, 1000000u))));
    sim_flash f = provisioned_flash();
    std::vector<std::vector<std::byte>> keep;
    wire::config before;
    {
        life l(f, 0x1001);
        for (int i = 0; i < 60; ++i) {
            const wire::ack k = random_change(rng, keep, [&](const auto& m) { return l.command(m); });
            REQUIRE(k.result != wire::status::storage_failed);
        }
        (void)l.command(wire::ping{});  // queries and pings are not stored
        before = l.config();
        const wire::store_report r = l.report();
        CHECK(r.persistence == 1);
        CHECK(r.appends == 60);
        CHECK(r.records == 61);
    }
    life l(f, 0x1002);
    CHECK(l.a.plane().replayed() == 60);
    const wire::config after = l.config();
    CHECK(same(before, after));
    CHECK(after.config_version == before.config_version);  // the same changes, counted the same
}

TEST_CASE("persist: a change that cannot be stored is refused and not applied", "[flash][persist]") {
    sim_flash f = provisioned_flash();
    life l(f, 0x2001);
    wire::block_port m;
    m.rule.port = 23;
    REQUIRE(l.command(m).result == wire::status::ok);
    const wire::config before = l.config();
    f.budget = 0;  // the next program word loses power
    m.rule.port = 24;
    const wire::ack k = l.command(m);
    CHECK(k.result == wire::status::storage_failed);
    CHECK(k.error_code == static_cast<std::uint16_t>(st::store_error::program_failed));
    CHECK(same(l.config(), before));  // port 24 is not blocked
    CHECK(l.report().failures == 1);
}

TEST_CASE("persist: power cuts during changes, then a reboot", "[flash][persist][powercut]") {
    // 40 cuts at a random flash step; two models that saw the same commands: `acked` only the
    // acknowledged ones, `inflight` also the one the cut interrupted.
    std::mt19937_64 rng(GENERATE(take(40, random(1u, 1000000u))));
    sim_flash f = provisioned_flash();
    f.rng.seed(rng());
    std::vector<std::vector<std::byte>> keep;
    model acked, inflight;
    bool cut = false;
    {
        life l(f, 0x3001);
        f.budget = static_cast<std::int64_t>(rng() % 400);
        for (int i = 0; i < 80 && !cut; ++i) {
            (void)random_change(rng, keep, [&](const auto& m) {
                const wire::ack k = l.command(m);
                inflight.command(m);
                if (k.result == wire::status::storage_failed) {
                    cut = true;
                } else {
                    acked.command(m);
                }
                return k;
            });
        }
    }
    f.power_on();
    life l(f, 0x3002);
    const wire::config after = l.config();
    const bool as_acked = same(after, acked.config());
    const bool with_inflight = same(after, inflight.config());
    INFO("cut " << cut << " replayed " << l.a.plane().replayed());
    CHECK((as_acked || with_inflight));
}

TEST_CASE("persist: factory reset drops the changes, keeps the boot configuration", "[flash][persist]") {
    sim_flash f = provisioned_flash();
    {
        life l(f, 0x4001);
        wire::block_port m;
        m.rule.port = 23;
        REQUIRE(l.command(m).result == wire::status::ok);
        REQUIRE(l.config().rule_total == 1);
        wire::factory_reset r;
        REQUIRE(l.command(r).result == wire::status::ok);
        CHECK(l.a.plane().reboot_requested());
    }
    life l(f, 0x4002);
    CHECK(l.a.plane().replayed() == 0);
    CHECK(l.config().rule_total == 0);
    CHECK(l.store.boot() == provisioned_config());
}

TEST_CASE("persist: without a store nothing is kept and factory reset is refused", "[flash][persist]") {
    harness::appliance<> a(0x5001);
    harness::client c(harness::default_key, 1, 0x5001);
    const auto d = c.seal(wire::factory_reset{});
    a.deliver(d, 2 * tps);
    auto got = a.next_datagram();
    REQUIRE(got);
    const wire::opened o = c.open(*got);
    wire::ack k;
    REQUIRE(wire::decode_payload(o.payload, k) == wire::wire_error::none);
    CHECK(k.result == wire::status::invalid);
    CHECK(k.error_code == static_cast<std::uint16_t>(st::store_error::disabled));
    CHECK_FALSE(a.plane().reboot_requested());
}
