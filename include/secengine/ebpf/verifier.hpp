#pragma once
/// \file The eBPF verifier: structural rules, then an abstract interpretation over basic blocks.
///
/// Rules and their codes are listed in docs/ebpf.md. Safety does not rest on the analysis being
/// precise: every memory access is either proven in bounds here (the VM then runs it unchecked)
/// or rewritten to a run-time-checked form. The output of a successful verification is the
/// pre-decoded program (detail/internal_ops.hpp): same 8-byte slots, internal opcodes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/detail/abstract_state.hpp>
#include <secengine/ebpf/detail/internal_ops.hpp>
#include <secengine/ebpf/detail/verifier_step.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secengine::ebpf {

/// What r1/r2 hold at entry: raw = (memory, length) as in the conformance suite; xdp = struct xdp_md*.
enum class prog_type : std::uint8_t { raw, xdp };

/// Verifier settings.
struct verifier_options {
    prog_type type = prog_type::xdp;
    bool allow_loops = true;       ///< back edges allowed (the VM's per-run budget bounds them)
    std::uint32_t max_frames = 8;  ///< call frames including the entry function
    bool check_all = false;        ///< check every access at run time (differential testing of the proofs)
};

/// Scratch memory of the verifier: one abstract state per basic block (48 bytes + 4 for the leader).
template <std::size_t MaxBlocks>
struct verifier_scratch {
    static_assert(MaxBlocks >= 2 && MaxBlocks <= 65536);
    std::array<std::uint32_t, MaxBlocks> leader{};
    std::array<detail::astate, MaxBlocks> in{};
    std::array<std::uint64_t, (MaxBlocks + 63) / 64> work{};
    std::uint32_t blocks = 0;  ///< after a successful verify: leader[0..blocks) are the block starts, sorted
};

namespace detail {

inline constexpr std::uint32_t max_functions = 16;

/// The verifier proper, over spans (no capacity in the type).
class verifier_core : transfer {
public:
    constexpr verifier_core(std::span<const insn> prog, std::span<const map_spec> maps, const verifier_options& opt,
                  std::span<std::uint32_t> leader, std::span<astate> in, std::span<std::uint64_t> work) noexcept
        : transfer(prog, maps, opt.type == prog_type::xdp, opt.check_all), opt_(opt), leader_(leader), in_(in), work_(work) {}

    /// Verify; when `out` is not empty (same size as the program) write the pre-decoded program.
    [[nodiscard]] constexpr std::uint32_t block_count() const noexcept { return nblk_; }
    /// Call frames the deepest chain of local calls needs, entry included (after structure checks).
    [[nodiscard]] constexpr std::uint32_t frames_needed() const noexcept { return frames_; }

    // Cold (GCC: optimised for size, placed apart from the hot code): the verifier runs at load
    // time only, so its size matters and its speed hardly (docs/performance/fastpath.md).
    [[gnu::cold]] constexpr load_result run(std::span<insn> out) noexcept {
        saved_out_ = out;
        n_ = static_cast<std::uint32_t>(p_.size());
        if (n_ == 0) return {verify_error::empty, 0};
        if (auto r = structure(); !r.ok()) return r;
        if (auto r = blocks(); !r.ok()) return r;
        return dataflow();
    }

private:
    static constexpr load_result fail(ve e, std::uint32_t pc) noexcept { return {e, pc}; }

    [[nodiscard]] constexpr bool is_tail(std::uint32_t pc) const noexcept { return pc > 0 && p_[pc - 1].opcode == op::lddw; }
    [[nodiscard]] static constexpr bool known_helper(std::int32_t id) noexcept {
        return id == helper::map_lookup_elem || id == helper::map_update_elem || id == helper::map_delete_elem ||
               id == helper::ktime_get_ns || id == helper::count || id == helper::trace;
    }
    [[nodiscard]] static constexpr bool is_cond_jump(std::uint8_t c) noexcept {
        auto cl = op::cls(c), o = static_cast<std::uint8_t>(c & 0xf0);
        return (cl == op::cls_jmp || cl == op::cls_jmp32) && o != op::ja && o != op::call && o != op::exit;
    }
    [[nodiscard]] constexpr bool is_local_call(const insn& i) const noexcept {
        return i.opcode == op::call_insn && i.src() == op::call_local;
    }
    /// Jump/call target of the instruction at pc (only for jumps and local calls).
    [[nodiscard]] constexpr std::int64_t target(std::uint32_t pc) const noexcept {
        const insn& i = p_[pc];
        std::int64_t rel = (i.opcode == op::ja32_insn || is_local_call(i)) ? i.imm : i.off;
        return std::int64_t{pc} + 1 + rel;
    }
    [[nodiscard]] constexpr bool is_jump(const insn& i) const noexcept {
        return i.opcode == op::ja_insn || i.opcode == op::ja32_insn || is_cond_jump(i.opcode);
    }

    // ---- rule group 1: each instruction alone (RFC 9669 sections 3-5, appendix A) ----
    constexpr ve check_insn(std::uint32_t pc) const noexcept {
        const insn& i = p_[pc];
        const std::uint8_t c = i.opcode, cl = op::cls(c), o = c & 0xf0, x = c & op::src_x;
        const std::uint8_t d = i.dst(), s = i.src();
        switch (cl) {
            case op::cls_alu:
            case op::cls_alu64: {
                const bool w64 = cl == op::cls_alu64;
                if (o == 0xe0 || o == 0xf0) return ve::bad_opcode;
                if (o == op::neg && x) return ve::bad_opcode;
                if (o == op::end && w64 && x) return ve::bad_opcode;
                if (d > 10 || (x && s > 10)) return ve::bad_register;
                if (o == op::end) {
                    if (s != 0 || i.off != 0) return ve::reserved_field;
                    if (i.imm != 16 && i.imm != 32 && i.imm != 64) return ve::bad_opcode;
                } else if (o == op::neg) {
                    if (s != 0 || i.off != 0 || i.imm != 0) return ve::reserved_field;
                } else {
                    bool off_ok = i.off == 0 || ((o == op::div || o == op::mod) && i.off == 1) ||
                                  (o == op::mov && x && (i.off == 8 || i.off == 16 || (w64 && i.off == 32)));
                    if (!off_ok) return ve::reserved_field;
                    if (x ? i.imm != 0 : s != 0) return ve::reserved_field;
                }
                return d == reg_fp ? ve::r10_write : ve::ok;
            }
            case op::cls_jmp:
            case op::cls_jmp32: {
                const bool j32 = cl == op::cls_jmp32;
                if (o == 0xe0 || o == 0xf0) return ve::bad_opcode;
                if (d > 10 || s > 10) return ve::bad_register;
                if (o == op::ja) {
                    if (x) return ve::bad_opcode;
                    if (d != 0 || s != 0 || (j32 ? i.off != 0 : i.imm != 0)) return ve::reserved_field;
                    return ve::ok;
                }
                if (o == op::call) {
                    if (j32) return ve::bad_opcode;
                    if (x) return (s != 0 || i.off != 0 || i.imm != 0) ? ve::reserved_field : ve::ok;  // callx dst
                    if (d != 0 || i.off != 0) return ve::reserved_field;
                    if (s == op::call_local) return ve::ok;
                    if (s != op::call_helper) return ve::bad_opcode;
                    return known_helper(i.imm) ? ve::ok : ve::bad_helper;
                }
                if (o == op::exit) {
                    if (j32 || x) return ve::bad_opcode;
                    return (d != 0 || s != 0 || i.off != 0 || i.imm != 0) ? ve::reserved_field : ve::ok;
                }
                if (!x && s != 0) return ve::reserved_field;
                if (x && i.imm != 0) return ve::reserved_field;
                return ve::ok;
            }
            case op::cls_ld: {
                if (c != op::lddw) return ve::bad_opcode;
                if (d > 10) return ve::bad_register;
                if (i.off != 0 || (s != 0 && s != op::pseudo_map_fd)) return ve::reserved_field;
                if (pc + 1 >= n_) return ve::bad_lddw;
                const insn& t = p_[pc + 1];
                if (t.opcode != 0 || t.regs != 0 || t.off != 0) return ve::bad_lddw;
                if (d == reg_fp) return ve::r10_write;
                if (s == op::pseudo_map_fd) {
                    if (i.imm < 0 || static_cast<std::size_t>(i.imm) >= maps_.size()) return ve::bad_map;
                    if (t.imm != 0) return ve::reserved_field;
                }
                return ve::ok;
            }
            case op::cls_ldx: {
                const std::uint8_t mode = c & 0xe0;
                if (mode != op::mode_mem && !(mode == op::mode_memsx && (c & 0x18) != op::sz_dw)) return ve::bad_opcode;
                if (d > 10 || s > 10) return ve::bad_register;
                if (i.imm != 0) return ve::reserved_field;
                return d == reg_fp ? ve::r10_write : ve::ok;
            }
            case op::cls_st: {
                if ((c & 0xe0) != op::mode_mem) return ve::bad_opcode;
                if (d > 10) return ve::bad_register;
                return s != 0 ? ve::reserved_field : ve::ok;
            }
            default: {  // cls_stx
                const std::uint8_t mode = c & 0xe0;
                if (mode == op::mode_mem) {
                    if (d > 10 || s > 10) return ve::bad_register;
                    return i.imm != 0 ? ve::reserved_field : ve::ok;
                }
                if (mode != op::mode_atomic || (c & 0x18) == op::sz_b || (c & 0x18) == op::sz_h) return ve::bad_opcode;
                if (d > 10 || s > 10) return ve::bad_register;
                const std::int32_t a = i.imm & ~op::atomic_fetch;
                bool ok = a == op::add || a == op::or_ || a == op::and_ || a == op::xor_ || i.imm == op::atomic_xchg ||
                          i.imm == op::atomic_cmpxchg;
                if (!ok) return ve::bad_opcode;
                if ((i.imm & op::atomic_fetch) && s == reg_fp) return ve::r10_write;
                return ve::ok;
            }
        }
    }

    // ---- rule group 2: control flow (targets, functions, calls, ends) ----
    constexpr load_result structure() noexcept {
        nfunc_ = 1;
        func_[0] = 0;
        for (std::uint32_t pc = 0; pc < n_; ++pc) {
            if (is_tail(pc)) continue;
            if (auto e = check_insn(pc); e != ve::ok) return fail(e, pc);
            const insn& i = p_[pc];
            if (is_jump(i) || is_local_call(i)) {
                std::int64_t t = target(pc);
                if (t < 0 || t >= n_) return fail(ve::jump_out_of_range, pc);
                if (is_tail(static_cast<std::uint32_t>(t))) return fail(ve::jump_into_lddw, pc);
                if (is_jump(i) && t <= pc && !opt_.allow_loops) return fail(ve::back_edge, pc);
                if (is_local_call(i) && !add_func(static_cast<std::uint32_t>(t))) return fail(ve::too_complex, pc);
            }
        }
        // Functions are [entry, next entry); sort entries (insertion sort, at most 16).
        for (std::uint32_t a = 1; a < nfunc_; ++a)
            for (std::uint32_t b = a; b > 0 && func_[b - 1] > func_[b]; --b) std::swap(func_[b - 1], func_[b]);
        for (std::uint32_t f = 0; f < nfunc_; ++f) {
            std::uint32_t last = func_end(f) - 1;
            std::uint8_t c = p_[last].opcode;
            if (is_tail(last) || (c != op::exit_insn && c != op::ja_insn && c != op::ja32_insn))
                return fail(ve::falls_off_end, last);
        }
        for (std::uint32_t pc = 0; pc < n_; ++pc) {
            if (is_tail(pc)) continue;
            const insn& i = p_[pc];
            if (is_jump(i)) {
                auto t = static_cast<std::uint32_t>(target(pc));
                if (func_of(t) != func_of(pc)) return fail(ve::jump_out_of_range, pc);
            }
        }
        // Call depth (frames) by relaxation over the call graph; a cycle never settles.
        std::array<std::uint32_t, max_functions> depth{};
        depth.fill(1);
        for (std::uint32_t round = 0; round <= nfunc_; ++round) {
            bool changed = false;
            std::uint32_t where = 0;
            for (std::uint32_t pc = 0; pc < n_; ++pc) {
                if (is_tail(pc) || !is_local_call(p_[pc])) continue;
                auto f = func_of(pc), g = func_of(static_cast<std::uint32_t>(target(pc)));
                if (depth[g] + 1 > depth[f]) {
                    depth[f] = depth[g] + 1;
                    changed = true;
                    where = pc;
                }
            }
            if (!changed) break;
            if (round == nfunc_) return fail(ve::recursion, where);
        }
        frames_ = depth[0];
        if (depth[0] > opt_.max_frames) {
            for (std::uint32_t pc = 0; pc < func_end(0); ++pc)
                if (!is_tail(pc) && is_local_call(p_[pc]) &&
                    depth[func_of(static_cast<std::uint32_t>(target(pc)))] + 1 > opt_.max_frames)
                    return fail(ve::call_depth, pc);
            return fail(ve::call_depth, 0);
        }
        return {};
    }
    constexpr bool add_func(std::uint32_t e) noexcept {
        for (std::uint32_t f = 0; f < nfunc_; ++f)
            if (func_[f] == e) return true;
        if (nfunc_ == max_functions) return false;
        func_[nfunc_++] = e;
        return true;
    }
    [[nodiscard]] constexpr std::uint32_t func_end(std::uint32_t f) const noexcept { return f + 1 < nfunc_ ? func_[f + 1] : n_; }
    [[nodiscard]] constexpr std::uint32_t func_of(std::uint32_t pc) const noexcept {
        std::uint32_t f = 0;
        while (f + 1 < nfunc_ && func_[f + 1] <= pc) ++f;
        return f;
    }

    // ---- basic blocks ----
    constexpr bool add_leader(std::uint32_t pc) noexcept {
        if (pc >= n_) return true;
        for (std::uint32_t b = 0; b < nblk_; ++b)
            if (leader_[b] == pc) return true;
        if (nblk_ == leader_.size() || nblk_ == in_.size()) return false;
        leader_[nblk_++] = pc;
        return true;
    }
    constexpr load_result blocks() noexcept {
        nblk_ = 0;
        bool ok = add_leader(0);
        for (std::uint32_t f = 0; f < nfunc_; ++f) ok = ok && add_leader(func_[f]);
        for (std::uint32_t pc = 0; pc < n_ && ok; ++pc) {
            if (is_tail(pc)) continue;
            const insn& i = p_[pc];
            if (is_jump(i)) ok = add_leader(static_cast<std::uint32_t>(target(pc))) && add_leader(pc + 1);
            else if (i.opcode == op::exit_insn || is_local_call(i)) ok = add_leader(pc + 1);
            if (!ok) return fail(ve::too_complex, pc);
        }
        if (!ok) return fail(ve::too_complex, 0);
        for (std::uint32_t a = 1; a < nblk_; ++a)
            for (std::uint32_t b = a; b > 0 && leader_[b - 1] > leader_[b]; --b) std::swap(leader_[b - 1], leader_[b]);
        return {};
    }
    [[nodiscard]] constexpr std::uint32_t block_of(std::uint32_t pc) const noexcept {
        std::uint32_t lo = 0, hi = nblk_;
        while (hi - lo > 1) {
            std::uint32_t mid = (lo + hi) / 2;
            if (leader_[mid] <= pc) lo = mid;
            else hi = mid;
        }
        return lo;
    }
    [[nodiscard]] constexpr std::uint32_t block_end(std::uint32_t b) const noexcept { return b + 1 < nblk_ ? leader_[b + 1] : n_; }
    constexpr void push(std::uint32_t pc, const astate& s) noexcept {
        std::uint32_t b = block_of(pc);
        if (in_[b].merge(s)) work_[b / 64] |= std::uint64_t{1} << (b % 64);
    }


    /// Refine the two successor states of a conditional jump: packet bounds and null checks.
    constexpr void refine(const insn& i, const astate& s, astate& taken, astate& fall) const noexcept {
        if (op::cls(i.opcode) != op::cls_jmp) return;
        const std::uint8_t o = i.opcode & 0xf0, d = i.dst(), sr = i.src();
        const areg a = get(s, d);
        if (!(i.opcode & op::src_x)) {
            // if (v == NULL) / if (v != NULL) after bpf_map_lookup_elem.
            if (a.kind == rk::map_or_null && i.imm == 0 && (o == op::jeq || o == op::jne)) {
                areg val{rk::map_value, a.map, 0};
                (o == op::jeq ? taken : fall).r[d] = areg::scalar();
                (o == op::jeq ? fall : taken).r[d] = val;
            }
            return;
        }
        const areg b = get(s, sr);
        // data + k <op> data_end: which successor learns data + k (+1) <= data_end.
        std::int64_t k = -1, t = -1, f = -1;
        std::uint8_t base = 0;
        if (a.kind == rk::pkt && a.known() && b.kind == rk::pkt_end) {
            k = a.off;
            base = a.map;
            if (o == op::jgt) f = k;
            if (o == op::jge) f = k + 1;
            if (o == op::jlt) t = k + 1;
            if (o == op::jle || o == op::jeq) t = k;
            if (o == op::jne) f = k;
        } else if (a.kind == rk::pkt_end && b.kind == rk::pkt && b.known()) {
            k = b.off;
            base = b.map;
            if (o == op::jgt) t = k + 1;
            if (o == op::jge || o == op::jeq) t = k;
            if (o == op::jlt) f = k;
            if (o == op::jle) f = k + 1;
            if (o == op::jne) f = k;
        }
        if (base != 0) {  // a variable base: only the current one has a range
            if (base != s.var_id) return;
            auto raise_var = [](astate& st, std::int64_t v) {
                if (v > 0 && v <= 0xffff && static_cast<std::uint32_t>(v) > st.var_range)
                    st.var_range = static_cast<std::uint16_t>(v);
            };
            raise_var(taken, t);
            raise_var(fall, f);
            return;
        }
        auto raise = [](astate& st, std::int64_t v) {
            if (v > 0 && v <= 0xffff && static_cast<std::uint32_t>(v) > st.pkt_range)
                st.pkt_range = static_cast<std::uint16_t>(v);
        };
        raise(taken, t);
        raise(fall, f);
    }

    /// Run block b from its in-state; propagate to successors (fixpoint) or check (final pass).
    constexpr load_result walk(std::uint32_t b, bool final) noexcept {
        astate s = in_[b];
        const std::uint32_t end = block_end(b);
        if (final) out_ = saved_out_;
        else out_ = {};
        for (std::uint32_t pc = leader_[b]; pc < end; ++pc) {
            const insn& i = p_[pc];
            const std::uint8_t c = i.opcode;
            if (c == op::exit_insn) {
                if (final && !init(s, 0)) return fail(ve::uninit_register, pc);
                emit(pc, c, i.imm);
                return {};
            }
            if (c == op::ja_insn || c == op::ja32_insn) {
                emit(pc, c, i.imm);
                push(static_cast<std::uint32_t>(target(pc)), s);
                return {};
            }
            if (is_cond_jump(c)) {
                if (!init(s, i.dst()) || ((c & op::src_x) && !init(s, i.src()))) {
                    if (final) return fail(ve::uninit_register, pc);
                }
                emit(pc, c, i.imm);
                astate taken = s, fall = s;
                refine(i, s, taken, fall);
                push(static_cast<std::uint32_t>(target(pc)), taken);
                push(pc + 1, fall);
                return {};
            }
            if (is_local_call(i)) {
                emit(pc, iop::call_local, i.imm);
                astate callee{};
                callee.reached = true;
                callee.pkt_range = s.pkt_range;
                for (unsigned r = 1; r <= 5; ++r)  // the callee has its own frame: stack offsets do not carry over
                    callee.r[r] = s.r[r].kind == rk::stack ? areg::scalar() : s.r[r];
                push(static_cast<std::uint32_t>(target(pc)), callee);
                for (unsigned r = 1; r <= 5; ++r) s.r[r] = areg::uninit();
                s.r[0] = areg::scalar();
                push(pc + 1, s);
                return {};
            }
            ve e = ve::ok;
            if (c == op::call_insn) {
                e = helper_call(s, i.imm);
                emit(pc, c, i.imm);
            } else if (c == op::callx_insn) {
                e = init(s, i.dst()) ? ve::ok : ve::uninit_register;
                for (unsigned r = 1; r <= 5; ++r) s.r[r] = areg::uninit();
                s.r[0] = areg::scalar();
                emit(pc, c, i.imm);
            } else {
                e = step(s, pc);
                if (c == op::lddw) ++pc;
            }
            if (e != ve::ok && final) return fail(e, pc);
        }
        if (end < n_) push(end, s);
        return {};
    }

    constexpr load_result dataflow() noexcept {
        for (std::uint32_t b = 0; b < nblk_; ++b) in_[b] = astate{};
        for (auto& w : work_) w = 0;
        astate entry{};
        entry.reached = true;
        if (opt_.type == prog_type::xdp) {
            entry.r[1] = {rk::ctx, 0, 0};
        } else {
            entry.r[1] = {rk::pkt, 0, 0};
            entry.r[2] = areg::scalar();
        }
        push(0, entry);
        // Worklist, lowest block first; the lattice is finite, the visit cap is a safety net.
        std::uint64_t visits = 0, cap = std::uint64_t{nblk_} * 64 + 256;
        for (;;) {
            std::uint32_t b = nblk_;
            for (std::uint32_t w = 0; w < work_.size() && b == nblk_; ++w)
                if (work_[w]) b = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(work_[w]));
            if (b >= nblk_) break;
            work_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
            if (++visits > cap) return fail(ve::too_complex, leader_[b]);
            (void)walk(b, false);
        }
        for (std::uint32_t b = 0; b < nblk_; ++b) {
            if (!in_[b].reached) return fail(ve::unreachable, leader_[b]);
            if (auto r = walk(b, true); !r.ok()) return r;
        }
        return {};
    }

    verifier_options opt_;
    std::span<std::uint32_t> leader_;
    std::span<astate> in_;
    std::span<std::uint64_t> work_;
    std::span<insn> saved_out_{};
    std::uint32_t n_ = 0, nblk_ = 0, nfunc_ = 0, frames_ = 0;
    std::array<std::uint32_t, max_functions> func_{};
};

}  // namespace detail

/// Verify `prog` (and, when `out` is non-empty, write the pre-decoded program into it).
template <std::size_t MaxBlocks>
[[nodiscard]] constexpr load_result verify(std::span<const insn> prog, std::span<const map_spec> maps,
                                 const verifier_options& opt, verifier_scratch<MaxBlocks>& scratch,
                                 std::span<insn> out = {}) noexcept {
    detail::verifier_core v(prog, maps, opt, scratch.leader, scratch.in, scratch.work);
    auto r = v.run(out);
    scratch.blocks = r.ok() ? v.block_count() : 0;
    return r;
}

}  // namespace secengine::ebpf
