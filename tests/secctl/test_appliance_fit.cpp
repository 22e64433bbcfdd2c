// The appliance's eBPF slot on the host (apps/common/appliance_fit.hpp): what it accepts is what
// the appliance's control plane accepts (the same slot type and verifier), and what it refuses is
// named with the capacity exceeded.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <secengine/appliance.hpp>

#include "appliance_fit.hpp"
#include "asm.hpp"

namespace {

namespace eb = secengine::ebpf;

std::vector<eb::insn> program_of(std::size_t n) {
    // mov r0, 2; (n - 2) x add r0, 0; exit: valid at every length >= 2.
    std::string src = "mov %r0, 2\n";
    for (std::size_t i = 2; i < n; ++i) src += "add %r0, 0\n";
    src += "exit\n";
    std::vector<eb::insn> code;
    std::string err;
    REQUIRE(secbpf::assemble(src, code, err));
    REQUIRE(code.size() == n);
    return code;
}

}  // namespace

TEST_CASE("appliance fit: a program is taken up to the slot's length, and refused past it with both numbers") {
    const auto cap = secengine::host::appliance_slot();
    CHECK(cap.insns == secengine::appliance::ebpf_limits::max_insns);
    CHECK(cap.maps == secengine::appliance::ebpf_limits::max_maps);
    std::mt19937_64 rng(5);
    for (int i = 0; i < 60; ++i) {
        const std::size_t n = 2 + rng() % (3 * cap.insns);
        const std::string why = secengine::host::appliance_refusal(program_of(n), {});
        INFO(n << ": " << why);
        if (n <= cap.insns) {
            CHECK(why.empty());
        } else {
            CHECK(why == "too_large: " + std::to_string(n) + " instructions, the appliance's slot holds " +
                             std::to_string(cap.insns));
        }
    }
    CHECK(secengine::host::slot_text(74, 0) == "74 instructions, the appliance's slot holds " + std::to_string(cap.insns));
}

TEST_CASE("appliance fit: maps beyond the slot and verifier errors are named") {
    const auto cap = secengine::host::appliance_slot();
    std::vector<eb::map_spec> maps(cap.maps + 1);
    const std::string many = secengine::host::appliance_refusal(program_of(4), maps);
    CHECK(many == "bad_map_spec: " + std::to_string(cap.maps + 1) + " maps, the appliance's slot holds " +
                      std::to_string(cap.maps) + " maps in " + std::to_string(cap.map_bytes) + " bytes");
    eb::map_spec big;
    big.value_size = 8;
    big.max_entries = static_cast<std::uint32_t>(cap.map_bytes);  // 8 x map_bytes bytes
    const std::string large = secengine::host::appliance_refusal(program_of(4), std::vector<eb::map_spec>{big});
    CHECK_THAT(large, Catch::StartsWith("bad_map_spec: map 0 does not fit the appliance's " + std::to_string(cap.map_bytes)));
    // A verifier error keeps its name and pc: r2 is read before any write.
    std::vector<eb::insn> code;
    std::string err;
    REQUIRE(secbpf::assemble("mov %r0, %r2\nexit\n", code, err));
    CHECK(secengine::host::appliance_refusal(code, {}) == "uninit_register at pc 0");
    // Hostile: no code at all.
    CHECK(secengine::host::appliance_refusal({}, {}) == "empty at pc 0");
}
