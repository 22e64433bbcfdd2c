#pragma once
/// \file A loaded eBPF program: verified, pre-decoded bytecode plus its maps, ready to run.
///
/// This is the in-memory loader the kernel uses (no ELF here): it takes already-relocated
/// bytecode (lddw src_reg=1 with imm = map index, local calls resolved) and the map
/// declarations, as produced by `secbpf embed` or uploaded by the control plane.
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>

#include <secengine/ebpf/detail/fuse.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>
#include <secengine/ebpf/predecoded.hpp>
#include <secengine/ebpf/threaded.hpp>
#include <secengine/ebpf/verifier.hpp>
#include <secengine/ebpf/vm.hpp>

namespace secengine::ebpf {

/// Capacities of one program slot (all template parameters; RAM use is `bytes()`).
template <std::size_t MaxInsns, std::size_t MaxMaps, std::size_t MapBytes, std::size_t MaxBlocks, std::size_t MaxFrames,
          std::size_t Counters = 8>
struct program_limits {
    static constexpr std::size_t max_insns = MaxInsns, max_maps = MaxMaps, map_bytes = MapBytes,
                                 max_blocks = MaxBlocks, max_frames = MaxFrames, counters = Counters;
};

/// A program slot: load (verify, then replace), unload, run.
template <class Limits>
class program {
    static_assert(Limits::max_insns >= 1 && Limits::max_insns <= 65536);
    static_assert(Limits::max_frames >= 1 && Limits::max_frames <= 64);

public:
    program() noexcept = default;  // env_ points into this object: not copyable or movable
    program(const program&) = delete;
    program& operator=(const program&) = delete;

    /// Verify `code` against `maps`; on success replace the current program (maps start zeroed),
    /// on failure keep the current one and return the error and pc.
    load_result load(std::span<const insn> code, std::span<const map_spec> maps,
                     verifier_options opt = {}) noexcept {
        // The verifier's scratch and the register file share storage (see work_): begin the
        // scratch's lifetime here and end with a zeroed register file whatever the outcome.
        ::new (static_cast<void*>(&work_.verify)) verifier_scratch<Limits::max_blocks>{};
        const load_result r = load_into_slot(code, maps, opt);
        ::new (static_cast<void*>(&work_.regs)) register_file{};
        return r;
    }

    /// Install a program the compiler verified (predecoded.hpp): no verifier run, the decoded
    /// slots are copied. Refused (and the current program kept) when the verifier refused it at
    /// compile time, when its local calls need more call frames than this slot has (call_depth),
    /// or when its maps do not fit (bad_map_spec); a program too long for the slot or with too
    /// many maps does not compile.
    template <std::size_t N, std::size_t M>
    load_result load(const predecoded<N, M>& p) noexcept {
        static_assert(N <= Limits::max_insns, "the pre-decoded program does not fit this slot");
        static_assert(M <= Limits::max_maps, "the pre-decoded program declares more maps than this slot holds");
        if (!p.result().ok()) return p.result();
        if (p.frames_needed() > Limits::max_frames) return {verify_error::call_depth, 0};
        if (auto r = check_maps(p.maps()); !r.ok()) return r;
        n_ = 0;
        (void)maps_.configure(p.maps());
        for (std::size_t k = 0; k < N; ++k) code_[k] = p.code()[k];
        n_ = static_cast<std::uint32_t>(N);
        if (auto t = thread_code(); !t.ok()) return t;
        type_ = p.options().type;
        counters_.fill(0);
        ::new (static_cast<void*>(&work_.regs)) register_file{};
        return {};
    }

    void unload() noexcept {
        n_ = 0;
        (void)maps_.configure({});
    }
    [[nodiscard]] bool loaded() const noexcept { return n_ != 0; }
    [[nodiscard]] prog_type type() const noexcept { return type_; }
    [[nodiscard]] std::span<const insn> code() const noexcept { return {code_.data(), n_}; }
    [[nodiscard]] map_view& maps() noexcept { return maps_; }
    [[nodiscard]] const map_view& maps() const noexcept { return maps_; }
    [[nodiscard]] std::span<const std::uint64_t> counters() const noexcept { return counters_; }
    [[nodiscard]] std::span<const std::uint64_t> trace() const noexcept { return trace_; }
    std::uint64_t budget = 1u << 16;  ///< per-run loop budget (instructions of loop bodies)
    bool fuse_idioms = true;          ///< superinstructions at load (detail/fuse.hpp)
    /// Run through the threaded form (threaded.hpp); off: the byte-dispatch reference (vm.hpp).
    /// Takes effect at the next load.
    bool threaded_dispatch = true;
    /// Whether the loaded program runs threaded (false only when switched off or a handler lies
    /// beyond the threaded slot's 16-bit reach, which tests/ebpf checks does not happen).
    [[nodiscard]] bool threaded() const noexcept { return threaded_; }
    /// Whether this build keeps the byte-dispatch reference (vm.hpp) as the fallback: hosted
    /// builds do (tests, tools, and the AddressSanitizer build, whose handlers can lie beyond the
    /// threaded slot's reach); the freestanding kernel does not, which saves its .text, and there
    /// a program without a threaded form is refused (verify_error::not_threaded).
    static constexpr bool reference_fallback = __STDC_HOSTED__ != 0;

    /// XDP run: r1 = struct xdp_md (data, data_end point into `frame`). Per-run work is the
    /// packet bounds, the context fields and the registers; everything else is set at load.
    run_result run_xdp(std::span<std::byte> frame, std::uint64_t now_ns, std::uint32_t ifindex = 0) noexcept {
        const auto base = reinterpret_cast<std::uintptr_t>(frame.data());
        env_.pkt = frame.data();
        env_.pkt_end = frame.data() + frame.size();
        env_.ctx[xdp_field::data] = base;
        env_.ctx[xdp_field::data_end] = base + frame.size();
        env_.ctx[xdp_field::data_meta] = base;
        env_.ctx[xdp_field::ingress_ifindex] = ifindex;
        env_.now_ns = now_ns;
        env_.budget = budget;
        return dispatch(reinterpret_cast<std::uintptr_t>(env_.ctx.data()), 0);
    }

    /// Raw run (conformance suite): r1 = memory, r2 = its length.
    run_result run_raw(std::span<std::byte> mem, std::uint64_t now_ns = 0) noexcept {
        env_.pkt = mem.data();
        env_.pkt_end = mem.data() + mem.size();
        env_.now_ns = now_ns;
        env_.budget = budget;
        return dispatch(reinterpret_cast<std::uintptr_t>(mem.data()), mem.size());
    }

    [[nodiscard]] std::uint64_t trace_total() const noexcept { return env_.trace_total; }

    /// Bytes of RAM this slot occupies (docs/ebpf.md, "Memory").
    static constexpr std::size_t bytes() noexcept { return sizeof(program); }

private:
    run_result dispatch(std::uint64_t r1, std::uint64_t r2) noexcept {
        if constexpr (reference_fallback) {
            if (!threaded_) [[unlikely]]
                return run<Limits::max_frames>(code(), env_, work_.regs, r1, r2);
        }
        return run_threaded<Limits::max_frames>(thr_.data(), code_.data(), n_, env_, work_.regs, r1, r2);
    }
    /// Build the threaded form of the decoded program (threaded.hpp). Without the reference
    /// fallback a program that has none is unloaded and refused.
    [[gnu::cold]] load_result thread_code() noexcept {
        threaded_ = false;
        if (threaded_dispatch) {
            handler_map m;
            (void)run_threaded<Limits::max_frames>(nullptr, nullptr, 0, env_, work_.regs, 0, 0, &m);
            threaded_ = translate(code(), thr_, m);
        }
        if (!threaded_ && !reference_fallback) {
            n_ = 0;
            (void)maps_.configure({});
            return {verify_error::not_threaded, 0};
        }
        return {};
    }
    [[gnu::cold]] load_result load_into_slot(std::span<const insn> code, std::span<const map_spec> maps, verifier_options opt) noexcept {
        if (code.size() > Limits::max_insns) return {verify_error::too_long, static_cast<std::uint32_t>(Limits::max_insns)};
        if (opt.max_frames > Limits::max_frames) opt.max_frames = static_cast<std::uint32_t>(Limits::max_frames);
        if (auto r = check_maps(maps); !r.ok()) return r;
        auto& scratch = work_.verify;
        const std::span<insn> out(code_.data(), code.size());
        if (loaded()) {
            // A program is running: verify first without touching it, so a refused program
            // leaves it in place; then the second pass writes the decoded program
            // (deterministic, so it succeeds).
            if (auto r = verify(code, maps, opt, scratch); !r.ok()) return r;
            n_ = 0;
            (void)maps_.configure(maps);
        } else {
            // An empty slot (boot) has nothing to keep: one pass verifies and decodes.
            (void)maps_.configure(maps);
        }
        auto r = verify(code, maps, opt, scratch, out);
        if (!r.ok()) {
            (void)maps_.configure({});
            return r;
        }
        if (fuse_idioms)
            detail::fuse(out, std::span<const std::uint32_t>(scratch.leader.data(), scratch.blocks));
        n_ = static_cast<std::uint32_t>(code.size());
        if (auto t = thread_code(); !t.ok()) return t;
        type_ = opt.type;
        counters_.fill(0);
        return r;
    }
    static load_result check_maps(std::span<const map_spec> maps) noexcept {
        // Dry run of the layout on a throwaway view with no arena writes beyond the check.
        if (maps.size() > Limits::max_maps) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(Limits::max_maps)};
        std::uint64_t bytes = 0;
        for (std::size_t i = 0; i < maps.size(); ++i) {
            const auto& s = maps[i];
            bool ok = s.max_entries >= 1 && s.max_entries <= 65536 && s.value_size >= 1 &&
                      s.value_size <= max_value_size &&
                      ((s.type == map_type::array && s.key_size == 4) ||
                       (s.type == map_type::hash && s.key_size >= 1 && s.key_size <= max_key_size));
            if (!ok) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(i)};
            bytes += std::uint64_t{detail::round8(s.value_size)} * s.max_entries;
            if (s.type == map_type::hash)
                bytes += std::uint64_t{detail::round8(s.key_size)} * s.max_entries + detail::round8(s.max_entries);
            if (bytes > Limits::map_bytes) return {verify_error::bad_map_spec, static_cast<std::uint32_t>(i)};
        }
        return {};
    }
    std::array<insn, Limits::max_insns> code_{};
    std::array<tslot, Limits::max_insns> thr_{};  // parallel to code_ (threaded.hpp)
    std::uint32_t n_ = 0;
    bool threaded_ = false;
    prog_type type_ = prog_type::xdp;
    map_set<Limits::max_maps, Limits::map_bytes> maps_{};
    std::array<std::uint64_t, Limits::counters> counters_{};
    std::array<std::uint64_t, 8> trace_{};
    alignas(8) std::array<std::byte, static_cast<std::size_t>(stack_frame_bytes) * Limits::max_frames> stack_{};
    // The verifier's scratch is live only inside load() and the register file only inside a run,
    // and neither calls the other, so they share storage: the slot's RAM does not grow for a
    // register file kept out of run()'s frame.
    union work_area {
        verifier_scratch<Limits::max_blocks> verify;
        register_file regs;
        constexpr work_area() noexcept : regs{} {}
    } work_{};
    std::array<call_frame, Limits::max_frames> frames_{};
    vm_env env_{nullptr, nullptr, stack_.data(), stack_.size(), &maps_, {}, 0, counters_, trace_, 0, 0, frames_};
};

}  // namespace secengine::ebpf
