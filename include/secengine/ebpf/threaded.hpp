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

/// The interpreter's handler addresses, exported for the translator (label addresses exist only
/// inside the function that defines the labels).
struct handler_map {
    const char* base = nullptr;
    const void* const* table = nullptr;  ///< 256 handlers, indexed by decoded opcode
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
        const std::intptr_t h = reinterpret_cast<std::intptr_t>(m.table[i.opcode]) - reinterpret_cast<std::intptr_t>(m.base);
        if (h < INT16_MIN || h > INT16_MAX) return false;
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
    const char* const base = static_cast<const char*>(&&L_bad);
    if (export_handlers != nullptr) [[unlikely]] {
        export_handlers->base = base;
        export_handlers->table = tbl;
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
