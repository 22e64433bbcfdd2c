// The real control plane's refusals: every reason a datagram is refused, whether it is answered
// (only authentic ones are, with an error_reply that authenticates), the rate limit on answers,
// and hostile datagrams (truncated, oversized, wrong key, replayed, random, bit-flipped). The
// invariant: an unauthenticated datagram is never answered and never changes the engine.
#include <random>

#include "plane_test_util.hpp"

using namespace plane_test;

TEST_CASE("control plane: refusals are counted; only authentic ones are answered", "[control]") {
    const auto key = harness::default_key;
    appliance<> a(boot, key);
    std::uint64_t now = tps;
    client good(key, 1, boot, 1000);  // far above the stale client's numbers below
    REQUIRE(command(a, good, wire::ping{}, ++now).result == wire::status::ok);
    const auto& plane = a.plane();
    using wire::wire_error;

    const auto expect = [&](std::vector<std::byte> d, wire_error e, bool answered) {
        const std::uint32_t before = plane.rejected(e);
        const std::uint32_t version = plane.config_version();
        const bool got = a.deliver(d, ++now);
        INFO("refusal " << wire::name(e));
        REQUIRE(plane.rejected(e) == before + 1);
        REQUIRE(got == answered);
        REQUIRE(plane.config_version() == version);
        if (answered) {
            const auto r = a.next_datagram();
            REQUIRE(r);
            wire::opened o = wire::open_datagram(harness::to_session_key(key), *r);
            REQUIRE(o.ok());
            REQUIRE(o.hdr.type == wire::msg_type::error_reply);
            wire::error_reply er;
            REQUIRE(wire::decode_payload(o.payload, er) == wire_error::none);
            REQUIRE(er.error == e);
        }
        REQUIRE(a.queued() == 0);
    };
    const wire::block_port blk{{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 25}};

    // Unauthenticated: never answered.
    auto d = good.seal(blk);
    expect({d.begin(), d.begin() + 20}, wire_error::truncated, false);
    d = good.seal(blk);
    d.pop_back();
    expect(d, wire_error::truncated, false);
    d = good.seal(blk);
    d[0] ^= std::byte{1};
    expect(d, wire_error::bad_magic, false);
    d = good.seal(blk);
    d[30] ^= std::byte{0x40};  // a payload byte: the tag no longer matches
    expect(d, wire_error::bad_mac, false);
    auto other_key = key;
    other_key[0] ^= 1;
    client wrong(other_key, 1, boot);
    expect(wrong.seal(blk), wire_error::bad_mac, false);
    d = good.seal(blk);
    d.push_back(std::byte{0});  // a byte after the tag
    expect(d, wire_error::length_mismatch, false);
    // Oversized: the largest chunk command with bytes after it, in a frame longer than 1514 bytes.
    {
        const std::vector<std::byte> code(wire::max_chunk_bytes, std::byte{0});
        d = good.seal(wire::ebpf_chunk{3, static_cast<std::uint32_t>(code.size()), 0, code});
    }
    REQUIRE(d.size() < harness::max_delivered);
    d.resize(harness::max_delivered, std::byte{0x55});
    expect(d, wire_error::length_mismatch, false);
    // Replayed and too old: authentic, but never answered (no reflection).
    d = good.seal(wire::ping{});
    REQUIRE(a.deliver(d, ++now));
    a.clear_sent();
    expect(d, wire_error::replayed, false);
    client stale(key, 1, boot, 1);  // sequence numbers far left of the window
    for (int i = 0; i < 2; ++i) (void)stale.seal(wire::ping{});
    expect(stale.seal(wire::ping{}), wire_error::too_old, false);
    // Reflected: a datagram sealed as the appliance's.
    wire::appliance_session<4> mirror(harness::to_session_key(key), boot);
    std::array<std::byte, wire::max_datagram> buf{};
    const auto e = mirror.seal(wire::ping{}, 1, buf);
    expect({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size)}, wire_error::wrong_direction, false);

    // Authentic: answered with an error_reply.
    client old_boot(key, 1, boot + 1);
    expect(old_boot.seal(wire::ping{}), wire_error::wrong_boot, true);
    client ch9(key, 9, boot);
    expect(ch9.seal(wire::ping{}), wire_error::out_of_range, true);
    d = good.seal(wire::ping{});
    d[3] = std::byte{0x3e};  // a command number nobody assigned
    retag(d, key);
    expect(d, wire_error::unknown_type, true);
    d = good.seal(wire::ping{});
    d[4] = std::byte{0x80};
    retag(d, key);
    expect(d, wire_error::bad_flags, true);
    d = good.seal(wire::subscribe{100});
    d[24] = std::byte{1};  // interval 1 ms: below min_interval_ms (a client's encoder refuses to send it)
    retag(d, key);
    expect(d, wire_error::out_of_range, true);
    // Another protocol version: answered (it cannot be authenticated under rules we do not know).
    d = good.seal(wire::ping{});
    d[2] = std::byte{2};
    expect(d, wire_error::unsupported_version, true);
    // A header that lies about the payload length: answered only when the tag still verifies.
    d = good.seal(wire::ping{});
    d[6] = std::byte{0xff};
    d[7] = std::byte{0xff};
    expect(d, wire_error::too_large, false);
    REQUIRE(plane.accepted() == 2);
}

TEST_CASE("control plane: error replies are rate limited", "[control]") {
    appliance<> a(boot);
    std::uint64_t now = tps;
    client asking(harness::default_key, 1, 0);  // boot id 0: a fresh client learning it
    int answered = 0;
    for (int i = 0; i < 200; ++i) answered += a.deliver(asking.seal(wire::ping{}), now);
    REQUIRE(answered == static_cast<int>(appliance<>::plane_type::burst));
    a.clear_sent();
    now += tps;  // one second later: the rate's worth again
    answered = 0;
    for (int i = 0; i < 200; ++i) answered += a.deliver(asking.seal(wire::ping{}), now);
    REQUIRE(answered == static_cast<int>(appliance<>::plane_type::burst));
    REQUIRE(a.plane().rejected(wire::wire_error::wrong_boot) == 400);
}

TEST_CASE("control plane: random and mutated datagrams never change the engine unless authentic", "[control][property]") {
    const auto key = harness::default_key;
    appliance<> a(boot, key);
    client good(key, 2, boot);
    std::mt19937_64 rng(GENERATE(1u, 2u, 3u));
    std::uint64_t now = tps;
    const auto version0 = a.plane().config_version();
    std::uint32_t delivered = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<std::byte> d;
        const int kind = static_cast<int>(rng() % 3);
        if (kind == 0) {  // random bytes, random length (beyond one frame too)
            d.resize(rng() % 1600);
            for (auto& b : d) b = static_cast<std::byte>(rng());
        } else {  // a valid command with bytes flipped, cut or appended
            d = good.seal(wire::block_port{{wire::l4_protocol::udp, wire::traffic_direction::both,
                                            static_cast<std::uint16_t>(1 + rng() % 60000)}});
            // 1-3 bit flips at distinct bytes (two flips of one bit would cancel out).
            const std::size_t first = rng() % d.size();
            const int flips = 1 + static_cast<int>(rng() % 3);
            for (int f = 0; f < flips; ++f)
                d[(first + static_cast<std::size_t>(f) * 7) % d.size()] ^= static_cast<std::byte>(1u << (rng() % 8));
            if (kind == 2) d.resize(rng() % (d.size() + 16));
        }
        const std::uint32_t accepted = a.plane().accepted();
        delivered += d.size() <= harness::max_delivered;
        a.deliver(d, ++now);
        // Nothing forged gets in: the only way past the tag is a correct tag, which a few flips
        // of a 64-bit SipHash tag cannot produce.
        REQUIRE(a.plane().accepted() == accepted);
        REQUIRE(a.plane().config_version() == version0);
        while (auto r = a.next_datagram()) {
            const wire::opened o = wire::open_datagram(harness::to_session_key(key), *r);
            REQUIRE(o.ok());  // every answer authenticates
            REQUIRE(o.hdr.type == wire::msg_type::error_reply);
        }
        if (i % 50 == 0) a.turn(now);
    }
    REQUIRE(a.pool().free.size() == 16);
    REQUIRE(a.plane().rejected_total() == delivered);
}


TEST_CASE("control plane: strangers' answers have their own trickle", "[control]") {
    // Another version and a previous boot go to the trickle (stranger_burst), fresh clients
    // (boot id 0) to the error budget: a flood of the former leaves the latter untouched.
    using plane_type = appliance<>::plane_type;
    appliance<> a(boot);
    const std::uint64_t now = tps;
    client old_boot(harness::default_key, 1, boot ^ 0xff);
    int answered = 0;
    for (int i = 0; i < 200; ++i) answered += a.deliver(old_boot.seal(wire::ping{}), now);
    REQUIRE(answered == static_cast<int>(plane_type::stranger_burst));
    client v2(harness::default_key, 1, boot);
    answered = 0;
    for (int i = 0; i < 200; ++i) {
        auto d = v2.seal(wire::ping{});
        d[2] = std::byte{2};
        answered += a.deliver(d, now);
    }
    REQUIRE(answered == 0);  // same trickle, already spent
    a.clear_sent();
    answered = 0;
    for (int i = 0; i < 200; ++i) {
        client fresh(harness::default_key, 1, 0, 100 + static_cast<std::uint64_t>(i));
        answered += a.deliver(fresh.seal(wire::ping{}), now);
    }
    REQUIRE(answered == static_cast<int>(plane_type::burst));
    REQUIRE(a.plane().rejected(wire::wire_error::wrong_boot) == 400);
    REQUIRE(a.plane().rejected(wire::wire_error::unsupported_version) == 200);
}

TEST_CASE("control plane: 1,000 forged or replayed datagrams per second never starve a fresh ping", "[control][property]") {
    // Per second of simulated time: 1,000 hostile datagrams (random bytes, forged tags, another
    // version, recordings from a previous boot and replays of this boot's commands, in random
    // order and from random sources; recordings of fresh clients' first datagrams too), then a fresh client - boot id 0, as secctl starts - that
    // must learn the boot id from an error_reply and get its ping acked. Every one of them.
    std::mt19937 rng(16);
    appliance<> a(boot);
    std::uint64_t now = tps;
    const auto key = harness::default_key;
    // Recordings: datagrams authentic under the key for a previous boot, fresh clients' first
    // datagrams, this boot's; a forger with a key one bit off.
    auto other_key = key;
    other_key[3] ^= 0x10;
    hostile_traffic hostile(a, key, other_key, now);
    const std::uint64_t step = tps / 1000;
    int pings_ok = 0;
    int hostile_answered = 0;
    const int seconds = 20;
    for (int sec = 0; sec < seconds; ++sec) {
        for (int i = 0; i < 1000; ++i) {
            const std::vector<std::byte> d = hostile.next(rng);
            const harness::client_address from = hostile_traffic::source(rng);
            hostile_answered += a.deliver(d, now, from);
            now += step;
        }
        a.clear_sent();  // the trickle's answers went to the forged sources
        client fresh(key, 1, 0, 1'000'000ull * static_cast<std::uint64_t>(sec + 1));
        const answer first = exchange(a, fresh, wire::ping{}, now);
        REQUIRE(first.any);
        REQUIRE(first.o.error == wire::wire_error::none);  // the client took the boot id from it
        REQUIRE(fresh.session().boot_id() == boot);
        (void)command(a, fresh, wire::ping{}, ++now);
        ++pings_ok;
        a.clear_sent();
    }
    REQUIRE(pings_ok == seconds);
    // The hostile datagrams got at most the trickle (stranger_rate per second plus the burst),
    // plus one answer per recorded fresh-client datagram (its first replay looks like a client)
    // and one more per real fresh client, whose tag can evict a recording's from the
    // direct-mapped discovery memory.
    REQUIRE(hostile_answered <= static_cast<int>(appliance<>::plane_type::stranger_rate) * seconds +
                                    static_cast<int>(appliance<>::plane_type::stranger_burst) +
                                    static_cast<int>(hostile.asking.size()) + seconds);
    REQUIRE(a.plane().rejected(wire::wire_error::unsupported_version) > 0);
    REQUIRE(a.plane().rejected(wire::wire_error::replayed) > 0);
}
