#pragma once
/// \file The direct-threaded eBPF interpreter: runs a verified program over a threaded form.
///
/// Why (docs/ebpf.md, "Interpreter"; docs/performance/fastpath.md): the byte-dispatch interpreter
/// (vm.hpp) decodes 4-bit register fields in every handler (mask, shift, scale) and dispatches
/// through a 256-entry table (load opcode, scale, add, load, jump). After verification and fusion
/// each decoded instruction gets a parallel 8-byte `tslot` holding what the handlers need in the
/// form they use it: the handler as a 16-bit offset from a base label (direct threading, Bell 1973
/// "Threaded code"; the label-difference form is the one GCC's manual gives for "Labels as
/// Values"), the register operands pre-scaled to byte offsets into the register file, and a
/// 32-bit operand that is the immediate or, where the instruction has no immediate, its offset
/// (jump displacement, memory offset). Dispatch is load, add, jump; an operand is load, add.
/// Fields not in the slot (the offset of a compare-with-immediate jump, a store's immediate's
/// offset) are read from the decoded instruction at the same index.
///
/// The handler bodies are vm.hpp's: both interpreters include detail/handlers.inc (semantics in
/// detail/op_table.hpp) and differ only in where an operand is read from. vm.hpp stays as the
/// reference model and the host's fallback; tests/ebpf/test_threaded.cpp runs both on random
/// verified programs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/detail/op_table.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/vm.hpp>

namespace secengine::ebpf {

/// One threaded instruction, parallel to the decoded instruction with the same index.
struct tslot {
    std::int16_t h = 0;   ///< handler address - base label (in a fused group's unreached jump slot: the jump offset)
    std::uint8_t d = 0;   ///< dst register * 8 (byte offset into register_file)
    std::uint8_t s = 0;   ///< src register * 8
    std::int32_t x = 0;   ///< the immediate, or the offset when the instruction has no immediate
};
static_assert(sizeof(tslot) == 8, "a threaded slot costs 8 bytes of RAM per instruction");

namespace detail {

/// Opcodes with a handler per destination register r0..r9 (r10 is read-only): the hot 64-bit
/// ALU forms, the proven loads and the fused shift pair and add/sub+jeq/jne, in the row order of
/// run_threaded's table. Each row costs ten small handlers of .text (docs/ebpf.md, "Interpreter").
inline constexpr std::uint8_t spec_ops[] = {0x07, 0x0f, 0x17, 0x1f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x77, 0xa7, 0xaf,
                                            0xb7, 0xbf, 0x61, 0x69, 0x71, 0x79, iop::lsh_rsh, iop::add_jeq,
                                            iop::add_jne, iop::sub_jeq, iop::sub_jne};
inline constexpr std::size_t spec_rows = sizeof spec_ops, spec_regs = 10;

/// Row of each opcode in the specialised table, or -1: a 256-byte table in read-only data, so
/// translating costs one load per instruction (it runs at every boot for the default program).
inline constexpr auto spec_row_of = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (std::size_t k = 0; k < spec_rows; ++k) t[spec_ops[k]] = static_cast<std::int8_t>(k);
    return t;
}();
[[nodiscard]] constexpr int spec_row(std::uint8_t opc) noexcept { return spec_row_of[opc]; }
static_assert(spec_row(0x07) == 0 && spec_row(iop::sub_jne) == static_cast<int>(spec_rows) - 1 && spec_row(0x95) == -1);

}  // namespace detail

/// The interpreter's handler addresses, exported for the translator (label addresses exist only
/// inside the function that defines the labels).
struct handler_map {
    const char* base = nullptr;
    const void* const* table = nullptr;                               ///< 256 handlers, indexed by decoded opcode
    const void* const (*spec)[detail::spec_regs] = nullptr;          ///< detail::spec_ops rows x r0..r9
};

namespace detail {

/// Whether `x` of a threaded slot holds the instruction's offset rather than its immediate:
/// instructions that use the offset and have no immediate of their own.
[[nodiscard]] constexpr bool x_is_offset(std::uint8_t opc) noexcept {
    switch (opc) {
        case 0x05:                                                         // ja
        case iop::movsx32: case iop::movsx64:                              // width in off
        case 0x61: case 0x69: case 0x71: case 0x79: case 0x81: case 0x89: case 0x91:  // loads, proven
        case 0x60: case 0x68: case 0x70: case 0x78: case 0x80: case 0x88: case 0x90:  // loads, checked
        case 0x63: case 0x6b: case 0x73: case 0x7b:                        // stx, proven
        case 0x03: case 0x0b: case 0x13: case 0x1b:                        // stx, checked
        case iop::ldxb_jeq: case iop::ldxb_jne: case iop::ldxh_jeq: case iop::ldxh_jne: case iop::ldxw_jeq:
        case iop::ldxw_jne:
            return true;
        default:
            break;
    }
    // Register-compare jumps (JMP/JMP32 class, X source) other than call, callx and exit.
    const std::uint8_t cls = opc & 0x07, code = opc & 0xf0;
    return (cls == 0x05 || cls == 0x06) && (opc & 0x08) != 0 && code != 0x80 && code != 0x90 && code != 0x00;
}

}  // namespace detail

/// Translate a decoded program into threaded slots. Returns false (and the caller keeps the
/// byte-dispatch interpreter) when a handler lies beyond 16-bit reach of the base label.
inline bool translate(std::span<const insn> code, std::span<tslot> out, const handler_map& m) noexcept {
    if (out.size() < code.size() || m.base == nullptr) return false;
    for (std::size_t k = 0; k < code.size(); ++k) {
        const insn& i = code[k];
        // The handler specialised on the destination register where one exists, else the
        // generic one; a specialised handler out of reach falls back to the generic one.
        const void* hp = m.table[i.opcode];
        const int row = detail::spec_row(i.opcode);
        if (row >= 0 && m.spec != nullptr && i.dst() < detail::spec_regs) hp = m.spec[row][i.dst()];
        std::intptr_t h = reinterpret_cast<std::intptr_t>(hp) - reinterpret_cast<std::intptr_t>(m.base);
        if (h < INT16_MIN || h > INT16_MAX) [[unlikely]] {
            h = reinterpret_cast<std::intptr_t>(m.table[i.opcode]) - reinterpret_cast<std::intptr_t>(m.base);
            if (h < INT16_MIN || h > INT16_MAX) return false;
        }
        tslot& t = out[k];
        t.h = static_cast<std::int16_t>(h);
        t.d = static_cast<std::uint8_t>(i.dst() * 8u);
        t.s = static_cast<std::uint8_t>(i.src() * 8u);
        t.x = detail::x_is_offset(i.opcode) ? i.off : i.imm;
    }
    // Fused groups ending in a compare-with-immediate jump (detail/fuse.hpp): that jump's slot is
    // never dispatched, so its handler field carries the jump offset (saves the decoded load).
    for (std::size_t k = 0; k + 1 < code.size(); ++k) {
        switch (code[k].opcode) {
            case detail::iop::ldxb_jeq: case detail::iop::ldxb_jne: case detail::iop::ldxh_jeq: case detail::iop::ldxh_jne: case detail::iop::ldxw_jeq:
            case detail::iop::ldxw_jne: case detail::iop::add_jeq: case detail::iop::add_jne: case detail::iop::sub_jeq: case detail::iop::sub_jne:
                out[k + 1].h = code[k + 1].off;
                ++k;
                break;
            default: break;
        }
    }
    return true;
}

/// Run a threaded program: `code` (threaded) and `raw` (decoded, same indices) of `n` slots.
/// With `export_handlers` set, only fill it (for translate()) and return.
template <std::size_t MaxFrames>
[[nodiscard]] run_result run_threaded(const tslot* code, const insn* raw, std::size_t n, vm_env& env, register_file& rf,
                                      std::uint64_t r1, std::uint64_t r2, handler_map* export_handlers = nullptr) noexcept {
    static_assert(MaxFrames >= 1 && MaxFrames <= 64);
    static const void* const tbl[256] = SE_EBPF_LABEL_TABLE;
#define SE_ROW(k) {&&L_0x##k##_0, &&L_0x##k##_1, &&L_0x##k##_2, &&L_0x##k##_3, &&L_0x##k##_4, \
                   &&L_0x##k##_5, &&L_0x##k##_6, &&L_0x##k##_7, &&L_0x##k##_8, &&L_0x##k##_9}
    // Rows in the order of detail::spec_ops.
    static const void* const spec[detail::spec_rows][detail::spec_regs] = {
            SE_ROW(07), SE_ROW(0f), SE_ROW(17), SE_ROW(1f), SE_ROW(47), SE_ROW(4f), SE_ROW(57), SE_ROW(5f),
            SE_ROW(67), SE_ROW(77), SE_ROW(a7), SE_ROW(af), SE_ROW(b7), SE_ROW(bf), SE_ROW(61), SE_ROW(69),
            SE_ROW(71), SE_ROW(79), SE_ROW(86), SE_ROW(0d), SE_ROW(0e), SE_ROW(9d), SE_ROW(9e),
    };
#undef SE_ROW
    const char* const base = static_cast<const char*>(&&L_bad);
    if (export_handlers != nullptr) [[unlikely]] {
        export_handlers->base = base;
        export_handlers->table = tbl;
        export_handlers->spec = spec;
        return {};
    }
    if (n == 0) [[unlikely]] return {run_fault::no_program, 0, 0};
    std::size_t depth = 0;
    std::uint64_t budget = env.budget;
    std::uint64_t* const r = rf.r;
    char* const rb = reinterpret_cast<char*>(rf.r);
    r[1] = r1;
    r[2] = r2;
    r[10] = reinterpret_cast<std::uintptr_t>(env.stack) + env.stack_bytes;
    const tslot* ip = code;
    run_fault fault = run_fault::none;

    // Operand accessors of detail/handlers.inc: registers are pre-scaled byte offsets, `x` is the
    // immediate or (detail::x_is_offset) the offset; the other field comes from the decoded slot.
#define SE_REG(off) (*reinterpret_cast<std::uint64_t*>(rb + (off)))
#define SE_DST SE_REG(ip->d)
#define SE_SRC SE_REG(ip->s)
#define SE_IMM ip->x
#define SE_IMM_AT(k) ip[k].x
#define SE_OFF ip->x
#define SE_OFF_K (raw + (ip - code))->off
#define SE_OFF_F ip->h
#define SE_NEXT goto *static_cast<const void*>(base + (++ip)->h)
#define SE_POS (raw + (ip - code))  // frames hold decoded positions (shared with vm.hpp)
#define SE_AT_POS(p) (code + ((p) - raw))
#define SE_PC static_cast<std::uint32_t>(ip - code)

    goto *static_cast<const void*>(base + ip->h);
#include <secengine/ebpf/detail/handlers.inc>

    // ---- destination-specialised handlers: register r<R> is a constant offset from the
    // register file (no field load, no scaling), for the opcodes of detail::spec_ops ----
#define SE_R10(M, k, E) M(k, 0, E) M(k, 1, E) M(k, 2, E) M(k, 3, E) M(k, 4, E) M(k, 5, E) M(k, 6, E) M(k, 7, E) M(k, 8, E) M(k, 9, E)
#define SE_SK(k, R, E)                 \
    L_0x##k##_##R : {                  \
        std::uint64_t& a = r[R];       \
        const std::uint64_t b = SE_IMM64; \
        E;                             \
    }                                  \
    SE_NEXT;
#define SE_SX(k, R, E)                 \
    L_0x##k##_##R : {                  \
        std::uint64_t& a = r[R];       \
        const std::uint64_t b = SE_SRC;   \
        E;                             \
    }                                  \
    SE_NEXT;
#define SE_SLD(k, R, T)                                            \
    L_0x##k##_##R : {                                              \
        T v_;                                                      \
        __builtin_memcpy(&v_, SE_PADDR(SE_SRC, SE_OFF), sizeof v_); \
        r[R] = v_;                                                 \
    }                                                              \
    SE_NEXT;
#define SE_SAJ(k, R, E, EQ)                                   \
    L_0x##k##_##R : {                                         \
        std::uint64_t& a = r[R];                              \
        const std::uint64_t b = SE_IMM64;                     \
        E;                                                    \
        ++ip;                                                 \
        if ((a == SE_IMM64) == (EQ)) SE_JUMP(SE_OFF_F);       \
    }                                                         \
    SE_NEXT;
#define SE_SAJ_ADD_EQ(k, R, E) SE_SAJ(k, R, E, true)
#define SE_SAJ_ADD_NE(k, R, E) SE_SAJ(k, R, E, false)
#define SE_SSHP(k, R, E)                                          \
    L_0x##k##_##R : {                                             \
        std::uint64_t& a = r[R];                                  \
        const auto k1 = static_cast<std::uint32_t>(SE_IMM);       \
        const auto k2 = static_cast<std::uint32_t>(SE_IMM_AT(1)); \
        E;                                                        \
        ++ip;                                                     \
    }                                                             \
    SE_NEXT;
    SE_R10(SE_SK, 07, SE_EBPF_E_ADD)
    SE_R10(SE_SX, 0f, SE_EBPF_E_ADD)
    SE_R10(SE_SK, 17, SE_EBPF_E_SUB)
    SE_R10(SE_SX, 1f, SE_EBPF_E_SUB)
    SE_R10(SE_SK, 47, SE_EBPF_E_OR)
    SE_R10(SE_SX, 4f, SE_EBPF_E_OR)
    SE_R10(SE_SK, 57, SE_EBPF_E_AND)
    SE_R10(SE_SX, 5f, SE_EBPF_E_AND)
    SE_R10(SE_SK, 67, SE_EBPF_E_LSH)
    SE_R10(SE_SK, 77, SE_EBPF_E_RSH)
    SE_R10(SE_SK, a7, SE_EBPF_E_XOR)
    SE_R10(SE_SX, af, SE_EBPF_E_XOR)
    SE_R10(SE_SK, b7, SE_EBPF_E_MOV)
    SE_R10(SE_SX, bf, SE_EBPF_E_MOV)
    SE_R10(SE_SLD, 61, std::uint32_t)
    SE_R10(SE_SLD, 69, std::uint16_t)
    SE_R10(SE_SLD, 71, std::uint8_t)
    SE_R10(SE_SLD, 79, std::uint64_t)
    SE_R10(SE_SSHP, 86, SE_EBPF_E_LSH_RSH)
    SE_R10(SE_SAJ_ADD_EQ, 0d, SE_EBPF_E_ADD)
    SE_R10(SE_SAJ_ADD_NE, 0e, SE_EBPF_E_ADD)
    SE_R10(SE_SAJ_ADD_EQ, 9d, SE_EBPF_E_SUB)
    SE_R10(SE_SAJ_ADD_NE, 9e, SE_EBPF_E_SUB)
#undef SE_SK
#undef SE_SX
#undef SE_SLD
#undef SE_SAJ
#undef SE_SAJ_ADD_EQ
#undef SE_SAJ_ADD_NE
#undef SE_SSHP
#undef SE_R10

#undef SE_IMM64
#undef SE_FAULT
#undef SE_JUMP
#undef SE_ADDR
#undef SE_PADDR
#undef SE_CADDR
#undef SE_REG
#undef SE_DST
#undef SE_SRC
#undef SE_IMM
#undef SE_IMM_AT
#undef SE_OFF
#undef SE_OFF_K
#undef SE_OFF_F
#undef SE_NEXT
#undef SE_POS
#undef SE_AT_POS
#undef SE_PC
}

}  // namespace secengine::ebpf
