// Payload codecs of every message type: round trips over random values, canonical encoding,
// fixed layouts, rejection of short, long and out-of-range payloads, and constexpr use.
#include <catch2/catch.hpp>

#include <array>
#include <deque>
#include <random>
#include <vector>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/ebpf/error.hpp>

#include "random_messages.hpp"

using namespace wire_testing;

namespace {

template <class... Ms>
constexpr bool all_fit(type_list<Ms...>) {
    return ((max_payload_of<Ms> <= max_payload) && ...);
}

template <class M>
bytes encode(const M& m) {
    bytes out(max_payload);
    const auto e = encode_payload(m, out);
    REQUIRE(e.error == wire_error::none);
    out.resize(e.size);
    return out;
}

// Constant-evaluated round trip: a block_port and an ack survive encode + decode at compile time.
constexpr bool constexpr_round_trip() {
    std::array<std::byte, 64> buf{};
    block_port b;
    b.rule = {l4_protocol::udp, traffic_direction::both, 53};
    const auto e = encode_payload(b, buf);
    if (e.error != wire_error::none || e.size != 4) return false;
    block_port d;
    if (decode_payload(std::span<const std::byte>(buf).first(e.size), d) != wire_error::none) return false;
    if (!(d.rule == b.rule)) return false;
    ack a{99, 7, msg_type::ebpf_commit, status::verifier_rejected, 12, 345};
    const auto e2 = encode_payload(a, buf);
    ack a2;
    return e2.size == 20 && decode_payload(std::span<const std::byte>(buf).first(e2.size), a2) == wire_error::none &&
           a2 == a;
}

constexpr wire_error constexpr_decode_bad_enum() {
    std::array<std::byte, 4> buf{std::byte{5}, std::byte{0}, std::byte{80}, std::byte{0}};  // protocol 5
    block_port b;
    return decode_payload(std::span<const std::byte>(buf), b);
}

}  // namespace

// Every message fits one datagram with all its lists full.
static_assert(all_fit(command_types{}) && all_fit(appliance_types{}));
// The sizes docs/protocol.md states (fixed part, or the maximum with every list full).
static_assert(max_payload_of<ping> == 0 && max_payload_of<read_config> == 2 && max_payload_of<subscribe> == 4 &&
              max_payload_of<unsubscribe> == 0 && max_payload_of<block_port> == 4 && max_payload_of<unblock_port> == 4 &&
              max_payload_of<add_signature> == 6 && max_payload_of<remove_signature> == 4 &&
              max_payload_of<ebpf_chunk> == 12 && max_payload_of<ebpf_commit> == 10 + 8 * 8 &&
              max_payload_of<ebpf_unload> == 4 && max_payload_of<set_limits> == 36 && max_payload_of<penalty_list> == 4 &&
              max_payload_of<penalty_flush> == 0 && max_payload_of<penalty_unban> == 8 && max_payload_of<map_read> == 8 &&
              max_payload_of<rules_chunk> == 12 && max_payload_of<rules_commit> == 8 && max_payload_of<rules_list> == 4 &&
              max_payload_of<signature_list> == 2 && max_payload_of<versioned<block_port>> == 4 + 4);
static_assert(max_payload_of<ack> == 20 && max_payload_of<error_reply> == 12 && max_payload_of<config> == 324 &&
              max_payload_of<penalty_page> == 1218 && max_payload_of<map_page> == 22 && max_payload_of<stats> == 860 &&
              max_payload_of<dpi_hits> == 1030 && max_payload_of<map_counters> == 1046 && max_payload_of<alert> == 96 &&
              max_payload_of<rules_page> == 1206 && max_payload_of<signature_page> == signature_page_fixed);
static_assert(constexpr_round_trip());
// Protocol caps agree with the components that apply the commands.
static_assert(max_pattern_bytes == secengine::dpi::max_pattern_length);
static_assert(static_cast<std::size_t>(secengine::ebpf::verify_error::count_) <= 0xffff, "fits ack.error_code");
static_assert(constexpr_decode_bad_enum() == wire_error::out_of_range);

TEST_CASE("every message type round-trips over random field values", "[wire][property]") {
    std::mt19937_64 rng(60);
    for_each_message_type([&]<class M>() {
        INFO(name(M::type));
        for (int i = 0; i < 2000; ++i) {
            std::deque<bytes> store;
            const M m = random_message<M>(rng, store);
            const bytes enc = encode(m);
            M back{};
            REQUIRE(decode_payload(std::span<const std::byte>(enc), back) == wire_error::none);
            REQUIRE(flatten(back) == flatten(m));
            REQUIRE(encode(back) == enc);
        }
    });
}

TEST_CASE("decoding is canonical: whatever decodes re-encodes to the same bytes", "[wire][property]") {
    // Mutated encodings are either refused or mean exactly one message: no two byte strings
    // decode to the same message, so the MAC over the bytes is a MAC over the meaning.
    std::mt19937_64 rng(61);
    for_each_message_type([&]<class M>() {
        INFO(name(M::type));
        for (int i = 0; i < 500; ++i) {
            std::deque<bytes> store;
            bytes enc = encode(random_message<M>(rng, store));
            for (int k = 0; k < 8; ++k) {
                bytes mutated = enc;
                switch (rng() % 3) {
                    case 0: if (!mutated.empty()) mutated[rng() % mutated.size()] = static_cast<std::byte>(rng()); break;
                    case 1: mutated.push_back(static_cast<std::byte>(rng())); break;
                    default: if (!mutated.empty()) mutated.resize(rng() % mutated.size()); break;
                }
                M back{};
                if (decode_payload(std::span<const std::byte>(mutated), back) == wire_error::none) {
                    REQUIRE(encode(back) == mutated);
                }
            }
        }
    });
}

TEST_CASE("short and long payloads of fixed-layout types are length_mismatch", "[wire][property]") {
    std::mt19937_64 rng(62);
    for_each_message_type([&]<class M>() {
        INFO(name(M::type));
        for (int i = 0; i < 100; ++i) {
            std::deque<bytes> store;
            const M m = random_message<M>(rng, store);
            const bytes enc = encode(m);
            // Types ending in a byte tail accept a shorter tail as a different valid message
            // (the datagram length catches that truncation); every other prefix must fail.
            constexpr bool has_tail = std::is_same_v<M, add_signature> || std::is_same_v<M, ebpf_chunk> || std::is_same_v<M, rules_chunk> ||
                                      std::is_same_v<M, map_page> || std::is_same_v<M, map_read>;
            for (std::size_t n = 0; n < enc.size(); ++n) {
                M back{};
                const auto e = decode_payload(std::span<const std::byte>(enc).first(n), back);
                if (!has_tail || n < max_payload_of<M>) {
                    if (!has_tail) REQUIRE(e == wire_error::length_mismatch);
                    else REQUIRE(e != wire_error::none);
                }
            }
            if (!has_tail) {
                bytes longer = enc;
                longer.push_back(std::byte{0});
                M back{};
                REQUIRE(decode_payload(std::span<const std::byte>(longer), back) == wire_error::length_mismatch);
            }
        }
    });
}

TEST_CASE("fixed layouts match docs/protocol.md", "[wire]") {
    SECTION("block_port: protocol, direction, port little-endian") {
        block_port b;
        b.rule = {l4_protocol::tcp, traffic_direction::outbound, 0x1f90};
        CHECK(encode(b) == bytes{std::byte{6}, std::byte{1}, std::byte{0x90}, std::byte{0x1f}});
    }
    SECTION("ack") {
        const ack a{0x0102030405060708, 0x11223344, msg_type::ebpf_commit, status::verifier_rejected, 0x5566, 0x778899aa};
        const bytes want = {std::byte{8},    std::byte{7},    std::byte{6},    std::byte{5},    std::byte{4},
                            std::byte{3},    std::byte{2},    std::byte{1},    std::byte{0x44}, std::byte{0x33},
                            std::byte{0x22}, std::byte{0x11}, std::byte{0x0a}, std::byte{8},    std::byte{0x66},
                            std::byte{0x55}, std::byte{0xaa}, std::byte{0x99}, std::byte{0x88}, std::byte{0x77}};
        CHECK(encode(a) == want);
    }
    SECTION("add_signature: id, flags, pattern to the end") {
        const std::array<std::byte, 3> pat{std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
        add_signature s;
        s.id = 7;
        s.flags = signature_flag::nocase;
        s.pattern = pat;
        CHECK(encode(s) == bytes{std::byte{7}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}, std::byte{0},
                                 std::byte{'a'}, std::byte{'b'}, std::byte{'c'}});
    }
    SECTION("lists are a u16 count then the items") {
        ebpf_commit c;
        c.program_id = 2;
        c.total_length = 16;
        c.maps.push({map_type::hash, 8, 16, 100});
        CHECK(encode(c) == bytes{std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{16}, std::byte{0},
                                 std::byte{0}, std::byte{0}, std::byte{1}, std::byte{0}, std::byte{1}, std::byte{8},
                                 std::byte{16}, std::byte{0}, std::byte{100}, std::byte{0}, std::byte{0}, std::byte{0}});
    }
}

TEST_CASE("out-of-range values are refused by encoder and decoder", "[wire]") {
    bytes buf(max_payload);
    const auto refused = [&](const auto& m, wire_error want = wire_error::out_of_range) {
        CHECK(encode_payload(m, buf).error == want);
    };
    const auto decoded = [](bytes b, auto m) { return decode_payload(std::span<const std::byte>(b), m); };
    using B = std::byte;

    SECTION("enums") {
        CHECK(decoded({B{5}, B{0}, B{80}, B{0}}, block_port{}) == wire_error::out_of_range);   // protocol 5
        CHECK(decoded({B{6}, B{3}, B{80}, B{0}}, block_port{}) == wire_error::out_of_range);   // direction 3
        CHECK(decoded({B{17}, B{2}, B{80}, B{0}}, block_port{}) == wire_error::none);
        CHECK(decoded({B{17}, B{2}, B{0}, B{0}}, unblock_port{}) == wire_error::out_of_range); // port 0
        block_port b;
        b.rule.protocol = static_cast<l4_protocol>(1);
        refused(b);
        ack a;
        a.result = static_cast<status>(static_cast<int>(status::count_));
        refused(a);
        a = ack{};
        a.request_type = msg_type::stats;  // acks answer commands only
        refused(a);
        error_reply e;
        e.error = wire_error::none;
        refused(e);
        e.error = wire_error::count_;
        refused(e);
        alert al;
        al.reason = 0;
        refused(al);
        al.reason = static_cast<std::uint8_t>(secengine::drop_reason_count);
        refused(al);
        al = alert{};
        al.ip_version = 5;
        refused(al);
        ebpf_commit c;
        c.maps.push({static_cast<map_type>(3), 4, 8, 1});
        refused(c);
    }
    SECTION("list counts above capacity") {
        bytes enc(10, B{0});
        enc[8] = B{9};  // 9 maps declared, capacity 8
        CHECK(decoded(enc, ebpf_commit{}) == wire_error::out_of_range);
        ebpf_commit c;
        c.maps.count = 9;
        refused(c);
    }
    SECTION("cross-field rules") {
        const std::array<std::byte, 16> code{};
        refused(subscribe{9});
        refused(subscribe{max_interval_ms + 1});
        refused(ebpf_chunk{1, 8, 8, std::span(code).first(8)});       // past the end
        refused(ebpf_chunk{1, 16, 4, std::span(code).first(8)});      // misaligned
        refused(ebpf_chunk{0, 16, 0, std::span(code).first(8)});      // program id 0
        refused(ebpf_chunk{1, 16, 0, std::span(code).first(0)});      // empty
        refused(ebpf_chunk{1, max_program_bytes + 8, 0, std::span(code).first(8)}, wire_error::too_large);
        const std::array<std::byte, 65> long_key{};
        refused(map_read{1, 0, long_key}, wire_error::too_large);
        add_signature s;
        refused(s);  // empty pattern
        s.pattern = std::span(code).first(4);
        s.flags = 0x8000;
        refused(s);
        set_limits l;
        l.value.ban_seconds = limits::max_ban_seconds + 1;
        refused(l);
        l = set_limits{};
        l.value.global_rate_pps = 1000;  // a rate needs a burst
        l.value.global_burst = 0;        // (the defaults have one: default_config's)
        refused(l);
        l = set_limits{};
        l.value.timeout_established_s = 0;
        refused(l);
        l = set_limits{};
        CHECK(encode_payload(l, buf).error == wire_error::none);
        {
            ebpf_commit c;
            c.maps.push({map_type::array, 8, 8, 1});  // array keys are u32
            refused(c);
            c.maps = {};
            c.maps.push({map_type::hash, 65, 8, 1});  // ebpf::max_key_size
            refused(c);
            c.maps = {};
            c.maps.push({map_type::hash, 8, 513, 1});  // ebpf::max_value_size
            refused(c);
        }
        penalty_page p;
        p.total = 1;
        p.first = 1;
        p.entries.push({});
        refused(p);
        map_page mp;
        mp.count = 2;
        mp.entries = std::span(code).first(12);  // 2 * (4 + 8) = 24 expected
        refused(mp, wire_error::length_mismatch);
    }
    SECTION("a buffer too small is reported, not overrun") {
        stats s;
        s.dropped.count = 15;
        std::array<std::byte, 40> small{};
        CHECK(encode_payload(s, small).error == wire_error::buffer_too_small);
    }
}

TEST_CASE("eBPF programs are cut into chunks that reassemble exactly", "[wire][property]") {
    std::mt19937_64 rng(63);
    for (int i = 0; i < 300; ++i) {
        bytes program(8 * (1 + rng() % 2000));
        for (auto& b : program) b = static_cast<std::byte>(rng());
        const std::uint32_t n = chunk_count(program.size());
        REQUIRE(n == (program.size() + max_chunk_bytes - 1) / max_chunk_bytes);
        bytes rebuilt;
        for (std::uint32_t k = 0; k < n; ++k) {
            const ebpf_chunk c = make_chunk(42, program, k);
            REQUIRE(c.check() == wire_error::none);
            REQUIRE(c.offset == rebuilt.size());
            REQUIRE(max_payload_of<ebpf_chunk> + c.data.size() <= max_payload);
            rebuilt.insert(rebuilt.end(), c.data.begin(), c.data.end());
        }
        REQUIRE(rebuilt == program);
    }
}

TEST_CASE("engine alert events become alert messages field for field", "[wire][property]") {
    std::mt19937_64 rng(64);
    for (int i = 0; i < 2000; ++i) {
        secengine::alert_event e;
        e.time = rng();
        e.detail = static_cast<std::uint32_t>(rng());
        e.reason = static_cast<secengine::drop_reason>(1 + rng() % (secengine::drop_reason_count - 1));
        e.stage = static_cast<std::uint8_t>(rng() % 7);
        e.ip_proto = static_cast<std::uint8_t>(rng());
        e.ip_version = (rng() % 2) ? 4 : 6;
        e.sport = static_cast<std::uint16_t>(rng());
        e.dport = static_cast<std::uint16_t>(rng());
        for (auto& b : e.src) b = static_cast<std::uint8_t>(rng());
        for (auto& b : e.dst) b = static_cast<std::uint8_t>(rng());
        e.rev = static_cast<std::uint16_t>(rng());
        e.gid = static_cast<std::uint8_t>(rng());
        e.flags = static_cast<std::uint8_t>(rng() % 2);
        const std::uint32_t suppressed = static_cast<std::uint32_t>(rng());
        const alert a = make_alert(e, suppressed);
        alert back;
        const bytes enc = encode(a);
        REQUIRE(enc.size() == 68);  // layout 2 without an injection finding: 60 + layout + 3 + two empty lists
        REQUIRE(decode_payload(std::span<const std::byte>(enc), back) == wire_error::none);
        CHECK(back.timestamp == e.time);
        CHECK(back.detail == e.detail);
        CHECK(back.why() == e.reason);
        CHECK(back.stage == e.stage);
        CHECK(back.rev == e.rev);
        CHECK(back.gid == e.gid);
        CHECK(back.flags == e.flags);
        CHECK(back.ip_proto == e.ip_proto);
        CHECK(back.ip_version == e.ip_version);
        CHECK(back.sport == e.sport);
        CHECK(back.dport == e.dport);
        CHECK(back.src == e.src);
        CHECK(back.dst == e.dst);
        CHECK(back.suppressed == suppressed);
        // and back to the engine's event, as host tools do
        const secengine::alert_event r = to_alert_event(back);
        CHECK(r.time == e.time);
        CHECK(r.detail == e.detail);
        CHECK(r.reason == e.reason);
        CHECK(r.stage == e.stage);
        CHECK(r.ip_proto == e.ip_proto);
        CHECK(r.ip_version == e.ip_version);
        CHECK(r.sport == e.sport);
        CHECK(r.dport == e.dport);
        CHECK(r.src == e.src);
        CHECK(r.dst == e.dst);
    }
}
