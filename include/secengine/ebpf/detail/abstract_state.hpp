#pragma once
/// \file The verifier's abstract register state (what a register may hold at a program point).
///
/// Each register holds one kind: not yet written, a number, or a pointer of a known kind with an
/// offset that is either known exactly or unknown. Pointers with a known offset let the verifier
/// prove accesses (the VM then skips the run-time check); anything else is checked at run time.
/// The join of two states keeps what both agree on, so the analysis is a monotone data-flow
/// fixpoint over basic blocks (docs/ebpf.md, "Verifier").
#include <array>
#include <cstdint>

namespace secengine::ebpf::detail {

enum class rk : std::uint8_t {
    uninit,       ///< never written on some path: reading it is an error
    scalar,       ///< a number (or a pointer the verifier lost track of): dereference is checked at run time;
                  ///< `off` is an upper bound (0..32767) when known, e.g. after `and` or a byte load
    ctx,          ///< the struct xdp_md pointer (r1 at entry of an XDP program)
    stack,        ///< r10 + off
    pkt,          ///< packet data + off (map = 0), or variable base `map` (1-255) + off, the base >= data
    pkt_end,      ///< xdp_md.data_end
    map_value,    ///< a map value + off (after a null check)
    map_or_null,  ///< the result of bpf_map_lookup_elem before the null check
    map_ptr,      ///< a map handle loaded by lddw src=1
};

[[nodiscard]] constexpr bool offset_kind(rk k) noexcept { return k == rk::stack || k == rk::pkt || k == rk::map_value; }

/// One abstract register (4 bytes: the verifier keeps one state per basic block in kernel RAM).
struct areg {
    static constexpr std::int16_t unknown = -32768;  ///< offset not known exactly
    rk kind = rk::uninit;
    std::uint8_t map = 0;   ///< map index for map_value / map_or_null / map_ptr
    std::int16_t off = 0;   ///< offset from the pointer's base, or `unknown`

    [[nodiscard]] constexpr bool known() const noexcept { return off != unknown; }
    friend constexpr bool operator==(const areg&, const areg&) = default;
    static constexpr areg scalar() noexcept { return {rk::scalar, 0, unknown}; }  ///< unbounded
    static constexpr areg bounded(std::int32_t umax) noexcept {
        return umax >= 0 && umax <= 32767 ? areg{rk::scalar, 0, static_cast<std::int16_t>(umax)} : scalar();
    }
    static constexpr areg uninit() noexcept { return {}; }
};
static_assert(sizeof(areg) == 4);

[[nodiscard]] constexpr areg join(const areg& a, const areg& b) noexcept {
    if (a == b) return a;
    if (a.kind == rk::uninit || b.kind == rk::uninit) return areg::uninit();
    if (a.kind == rk::scalar && b.kind == rk::scalar)  // bounds: the larger one
        return a.known() && b.known() ? areg{rk::scalar, 0, a.off > b.off ? a.off : b.off} : areg::scalar();
    if (a.kind == b.kind && a.map == b.map) {
        return {a.kind, a.map, a.off == b.off ? a.off : areg::unknown};
    }
    if (a.map == b.map && ((a.kind == rk::map_value && b.kind == rk::map_or_null) ||
                           (a.kind == rk::map_or_null && b.kind == rk::map_value)))
        return {rk::map_or_null, a.map, 0};
    return areg::scalar();
}

/// Registers r0-r9 (r10 is always the frame pointer) and the proven packet lengths.
struct astate {
    std::array<areg, 10> r{};
    std::uint16_t pkt_range = 0;  ///< data + pkt_range <= data_end holds on every path here
    std::uint16_t var_range = 0;  ///< base(var_id) + var_range <= data_end likewise
    std::uint8_t var_id = 0;      ///< the variable packet base var_range speaks of (0: none)
    bool reached = false;

    /// Join `o` into this state; true when this state changed.
    constexpr bool merge(const astate& o) noexcept {
        if (!reached) {
            *this = o;
            reached = true;
            return true;
        }
        bool changed = false;
        for (unsigned i = 0; i < r.size(); ++i) {
            areg j = join(r[i], o.r[i]);
            // Widening: a bound that grows at a merge point (a loop counter) becomes unbounded at
            // once, so the fixpoint is reached in a few visits instead of one per value.
            if (j.kind == rk::scalar && j.known() && r[i].kind == rk::scalar && j.off > r[i].off) j = areg::scalar();
            if (!(j == r[i])) {
                r[i] = j;
                changed = true;
            }
        }
        if (o.pkt_range < pkt_range) {
            pkt_range = o.pkt_range;
            changed = true;
        }
        const std::uint16_t vr = o.var_id == var_id ? o.var_range : 0;
        if (vr < var_range) {
            var_range = vr;
            changed = true;
        }
        return changed;
    }
};

static_assert(join(areg::scalar(), areg::uninit()) == areg::uninit());
static_assert(join(areg::bounded(60), areg::bounded(20)) == areg::bounded(60));
static_assert(!join(areg::bounded(60), areg::scalar()).known());
static_assert(sizeof(astate) <= 48);
static_assert(join(areg{rk::pkt, 0, 14}, areg{rk::pkt, 0, 14}) == areg{rk::pkt, 0, 14});
static_assert(!join(areg{rk::pkt, 0, 14}, areg{rk::pkt, 0, 34}).known());

}  // namespace secengine::ebpf::detail
