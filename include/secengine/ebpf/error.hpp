#pragma once
/// \file Load-time errors of the eBPF verifier and loader, with names from a static table.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace secengine::ebpf {

/// Why a program was rejected (docs/ebpf.md lists the rule behind each code).
enum class verify_error : std::uint8_t {
    ok,
    empty,                 ///< no instructions
    too_long,              ///< more instructions than the program capacity
    bad_opcode,            ///< opcode not in the supported groups (RFC 9669 section 2.4 / appendix A)
    reserved_field,        ///< a field the opcode does not use is not zero
    bad_register,          ///< register number above 10
    r10_write,             ///< the frame pointer is read-only
    bad_lddw,              ///< lddw without a well-formed second slot
    jump_into_lddw,        ///< jump or call target is the second slot of a lddw
    jump_out_of_range,     ///< target outside the program or outside the current function
    falls_off_end,         ///< a function's last instruction is neither exit nor ja
    unreachable,           ///< an instruction no path reaches
    back_edge,             ///< a loop while loops are disabled
    uninit_register,       ///< a register read before any write on some path
    stack_out_of_bounds,   ///< stack access outside the 512-byte frame
    packet_out_of_bounds,  ///< packet access at a negative or impossible offset
    map_value_out_of_bounds,
    bad_ctx_access,        ///< context access other than a 32-bit load of a struct xdp_md field
    bad_mem_base,          ///< dereference of data_end or of a map handle
    bad_helper,            ///< helper id not on the whitelist
    bad_helper_arg,        ///< helper argument of the wrong kind or out of bounds
    bad_map,               ///< map reference to a map the program does not declare
    call_depth,            ///< local calls nest deeper than the frame limit
    recursion,             ///< a local call cycle
    too_complex,           ///< more basic blocks / functions / passes than the verifier capacity
    bad_map_spec,          ///< a declared map is malformed or does not fit the map memory
    not_threaded,          ///< no threaded form (a handler beyond the slot's reach) and no reference VM in this build
    count_
};

inline constexpr std::string_view verify_error_names[] = {
    "ok",
    "empty",
    "too_long",
    "bad_opcode",
    "reserved_field",
    "bad_register",
    "r10_write",
    "bad_lddw",
    "jump_into_lddw",
    "jump_out_of_range",
    "falls_off_end",
    "unreachable",
    "back_edge",
    "uninit_register",
    "stack_out_of_bounds",
    "packet_out_of_bounds",
    "map_value_out_of_bounds",
    "bad_ctx_access",
    "bad_mem_base",
    "bad_helper",
    "bad_helper_arg",
    "bad_map",
    "call_depth",
    "recursion",
    "too_complex",
    "bad_map_spec",
    "not_threaded",
};
static_assert(std::size(verify_error_names) == static_cast<std::size_t>(verify_error::count_));

[[nodiscard]] constexpr std::string_view name(verify_error e) noexcept {
    auto i = static_cast<std::size_t>(e);
    return i < std::size(verify_error_names) ? verify_error_names[i] : std::string_view{"unknown"};
}

/// Outcome of verify/load: the error and the failing instruction index.
struct load_result {
    verify_error error = verify_error::ok;
    std::uint32_t pc = 0;
    [[nodiscard]] constexpr bool ok() const noexcept { return error == verify_error::ok; }
};

/// Why a run stopped without reaching `exit` normally.
enum class run_fault : std::uint8_t {
    none,
    bad_access,     ///< a run-time-checked memory access fell outside packet, stack and maps
    budget,         ///< the per-run instruction budget ran out (loops)
    bad_helper,     ///< callx to an id that is not on the whitelist
    call_depth,     ///< defensive: frame limit (the verifier proves it cannot happen)
    bad_opcode,     ///< defensive: the verifier proves it cannot happen
    no_program,
    count_
};
inline constexpr std::string_view run_fault_names[] = {"none",       "bad_access", "budget",    "bad_helper",
                                                       "call_depth", "bad_opcode", "no_program"};
static_assert(std::size(run_fault_names) == static_cast<std::size_t>(run_fault::count_));
[[nodiscard]] constexpr std::string_view name(run_fault f) noexcept {
    auto i = static_cast<std::size_t>(f);
    return i < std::size(run_fault_names) ? run_fault_names[i] : std::string_view{"unknown"};
}

}  // namespace secengine::ebpf
