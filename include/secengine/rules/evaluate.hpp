#pragma once
/// \file The rule evaluator: prefilter per buffer -> candidate rules -> each evaluated completely.
///
/// Per inspection unit (a packet, or one side of an HTTP transaction):
///  1. for each present buffer with an automaton, the buffer's bytes run through the flat
///     Aho-Corasick prefilter (case-folded); every output names a rule whose prefilter pattern
///     occurs - a necessary condition for the rule (its pattern is one of its positive contents,
///     or a piece of one), so the prefilter can only drop rules that cannot match;
///  2. the rules with no usable pattern (the "always" list) join; candidates are sorted and
///     deduplicated; the database stores rules in Suricata's order (action pass, drop, reject,
///     alert; flowbit setters before readers; priority; sid), so ascending index is that order;
///  3. each candidate is checked completely: protocol, addresses and ports (both ways for `<>`),
///     flow, packet ops (dsize, urilen, flowbits), every buffer's ops (inspect.hpp); a match
///     runs its flowbit changes, passes its threshold and is reported; a `pass` match ends it.
/// Cost per unit: O(bytes) for the prefilter + O(candidates), independent of the rule count,
/// except when the candidate scratch overflows: then every rule is checked (still correct,
/// counted in `result::overflow`).
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include <secengine/http/buffer.hpp>
#include <secengine/rules/db.hpp>
#include <secengine/rules/inspect.hpp>
#include <secengine/rules/state.hpp>

namespace secengine::rules {

/// An IPv6 address or an IPv4 address mapped into IPv6 (::ffff:a.b.c.d), network order.
using address = std::array<std::uint8_t, 16>;

[[nodiscard]] constexpr address ipv4_address(std::uint32_t host_order) noexcept {
    address a{};
    a[10] = 0xFF;
    a[11] = 0xFF;
    a[12] = static_cast<std::uint8_t>(host_order >> 24);
    a[13] = static_cast<std::uint8_t>(host_order >> 16);
    a[14] = static_cast<std::uint8_t>(host_order >> 8);
    a[15] = static_cast<std::uint8_t>(host_order);
    return a;
}

/// What the evaluator knows about the unit being inspected.
struct packet_context {
    std::uint8_t ip_proto = 6;  ///< IANA protocol number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6
    app_protocol app = app_protocol::none;
    address src{}, dst{};
    std::uint16_t sport = 0, dport = 0;
    bool has_ports = true;      ///< false for ICMP and other port-less protocols
    bool to_server = true;      ///< direction of this unit in its flow
    bool established = false;   ///< the flow completed its handshake (TCP) or saw both ways (UDP)
    const http::buffer_set* buffers = nullptr;  ///< payload and (for HTTP/DNS) the parsed buffers
    std::uint32_t dsize = 0;    ///< payload length of the packet
};

/// The caller-owned state of one evaluation: the flow's flowbits, the thresholds, scratch.
struct eval_state {
    std::span<std::uint64_t> flowbits{};      ///< this flow's bits (empty: stateless evaluation)
    threshold_table_base* thresholds = nullptr;  ///< null: thresholds alert every time
    std::span<std::uint32_t> candidates{};    ///< scratch for candidate rule indices
};

/// One matching rule, reported to the callback.
struct alert_info {
    std::uint32_t rule, sid, gid, rev;
    action act;
    std::uint8_t priority;
    std::uint32_t msg_off, msg_len;  ///< the msg in the image (db_view::msg(rule) reads it)
};

/// Counts of one evaluation.
struct eval_result {
    std::uint32_t candidates = 0, matched = 0, reported = 0;
    bool passed = false;    ///< a pass rule matched: inspection of the unit ended there
    bool overflow = false;  ///< the candidate scratch was too small: all rules were checked
};

namespace detail {

/// -1, 0, 1 as a (16 bytes in the image) is below, equal to or above the address b.
[[nodiscard]] constexpr int addr_cmp(std::span<const std::byte> a, const address& b) noexcept {
    for (std::size_t i = 0; i < 16; ++i) {
        const auto x = static_cast<std::uint8_t>(a[i]);
        if (x != b[i]) return x < b[i] ? -1 : 1;
    }
    return 0;
}

[[nodiscard]] constexpr bool in_addresses(const db_view& db, std::uint32_t off, const address& a) noexcept {
    if (off == none32) return true;
    const std::uint32_t n = db.u32(off);
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto item = db.slice(off + 4 + std::size_t{i} * address_item_bytes, address_item_bytes);
        if (item.size() != address_item_bytes) return false;
        if (addr_cmp(item.first(16), a) <= 0 && addr_cmp(item.subspan(16), a) >= 0) return true;
    }
    return false;
}

[[nodiscard]] constexpr bool in_ports(const db_view& db, std::uint32_t off, std::uint16_t p, bool has_ports) noexcept {
    if (off == none32) return true;
    if (!has_ports) return false;
    const std::uint32_t n = db.u32(off);
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t w = db.u32(off + 4 + 4 * std::size_t{i});
        if (p >= (w & 0xFFFF) && p <= (w >> 16)) return true;
    }
    return false;
}

[[nodiscard]] constexpr bool proto_ok(protocol r, const packet_context& p) noexcept {
    switch (r) {
    case protocol::ip: return true;
    case protocol::tcp: return p.ip_proto == 6;
    case protocol::udp: return p.ip_proto == 17;
    case protocol::icmp: return p.ip_proto == 1 || p.ip_proto == 58;
    case protocol::http: return p.app == app_protocol::http;
    case protocol::dns: return p.app == app_protocol::dns;
    default: return false;
    }
}

[[nodiscard]] constexpr bool header_ok(const db_view& db, std::uint32_t r, const packet_context& p) noexcept {
    const std::uint32_t meta = db.rule_word(r, rw::meta);
    if (!proto_ok(static_cast<protocol>((meta >> 8) & 0xFF), p)) return false;
    const std::uint32_t s = db.rule_word(r, rw::src), d = db.rule_word(r, rw::dst);
    const std::uint32_t sp = db.rule_word(r, rw::sport), dp = db.rule_word(r, rw::dport);
    const bool fwd = in_addresses(db, s, p.src) && in_addresses(db, d, p.dst) && in_ports(db, sp, p.sport, p.has_ports) &&
                     in_ports(db, dp, p.dport, p.has_ports);
    if (fwd) return true;
    if (((meta >> 24) & rule_flag::bidirectional) == 0) return false;
    return in_addresses(db, s, p.dst) && in_addresses(db, d, p.src) && in_ports(db, sp, p.dport, p.has_ports) &&
           in_ports(db, dp, p.sport, p.has_ports);
}

[[nodiscard]] constexpr bool flow_ok(std::uint32_t f, const packet_context& p) noexcept {
    if ((f & flow_flag::to_server) && !p.to_server) return false;
    if ((f & flow_flag::to_client) && p.to_server) return false;
    if ((f & flow_flag::established) && !p.established) return false;
    if ((f & flow_flag::not_established) && p.established) return false;
    return true;
}

[[nodiscard]] constexpr bool bit(std::span<std::uint64_t> bits, std::int64_t i) noexcept {
    const auto u = static_cast<std::size_t>(i);
    return u / 64 < bits.size() && ((bits[u / 64] >> (u % 64)) & 1u) != 0;
}
constexpr void set_bit(std::span<std::uint64_t> bits, std::int64_t i, int how) noexcept {
    const auto u = static_cast<std::size_t>(i);
    if (u / 64 >= bits.size()) return;
    const std::uint64_t m = std::uint64_t{1} << (u % 64);
    if (how == 0) bits[u / 64] |= m;
    else if (how == 1) bits[u / 64] &= ~m;
    else bits[u / 64] ^= m;
}

/// Runs the flat automaton at `a` over `data`, adding every output rule to `out`.
/// The walk reads the image without per-read bounds checks: db_view::open proved that every
/// state, edge and output index of the automaton lies inside the image and that links point
/// to smaller states, so this is the one loop per payload byte kept free of them.
constexpr void prefilter(const db_view& db, std::uint32_t a, std::span<const std::byte> data, std::span<std::uint32_t> out,
                         std::size_t& n, bool& overflow) noexcept {
    const std::byte* img = db.bytes().data();
    auto rd = [img](std::size_t off) -> std::uint32_t {
        if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
            std::uint32_t v;  // one unaligned-safe load instead of four byte loads
            __builtin_memcpy(&v, img + off, 4);
            return v;
        }
        return static_cast<std::uint32_t>(img[off]) | static_cast<std::uint32_t>(img[off + 1]) << 8 |
               static_cast<std::uint32_t>(img[off + 2]) << 16 | static_cast<std::uint32_t>(img[off + 3]) << 24;
    };
    const std::size_t so = rd(a + 4 * aw::states), eo = rd(a + 4 * aw::edges), oo = rd(a + 4 * aw::outs);
    const std::size_t rows = a + 4 * aw::words;
    const std::uint32_t dense = rd(a + 4 * aw::dense);  // validated: 1 <= dense <= states
    auto sw = [&](std::uint32_t s, std::size_t w) { return rd(so + (std::size_t{s} * aw::s_words + w) * 4); };
    const std::uint32_t start = rd(a + 4 * aw::start);  // validated: none32 or a whole table inside the image
    const std::uint32_t skip = rd(a + 4 * aw::skip);    // validated: none32, or a table with start, 3 <= m <= 64
    const std::size_t m = rd(a + 4 * aw::skip_len);
    const std::byte* const d = data.data();
    const std::size_t len = data.size();
    std::uint32_t s = 0;  // current state | out_bit
    for (std::size_t i = 0; i < len; ++i) {
        if (s == 0 && start != none32) {
            // At the root: skip every position whose byte pair cannot begin a pattern (format.hpp,
            // aw::start). The loads are independent of each other, unlike the state walk's.
            const std::byte* const table = img + start;
            auto may_start = [&](std::size_t at) {
                const std::size_t pair = static_cast<std::size_t>(d[at]) | static_cast<std::size_t>(d[at + 1]) << 8;
                return ((static_cast<unsigned>(table[pair >> 3]) >> (pair & 7)) & 1u) != 0;
            };
            if (skip != none32) {
                // Wu-Manber block shifts first (format.hpp aw::skip): up to m - 1 bytes per test.
                // Every pattern has >= m bytes, so once the window leaves the data none can end.
                // The shifts run in a loop of their own on the window's last byte e = i + m - 1:
                // two byte loads, the index, the shift load, its test, the add and the bound
                // test (10 RV64 instructions a shift; 14 when the start-pair test shared the loop
                // and the compiler hoisted its address arithmetic above the branch).
                const std::byte* const shifts = img + skip;
                if (i + m > len) return;
                std::size_t e = i + m - 1;
                auto shift_at = [&](std::size_t at) {
                    return static_cast<std::size_t>(shifts[aw::skip_index(static_cast<std::uint8_t>(d[at - 1]), static_cast<std::uint8_t>(d[at]))]);
                };
                while (true) {
                    for (std::size_t x = shift_at(e); x != 0; x = shift_at(e)) {
                        e += x;
                        if (e >= len) return;
                    }
                    if (may_start(e - (m - 1))) break;
                    if (++e >= len) return;
                }
                i = e - (m - 1);
            } else {
                while (i + 1 < len && !may_start(i)) ++i;
            }
        }
        const std::uint8_t c = fold(static_cast<std::uint8_t>(d[i]));
        std::uint32_t cur = s & ~aw::out_bit;
        while (true) {
            if (cur < dense) {  // complete row: one load, no failure links
                s = rd(rows + 4 * (std::size_t{cur} * 256 + c));
                break;
            }
            // Binary search of the state's sorted edges.
            std::uint32_t lo = sw(cur, aw::s_edge), hi = lo + sw(cur, aw::s_nedge);
            std::uint32_t next = none32;
            while (lo < hi) {
                const std::uint32_t mid = lo + (hi - lo) / 2;
                const std::uint32_t label = rd(eo + (std::size_t{mid} * aw::e_words + aw::e_label) * 4);
                if (label == c) {
                    next = rd(eo + (std::size_t{mid} * aw::e_words + aw::e_target) * 4);
                    break;
                }
                if (label < c) lo = mid + 1;
                else hi = mid;
            }
            if (next != none32) {
                s = next;
                break;
            }
            cur = sw(cur, aw::s_fail);  // validated: strictly smaller, so this ends in a dense row
        }
        if ((s & aw::out_bit) == 0) continue;  // the common case: no pattern ends here
        // Outputs of the state and of the states on its output-link chain (each strictly smaller).
        const std::uint32_t st = s & ~aw::out_bit;
        for (std::uint32_t t = sw(st, aw::s_nout) ? st : sw(st, aw::s_link); t != none32; t = sw(t, aw::s_link)) {
            const std::uint32_t o0 = sw(t, aw::s_out), on = sw(t, aw::s_nout);
            for (std::uint32_t k = 0; k < on; ++k) {
                if (n >= out.size()) {
                    overflow = true;
                    return;
                }
                out[n++] = rd(oo + 4 * std::size_t{o0 + k});
            }
        }
    }
}

/// Evaluates rule r completely (except thresholds); applies its flowbit changes on a match.
[[nodiscard]] constexpr bool rule_matches(const db_view& db, std::uint32_t r, const packet_context& p, eval_state& st) noexcept {
    if (!header_ok(db, r, p) || !flow_ok(db.rule_word(r, rw::flow), p)) return false;
    const std::uint32_t first = db.rule_word(r, rw::ops_first), n = db.rule_word(r, rw::ops_count);
    byte_vars vars{};
    std::uint32_t budget = inspect_budget;
    bool has_set = false;
    for (std::uint32_t i = 0; i < n;) {
        const op o = read_op(db, first + i);
        switch (o.kind) {
        case op_kind::dsize:
            if (!compare(static_cast<cmp>(o.a), p.dsize, o.b, o.c)) return false;
            ++i;
            continue;
        case op_kind::urilen: {
            if (p.buffers == nullptr || !p.buffers->has(o.buf)) return false;
            if (!compare(static_cast<cmp>(o.a), static_cast<std::int64_t>(p.buffers->get(o.buf).size()), o.b, o.c)) return false;
            ++i;
            continue;
        }
        case op_kind::flowbit_check:
            if (bit(st.flowbits, o.b) != (o.a == 0)) return false;
            ++i;
            continue;
        case op_kind::flowbit_set:
            has_set = true;
            ++i;
            continue;
        default: break;
        }
        // A group: consecutive buffer ops on the same buffer.
        std::uint32_t j = i + 1;
        while (j < n) {
            const std::uint32_t h = db.op_word(first + j, ow::head);
            const auto k = static_cast<op_kind>(h & 0xFF);
            if (k == op_kind::dsize || k == op_kind::urilen || k == op_kind::flowbit_check || k == op_kind::flowbit_set) break;
            if (static_cast<http::buffer>((h >> 8) & 0xFF) != o.buf) break;
            ++j;
        }
        if (p.buffers == nullptr || !p.buffers->has(o.buf)) return false;
        const std::uint32_t base = first + i;
        if (!inspect_buffer([&](std::size_t k) { return read_op(db, base + static_cast<std::uint32_t>(k)); }, j - i,
                            p.buffers->get(o.buf), vars, budget))
            return false;
        i = j;
    }
    if (has_set)
        for (std::uint32_t i = 0; i < n; ++i) {
            const op o = read_op(db, first + i);
            if (o.kind == op_kind::flowbit_set) set_bit(st.flowbits, o.b, static_cast<int>(o.a));
        }
    return true;
}

}  // namespace detail

/// Evaluates the database on one unit at `now_ms`; calls on_match(alert_info) for every
/// matching rule that alerts, in Suricata's action order. Never allocates.
template <class OnMatch>
constexpr eval_result evaluate(const db_view& db, const packet_context& p, eval_state& st, std::uint64_t now_ms,
                               OnMatch&& on_match) noexcept {
    eval_result res;
    if (db.empty()) return res;
    std::size_t n = 0;
    bool overflow = false;
    if (p.buffers != nullptr)
        for (std::size_t b = 0; b < http::buffer_count && !overflow; ++b) {
            const auto buf = static_cast<http::buffer>(b);
            if (!p.buffers->has(buf)) continue;
            // A literal table (format v4, literal_prefilter.hpp) reports the same outputs as the
            // automaton, faster; an image may carry either or both.
            if (const std::uint32_t t = db.literal_table(buf); t != none32)
                literal_scan(db.bytes(), t, p.buffers->get(buf), st.candidates, n, overflow);
            else if (const std::uint32_t a = db.automaton(buf); a != none32)
                detail::prefilter(db, a, p.buffers->get(buf), st.candidates, n, overflow);
        }
    for (std::uint32_t i = 0; i < db.always_count() && !overflow; ++i) {
        if (n >= st.candidates.size()) overflow = true;
        else st.candidates[n++] = db.always(i);
    }
    const std::uint32_t total = db.rule_count();
    std::span<std::uint32_t> cand = st.candidates.first(overflow ? 0 : n);
    if (!overflow) {
        std::sort(cand.begin(), cand.end());
        cand = cand.first(static_cast<std::size_t>(std::unique(cand.begin(), cand.end()) - cand.begin()));
    }
    res.overflow = overflow;
    res.candidates = overflow ? total : static_cast<std::uint32_t>(cand.size());
    for (std::uint32_t k = 0; k < res.candidates; ++k) {
        const std::uint32_t r = overflow ? k : cand[k];
        if (!detail::rule_matches(db, r, p, st)) continue;
        ++res.matched;
        const std::uint32_t meta = db.rule_word(r, rw::meta);
        const auto act = static_cast<action>(meta & 0xFF);
        bool report = ((meta >> 24) & rule_flag::noalert) == 0;
        const std::uint32_t thr = db.rule_word(r, rw::thr_meta);
        if (report && (thr & 0xFF) != 0 && st.thresholds != nullptr) {
            const bool by_dst = static_cast<track>((thr >> 8) & 0xFF) == track::by_dst;
            report = st.thresholds->hit(db.rule_word(r, rw::thr_slot), by_dst ? p.dst : p.src, static_cast<threshold_type>(thr & 0xFF),
                                        db.rule_word(r, rw::thr_count), db.rule_word(r, rw::thr_seconds), now_ms);
        }
        if (report) {
            ++res.reported;
            on_match(alert_info{r, db.rule_word(r, rw::sid), db.rule_word(r, rw::gid), db.rule_word(r, rw::rev), act,
                                static_cast<std::uint8_t>((meta >> 16) & 0xFF), db.rule_word(r, rw::msg), db.rule_word(r, rw::msg_len)});
        }
        if (act == action::pass) {
            res.passed = true;
            break;
        }
    }
    return res;
}

}  // namespace secengine::rules
