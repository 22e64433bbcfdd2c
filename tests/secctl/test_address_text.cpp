// The one spelling of addresses and source keys (apps/common/address_text.hpp): what a tool
// prints, every tool accepts.
#include <catch2/catch.hpp>

#include <random>

#include "address_text.hpp"

using namespace secengine::host;

TEST_CASE("source_key_text and parse_source_key are inverse over random keys") {
    std::mt19937_64 rng(63);
    for (int i = 0; i < 20000; ++i) {
        std::uint64_t key = rng();
        if (i % 2) key = static_cast<std::uint32_t>(key);  // IPv4 sources: the low 32 bits
        if (key == 0) continue;
        if ((key >> 63) == 0 && (key >> 32) != 0) continue;  // not a key the engine makes
        std::uint64_t back = 0;
        REQUIRE(parse_source_key(source_key_text(key), back));
        REQUIRE(back == key);
    }
}

TEST_CASE("source keys: the printed forms and the refused ones") {
    CHECK(source_key_text(0x0a000042) == "10.0.0.66");
    CHECK(source_key_text(0x8000000000abcdefull) == "ipv6-key:0x8000000000abcdef");
    std::uint64_t k = 7;
    for (const char* bad : {"", "0.0.0.0", "10.0.0", "ipv6-key:0x", "ipv6-key:0x1234", "ipv6-key:0x8000000000abcdefa",
                            "ipv6-key:0xzz00000000000000", "v6#abcdef", "::1"}) {
        INFO(bad);
        CHECK_FALSE(parse_source_key(bad, k));
        CHECK(k == 7);
    }
}

TEST_CASE("addresses: IPv4-mapped dotted, IPv6 in RFC 5952 text, by version") {
    std::array<std::uint8_t, 16> a{};
    a[10] = a[11] = 0xff;
    a[12] = 192, a[13] = 168, a[14] = 1, a[15] = 1;
    CHECK(address_text(a) == "192.168.1.1");
    CHECK(address_text(a, 4) == "192.168.1.1");
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[15] = 1;
    CHECK(address_text(b) == "2001:db8::1");
    CHECK(address_text(b, 6) == "2001:db8::1");
    CHECK(address_text(b, 0) == "-");
}

TEST_CASE("ipv4 and key parsing") {
    std::uint32_t ip = 0;
    REQUIRE(parse_ipv4("10.0.0.2", ip));
    CHECK(ip == 0x0a000002);
    CHECK(ipv4_text(ip) == "10.0.0.2");
    for (const char* bad : {"", "10.0.0", "10.0.0.256", "a.b.c.d", "10.0.0.2/24", "10.0.0.2:80", " 10.0.0.2"})
        CHECK_FALSE(parse_ipv4(bad, ip));
    std::array<std::uint8_t, 16> key{};
    REQUIRE(parse_key("000102030405060708090A0B0C0D0E0F", key));
    CHECK(key[15] == 15);
    for (const char* bad : {"", "00", "000102030405060708090a0b0c0d0e0", "000102030405060708090a0b0c0d0e0g",
                            "000102030405060708090a0b0c0d0e0f0"})
        CHECK_FALSE(parse_key(bad, key));
}
