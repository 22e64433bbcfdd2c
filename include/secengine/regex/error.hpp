#pragma once
/// \file Error codes of the pcre option parser, the pattern compiler and the program check.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::regex {

/// First problem found in a pcre option value, a pattern or a stored program. Every failure
/// names what is wrong; the accompanying column points at it (docs/regex.md has the table).
enum class error : std::uint8_t {
    ok,
    empty_value,          ///< the option value is empty (or only `!` / quotes)
    missing_quote,        ///< a value that opens with `"` has no closing `"`
    missing_slash,        ///< the pattern does not start with `/`
    unterminated_pattern, ///< no closing `/` before the modifiers
    unknown_modifier,     ///< a modifier letter Suricata does not define (column: the letter)
    conflicting_buffer,   ///< two different HTTP buffer modifiers (e.g. `UH`)
    unbalanced_paren,     ///< a `(` without its `)`
    unmatched_paren,      ///< a `)` without its `(`
    bad_escape,           ///< `\` followed by a letter PCRE does not define, or a bad `\x{..}`
    trailing_backslash,   ///< the pattern ends with `\`
    unterminated_class,   ///< `[` without `]`
    bad_class_range,      ///< `[z-a]`, or a range with a class escape as an end (`[\d-z]`)
    bad_posix_class,      ///< `[[:nosuch:]]`, or a POSIX class outside brackets
    nothing_to_repeat,    ///< a quantifier after nothing, after an assertion, or twice (`a**`)
    bad_quantifier,       ///< `{n,m}` with n > m
    count_too_large,      ///< a repeat count above 65535 (PCRE's limit)
    backreference,        ///< `\1`, `\g`, `\k`, `(?P=name)`: not regular, refused
    lookahead,            ///< `(?=` `(?!`: outside the subset
    lookbehind,           ///< `(?<=` `(?<!`: outside the subset
    atomic_group,         ///< `(?>`: outside the subset
    possessive,           ///< `a*+`, `a++`, `a?+`: outside the subset
    recursion,            ///< `(?R)`, `(?1)`, `(?&name)`, `(?P>name)`: not regular, refused
    conditional,          ///< `(?(`: outside the subset
    unsupported_group,    ///< any other `(?` construct (`(?|`, `(?C`, verbs `(*...)`)
    unsupported_escape,   ///< `\p \P \X \C \R \K \N \Q \E \c \u \L \U \G`-class escapes outside the subset
    bad_inline_option,    ///< `(?` with an option letter outside i s m x U, or malformed
    empty_loop,           ///< `x*` `x+` `x{n,}` where x can match the empty string (`(a|)*`, `(b*)+`, `(^)*`)
    nesting_too_deep,     ///< more than max_nesting nested groups
    too_large,            ///< the program would exceed max_instructions / max_threads / max_splits / max_classes
    output_too_small,     ///< the caller's output span is shorter than the program
    bad_program,          ///< search/verify: the words are not a program of this version
    count_
};

inline constexpr std::string_view error_names[] = {
    "ok",
    "empty_value",
    "missing_quote",
    "missing_slash",
    "unterminated_pattern",
    "unknown_modifier",
    "conflicting_buffer",
    "unbalanced_paren",
    "unmatched_paren",
    "bad_escape",
    "trailing_backslash",
    "unterminated_class",
    "bad_class_range",
    "bad_posix_class",
    "nothing_to_repeat",
    "bad_quantifier",
    "count_too_large",
    "backreference",
    "lookahead",
    "lookbehind",
    "atomic_group",
    "possessive",
    "recursion",
    "conditional",
    "unsupported_group",
    "unsupported_escape",
    "bad_inline_option",
    "empty_loop",
    "nesting_too_deep",
    "too_large",
    "output_too_small",
    "bad_program",
};
static_assert(std::size(error_names) == static_cast<std::size_t>(error::count_));

[[nodiscard]] constexpr std::string_view name(error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(error_names) ? error_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::regex
