#pragma once
/// \file Evaluates one rule's ops on one inspection buffer, with Suricata's content semantics.
///
/// Semantics (Suricata 7, detect-engine-content-inspection.c and the payload keyword docs,
/// https://docs.suricata.io/en/latest/rules/payload-keywords.html):
///  - offset/depth: the match lies in [offset, offset + depth) of the buffer;
///  - distance/within: relative to the end of the previous match in the same buffer ("prev
///    end", 0 at the start): start >= prev + distance (clamped at 0), end <= prev + distance + within;
///  - a negated content succeeds when the pattern is absent from its window and leaves prev as is;
///  - when a relative op fails, the op that produced its prev (a content, byte_jump,
///    byte_extract) looks for its next occurrence and the ops after it are tried again, as
///    Suricata's recursive inspection does; a non-relative op that fails ends the buffer.
///  - isdataat N: byte N exists; isdataat N,relative: N bytes exist after prev;
///  - pcre: the regex subset (secengine/regex/pcre.hpp) from prev (R) or the buffer start; a
///    match moves prev to its end; negated: no match.
/// The retry is an explicit stack (no recursion: the kernel stack is small) with a step budget
/// like Suricata's inspection-recursion-limit: a rule that exceeds it does not match.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/regex/vm.hpp>
#include <secengine/rules/db.hpp>

namespace secengine::rules {

inline constexpr std::size_t max_group_ops = 32;    ///< ops of one rule on one buffer
inline constexpr std::size_t max_byte_vars = 8;     ///< byte_extract variables per rule
inline constexpr std::uint32_t inspect_budget = 4096;  ///< content searches per rule and packet

/// One decoded op (the evaluator reads op records into this; tests build them directly).
struct op {
    op_kind kind = op_kind::content;
    http::buffer buf = http::buffer::payload;
    std::uint32_t flags = 0;
    std::int64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
    std::span<const std::byte> data{};

    [[nodiscard]] constexpr bool has(std::uint32_t fl) const noexcept { return (flags & fl) != 0; }
    /// A pcre op's program: its data as u32 words (db_view::open checked alignment and verify()).
    [[nodiscard]] std::span<const std::uint32_t> program() const noexcept {
        return {reinterpret_cast<const std::uint32_t*>(data.data()), data.size() / 4};
    }
    /// Whether this op's window depends on the previous match end.
    [[nodiscard]] constexpr bool relative() const noexcept { return has(op_flag::relative); }
    /// Whether a success moves prev (the ops a later relative op is anchored to).
    [[nodiscard]] constexpr bool moves_prev() const noexcept {
        return ((kind == op_kind::content || kind == op_kind::pcre) && !has(op_flag::negated)) || kind == op_kind::byte_jump ||
               kind == op_kind::byte_extract;
    }
};

/// Reads op `i` of the database.
[[nodiscard]] constexpr op read_op(const db_view& db, std::uint32_t i) noexcept {
    op o;
    const std::uint32_t head = db.op_word(i, ow::head);
    o.kind = static_cast<op_kind>(head & 0xFF);
    o.buf = static_cast<http::buffer>((head >> 8) & 0xFF);
    o.flags = head >> 16;
    auto sgn = [&](std::size_t w) { return static_cast<std::int64_t>(static_cast<std::int32_t>(db.op_word(i, w))); };
    o.a = sgn(ow::a);
    o.b = sgn(ow::b);
    o.c = sgn(ow::c);
    o.d = sgn(ow::d);
    o.e = static_cast<std::int64_t>(db.op_word(i, ow::e));  // bitmask / align: unsigned
    o.f = sgn(ow::f);
    o.data = db.slice(db.op_word(i, ow::data), db.op_word(i, ow::data_len));
    return o;
}

namespace detail {

[[nodiscard]] constexpr bool equal_at(std::span<const std::byte> buf, std::size_t at, std::span<const std::byte> pat,
                                      bool nocase) noexcept {
    for (std::size_t k = 0; k < pat.size(); ++k) {
        const auto x = static_cast<std::uint8_t>(buf[at + k]), y = static_cast<std::uint8_t>(pat[k]);
        if (nocase ? fold(x) != fold(y) : x != y) return false;
    }
    return true;
}

/// The content window [lo, hi) for a match (start >= lo, end <= hi) given prev; false if empty.
[[nodiscard]] constexpr bool content_window(const op& o, std::int64_t prev, std::int64_t len, std::int64_t& lo,
                                            std::int64_t& hi) noexcept {
    lo = 0;
    hi = len;
    if (o.relative()) {
        const std::int64_t dist = o.has(op_flag::has_distance) ? o.c : 0;
        lo = prev + dist < 0 ? 0 : prev + dist;
        if (o.has(op_flag::has_within) && prev + dist + o.d < hi) hi = prev + dist + o.d;
    } else {
        const std::int64_t off = o.has(op_flag::has_offset) ? o.a : 0;
        lo = off;
        if (o.has(op_flag::has_depth) && off + o.b < hi) hi = off + o.b;
    }
    if (o.has(op_flag::endswith)) lo = lo > len - static_cast<std::int64_t>(o.data.size()) ? lo : len - static_cast<std::int64_t>(o.data.size());
    return hi - lo >= static_cast<std::int64_t>(o.data.size());
}

/// First occurrence with start in [from, hi - n]; -1 if none.
[[nodiscard]] constexpr std::int64_t find(std::span<const std::byte> buf, std::int64_t from, std::int64_t hi, const op& o) noexcept {
    const auto n = static_cast<std::int64_t>(o.data.size());
    const bool nc = o.has(op_flag::nocase);
    for (std::int64_t s = from; s + n <= hi; ++s)
        if (equal_at(buf, static_cast<std::size_t>(s), o.data, nc)) return s;
    return -1;
}

/// Reads `n` bytes at `at` as a number (binary big/little endian, or ASCII in base f); false
/// when out of the buffer or not a number.
[[nodiscard]] constexpr bool extract(std::span<const std::byte> buf, std::int64_t at, const op& o, std::uint64_t& v) noexcept {
    const std::int64_t n = o.a;
    if (at < 0 || n <= 0 || at + n > static_cast<std::int64_t>(buf.size())) return false;
    v = 0;
    if (o.has(op_flag::string)) {
        const std::uint64_t base = o.f == 0 ? 10u : static_cast<std::uint64_t>(o.f);
        std::int64_t used = 0;
        for (std::int64_t k = 0; k < n; ++k) {
            const auto ch = static_cast<std::uint8_t>(buf[static_cast<std::size_t>(at + k)]);
            std::uint64_t dgt = 99;
            if (ch >= '0' && ch <= '9') dgt = ch - '0';
            else if (ch >= 'a' && ch <= 'f') dgt = ch - 'a' + 10u;
            else if (ch >= 'A' && ch <= 'F') dgt = ch - 'A' + 10u;
            if (dgt >= base) break;  // Suricata's strtoull stops at the first non-digit
            v = v * base + dgt;
            ++used;
        }
        return used > 0;
    }
    if (n > 8) return false;
    for (std::int64_t k = 0; k < n; ++k) {
        const auto byte = static_cast<std::uint64_t>(buf[static_cast<std::size_t>(at + k)]);
        if (o.has(op_flag::little_endian)) v |= byte << (8 * k);
        else v = v << 8 | byte;
    }
    return true;
}

[[nodiscard]] constexpr std::uint64_t apply_mask(std::uint64_t v, std::uint64_t mask) noexcept {
    if (mask == 0) return v;
    v &= mask;
    while ((mask & 1u) == 0) {
        mask >>= 1;
        v >>= 1;
    }
    return v;
}

[[nodiscard]] constexpr bool compare(cmp c, std::int64_t v, std::int64_t lo, std::int64_t hi) noexcept {
    switch (c) {
    case cmp::eq: return v == lo;
    case cmp::lt: return v < lo;
    case cmp::gt: return v > lo;
    case cmp::range: return v > lo && v < hi;  // Suricata's dsize A<>B is exclusive
    case cmp::ne: return v != lo;
    case cmp::le: return v <= lo;
    case cmp::ge: return v >= lo;
    case cmp::band: return (v & lo) != 0;
    case cmp::bor: return (v ^ lo) != 0;
    default: return false;
    }
}

}  // namespace detail

/// Byte-op variables of one rule evaluation (byte_extract results).
using byte_vars = std::array<std::int64_t, max_byte_vars>;

/// Evaluates ops[0..n) - all on the same buffer `buf` - with backtracking. `budget` counts
/// down across the whole rule.
template <class OpAt>
[[nodiscard]] constexpr bool inspect_buffer(OpAt&& op_at, std::size_t n, std::span<const std::byte> buf, byte_vars& vars,
                                            std::uint32_t& budget) noexcept {
    if (n == 0) return true;
    if (n > max_group_ops) return false;
    const auto len = static_cast<std::int64_t>(buf.size());
    // Per op: prev at entry, next search start (content retry), the hi bound of its window.
    std::array<std::int64_t, max_group_ops + 1> prev_in{}, next_from{};
    std::array<bool, max_group_ops> entered{};
    std::size_t i = 0;
    std::int64_t prev = 0;
    auto var = [&](const op& o, std::uint32_t flag, std::int64_t v) {
        return o.has(flag) ? (v >= 0 && v < static_cast<std::int64_t>(max_byte_vars) ? vars[static_cast<std::size_t>(v)] : 0) : v;
    };
    while (true) {
        if (i == n) return true;
        const op o = op_at(i);
        if (!entered[i]) {
            entered[i] = true;
            prev_in[i] = prev;
            next_from[i] = -1;
        }
        const std::int64_t base = o.relative() ? prev_in[i] : 0;
        bool ok = false;
        std::int64_t new_prev = prev_in[i];
        switch (o.kind) {
        case op_kind::content: {
            std::int64_t lo = 0, hi = 0;
            const bool window = detail::content_window(o, prev_in[i], len, lo, hi);
            if (budget == 0) return false;
            --budget;
            const std::int64_t from = next_from[i] < 0 ? lo : next_from[i];
            const std::int64_t at = window ? detail::find(buf, from, hi, o) : -1;
            if (o.has(op_flag::negated)) {
                ok = at < 0;
                next_from[i] = hi + 1;  // a negated content has no second chance
            } else if (at >= 0) {
                ok = true;
                new_prev = at + static_cast<std::int64_t>(o.data.size());
                next_from[i] = at + 1;
            }
            break;
        }
        case op_kind::isdataat: {
            const std::int64_t need = var(o, op_flag::var_a, o.a);
            const bool data = o.relative() ? base + need <= len : need < len;
            ok = data != o.has(op_flag::negated);
            next_from[i] = len + 1;
            break;
        }
        case op_kind::byte_test: {
            std::uint64_t v = 0;
            const std::int64_t at = base + var(o, op_flag::var_b, o.b);
            next_from[i] = len + 1;
            if (detail::extract(buf, at, o, v)) {
                const auto x = static_cast<std::int64_t>(detail::apply_mask(v, static_cast<std::uint64_t>(o.e)));
                ok = detail::compare(static_cast<cmp>(o.d), x, var(o, op_flag::var_c, o.c), 0) != o.has(op_flag::negated);
            }
            break;
        }
        case op_kind::byte_jump:
        case op_kind::byte_extract: {
            std::uint64_t v = 0;
            const std::int64_t at = base + var(o, op_flag::var_b, o.b);
            if (next_from[i] >= 0 || !detail::extract(buf, at, o, v)) break;  // one position only: no retry
            next_from[i] = len + 1;
            if (o.kind == op_kind::byte_extract) {
                std::int64_t x = static_cast<std::int64_t>(v) * (o.d == 0 ? 1 : o.d);
                if (o.e > 1) x = (x + o.e - 1) / o.e * o.e;
                if (o.c >= 0 && o.c < static_cast<std::int64_t>(max_byte_vars)) vars[static_cast<std::size_t>(o.c)] = x;
                new_prev = at + o.a;
                ok = true;
            } else {
                std::int64_t x = static_cast<std::int64_t>(v) * (o.c == 0 ? 1 : o.c);
                if (o.has(op_flag::align)) x = (x + 3) / 4 * 4;
                const std::int64_t from = o.has(op_flag::from_beginning) ? 0 : o.has(op_flag::from_end) ? len : at + o.a;
                const std::int64_t to = from + x + o.d;
                ok = to >= 0 && to <= len;
                new_prev = to;
            }
            break;
        }
        case op_kind::pcre: {
            // Anchors refer to prev when relative, else to the buffer start (regex::search's
            // contract). A non-relative pcre is retried one byte after its last match start when
            // a later relative op fails, as Suricata retries it; a relative one (its anchor is
            // prev) is searched once per entry.
            if (next_from[i] > len) break;
            if (budget == 0) return false;
            --budget;
            const std::int64_t start = next_from[i] >= 0 ? next_from[i] : (o.relative() ? prev_in[i] : 0);
            const auto from = static_cast<std::size_t>(start < 0 ? 0 : start);
            const auto m = from <= buf.size() ? regex::search(o.program(), buf, from) : regex::match_result{};
            next_from[i] = (o.relative() || !m.matched || o.has(op_flag::negated)) ? len + 1 : static_cast<std::int64_t>(m.begin) + 1;
            if (o.has(op_flag::negated)) {
                ok = !m.matched;
            } else if (m.matched) {
                ok = true;
                new_prev = static_cast<std::int64_t>(m.end);
            }
            break;
        }
        default:
            // Packet-level ops never reach a buffer group; treat one as a failed op.
            return false;
        }
        if (ok) {
            prev = new_prev;
            ++i;
            if (i < n) entered[i] = false;
            continue;
        }
        // Backtrack: a failed relative op asks the op that set its prev for another position.
        std::size_t j = i;
        bool retry = false;
        while (true) {
            if (!op_at(j).relative()) break;  // its window does not depend on anything earlier
            // find the op before j that moved prev (its definer)
            std::size_t k = j;
            bool found = false;
            while (k > 0) {
                --k;
                if (op_at(k).moves_prev()) {
                    found = true;
                    break;
                }
            }
            if (!found) break;
            // k gets another chance if it is a content (or non-relative pcre) with positions left.
            const op ko = op_at(k);
            if (ko.kind == op_kind::content || (ko.kind == op_kind::pcre && !ko.relative())) {
                i = k;
                for (std::size_t z = k + 1; z < n; ++z) entered[z] = false;
                retry = true;
                break;
            }
            j = k;  // byte_jump/extract cannot move: its own anchor may
        }
        if (!retry) return false;
        prev = prev_in[i];
    }
}

}  // namespace secengine::rules
