// Property tests: the compact automaton reports exactly what a naive search reports, in the
// same order, for random pattern sets and texts; streaming equals whole-buffer scanning at
// every split point; capacity and duplicate errors leave a working automaton.
#include <catch2/catch.hpp>

#include <memory>

#include "naive.hpp"

using namespace secengine::dpi;
using namespace dpi_test;

namespace {

using small_ac = aho_corasick<2048, 64, 2048>;

template <class AC>
std::vector<hit> scan_from(const AC& ac, const std::string& text, scan_state& st, std::uint32_t base = 0) {
    std::vector<hit> out;
    (void)ac.scan(st, as_bytes(text), [&](const match& m) {
        out.push_back({base + m.end, m.id});
        return true;
    });
    return out;
}

template <class AC>
std::vector<hit> scan_all(const AC& ac, const std::string& text) {
    scan_state st{};
    return scan_from(ac, text, st);
}

std::vector<pat> random_patterns(std::mt19937_64& rng, std::size_t count, bool binary) {
    std::vector<pat> pats;
    std::uint32_t id = 1;
    while (pats.size() < count) {
        pat p{random_text(rng, 1 + rng() % 6, binary), id, rng() % 2 == 0};
        bool dup = false;
        for (const auto& q : pats) {
            if (q.nocase != p.nocase || q.bytes.size() != p.bytes.size()) continue;
            bool same = true;
            for (std::size_t k = 0; k < p.bytes.size(); ++k)
                same = same && (p.nocase ? fold(q.bytes[k]) == fold(p.bytes[k]) : q.bytes[k] == p.bytes[k]);
            dup = dup || same;
        }
        if (dup) continue;
        pats.push_back(p);
        ++id;
    }
    return pats;
}

}  // namespace

TEST_CASE("automaton matches equal the naive search, same order", "[dpi][property]") {
    std::mt19937_64 rng(0xd1);
    auto ac = std::make_unique<small_ac>();
    for (int round = 0; round < 2000; ++round) {
        const bool binary = round % 3 == 0;
        const auto pats = random_patterns(rng, 1 + rng() % 24, binary);
        ac->clear();
        for (const auto& p : pats) REQUIRE(ac->add(p.bytes, p.id, p.nocase) == dpi_error::ok);
        REQUIRE(ac->pattern_count() == pats.size());
        const std::string text = random_text(rng, rng() % 300, binary);
        REQUIRE(scan_all(*ac, text) == naive(pats, text));
    }
}

TEST_CASE("streaming equals whole-buffer scanning at every split point", "[dpi][property]") {
    std::mt19937_64 rng(0xd2);
    auto ac = std::make_unique<small_ac>();
    for (int round = 0; round < 300; ++round) {
        const auto pats = random_patterns(rng, 1 + rng() % 16, round % 2 == 0);
        ac->clear();
        for (const auto& p : pats) REQUIRE(ac->add(p.bytes, p.id, p.nocase) == dpi_error::ok);
        const std::string text = random_text(rng, rng() % 120, round % 2 == 0);
        const auto whole = scan_all(*ac, text);
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            scan_state st{};
            auto a = scan_from(*ac, text.substr(0, cut), st);
            auto b = scan_from(*ac, text.substr(cut), st, static_cast<std::uint32_t>(cut));
            a.insert(a.end(), b.begin(), b.end());
            REQUIRE(a == whole);
        }
    }
}

TEST_CASE("first-match mode stops at the first reported match", "[dpi]") {
    std::mt19937_64 rng(0xd3);
    auto ac = std::make_unique<small_ac>();
    for (int round = 0; round < 500; ++round) {
        const auto pats = random_patterns(rng, 1 + rng() % 8, false);
        ac->clear();
        for (const auto& p : pats) REQUIRE(ac->add(p.bytes, p.id, p.nocase) == dpi_error::ok);
        const std::string text = random_text(rng, rng() % 100, false);
        const auto all = naive(pats, text);
        std::vector<hit> got;
        scan_state st{};
        const bool finished = ac->scan(st, as_bytes(text), [&](const match& m) {
            got.push_back({m.end, m.id});
            return false;
        });
        REQUIRE(finished == all.empty());
        if (!all.empty()) REQUIRE(got == std::vector<hit>{all.front()});
    }
}

TEST_CASE("add/remove rebuild in place equals a fresh build", "[dpi][property]") {
    std::mt19937_64 rng(0xd4);
    auto ac = std::make_unique<small_ac>();
    auto fresh = std::make_unique<small_ac>();
    auto pats = random_patterns(rng, 40, true);
    std::vector<pat> live;
    for (int step = 0; step < 400; ++step) {
        if (live.empty() || rng() % 3 != 0) {
            const pat& p = pats[rng() % pats.size()];
            const bool present = std::any_of(live.begin(), live.end(), [&](const pat& q) { return q.id == p.id; });
            REQUIRE(ac->add(p.bytes, p.id, p.nocase) == (present ? dpi_error::duplicate : dpi_error::ok));
            if (!present) live.push_back(p);
        } else {
            const std::size_t k = rng() % live.size();
            REQUIRE(ac->remove(live[k].id) == dpi_error::ok);
            REQUIRE(ac->remove(live[k].id) == dpi_error::not_found);
            live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
        }
        fresh->clear();
        for (const auto& p : live) REQUIRE(fresh->add(p.bytes, p.id, p.nocase) == dpi_error::ok);
        REQUIRE(ac->state_count() == fresh->state_count());
        const std::string text = random_text(rng, 200, true);
        REQUIRE(scan_all(*ac, text) == naive(live, text));
    }
}

TEST_CASE("capacity errors are codes and leave the previous automaton intact", "[dpi]") {
    std::mt19937_64 rng(0xd5);
    for (int round = 0; round < 200; ++round) {
        aho_corasick<24, 6, 40> ac;
        std::vector<pat> live;
        for (std::uint32_t id = 1; id < 30; ++id) {
            pat p{random_text(rng, 1 + rng() % 7, true), id, rng() % 2 == 0};
            const dpi_error e = ac.add(p.bytes, p.id, p.nocase);
            if (e == dpi_error::ok) live.push_back(p);
            else REQUIRE((e == dpi_error::states_full || e == dpi_error::patterns_full ||
                          e == dpi_error::pool_full || e == dpi_error::duplicate));
            REQUIRE(ac.state_count() <= 24);
            REQUIRE(ac.pattern_count() == live.size());
            const std::string text = random_text(rng, 150, true);
            REQUIRE(scan_all(ac, text) == naive(live, text));
        }
        REQUIRE(live.size() <= 6);
    }
}

TEST_CASE("bad patterns are refused with their error code", "[dpi]") {
    small_ac ac;
    REQUIRE(ac.add("", 1, false) == dpi_error::empty_pattern);
    REQUIRE(ac.add(std::string(256, 'x'), 1, false) == dpi_error::pattern_too_long);
    REQUIRE(ac.add(std::string(255, 'x'), 1, false) == dpi_error::ok);
    REQUIRE(ac.add("abc", 1, false) == dpi_error::duplicate);       // same id
    REQUIRE(ac.add("Union", 2, true) == dpi_error::ok);
    REQUIRE(ac.add("uNION", 3, true) == dpi_error::duplicate);      // same text lane bytes after folding
    REQUIRE(ac.add("uNION", 3, false) == dpi_error::ok);            // exact lane: a different pattern
    REQUIRE(ac.add("UNION", 4, false) == dpi_error::ok);
    REQUIRE(ac.remove(99) == dpi_error::not_found);
    REQUIRE(name(dpi_error::states_full) == "states_full");
    // The two lanes' root rows share 256 entries (class 0 of each lane included): the raw lane
    // can use at most 254 distinct byte values next to an empty text lane; beyond: refused.
    aho_corasick<600, 300, 600> all;
    dpi_error last = dpi_error::ok;
    for (std::uint32_t b = 0; b < 256 && last == dpi_error::ok; ++b) {
        const std::byte one[1] = {static_cast<std::byte>(b)};
        last = all.add(one, b + 1, false);
    }
    REQUIRE(last == dpi_error::too_many_classes);
    REQUIRE(all.pattern_count() == 254);
    const std::string text = "\x01\x02";
    REQUIRE(all.count_matches(as_bytes(text)) == 2);
}

TEST_CASE("hit counters count per signature", "[dpi]") {
    small_ac ac;
    REQUIRE(ac.add("evil", 7, true) == dpi_error::ok);
    const auto i = ac.find(7);
    REQUIRE(i == 0);
    REQUIRE(ac.hits(i) == 0);
    ac.record_hit(i);
    ac.record_hit(i);
    REQUIRE(ac.hits(i) == 2);
    REQUIRE(ac.find(8) == 0xFFFF);
}
