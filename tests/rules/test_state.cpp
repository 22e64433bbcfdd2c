// Caller-owned evaluator state: threshold_table against an independent model of Suricata's
// threshold/detection_filter counting (random match times and addresses), and flowbit_table
// against a map (random flows and bit operations), including a table too small for its flows.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include <secengine/rules/state.hpp>

using namespace secengine::rules;

namespace {

// Model: per (slot, address) a window start and a count; the window is [start, start + s).
struct model {
    struct entry { std::uint64_t start; std::uint32_t count; };
    std::map<std::pair<std::uint32_t, int>, entry> m;
    bool hit(std::uint32_t slot, int addr, threshold_type t, std::uint32_t n, std::uint32_t s, std::uint64_t now) {
        auto it = m.find({slot, addr});
        const bool fresh = it == m.end() || now >= it->second.start + std::uint64_t{s} * 1000;
        if (fresh) {
            m[{slot, addr}] = {now, 1};
            switch (t) {
            case threshold_type::limit: return n >= 1;
            case threshold_type::threshold: if (n <= 1) { m[{slot, addr}].count = 0; return true; } return false;
            case threshold_type::both: return n <= 1;
            default: return n == 0;
            }
        }
        entry& e = it->second;
        ++e.count;
        switch (t) {
        case threshold_type::limit: return e.count <= n;
        case threshold_type::threshold: if (e.count >= n) { e.count = 0; return true; } return false;
        case threshold_type::both: return e.count == n;
        default: return e.count > n;
        }
    }
};

std::array<std::uint8_t, 16> addr(int a) {
    std::array<std::uint8_t, 16> x{};
    x[15] = static_cast<std::uint8_t>(a);
    return x;
}

}  // namespace

TEST_CASE("threshold_table agrees with the counting model", "[rules][state][property]") {
    std::mt19937 rng(17);
    int alerts = 0, total = 0;
    for (int run = 0; run < 300; ++run) {
        threshold_table<64> t;
        model m;
        const auto type = static_cast<threshold_type>(1 + rng() % 4);
        const auto count = static_cast<std::uint32_t>(rng() % 5), secs = static_cast<std::uint32_t>(1 + rng() % 5);
        std::uint64_t now = 0;
        for (int i = 0; i < 200; ++i) {
            now += rng() % 700;
            const auto slot = static_cast<std::uint32_t>(rng() % 3);
            const int a = static_cast<int>(rng() % 4);
            const bool want = m.hit(slot, a, type, count, secs, now);
            INFO("run " << run << " step " << i << " type " << static_cast<int>(type) << " count " << count);
            REQUIRE(t.hit(slot, addr(a), type, count, secs, now) == want);
            alerts += want;
            ++total;
        }
    }
    CHECK(alerts > total / 10);
    CHECK(alerts < total * 9 / 10);
}

TEST_CASE("threshold_table: a full table evicts the oldest, never grows or crashes", "[rules][state]") {
    threshold_table<4> t;
    for (int a = 0; a < 100; ++a) CHECK(t.hit(0, addr(a), threshold_type::limit, 1, 60, static_cast<std::uint64_t>(a)));
    // The most recent pair is still counted: its second match in the window is suppressed.
    CHECK_FALSE(t.hit(0, addr(99), threshold_type::limit, 1, 60, 100));
}

TEST_CASE("flowbit_table agrees with a map; a small table only forgets", "[rules][state][property]") {
    std::mt19937 rng(23);
    flowbit_table<64, 100> t;
    std::map<std::uint64_t, std::array<bool, 100>> m;
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t flow = rng() % 40;
        const std::size_t bit = rng() % 100;
        auto bits = t.bits(flow, static_cast<std::uint64_t>(i));
        auto& mb = m[flow];
        const bool have = (bits[bit / 64] >> (bit % 64)) & 1u;
        REQUIRE(have == mb[bit]);
        if (rng() % 2) {
            bits[bit / 64] ^= std::uint64_t{1} << (bit % 64);
            mb[bit] = !mb[bit];
        }
    }
    flowbit_table<4, 8> small;
    for (std::uint64_t f = 0; f < 50; ++f) {
        auto b = small.bits(f, f);
        CHECK(b[0] == 0);  // a new (or re-created) flow starts empty
        b[0] = f + 1;
    }
    CHECK(small.bits(49, 51)[0] == 50);  // the most recent survives
    small.erase(49);
    CHECK(small.bits(49, 52)[0] == 0);
}
