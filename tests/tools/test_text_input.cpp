// The host tools' input text (apps/common/text_input.hpp): hex bytes and C integer literals
// round-trip through their printed forms, and malformed text is refused, never half-taken as good.
#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "text_input.hpp"

using namespace secengine::host;

TEST_CASE("hex bytes printed in any grouping parse back to the same bytes") {
    std::mt19937 rng(1304);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::uint8_t> bytes(rng() % 40);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        std::string text;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            char h[3];
            std::snprintf(h, sizeof h, rng() % 2 ? "%02x" : "%02X", bytes[i]);
            if (i && rng() % 3 == 0) text += " \t\n"[rng() % 3];  // tokens of any even length
            text += h;
        }
        if (rng() % 2) text = "  " + text + "\r\n";
        std::vector<std::uint8_t> got;
        INFO(text);
        REQUIRE(parse_hex_bytes(text, got));
        REQUIRE(got == bytes);
    }
}

TEST_CASE("malformed hex is refused") {
    for (const char* bad : {"1", "abc", "0g", "zz", "12 3", "0x12", "-1", "1 2", "12\x01" "3"}) {
        std::vector<std::uint8_t> out;
        INFO(bad);
        CHECK_FALSE(parse_hex_bytes(bad, out));
    }
    std::vector<std::uint8_t> out;
    CHECK(parse_hex_bytes("", out));
    CHECK(out.empty());
}

TEST_CASE("C integer literals: every u64 in decimal, hex and octal, and every i64 negated") {
    std::mt19937_64 rng(1305);
    for (int round = 0; round < 5000; ++round) {
        const std::uint64_t v = rng() >> (rng() % 64);
        char dec[32], hex[32], oct[32];
        std::snprintf(dec, sizeof dec, "%" PRIu64, v);
        std::snprintf(hex, sizeof hex, "0x%" PRIx64, v);
        std::snprintf(oct, sizeof oct, "0%" PRIo64, v);
        for (const char* t : {dec, hex, oct}) {
            std::uint64_t got = ~v;
            INFO(t);
            REQUIRE(parse_c_integer(t, got));
            REQUIRE(got == v);
        }
        const auto s = static_cast<std::int64_t>(v >> 1);  // 0..INT64_MAX
        char neg[32];
        std::snprintf(neg, sizeof neg, " -%" PRId64 "\n", s);
        std::uint64_t got = 0;
        REQUIRE(parse_c_integer(neg, got));
        REQUIRE(static_cast<std::int64_t>(got) == -s);
    }
    std::uint64_t got = 0;
    CHECK(parse_c_integer("-9223372036854775808", got));
    CHECK(got == 0x8000000000000000ull);
    CHECK(parse_c_integer("18446744073709551615", got));
    CHECK(got == ~0ull);
}

TEST_CASE("malformed or out-of-range integers are refused") {
    for (const char* bad : {"", " ", "-", "+1", "--1", "- 1", "0x", "1x", "12 3", "abc", "0xfg", "09",
                            "18446744073709551616", "-9223372036854775809", "0x10000000000000000", "1.0"}) {
        std::uint64_t out = 7;
        INFO("'" << bad << "'");
        CHECK_FALSE(parse_c_integer(bad, out));
    }
}

TEST_CASE("trim strips only the ends") {
    CHECK(trim("  a b \t\r\n") == "a b");
    CHECK(trim("\n\n").empty());
    CHECK(trim("x") == "x");
}

TEST_CASE("read_file returns every byte, and false for a missing file") {
    std::mt19937 rng(std::random_device{}());  // the bytes are checked whatever they are; the name must not collide
    const auto dir = std::filesystem::temp_directory_path() / ("secengine_test_text_input_" + std::to_string(rng()));
    std::filesystem::create_directories(dir);
    std::string bytes(4096 + rng() % 4096, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const auto path = (dir / "bytes.bin").string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::string got;
    CHECK(read_file(path, got));
    CHECK(got == bytes);
    CHECK_FALSE(read_file((dir / "missing.bin").string(), got));
    std::filesystem::remove_all(dir);
}
