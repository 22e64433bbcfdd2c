#pragma once
/// \file search(): a Pike VM (Thompson NFA simulation with prioritised thread lists).
///
/// Every thread is a (pc, begin) pair; two lists hold the threads before and after the current
/// byte, each pc at most once per position (a bitmap), so a step costs O(program length) and a
/// search O(program length x subject length), whatever the pattern - there is no backtracking.
/// Threads are kept in PCRE's preference order (a split's first branch before its second, older
/// starts before newer), and a thread reaching `match` removes the lower-priority ones: the
/// result is the match a backtracking PCRE would report first (Russ Cox, "Regular Expression
/// Matching: the Virtual Machine Approach", 2009; RE2's nfa.cc uses the same closure order).
///
/// Memory: one `vm_state` on the stack (sizeof below, static_assert'ed), no heap, no recursion:
/// the epsilon closure is an explicit stack with at most one entry per split instruction.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/regex/program.hpp>

namespace secengine::regex {

/// Result of search(): `[begin, end)` of the first match, offsets into the whole subject.
struct match_result {
    bool matched = false;
    std::size_t begin = 0, end = 0;
};

namespace detail {

template <std::size_t Threads>
struct thread_list {
    std::uint32_t count = 0;
    std::array<std::uint16_t, Threads> pc{};
    std::array<std::uint32_t, Threads> begin{};
};

/// Everything search() needs besides the program and the subject.
template <std::size_t Threads, std::size_t Splits>
struct vm_state {
    static_assert(Threads >= 1 && Threads <= max_threads && Splits <= max_splits);
    thread_list<Threads> a{}, b{};
    std::array<std::uint64_t, max_instructions / 64> seen{};  ///< pcs reached at this position
    std::array<std::uint16_t, Splits + 1> stack{};            ///< pending second branches
};

[[nodiscard]] constexpr bool is_word(std::byte b) noexcept {
    const auto c = static_cast<unsigned char>(b);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/// The view of the subject that assertions see: `s` (already cut at `from` for relative
/// searches) and the position where the search started.
struct subject_view {
    std::span<const std::byte> s;
    std::size_t start;

    [[nodiscard]] constexpr bool holds(assertion k, std::size_t pos) const noexcept {
        const std::size_t len = s.size();
        const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
        switch (k) {
            case assertion::begin_subject: return pos == 0;
            case assertion::bol_multi: return pos == 0 || (pos < len && at(pos - 1) == '\n');
            case assertion::end_subject: return pos == len;
            case assertion::end_or_final_nl: return pos == len || (pos + 1 == len && at(pos) == '\n');
            case assertion::eol_multi: return pos == len || at(pos) == '\n';
            case assertion::word_boundary:
            case assertion::not_word_boundary: {
                const bool before = pos > 0 && is_word(s[pos - 1]);
                const bool after = pos < len && is_word(s[pos]);
                return (before != after) == (k == assertion::word_boundary);
            }
            default: return false;
        }
    }
};

/// Add the threads reachable from `pc0` without consuming (the epsilon closure), in priority
/// order, to `list`. `seen` marks pcs already reached at this position by higher-priority threads.
template <class State, class List>
constexpr void add_closure(const std::uint32_t* code, State& st, List& list, std::uint32_t pc0,
                           std::uint32_t begin, const subject_view& v, std::size_t pos) noexcept {
    std::size_t sp = 0;
    st.stack[sp++] = static_cast<std::uint16_t>(pc0);
    const auto seen = [&st](std::uint32_t pc) { return (st.seen[pc / 64] >> (pc % 64)) & 1u; };
    while (sp > 0) {
        std::uint32_t pc = st.stack[--sp];
        for (;;) {
            const std::uint32_t w = code[pc];
            if (seen(pc)) break;
            st.seen[pc / 64] |= std::uint64_t{1} << (pc % 64);
            const auto target = static_cast<std::uint32_t>(static_cast<std::int32_t>(pc) + sarg(w));
            const op o = op_of(w);
            if (o == op::match || is_consumer(o)) {
                list.pc[list.count] = static_cast<std::uint16_t>(pc);
                list.begin[list.count] = begin;
                ++list.count;
                break;
            }
            if (o == op::jmp) {
                pc = target;
            } else if (o == op::split_next) {
                st.stack[sp++] = static_cast<std::uint16_t>(target);
                pc = pc + 1;
            } else if (o == op::split_target) {
                st.stack[sp++] = static_cast<std::uint16_t>(pc + 1);
                pc = target;
            } else {  // assert_
                if (!v.holds(static_cast<assertion>(uarg(w)), pos)) break;
                pc = pc + 1;
            }
        }
    }
}

[[nodiscard]] constexpr bool consumes(std::span<const std::uint32_t> p, std::uint32_t w, std::byte b) noexcept {
    const auto c = static_cast<std::uint32_t>(static_cast<unsigned char>(b));
    switch (op_of(w)) {
        case op::byte: return uarg(w) == c;
        case op::byte_ci: return uarg(w) == (c >= 'A' && c <= 'Z' ? c + 32u : c);
        case op::any_but_nl: return c != '\n';
        case op::any: return true;
        case op::cls: {
            const std::size_t base = header_words + p[3] + uarg(w) * class_words;
            return (p[base + c / 32] >> (c % 32)) & 1u;
        }
        default: return false;
    }
}

/// The bytes a match can start with (every consumer reachable from pc 0 without consuming,
/// assertions taken as true: a superset), or false when a match can be empty. search() skips
/// the positions whose byte is outside the set while no thread is alive - PCRE's "first code
/// unit" optimisation, generalised to a set; sound because a start there dies at once.
template <class State>
[[nodiscard]] constexpr bool first_bytes(std::span<const std::uint32_t> p, State& st,
                                         std::array<std::uint32_t, 8>& set) noexcept {
    const std::uint32_t* code = p.data() + header_words;
    st.seen.fill(0);
    std::size_t sp = 0;
    st.stack[sp++] = 0;
    while (sp > 0) {
        std::uint32_t pc = st.stack[--sp];
        for (;;) {
            if ((st.seen[pc / 64] >> (pc % 64)) & 1u) break;
            st.seen[pc / 64] |= std::uint64_t{1} << (pc % 64);
            const std::uint32_t w = code[pc];
            const auto target = static_cast<std::uint32_t>(static_cast<std::int32_t>(pc) + sarg(w));
            const op o = op_of(w);
            if (o == op::match) return false;
            if (o == op::byte || o == op::byte_ci) {
                const std::uint32_t c = uarg(w);
                set[c / 32] |= 1u << (c % 32);
                if (o == op::byte_ci) set[(c - 32) / 32] |= 1u << ((c - 32) % 32);
                break;
            }
            if (o == op::any || o == op::any_but_nl) {
                for (std::size_t i = 0; i < 8; ++i) {
                    std::uint32_t all = 0xffffffffu;
                    if (o == op::any_but_nl && i == '\n' / 32) all &= ~(1u << ('\n' % 32));
                    set[i] |= all;
                }
                break;
            }
            if (o == op::cls) {
                const std::size_t base = header_words + p[3] + uarg(w) * class_words;
                for (std::size_t i = 0; i < 8; ++i) set[i] |= p[base + i];
                break;
            }
            if (o == op::jmp) {
                pc = target;
            } else if (is_split(o)) {
                st.stack[sp++] = static_cast<std::uint16_t>(target);
                pc = pc + 1;
            } else {  // assert_: may hold
                pc = pc + 1;
            }
        }
    }
    return true;
}

}  // namespace detail

/// Stack bytes search_with<Threads, Splits> uses for its state (plus a few locals).
template <std::size_t Threads, std::size_t Splits>
inline constexpr std::size_t search_stack_bytes_for = sizeof(detail::vm_state<Threads, Splits>);
/// Stack bytes search() uses for its state (plus a few locals).
inline constexpr std::size_t search_stack_bytes = search_stack_bytes_for<max_threads, max_splits>;
static_assert(search_stack_bytes <= 4096, "search() must stay within a few KiB of stack (docs/regex.md)");

/// search() with smaller thread lists and closure stack, for a caller on a small stack (the
/// kernel): programs needing more (verify's program_shape) never match, so whoever builds the
/// rule set for such a caller must refuse them when compiling.
template <std::size_t Threads, std::size_t Splits>
[[nodiscard]] constexpr match_result search_with(std::span<const std::uint32_t> program,
                                                 std::span<const std::byte> subject, std::size_t from) noexcept {
    program_shape shape{};
    if (verify(program, &shape) != error::ok || from > subject.size()) return {};
    if (shape.threads > Threads || shape.splits > Splits) return {};
    if (subject.size() - from > 0xffffffffu) return {};
    const std::uint32_t flags = program[2];
    const std::size_t base = (flags & flag_relative) ? from : 0;
    const detail::subject_view v{subject.subspan(base), from - base};
    const std::size_t len = v.s.size();
    // One possible start when /A is given or the pattern opens with ^ / \A (without /m).
    const bool start_anchored = (flags & flag_start_anchored) != 0;
    if (start_anchored && v.start != 0) return {};
    const bool one_start = (flags & flag_anchored) || start_anchored;
    const std::uint32_t* code = program.data() + header_words;

    detail::vm_state<Threads, Splits> st{};
    std::array<std::uint32_t, 8> first{};
    const bool skip = !one_start && detail::first_bytes(program, st, first);
    // The next position >= i where a match can start (len when none).
    const auto candidate = [&](std::size_t i) {
        if (!skip) return i;
        while (i < len) {
            const auto c = static_cast<unsigned char>(v.s[i]);
            if ((first[c / 32] >> (c % 32)) & 1u) break;
            ++i;
        }
        return i;
    };
    auto* cur = &st.a;
    auto* next = &st.b;
    match_result best{};
    std::size_t pos = candidate(v.start);
    st.seen.fill(0);
    detail::add_closure(code, st, *cur, 0, static_cast<std::uint32_t>(pos), v, pos);
    for (; pos <= len; ++pos) {
        if (cur->count == 0 && (best.matched || one_start)) break;
        st.seen.fill(0);
        next->count = 0;
        for (std::uint32_t i = 0; i < cur->count; ++i) {
            const std::uint32_t pc = cur->pc[i];
            const std::uint32_t w = code[pc];
            if (op_of(w) == op::match) {
                // Lower-priority threads (later in the list) can no longer win.
                best = {true, base + cur->begin[i], base + pos};
                break;
            }
            if (pos < len && detail::consumes(program, w, v.s[pos]))
                detail::add_closure(code, st, *next, pc + 1, cur->begin[i], v, pos + 1);
        }
        if (pos == len) break;
        if (!best.matched && !one_start) {
            if (next->count == 0) {
                // Nothing alive: jump to the next byte a match can start with.
                const std::size_t c = candidate(pos + 1);
                if (c != pos + 1) st.seen.fill(0);
                pos = c - 1;
            }
            detail::add_closure(code, st, *next, 0, static_cast<std::uint32_t>(pos + 1), v, pos + 1);
        }
        auto* t = cur;
        cur = next;
        next = t;
    }
    return best;
}

/// First (leftmost, PCRE-preferred) match in subject[from..]. Anchors and \b refer to `from`
/// as the subject start when the program was compiled relative (R), otherwise to the subject
/// start. An invalid program (verify() fails) or `from` past the end never matches.
[[nodiscard]] constexpr match_result search(std::span<const std::uint32_t> program,
                                            std::span<const std::byte> subject, std::size_t from) noexcept {
    return search_with<max_threads, max_splits>(program, subject, from);
}

}  // namespace secengine::regex
