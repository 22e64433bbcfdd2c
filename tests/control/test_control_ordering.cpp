// Command ordering across channels (issue 16, wire/config_version.hpp): a configuration change
// carries the config version it was made against, and the real plane applies it only if that
// is still the current version. The attack (a block withheld on channel 2, delivered
// after newer commands on channel 1), the refusals of the new fields, and a property test over
// random interleavings of two channels with withheld and reordered datagrams.
#include <map>
#include <random>

#include "plane_test_util.hpp"

using namespace plane_test;

namespace {

const wire::port_rule ssh_alt{wire::l4_protocol::tcp, wire::traffic_direction::inbound, 2222};

/// Delivers `d` and opens the answer with `c` (each test reads one answer per datagram).
wire::ack deliver_ack(appliance<>& a, client& c, const std::vector<std::byte>& d, std::uint64_t now) {
    a.deliver(d, now);
    return ack_of(receive(a, c));
}

wire::config read_config(appliance<>& a, client& c, std::uint64_t now) {
    return reply_of<wire::config>(exchange(a, c, wire::read_config{0}, now));
}

}  // namespace

TEST_CASE("ordering: a block withheld on channel 2 and delivered after a newer unblock on channel 1 is refused",
          "[control][ordering]") {
    appliance<> a(boot);
    client ch1(harness::default_key, 1, boot);
    client ch2(harness::default_key, 2, boot);
    std::uint64_t now = tps;

    // Channel 2 blocks port 2222 at version 1; someone on the path withholds the datagram.
    const auto withheld = ch2.seal(wire::block_port{ssh_alt});
    // The operator, on channel 1, blocks it (v2) and later unblocks it again (v3).
    REQUIRE(command(a, ch1, wire::block_port{ssh_alt}, ++now).config_version == 2);
    REQUIRE(command(a, ch1, wire::unblock_port{ssh_alt}, ++now).config_version == 3);
    auto syn = tcp_frame(0xc0a80101, 2222);
    REQUIRE(a.engine().process(syn, ++now).pass());

    // The withheld block arrives: authentic, fresh for channel 2's replay window - and stale.
    const wire::ack k = deliver_ack(a, ch2, withheld, ++now);
    CHECK(k.result == wire::status::stale_version);
    CHECK(k.detail == 3);          // the current version, to re-read against
    CHECK(k.config_version == 3);  // not bumped
    CHECK(k.request_type == wire::msg_type::block_port);
    CHECK(a.plane().config_version() == 3);
    syn = tcp_frame(0xc0a80102, 2222);
    CHECK(a.engine().process(syn, ++now).pass());  // the port stays open
    CHECK(read_config(a, ch1, ++now).rule_total == 0);

    // Channel 2's client learned version 3 from the refusal; made again against it, it applies.
    CHECK(ch2.version() == 3);
    CHECK(command(a, ch2, wire::block_port{ssh_alt}, ++now).result == wire::status::ok);
    CHECK(a.plane().config_version() == 4);
}

TEST_CASE("ordering: every kind of configuration change is refused when stale and changes nothing", "[control][ordering]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    REQUIRE(command(a, c, wire::block_port{ssh_alt}, ++now).config_version == 2);
    const wire::config before = read_config(a, c, ++now);
    const auto pat = bytes_of("stale-pattern");
    wire::limits l;
    l.ban_seconds = 77;
    std::vector<std::vector<std::byte>> stale;
    c.set_version(1);  // what a delayed datagram made before the block would say
    stale.push_back(c.seal(wire::unblock_port{ssh_alt}));
    stale.push_back(c.seal(wire::block_port{{wire::l4_protocol::udp, wire::traffic_direction::both, 53}}));
    stale.push_back(c.seal(wire::add_signature{9100, 0, pat}));
    stale.push_back(c.seal(wire::remove_signature{1}));
    stale.push_back(c.seal(wire::set_limits{l}));
    stale.push_back(c.seal(wire::ebpf_unload{appliance<>::plane_type::builtin_program_id}));
    stale.push_back(c.seal(wire::rules_commit{1, 128}));
    stale.push_back(c.seal(wire::factory_reset{}));
    c.set_version(7);  // and one made against a version that never existed in this boot
    stale.push_back(c.seal(wire::unblock_port{ssh_alt}));
    for (const auto& d : stale) {
        const wire::ack k = deliver_ack(a, c, d, ++now);
        INFO(wire::name(k.request_type));
        CHECK(k.result == wire::status::stale_version);
        CHECK(k.detail == 2);
        CHECK(k.config_version == 2);
    }
    const wire::config after = read_config(a, c, ++now);
    CHECK(after.config_version == 2);
    CHECK(after.rule_total == before.rule_total);
    CHECK(after.signature_count == before.signature_count);
    CHECK(after.current == before.current);
    CHECK(after.ebpf_program_id == before.ebpf_program_id);
    CHECK_FALSE(a.plane().reboot_requested());
}

TEST_CASE("ordering: a change without the version (an older client) is refused with version_required", "[control][ordering]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const wire::ack k = deliver_ack(a, c, c.seal_as_is(wire::block_port{ssh_alt}), ++now);
    CHECK(k.result == wire::status::version_required);
    CHECK(k.detail == 1);
    CHECK(a.plane().config_version() == 1);
    CHECK(read_config(a, c, ++now).rule_total == 0);
    CHECK(wire::name(wire::status::version_required) == "version_required");
    CHECK(wire::name(wire::status::stale_version) == "stale_version");
    // Queries and non-configuration commands carry no version and work as before.
    CHECK(command(a, c, wire::ping{}, ++now).result == wire::status::ok);
    CHECK(command(a, c, wire::penalty_flush{}, ++now).result == wire::status::ok);
}

TEST_CASE("ordering: the version flag on the wrong type, or without its 4 bytes, is refused", "[control][ordering]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto refused_with = [&](std::vector<std::byte> d) {
        retag(d, harness::default_key);
        a.deliver(d, ++now);
        const answer r = receive(a, c);
        REQUIRE(r.any);
        REQUIRE(r.o.ok());
        REQUIRE(r.o.hdr.type == wire::msg_type::error_reply);
        wire::error_reply e;
        REQUIRE(wire::decode_payload(r.o.payload, e) == wire::wire_error::none);
        return e.error;
    };
    // A ping that says it carries a version: the flag is for configuration changes only.
    auto d = c.seal(wire::ping{});
    d[4] = std::byte{wire::flag::config_version};
    CHECK(refused_with(d) == wire::wire_error::bad_flags);
    // A penalty_flush (state, not configuration) with the flag.
    d = c.seal(wire::penalty_flush{});
    d[4] = std::byte{wire::flag::config_version};
    CHECK(refused_with(d) == wire::wire_error::bad_flags);
    // An ebpf_unload with the flag but only 3 bytes of payload: no room for the version.
    d = c.seal_as_is(wire::ebpf_unload{1});  // 4-byte payload
    d[4] = std::byte{wire::flag::config_version};
    d[6] = std::byte{3};
    d.erase(d.begin() + 24 + 3);
    CHECK(refused_with(d) == wire::wire_error::length_mismatch);
    // The version present but the command's own payload cut: its layout does not fit.
    d = c.seal(wire::block_port{ssh_alt});
    const std::size_t len = d.size() - 32;
    d[6] = std::byte{static_cast<unsigned char>(len - 1)};
    d.erase(d.begin() + static_cast<std::ptrdiff_t>(24 + len - 1));
    CHECK(refused_with(d) == wire::wire_error::length_mismatch);
    // A forged one (tag not recomputed) is not answered at all.
    d = c.seal(wire::block_port{ssh_alt});
    d[24] = std::byte{0x55};
    CHECK_FALSE(a.deliver(d, ++now));
    CHECK(a.plane().config_version() == 1);
    // Replies with the flag are refused by clients: only commands carry a version.
    wire::appliance_session<4> s(harness::to_session_key(harness::default_key), boot);
    std::array<std::byte, wire::max_datagram> buf{};
    const wire::encoded e = s.seal(wire::ack{1, 1, wire::msg_type::ping, wire::status::ok, 0, 0}, 1, buf);
    REQUIRE(e.error == wire::wire_error::none);
    std::vector<std::byte> r(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size));
    r[4] = std::byte{wire::flag::from_appliance | wire::flag::config_version};
    retag(r, harness::default_key);
    CHECK(c.open(r).error == wire::wire_error::bad_flags);
}

TEST_CASE("ordering: changes replayed from the store at boot are applied whatever their order", "[control][ordering]") {
    // The store keeps the command payload without the version prefix (persist.hpp): replay
    // re-applies the stored order and is never refused as stale.
    appliance<> a(boot);
    std::array<std::byte, 16> buf{};
    const wire::encoded e = wire::encode_payload(wire::block_port{ssh_alt}, buf);
    REQUIRE(e.error == wire::wire_error::none);
    const auto payload = std::span<const std::byte>(buf.data(), e.size);
    a.plane().replay(static_cast<std::uint16_t>(wire::msg_type::block_port), payload, tps);
    CHECK(a.plane().config_version() == 2);
    a.plane().replay(static_cast<std::uint16_t>(wire::msg_type::block_port), payload, tps);  // no change
    CHECK(a.plane().config_version() == 2);
    auto syn = tcp_frame(0xc0a80101, 2222);
    CHECK_FALSE(a.engine().process(syn, tps + 1).pass());
    // A client that learns the version after boot (from an ack) makes its changes against it.
    client c(harness::default_key, 1, boot);
    std::uint64_t now = 2 * tps;
    CHECK(command(a, c, wire::ping{}, ++now).config_version == 2);
    CHECK(command(a, c, wire::unblock_port{ssh_alt}, ++now).result == wire::status::ok);
}

namespace {

/// One random configuration change of a small universe (ports 1..6, signatures 9000..9003,
/// two limit sets), so that commands often collide.
struct change {
    int kind = 0;
    std::uint16_t port = 1;
    std::uint32_t sig = 9000;
    std::uint32_t ban = 10;
};

change random_change(std::mt19937& rng) {
    change c;
    c.kind = static_cast<int>(rng() % 5);
    c.port = static_cast<std::uint16_t>(1 + rng() % 6);
    c.sig = 9000 + static_cast<std::uint32_t>(rng() % 4);
    c.ban = rng() % 2 ? 10 : 20;
    return c;
}

const std::vector<std::byte>& pattern_of(std::uint32_t sig) {
    static const std::map<std::uint32_t, std::vector<std::byte>> p = {
        {9000, bytes_of("alpha-pattern")}, {9001, bytes_of("bravo")}, {9002, bytes_of("charlie!")}, {9003, bytes_of("delta--")}};
    return p.at(sig);
}

template <class Seal>
auto seal_change(const change& c, Seal&& seal) {
    const wire::port_rule r{wire::l4_protocol::tcp, wire::traffic_direction::inbound, c.port};
    wire::limits l;
    l.ban_seconds = c.ban;
    switch (c.kind) {
    case 0: return seal(wire::block_port{r});
    case 1: return seal(wire::unblock_port{r});
    case 2: return seal(wire::add_signature{c.sig, 0, pattern_of(c.sig)});
    case 3: return seal(wire::remove_signature{c.sig});
    default: return seal(wire::set_limits{l});
    }
}

/// What the configuration is, as far as these changes touch it.
struct snapshot {
    std::uint32_t version = 0;
    std::vector<wire::port_rule> rules;
    std::uint16_t signatures = 0;
    wire::limits limits;
    friend bool operator==(const snapshot&, const snapshot&) = default;
};

snapshot snap(appliance<>& a, client& c, std::uint64_t now) {
    const wire::config cf = read_config(a, c, now);
    snapshot s;
    s.version = cf.config_version;
    for (std::size_t i = 0; i < cf.rules.count; ++i) s.rules.push_back(cf.rules.items[i]);
    s.signatures = cf.signature_count;
    s.limits = cf.current;
    return s;
}

}  // namespace

TEST_CASE("ordering property: two channels, random interleavings, withheld and reordered datagrams",
          "[control][ordering][property]") {
    // Invariant: the changes the plane applies form one chain of versions - each was made
    // against exactly the version before it (1, 2, 3, ... with no gap and no repeat) - and a
    // refused change (stale_version) leaves the configuration and the version as they were.
    // Replaying the applied changes alone, in the order applied, on a fresh appliance gives the
    // same configuration: nothing stale leaked in.
    const auto seed = GENERATE(take(30, random(1u, 1000000u)));
    std::mt19937 rng(seed);
    INFO("seed " << seed);
    appliance<> a(boot);
    std::array<client, 2> cl{client(harness::default_key, 1, boot), client(harness::default_key, 2, boot)};
    struct pending {
        std::size_t ch;
        change c;
        std::uint32_t against;
        std::vector<std::byte> d;
    };
    std::vector<pending> air;  // sealed, not delivered yet (the path may hold them)
    std::vector<change> applied;
    std::uint32_t chain = 1;  // the version the next applied change must have been made against
    std::uint64_t now = tps;
    int refused = 0;
    for (int step = 0; step < 120; ++step) {
        if (air.empty() || rng() % 3 != 0) {  // a client makes a change against what it last saw
            const std::size_t ch = rng() % 2;
            const change c = random_change(rng);
            air.push_back({ch, c, cl[ch].version(), seal_change(c, [&](const auto& m) { return cl[ch].seal(m); })});
        }
        if (rng() % 4 == 0) continue;  // nothing delivered this step: the path holds it
        const std::size_t i = rng() % 3 == 0 ? rng() % air.size() : 0;  // mostly in order, sometimes not
        const pending p = air[i];
        air.erase(air.begin() + static_cast<std::ptrdiff_t>(i));
        const snapshot before = snap(a, cl[p.ch], ++now);
        const wire::ack k = deliver_ack(a, cl[p.ch], p.d, ++now);
        const snapshot after = snap(a, cl[p.ch], ++now);
        if (p.against != before.version) {
            REQUIRE(k.result == wire::status::stale_version);
            REQUIRE(k.detail == before.version);
            REQUIRE(after == before);  // nothing applied, version not bumped
            ++refused;
            continue;
        }
        REQUIRE(k.result != wire::status::stale_version);
        REQUIRE(p.against == chain);
        if (k.config_version != before.version) {  // it changed something: the chain grows by one
            REQUIRE(k.config_version == chain + 1);
            chain = k.config_version;
            applied.push_back(p.c);
        } else {
            REQUIRE(after == before);  // ok without a change (block of a blocked port), or refused by the engine
        }
    }
    // A fresh appliance given only the applied changes, in order, ends in the same place.
    appliance<> m(boot);
    client mc(harness::default_key, 1, boot);
    std::uint64_t mnow = tps;
    for (const change& c : applied) {
        const wire::ack k = seal_change(c, [&](const auto& msg) { return command(m, mc, msg, ++mnow); });
        REQUIRE(k.result == wire::status::ok);
    }
    CHECK(snap(m, mc, ++mnow) == snap(a, cl[0], ++now));
    INFO("applied " << applied.size() << " refused " << refused);
    CHECK(refused > 0);  // the interleavings did produce stale changes
}
