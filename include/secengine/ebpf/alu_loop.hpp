#pragma once
/// \file A fixed ALU-loop program for measuring the interpreter (host bench and the kernel's
/// RV64 bench: guest instructions retired per eBPF instruction).
#include <array>
#include <cstdint>

#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/verifier.hpp>

namespace secengine::ebpf {

/// r0 accumulates over `iterations` rounds of 7 instructions (add, xor, lsh, rsh, add, sub, jne).
[[nodiscard]] constexpr std::array<insn, 11> alu_loop_program(std::int32_t iterations) noexcept {
    return {{
        insn::make(0xb7, 0, 0, 0, 0),           // mov r0, 0
        insn::make(0xb7, 3, 0, 0, iterations),  // mov r3, iterations
        insn::make(0xb7, 4, 0, 0, 1),           // mov r4, 1
        insn::make(0x0f, 0, 4, 0, 0),           // loop: add r0, r4
        insn::make(0xaf, 4, 0, 0, 0),           // xor r4, r0
        insn::make(0x67, 4, 0, 0, 3),           // lsh r4, 3
        insn::make(0x77, 4, 0, 0, 2),           // rsh r4, 2
        insn::make(0x07, 4, 0, 0, 3),           // add r4, 3
        insn::make(0x17, 3, 0, 0, 1),           // sub r3, 1
        insn::make(0x55, 3, 0, -7, 0),          // jne r3, 0, loop
        insn::make(0x95, 0, 0, 0, 0),           // exit
    }};
}

/// eBPF instructions one run of alu_loop_program(iterations) executes.
[[nodiscard]] constexpr std::uint64_t alu_loop_insns(std::int32_t iterations) noexcept {
    return 3 + 7 * static_cast<std::uint64_t>(iterations) + 1;
}

/// Load the ALU loop into `prog` (raw context) and run it `runs` times; returns the number of
/// eBPF instructions executed (0 if loading failed). The caller reads its cycle/instret counters
/// around this call. `prog.budget` must cover 7 * iterations.
template <class Program>
std::uint64_t run_alu_loop(Program& prog, std::int32_t iterations, std::uint32_t runs) noexcept {
    const auto code = alu_loop_program(iterations);
    verifier_options opt;
    opt.type = prog_type::raw;
    if (!prog.load(code, {}, opt).ok()) return 0;
    std::uint64_t sink = 0;
    for (std::uint32_t k = 0; k < runs; ++k) sink += prog.run_raw({}, 0).r0;
    return sink == 0xffffffffffffffffull ? 0 : alu_loop_insns(iterations) * runs;
}

}  // namespace secengine::ebpf
