#pragma once
/// \file Pipeline slot 5: run the loaded XDP program on each frame (secengine::pipeline_stage).
///
/// Verdict mapping: XDP_DROP -> drop_reason::ebpf; XDP_ABORTED, any other return value (Linux
/// treats unknown actions as aborts), a run-time fault or an exhausted budget ->
/// drop_reason::ebpf_aborted; XDP_PASS and XDP_TX -> pass. With no program loaded, everything
/// passes. `load` verifies first and keeps the previous program on rejection.
#include <cstdint>
#include <span>

#include <secengine/ebpf/program.hpp>
#include <secengine/stage.hpp>

namespace secengine::ebpf {

/// Capacities for the kernel (docs/ebpf.md, "Memory"): 128 instructions, 2 maps in 1 KiB,
/// 2 call frames (1 KiB stack), 24 basic blocks of verifier state.
using kernel_limits = program_limits<128, 2, 1024, 24, 2, 4>;

/// `detail` of an aborted verdict when the VM faulted: this bit, the fault code, and the pc.
inline constexpr std::uint32_t fault_detail_bit = 0x80000000u;

/// The eBPF pipeline stage.
template <class Limits = kernel_limits, std::uint64_t TicksPerSecond = 10'000'000>
class xdp_stage {
    static_assert(TicksPerSecond > 0);

public:
    xdp_stage() noexcept = default;

    /// Verify and install; on rejection the previous program stays active.
    load_result load(std::span<const insn> code, std::span<const map_spec> maps, verifier_options opt = {}) noexcept {
        opt.type = prog_type::xdp;
        return prog_.load(code, maps, opt);
    }
    void unload() noexcept { prog_.unload(); }
    [[nodiscard]] bool loaded() const noexcept { return prog_.loaded(); }
    /// The program slot (maps, counters, code); `slot()` is the name the control plane uses.
    [[nodiscard]] program<Limits>& prog() noexcept { return prog_; }
    [[nodiscard]] const program<Limits>& prog() const noexcept { return prog_; }
    [[nodiscard]] program<Limits>& slot() noexcept { return prog_; }
    [[nodiscard]] const program<Limits>& slot() const noexcept { return prog_; }
    [[nodiscard]] std::uint64_t runs() const noexcept { return runs_; }      ///< frames the program ran on
    [[nodiscard]] std::uint64_t faults() const noexcept { return faults_; }  ///< runs that faulted

    stage_decision inspect(const stage_context& c) noexcept {
        if (!prog_.loaded()) return {};
        ++runs_;
        const run_result r = prog_.run_xdp(c.frame, ticks_to_ns(c.now));
        if (!r.ok()) {
            ++faults_;
            return {drop_reason::ebpf_aborted,
                    fault_detail_bit | (static_cast<std::uint32_t>(r.fault) << 16) | (r.pc & 0xffffu)};
        }
        const auto code = static_cast<std::uint32_t>(r.r0);
        if (r.r0 == xdp_action::pass || r.r0 == xdp_action::tx) return {};
        if (r.r0 == xdp_action::drop) return {drop_reason::ebpf, code};
        return {drop_reason::ebpf_aborted, r.r0 > 0xffff ? 0xffffu : code};
    }

    /// bpf_ktime_get_ns from the pipeline's tick clock, without overflow for centuries of uptime.
    static constexpr std::uint64_t ticks_to_ns(std::uint64_t t) noexcept {
        return (t / TicksPerSecond) * 1'000'000'000ull + (t % TicksPerSecond) * 1'000'000'000ull / TicksPerSecond;
    }

private:
    program<Limits> prog_{};
    std::uint64_t runs_ = 0;
    std::uint64_t faults_ = 0;
};

static_assert(pipeline_stage<xdp_stage<>>);
static_assert(xdp_stage<>::ticks_to_ns(10'000'000) == 1'000'000'000ull);
static_assert(xdp_stage<>::ticks_to_ns(3) == 300);

}  // namespace secengine::ebpf
