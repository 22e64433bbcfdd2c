// Map properties: hash and array maps behave like a reference std::map under random
// lookup/update/delete sequences (Linux semantics for flags and errors), and never exceed capacity.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <map>
#include <random>

#include <secengine/ebpf/maps.hpp>

namespace eb = secengine::ebpf;

TEST_CASE("hash map agrees with a reference map", "[maps]") {
    eb::map_set<2, 4096> maps;
    eb::map_spec h;
    h.type = eb::map_type::hash;
    h.key_size = 6;
    h.value_size = 12;
    h.max_entries = 32;
    REQUIRE(maps.configure(std::array{h}).ok());
    std::map<std::array<std::byte, 6>, std::array<std::byte, 12>> ref;
    std::mt19937_64 rng(99);
    for (int n = 0; n < 50000; ++n) {
        std::array<std::byte, 6> k{};
        k[0] = static_cast<std::byte>(rng() % 48);  // more keys than slots: full-table paths run
        std::array<std::byte, 12> v{};
        for (auto& b : v) b = static_cast<std::byte>(rng());
        const int what = static_cast<int>(rng() % 3);
        const std::uint64_t flags = rng() % 3;
        if (what == 0) {
            auto* p = maps.lookup(0, k.data());
            auto it = ref.find(k);
            REQUIRE((p != nullptr) == (it != ref.end()));
            if (p) REQUIRE(std::memcmp(p, it->second.data(), 12) == 0);
        } else if (what == 1) {
            auto r = maps.update(0, k.data(), v.data(), flags);
            bool exists = ref.count(k) != 0;
            if (flags == eb::map_flag::noexist && exists) REQUIRE(r == eb::map_errno::exist);
            else if (flags == eb::map_flag::exist && !exists) REQUIRE(r == eb::map_errno::noent);
            else if (!exists && ref.size() == 32) REQUIRE(r == eb::map_errno::e2big);
            else {
                REQUIRE(r == 0);
                ref[k] = v;
            }
        } else {
            auto r = maps.remove(0, k.data());
            REQUIRE(r == (ref.erase(k) ? 0 : eb::map_errno::noent));
        }
        REQUIRE(ref.size() <= 32);
    }
    std::size_t live = 0;
    maps.for_each(0, [&](auto, auto) { ++live; });
    CHECK(live == ref.size());
}

TEST_CASE("array map: index bounds, no delete, noexist", "[maps]") {
    eb::map_set<1, 256> maps;
    eb::map_spec a;
    a.value_size = 8;
    a.max_entries = 4;
    REQUIRE(maps.configure(std::array{a}).ok());
    for (std::uint32_t i = 0; i < 8; ++i) {
        std::array<std::byte, 4> k{};
        std::memcpy(k.data(), &i, 4);
        std::array<std::byte, 8> v{};
        v[0] = std::byte{1};
        CHECK((maps.lookup(0, k.data()) != nullptr) == (i < 4));
        CHECK(maps.update(0, k.data(), v.data(), 0) == (i < 4 ? 0 : eb::map_errno::e2big));
        CHECK(maps.remove(0, k.data()) == eb::map_errno::inval);
    }
    CHECK(maps.values_bytes() == 32);
}

TEST_CASE("map specs that do not fit are refused", "[maps]") {
    eb::map_set<1, 64> maps;
    eb::map_spec a;
    a.value_size = 8;
    a.max_entries = 9;  // 72 bytes > 64
    CHECK(maps.configure(std::array{a}).error == eb::verify_error::bad_map_spec);
    a.max_entries = 8;
    CHECK(maps.configure(std::array{a}).ok());
    CHECK(maps.configure(std::array{a, a}).error == eb::verify_error::bad_map_spec);
}

TEST_CASE("configure empties every map: a reload never sees the old program's values", "[maps]") {
    // configure() zeroes the whole arena (values, keys, slot states); a random fill of random
    // layouts, then a new configure, must leave every array value zero and every hash key absent.
    eb::map_set<2, 1024> maps;
    std::mt19937_64 rng(16);
    for (int round = 0; round < 200; ++round) {
        eb::map_spec a, h;
        a.value_size = 1 + static_cast<std::uint32_t>(rng() % 24);
        a.max_entries = 1 + static_cast<std::uint32_t>(rng() % 8);
        h.type = eb::map_type::hash;
        h.key_size = 4;
        h.value_size = 1 + static_cast<std::uint32_t>(rng() % 24);
        h.max_entries = 1 + static_cast<std::uint32_t>(rng() % 8);
        REQUIRE(maps.configure(std::array{a, h}).ok());
        std::array<std::byte, 32> v{};
        for (auto& b : v) b = static_cast<std::byte>(rng() | 1);
        for (std::uint32_t i = 0; i < 8; ++i) {
            std::array<std::byte, 4> k{};
            std::memcpy(k.data(), &i, 4);
            (void)maps.update(0, k.data(), v.data(), 0);
            (void)maps.update(1, k.data(), v.data(), 0);
        }
        REQUIRE(maps.configure(std::array{a, h}).ok());
        for (std::uint32_t i = 0; i < 8; ++i) {
            std::array<std::byte, 4> k{};
            std::memcpy(k.data(), &i, 4);
            const std::byte* p = maps.lookup(0, k.data());
            CHECK((p != nullptr) == (i < a.max_entries));
            if (p != nullptr)
                for (std::uint32_t b = 0; b < a.value_size; ++b) CHECK(p[b] == std::byte{0});
            CHECK(maps.lookup(1, k.data()) == nullptr);
        }
    }
}
