#pragma once
// "did you mean" for every host tool's command line (secctl's commands and options, secbpf's
// commands, the console's flags): the closest known word by edit distance, if it is close enough
// to be a typo rather than another word. The idea and the threshold are git's and cargo's
// (git help.c help_unknown_cmd; cargo's closest_msg): Levenshtein distance, Wagner-Fischer's
// one-row dynamic programme (docs/tools.md, "Conventions").
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace secengine::host {

/// Levenshtein distance between `a` and `b` (insertions, deletions, substitutions; each costs 1).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// The word of `known` nearest `word` (`word` itself when known), if it is at most `max_edits`
/// edits away (ties: the first in `known`); nullopt otherwise.
[[nodiscard]] std::optional<std::string_view> closest_word(std::string_view word, std::span<const std::string_view> known,
                                                           std::size_t max_edits = 2);

/// " (did you mean WORD?)" for the nearest known word, else "": appended to an "unknown ..." error.
[[nodiscard]] std::string did_you_mean(std::string_view word, std::span<const std::string_view> known);

}  // namespace secengine::host
