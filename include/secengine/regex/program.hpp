#pragma once
/// \file The compiled pcre program: a flat array of 32-bit words, no pointers, read in place.
///
/// Layout (word index: meaning):
///   0 magic `program_magic`   1 total words   2 flags (flag_*)   3 instruction count n
///   4 class count k           5 .. 5+n-1 instructions            5+n .. 5+n+8k-1 class bitmaps
/// An instruction word is `op | arg << 8`: op in the low byte, arg a 24-bit field (a byte, a
/// class index, an assertion kind, or a signed jump offset relative to the instruction itself -
/// relative so that the compiler can copy a sub-program for `{n,m}` without relocating it).
/// Each class is 256 bits (8 words, bit b of word b/32 set when byte b is in the class).
///
/// The instruction set is Thompson's (1968) with Pike's thread priorities as described by Russ
/// Cox, "Regular Expression Matching: the Virtual Machine Approach" (2009): consumers (byte,
/// class, any), split/jmp, zero-width assertions and match.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/regex/error.hpp>

namespace secengine::regex {

inline constexpr std::uint32_t program_magic = 0x31475852u;  // "RXG1" little-endian
inline constexpr std::size_t header_words = 5;
inline constexpr std::size_t class_words = 8;
/// Capacity limits, all checked by the compiler (too_large) and by verify().
inline constexpr std::size_t max_instructions = 1024;  ///< program length in instructions
inline constexpr std::size_t max_threads = 256;        ///< consumer + match instructions (thread list size)
inline constexpr std::size_t max_splits = 256;         ///< split-type instructions (closure stack size)
inline constexpr std::size_t max_classes = 64;         ///< distinct byte classes
inline constexpr std::size_t max_nesting = 32;         ///< nested groups in a pattern
/// A program never exceeds this many words.
inline constexpr std::size_t max_program_words = header_words + max_instructions + max_classes * class_words;

inline constexpr std::uint32_t flag_relative = 1u;       ///< R: anchors and \b look at subject[from..] only
inline constexpr std::uint32_t flag_anchored = 2u;       ///< A: a match must begin at `from`
inline constexpr std::uint32_t flag_start_anchored = 4u; ///< the pattern begins with ^ / \A (not /m): one start only

/// Opcodes. Consumers read one byte and continue at pc+1.
enum class op : std::uint8_t {
    match,          ///< a match ends here
    byte,           ///< arg: the byte
    byte_ci,        ///< arg: a lower-case ASCII letter; matches it or its upper case
    any_but_nl,     ///< `.` without /s
    any,            ///< `.` with /s
    cls,            ///< arg: class index
    split_next,     ///< try pc+1 first, then pc+arg
    split_target,   ///< try pc+arg first, then pc+1
    jmp,            ///< continue at pc+arg
    assert_,        ///< arg: an assertion kind; zero-width
    count_
};

/// Zero-width assertions.
enum class assertion : std::uint8_t {
    begin_subject,   ///< \A, and ^ without /m
    bol_multi,       ///< ^ with /m: start, or after a \n that is not the last byte (PCRE's rule)
    end_subject,     ///< \z, and $ with /E
    end_or_final_nl, ///< \Z, and $ without /m: end, or before a final \n
    eol_multi,       ///< $ with /m: end, or before any \n
    word_boundary,   ///< \b
    not_word_boundary, ///< \B
    count_
};

[[nodiscard]] constexpr std::uint32_t encode(op o, std::int32_t arg = 0) noexcept {
    return static_cast<std::uint32_t>(o) | (static_cast<std::uint32_t>(arg) << 8);
}
[[nodiscard]] constexpr op op_of(std::uint32_t w) noexcept { return static_cast<op>(w & 0xffu); }
[[nodiscard]] constexpr std::uint32_t uarg(std::uint32_t w) noexcept { return w >> 8; }
[[nodiscard]] constexpr std::int32_t sarg(std::uint32_t w) noexcept {
    // Sign-extend the 24-bit field.
    const std::uint32_t a = w >> 8;
    return (a & 0x800000u) ? static_cast<std::int32_t>(a) - 0x1000000 : static_cast<std::int32_t>(a);
}
[[nodiscard]] constexpr bool is_consumer(op o) noexcept {
    return o == op::byte || o == op::byte_ci || o == op::any_but_nl || o == op::any || o == op::cls;
}
[[nodiscard]] constexpr bool is_split(op o) noexcept {
    return o == op::split_next || o == op::split_target;
}
[[nodiscard]] constexpr bool is_jump(op o) noexcept {
    return is_split(o) || o == op::jmp;
}

/// What a program needs from a matcher: search_with<Threads, Splits> runs it when
/// threads <= Threads and splits <= Splits (a rules database built for a small stack checks
/// this when it compiles, see docs/regex.md "Smaller stacks").
struct program_shape {
    std::size_t instructions = 0, threads = 0, splits = 0, classes = 0;
};

/// Check that `p` is a well-formed program of this version: sizes consistent and within the
/// limits, every jump inside the code, every class index and assertion kind valid, the last
/// instruction `match`. search() runs this first, so arbitrary words never make it misbehave.
/// On success `shape` (when given) receives the program's needs.
[[nodiscard]] constexpr error verify(std::span<const std::uint32_t> p, program_shape* shape = nullptr) noexcept {
    if (p.size() < header_words || p.size() > max_program_words) return error::bad_program;
    if (p[0] != program_magic || p[1] != p.size() || p[2] > 7u) return error::bad_program;
    const std::size_t n = p[3], k = p[4];
    if (n == 0 || n > max_instructions || k > max_classes) return error::bad_program;
    if (header_words + n + k * class_words != p.size()) return error::bad_program;
    std::size_t threads = 0, splits = 0;
    for (std::size_t pc = 0; pc < n; ++pc) {
        const std::uint32_t w = p[header_words + pc];
        const op o = op_of(w);
        if (o >= op::count_) return error::bad_program;
        if (is_consumer(o) || o == op::match) ++threads;
        if (is_split(o)) ++splits;
        if ((o == op::byte || o == op::byte_ci) && uarg(w) > 0xffu) return error::bad_program;
        if (o == op::byte_ci && !(uarg(w) >= 'a' && uarg(w) <= 'z')) return error::bad_program;
        if (o == op::cls && uarg(w) >= k) return error::bad_program;
        if (o == op::assert_ && uarg(w) >= static_cast<std::uint32_t>(assertion::count_)) return error::bad_program;
        if ((o == op::match || o == op::any || o == op::any_but_nl) && uarg(w) != 0) return error::bad_program;
        if (is_jump(o)) {
            const std::int64_t t = static_cast<std::int64_t>(pc) + sarg(w);
            if (t < 0 || t >= static_cast<std::int64_t>(n)) return error::bad_program;
        }
        // Everything but jmp and match may fall through to pc+1, which must exist.
        if (o != op::match && o != op::jmp && pc + 1 >= n) return error::bad_program;
    }
    if (op_of(p[header_words + n - 1]) != op::match) return error::bad_program;
    if (threads > max_threads || splits > max_splits) return error::bad_program;
    if (shape) *shape = {n, threads, splits, k};
    return error::ok;
}

}  // namespace secengine::regex
