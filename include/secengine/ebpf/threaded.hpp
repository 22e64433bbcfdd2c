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
/// Semantics are vm.hpp's (RFC 9669 section 4), which stays as the reference model and the
/// fallback; tests/ebpf/test_threaded.cpp runs both on random verified programs.
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/internal_ops.hpp>
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
    static const void* const tbl[256] = {
            &&L_bad, &&L_bad, &&L_02, &&L_03, &&L_04, &&L_05, &&L_06, &&L_07, &&L_bad, &&L_bad, &&L_0a, &&L_0b, &&L_0c, &&L_0d, &&L_0e, &&L_0f,
            &&L_bad, &&L_bad, &&L_12, &&L_13, &&L_14, &&L_15, &&L_16, &&L_17, &&L_18, &&L_bad, &&L_1a, &&L_1b, &&L_1c, &&L_1d, &&L_1e, &&L_1f,
            &&L_20, &&L_bad, &&L_bad, &&L_bad, &&L_24, &&L_25, &&L_26, &&L_27, &&L_28, &&L_bad, &&L_bad, &&L_bad, &&L_2c, &&L_2d, &&L_2e, &&L_2f,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_34, &&L_35, &&L_36, &&L_37, &&L_38, &&L_bad, &&L_bad, &&L_bad, &&L_3c, &&L_3d, &&L_3e, &&L_3f,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_44, &&L_45, &&L_46, &&L_47, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_4c, &&L_4d, &&L_4e, &&L_4f,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_54, &&L_55, &&L_56, &&L_57, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_5c, &&L_5d, &&L_5e, &&L_5f,
            &&L_60, &&L_61, &&L_62, &&L_63, &&L_64, &&L_65, &&L_66, &&L_67, &&L_68, &&L_69, &&L_6a, &&L_6b, &&L_6c, &&L_6d, &&L_6e, &&L_6f,
            &&L_70, &&L_71, &&L_72, &&L_73, &&L_74, &&L_75, &&L_76, &&L_77, &&L_78, &&L_79, &&L_7a, &&L_7b, &&L_7c, &&L_7d, &&L_7e, &&L_7f,
            &&L_80, &&L_81, &&L_bad, &&L_bad, &&L_84, &&L_85, &&L_bad, &&L_87, &&L_88, &&L_89, &&L_bad, &&L_bad, &&L_8c, &&L_8d, &&L_bad, &&L_8f,
            &&L_90, &&L_91, &&L_bad, &&L_bad, &&L_94, &&L_95, &&L_bad, &&L_97, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_9c, &&L_9d, &&L_9e, &&L_9f,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_a4, &&L_a5, &&L_a6, &&L_a7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_ac, &&L_ad, &&L_ae, &&L_af,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_b4, &&L_b5, &&L_b6, &&L_b7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_bc, &&L_bd, &&L_be, &&L_bf,
            &&L_bad, &&L_bad, &&L_c2, &&L_c3, &&L_c4, &&L_c5, &&L_c6, &&L_c7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_cc, &&L_cd, &&L_ce, &&L_cf,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_d4, &&L_d5, &&L_d6, &&L_d7, &&L_bad, &&L_bad, &&L_da, &&L_db, &&L_dc, &&L_dd, &&L_de, &&L_bad,
            &&L_bad, &&L_e1, &&L_bad, &&L_bad, &&L_e4, &&L_e5, &&L_e6, &&L_e7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_ec, &&L_ed, &&L_ee, &&L_ef,
            &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_f4, &&L_f5, &&L_f6, &&L_f7, &&L_bad, &&L_bad, &&L_bad, &&L_bad, &&L_fc, &&L_fd, &&L_fe, &&L_ff,
    };
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

#define SE_REG(off) (*reinterpret_cast<std::uint64_t*>(rb + (off)))
#define SE_DST SE_REG(ip->d)
#define SE_SRC SE_REG(ip->s)
#define SE_RAW (raw + (ip - code))
#define SE_IMM64 static_cast<std::uint64_t>(static_cast<std::int64_t>(ip->x))
#define SE_NEXT goto *static_cast<const void*>(base + (++ip)->h)
#define SE_FAULT(f) do { fault = (f); goto L_fault; } while (0)
#define SE_JUMP(o)                                                            \
    do {                                                                      \
        const std::int64_t jo_ = (o);                                         \
        if (jo_ < 0) {                                                        \
            if (budget < static_cast<std::uint64_t>(-jo_)) SE_FAULT(run_fault::budget); \
            budget -= static_cast<std::uint64_t>(-jo_);                       \
        }                                                                     \
        ip += jo_;                                                            \
    } while (0)
#define SE_A64(lk, lx, E)                                 \
    lk: { std::uint64_t& a = SE_DST; const std::uint64_t b = SE_IMM64; (void)b; E; } SE_NEXT; \
    lx: { std::uint64_t& a = SE_DST; const std::uint64_t b = SE_SRC; (void)b; E; } SE_NEXT;
#define SE_A32(lk, lx, E)                                                                  \
    lk: { std::uint32_t a = static_cast<std::uint32_t>(SE_DST); const std::uint32_t b = static_cast<std::uint32_t>(ip->x); (void)b; E; SE_DST = a; } SE_NEXT; \
    lx: { std::uint32_t a = static_cast<std::uint32_t>(SE_DST); const std::uint32_t b = static_cast<std::uint32_t>(SE_SRC); (void)b; E; SE_DST = a; } SE_NEXT;
// Compare-with-immediate jumps read their offset from the decoded slot; register compares have it in x.
#define SE_J64(lk, lx, C)                                                                        \
    lk: { const std::uint64_t a = SE_DST, b = SE_IMM64; if (C) SE_JUMP(SE_RAW->off); } SE_NEXT; \
    lx: { const std::uint64_t a = SE_DST, b = SE_SRC; if (C) SE_JUMP(ip->x); } SE_NEXT;
#define SE_J32(lk, lx, C)                                                                                          \
    lk: { const std::uint32_t a = static_cast<std::uint32_t>(SE_DST), b = static_cast<std::uint32_t>(ip->x); if (C) SE_JUMP(SE_RAW->off); } SE_NEXT; \
    lx: { const std::uint32_t a = static_cast<std::uint32_t>(SE_DST), b = static_cast<std::uint32_t>(SE_SRC); if (C) SE_JUMP(ip->x); } SE_NEXT;
#define SE_S64(v) static_cast<std::int64_t>(v)
#define SE_S32(v) static_cast<std::int32_t>(v)
#define SE_LOAD(T, DT, P) { T v_; __builtin_memcpy(&v_, (P), sizeof v_); SE_DST = static_cast<std::uint64_t>(static_cast<DT>(v_)); } SE_NEXT;
#define SE_ADDR(R, O) ((R) + static_cast<std::uint64_t>(static_cast<std::int64_t>(O)))
#define SE_PADDR(R, O) reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(SE_ADDR(R, O)))
#define SE_CADDR(R, O, N)                                           \
    std::byte* p_ = detail::checked_addr(env, SE_ADDR(R, O), (N));  \
    if (p_ == nullptr) SE_FAULT(run_fault::bad_access);

    goto *static_cast<const void*>(base + ip->h);

    // ---- ALU64 ----
    SE_A64(L_07, L_0f, a += b)
    SE_A64(L_17, L_1f, a -= b)
    SE_A64(L_27, L_2f, a *= b)
    SE_A64(L_37, L_3f, a = b ? a / b : 0)
    SE_A64(L_47, L_4f, a |= b)
    SE_A64(L_57, L_5f, a &= b)
    SE_A64(L_67, L_6f, a <<= (b & 63))
    SE_A64(L_77, L_7f, a >>= (b & 63))
    SE_A64(L_97, L_9f, a = b ? a % b : a)
    SE_A64(L_a7, L_af, a ^= b)
    SE_A64(L_b7, L_bf, a = b)
    SE_A64(L_c7, L_cf, a = static_cast<std::uint64_t>(SE_S64(a) >> (b & 63)))
    SE_A64(L_e7, L_ef, a = SE_S64(b) == 0 ? 0 : (SE_S64(b) == -1 ? 0 - a : static_cast<std::uint64_t>(SE_S64(a) / SE_S64(b))))
    SE_A64(L_f7, L_ff, a = SE_S64(b) == 0 ? a : (SE_S64(b) == -1 ? 0 : static_cast<std::uint64_t>(SE_S64(a) % SE_S64(b))))
L_87: SE_DST = 0 - SE_DST; SE_NEXT;
L_8f: {  // movsx64: x holds the width
    const std::uint64_t s = SE_SRC;
    SE_DST = ip->x == 8 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(s)))
           : ip->x == 16 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int16_t>(s)))
                         : static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(s)));
} SE_NEXT;
L_d7:
L_dc: {
    std::uint64_t& a = SE_DST;
    a = ip->x == 16 ? __builtin_bswap16(static_cast<std::uint16_t>(a))
      : ip->x == 32 ? __builtin_bswap32(static_cast<std::uint32_t>(a)) : __builtin_bswap64(a);
} SE_NEXT;
L_d4: {
    std::uint64_t& a = SE_DST;
    a = ip->x == 16 ? static_cast<std::uint16_t>(a) : ip->x == 32 ? static_cast<std::uint32_t>(a) : a;
} SE_NEXT;
    // ---- ALU32 ----
    SE_A32(L_04, L_0c, a += b)
    SE_A32(L_14, L_1c, a -= b)
    SE_A32(L_24, L_2c, a *= b)
    SE_A32(L_34, L_3c, a = b ? a / b : 0)
    SE_A32(L_44, L_4c, a |= b)
    SE_A32(L_54, L_5c, a &= b)
    SE_A32(L_64, L_6c, a <<= (b & 31))
    SE_A32(L_74, L_7c, a >>= (b & 31))
    SE_A32(L_94, L_9c, a = b ? a % b : a)
    SE_A32(L_a4, L_ac, a ^= b)
    SE_A32(L_b4, L_bc, a = b)
    SE_A32(L_c4, L_cc, a = static_cast<std::uint32_t>(SE_S32(a) >> (b & 31)))
    SE_A32(L_e4, L_ec, a = SE_S32(b) == 0 ? 0u : (SE_S32(b) == -1 ? 0u - a : static_cast<std::uint32_t>(SE_S32(a) / SE_S32(b))))
    SE_A32(L_f4, L_fc, a = SE_S32(b) == 0 ? a : (SE_S32(b) == -1 ? 0u : static_cast<std::uint32_t>(SE_S32(a) % SE_S32(b))))
L_84: SE_DST = static_cast<std::uint32_t>(0u - static_cast<std::uint32_t>(SE_DST)); SE_NEXT;
L_8c: {
    const std::uint64_t s = SE_SRC;
    SE_DST = ip->x == 8 ? static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(s)))
                        : static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int16_t>(s)));
} SE_NEXT;
    // ---- jumps ----
L_05: SE_JUMP(ip->x); SE_NEXT;
L_06: SE_JUMP(ip->x); SE_NEXT;
    SE_J64(L_15, L_1d, a == b)
    SE_J64(L_25, L_2d, a > b)
    SE_J64(L_35, L_3d, a >= b)
    SE_J64(L_45, L_4d, (a & b) != 0)
    SE_J64(L_55, L_5d, a != b)
    SE_J64(L_65, L_6d, SE_S64(a) > SE_S64(b))
    SE_J64(L_75, L_7d, SE_S64(a) >= SE_S64(b))
    SE_J64(L_a5, L_ad, a < b)
    SE_J64(L_b5, L_bd, a <= b)
    SE_J64(L_c5, L_cd, SE_S64(a) < SE_S64(b))
    SE_J64(L_d5, L_dd, SE_S64(a) <= SE_S64(b))
    SE_J32(L_16, L_1e, a == b)
    SE_J32(L_26, L_2e, a > b)
    SE_J32(L_36, L_3e, a >= b)
    SE_J32(L_46, L_4e, (a & b) != 0)
    SE_J32(L_56, L_5e, a != b)
    SE_J32(L_66, L_6e, SE_S32(a) > SE_S32(b))
    SE_J32(L_76, L_7e, SE_S32(a) >= SE_S32(b))
    SE_J32(L_a6, L_ae, a < b)
    SE_J32(L_b6, L_be, a <= b)
    SE_J32(L_c6, L_ce, SE_S32(a) < SE_S32(b))
    SE_J32(L_d6, L_de, SE_S32(a) <= SE_S32(b))
L_85: {
    bool bad = false;
    r[0] = detail::call_helper(env, ip->x, r, bad);
    if (bad) SE_FAULT(run_fault::bad_helper);
} SE_NEXT;
L_8d: {
    // callx: only the argument-free helpers may be reached indirectly (as in vm.hpp).
    const std::uint64_t id = SE_DST;
    bool bad = id != static_cast<std::uint64_t>(helper::ktime_get_ns) && id != static_cast<std::uint64_t>(helper::count) &&
               id != static_cast<std::uint64_t>(helper::trace);
    if (!bad) r[0] = detail::call_helper(env, static_cast<std::int32_t>(id), r, bad);
    if (bad) SE_FAULT(run_fault::bad_helper);
} SE_NEXT;
L_e5: {
    if (depth + 1 >= MaxFrames || depth >= env.frames.size() ||
        env.stack_bytes < static_cast<std::size_t>(stack_frame_bytes) * (depth + 2))
        SE_FAULT(run_fault::call_depth);
    call_frame& f = env.frames[depth++];
    f.ret = raw + (ip - code);  // frames hold decoded positions (shared with vm.hpp)
    for (unsigned k = 0; k < 5; ++k) f.saved[k] = r[6 + k];
    r[10] -= static_cast<std::uint64_t>(stack_frame_bytes);
    ip += ip->x;
} SE_NEXT;
L_95:
    if (depth == 0) {
        return {run_fault::none, static_cast<std::uint32_t>(ip - code), r[0]};
    } else {
        const call_frame& f = env.frames[--depth];
        for (unsigned k = 0; k < 5; ++k) r[6 + k] = f.saved[k];
        ip = code + (f.ret - raw);
    }
    SE_NEXT;
    // ---- lddw ----
L_18: SE_DST = static_cast<std::uint32_t>(ip->x) | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(ip[1].x)) << 32);
    ++ip;
    SE_NEXT;
L_38: SE_DST = static_cast<std::uint32_t>(ip->x); ++ip; SE_NEXT;
L_20:
    SE_DST = env.ctx[static_cast<std::uint32_t>(ip->x)];
    ++ip;
    SE_DST = env.ctx[static_cast<std::uint32_t>(ip->x)];
    SE_NEXT;
L_28:
    r[0] = SE_IMM64;
    ++ip;
    goto L_95;
L_e1: SE_DST = env.ctx[static_cast<std::uint32_t>(ip->x)]; SE_NEXT;
    // ---- loads (x = offset): proven ----
L_61: SE_LOAD(std::uint32_t, std::uint32_t, SE_PADDR(SE_SRC, ip->x))
L_69: SE_LOAD(std::uint16_t, std::uint16_t, SE_PADDR(SE_SRC, ip->x))
L_71: SE_LOAD(std::uint8_t, std::uint8_t, SE_PADDR(SE_SRC, ip->x))
L_79: SE_LOAD(std::uint64_t, std::uint64_t, SE_PADDR(SE_SRC, ip->x))
L_81: SE_LOAD(std::int32_t, std::int64_t, SE_PADDR(SE_SRC, ip->x))
L_89: SE_LOAD(std::int16_t, std::int64_t, SE_PADDR(SE_SRC, ip->x))
L_91: SE_LOAD(std::int8_t, std::int64_t, SE_PADDR(SE_SRC, ip->x))
    // ---- loads: checked ----
L_60: { SE_CADDR(SE_SRC, ip->x, 4) SE_LOAD(std::uint32_t, std::uint32_t, p_) }
L_68: { SE_CADDR(SE_SRC, ip->x, 2) SE_LOAD(std::uint16_t, std::uint16_t, p_) }
L_70: { SE_CADDR(SE_SRC, ip->x, 1) SE_LOAD(std::uint8_t, std::uint8_t, p_) }
L_78: { SE_CADDR(SE_SRC, ip->x, 8) SE_LOAD(std::uint64_t, std::uint64_t, p_) }
L_80: { SE_CADDR(SE_SRC, ip->x, 4) SE_LOAD(std::int32_t, std::int64_t, p_) }
L_88: { SE_CADDR(SE_SRC, ip->x, 2) SE_LOAD(std::int16_t, std::int64_t, p_) }
L_90: { SE_CADDR(SE_SRC, ip->x, 1) SE_LOAD(std::int8_t, std::int64_t, p_) }
    // ---- stores: immediate stores read the offset from the decoded slot, register stores have it in x ----
#define SE_STORE(T, P, V) { const T v_ = static_cast<T>(V); __builtin_memcpy((P), &v_, sizeof v_); } SE_NEXT;
L_62: SE_STORE(std::uint32_t, SE_PADDR(SE_DST, SE_RAW->off), ip->x)
L_6a: SE_STORE(std::uint16_t, SE_PADDR(SE_DST, SE_RAW->off), ip->x)
L_72: SE_STORE(std::uint8_t, SE_PADDR(SE_DST, SE_RAW->off), ip->x)
L_7a: SE_STORE(std::uint64_t, SE_PADDR(SE_DST, SE_RAW->off), SE_IMM64)
L_63: SE_STORE(std::uint32_t, SE_PADDR(SE_DST, ip->x), SE_SRC)
L_6b: SE_STORE(std::uint16_t, SE_PADDR(SE_DST, ip->x), SE_SRC)
L_73: SE_STORE(std::uint8_t, SE_PADDR(SE_DST, ip->x), SE_SRC)
L_7b: SE_STORE(std::uint64_t, SE_PADDR(SE_DST, ip->x), SE_SRC)
L_02: { SE_CADDR(SE_DST, SE_RAW->off, 4) SE_STORE(std::uint32_t, p_, ip->x) }
L_0a: { SE_CADDR(SE_DST, SE_RAW->off, 2) SE_STORE(std::uint16_t, p_, ip->x) }
L_12: { SE_CADDR(SE_DST, SE_RAW->off, 1) SE_STORE(std::uint8_t, p_, ip->x) }
L_1a: { SE_CADDR(SE_DST, SE_RAW->off, 8) SE_STORE(std::uint64_t, p_, SE_IMM64) }
L_03: { SE_CADDR(SE_DST, ip->x, 4) SE_STORE(std::uint32_t, p_, SE_SRC) }
L_0b: { SE_CADDR(SE_DST, ip->x, 2) SE_STORE(std::uint16_t, p_, SE_SRC) }
L_13: { SE_CADDR(SE_DST, ip->x, 1) SE_STORE(std::uint8_t, p_, SE_SRC) }
L_1b: { SE_CADDR(SE_DST, ip->x, 8) SE_STORE(std::uint64_t, p_, SE_SRC) }
    // ---- atomics: x = the operation, the offset is in the decoded slot ----
L_c3: detail::atomic_rmw<std::uint32_t>(SE_PADDR(SE_DST, SE_RAW->off), ip->x, SE_SRC, r[0]); SE_NEXT;
L_db: detail::atomic_rmw<std::uint64_t>(SE_PADDR(SE_DST, SE_RAW->off), ip->x, SE_SRC, r[0]); SE_NEXT;
L_c2: { SE_CADDR(SE_DST, SE_RAW->off, 4) detail::atomic_rmw<std::uint32_t>(p_, ip->x, SE_SRC, r[0]); } SE_NEXT;
L_da: { SE_CADDR(SE_DST, SE_RAW->off, 8) detail::atomic_rmw<std::uint64_t>(p_, ip->x, SE_SRC, r[0]); } SE_NEXT;

    // ---- superinstructions (detail/fuse.hpp): the jump is relative to the group's last slot ----
L_f5: {  // mov X, A; add X, K; jgt X, B: slot 0 has X and A, slot 1 K, slot 2 B and the offset
    std::uint64_t& v = SE_DST;
    v = SE_SRC + static_cast<std::uint64_t>(static_cast<std::int64_t>(ip[1].x));
    ip += 2;
    if (v > SE_SRC) SE_JUMP(ip->x);
} SE_NEXT;
#define SE_LDJ(L, T, EQ)                                                          \
    L: {                                                                          \
        T v_;                                                                     \
        __builtin_memcpy(&v_, SE_PADDR(SE_SRC, ip->x), sizeof v_);                \
        SE_DST = v_;                                                              \
        ++ip;                                                                     \
        if ((static_cast<std::uint64_t>(v_) == SE_IMM64) == (EQ)) SE_JUMP(ip->h); \
    }                                                                             \
    SE_NEXT;
    SE_LDJ(L_e6, std::uint8_t, true)
    SE_LDJ(L_ee, std::uint8_t, false)
    SE_LDJ(L_f6, std::uint16_t, true)
    SE_LDJ(L_fe, std::uint16_t, false)
    SE_LDJ(L_ed, std::uint32_t, true)
    SE_LDJ(L_fd, std::uint32_t, false)
#undef SE_LDJ
#define SE_AJ(L, OP, EQ)                                                    \
    L: {                                                                    \
        std::uint64_t& a = SE_DST;                                          \
        a OP SE_IMM64;                                                      \
        ++ip;                                                               \
        if ((a == SE_IMM64) == (EQ)) SE_JUMP(ip->h);                        \
    }                                                                       \
    SE_NEXT;
    SE_AJ(L_0d, +=, true)
    SE_AJ(L_0e, +=, false)
    SE_AJ(L_9d, -=, true)
    SE_AJ(L_9e, -=, false)
#undef SE_AJ

L_bad:
    fault = run_fault::bad_opcode;
L_fault:
    return {fault, static_cast<std::uint32_t>(ip - code), 0};

#undef SE_REG
#undef SE_DST
#undef SE_SRC
#undef SE_RAW
#undef SE_IMM64
#undef SE_NEXT
#undef SE_FAULT
#undef SE_JUMP
#undef SE_A64
#undef SE_A32
#undef SE_J64
#undef SE_J32
#undef SE_S64
#undef SE_S32
#undef SE_LOAD
#undef SE_ADDR
#undef SE_PADDR
#undef SE_CADDR
#undef SE_STORE
}

}  // namespace secengine::ebpf
