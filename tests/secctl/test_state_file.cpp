// secctl's desired-state file (apps/secctl/state_file.hpp): format/parse round trips over random
// states, and every malformed line refused with its line number.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "state_file.hpp"

namespace {

using namespace secctl;
namespace wire = secengine::wire;

desired_state random_state(std::mt19937_64& rng) {
    desired_state s;
    s.boot = rng();
    for (std::uint64_t i = rng() % 5; i > 0; --i) {
        wire::port_rule r;
        constexpr wire::l4_protocol protos[] = {wire::l4_protocol::tcp, wire::l4_protocol::udp, wire::l4_protocol::any};
        constexpr wire::traffic_direction dirs[] = {wire::traffic_direction::inbound, wire::traffic_direction::outbound,
                                                    wire::traffic_direction::both};
        r.protocol = protos[rng() % 3];
        r.port = static_cast<std::uint16_t>(1 + rng() % 65535);
        r.direction = dirs[rng() % 3];
        s.blocks.push_back(r);
    }
    if (rng() % 2) {
        wire::limits l;
        l.per_source_pps = static_cast<std::uint32_t>(rng() % 100000);
        l.ban_seconds = static_cast<std::uint32_t>(rng() % (wire::limits::max_ban_seconds + 1));
        l.timeout_established_s = static_cast<std::uint32_t>(1 + rng() % wire::limits::max_timeout_s);
        s.limits = l;
    }
    for (std::uint64_t i = rng() % 4; i > 0; --i) {
        std::string bytes(1 + rng() % wire::max_pattern_bytes, '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        s.signatures.push_back({static_cast<std::uint32_t>(1 + rng() % 0xfffffffe), rng() % 2 == 0, bytes});
    }
    if (rng() % 2) s.prog = desired_state::program{static_cast<std::uint32_t>(1 + rng() % 1000), "/tmp/p.o", rng() % 2 ? "xdp" : ""};
    return s;
}

}  // namespace

TEST_CASE("format_state / parse_state round-trip random states") {
    std::mt19937_64 rng(2026);
    for (int i = 0; i < 500; ++i) {
        const desired_state s = random_state(rng);
        desired_state back;
        std::string err;
        REQUIRE(parse_state(format_state(s), back, err));
        REQUIRE(format_state(back) == format_state(s));
        REQUIRE(back == s);
    }
}

TEST_CASE("malformed state lines are refused with the line number and the reason") {
    struct row {
        const char* text;
        const char* message;
    };
    const row rows[] = {
        {"boot 12\n", "1: boot wants 16 hex digits"},
        {"# c\nblock tcp 70000 in\n", "2: port must be 1..65535, got 70000"},
        {"block tcp 23\n", "1: block wants 3 fields"},
        {"block sctp 23 in\n", "protocol must be tcp, udp or any"},
        {"limits 1 2 3\n", "limits wants 9 fields"},
        {"limits 1 100000 0 1 1 1 1 1 1\n", "out of the protocol's ranges"},
        {"limits a 1 1 1 1 1 1 1 1\n", "limit must be 0..4294967295, got 'a'"},
        {"signature 0 case 41\n", "signature id must be 1..4294967295, got 0"},
        {"signature 5 maybe 41\n", "signature flag must be case or nocase, got 'maybe'"},
        {"signature 5 case 4\n", "signature pattern must be 1..255 bytes of hex"},
        {"program x /p.o\n", "program id must be 1..4294967295, got 'x'"},
        {"program 7\n", "program wants 2..3 fields"},
        {"flush everything\n", "unknown directive 'flush'"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        desired_state s;
        s.boot = 99;
        std::string err;
        CHECK_FALSE(parse_state(r.text, s, err));
        CHECK_THAT(err, Catch::Contains(r.message));
        CHECK(s.boot == 99);  // a refused file leaves the state as it was
    }
}

TEST_CASE("every truncation of a good file parses or is refused, never half-applied") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 50; ++i) {
        const std::string text = format_state(random_state(rng));
        for (std::size_t n = 0; n <= text.size(); n += 1 + rng() % 7) {
            desired_state s;
            std::string err;
            if (!parse_state(text.substr(0, n), s, err)) CHECK_FALSE(err.empty());
        }
    }
}

TEST_CASE("save_state then load_state returns the state; a missing file is empty") {
    const auto dir = std::filesystem::temp_directory_path() / ("secctl_state_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "state").string();
    std::mt19937_64 rng(11);
    const desired_state s = random_state(rng);
    REQUIRE(save_state(path, s));
    desired_state back;
    std::string err;
    REQUIRE(load_state(path, back, err));
    CHECK(back == s);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    std::filesystem::remove_all(dir);
    desired_state none;
    none.boot = 5;
    REQUIRE(load_state(path, none, err));
    CHECK(none.empty());
    CHECK(none.boot == 0);
}
