#pragma once
/// \file The appliance's engine configuration, shared by the unikernel and the host tools
/// (secreplay), so a capture replayed on the host meets the same pipeline as on the wire:
/// the same capacities and thresholds, the built-in rule set and the injection detector in
/// slot 6 and the default eBPF program in slot 5.
///
///     secengine::pipeline<secengine::appliance_config> engine{seed, now};
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include <secengine/config.hpp>
#include <secengine/dpi/signatures.hpp>
#include <secengine/ebpf/appliance_program.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/predecoded.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/ebpf/xdp_stage.hpp>
#include <secengine/rules/appliance_stage.hpp>
#include <secengine/rules/builtin_db.hpp>

namespace secengine {

namespace appliance {

/// eBPF slot sizing for the 64 KiB image (docs/memory.md: program + maps ~3 KiB):
/// 64 instructions, 2 maps in 256 bytes, 16 basic blocks, no subprogram calls.
using ebpf_limits = ebpf::program_limits<64, 2, 256, 16, 1>;

/// The default XDP program, compiled from C (tests/ebpf/xdp_appliance.c) by clang and embedded
/// by `secbpf embed` (ebpf/appliance_program.hpp; a test fails when the committed header is
/// stale). It drops untagged IPv4 packets that (a) set the reserved flag bit, which RFC 791
/// section 3.1 says must be zero (no stack sends it, so it marks crafted traffic), or (b) carry
/// a loose or strict source route as their first option (LSRR 131 / SSRR 137), which RFC 7126
/// sections 4.3-4.4 advise dropping by default. Stages 1-4 check neither. Frames shorter than
/// the first option byte (35) pass untouched.
inline constexpr std::span<const ebpf::insn> default_program{ebpf::embedded::appliance_program_insns};

/// The default program verified and pre-decoded by the compiler (ebpf/predecoded.hpp), so the
/// kernel does not run the verifier at boot; the build stops here if the verifier refuses it.
/// (The size is spelled out: with class template argument deduction GCC 12 puts the object in
/// .data, i.e. in the RAM window, instead of .rodata - seen in the RV64 image.)
inline constexpr ebpf::predecoded<std::size(ebpf::embedded::appliance_program_insns)> default_program_decoded{
        ebpf::embedded::appliance_program_insns};
static_assert(default_program_decoded.result().ok(), "the default eBPF program must pass the verifier");
static_assert(default_program_decoded.frames_needed() <= ebpf_limits::max_frames, "slot 5 has the frames it needs");

/// Slot 5 (ebpf/xdp_stage.hpp) with the default program installed at construction (verified at
/// compile time, copied at boot); the control plane can replace it with `load()`.
class default_ebpf_stage : public ebpf::xdp_stage<ebpf_limits, default_config::ticks_per_second> {
public:
    default_ebpf_stage() noexcept { load_result_ = prog().load(default_program_decoded); }
    /// The verifier's answer for the default program (tests assert it is accepted).
    [[nodiscard]] ebpf::load_result default_load_result() const noexcept { return load_result_; }

private:
    ebpf::load_result load_result_{};
};

/// Slot 6 (rules/appliance_stage.hpp) running the built-in rule set (rules/builtin.rules,
/// compiled into .rodata: rules/builtin_db.hpp) and the injection detector; the control plane
/// can upload another set or add runtime signatures.
class default_rules_stage : public rules::appliance_stage<> {
public:
    /// The image is a compile-time constant checked in full at build time (rules/builtin_check.hpp,
    /// static_assert in the kernel and tests/flash), so boot checks only its header.
    default_rules_stage() noexcept : rules::appliance_stage<>(rules::embedded::builtin_db(), prechecked) {}
};

}  // namespace appliance

/// The appliance configuration: library defaults for stages 1-4 (1024 flows, 4 x 512 sketch,
/// 2000 pps per source, 10 s bans), the default eBPF program and the built-in rules + injection
/// detector in slot 6.
struct appliance_config : default_config {
    static constexpr std::size_t flow_capacity = 1024;
    /// Flows start with a client SYN only (issue 16: one spoofed reply must not open a blocked
    /// port); mid-stream pickup after a reboot is the run-time switch pipeline::set_tcp_pickup.
    static constexpr bool tcp_pickup = false;
    /// New-flow admission (pipeline::set_syn_budget, boot arg syn_budget=): above the ~24,000
    /// frames/s QEMU TCG delivers to the kernel, so benign clients keep >= 90 % of their
    /// connections during a 20,000 pps SYN flood, while a faster flood's SYNs (a host embedding
    /// the library, a faster board) cost stages 3-6 at most this many new flows a second.
    static constexpr std::uint32_t syn_budget_pps = 40'000;
    /// 15 alerts of 88 bytes (the injection's parameter name and fingerprint ride along,
    /// alert_ring.hpp): 15 not 16 keeps the ring's growth within the kernel's RAM budget
    /// (docs/memory.md); telemetry drains it every loop turn.
    static constexpr std::size_t alert_capacity = 15;
    using ebpf_stage = appliance::default_ebpf_stage;
    using dpi_stage = appliance::default_rules_stage;
};

}  // namespace secengine
