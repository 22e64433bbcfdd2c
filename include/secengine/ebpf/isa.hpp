#pragma once
/// \file The eBPF instruction set (RFC 9669): encoding, opcode fields and constants.
///
/// An instruction is 64 bits, little-endian: opcode (8), dst_reg (4, low nibble), src_reg (4),
/// offset (16, signed), imm (32, signed) - RFC 9669 section 3. `lddw` uses two slots
/// (section 5.4): the second slot carries the upper 32 bits of the immediate.
#include <cstdint>

namespace secengine::ebpf {

/// One raw eBPF instruction slot (RFC 9669 section 3, little-endian layout).
struct insn {
    std::uint8_t opcode = 0;
    std::uint8_t regs = 0;  ///< dst in the low nibble, src in the high nibble
    std::int16_t off = 0;
    std::int32_t imm = 0;

    [[nodiscard]] constexpr std::uint8_t dst() const noexcept { return regs & 0x0f; }
    [[nodiscard]] constexpr std::uint8_t src() const noexcept { return static_cast<std::uint8_t>(regs >> 4); }

    /// Build an instruction from its fields.
    [[nodiscard]] static constexpr insn make(std::uint8_t op, std::uint8_t dst, std::uint8_t src, std::int16_t off,
                                             std::int32_t imm) noexcept {
        return insn{op, static_cast<std::uint8_t>((dst & 0x0f) | ((src & 0x0f) << 4)), off, imm};
    }
    /// The 64-bit little-endian encoding (as in an ELF section or a `-- raw` line).
    [[nodiscard]] constexpr std::uint64_t encode() const noexcept {
        return std::uint64_t{opcode} | (std::uint64_t{regs} << 8) |
               (std::uint64_t{static_cast<std::uint16_t>(off)} << 16) |
               (std::uint64_t{static_cast<std::uint32_t>(imm)} << 32);
    }
    [[nodiscard]] static constexpr insn decode(std::uint64_t v) noexcept {
        return insn{static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                    static_cast<std::int16_t>(static_cast<std::uint16_t>(v >> 16)),
                    static_cast<std::int32_t>(static_cast<std::uint32_t>(v >> 32))};
    }
    friend constexpr bool operator==(const insn&, const insn&) = default;
};
static_assert(sizeof(insn) == 8, "RFC 9669: instructions are 64 bits");

/// Opcode fields (RFC 9669 sections 3.3, 4, 5).
namespace op {
// Instruction classes (low 3 bits).
inline constexpr std::uint8_t cls_ld = 0x00, cls_ldx = 0x01, cls_st = 0x02, cls_stx = 0x03, cls_alu = 0x04,
                              cls_jmp = 0x05, cls_jmp32 = 0x06, cls_alu64 = 0x07;
[[nodiscard]] constexpr std::uint8_t cls(std::uint8_t opcode) noexcept { return opcode & 0x07; }
// Arithmetic and jump source bit (K = immediate, X = register).
inline constexpr std::uint8_t src_k = 0x00, src_x = 0x08;
// Arithmetic operations (high 4 bits).
inline constexpr std::uint8_t add = 0x00, sub = 0x10, mul = 0x20, div = 0x30, or_ = 0x40, and_ = 0x50, lsh = 0x60,
                              rsh = 0x70, neg = 0x80, mod = 0x90, xor_ = 0xa0, mov = 0xb0, arsh = 0xc0, end = 0xd0;
// Jump operations (high 4 bits).
inline constexpr std::uint8_t ja = 0x00, jeq = 0x10, jgt = 0x20, jge = 0x30, jset = 0x40, jne = 0x50, jsgt = 0x60,
                              jsge = 0x70, call = 0x80, exit = 0x90, jlt = 0xa0, jle = 0xb0, jslt = 0xc0,
                              jsle = 0xd0;
// Load/store size (bits 3-4) and mode (bits 5-7).
inline constexpr std::uint8_t sz_w = 0x00, sz_h = 0x08, sz_b = 0x10, sz_dw = 0x18;
inline constexpr std::uint8_t mode_imm = 0x00, mode_abs = 0x20, mode_ind = 0x40, mode_mem = 0x60, mode_memsx = 0x80,
                              mode_atomic = 0xc0;
[[nodiscard]] constexpr unsigned size_bytes(std::uint8_t opcode) noexcept {
    switch (opcode & 0x18) {
        case sz_w: return 4;
        case sz_h: return 2;
        case sz_b: return 1;
        default: return 8;
    }
}
// Atomic operations (imm field, RFC 9669 section 5.3).
inline constexpr std::int32_t atomic_fetch = 0x01, atomic_xchg = 0xe0 | atomic_fetch,
                              atomic_cmpxchg = 0xf0 | atomic_fetch;
// Common full opcodes.
inline constexpr std::uint8_t lddw = cls_ld | mode_imm | sz_dw;       // 0x18
inline constexpr std::uint8_t exit_insn = cls_jmp | exit;             // 0x95
inline constexpr std::uint8_t call_insn = cls_jmp | call;             // 0x85
inline constexpr std::uint8_t callx_insn = cls_jmp | call | src_x;    // 0x8d
inline constexpr std::uint8_t ja_insn = cls_jmp | ja;                 // 0x05
inline constexpr std::uint8_t ja32_insn = cls_jmp32 | ja;             // 0x06
// src_reg values of `call` (RFC 9669 section 4.3.1) and of `lddw` (section 5.4).
inline constexpr std::uint8_t call_helper = 0, call_local = 1;
inline constexpr std::uint8_t pseudo_map_fd = 1;
}  // namespace op

/// Helper function ids. 1-3 and 5 are Linux's numbers so an unchanged XDP program links; the
/// counter and trace helpers are ours (ids outside Linux's range).
namespace helper {
inline constexpr std::int32_t map_lookup_elem = 1, map_update_elem = 2, map_delete_elem = 3, ktime_get_ns = 5;
inline constexpr std::int32_t count = 0x5ec0;  ///< u64 sec_count(u32 index, u64 delta): host-visible counter
inline constexpr std::int32_t trace = 0x5ec1;  ///< u64 sec_trace(u64 value): record a value in the trace ring
}  // namespace helper

/// Layout of struct xdp_md (linux/bpf.h): six u32 fields, indexed by offset / 4.
namespace xdp_field {
inline constexpr std::int32_t data = 0, data_end = 1, data_meta = 2, ingress_ifindex = 3, rx_queue_index = 4,
                              egress_ifindex = 5, count = 6;
}

/// XDP verdicts (enum xdp_action in linux/bpf.h).
namespace xdp_action {
inline constexpr std::uint64_t aborted = 0, drop = 1, pass = 2, tx = 3, redirect = 4;
}

/// Register numbers (RFC 9669 section 3.4 calling convention).
inline constexpr unsigned reg_count = 11, reg_fp = 10;
/// Bytes of stack per call frame (RFC 9669 / Linux: 512).
inline constexpr std::int32_t stack_frame_bytes = 512;

}  // namespace secengine::ebpf
