#pragma once
/// \file The appliance's engine configuration, shared by the unikernel and the host tools
/// (secreplay), so a capture replayed on the host meets the same pipeline as on the wire:
/// the same capacities and thresholds, the default DPI signature set in slot 6 and the
/// default eBPF program in slot 5.
///
///     secengine::pipeline<secengine::appliance_config> engine{seed, now};
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/config.hpp>
#include <secengine/dpi/signatures.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/ebpf/xdp_stage.hpp>

namespace secengine {

namespace appliance {

/// eBPF slot sizing for the 64 KiB image (DESIGN.md section 4: program + maps ~3 KiB):
/// 64 instructions, 2 maps in 256 bytes, 16 basic blocks, no subprogram calls.
using ebpf_limits = ebpf::program_limits<64, 2, 256, 16, 1>;

namespace detail_prog {
constexpr ebpf::insn I(std::uint8_t op, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) noexcept {
    return ebpf::insn::make(op, dst, src, off, imm);
}
}  // namespace detail_prog

/// The default XDP program: drops untagged IPv4 packets that (a) set the reserved flag bit,
/// which RFC 791 section 3.1 says must be zero (RFC 3514's "evil bit"; no stack sends it, so it
/// marks crafted traffic), or (b) carry a loose or strict source route as their first option
/// (LSRR 131 / SSRR 137), which RFC 7126 sections 4.3-4.4 advise dropping by default. Stages
/// 1-4 check neither. Frames shorter than the first option byte (35) pass untouched.
/// Loads are little-endian, so network-order constants appear byte-swapped (0x0800 -> 0x0008,
/// the reserved bit 0x8000 of the flags/offset field -> 0x0080).
inline constexpr std::array<ebpf::insn, 18> default_program = [] {
    using detail_prog::I;
    constexpr std::uint8_t ldxw = 0x61, ldxh = 0x69, ldxb = 0x71, mov_k = 0xb7, mov_x = 0xbf, add_k = 0x07,
                           and_k = 0x57, jgt_x = 0x2d, jne_k = 0x55, jeq_k = 0x15, jset_k = 0x45, jle_k = 0xb5;
    return std::array<ebpf::insn, 18>{
        I(ldxw, 2, 1, 0, 0),         // 0: r2 = ctx->data
        I(ldxw, 3, 1, 4, 0),         // 1: r3 = ctx->data_end
        I(mov_k, 0, 0, 0, 2),        // 2: r0 = XDP_PASS
        I(mov_x, 4, 2, 0, 0),        // 3: r4 = data
        I(add_k, 4, 0, 0, 35),       // 4: r4 += 14 (Ethernet) + 20 (IPv4) + 1 (first option byte)
        I(jgt_x, 4, 3, 11, 0),       // 5: too short -> exit
        I(ldxh, 5, 2, 12, 0),        // 6: ethertype
        I(jne_k, 5, 0, 9, 0x0008),   // 7: not IPv4 -> exit
        I(ldxh, 5, 2, 20, 0),        // 8: flags + fragment offset
        I(jset_k, 5, 0, 6, 0x0080),  // 9: reserved bit set -> drop
        I(ldxb, 5, 2, 14, 0),        // 10: version/IHL
        I(and_k, 5, 0, 0, 0x0f),     // 11: IHL
        I(jle_k, 5, 0, 4, 5),        // 12: no options -> exit
        I(ldxb, 5, 2, 34, 0),        // 13: first option type
        I(jeq_k, 5, 0, 1, 131),      // 14: LSRR -> drop
        I(jne_k, 5, 0, 1, 137),      // 15: not SSRR -> exit
        I(mov_k, 0, 0, 0, 1),        // 16: r0 = XDP_DROP
        I(ebpf::op::exit_insn, 0, 0, 0, 0),  // 17: exit
    };
}();

/// Slot 5 (ebpf/xdp_stage.hpp) with the default program loaded at construction (the verifier
/// runs once, at boot); the control plane can replace it with `load()`.
class default_ebpf_stage : public ebpf::xdp_stage<ebpf_limits, default_config::ticks_per_second> {
public:
    default_ebpf_stage() noexcept { load_result_ = load(default_program, {}); }
    /// The verifier's answer for the default program (tests assert it is accepted).
    [[nodiscard]] ebpf::load_result default_load_result() const noexcept { return load_result_; }

private:
    ebpf::load_result load_result_{};
};

}  // namespace appliance

/// The appliance configuration: library defaults for stages 1-4 (1024 flows, 4 x 512 sketch,
/// 2000 pps per source, 10 s bans), the default eBPF program and the default signature set.
struct appliance_config : default_config {
    static constexpr std::size_t flow_capacity = 1024;
    using ebpf_stage = appliance::default_ebpf_stage;
    using dpi_stage = dpi::default_dpi_stage;
};

}  // namespace secengine
