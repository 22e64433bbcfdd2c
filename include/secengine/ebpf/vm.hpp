#pragma once
/// \file The eBPF interpreter: runs a verified, pre-decoded program.
///
/// Speed choices (docs/ebpf.md, "Interpreter"): the program is pre-decoded by the verifier into
/// internal opcodes, so dispatch is one indirect jump per instruction through a 256-entry label
/// table (computed goto, a GNU extension both g++ and clang++ accept); accesses the verifier
/// proved in bounds carry no check; the only per-run setup is the registers. Semantics follow
/// RFC 9669 section 4 exactly: division by zero yields 0, modulo by zero leaves dst, shift
/// amounts are masked, 32-bit operations zero-extend, INT_MIN / -1 wraps and INT_MIN % -1 is 0.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secengine::ebpf {

static_assert(std::endian::native == std::endian::little, "the VM loads eBPF's little-endian words natively");

/// A saved caller frame of a bpf-to-bpf call (RFC 9669 3.4: r6-r9 are callee-saved; r10 too).
struct call_frame {
    const insn* ret = nullptr;
    std::uint64_t saved[5] = {};
};

/// Everything a run can touch: the packet, the stack, the maps, the XDP context and helper state.
struct vm_env {
    std::byte* pkt = nullptr;  ///< packet (XDP) or input memory (raw)
    std::byte* pkt_end = nullptr;
    std::byte* stack = nullptr;  ///< all call frames; r10 starts at stack + stack_bytes
    std::size_t stack_bytes = 0;
    map_view* maps = nullptr;
    std::array<std::uint64_t, xdp_field::count> ctx{};  ///< rewritten struct xdp_md loads read these
    std::uint64_t now_ns = 0;                         ///< bpf_ktime_get_ns (time is a parameter)
    std::span<std::uint64_t> counters{};              ///< sec_count targets, host-readable
    std::span<std::uint64_t> trace{};                 ///< sec_trace ring, host-readable
    std::uint64_t trace_total = 0;
    std::uint64_t budget = 1u << 20;  ///< back-edge budget per run (instructions of loop bodies)
    std::span<call_frame> frames{};   ///< saved frames of local calls (owned by the program slot)
};

/// The register file of a run. It is owned by the program slot (not run()'s stack) so that a run
/// sets only r1, r2 and r10: the verifier rejects every read of a register before its first
/// write (rule `uninit_register`), so values left by an earlier run are never observed, and r6-r9
/// (copied by local calls whatever they hold) always hold defined values.
struct register_file {
    std::uint64_t r[reg_count];
};

/// Result of one run: r0 at the final exit, or the fault and its pc.
struct run_result {
    run_fault fault = run_fault::none;
    std::uint32_t pc = 0;
    std::uint64_t r0 = 0;
    [[nodiscard]] constexpr bool ok() const noexcept { return fault == run_fault::none; }
};

namespace detail {

/// Address check for accesses the verifier could not prove: packet, stack or map values.
[[nodiscard]] inline std::byte* checked_addr(const vm_env& e, std::uint64_t a, std::size_t size) noexcept {
    auto in = [a, size](const std::byte* lo, std::size_t len) {
        std::uint64_t d = a - reinterpret_cast<std::uintptr_t>(lo);
        return lo != nullptr && len >= size && d <= len - size;
    };
    if (in(e.pkt, static_cast<std::size_t>(e.pkt_end - e.pkt)) || in(e.stack, e.stack_bytes) ||
        (e.maps != nullptr && in(e.maps->values_begin(), e.maps->values_bytes())))
        return reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(a));
    return nullptr;
}

/// Helper dispatch (ids in isa.hpp). Pointer arguments are re-checked here: the verifier proves
/// their kind, the address check proves their extent.
inline std::uint64_t call_helper(vm_env& e, std::int32_t id, const std::uint64_t* r, bool& bad) noexcept {
    switch (id) {
        case helper::map_lookup_elem:
        case helper::map_update_elem:
        case helper::map_delete_elem: {
            if (e.maps == nullptr || r[1] >= e.maps->size()) return id == helper::map_lookup_elem ? 0 : static_cast<std::uint64_t>(map_errno::inval);
            auto m = static_cast<std::uint32_t>(r[1]);
            const map_spec& s = e.maps->spec(m);
            const std::byte* key = checked_addr(e, r[2], s.key_size);
            if (id == helper::map_lookup_elem)
                return key ? reinterpret_cast<std::uintptr_t>(e.maps->lookup(m, key)) : 0;
            if (key == nullptr) return static_cast<std::uint64_t>(map_errno::fault);
            if (id == helper::map_delete_elem) return static_cast<std::uint64_t>(e.maps->remove(m, key));
            const std::byte* val = checked_addr(e, r[3], s.value_size);
            if (val == nullptr) return static_cast<std::uint64_t>(map_errno::fault);
            return static_cast<std::uint64_t>(e.maps->update(m, key, val, r[4]));
        }
        case helper::ktime_get_ns: return e.now_ns;
        case helper::count:
            if (e.counters.empty()) return 0;
            return e.counters[r[1] % e.counters.size()] += r[2];
        case helper::trace:
            if (!e.trace.empty()) e.trace[e.trace_total % e.trace.size()] = r[1];
            return ++e.trace_total;
        default: bad = true; return 0;
    }
}

template <class T>
inline void atomic_rmw(std::byte* p, std::int32_t imm, std::uint64_t& src, std::uint64_t& r0) noexcept {
    // The VM runs one program at a time on one hart, so plain read-modify-write is atomic here.
    T old;
    __builtin_memcpy(&old, p, sizeof old);
    const T v = static_cast<T>(src);
    T nv = old;
    switch (imm & ~op::atomic_fetch) {
        case op::add: nv = static_cast<T>(old + v); break;
        case op::or_: nv = static_cast<T>(old | v); break;
        case op::and_: nv = static_cast<T>(old & v); break;
        case op::xor_: nv = static_cast<T>(old ^ v); break;
        default: break;
    }
    if (imm == op::atomic_xchg) nv = v;
    if (imm == op::atomic_cmpxchg) {
        nv = old == static_cast<T>(r0) ? v : old;
        r0 = old;
    } else if (imm & op::atomic_fetch) {
        src = old;
    }
    __builtin_memcpy(p, &nv, sizeof nv);
}

}  // namespace detail

/// Run a verified program (output of verify()). MaxFrames must cover the verifier's max_frames.
template <std::size_t MaxFrames>
[[nodiscard]] run_result run(std::span<const insn> prog, vm_env& env, register_file& rf, std::uint64_t r1,
                             std::uint64_t r2) noexcept {
    static_assert(MaxFrames >= 1 && MaxFrames <= 64);
    std::size_t depth = 0;
    std::uint64_t budget = env.budget;
    if (prog.empty()) [[unlikely]] return {run_fault::no_program, 0, 0};
    // Per-run register set-up: the three the calling convention defines (see register_file).
    std::uint64_t* const r = rf.r;
    r[1] = r1;
    r[2] = r2;
    r[10] = reinterpret_cast<std::uintptr_t>(env.stack) + env.stack_bytes;
    const insn* ip = prog.data();
    run_fault fault = run_fault::none;

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

#define SE_DST r[ip->regs & 0x0f]
#define SE_SRC r[ip->regs >> 4]
#define SE_IMM64 static_cast<std::uint64_t>(static_cast<std::int64_t>(ip->imm))
#define SE_NEXT goto *tbl[(++ip)->opcode]
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
// 64-bit ALU: a = dst (reference), b = operand.
#define SE_A64(lk, lx, E)                                 \
    lk: { std::uint64_t& a = SE_DST; const std::uint64_t b = SE_IMM64; (void)b; E; } SE_NEXT; \
    lx: { std::uint64_t& a = SE_DST; const std::uint64_t b = SE_SRC; (void)b; E; } SE_NEXT;
// 32-bit ALU: a, b are the low halves; the result is zero-extended (RFC 9669 4.1).
#define SE_A32(lk, lx, E)                                                                  \
    lk: { std::uint32_t a = static_cast<std::uint32_t>(SE_DST); const std::uint32_t b = static_cast<std::uint32_t>(ip->imm); (void)b; E; SE_DST = a; } SE_NEXT; \
    lx: { std::uint32_t a = static_cast<std::uint32_t>(SE_DST); const std::uint32_t b = static_cast<std::uint32_t>(SE_SRC); (void)b; E; SE_DST = a; } SE_NEXT;
#define SE_J64(lk, lx, C)                                                                        \
    lk: { const std::uint64_t a = SE_DST, b = SE_IMM64; if (C) SE_JUMP(ip->off); } SE_NEXT; \
    lx: { const std::uint64_t a = SE_DST, b = SE_SRC; if (C) SE_JUMP(ip->off); } SE_NEXT;
#define SE_J32(lk, lx, C)                                                                                          \
    lk: { const std::uint32_t a = static_cast<std::uint32_t>(SE_DST), b = static_cast<std::uint32_t>(ip->imm); if (C) SE_JUMP(ip->off); } SE_NEXT; \
    lx: { const std::uint32_t a = static_cast<std::uint32_t>(SE_DST), b = static_cast<std::uint32_t>(SE_SRC); if (C) SE_JUMP(ip->off); } SE_NEXT;
#define SE_S64(x) static_cast<std::int64_t>(x)
#define SE_S32(x) static_cast<std::int32_t>(x)
// Loads and stores: P = address expression; proven forms use it directly, checked forms verify it.
#define SE_LOAD(T, DT, P) { T v_; __builtin_memcpy(&v_, (P), sizeof v_); SE_DST = static_cast<std::uint64_t>(static_cast<DT>(v_)); } SE_NEXT;
#define SE_PADDR(R) reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>((R) + static_cast<std::uint64_t>(static_cast<std::int64_t>(ip->off))))
#define SE_CADDR(R, N)                                                                         \
    std::byte* p_ = detail::checked_addr(env, (R) + static_cast<std::uint64_t>(static_cast<std::int64_t>(ip->off)), (N)); \
    if (p_ == nullptr) SE_FAULT(run_fault::bad_access);

    goto *tbl[ip->opcode];

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
L_8f: {
    const std::uint64_t s = SE_SRC;
    SE_DST = ip->off == 8 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(s)))
           : ip->off == 16 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int16_t>(s)))
                           : static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(s)));
} SE_NEXT;
L_d7:
L_dc: {
    std::uint64_t& a = SE_DST;
    a = ip->imm == 16 ? __builtin_bswap16(static_cast<std::uint16_t>(a))
      : ip->imm == 32 ? __builtin_bswap32(static_cast<std::uint32_t>(a)) : __builtin_bswap64(a);
} SE_NEXT;
L_d4: {
    std::uint64_t& a = SE_DST;
    a = ip->imm == 16 ? static_cast<std::uint16_t>(a) : ip->imm == 32 ? static_cast<std::uint32_t>(a) : a;
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
    SE_DST = ip->off == 8 ? static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(s)))
                          : static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int16_t>(s)));
} SE_NEXT;
    // ---- jumps ----
L_05: SE_JUMP(ip->off); SE_NEXT;
L_06: SE_JUMP(ip->imm); SE_NEXT;
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
    r[0] = detail::call_helper(env, ip->imm, r, bad);
    if (bad) SE_FAULT(run_fault::bad_helper);
} SE_NEXT;
L_8d: {
    // callx: the helper id is in dst. Map helpers need a verified map handle in r1, so only the
    // argument-free helpers may be reached indirectly.
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
    f.ret = ip;
    for (unsigned k = 0; k < 5; ++k) f.saved[k] = r[6 + k];
    r[10] -= static_cast<std::uint64_t>(stack_frame_bytes);
    ip += ip->imm;
} SE_NEXT;
L_95:
    if (depth == 0) {
        return {run_fault::none, static_cast<std::uint32_t>(ip - prog.data()), r[0]};
    } else {
        const call_frame& f = env.frames[--depth];
        for (unsigned k = 0; k < 5; ++k) r[6 + k] = f.saved[k];
        ip = f.ret;
    }
    SE_NEXT;
    // ---- lddw ----
L_18: SE_DST = static_cast<std::uint32_t>(ip->imm) | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(ip[1].imm)) << 32);
    ++ip;
    SE_NEXT;
L_38: SE_DST = static_cast<std::uint32_t>(ip->imm); ++ip; SE_NEXT;
L_20:
    SE_DST = env.ctx[static_cast<std::uint32_t>(ip->imm)];
    ++ip;
    SE_DST = env.ctx[static_cast<std::uint32_t>(ip->imm)];
    SE_NEXT;
L_28:
    r[0] = SE_IMM64;
    ++ip;
    goto L_95;
// The verifier emits ld_ctx only with imm = field index < xdp_field::count (verifier_step.hpp).
L_e1: SE_DST = env.ctx[static_cast<std::uint32_t>(ip->imm)]; SE_NEXT;
    // ---- loads: proven ----
L_61: SE_LOAD(std::uint32_t, std::uint32_t, SE_PADDR(SE_SRC))
L_69: SE_LOAD(std::uint16_t, std::uint16_t, SE_PADDR(SE_SRC))
L_71: SE_LOAD(std::uint8_t, std::uint8_t, SE_PADDR(SE_SRC))
L_79: SE_LOAD(std::uint64_t, std::uint64_t, SE_PADDR(SE_SRC))
L_81: SE_LOAD(std::int32_t, std::int64_t, SE_PADDR(SE_SRC))
L_89: SE_LOAD(std::int16_t, std::int64_t, SE_PADDR(SE_SRC))
L_91: SE_LOAD(std::int8_t, std::int64_t, SE_PADDR(SE_SRC))
    // ---- loads: checked ----
L_60: { SE_CADDR(SE_SRC, 4) SE_LOAD(std::uint32_t, std::uint32_t, p_) }
L_68: { SE_CADDR(SE_SRC, 2) SE_LOAD(std::uint16_t, std::uint16_t, p_) }
L_70: { SE_CADDR(SE_SRC, 1) SE_LOAD(std::uint8_t, std::uint8_t, p_) }
L_78: { SE_CADDR(SE_SRC, 8) SE_LOAD(std::uint64_t, std::uint64_t, p_) }
L_80: { SE_CADDR(SE_SRC, 4) SE_LOAD(std::int32_t, std::int64_t, p_) }
L_88: { SE_CADDR(SE_SRC, 2) SE_LOAD(std::int16_t, std::int64_t, p_) }
L_90: { SE_CADDR(SE_SRC, 1) SE_LOAD(std::int8_t, std::int64_t, p_) }
    // ---- stores ----
#define SE_STORE(T, P, V) { const T v_ = static_cast<T>(V); __builtin_memcpy((P), &v_, sizeof v_); } SE_NEXT;
L_62: SE_STORE(std::uint32_t, SE_PADDR(SE_DST), ip->imm)
L_6a: SE_STORE(std::uint16_t, SE_PADDR(SE_DST), ip->imm)
L_72: SE_STORE(std::uint8_t, SE_PADDR(SE_DST), ip->imm)
L_7a: SE_STORE(std::uint64_t, SE_PADDR(SE_DST), SE_IMM64)
L_63: SE_STORE(std::uint32_t, SE_PADDR(SE_DST), SE_SRC)
L_6b: SE_STORE(std::uint16_t, SE_PADDR(SE_DST), SE_SRC)
L_73: SE_STORE(std::uint8_t, SE_PADDR(SE_DST), SE_SRC)
L_7b: SE_STORE(std::uint64_t, SE_PADDR(SE_DST), SE_SRC)
L_02: { SE_CADDR(SE_DST, 4) SE_STORE(std::uint32_t, p_, ip->imm) }
L_0a: { SE_CADDR(SE_DST, 2) SE_STORE(std::uint16_t, p_, ip->imm) }
L_12: { SE_CADDR(SE_DST, 1) SE_STORE(std::uint8_t, p_, ip->imm) }
L_1a: { SE_CADDR(SE_DST, 8) SE_STORE(std::uint64_t, p_, SE_IMM64) }
L_03: { SE_CADDR(SE_DST, 4) SE_STORE(std::uint32_t, p_, SE_SRC) }
L_0b: { SE_CADDR(SE_DST, 2) SE_STORE(std::uint16_t, p_, SE_SRC) }
L_13: { SE_CADDR(SE_DST, 1) SE_STORE(std::uint8_t, p_, SE_SRC) }
L_1b: { SE_CADDR(SE_DST, 8) SE_STORE(std::uint64_t, p_, SE_SRC) }
    // ---- atomics (32-bit fetch results are zero-extended) ----
L_c3: detail::atomic_rmw<std::uint32_t>(SE_PADDR(SE_DST), ip->imm, SE_SRC, r[0]); SE_NEXT;
L_db: detail::atomic_rmw<std::uint64_t>(SE_PADDR(SE_DST), ip->imm, SE_SRC, r[0]); SE_NEXT;
L_c2: { SE_CADDR(SE_DST, 4) detail::atomic_rmw<std::uint32_t>(p_, ip->imm, SE_SRC, r[0]); } SE_NEXT;
L_da: { SE_CADDR(SE_DST, 8) detail::atomic_rmw<std::uint64_t>(p_, ip->imm, SE_SRC, r[0]); } SE_NEXT;

    // ---- superinstructions (detail/fuse.hpp): the jump is relative to the group's last slot ----
L_f5: {
    std::uint64_t& x = SE_DST;
    x = r[ip->regs >> 4] + static_cast<std::uint64_t>(static_cast<std::int64_t>(ip[1].imm));
    ip += 2;
    if (x > r[ip->regs >> 4]) SE_JUMP(ip->off);
} SE_NEXT;
#define SE_LDJ(L, T, EQ)                                                          \
    L: {                                                                          \
        T v_;                                                                     \
        __builtin_memcpy(&v_, SE_PADDR(SE_SRC), sizeof v_);                       \
        SE_DST = v_;                                                              \
        ++ip;                                                                     \
        if ((static_cast<std::uint64_t>(v_) == SE_IMM64) == (EQ)) SE_JUMP(ip->off); \
    }                                                                             \
    SE_NEXT;
    SE_LDJ(L_e6, std::uint8_t, true)
    SE_LDJ(L_ee, std::uint8_t, false)
    SE_LDJ(L_f6, std::uint16_t, true)
    SE_LDJ(L_fe, std::uint16_t, false)
    SE_LDJ(L_ed, std::uint32_t, true)
    SE_LDJ(L_fd, std::uint32_t, false)
#undef SE_LDJ
#define SE_AJ(L, OP, EQ)                                                                   \
    L: {                                                                                   \
        std::uint64_t& a = SE_DST;                                                         \
        a OP SE_IMM64;                                                                     \
        ++ip;                                                                              \
        if ((a == SE_IMM64) == (EQ)) SE_JUMP(ip->off);                                     \
    }                                                                                      \
    SE_NEXT;
    SE_AJ(L_0d, +=, true)
    SE_AJ(L_0e, +=, false)
    SE_AJ(L_9d, -=, true)
    SE_AJ(L_9e, -=, false)
#undef SE_AJ

L_bad:
    fault = run_fault::bad_opcode;
L_fault:
    return {fault, static_cast<std::uint32_t>(ip - prog.data()), 0};

#undef SE_DST
#undef SE_SRC
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
#undef SE_PADDR
#undef SE_CADDR
#undef SE_STORE
}

}  // namespace secengine::ebpf
