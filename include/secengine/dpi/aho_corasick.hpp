#pragma once
/// \file Compact Aho-Corasick automaton with two lanes, fixed capacity, no heap.
///
/// Aho & Corasick, "Efficient string matching", CACM 18(6), 1975. Layout (docs/dpi.md):
///  - alphabet reduction: a 256-entry class map per lane; bytes that occur in no pattern share
///    class 0, which always leads back to the root;
///  - states numbered breadth-first so the children of a state are consecutive: a state stores
///    its first child (u16) and child count (u8); each state stores the class label of its own
///    incoming edge (u8), so a state's children's labels form one sorted, contiguous byte run;
///  - failure link (u16), own pattern (u16) and "match link" (u16: first state on the failure
///    chain, itself included, that ends a pattern) - 10 bytes per state in total;
///  - dense rows (one u16 per class) in a table of DenseCells cells: the raw lane's root row,
///    then the text lane's root row and, as far as the table reaches, rows for its shallowest
///    states - the most frequent states cost one load. The kernel keeps the roots only.
/// Two lanes share the state pool: the *text* lane holds case-insensitive patterns and reads
/// case-folded input (in HTTP flows: the normaliser's output), the *raw* lane holds exact
/// byte patterns and reads raw bytes. Separate lanes keep each a plain AC automaton (mixing
/// nocase and exact patterns in one trie needs a subset construction) at the price of two
/// transitions per byte when both lanes are in use.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/dpi/error.hpp>

namespace secengine::dpi {

inline constexpr std::size_t max_pattern_length = 255;
/// Bytes per automaton state: first_child 2 + fail 2 + out 2 + match link 2 + child count 1 + label 1.
inline constexpr std::size_t bytes_per_state = 10;

enum class lane : std::uint8_t { text = 0, raw = 1 };

/// A reported match: signature id, pattern slot index, lane, and the offset just past its last
/// byte in the scanned chunk (in the lane's input: normalised bytes for the text lane in HTTP).
struct match {
    std::uint32_t id;
    std::uint16_t pattern;
    lane which;
    std::uint32_t end;
};

/// Resumable scan position: one state per lane, relative to the lane's root.
/// One signature for `add_batch` (text bytes; escapes like "\x90" give binary patterns).
struct pattern_spec {
    std::string_view bytes;
    std::uint32_t id;
    bool nocase;  ///< true: text lane (case-insensitive, normalised in HTTP); false: raw lane, exact
};

struct scan_state {
    std::uint16_t text = 0;
    std::uint16_t raw = 0;
    friend constexpr bool operator==(const scan_state&, const scan_state&) = default;
};

namespace detail {
inline constexpr std::uint16_t none16 = 0xFFFF;
[[nodiscard]] constexpr std::uint8_t fold(std::uint8_t b) noexcept {
    return (b >= 'A' && b <= 'Z') ? static_cast<std::uint8_t>(b + 32) : b;
}
}  // namespace detail

/// Multi-pattern matcher with at most MaxStates states (both lanes), MaxPatterns signatures
/// and PoolBytes bytes of pattern text. Built at compile time (constexpr) or at run time;
/// `add`/`remove` rebuild in place and on failure restore the previous automaton.
template <std::size_t MaxStates, std::size_t MaxPatterns, std::size_t PoolBytes = MaxStates, std::size_t DenseCells = 256>
class aho_corasick {
    static_assert(MaxStates >= 2 && MaxStates < 0xFFFF, "state ids are u16; 0xFFFF means none");
    static_assert(MaxPatterns >= 1 && MaxPatterns < 0xFFFF, "pattern ids are u16");
    static_assert(PoolBytes >= 1 && PoolBytes <= 0xFFFF, "pool offsets are u16");
    static_assert(DenseCells >= 4 && DenseCells <= 0xFFFFFF, "room for both lanes' root rows");

public:
    static constexpr std::size_t max_states = MaxStates;
    static constexpr std::size_t max_patterns = MaxPatterns;
    static constexpr std::size_t pool_bytes = PoolBytes;
    static constexpr std::size_t dense_cells = DenseCells;

    constexpr aho_corasick() noexcept { (void)rebuild(); }

    // ---- signature set -------------------------------------------------------------------

    /// Adds a pattern (nocase: text lane, matched case-insensitively; else raw lane, exact).
    constexpr dpi_error add(std::span<const std::byte> bytes, std::uint32_t id, bool nocase) noexcept {
        return add_impl(bytes.data(), bytes.size(), id, nocase);
    }
    constexpr dpi_error add(std::string_view text, std::uint32_t id, bool nocase) noexcept {
        return add_impl(text.data(), text.size(), id, nocase);
    }
    /// Adds many signatures with one rebuild; on any error none of them is added. Returns the
    /// error and, in `failed`, the index of the offending spec (the batch size for build errors).
    constexpr dpi_error add_batch(std::span<const pattern_spec> specs, std::size_t* failed = nullptr) noexcept {
        const std::size_t npat0 = npat_, pool0 = pool_used_;
        for (std::size_t i = 0; i < specs.size(); ++i)
            if (const dpi_error e = append(specs[i].bytes.data(), specs[i].bytes.size(), specs[i].id, specs[i].nocase);
                e != dpi_error::ok) {
                npat_ = npat0;
                pool_used_ = pool0;
                if (failed != nullptr) *failed = i;
                return e;
            }
        if (const dpi_error e = rebuild(); e != dpi_error::ok) {
            npat_ = npat0;
            pool_used_ = pool0;
            (void)rebuild();
            if (failed != nullptr) *failed = specs.size();
            return e;
        }
        return dpi_error::ok;
    }
    /// Removes the signature with `id` and rebuilds.
    constexpr dpi_error remove(std::uint32_t id) noexcept {
        for (std::size_t i = 0; i < npat_; ++i)
            if (pat_[i].id == id) {
                erase_slot(i);
                return rebuild();  // a smaller set always fits where the larger one did
            }
        return dpi_error::not_found;
    }
    constexpr void clear() noexcept {
        npat_ = 0;
        pool_used_ = 0;
        (void)rebuild();
    }

    // ---- scanning ------------------------------------------------------------------------

    /// One transition of `l` from lane-relative state `s` on input byte `b`.
    [[nodiscard]] constexpr std::uint16_t step(lane l, std::uint16_t s, std::uint8_t b) const noexcept {
        const auto li = static_cast<std::size_t>(l);
        return static_cast<std::uint16_t>(go(li, static_cast<std::uint16_t>(root_[li] + s), cmap_[li][b]) - root_[li]);
    }
    /// True when lane-relative state `s` ends at least one pattern.
    [[nodiscard]] constexpr bool accepting(lane l, std::uint16_t s) const noexcept {
        return mlink_[root_[static_cast<std::size_t>(l)] + s] != detail::none16;
    }
    /// Calls f(match) for every pattern ending in state `s` (longest first); f returns false to stop.
    template <class F>
    constexpr bool for_each_output(lane l, std::uint16_t s, std::uint32_t end, F&& f) const {
        const auto li = static_cast<std::size_t>(l);
        for (std::uint16_t t = mlink_[root_[li] + s]; t != detail::none16; t = mlink_[fail_[t]]) {
            if (!f(match{pat_[out_[t]].id, out_[t], l, end})) return false;
        }
        return true;
    }
    /// Scans `data` from `st` through both lanes (the text lane folds case), updating `st`.
    /// Matches are reported by end offset, text lane before raw lane, longest first; f returns
    /// false to stop (first-match mode). Returns false when stopped.
    template <class F>
    constexpr bool scan(scan_state& st, std::span<const std::byte> data, F&& f) const {
        std::uint16_t t = static_cast<std::uint16_t>(st.text < count_[0] ? st.text : 0);
        std::uint16_t r = static_cast<std::uint16_t>(root_[1] + (st.raw < count_[1] ? st.raw : 0));
        const bool use_text = count_[0] > 1, use_raw = count_[1] > 1;
        bool go_on = true;
        if (use_text && !use_raw) {
            // Text lane only (the common host case): table bases in locals, dense states inline.
            const std::uint16_t dend = dense_end_[0];  // lane 0's root is state 0
            const std::size_t ncls = nclass_[0];
            const std::uint16_t* dense = dense_.data() + rowbase_[0];
            const std::uint8_t* cm = cmap_[0].data();
            const std::uint16_t* ml = mlink_.data();
            for (std::size_t i = 0; i < data.size() && go_on; ++i) {
                const std::uint8_t c = cm[static_cast<std::uint8_t>(data[i])];
                t = t < dend ? dense[std::size_t{t} * ncls + c] : go(0, t, c);
                if (ml[t] != detail::none16) go_on = for_each_output(lane::text, t, static_cast<std::uint32_t>(i + 1), f);
            }
            st.text = t;
            return go_on;
        }
        for (std::size_t i = 0; i < data.size() && go_on; ++i) {
            const auto b = static_cast<std::uint8_t>(data[i]);
            const auto end = static_cast<std::uint32_t>(i + 1);
            if (use_text) {
                t = go(0, t, cmap_[0][b]);
                if (mlink_[t] != detail::none16) go_on = for_each_output(lane::text, t, end, f);
            }
            if (use_raw && go_on) {
                r = go(1, r, cmap_[1][b]);
                if (mlink_[r] != detail::none16)
                    go_on = for_each_output(lane::raw, static_cast<std::uint16_t>(r - root_[1]), end, f);
            }
        }
        st.text = t;
        st.raw = static_cast<std::uint16_t>(r - root_[1]);
        return go_on;
    }
    /// Convenience: number of matches in `data` scanned alone (all-matches mode).
    [[nodiscard]] constexpr std::size_t count_matches(std::span<const std::byte> data) const {
        scan_state st{};
        std::size_t n = 0;
        (void)scan(st, data, [&](const match&) { ++n; return true; });
        return n;
    }

    // ---- introspection and counters ------------------------------------------------------

    [[nodiscard]] constexpr std::size_t state_count() const noexcept { return count_[0] + count_[1]; }
    [[nodiscard]] constexpr std::uint16_t lane_states(lane l) const noexcept { return count_[static_cast<std::size_t>(l)]; }
    [[nodiscard]] constexpr std::size_t pattern_count() const noexcept { return npat_; }
    [[nodiscard]] constexpr std::size_t class_count(lane l) const noexcept { return nclass_[static_cast<std::size_t>(l)]; }
    [[nodiscard]] constexpr std::uint32_t id(std::size_t pattern) const noexcept { return pat_[pattern].id; }
    [[nodiscard]] constexpr bool nocase(std::size_t pattern) const noexcept { return pat_[pattern].nocase; }
    [[nodiscard]] constexpr std::span<const std::byte> bytes(std::size_t pattern) const noexcept {
        return std::span<const std::byte>(pool_).subspan(pat_[pattern].offset, pat_[pattern].len);
    }
    [[nodiscard]] constexpr std::uint32_t hits(std::size_t pattern) const noexcept { return pat_[pattern].hits; }
    constexpr void record_hit(std::size_t pattern) noexcept {
        if (pattern < npat_ && pat_[pattern].hits != 0xFFFFFFFFu) ++pat_[pattern].hits;
    }
    /// Slot index of signature `id`, or none16.
    [[nodiscard]] constexpr std::uint16_t find(std::uint32_t sig_id) const noexcept {
        for (std::size_t i = 0; i < npat_; ++i)
            if (pat_[i].id == sig_id) return static_cast<std::uint16_t>(i);
        return detail::none16;
    }
    /// Bytes of automaton proper in use: states * bytes_per_state + class maps + root rows.
    [[nodiscard]] constexpr std::size_t automaton_bytes() const noexcept {
        return state_count() * bytes_per_state + 2 * 256 + 2 * dense_used_;
    }
    /// States of lane `l` with a dense row (the shallowest ones, root included).
    [[nodiscard]] constexpr std::size_t dense_states(lane l) const noexcept {
        const auto li = static_cast<std::size_t>(l);
        return static_cast<std::size_t>(dense_end_[li] - root_[li]);
    }
    /// Bytes of the whole object (automaton at capacity + signature table + pattern pool).
    [[nodiscard]] static constexpr std::size_t storage_bytes() noexcept { return sizeof(aho_corasick);
    }

private:
    struct slot {
        std::uint16_t offset = 0;
        std::uint8_t len = 0;
        bool nocase = false;
        std::uint32_t id = 0;
        std::uint32_t hits = 0;
    };

    // Transition of the lane li from absolute state s on class c. Walks failure links until a
    // state has a child labelled c; the root's dense row ends the walk.
    [[nodiscard]] constexpr std::uint16_t go(std::size_t li, std::uint16_t s, std::uint8_t c) const noexcept {
        if (c == 0) return root_[li];
        for (;;) {
            if (s < dense_end_[li])
                return dense_[rowbase_[li] + std::size_t{static_cast<std::uint16_t>(s - root_[li])} * nclass_[li] + c];
            const std::uint16_t fc = first_child_[s];
            const std::uint8_t* lab = label_.data() + fc;
            for (std::uint8_t k = 0, n = nchild_[s]; k < n; ++k) {
                if (lab[k] == c) return static_cast<std::uint16_t>(fc + k);
                if (lab[k] > c) break;  // labels of siblings are sorted
            }
            s = fail_[s];
        }
    }

    template <class T>
    [[nodiscard]] static constexpr std::uint8_t u8(T v) noexcept { return static_cast<std::uint8_t>(v); }

    template <class T>
    constexpr dpi_error add_impl(const T* p, std::size_t n, std::uint32_t sig_id, bool nc) noexcept {
        if (const dpi_error e = append(p, n, sig_id, nc); e != dpi_error::ok) return e;
        if (const dpi_error e = rebuild(); e != dpi_error::ok) {
            erase_slot(npat_ - 1);
            (void)rebuild();  // the previous set was built before: it fits again
            return e;
        }
        return dpi_error::ok;
    }

    // Validates and stores a pattern without rebuilding.
    template <class T>
    constexpr dpi_error append(const T* p, std::size_t n, std::uint32_t sig_id, bool nc) noexcept {
        if (n == 0) return dpi_error::empty_pattern;
        if (n > max_pattern_length) return dpi_error::pattern_too_long;
        if (npat_ >= MaxPatterns) return dpi_error::patterns_full;
        if (pool_used_ + n > PoolBytes) return dpi_error::pool_full;
        for (std::size_t i = 0; i < npat_; ++i) {
            if (pat_[i].id == sig_id) return dpi_error::duplicate;
            if (pat_[i].nocase != nc || pat_[i].len != n) continue;
            bool same = true;
            for (std::size_t k = 0; k < n && same; ++k) {
                const std::uint8_t a = u8(pool_[pat_[i].offset + k]), b = u8(p[k]);
                same = nc ? detail::fold(a) == detail::fold(b) : a == b;
            }
            if (same) return dpi_error::duplicate;
        }
        slot s{static_cast<std::uint16_t>(pool_used_), static_cast<std::uint8_t>(n), nc, sig_id, 0};
        for (std::size_t k = 0; k < n; ++k) pool_[pool_used_ + k] = static_cast<std::byte>(u8(p[k]));
        pool_used_ += n;
        pat_[npat_++] = s;
        return dpi_error::ok;
    }

    constexpr void erase_slot(std::size_t i) noexcept {
        const std::size_t off = pat_[i].offset, len = pat_[i].len;
        for (std::size_t k = off; k + len < pool_used_; ++k) pool_[k] = pool_[k + len];
        pool_used_ -= len;
        for (std::size_t k = i; k + 1 < npat_; ++k) pat_[k] = pat_[k + 1];
        --npat_;
        for (std::size_t k = 0; k < npat_; ++k)
            if (pat_[k].offset > off) pat_[k].offset = static_cast<std::uint16_t>(pat_[k].offset - len);
    }

    // ---- construction --------------------------------------------------------------------

    [[nodiscard]] constexpr std::uint8_t byte_of(std::size_t pi, std::size_t k) const noexcept {
        const std::uint8_t b = u8(pool_[pat_[pi].offset + k]);
        return pat_[pi].nocase ? detail::fold(b) : b;
    }

    // Alphabet reduction: classes 1..C in byte order for the bytes of the lane's patterns
    // (folded in the text lane, where 'A'..'Z' then share their lower-case class).
    constexpr std::size_t make_classes(std::size_t li) noexcept {
        auto& cm = cmap_[li];
        std::array<bool, 256> used{};
        for (std::size_t i = 0; i < npat_; ++i)
            if (pat_[i].nocase == (li == 0))
                for (std::size_t k = 0; k < pat_[i].len; ++k) used[byte_of(i, k)] = true;
        std::size_t ncls = 1;
        for (std::size_t b = 0; b < 256; ++b) cm[b] = used[b] ? static_cast<std::uint8_t>(ncls++ & 0xFF) : 0;
        if (li == 0)
            for (std::size_t b = 'A'; b <= 'Z'; ++b) cm[b] = cm[b + 32];
        return ncls;
    }

    constexpr dpi_error rebuild() noexcept {
        // Dense table layout: the raw lane's root row first, then the text lane's rows (its
        // root and as many of its shallowest states as fit).
        const std::size_t n0 = make_classes(0), n1 = make_classes(1);
        if (n0 > 256 || n1 > 256 || n0 + n1 > DenseCells) return dpi_error::too_many_classes;
        nclass_ = {static_cast<std::uint16_t>(n0), static_cast<std::uint16_t>(n1)};
        rowbase_ = {static_cast<std::uint32_t>(n1), 0};
        std::uint16_t next = 0;
        for (std::size_t li = 0; li < 2; ++li)
            if (const dpi_error e = build_lane(li, next); e != dpi_error::ok) return e;
            else next = static_cast<std::uint16_t>(next + count_[li]);
        return dpi_error::ok;
    }

    // Builds one lane at state ids [base, base + count). Breadth-first, level by level, over
    // the lane's patterns sorted by class string: patterns sharing a prefix are adjacent, so
    // each level's new states appear in (parent, label) order - children are consecutive.
    constexpr dpi_error build_lane(std::size_t li, std::uint16_t base) noexcept {
        const bool nc = li == 0;
        std::array<std::uint16_t, MaxPatterns> idx{};
        std::array<std::uint16_t, MaxPatterns> cur{};
        std::size_t m = 0, maxlen = 0;
        for (std::size_t i = 0; i < npat_; ++i)
            if (pat_[i].nocase == nc) {
                idx[m++] = static_cast<std::uint16_t>(i);
                maxlen = std::max<std::size_t>(maxlen, pat_[i].len);
            }
        const auto& cm = cmap_[li];
        const std::size_t ncls = nclass_[li], row = rowbase_[li];
        for (std::size_t c = 0; c < ncls; ++c) dense_[row + c] = base;
        if (static_cast<std::size_t>(base) + 1 > MaxStates) return dpi_error::states_full;

        auto cls = [&](std::size_t pi, std::size_t k) { return cm[byte_of(pi, k)]; };
        auto less = [&](std::uint16_t a, std::uint16_t b) {
            const std::size_t la = pat_[a].len, lb = pat_[b].len;
            for (std::size_t k = 0; k < la && k < lb; ++k)
                if (cls(a, k) != cls(b, k)) return cls(a, k) < cls(b, k);
            return la < lb;
        };
        // Shell sort (Ciura's gaps, then x2.25): in place, constexpr, no std::sort (whose
        // unrolled insertion step trips g++ 12's -Warray-bounds on tiny capacities).
        constexpr std::size_t gaps[] = {8929, 3968, 1750, 701, 301, 132, 57, 23, 10, 4, 1};
        for (std::size_t gap : gaps)
            for (std::size_t i = gap; i < m; ++i) {
                const std::uint16_t v = idx[i];
                std::size_t j = i;
                for (; j >= gap && less(v, idx[j - gap]); j -= gap) idx[j] = idx[j - gap];
                idx[j] = v;
            }

        const std::uint16_t root = base;
        std::size_t n = static_cast<std::size_t>(base) + 1;
        auto init = [&](std::size_t s, std::uint8_t lab) {
            first_child_[s] = 0;
            nchild_[s] = 0;
            label_[s] = lab;
            fail_[s] = root;
            out_[s] = detail::none16;
            mlink_[s] = detail::none16;
        };
        init(root, 0);
        root_[li] = root;
        count_[li] = 1;
        dense_end_[li] = static_cast<std::uint16_t>(root + 1);
        for (std::size_t j = 0; j < m; ++j) cur[j] = root;

        for (std::size_t d = 0; d < maxlen; ++d) {
            std::uint16_t last_parent = detail::none16, last_node = detail::none16;
            std::uint8_t last_label = 0;
            for (std::size_t j = 0; j < m; ++j) {
                const std::size_t pi = idx[j];
                if (pat_[pi].len <= d) continue;
                const std::uint16_t parent = cur[j];
                const std::uint8_t c = cls(pi, d);
                if (parent != last_parent || c != last_label) {
                    if (n >= MaxStates) return dpi_error::states_full;
                    const auto s = static_cast<std::uint16_t>(n++);
                    init(s, c);
                    if (nchild_[parent] == 0) first_child_[parent] = s;
                    ++nchild_[parent];
                    // Failure link: parent's failure target's transition on c. All states of
                    // smaller depth exist, so go() only reads finished states.
                    if (parent != root) fail_[s] = go(li, fail_[parent], c);
                    last_parent = parent;
                    last_label = c;
                    last_node = s;
                }
                cur[j] = last_node;
                if (pat_[pi].len == d + 1) out_[last_node] = static_cast<std::uint16_t>(pi);
            }
            if (d == 0)  // the dense root row, needed by go() from level 2 on
                for (std::uint16_t k = 0; k < nchild_[root]; ++k)
                    dense_[row + label_[first_child_[root] + k]] = static_cast<std::uint16_t>(first_child_[root] + k);
        }
        // Match links in breadth-first order (a failure target is always shallower, so done).
        for (std::size_t s = root; s < n; ++s)
            mlink_[s] = out_[s] != detail::none16 ? static_cast<std::uint16_t>(s)
                        : s == root                ? detail::none16
                                                   : mlink_[fail_[s]];
        count_[li] = static_cast<std::uint16_t>(n - base);
        // Dense rows for the shallowest states of the text lane (breadth-first ids: shallowest
        // first), computed through the sparse layout; a failure target is shallower, so its
        // row already exists. The raw lane keeps its root row only.
        std::size_t dense = 1;
        if (li == 0) {
            const std::size_t fit = (DenseCells - nclass_[1]) / ncls;
            dense = std::min(fit, n - base);
            for (std::size_t s = base + 1; s < base + dense; ++s) {
                for (std::size_t c = 0; c < ncls; ++c)
                    dense_[row + (s - base) * ncls + c] = go(li, static_cast<std::uint16_t>(s), static_cast<std::uint8_t>(c));
                dense_end_[li] = static_cast<std::uint16_t>(s + 1);
            }
            dense_used_ = static_cast<std::uint32_t>(dense * ncls + nclass_[1]);
        }
        return dpi_error::ok;
    }

    // State arrays (structure of arrays: a state's children's labels are one contiguous run).
    std::array<std::uint16_t, MaxStates> first_child_{};
    std::array<std::uint16_t, MaxStates> fail_{};
    std::array<std::uint16_t, MaxStates> out_{};
    std::array<std::uint16_t, MaxStates> mlink_{};
    std::array<std::uint8_t, MaxStates> nchild_{};
    std::array<std::uint8_t, MaxStates> label_{};
    std::array<std::array<std::uint8_t, 256>, 2> cmap_{};
    std::array<std::uint16_t, DenseCells> dense_{};  ///< raw root row, then text lane's dense rows
    std::array<std::uint32_t, 2> rowbase_{};
    std::array<std::uint16_t, 2> dense_end_{};
    std::uint32_t dense_used_ = 0;
    std::array<std::uint16_t, 2> root_{};
    std::array<std::uint16_t, 2> count_{};
    std::array<std::uint16_t, 2> nclass_{};
    // Signature table and pattern bytes (kept for rebuilds).
    std::array<slot, MaxPatterns> pat_{};
    std::array<std::byte, PoolBytes> pool_{};
    std::size_t npat_ = 0;
    std::size_t pool_used_ = 0;
};

}  // namespace secengine::dpi
