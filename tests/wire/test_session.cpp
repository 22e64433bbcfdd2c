// Sessions end to end: a client and the appliance exchange sealed datagrams; replays, reflections,
// other channels, stale boots and wrong keys are refused, and a client follows a reboot only on
// proof that the new boot is current.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "random_messages.hpp"

using namespace wire_testing;

namespace {

constexpr siphash_key key{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

template <class S, class M>
bytes seal_client(S& s, const M& m, std::uint64_t* seq = nullptr) {
    bytes d(max_datagram);
    const auto e = s.seal(m, d, seq);
    REQUIRE(e.error == wire_error::none);
    d.resize(e.size);
    return d;
}

template <class M>
bytes seal_appliance(appliance_session<4>& s, const M& m, std::uint8_t channel) {
    bytes d(max_datagram);
    const auto e = s.seal(m, channel, d);
    REQUIRE(e.error == wire_error::none);
    d.resize(e.size);
    return d;
}

/// The appliance's answer to an accepted command or a wrong-boot one.
bytes answer(appliance_session<4>& app, const bytes& request) {
    const opened o = app.open(request);
    if (o.ok()) return seal_appliance(app, ack{o.hdr.seq, 1, o.hdr.type, status::ok, 0, 0}, o.hdr.channel);
    REQUIRE(o.error == wire_error::wrong_boot);
    return seal_appliance(app, error_reply{o.hdr.seq, static_cast<std::uint8_t>(o.hdr.type), o.error}, o.hdr.channel);
}

// The kernel's session lives in .bss: 16 bytes per channel plus key, boot id and sequence.
static_assert(sizeof(appliance_session<4>) <= 16 + 8 + 8 + 4 * 16);

}  // namespace

TEST_CASE("a client learns the boot id from its first ping, then commands are accepted", "[session]") {
    appliance_session<4> app(key, 0xb007);
    client_session cli(key, 2, 1000);
    REQUIRE(cli.boot_id() == 0);

    const bytes first = seal_client(cli, ping{});
    const opened refused = app.open(first);
    REQUIRE(refused.error == wire_error::wrong_boot);
    const bytes reply = answer(app, first);
    const opened learned = cli.open(reply);
    REQUIRE(learned.ok());
    REQUIRE(learned.new_boot);
    REQUIRE(cli.boot_id() == 0xb007);

    std::uint64_t seq = 0;
    const bytes cmd = seal_client(cli, block_port{{l4_protocol::tcp, traffic_direction::inbound, 22}}, &seq);
    const opened got = app.open(cmd);
    REQUIRE(got.ok());
    REQUIRE(got.hdr.seq == seq);
    REQUIRE(got.hdr.channel == 2);
    int visited = 0;
    REQUIRE(visit_payload(command_types{}, got.hdr.type, got.payload, [&](const auto& m) {
                if constexpr (std::is_same_v<std::decay_t<decltype(m)>, block_port>) {
                    CHECK(m.rule.port == 22);
                    ++visited;
                }
            }) == wire_error::none);
    REQUIRE(visited == 1);

    SECTION("a replayed command is refused, also after later ones") {
        REQUIRE(app.open(cmd).error == wire_error::replayed);
        for (int i = 0; i < 70; ++i) REQUIRE(app.open(seal_client(cli, ping{})).ok());
        REQUIRE(app.open(cmd).error == wire_error::too_old);
    }
    SECTION("a reply is accepted once by its client") {
        const bytes r = seal_appliance(app, ack{seq, 2, msg_type::block_port, status::ok, 0, 0}, 2);
        REQUIRE(cli.open(r).ok());
        REQUIRE(cli.open(r).error == wire_error::replayed);
    }
    SECTION("datagrams reflected to their sender are refused") {
        REQUIRE(cli.open(cmd).error == wire_error::wrong_direction);
        const bytes r = seal_appliance(app, stats{}, 0);
        REQUIRE(app.open(r).error == wire_error::wrong_direction);
    }
    SECTION("replies for another client are not ours") {
        const bytes r = seal_appliance(app, ack{seq, 2, msg_type::ping, status::ok, 0, 0}, 3);
        REQUIRE(cli.open(r).error == wire_error::wrong_channel);
        // ...while telemetry to channel 0 reaches everyone.
        REQUIRE(cli.open(seal_appliance(app, stats{}, 0)).ok());
    }
    SECTION("a wrong key is bad_mac on both sides") {
        client_session intruder({key.k0, key.k1 ^ 1}, 2, 5000, 0xb007);
        REQUIRE(app.open(seal_client(intruder, penalty_flush{})).error == wire_error::bad_mac);
        appliance_session<4> fake({key.k0 ^ 1, key.k1}, 0xb007);
        REQUIRE(cli.open(seal_appliance(fake, stats{}, 0)).error == wire_error::bad_mac);
    }
}

TEST_CASE("channels have independent windows", "[session][property]") {
    std::mt19937_64 rng(90);
    appliance_session<4> app(key, 77);
    std::vector<client_session> clients;
    for (std::uint8_t c = 1; c <= 4; ++c) clients.emplace_back(key, c, 1 + rng() % 1000, 77);
    std::vector<bytes> sent;
    for (int i = 0; i < 4000; ++i) {
        if (rng() % 3 == 0 && !sent.empty()) {
            const auto e = app.open(sent[rng() % sent.size()]).error;
            REQUIRE((e == wire_error::replayed || e == wire_error::too_old));
        } else {
            auto& c = clients[rng() % clients.size()];
            sent.push_back(seal_client(c, ping{}));
            REQUIRE(app.open(sent.back()).ok());
        }
    }
    // Channel 0 and channels above the configured count are refused.
    client_session five(key, 5, 1, 77);
    REQUIRE(app.open(seal_client(five, ping{})).error == wire_error::out_of_range);
}

TEST_CASE("a client follows a reboot, but a recording cannot drag it back", "[session]") {
    appliance_session<4> boot1(key, 1111);
    client_session cli(key, 1, 1);
    REQUIRE(cli.open(answer(boot1, seal_client(cli, ping{}))).new_boot);
    REQUIRE(cli.boot_id() == 1111);
    const bytes old_cmd = seal_client(cli, penalty_flush{});
    const bytes old_reply = answer(boot1, old_cmd);
    const bytes old_stats = seal_appliance(boot1, stats{}, 0);
    REQUIRE(cli.open(old_reply).ok());

    // The appliance reboots: a new boot id and fresh windows. The recorded command is useless.
    appliance_session<4> boot2(key, 2222);
    REQUIRE(boot2.open(old_cmd).error == wire_error::wrong_boot);
    // Telemetry from the new boot is not proof (it could be a recording): wrong_boot.
    REQUIRE(cli.open(seal_appliance(boot2, stats{}, 0)).error == wire_error::wrong_boot);
    // The client's next command earns an error_reply that moves it to boot 2222.
    const opened moved = cli.open(answer(boot2, seal_client(cli, ping{})));
    REQUIRE(moved.ok());
    REQUIRE(moved.new_boot);
    REQUIRE(cli.boot_id() == 2222);
    REQUIRE(boot2.open(seal_client(cli, ping{})).ok());
    // Recordings from boot 1 cannot move it back, neither a reply nor telemetry.
    REQUIRE(cli.open(old_reply).error == wire_error::wrong_boot);
    REQUIRE(cli.open(old_stats).error == wire_error::wrong_boot);
    REQUIRE(cli.boot_id() == 2222);
}

TEST_CASE("invalid payloads are refused before the sequence number is consumed", "[session]") {
    appliance_session<4> app(key, 9);
    // Hand-craft an authentic datagram with an out-of-range payload (subscribe every 1 ms).
    bytes d(header_size + 4 + tag_size);
    header h;
    h.type = msg_type::subscribe;
    h.channel = 1;
    h.boot_id = 9;
    h.seq = 60;
    d[0] = std::byte{0x53};
    d[1] = std::byte{0x45};
    d[2] = std::byte{1};
    d[3] = std::byte{0x03};
    d[5] = std::byte{1};
    d[6] = std::byte{4};
    d[8] = std::byte{9};
    d[16] = std::byte{60};
    d[24] = std::byte{1};
    const std::uint64_t tag = siphash(key, std::span<const std::byte>(d).first(28));
    for (int i = 0; i < 8; ++i) d[28 + static_cast<std::size_t>(i)] = static_cast<std::byte>(tag >> (8 * i));
    REQUIRE(app.open(d).error == wire_error::out_of_range);
    // Sequence 60 is still free for a valid command.
    client_session again(key, 1, 60, 9);
    REQUIRE(app.open(seal_client(again, subscribe{100})).ok());
}

TEST_CASE("an unknown type from an authentic client gets its header back for the error_reply", "[session]") {
    appliance_session<4> app(key, 9);
    bytes d(header_size + tag_size);
    d[0] = std::byte{0x53};
    d[1] = std::byte{0x45};
    d[2] = std::byte{1};
    d[3] = std::byte{0x3e};  // not a command (yet)
    d[5] = std::byte{1};
    d[8] = std::byte{9};
    d[16] = std::byte{3};
    const std::uint64_t tag = siphash(key, std::span<const std::byte>(d).first(24));
    for (int i = 0; i < 8; ++i) d[24 + static_cast<std::size_t>(i)] = static_cast<std::byte>(tag >> (8 * i));
    const opened o = app.open(d);
    REQUIRE(o.error == wire_error::unknown_type);
    REQUIRE(o.hdr.seq == 3);
    REQUIRE(static_cast<std::uint8_t>(o.hdr.type) == 0x3e);
}
