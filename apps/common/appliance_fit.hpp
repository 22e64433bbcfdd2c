#pragma once
// Does an eBPF program fit the appliance? The appliance's program slot is
// secengine::appliance::ebpf_limits (include/secengine/appliance.hpp: 64 instructions, 2 maps in
// 256 bytes, 16 basic blocks), far smaller than the host tools' own verifier slot. Every host
// tool that verifies or uploads a program checks against it here, with the kernel's verifier,
// and names the capacity it exceeds ("too_large: 74 instructions, the appliance's slot holds 64"),
// so that a program is not "verified" on the host and then refused by the appliance
// (`secbpf verify --limits appliance`, the console's eBPF studio, `secctl load`).
#include <cstddef>
#include <span>
#include <string>

#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secengine::host {

/// The appliance slot's capacities (from secengine::appliance::ebpf_limits).
struct slot_capacity {
    std::size_t insns, maps, map_bytes, blocks;
};
[[nodiscard]] slot_capacity appliance_slot();

/// Empty when the appliance's verifier (XDP program type) accepts `code` with `maps`; else the
/// refusal in words: `too_large: 74 instructions, the appliance's slot holds 64`,
/// `bad_map_spec: 3 maps, the appliance's slot holds 2 maps in 256 bytes`, `too_complex: more
/// basic blocks than the appliance's verifier holds (16)`, or `uninit_register at pc 7`.
[[nodiscard]] std::string appliance_refusal(std::span<const ebpf::insn> code, std::span<const ebpf::map_spec> maps);

/// What the appliance's `too_large` status means for a program of `insns` instructions and
/// `maps` maps: `74 instructions, the appliance's slot holds 64` (or the map capacity).
[[nodiscard]] std::string slot_text(std::size_t insns, std::size_t maps);

}  // namespace secengine::host
