// Count-Min Sketch invariants over random streams (Cormode & Muthukrishnan 2005 bounds).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include <secengine/count_min_sketch.hpp>

using namespace secengine;

namespace {
using sketch = count_min_sketch<256, 4, std::uint32_t, 8>;

/// A skewed stream: a few heavy keys and a long tail (Zipf-like via squared uniform).
std::vector<std::uint64_t> stream(std::mt19937_64& rng, std::size_t n, std::uint64_t universe) {
    std::vector<std::uint64_t> s(n);
    std::uniform_real_distribution<double> u(0, 1);
    for (auto& k : s) {
        const double x = u(rng);
        k = static_cast<std::uint64_t>(x * x * x * static_cast<double>(universe)) * 0x9e3779b97f4a7c15ULL + 17;
    }
    return s;
}
}  // namespace

TEST_CASE("sketch never undercounts and overcounts within e*N/W for >= 1-e^-D of keys", "[sketch][property]") {
    std::mt19937_64 rng(1);
    for (int round = 0; round < 20; ++round) {
        const auto mode = round % 2 ? cms_update::plain : cms_update::conservative;
        sketch cms(rng(), mode);
        std::map<std::uint64_t, std::uint64_t> truth;
        const auto s = stream(rng, 20000, 5000);
        for (auto k : s) {
            cms.add(k);
            ++truth[k];
        }
        const double bound = std::exp(1.0) * static_cast<double>(s.size()) / sketch::width;
        std::size_t within = 0;
        for (auto [k, c] : truth) {
            const auto est = cms.estimate(k);
            REQUIRE(est >= c);
            if (static_cast<double>(est - c) <= bound) ++within;
        }
        const double fraction = static_cast<double>(within) / static_cast<double>(truth.size());
        CHECK(fraction >= 1.0 - std::exp(-static_cast<double>(sketch::depth)));
        CHECK(cms.total() == s.size());
    }
}

TEST_CASE("conservative update never exceeds plain update", "[sketch][property]") {
    std::mt19937_64 rng(2);
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t seed = rng();
        sketch cons(seed, cms_update::conservative), plain(seed, cms_update::plain);
        const auto s = stream(rng, 5000, 2000);
        for (auto k : s) {
            cons.add(k);
            plain.add(k);
        }
        for (auto k : s) REQUIRE(cons.estimate(k) <= plain.estimate(k));
        for (int i = 0; i < 1000; ++i) {
            const auto k = rng();
            REQUIRE(cons.estimate(k) <= plain.estimate(k));
        }
    }
}

TEST_CASE("merging plain sketches equals the sketch of the concatenated stream", "[sketch][property]") {
    std::mt19937_64 rng(3);
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t seed = rng();
        sketch a(seed, cms_update::plain), b(seed, cms_update::plain), both(seed, cms_update::plain);
        std::map<std::uint64_t, std::uint64_t> truth;
        for (auto k : stream(rng, 3000, 1000)) { a.add(k); both.add(k); ++truth[k]; }
        for (auto k : stream(rng, 3000, 1000)) { b.add(k); both.add(k); ++truth[k]; }
        REQUIRE(a.merge(b));
        REQUIRE(std::equal(a.counters().begin(), a.counters().end(), both.counters().begin()));
        CHECK(a.total() == both.total());
        for (auto [k, c] : truth) REQUIRE(a.estimate(k) >= c);
    }
}

TEST_CASE("merged conservative sketches never undercount", "[sketch][property]") {
    std::mt19937_64 rng(4);
    const std::uint64_t seed = rng();
    sketch a(seed), b(seed);
    std::map<std::uint64_t, std::uint64_t> truth;
    for (auto k : stream(rng, 4000, 800)) { a.add(k); ++truth[k]; }
    for (auto k : stream(rng, 4000, 800)) { b.add(k); ++truth[k]; }
    REQUIRE(a.merge(b));
    for (auto [k, c] : truth) REQUIRE(a.estimate(k) >= c);
    sketch other_seed(seed + 1);
    CHECK_FALSE(a.merge(other_seed));
}

TEST_CASE("16-bit counters saturate instead of wrapping", "[sketch]") {
    count_min_sketch<64, 2, std::uint16_t> cms(9);
    for (int i = 0; i < 70000; ++i) cms.add(42);
    CHECK(cms.estimate(42) == 65535);
    cms.add(42, 65535);
    CHECK(cms.estimate(42) == 65535);
    cms.new_window(cms_window::halve);
    CHECK(cms.estimate(42) == 32767);
    cms.new_window(cms_window::reset);
    CHECK(cms.estimate(42) == 0);
    CHECK(cms.candidates().empty());
}

TEST_CASE("the candidate list holds the true heavy hitters", "[sketch][property]") {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 10; ++round) {
        sketch cms(rng());
        std::map<std::uint64_t, std::uint64_t> truth;
        std::vector<std::uint64_t> heavy;
        for (int h = 0; h < 4; ++h) heavy.push_back(rng());
        for (int i = 0; i < 20000; ++i) {
            const std::uint64_t k = (i % 5 == 0) ? heavy[static_cast<std::size_t>(rng() % 4)] : rng() % 100000;
            cms.add(k);
            ++truth[k];
        }
        CHECK(cms.candidates().size() <= sketch::top_n);
        for (auto h : heavy) {
            bool found = false;
            // listed, with an estimate that lags the true count by less than the refresh stride
            for (const auto& c : cms.candidates())
                found = found || (c.key == h && c.estimate + sketch::candidate_stride > truth[h] && cms.estimate(h) >= truth[h]);
            CHECK(found);
        }
        // halving keeps candidates with halved estimates
        cms.new_window(cms_window::halve);
        for (const auto& c : cms.candidates()) CHECK(c.estimate <= cms.estimate(c.key) + 1);
    }
}

// constexpr use: the sketch works at compile time.
constexpr bool sketch_constexpr() {
    count_min_sketch<16, 2, std::uint8_t, 2> s(3, cms_update::plain);
    for (int i = 0; i < 300; ++i) s.add(7);
    return s.estimate(7) == 255 && s.heavy(7, 200);
}
static_assert(sketch_constexpr());
