// Programs against the appliance's eBPF slot (appliance_fit.hpp).
#include "appliance_fit.hpp"

#include <memory>
#include <type_traits>

#include <secengine/appliance.hpp>
#include <secengine/control/upload.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/pipeline.hpp>

namespace secengine::host {

namespace {
using slot = secengine::appliance::ebpf_limits;
// The slot the unikernel's control plane uploads into (apps/unikernel: pipeline<appliance_config>).
static_assert(std::is_same_v<control::engine_program_limits<pipeline<appliance_config>>, slot>,
              "appliance_fit checks against the kernel's own program slot");
}

slot_capacity appliance_slot() { return {slot::max_insns, slot::max_maps, slot::map_bytes, slot::max_blocks}; }

std::string slot_text(std::size_t insns, std::size_t maps) {
    if (insns > slot::max_insns)
        return std::to_string(insns) + " instructions, the appliance's slot holds " + std::to_string(slot::max_insns);
    if (maps > slot::max_maps)
        return std::to_string(maps) + " maps, the appliance's slot holds " + std::to_string(slot::max_maps) + " maps in " +
               std::to_string(slot::map_bytes) + " bytes";
    return std::to_string(insns) + " instructions and " + std::to_string(maps) + " maps; the appliance's slot holds " +
           std::to_string(slot::max_insns) + " instructions and " + std::to_string(slot::max_maps) + " maps in " +
           std::to_string(slot::map_bytes) + " bytes";
}

std::string appliance_refusal(std::span<const ebpf::insn> code, std::span<const ebpf::map_spec> maps) {
    // The kernel's own slot type and verifier: what it accepts, this accepts.
    auto prog = std::make_unique<ebpf::program<slot>>();
    const auto r = prog->load(code, maps, ebpf::verifier_options{});
    if (r.ok()) return {};
    using ve = ebpf::verify_error;
    switch (r.error) {
        case ve::too_long: return "too_large: " + slot_text(code.size(), maps.size());
        case ve::bad_map_spec:
            if (maps.size() > slot::max_maps) return "bad_map_spec: " + slot_text(code.size(), maps.size());
            return "bad_map_spec: map " + std::to_string(r.pc) + " does not fit the appliance's " + std::to_string(slot::map_bytes) +
                   " bytes of map memory (or is malformed)";
        case ve::too_complex:
            return "too_complex at pc " + std::to_string(r.pc) + ": more basic blocks or calls than the appliance's verifier holds (" +
                   std::to_string(slot::max_blocks) + " blocks)";
        default: return std::string(ebpf::name(r.error)) + " at pc " + std::to_string(r.pc);
    }
}

}  // namespace secengine::host
