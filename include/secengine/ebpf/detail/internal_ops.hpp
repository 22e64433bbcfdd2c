#pragma once
/// \file Internal opcodes of the pre-decoded program.
///
/// The verifier rewrites a program into the same 8-byte slots; valid RFC 9669 opcodes keep their
/// value (memory accesses keep it only when proven in bounds), and variants get opcode values that
/// RFC 9669 leaves unused, so the interpreter dispatches once per instruction on one byte.
#include <cstdint>

namespace secengine::ebpf::detail::iop {

// Run-time-checked memory accesses: the proven opcode with the class bits moved.
inline constexpr std::uint8_t ldx_chk_w = 0x60, ldx_chk_h = 0x68, ldx_chk_b = 0x70, ldx_chk_dw = 0x78;
inline constexpr std::uint8_t ldxs_chk_w = 0x80, ldxs_chk_h = 0x88, ldxs_chk_b = 0x90;
inline constexpr std::uint8_t st_chk_w = 0x02, st_chk_h = 0x0a, st_chk_b = 0x12, st_chk_dw = 0x1a;
inline constexpr std::uint8_t stx_chk_w = 0x03, stx_chk_h = 0x0b, stx_chk_b = 0x13, stx_chk_dw = 0x1b;
inline constexpr std::uint8_t atomic_chk_w = 0xc2, atomic_chk_dw = 0xda;
/// Checked form of a proven LDX/LDXS/ST/STX/ATOMIC opcode.
[[nodiscard]] constexpr std::uint8_t checked(std::uint8_t proven) noexcept {
    switch (proven & 0x07) {
        case 0x01: return static_cast<std::uint8_t>(proven & ~0x01);         // LDX MEM/MEMSX -> class LD
        case 0x02: return static_cast<std::uint8_t>(proven & ~0x60);         // ST MEM -> mode 0
        default:
            if ((proven & 0xe0) == 0xc0) return static_cast<std::uint8_t>(proven & ~0x01);  // ATOMIC -> class ST
            return static_cast<std::uint8_t>(proven & ~0x60);                                // STX MEM -> mode 0
    }
}
static_assert(checked(0x61) == ldx_chk_w && checked(0x79) == ldx_chk_dw && checked(0x91) == ldxs_chk_b);
static_assert(checked(0x62) == st_chk_w && checked(0x7a) == st_chk_dw);
static_assert(checked(0x63) == stx_chk_w && checked(0x7b) == stx_chk_dw);
static_assert(checked(0xc3) == atomic_chk_w && checked(0xdb) == atomic_chk_dw);

// Signed division and modulo (RFC 9669: DIV/MOD with offset 1).
inline constexpr std::uint8_t sdiv32_k = 0xe4, sdiv32_x = 0xec, sdiv64_k = 0xe7, sdiv64_x = 0xef;
inline constexpr std::uint8_t smod32_k = 0xf4, smod32_x = 0xfc, smod64_k = 0xf7, smod64_x = 0xff;
// MOVSX (MOV X with offset 8/16/32): the width stays in `off`.
inline constexpr std::uint8_t movsx32 = 0x8c, movsx64 = 0x8f;
// lddw of a map handle (src_reg 1): imm = map index.
inline constexpr std::uint8_t lddw_map = 0x38;
// Load of a struct xdp_md field, rewritten at load time as Linux does: imm = field index.
inline constexpr std::uint8_t ld_ctx = 0xe1;
// bpf-to-bpf call: imm = relative target.
inline constexpr std::uint8_t call_local = 0xe5;

// Superinstructions (detail/fuse.hpp); the fused slots after them stay in place, unreached.
inline constexpr std::uint8_t bounds_jgt = 0xf5;  ///< mov rX, rA; add rX, K; jgt rX, rB, off
inline constexpr std::uint8_t ldxb_jeq = 0xe6, ldxb_jne = 0xee, ldxh_jeq = 0xf6, ldxh_jne = 0xfe, ldxw_jeq = 0xed,
                              ldxw_jne = 0xfd;  ///< proven load, then jeq/jne of the loaded register with imm
inline constexpr std::uint8_t ld_ctx2 = 0x20;       ///< two struct xdp_md loads (clang's data, data_end prologue)
inline constexpr std::uint8_t mov_r0_exit = 0x28;   ///< mov r0, K; exit (clang's `return K;`)
/// add/sub rX, K, then jeq/jne rX, K2 (a counted loop's decrement-and-branch, a running index test)
inline constexpr std::uint8_t add_jeq = 0x0d, add_jne = 0x0e, sub_jeq = 0x9d, sub_jne = 0x9e;
/// lsh rX, K1; rsh/arsh rX, K2 (clang's zero- and sign-extension of a 32-bit value: `<<= 32; >>= 32`)
inline constexpr std::uint8_t lsh_rsh = 0x86, lsh_arsh = 0x8e;  ///< JMP32-class values RFC 9669 leaves unused

}  // namespace secengine::ebpf::detail::iop
