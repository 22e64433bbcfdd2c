#pragma once
/// \file compile(): a pcre pattern of the documented subset (docs/regex.md) -> a program.
///
/// One pass of recursive descent over the pattern (depth capped at max_nesting), emitting code
/// as it goes. Alternation inserts a split in front of the alternative already emitted; a
/// quantifier copies the code of its atom (jump offsets are relative, so copies need no
/// relocation): `x{2,4}` is `x x (x (x)?)?` flattened, `x*` is `L: split; x; jmp L`, `x+` is
/// `L: x; split L`. The shapes follow Russ Cox's "Regular Expression Matching: the Virtual
/// Machine Approach" (2009); which constructs are refused, and why, is the table in docs/regex.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/regex/detail/charclass.hpp>
#include <secengine/regex/detail/escape.hpp>
#include <secengine/regex/option.hpp>
#include <secengine/regex/program.hpp>

namespace secengine::regex {

/// Result of compile(): `words` used in the output (0 on error); `column` indexes the pattern.
struct compile_result {
    error err = error::ok;
    std::size_t column = 0;
    std::size_t words = 0;
};

namespace detail {

/// Pattern flags that inline options can change for the rest of a group.
struct pattern_flags {
    bool caseless = false, dotall = false, multiline = false, extended = false, ungreedy = false;
};

inline constexpr std::uint32_t no_max = 0xffffffffu;
inline constexpr std::uint32_t max_count = 65535;  // PCRE2's limit for {n,m}

class compiler {
public:
    constexpr compiler(std::string_view pattern, std::uint32_t* code, std::size_t cap, bool cap_is_output,
                       bool dollar_endonly) noexcept
        : p_(pattern), code_(code), cap_(cap), cap_is_output_(cap_is_output), dollar_endonly_(dollar_endonly) {}

    pattern_flags flags{};
    std::array<byte_set, max_classes> classes{};
    std::size_t nclasses = 0;
    std::size_t n = 0;  // instructions emitted
    error err = error::ok;
    std::size_t column = 0;

    /// The whole pattern; false on error (err/column set).
    constexpr bool run() noexcept {
        if (!parse_alternation(0)) return false;
        if (pos_ < p_.size()) return fail(error::unmatched_paren, pos_);  // stopped at a ')'
        return emit(encode(op::match));
    }

private:
    std::string_view p_;
    std::size_t pos_ = 0;
    bool nullable_ = false;  // the construct just parsed can match the empty string
    std::uint32_t* code_;
    std::size_t cap_;
    bool cap_is_output_;
    bool dollar_endonly_;

    constexpr bool fail(error e, std::size_t col) noexcept {
        if (err == error::ok) {
            err = e;
            column = col;
        }
        return false;
    }
    [[nodiscard]] constexpr bool at_end() const noexcept { return pos_ >= p_.size(); }
    [[nodiscard]] constexpr char peek(std::size_t ahead = 0) const noexcept {
        return pos_ + ahead < p_.size() ? p_[pos_ + ahead] : '\0';
    }
    [[nodiscard]] constexpr bool have(std::size_t ahead) const noexcept { return pos_ + ahead < p_.size(); }

    constexpr bool fail_room() noexcept {
        return fail(cap_is_output_ ? error::output_too_small : error::too_large, pos_);
    }
    constexpr bool room(std::size_t more) noexcept { return n + more <= cap_ || fail_room(); }
    constexpr bool emit(std::uint32_t w) noexcept {
        if (!room(1)) return false;
        code_[n++] = w;
        return true;
    }
    constexpr bool insert(std::size_t at, std::uint32_t w) noexcept {
        if (!room(1)) return false;
        for (std::size_t i = n; i > at; --i) code_[i] = code_[i - 1];
        code_[at] = w;
        ++n;
        return true;
    }
    [[nodiscard]] static constexpr std::int32_t rel(std::size_t from, std::size_t to) noexcept {
        return static_cast<std::int32_t>(static_cast<std::int64_t>(to) - static_cast<std::int64_t>(from));
    }

    /// /x: skip white space and #-comments (PCRE2_EXTENDED, outside classes).
    constexpr void skip_extended() noexcept {
        if (!flags.extended) return;
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') {
                ++pos_;
            } else if (c == '#') {
                while (!at_end() && peek() != '\n') ++pos_;
            } else {
                break;
            }
        }
    }

    constexpr bool parse_alternation(std::size_t depth) noexcept {
        std::size_t start = n;
        std::size_t chain = no_max;  // linked list of the jmp placeholders to patch (via their arg)
        if (!parse_sequence(depth)) return false;
        bool any_nullable = nullable_;
        while (peek() == '|' && !at_end()) {
            ++pos_;
            // [start, n) is the previous alternative: put a split before it, a jmp after it.
            if (!insert(start, 0)) return false;
            if (!emit(0)) return false;
            const std::size_t j = n - 1;
            code_[start] = encode(op::split_next, rel(start, n));
            code_[j] = encode(op::jmp, chain == no_max ? 0 : rel(j, chain));
            chain = j;
            start = n;
            if (!parse_sequence(depth)) return false;
            any_nullable = any_nullable || nullable_;
        }
        nullable_ = any_nullable;
        // Patch the chain: every jmp goes to the end of the alternation.
        while (chain != no_max) {
            const std::int32_t link = sarg(code_[chain]);
            code_[chain] = encode(op::jmp, rel(chain, n));
            chain = link == 0 ? no_max : static_cast<std::size_t>(static_cast<std::int64_t>(chain) + link);
        }
        return true;
    }

    constexpr bool parse_sequence(std::size_t depth) noexcept {
        bool all_nullable = true;
        for (;;) {
            skip_extended();
            if (at_end() || peek() == '|' || peek() == ')') {
                nullable_ = all_nullable;
                return true;
            }
            if (!parse_item(depth)) return false;
            all_nullable = all_nullable && nullable_;
        }
    }

    enum class atom : std::uint8_t { repeatable, assertion, none };

    constexpr bool parse_item(std::size_t depth) noexcept {
        const std::size_t a = n;
        atom kind = atom::none;
        nullable_ = false;
        if (!parse_atom(depth, kind)) return false;
        // Whether the atom can match the empty string (groups set nullable_ from their body).
        const bool atom_nullable = kind != atom::repeatable || nullable_;
        nullable_ = atom_nullable;
        skip_extended();
        std::uint32_t lo = 0, hi = 0;
        const std::size_t qcol = pos_;
        if (!parse_quantifier(lo, hi)) return err == error::ok;  // no quantifier (or an error)
        if (kind != atom::repeatable) return fail(error::nothing_to_repeat, qcol);
        // PCRE ends a loop whose iteration matched the empty string; which iteration that is
        // depends on the backtracking history, which a Pike VM thread does not carry. Refused
        // (docs/regex.md, "empty loops"); bounded repeats are plain copies and stay exact.
        if (hi == no_max && atom_nullable) return fail(error::empty_loop, qcol);
        nullable_ = atom_nullable || lo == 0;
        bool lazy = false;
        skip_extended();  // PCRE2 /x: `a* ?` is lazy, `a* +` possessive
        if (peek() == '?' && !at_end()) {
            lazy = true;
            ++pos_;
        } else if (peek() == '+' && !at_end()) {
            return fail(error::possessive, pos_);
        }
        if (flags.ungreedy) lazy = !lazy;
        {
            const std::size_t save = pos_;
            std::uint32_t l2 = 0, h2 = 0;
            skip_extended();
            if (parse_quantifier(l2, h2)) return fail(error::nothing_to_repeat, save);
            if (err != error::ok) return false;
            pos_ = save;
        }
        return repeat(a, lo, hi, lazy);
    }

    /// `*` `+` `?` `{n}` `{n,}` `{n,m}` at pos_: true and consumed if one is there. A `{` that
    /// does not start a valid quantifier is a literal (PCRE2 10.42).
    constexpr bool parse_quantifier(std::uint32_t& lo, std::uint32_t& hi) noexcept {
        if (at_end()) return false;
        const char c = peek();
        if (c == '*') { lo = 0; hi = no_max; ++pos_; return true; }
        if (c == '+') { lo = 1; hi = no_max; ++pos_; return true; }
        if (c == '?') { lo = 0; hi = 1; ++pos_; return true; }
        if (c != '{') return false;
        std::size_t i = pos_ + 1;
        std::uint32_t a = 0, b = 0;
        bool big = false;
        const auto digits = [&](std::uint32_t& v) {
            const std::size_t s = i;
            while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
                v = v * 10u + static_cast<std::uint32_t>(p_[i] - '0');
                if (v > max_count) { big = true; v = max_count + 1; }
                ++i;
            }
            return i > s;
        };
        if (!digits(a)) return false;
        if (i < p_.size() && p_[i] == '}') {
            b = a;
        } else if (i < p_.size() && p_[i] == ',') {
            ++i;
            if (i < p_.size() && p_[i] == '}') {
                b = no_max;
            } else {
                if (!digits(b) || i >= p_.size() || p_[i] != '}') return false;
            }
        } else {
            return false;
        }
        if (big) return fail(error::count_too_large, pos_);
        if (b != no_max && a > b) return fail(error::bad_quantifier, pos_);
        pos_ = i + 1;
        lo = a;
        hi = b;
        return true;
    }

    /// Apply {lo,hi} to the atom emitted at [a, n).
    constexpr bool repeat(std::size_t a, std::uint32_t lo, std::uint32_t hi, bool lazy) noexcept {
        const std::size_t len = n - a;
        if (hi == 0) {
            n = a;
            return true;
        }
        std::uint64_t need = 0;  // instructions from `a` on once repeated
        if (hi == no_max) need = lo == 0 ? len + 2 : std::uint64_t{lo} * len + 1;
        else need = std::uint64_t{lo} * len + std::uint64_t{hi - lo} * (len + 1);
        if (a + need > cap_) return fail_room();
        const auto copy_from = [&](std::size_t src) {
            for (std::size_t i = 0; i < len; ++i) code_[n + i] = code_[src + i];
            n += len;
        };
        if (hi == no_max) {
            if (lo == 0) {  // L: split -> exit; x; jmp L; exit:
                insert(a, encode(lazy ? op::split_target : op::split_next, rel(a, a + len + 2)));
                return emit(encode(op::jmp, rel(n, a)));
            }
            for (std::uint32_t k = 1; k < lo; ++k) copy_from(a);  // x{n,}: n-1 copies, then x+
            const std::size_t last = n - len;                    // L: x; split -> L
            return emit(encode(lazy ? op::split_next : op::split_target, rel(n, last)));
        }
        std::size_t src = a;
        std::uint32_t optional = hi - lo;
        if (lo == 0) {  // the atom itself becomes the first optional copy
            const std::size_t end = a + std::size_t{hi} * (len + 1);
            insert(a, encode(lazy ? op::split_target : op::split_next, rel(a, end)));
            src = a + 1;
            --optional;
        } else {
            for (std::uint32_t k = 1; k < lo; ++k) copy_from(a);
        }
        const std::size_t end = n + std::size_t{optional} * (len + 1);
        for (std::uint32_t k = 0; k < optional; ++k) {
            code_[n] = encode(lazy ? op::split_target : op::split_next, rel(n, end));
            ++n;
            copy_from(src);
        }
        return true;
    }

    constexpr bool emit_literal(unsigned char c) noexcept {
        if (flags.caseless && is_alpha(c)) return emit(encode(op::byte_ci, to_lower(c)));
        return emit(encode(op::byte, c));
    }

    constexpr bool emit_class(byte_set s, bool negate) noexcept {
        if (flags.caseless) s = fold_case(s);
        if (negate) s = complement(s);
        const std::size_t count = size_of(s);
        if (count == 256) return emit(encode(op::any));
        if (count == 1) return emit(encode(op::byte, first_of(s)));
        if (count == 2) {
            const unsigned char f = first_of(s);  // an upper-case letter comes first
            if (is_upper(f) && contains(s, to_lower(f))) return emit(encode(op::byte_ci, to_lower(f)));
        }
        for (std::size_t i = 0; i < nclasses; ++i)
            if (classes[i] == s) return emit(encode(op::cls, static_cast<std::int32_t>(i)));
        if (nclasses == max_classes) return fail(error::too_large, pos_);
        classes[nclasses] = s;
        return emit(encode(op::cls, static_cast<std::int32_t>(nclasses++)));
    }

    constexpr bool parse_atom(std::size_t depth, atom& kind) noexcept {
        const char c = peek();
        const std::size_t col = pos_;
        switch (c) {
            case '(': return parse_group(depth, kind);
            case '[': {
                if (posix_end(p_, pos_) != 0) return fail(error::bad_posix_class, col);  // [:alpha:] outside [...]
                ++pos_;
                byte_set s{};
                bool neg = false;
                if (!parse_class(s, neg, col)) return false;
                kind = atom::repeatable;
                return emit_class(s, neg);
            }
            case '.':
                ++pos_;
                kind = atom::repeatable;
                return emit(encode(flags.dotall ? op::any : op::any_but_nl));
            case '^':
                ++pos_;
                kind = atom::assertion;
                return emit(encode(op::assert_, static_cast<std::int32_t>(
                                                     flags.multiline ? assertion::bol_multi : assertion::begin_subject)));
            case '$': {
                ++pos_;
                kind = atom::assertion;
                const assertion k = flags.multiline ? assertion::eol_multi
                                    : dollar_endonly_ ? assertion::end_subject
                                                      : assertion::end_or_final_nl;
                return emit(encode(op::assert_, static_cast<std::int32_t>(k)));
            }
            case '*':
            case '+':
            case '?': return fail(error::nothing_to_repeat, col);
            case '{': {
                std::uint32_t lo = 0, hi = 0;
                if (parse_quantifier(lo, hi)) return fail(error::nothing_to_repeat, col);
                if (err != error::ok) return false;
                ++pos_;
                kind = atom::repeatable;
                return emit_literal('{');
            }
            case '\\': return parse_escape(kind);
            default:
                ++pos_;
                kind = atom::repeatable;
                return emit_literal(static_cast<unsigned char>(c));
        }
    }

    constexpr bool parse_escape(atom& kind) noexcept {
        const std::size_t col = pos_;
        ++pos_;
        if (at_end()) return fail(error::trailing_backslash, col);
        const char c = peek();
        kind = atom::repeatable;
        byte_set s{};
        if (escape_class(c, s)) {
            ++pos_;
            return emit_class(s, false);
        }
        assertion k = assertion::count_;
        switch (c) {
            case 'b': k = assertion::word_boundary; break;
            case 'B': k = assertion::not_word_boundary; break;
            case 'A': k = assertion::begin_subject; break;
            case 'z': k = assertion::end_subject; break;
            case 'Z': k = assertion::end_or_final_nl; break;
            default: break;
        }
        if (k != assertion::count_) {
            ++pos_;
            kind = atom::assertion;
            return emit(encode(op::assert_, static_cast<std::int32_t>(k)));
        }
        unsigned char value = 0;
        if (!escape_byte(value, col)) return false;
        return emit_literal(value);
    }

    /// A single-byte escape at pos_ (after the backslash); see detail::byte_escape.
    constexpr bool escape_byte(unsigned char& v, std::size_t col, bool in_class = false) noexcept {
        const error e = byte_escape(p_, pos_, in_class, v);
        return e == error::ok || fail(e, col);
    }

    /// After `[`: members into `s`, `neg` for `[^`. Consumes the closing `]`.
    constexpr bool parse_class(byte_set& s, bool& neg, std::size_t col) noexcept {
        if (peek() == '^' && !at_end()) {
            neg = true;
            ++pos_;
        }
        bool first = true;
        for (;;) {
            if (at_end()) return fail(error::unterminated_class, col);
            const char c = peek();
            if (c == ']' && !first) {
                ++pos_;
                return true;
            }
            first = false;
            // One member: a single byte (may start a range) or a set (escape class, POSIX).
            const std::size_t mcol = pos_;
            int lo = -1;
            if (!class_member(s, lo)) return false;
            if (lo < 0) {  // a set: cannot start a range
                if (peek() == '-' && have(1) && peek(1) != ']') return fail(error::bad_class_range, pos_);
                continue;
            }
            if (peek() == '-' && have(1) && peek(1) != ']') {
                ++pos_;
                int hi = -1;
                byte_set tmp{};
                const std::size_t hcol = pos_;
                if (!class_member(tmp, hi)) return false;
                if (hi < 0 || hi < lo) return fail(error::bad_class_range, hi < 0 ? hcol : mcol);
                for (int b = lo; b <= hi; ++b) add(s, static_cast<unsigned char>(b));
                continue;
            }
            add(s, static_cast<unsigned char>(lo));
        }
    }

    /// One class member at pos_: sets `single` to the byte, or adds a set to `s` (single = -1).
    constexpr bool class_member(byte_set& s, int& single) noexcept {
        const char c = peek();
        const std::size_t col = pos_;
        if (c == '[' && have(1) && (peek(1) == ':' || peek(1) == '.' || peek(1) == '=')) {
            const char kind = peek(1);
            const std::size_t e = posix_end(p_, pos_);
            if (e != 0) {
                if (kind != ':') return fail(error::bad_posix_class, col);
                std::string_view nm = p_.substr(pos_ + 2, e - pos_ - 2);
                bool negp = false;
                if (!nm.empty() && nm[0] == '^') {
                    negp = true;
                    nm.remove_prefix(1);
                }
                byte_set ps{};
                if (!posix_class(nm, ps)) return fail(error::bad_posix_class, col);
                if (negp) ps = complement(ps);
                s = unite(s, ps);
                pos_ = e + 2;
                single = -1;
                return true;
            }
        }
        if (c == '\\') {
            ++pos_;
            if (at_end()) return fail(error::trailing_backslash, col);
            byte_set es{};
            if (escape_class(peek(), es)) {
                ++pos_;
                s = unite(s, es);
                single = -1;
                return true;
            }
            const char e = peek();
            if (e == 'B' || e == 'A' || e == 'z' || e == 'Z') return fail(error::bad_escape, col);
            unsigned char v = 0;
            if (!escape_byte(v, col, true)) return false;
            single = v;
            return true;
        }
        ++pos_;
        single = static_cast<unsigned char>(c);
        return true;
    }

    constexpr bool parse_group(std::size_t depth, atom& kind) noexcept {
        const std::size_t col = pos_;
        ++pos_;
        if (depth + 1 > max_nesting) return fail(error::nesting_too_deep, col);
        kind = atom::repeatable;
        if (peek() == '*' && !at_end()) return fail(error::unsupported_group, col);  // (*VERB)
        const pattern_flags saved = flags;
        if (peek() == '?' && !at_end()) {
            ++pos_;
            const char q = peek();
            if (at_end()) return fail(error::unbalanced_paren, col);
            if (q == ':') {
                ++pos_;
            } else if (q == '#') {
                while (!at_end() && peek() != ')') ++pos_;
                if (at_end()) return fail(error::unbalanced_paren, col);
                ++pos_;
                kind = atom::none;
                return true;
            } else if (q == '=' || q == '!') {
                return fail(error::lookahead, col);
            } else if (q == '<' && (peek(1) == '=' || peek(1) == '!')) {
                return fail(error::lookbehind, col);
            } else if (q == '>') {
                return fail(error::atomic_group, col);
            } else if (q == '(') {
                return fail(error::conditional, col);
            } else if (q == 'R' || q == '&' || q == '+' || (q >= '0' && q <= '9') ||
                       (q == '-' && peek(1) >= '0' && peek(1) <= '9') || (q == 'P' && peek(1) == '>')) {
                return fail(error::recursion, col);
            } else if (q == 'P' && peek(1) == '=') {
                return fail(error::backreference, col);
            } else if (q == '<' || q == '\'' || (q == 'P' && peek(1) == '<')) {
                // Named capturing group: the name is irrelevant here (no captures are reported).
                if (q == 'P') ++pos_;
                const char close = peek() == '\'' ? '\'' : '>';
                ++pos_;
                const std::size_t ns = pos_;
                while (!at_end() && (is_alnum(static_cast<unsigned char>(peek())) || peek() == '_')) ++pos_;
                if (pos_ == ns || at_end() || peek() != close || is_digit(static_cast<unsigned char>(p_[ns])))
                    return fail(error::unsupported_group, col);
                ++pos_;
            } else {
                // Option letters: (?imsxU-imsxU) for the rest of the group, or (?imsx:...) scoped.
                bool on = true, caret = false;
                pattern_flags f = flags;
                for (;;) {
                    if (at_end()) return fail(error::unbalanced_paren, col);
                    const char o = peek();
                    ++pos_;
                    if (o == ')') {
                        flags = f;
                        kind = atom::none;
                        return true;
                    }
                    if (o == ':') break;
                    if (o == '-' && on && !caret) { on = false; continue; }
                    if (o == '^' && on && pos_ == col + 3) {  // (?^...): reset, no '-' after it
                        caret = true;
                        f.caseless = f.dotall = f.multiline = f.extended = f.ungreedy = false;
                        continue;
                    }
                    if (o == 'i') f.caseless = on;
                    else if (o == 's') f.dotall = on;
                    else if (o == 'm') f.multiline = on;
                    else if (o == 'x') f.extended = on;
                    else if (o == 'U') f.ungreedy = on;
                    else if (o == '|') return fail(error::unsupported_group, col);
                    else return fail(error::bad_inline_option, pos_ - 1);
                }
                flags = f;
            }
        }
        if (!parse_alternation(depth + 1)) return false;
        if (at_end() || peek() != ')') return fail(error::unbalanced_paren, col);
        ++pos_;
        flags = saved;
        return true;
    }
};

}  // namespace detail

/// Compile the option's pattern with its flags into `out` (max_program_words always suffices).
/// Returns the words used, or 0 with the error and its column in the pattern.
[[nodiscard]] constexpr compile_result compile(const pcre_option& o, std::span<std::uint32_t> out) noexcept {
    if (o.err != error::ok) return {o.err, 0, 0};
    if (out.size() <= header_words) return {error::output_too_small, 0, 0};
    const std::size_t room = out.size() - header_words;
    const bool limited_by_output = room < max_instructions;
    detail::compiler c(o.pattern, out.data() + header_words, limited_by_output ? room : max_instructions,
                       limited_by_output, o.dollar_endonly);
    c.flags.caseless = o.caseless;
    c.flags.dotall = o.dotall;
    c.flags.multiline = o.multiline;
    c.flags.extended = o.extended;
    c.flags.ungreedy = o.ungreedy;
    if (!c.run()) return {c.err, c.column, 0};
    std::size_t threads = 0, splits = 0;
    for (std::size_t i = 0; i < c.n; ++i) {
        const op x = op_of(out[header_words + i]);
        threads += (is_consumer(x) || x == op::match) ? 1u : 0u;
        splits += is_split(x) ? 1u : 0u;
    }
    if (threads > max_threads || splits > max_splits) return {error::too_large, o.pattern.size(), 0};
    const std::size_t total = header_words + c.n + c.nclasses * class_words;
    if (total > out.size()) return {error::output_too_small, o.pattern.size(), 0};
    for (std::size_t k = 0; k < c.nclasses; ++k)
        for (std::size_t w = 0; w < class_words; ++w) out[header_words + c.n + k * class_words + w] = c.classes[k].w[w];
    std::uint32_t flags = 0;
    if (o.relative) flags |= flag_relative;
    if (o.anchored) flags |= flag_anchored;
    const std::uint32_t first = out[header_words];
    if (op_of(first) == op::assert_ && uarg(first) == static_cast<std::uint32_t>(assertion::begin_subject))
        flags |= flag_start_anchored;
    out[0] = program_magic;
    out[1] = static_cast<std::uint32_t>(total);
    out[2] = flags;
    out[3] = static_cast<std::uint32_t>(c.n);
    out[4] = static_cast<std::uint32_t>(c.nclasses);
    return {error::ok, 0, total};
}

}  // namespace secengine::regex
