#pragma once
/// \file The verifier's transfer function: the effect of one non-branching instruction on the
/// abstract state, the memory-access rules, helper argument rules, and the decoded opcode.
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/abstract_state.hpp>
#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secengine::ebpf::detail {

/// Per-instruction semantics shared by the fixpoint pass and the final (checking) pass.
class transfer {
protected:
    constexpr transfer(std::span<const insn> p, std::span<const map_spec> maps, bool xdp, bool check_all) noexcept
        : p_(p), maps_(maps), xdp_(xdp), check_all_(check_all) {}

    using ve = verify_error;
    enum class access { proven, checked };

    static constexpr areg fp() noexcept { return {rk::stack, 0, 0}; }
    [[nodiscard]] static constexpr areg get(const astate& s, std::uint8_t r) noexcept { return r == reg_fp ? fp() : s.r[r]; }
    [[nodiscard]] static constexpr bool init(const astate& s, std::uint8_t r) noexcept {
        return r == reg_fp || s.r[r].kind != rk::uninit;
    }

    constexpr void emit(std::uint32_t pc, std::uint8_t opcode, std::int32_t imm) noexcept {
        if (out_.empty()) return;
        insn i = p_[pc];
        i.opcode = opcode;
        i.imm = imm;
        out_[pc] = i;
    }

    /// Memory rule: stack within the frame, packet at a non-negative offset (proven when below
    /// the proven length), map values within the value; other pointers are checked at run time.
    constexpr ve check_access(const astate& s, const areg& b, std::int32_t off, unsigned size, access& how) const noexcept {
        const ve e = prove_access(s, b, off, size, how);
        if (check_all_) how = access::checked;
        return e;
    }
    constexpr ve prove_access(const astate& s, const areg& b, std::int32_t off, unsigned size, access& how) const noexcept {
        how = access::checked;
        const std::int64_t t = std::int64_t{b.off} + off;
        switch (b.kind) {
            case rk::uninit: return ve::uninit_register;
            case rk::stack:
                if (!b.known()) return ve::ok;
                if (t < -stack_frame_bytes || t + size > 0) return ve::stack_out_of_bounds;
                how = access::proven;
                return ve::ok;
            case rk::pkt:
                if (!b.known()) return ve::ok;
                if (b.map != 0) {  // variable base (>= data): proven below its own range
                    if (b.map == s.var_id && t >= 0 && t + size <= s.var_range) how = access::proven;
                    return ve::ok;
                }
                if (t < 0 || t > 0xffff) return ve::packet_out_of_bounds;
                if (t + size <= s.pkt_range) how = access::proven;
                return ve::ok;
            case rk::map_value:
                if (!b.known()) return ve::ok;
                if (t < 0 || t + size > maps_[b.map].value_size) return ve::map_value_out_of_bounds;
                how = access::proven;
                return ve::ok;
            case rk::ctx: return ve::bad_ctx_access;
            case rk::pkt_end:
            case rk::map_ptr: return ve::bad_mem_base;
            default: return ve::ok;  // scalar, map_or_null: the VM checks the address
        }
    }

    /// A pointer argument to a map helper that must cover `size` readable bytes.
    constexpr ve check_ptr_arg(const astate& s, std::uint8_t r, std::uint32_t size) const noexcept {
        const areg a = get(s, r);
        if (a.kind == rk::uninit) return ve::uninit_register;
        if (a.kind == rk::ctx || a.kind == rk::pkt_end || a.kind == rk::map_ptr || a.kind == rk::map_or_null)
            return ve::bad_helper_arg;
        access how{};
        for (std::uint32_t at = 0; at < size; at += 8) {  // probe the first and last byte ranges
            std::uint32_t chunk = size - at < 8 ? size - at : 8;
            if (check_access(s, a, static_cast<std::int32_t>(at), chunk, how) != ve::ok) return ve::bad_helper_arg;
        }
        return ve::ok;
    }

    constexpr ve helper_call(astate& s, std::int32_t id) const noexcept {
        const areg m = s.r[1];
        switch (id) {
            case helper::map_lookup_elem:
            case helper::map_update_elem:
            case helper::map_delete_elem: {
                if (m.kind == rk::uninit) return ve::uninit_register;
                if (m.kind != rk::map_ptr) return ve::bad_helper_arg;
                const map_spec& ms = maps_[m.map];
                if (auto e = check_ptr_arg(s, 2, ms.key_size); e != ve::ok) return e;
                if (id == helper::map_update_elem) {
                    if (auto e = check_ptr_arg(s, 3, ms.value_size); e != ve::ok) return e;
                    if (!init(s, 4)) return ve::uninit_register;
                }
                break;
            }
            case helper::count:
                if (!init(s, 1) || !init(s, 2)) return ve::uninit_register;
                break;
            case helper::trace:
                if (!init(s, 1)) return ve::uninit_register;
                break;
            default: break;  // ktime_get_ns: no arguments
        }
        for (unsigned r = 1; r <= 5; ++r) s.r[r] = areg::uninit();  // caller-saved (RFC 9669 3.4)
        s.r[0] = id == helper::map_lookup_elem ? areg{rk::map_or_null, m.map, 0} : areg::scalar();
        return ve::ok;
    }

    /// Bounds of ALU results on numbers (0..32767 when provable; enough for header lengths).
    static constexpr areg scalar_result(std::uint8_t o, bool x, const areg& a, const areg& b, std::int32_t imm) noexcept {
        const bool ab = a.kind == rk::scalar && a.known();
        const bool bb = x ? (b.kind == rk::scalar && b.known()) : (imm >= 0 && imm <= 32767);
        const std::int32_t bv = x ? b.off : imm;
        switch (o) {
            case op::mov: return x ? areg::scalar() : areg::bounded(imm);  // (MOVSX is never bounded)
            case op::and_:
                if (ab && bb) return areg::bounded(a.off < bv ? a.off : bv);
                return ab ? areg::bounded(a.off) : (bb ? areg::bounded(bv) : areg::scalar());
            case op::lsh: return ab && !x && imm >= 0 && imm < 15 ? areg::bounded(std::int32_t{a.off} << imm) : areg::scalar();
            case op::rsh: return ab && !x && imm >= 0 ? areg::bounded(std::int32_t{a.off} >> (imm & 31)) : areg::scalar();
            case op::add: return ab && bb ? areg::bounded(a.off + bv) : areg::scalar();
            default: return areg::scalar();
        }
    }

    /// packet pointer + bounded number: a new variable base (>= data), identified by the pc
    /// that made it. Older pointers with the same id refer to an older base: they are dropped.
    static constexpr areg variable_base(astate& s, std::uint32_t pc, const areg& ptr, const areg& num) noexcept {
        if (ptr.kind != rk::pkt || !ptr.known() || ptr.off < 0 || !num.known())
            return {ptr.kind, ptr.map, areg::unknown};
        const auto id = static_cast<std::uint8_t>(1 + pc % 255);
        for (auto& r : s.r)
            if (r.kind == rk::pkt && r.map == id) r = areg::scalar();
        s.var_id = id;
        s.var_range = 0;
        return {rk::pkt, id, 0};
    }

    /// Effect of a non-branching instruction at pc (lddw covers both slots).
    constexpr ve step(astate& s, std::uint32_t pc) noexcept {
        const insn& i = p_[pc];
        const std::uint8_t c = i.opcode, cl = op::cls(c), o = c & 0xf0, x = c & op::src_x;
        const std::uint8_t d = i.dst(), sr = i.src();
        switch (cl) {
            case op::cls_alu:
            case op::cls_alu64: {
                if (x && !init(s, sr)) return ve::uninit_register;
                if (o != op::mov && !init(s, d)) return ve::uninit_register;
                const areg sv = x ? get(s, sr) : areg::scalar();
                areg& dv = s.r[d];
                std::uint8_t out = c;
                if ((o == op::div || o == op::mod) && i.off == 1)
                    out = static_cast<std::uint8_t>((o == op::div ? 0xe0 : 0xf0) | (c & 0x0f));
                if (o == op::mov && x && i.off != 0) out = cl == op::cls_alu64 ? iop::movsx64 : iop::movsx32;
                emit(pc, out, i.imm);
                if (o == op::mov && x && i.off == 0 && cl == op::cls_alu64) {
                    dv = sv;
                } else if ((o == op::add || o == op::sub) && !x && cl == op::cls_alu64 && offset_kind(dv.kind)) {
                    if (dv.known()) {
                        std::int64_t no = std::int64_t{dv.off} + (o == op::add ? i.imm : -std::int64_t{i.imm});
                        dv.off = no > areg::unknown && no <= 32767 ? static_cast<std::int16_t>(no) : areg::unknown;
                    }
                } else if (o == op::add && x && cl == op::cls_alu64 && offset_kind(dv.kind) && sv.kind == rk::scalar) {
                    dv = variable_base(s, pc, dv, sv);
                } else if (o == op::add && x && cl == op::cls_alu64 && dv.kind == rk::scalar && offset_kind(sv.kind)) {
                    dv = variable_base(s, pc, sv, dv);
                } else if (o == op::sub && x && cl == op::cls_alu64 && offset_kind(dv.kind) && sv.kind == rk::scalar) {
                    dv = {dv.kind, dv.map, areg::unknown};
                } else {
                    dv = scalar_result(o, x, dv, sv, i.imm);
                }
                return ve::ok;
            }
            case op::cls_ld: {
                if (sr == op::pseudo_map_fd) {
                    s.r[d] = {rk::map_ptr, static_cast<std::uint8_t>(i.imm), 0};
                    emit(pc, iop::lddw_map, i.imm);
                } else {
                    s.r[d] = areg::scalar();
                    emit(pc, c, i.imm);
                }
                if (!out_.empty()) out_[pc + 1] = p_[pc + 1];
                return ve::ok;
            }
            case op::cls_ldx: {
                if (!init(s, sr)) return ve::uninit_register;
                const areg b = get(s, sr);
                if (b.kind == rk::ctx && xdp_ && b.known()) {
                    // struct xdp_md: only 32-bit loads of whole fields, rewritten to the VM's values.
                    std::int32_t t = std::int32_t{b.off} + i.off;
                    if ((c & 0xe0) != op::mode_mem || (c & 0x18) != op::sz_w || t < 0 || t % 4 != 0 || t >= 24)
                        return ve::bad_ctx_access;
                    std::int32_t f = t / 4;
                    s.r[d] = f == 0 ? areg{rk::pkt, 0, 0}
                                    : (f == 1 ? areg{rk::pkt_end, 0, 0} : areg::scalar());
                    emit(pc, iop::ld_ctx, f);
                    return ve::ok;
                }
                access how{};
                if (auto e = check_access(s, b, i.off, op::size_bytes(c), how); e != ve::ok) return e;
                s.r[d] = c == 0x71 ? areg::bounded(255) : areg::scalar();  // a byte is 0..255
                emit(pc, how == access::proven ? c : iop::checked(c), i.imm);
                return ve::ok;
            }
            default: {  // ST, STX (MEM or ATOMIC)
                if (!init(s, d)) return ve::uninit_register;
                if (cl == op::cls_stx && !init(s, sr)) return ve::uninit_register;
                const bool atomic = (c & 0xe0) == op::mode_atomic;
                if (atomic && i.imm == op::atomic_cmpxchg && !init(s, 0)) return ve::uninit_register;
                access how{};
                if (auto e = check_access(s, get(s, d), i.off, op::size_bytes(c), how); e != ve::ok) return e;
                if (atomic && i.imm == op::atomic_cmpxchg) s.r[0] = areg::scalar();
                else if (atomic && (i.imm & op::atomic_fetch)) s.r[sr] = areg::scalar();
                emit(pc, how == access::proven ? c : iop::checked(c), i.imm);
                return ve::ok;
            }
        }
    }

    std::span<const insn> p_;
    std::span<const map_spec> maps_;
    bool xdp_;
    bool check_all_;
    std::span<insn> out_{};
};

}  // namespace secengine::ebpf::detail
