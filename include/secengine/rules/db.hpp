#pragma once
/// \file A read-only view of a compiled rule database, validated once, then read in place.
///
/// `db_view::open` checks the header (magic, version, length, checksum) and then every offset
/// and count the evaluator will follow: rule records, op records and their pool data, range
/// lists, and the prefilter automata (state links must point to a smaller state number, the
/// breadth-first order the compiler emits, so no walk can loop). An image that passes can be
/// evaluated without further checks; the readers still clamp (a reader out of range returns 0)
/// so that a bug here cannot turn into a wild read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include <secengine/regex/program.hpp>
#include <secengine/rules/error.hpp>
#include <secengine/rules/format.hpp>
#include <secengine/rules/literal_prefilter.hpp>

namespace secengine::rules {

/// Validated, read-in-place view of a rule database image (the bytes stay where they are).
class db_view {
public:
    constexpr db_view() noexcept = default;

    /// Validates `image`; on success `out` views it. On failure `out` is left empty.
    [[nodiscard]] static constexpr db_error open(std::span<const std::byte> image, db_view& out) noexcept {
        out = db_view{};
        db_view v;
        if (const db_error e = v.check_header(image); e != db_error::ok) return e;
        if (image_checksum(image.data(), v.img_.size()) != v.u32(hdr::checksum)) return db_error::bad_checksum;
        if (v.u32(hdr::buffer_count) != http::buffer_count) return db_error::bad_buffer_count;
        if (const db_error e = v.check_sections(); e != db_error::ok) return e;
        out = v;
        return db_error::ok;
    }

    /// Opens an image that was fully checked when the program was built - only the built-in
    /// set (rules/builtin_check.hpp: `check_full` under a static_assert in the kernel and the
    /// flash tests), which lives in the same read-only flash as the code that reads it. Checks
    /// what is O(1): size, alignment, magic, version, length and buffer count, so a wrong image
    /// passed here by mistake is still refused, but not the CRC-32 or the tables (~13 RV64
    /// instructions a byte: 900,000 for the 68 KB built-in image, docs/performance/flash.md).
    /// Never for bytes that come from outside (uploads, database slots): `open` is for those.
    [[nodiscard]] static db_error open_trusted(std::span<const std::byte> image, db_view& out) noexcept {
        out = db_view{};
        db_view v;
        if (const db_error e = v.check_header(image); e != db_error::ok) return e;
        if (v.u32(hdr::buffer_count) != http::buffer_count) return db_error::bad_buffer_count;
        out = v;
        return db_error::ok;
    }

    [[nodiscard]] constexpr bool empty() const noexcept { return img_.empty(); }
    [[nodiscard]] constexpr std::span<const std::byte> bytes() const noexcept { return img_; }
    [[nodiscard]] constexpr std::uint32_t rule_count() const noexcept { return u32(hdr::rule_count); }
    [[nodiscard]] constexpr std::uint32_t flowbit_count() const noexcept { return u32(hdr::flowbit_count); }
    [[nodiscard]] constexpr std::uint32_t threshold_count() const noexcept { return u32(hdr::threshold_count); }
    [[nodiscard]] constexpr std::uint32_t always_count() const noexcept { return u32(hdr::always_count); }
    [[nodiscard]] constexpr std::uint32_t always(std::uint32_t i) const noexcept { return u32(u32(hdr::always) + 4u * i); }

    /// Little-endian word at byte offset `off`; 0 when outside the image.
    [[nodiscard]] constexpr std::uint32_t u32(std::size_t off) const noexcept {
        if (off > img_.size() || img_.size() - off < 4) return 0;
        return static_cast<std::uint32_t>(img_[off]) | static_cast<std::uint32_t>(img_[off + 1]) << 8 |
               static_cast<std::uint32_t>(img_[off + 2]) << 16 | static_cast<std::uint32_t>(img_[off + 3]) << 24;
    }
    [[nodiscard]] constexpr std::span<const std::byte> slice(std::size_t off, std::size_t n) const noexcept {
        if (off > img_.size() || img_.size() - off < n) return {};
        return img_.subspan(off, n);
    }
    /// A view of pool text (not constexpr: it reinterprets the image bytes as chars).
    [[nodiscard]] std::string_view text(std::size_t off, std::size_t n) const noexcept {
        const auto s = slice(off, n);
        return s.empty() ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
    }

    /// Byte offset of rule `i`'s record / word `w` of it.
    [[nodiscard]] constexpr std::size_t rule_at(std::uint32_t i) const noexcept { return u32(hdr::rules) + std::size_t{i} * rule_bytes; }
    [[nodiscard]] constexpr std::uint32_t rule_word(std::uint32_t i, std::size_t w) const noexcept { return u32(rule_at(i) + 4 * w); }
    [[nodiscard]] constexpr std::size_t op_at(std::uint32_t i) const noexcept { return u32(hdr::ops) + std::size_t{i} * op_bytes; }
    [[nodiscard]] constexpr std::uint32_t op_word(std::uint32_t i, std::size_t w) const noexcept { return u32(op_at(i) + 4 * w); }
    /// Offset of buffer b's prefilter automaton, none32 if that buffer has none.
    [[nodiscard]] constexpr std::uint32_t automaton(http::buffer b) const noexcept {
        return u32(u32(hdr::prefilter) + 4 * static_cast<std::size_t>(b));
    }
    /// Offset of buffer b's literal table (literal_prefilter.hpp), none32 if it has none (and
    /// always in a version 3 image, whose header word there was reserved).
    [[nodiscard]] constexpr std::uint32_t literal_table(http::buffer b) const noexcept {
        if (u32(hdr::version) < 4) return none32;
        return u32(u32(hdr::literals) + 4 * static_cast<std::size_t>(b));
    }
    /// The rule's message and classtype name, views into the image.
    [[nodiscard]] std::string_view msg(std::uint32_t i) const noexcept { return text(rule_word(i, rw::msg), rule_word(i, rw::msg_len)); }
    [[nodiscard]] std::string_view classtype(std::uint32_t i) const noexcept {
        return text(rule_word(i, rw::class_name), rule_word(i, rw::class_len));
    }

private:
    [[nodiscard]] constexpr bool in(std::size_t off, std::size_t n) const noexcept {
        return off <= img_.size() && img_.size() - off >= n;
    }
    [[nodiscard]] constexpr bool list_ok(std::uint32_t off, std::size_t item) const noexcept {
        if (off == none32) return true;
        if (!in(off, 4)) return false;
        const std::uint64_t n = u32(off);
        return n <= img_.size() / item && in(off + 4, static_cast<std::size_t>(n) * item);
    }

    [[nodiscard]] constexpr db_error check_sections() const noexcept {
        const std::uint64_t nrules = u32(hdr::rule_count), nops = u32(hdr::op_count);
        if (nrules > img_.size() / rule_bytes || !in(u32(hdr::rules), static_cast<std::size_t>(nrules) * rule_bytes))
            return db_error::bad_section;
        if (nops > img_.size() / op_bytes || !in(u32(hdr::ops), static_cast<std::size_t>(nops) * op_bytes))
            return db_error::bad_section;
        if (!in(u32(hdr::pool), u32(hdr::pool_len))) return db_error::bad_section;
        const std::uint64_t nalways = u32(hdr::always_count);
        if (nalways > img_.size() / 4 || !in(u32(hdr::always), static_cast<std::size_t>(nalways) * 4))
            return db_error::bad_section;
        for (std::uint32_t i = 0; i < nalways; ++i)
            if (always(i) >= nrules) return db_error::bad_section;
        if (!in(u32(hdr::prefilter), 4 * http::buffer_count)) return db_error::bad_section;

        for (std::uint32_t r = 0; r < nrules; ++r) {
            const std::uint32_t meta = rule_word(r, rw::meta);
            if ((meta & 0xFF) >= static_cast<std::uint32_t>(action::count_)) return db_error::bad_rule;
            if (((meta >> 8) & 0xFF) >= static_cast<std::uint32_t>(protocol::count_)) return db_error::bad_rule;
            if (!in(rule_word(r, rw::msg), rule_word(r, rw::msg_len)) || !in(rule_word(r, rw::class_name), rule_word(r, rw::class_len)))
                return db_error::bad_rule;
            if (!list_ok(rule_word(r, rw::src), address_item_bytes) || !list_ok(rule_word(r, rw::dst), address_item_bytes) ||
                !list_ok(rule_word(r, rw::sport), 4) || !list_ok(rule_word(r, rw::dport), 4))
                return db_error::bad_rule;
            const std::uint64_t first = rule_word(r, rw::ops_first), n = rule_word(r, rw::ops_count);
            if (first + n > nops) return db_error::bad_rule;
            const std::uint32_t thr = rule_word(r, rw::thr_meta);
            if ((thr & 0xFF) >= static_cast<std::uint32_t>(threshold_type::count_) ||
                ((thr >> 8) & 0xFF) >= static_cast<std::uint32_t>(track::count_))
                return db_error::bad_rule;
            if ((thr & 0xFF) != 0 && rule_word(r, rw::thr_slot) >= u32(hdr::threshold_count)) return db_error::bad_rule;
        }
        for (std::uint32_t o = 0; o < nops; ++o) {
            const std::uint32_t head = op_word(o, ow::head);
            if ((head & 0xFF) >= static_cast<std::uint32_t>(op_kind::count_)) return db_error::bad_op;
            if (((head >> 8) & 0xFF) >= http::buffer_count) return db_error::bad_op;
            if (!in(op_word(o, ow::data), op_word(o, ow::data_len))) return db_error::bad_op;
            const auto k = static_cast<op_kind>(head & 0xFF);
            if ((k == op_kind::flowbit_check || k == op_kind::flowbit_set) && op_word(o, ow::b) >= u32(hdr::flowbit_count))
                return db_error::bad_op;
            // A pcre program is read in place as u32 words: aligned, whole words, a valid program.
            if (k == op_kind::pcre) {
                const std::uint32_t at = op_word(o, ow::data), len = op_word(o, ow::data_len);
                if (at % 4 != 0 || len % 4 != 0 || len == 0) return db_error::bad_op;
                if (!std::is_constant_evaluated() &&
                    regex::verify(std::span(reinterpret_cast<const std::uint32_t*>(img_.data() + at), len / 4)) != regex::error::ok)
                    return db_error::bad_op;
            }
        }
        for (std::size_t b = 0; b < http::buffer_count; ++b) {
            const std::uint32_t a = automaton(static_cast<http::buffer>(b));
            if (a != none32 && !automaton_ok(a, nrules)) return db_error::bad_prefilter;
        }
        if (u32(hdr::version) >= 4) {
            if (!in(u32(hdr::literals), 4 * http::buffer_count)) return db_error::bad_section;
            for (std::size_t b = 0; b < http::buffer_count; ++b) {
                const std::uint32_t t = literal_table(static_cast<http::buffer>(b));
                if (t != none32 && !literal_table_ok(img_, t, nrules)) return db_error::bad_prefilter;
            }
        }
        return db_error::ok;
    }

    /// The O(1) header checks both opens share (size, alignment, magic, version, length); on
    /// success the view covers the header's stated length.
    [[nodiscard]] constexpr db_error check_header(std::span<const std::byte> image) noexcept {
        img_ = image;
        if (image.size() < hdr::size) return db_error::truncated;
        if (!std::is_constant_evaluated() && reinterpret_cast<std::uintptr_t>(image.data()) % 4 != 0) return db_error::misaligned;
        for (std::size_t i = 0; i < 8; ++i)
            if (image[i] != std::byte{db_magic[i]}) return db_error::bad_magic;
        if (u32(hdr::version) < db_version_min || u32(hdr::version) > db_version) return db_error::bad_version;
        const std::uint32_t len = u32(hdr::length);
        if (len < hdr::size || len > image.size() || len % 4 != 0) return db_error::truncated;
        img_ = image.first(len);
        return db_error::ok;
    }

    [[nodiscard]] constexpr bool automaton_ok(std::uint32_t a, std::uint64_t nrules) const noexcept {
        if (!in(a, aw::words * 4)) return false;
        const std::uint64_t ns = u32(a + 4 * aw::state_count), ne = u32(a + 4 * aw::edge_count), no = u32(a + 4 * aw::out_count);
        const std::uint32_t so = u32(a + 4 * aw::states), eo = u32(a + 4 * aw::edges), oo = u32(a + 4 * aw::outs);
        const std::uint64_t dense = u32(a + 4 * aw::dense);
        if (ns == 0 || ns > img_.size() || ne > img_.size() || no > img_.size()) return false;
        if (dense == 0 || dense > ns || !in(a + aw::words * 4, static_cast<std::size_t>(dense) * 256 * 4)) return false;
        if (const std::uint32_t st = u32(a + 4 * aw::start); st != none32 && !in(st, aw::start_table_bytes)) return false;
        // A skip table needs the start table (the walk uses it on x = 0) and a window the walk's
        // reads stay inside of: m >= 3 keeps d[i + m - 2] at or after d[i].
        if (const std::uint32_t sk = u32(a + 4 * aw::skip); sk != none32) {
            const std::uint32_t m = u32(a + 4 * aw::skip_len);
            if (u32(a + 4 * aw::start) == none32 || !in(sk, aw::skip_table_bytes) || m < aw::skip_min_len || m > aw::skip_max_len)
                return false;
            for (std::size_t k = 0; k < aw::skip_table_bytes; ++k)
                if (static_cast<std::uint32_t>(img_[sk + k]) > m - 1) return false;
        }
        if (!in(so, static_cast<std::size_t>(ns) * aw::s_words * 4) || !in(eo, static_cast<std::size_t>(ne) * aw::e_words * 4) ||
            !in(oo, static_cast<std::size_t>(no) * 4))
            return false;
        // Targets carry aw::out_bit; it must say the truth (the walk skips outputs without it).
        auto target_ok = [&](std::uint32_t t) {
            const std::uint32_t s = t & ~aw::out_bit;
            if (s >= ns) return false;
            const std::size_t at = so + std::size_t{s} * aw::s_words * 4;
            const bool outs = u32(at + 4 * aw::s_nout) != 0 || u32(at + 4 * aw::s_link) != none32;
            return ((t & aw::out_bit) != 0) == outs;
        };
        for (std::size_t c = 0; c < dense * 256; ++c)
            if (!target_ok(u32(a + 4 * (aw::words + c)))) return false;
        for (std::uint64_t s = 0; s < ns; ++s) {
            const std::size_t at = so + static_cast<std::size_t>(s) * aw::s_words * 4;
            const std::uint32_t fail = u32(at + 4 * aw::s_fail), link = u32(at + 4 * aw::s_link);
            if (s > 0 && fail >= s) return false;  // breadth-first: the failure state is shallower
            if (link != none32 && link >= s) return false;
            const std::uint64_t e0 = u32(at + 4 * aw::s_edge), en = u32(at + 4 * aw::s_nedge);
            const std::uint64_t o0 = u32(at + 4 * aw::s_out), on = u32(at + 4 * aw::s_nout);
            if (e0 + en > ne || o0 + on > no) return false;
            std::uint32_t prev = 0;
            for (std::uint64_t e = e0; e < e0 + en; ++e) {
                const std::size_t ea = eo + static_cast<std::size_t>(e) * aw::e_words * 4;
                const std::uint32_t label = u32(ea + 4 * aw::e_label), target = u32(ea + 4 * aw::e_target);
                if (label > 255 || (e > e0 && label <= prev) || (target & ~aw::out_bit) <= s || !target_ok(target)) return false;
                prev = label;
            }
        }
        for (std::uint64_t o = 0; o < no; ++o)
            if (u32(oo + 4 * static_cast<std::size_t>(o)) >= nrules) return false;
        return true;
    }

    std::span<const std::byte> img_{};
};

}  // namespace secengine::rules
