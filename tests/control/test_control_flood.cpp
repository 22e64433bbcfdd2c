// Issue 16's target for the management plane, with the real plane and a simulated clock:
// "with 1,000 unauthenticated datagrams per second at the management port, 10/10 fresh `secctl
// ping` succeed and telemetry to an existing subscriber keeps its rate". The hostile datagrams
// are random bytes, forged tags, other versions, recordings from a previous boot, replays of this
// boot's commands and of fresh clients' first datagrams, from random sources; the plane is
// polled after every datagram, as the kernel's loop does.
#include <random>

#include "plane_test_util.hpp"

using namespace plane_test;

namespace {

/// The subscriber's own address (telemetry and its acks go there, not to the fresh clients').
const harness::client_address subscriber_at{0x0a0000c8, 40003, {0x02, 0, 0, 0, 0, 0xc3}};

}  // namespace

TEST_CASE("flood: 1,000 hostile datagrams per second; 10/10 fresh pings, the subscriber's stats keep their rate",
          "[control][flood]") {
    const auto seed = GENERATE(take(3, random(1u, 1000000u)));
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    appliance<> a(boot);
    const auto key = harness::default_key;
    std::uint64_t now = tps;

    // An existing subscriber (channel 3): stats every 1000 ms, a keep-alive ping every second.
    client sub(key, 3, boot, 1);
    a.deliver(sub.seal(wire::subscribe{1000}), ++now, subscriber_at);
    {
        auto got = a.next_datagram(subscriber_at);
        REQUIRE(got);
        REQUIRE(ack_of({true, sub.open(*got), *got}).result == wire::status::ok);
    }

    // Recordings the attacker holds, and a forger with a key one bit off.
    auto other_key = key;
    other_key[5] ^= 0x01;
    hostile_traffic hostile(a, key, other_key, now, true);

    const std::uint64_t step = tps / 1000;  // 1,000 per second
    int pings_ok = 0, keepalives_ok = 0, stats_seen = 0;
    const int seconds = 10;
    for (int sec = 0; sec < seconds; ++sec) {
        for (int i = 0; i < 1000; ++i) {
            const std::vector<std::byte> d = hostile.next(rng);
            const harness::client_address from = hostile_traffic::source(rng);
            a.deliver(d, now, from);
            a.turn(now, 0);  // the loop polls after every frame; spares come from recycled frames
            now += step;
            // Telemetry for the subscriber, collected as it goes out.
            while (auto got = a.next_datagram(subscriber_at)) {
                const wire::opened o = sub.open(*got);
                REQUIRE(o.ok());  // authentic, from this boot, for channel 3
                stats_seen += o.hdr.type == wire::msg_type::stats;
            }
        }
        // A fresh `secctl ping`: boot id 0, learns the boot id from the error_reply, then acked.
        client fresh(key, 1, 0, 1'000'000ull * static_cast<std::uint64_t>(sec + 1));
        const answer first = exchange(a, fresh, wire::ping{}, now);
        if (first.any && first.o.ok() && fresh.session().boot_id() == boot) {
            a.deliver(fresh.seal(wire::ping{}), ++now);
            const answer second = receive(a, fresh);
            if (second.any && second.o.ok() && second.o.hdr.type == wire::msg_type::ack) ++pings_ok;
        }
        a.clear_sent();
        // The subscriber's keep-alive.
        a.deliver(sub.seal(wire::ping{}), ++now, subscriber_at);
        while (auto got = a.next_datagram(subscriber_at)) {
            const wire::opened o = sub.open(*got);
            REQUIRE(o.ok());
            keepalives_ok += o.hdr.type == wire::msg_type::ack;
            stats_seen += o.hdr.type == wire::msg_type::stats;
        }
    }
    CHECK(pings_ok == seconds);
    CHECK(keepalives_ok == seconds);
    // One stats message per 1000 ms interval: 10 s of flood hold 10 intervals (the first was
    // due at subscribe time, before the flood) - the rate is kept, not just "some arrive".
    CHECK(stats_seen >= seconds - 1);
    CHECK(stats_seen <= seconds + 1);
    CHECK(a.plane().subscription(3).active());
    CHECK(a.plane().subscription(3).to.ip == subscriber_at.ip);  // never moved to a forged source
    CHECK(a.plane().config_version() == 1);                      // nothing hostile applied
}
