// Nearest known word for "did you mean" (suggest.hpp).
#include "suggest.hpp"

#include <algorithm>
#include <vector>

namespace secengine::host {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // One row of the Wagner-Fischer table: row[j] is the distance between a[0..i) and b[0..j).
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::optional<std::string_view> closest_word(std::string_view word, std::span<const std::string_view> known,
                                             std::size_t max_edits) {
    std::optional<std::string_view> best;
    std::size_t best_d = max_edits + 1;
    for (const std::string_view k : known) {
        const std::size_t d = edit_distance(word, k);
        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> known) {
    const auto near = closest_word(word, known);
    return near ? " (did you mean " + std::string(*near) + "?)" : std::string();
}

}  // namespace secengine::host
