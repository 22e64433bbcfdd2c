#pragma once
/// \file Pipeline slot 5: runs the loaded XDP program on each frame that passed stages 1-4.
///
/// An empty slot passes everything. The program's r0 is read as an XDP action (linux/bpf.h
/// `enum xdp_action`): XDP_DROP drops with reason `ebpf`; XDP_ABORTED and any run-time fault
/// (out-of-bounds access, loop budget) drop with reason `ebpf_aborted`, failing closed as the
/// Linux XDP path does for XDP_ABORTED; XDP_PASS, XDP_TX and XDP_REDIRECT pass (the appliance
/// has no other place to send a frame, so TX/REDIRECT are treated as "not dropped").
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/stage.hpp>

namespace secengine::ebpf {

/// The eBPF pipeline stage; satisfies `secengine::pipeline_stage`. `TicksPerSecond` converts
/// the pipeline's `now` to the nanoseconds `bpf_ktime_get_ns` returns.
template <class Limits, std::uint64_t TicksPerSecond>
class xdp_stage {
    static_assert(TicksPerSecond >= 1 && TicksPerSecond <= 1'000'000'000, "ticks must be at most 1 ns apart");

public:
    using program_type = program<Limits>;

    /// The slot (load/unload through the control plane, maps and counters for telemetry).
    [[nodiscard]] program_type& slot() noexcept { return prog_; }
    [[nodiscard]] const program_type& slot() const noexcept { return prog_; }

    /// Runs the program; `detail` is r0 for XDP_DROP, the faulting pc for a fault, 0 for XDP_ABORTED.
    stage_decision inspect(const stage_context& ctx) noexcept {
        if (!prog_.loaded()) return {};
        const run_result r = prog_.run_xdp(ctx.frame, ctx.now * (1'000'000'000 / TicksPerSecond));
        ++runs_;
        if (!r.ok()) {
            ++faults_;
            return {drop_reason::ebpf_aborted, r.pc};
        }
        if (r.r0 == xdp_action::drop) return {drop_reason::ebpf, static_cast<std::uint32_t>(r.r0)};
        if (r.r0 == xdp_action::aborted) return {drop_reason::ebpf_aborted, 0};
        return {};
    }

    [[nodiscard]] std::uint64_t runs() const noexcept { return runs_; }
    [[nodiscard]] std::uint64_t faults() const noexcept { return faults_; }

private:
    program_type prog_{};
    std::uint64_t runs_ = 0, faults_ = 0;
};

}  // namespace secengine::ebpf
