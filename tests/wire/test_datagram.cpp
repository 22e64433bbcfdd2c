// Sealed datagrams: round trips of the header, and refusal of everything else - truncations,
// extensions, every single-bit flip, wrong keys, random bytes - without a crash (ASan in make test).
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "random_messages.hpp"

using namespace wire_testing;

namespace {

/// open_datagram on an exactly-sized private copy, so ASan sees any read past the end.
opened open_copy(const siphash_key& key, const bytes& d, std::size_t len) {
    const bytes copy(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(len));
    opened o = open_datagram(key, copy);
    o.payload = {};  // the copy dies here
    return o;
}

bool is_header_error(wire_error e) {
    return e == wire_error::bad_magic || e == wire_error::unsupported_version || e == wire_error::too_large ||
           e == wire_error::truncated || e == wire_error::length_mismatch;
}

constexpr siphash_key test_key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

// A whole datagram sealed and opened in a constant expression, with its tag pinned.
constexpr bool constexpr_seal_open() {
    std::array<std::byte, 64> buf{};
    header h;
    h.channel = 1;
    h.boot_id = 0x1122334455667788ULL;
    h.seq = 5;
    const auto e = seal_datagram(test_key, h, subscribe{250}, buf);
    if (e.error != wire_error::none || e.size != header_size + 4 + tag_size) return false;
    const opened o = open_datagram(test_key, std::span<const std::byte>(buf).first(e.size));
    subscribe s;
    if (!o.ok() || o.hdr.type != msg_type::subscribe || o.hdr.seq != 5 || o.hdr.channel != 1 ||
        decode_payload(o.payload, s) != wire_error::none || s.interval_ms != 250)
        return false;
    buf[10] ^= std::byte{1};  // one bit of the boot id
    return open_datagram(test_key, std::span<const std::byte>(buf).first(e.size)).error == wire_error::bad_mac;
}

}  // namespace

static_assert(constexpr_seal_open());

TEST_CASE("sealed datagrams open to the same header and payload", "[wire][property]") {
    std::mt19937_64 rng(70);
    for (int i = 0; i < 5000; ++i) {
        const siphash_key key{rng(), rng()};
        header h;
        const bytes d = random_datagram(rng, key, &h);
        REQUIRE(d.size() <= max_datagram);
        const opened o = open_datagram(key, d);
        REQUIRE(o.error == wire_error::none);
        REQUIRE(o.hdr == h);
        REQUIRE(o.payload.size() == h.length);
        REQUIRE(o.payload.data() == d.data() + header_size);
        const auto valid = is_command(h.type) ? validate_payload(command_types{}, h.type, o.payload)
                                              : validate_payload(appliance_types{}, h.type, o.payload);
        REQUIRE(valid == wire_error::none);
    }
}

TEST_CASE("the header layout matches docs/protocol.md", "[wire]") {
    std::array<std::byte, 64> buf{};
    header h;
    h.flags = flag::from_appliance;
    h.channel = 3;
    h.boot_id = 0x0102030405060708ULL;
    h.seq = 0x1112131415161718ULL;
    const auto e = seal_datagram(test_key, h, ping{}, buf);
    REQUIRE(e.size == 32);
    const std::array<std::uint8_t, 24> want = {0x53, 0x45, 1,    0x01, 1,    3,    0,    0,
                                               8,    7,    6,    5,    4,    3,    2,    1,
                                               0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11};
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(static_cast<std::uint8_t>(buf[i]) == want[i]);
    // The tag is SipHash-2-4 of the 24 header bytes, little-endian.
    const std::uint64_t tag = siphash(test_key, std::span<const std::byte>(buf).first(24));
    for (std::size_t i = 0; i < 8; ++i) CHECK(static_cast<std::uint8_t>(buf[24 + i]) == static_cast<std::uint8_t>(tag >> (8 * i)));
}

TEST_CASE("every truncation is truncated, every extension length_mismatch", "[wire][property]") {
    std::mt19937_64 rng(71);
    for (int i = 0; i < 400; ++i) {
        const siphash_key key{rng(), rng()};
        const bytes d = random_datagram(rng, key);
        for (std::size_t n = 0; n < d.size(); ++n) REQUIRE(open_copy(key, d, n).error == wire_error::truncated);
        bytes longer = d;
        for (int extra = 0; extra < 4; ++extra) {
            longer.push_back(static_cast<std::byte>(rng()));
            REQUIRE(open_copy(key, longer, longer.size()).error == wire_error::length_mismatch);
        }
    }
}

TEST_CASE("every single-bit flip is refused", "[wire][property]") {
    std::mt19937_64 rng(72);
    for (int i = 0; i < 100; ++i) {
        const siphash_key key{rng(), rng()};
        const bytes d = random_datagram(rng, key);
        bytes flipped = d;
        for (std::size_t bit = 0; bit < d.size() * 8; ++bit) {
            flipped[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
            const wire_error e = open_datagram(key, flipped).error;
            INFO("bit " << bit << " of " << d.size() * 8 << ": " << name(e));
            REQUIRE((e == wire_error::bad_mac || is_header_error(e)));
            flipped[bit / 8] = d[bit / 8];
        }
    }
}

TEST_CASE("a datagram sealed under another key is bad_mac", "[wire][property]") {
    std::mt19937_64 rng(73);
    for (int i = 0; i < 3000; ++i) {
        const siphash_key key{rng(), rng()};
        siphash_key other = key;
        // Half the time the keys differ in a single bit.
        if (rng() % 2) (rng() % 2 ? other.k0 : other.k1) ^= 1ULL << (rng() % 64);
        else other = {rng(), rng()};
        const bytes d = random_datagram(rng, key);
        REQUIRE(open_datagram(other, d).error == wire_error::bad_mac);
    }
}

TEST_CASE("random and hostile bytes never open", "[wire][property]") {
    std::mt19937_64 rng(74);
    const siphash_key key{rng(), rng()};
    for (int i = 0; i < 20000; ++i) {
        bytes d(rng() % (max_datagram + 64));
        for (auto& b : d) b = static_cast<std::byte>(rng());
        if (i % 2 && d.size() >= header_size + tag_size) {
            // A plausible header with a consistent length: only the tag can refuse it.
            d[0] = std::byte{0x53};
            d[1] = std::byte{0x45};
            d[2] = std::byte{protocol_version};
            const std::size_t len = std::min(d.size() - header_size - tag_size, max_payload);
            d.resize(header_size + len + tag_size);
            d[6] = static_cast<std::byte>(len);
            d[7] = static_cast<std::byte>(len >> 8);
            REQUIRE(open_copy(key, d, d.size()).error == wire_error::bad_mac);
        } else {
            REQUIRE(open_copy(key, d, d.size()).error != wire_error::none);
        }
    }
}

TEST_CASE("header fields are checked in order", "[wire]") {
    std::array<std::byte, 64> buf{};
    const auto e = seal_datagram(test_key, header{}, ping{}, buf);
    REQUIRE(e.error == wire_error::none);
    const auto with = [&](std::size_t off, std::uint8_t v, bool reseal) {
        std::array<std::byte, 64> c = buf;
        c[off] = std::byte{v};
        if (reseal) {
            const std::uint64_t tag = siphash(test_key, std::span<const std::byte>(c).first(24));
            for (std::size_t i = 0; i < 8; ++i) c[24 + i] = static_cast<std::byte>(tag >> (8 * i));
        }
        return open_datagram(test_key, std::span<const std::byte>(c).first(e.size)).error;
    };
    CHECK(with(0, 0x46, true) == wire_error::bad_magic);
    CHECK(with(2, 2, true) == wire_error::unsupported_version);
    CHECK(with(7, 0x06, true) == wire_error::too_large);  // length 1536 > 1440
    CHECK(with(6, 1, true) == wire_error::truncated);      // says 1 byte, has 0
    CHECK(with(4, 0x04, true) == wire_error::bad_flags);   // authentic, but a reserved bit
    CHECK(with(3, 0x3f, true) == wire_error::unknown_type);
    CHECK(with(3, 0x3f, false) == wire_error::bad_mac);    // a forger learns nothing more
}

TEST_CASE("sealing refuses what it cannot send", "[wire]") {
    std::array<std::byte, max_datagram> buf{};
    std::array<std::byte, 2000> big{};
    header h;
    h.flags = 0x80;
    CHECK(seal_datagram(test_key, h, ping{}, buf).error == wire_error::bad_flags);
    CHECK(seal_datagram(test_key, header{}, ping{}, std::span(buf).first(31)).error == wire_error::buffer_too_small);
    CHECK(seal_datagram(test_key, header{}, subscribe{100}, std::span(buf).first(35)).error == wire_error::buffer_too_small);
    map_page m;
    m.key_size = 1;
    m.value_size = 1;
    m.count = 1000;
    m.entries = std::span<const std::byte>(big).first(2000);
    std::array<std::byte, 4096> roomy{};
    CHECK(seal_datagram(test_key, header{}, m, roomy).error == wire_error::too_large);
}
