#pragma once
/// \file The eBPF interpreter: runs a verified, pre-decoded program.
///
/// Speed choices (docs/ebpf.md, "Interpreter"): the program is pre-decoded by the verifier into
/// internal opcodes, so dispatch is one indirect jump per instruction through a 256-entry label
/// table (computed goto, a GNU extension both g++ and clang++ accept); accesses the verifier
/// proved in bounds carry no check; the only per-run setup is the registers. The handlers are
/// detail/handlers.inc over the semantics table detail/op_table.hpp (RFC 9669 section 4), shared
/// with the threaded interpreter (threaded.hpp): this file only says where each operand lives.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/detail/op_table.hpp>
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

    static const void* const tbl[256] = SE_EBPF_LABEL_TABLE;

    // Operand accessors of detail/handlers.inc: the decoded slot has every field in place.
#define SE_DST r[ip->regs & 0x0f]
#define SE_SRC r[ip->regs >> 4]
#define SE_IMM ip->imm
#define SE_IMM_AT(k) ip[k].imm
#define SE_OFF ip->off
#define SE_OFF_K ip->off
#define SE_OFF_F ip->off
#define SE_NEXT goto *tbl[(++ip)->opcode]
#define SE_POS ip
#define SE_AT_POS(p) (p)
#define SE_PC static_cast<std::uint32_t>(ip - prog.data())

    goto *tbl[ip->opcode];
#include <secengine/ebpf/detail/handlers.inc>

#undef SE_IMM64
#undef SE_FAULT
#undef SE_JUMP
#undef SE_ADDR
#undef SE_PADDR
#undef SE_CADDR
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
