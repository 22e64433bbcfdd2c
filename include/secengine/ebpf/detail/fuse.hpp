#pragma once
/// \file Load-time superinstructions for clang's commonest XDP idioms.
///
/// Dispatch dominates an interpreter's cost on short filters, so six idioms are fused into one
/// dispatch after verification: the packet bounds check `mov rX, rA; add rX, K; jgt rX, rB, L`
/// (from `if (p + K > data_end)`), a proven load followed by `jeq/jne` of the loaded register
/// against an immediate (header field tests), the two context loads every XDP program starts
/// with (`data`, `data_end`), `mov r0, K; exit` (`return XDP_PASS;`) and `add/sub rX, K` followed
/// by `jeq/jne rX, K2` (a counted loop's decrement-and-branch), and a left shift followed by a
/// right or arithmetic right shift of the same register by immediates (clang's zero- and
/// sign-extension of a 32-bit value, `r <<= 32; r >>= 32`, in code built without alu32). The fused opcode replaces the first slot only; the
/// others keep their decoded form, and fusion happens only where no jump lands inside the group
/// (the verifier's block leaders), so the program's meaning and pc numbering are unchanged.
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/isa.hpp>

namespace secengine::ebpf::detail {

[[nodiscard]] constexpr bool is_leader(std::span<const std::uint32_t> leaders, std::uint32_t pc) noexcept {
    std::size_t lo = 0, hi = leaders.size();
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if (leaders[mid] == pc) return true;
        if (leaders[mid] < pc) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/// Fuse in place; `leaders` is the sorted list of basic-block starts from the verifier.
constexpr void fuse(std::span<insn> code, std::span<const std::uint32_t> leaders) noexcept {
    const auto n = static_cast<std::uint32_t>(code.size());
    for (std::uint32_t pc = 0; pc + 1 < n; ++pc) {
        insn& a = code[pc];
        const insn& b = code[pc + 1];
        if (is_leader(leaders, pc + 1)) continue;
        if (pc + 2 < n && a.opcode == 0xbf && a.off == 0 && b.opcode == 0x07 && b.dst() == a.dst() &&
            !is_leader(leaders, pc + 2)) {
            const insn& c = code[pc + 2];
            if (c.opcode == 0x2d && c.dst() == a.dst()) {
                a.opcode = iop::bounds_jgt;
                pc += 2;
                continue;
            }
        }
        if (a.opcode == iop::ld_ctx && b.opcode == iop::ld_ctx) {
            a.opcode = iop::ld_ctx2;
            ++pc;
            continue;
        }
        if (a.opcode == 0xb7 && a.dst() == 0 && b.opcode == op::exit_insn) {
            a.opcode = iop::mov_r0_exit;
            ++pc;
            continue;
        }
        if (a.opcode == 0x67 && (b.opcode == 0x77 || b.opcode == 0xc7) && b.dst() == a.dst()) {
            a.opcode = b.opcode == 0x77 ? iop::lsh_rsh : iop::lsh_arsh;
            ++pc;
            continue;
        }
        if ((a.opcode == 0x07 || a.opcode == 0x17) && (b.opcode == 0x15 || b.opcode == 0x55) && b.dst() == a.dst()) {
            const bool eq = b.opcode == 0x15;
            a.opcode = a.opcode == 0x07 ? (eq ? iop::add_jeq : iop::add_jne) : (eq ? iop::sub_jeq : iop::sub_jne);
            ++pc;
            continue;
        }
        if ((b.opcode == 0x15 || b.opcode == 0x55) && b.dst() == a.dst() && a.dst() != a.src()) {
            const bool eq = b.opcode == 0x15;
            std::uint8_t f = 0;
            if (a.opcode == 0x71) f = eq ? iop::ldxb_jeq : iop::ldxb_jne;
            if (a.opcode == 0x69) f = eq ? iop::ldxh_jeq : iop::ldxh_jne;
            if (a.opcode == 0x61) f = eq ? iop::ldxw_jeq : iop::ldxw_jne;
            if (f != 0) {
                a.opcode = f;
                ++pc;
            }
        }
    }
}

}  // namespace secengine::ebpf::detail
