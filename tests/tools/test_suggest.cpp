// "did you mean" (apps/common/suggest.hpp), shared by secctl, secbpf and the console: the edit
// distance against an independent model, and suggestions only for near misses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "suggest.hpp"

using secengine::host::closest_word;
using secengine::host::did_you_mean;
using secengine::host::edit_distance;

namespace {

// Model: the full (n+1) x (m+1) table, written from the recurrence (Wagner and Fischer, 1974),
// not from the one-row version under test.
std::size_t model_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j)
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
    return d[a.size()][b.size()];
}

std::string random_word(std::mt19937& rng, std::size_t max_len) {
    std::string s(rng() % (max_len + 1), 'a');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 4);  // a small alphabet: many near words
    return s;
}

}  // namespace

TEST_CASE("edit_distance equals the full-table model, is symmetric and bounded") {
    std::mt19937 rng(1302);
    for (int round = 0; round < 5000; ++round) {
        const std::string a = random_word(rng, 9), b = random_word(rng, 9);
        INFO(a << " / " << b);
        const std::size_t d = edit_distance(a, b);
        REQUIRE(d == model_distance(a, b));
        REQUIRE(d == edit_distance(b, a));
        REQUIRE(d <= std::max(a.size(), b.size()));
        REQUIRE(d >= (a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()));
        REQUIRE((d == 0) == (a == b));
    }
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest_word returns the nearest known word within two edits, else nothing") {
    std::mt19937 rng(1303);
    for (int round = 0; round < 3000; ++round) {
        std::vector<std::string> words;
        for (int k = 0; k < 6; ++k) words.push_back(random_word(rng, 7));
        const std::vector<std::string_view> known(words.begin(), words.end());
        const std::string w = random_word(rng, 7);
        std::size_t best = ~std::size_t{0};
        for (const auto& k : words) best = std::min(best, model_distance(w, k));
        const auto got = closest_word(w, known);
        INFO(w);
        if (best > 2) {
            REQUIRE_FALSE(got.has_value());
            REQUIRE(did_you_mean(w, known).empty());
        } else {
            REQUIRE(got.has_value());
            REQUIRE(model_distance(w, std::string(*got)) == best);
            REQUIRE(did_you_mean(w, known) == " (did you mean " + std::string(*got) + "?)");
        }
    }
}

TEST_CASE("did_you_mean on real command words") {
    const std::vector<std::string_view> cmds = {"asm", "disasm", "verify", "run", "test", "embed", "plugin", "help"};
    CHECK(did_you_mean("verfy", cmds) == " (did you mean verify?)");
    CHECK(did_you_mean("dissasm", cmds) == " (did you mean disasm?)");
    CHECK(did_you_mean("frobnicate", cmds).empty());
    CHECK(did_you_mean("", std::vector<std::string_view>{}).empty());
    CHECK_FALSE(closest_word("", cmds).has_value());  // every word is 3 or more edits away
}
