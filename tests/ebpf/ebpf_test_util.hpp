#pragma once
// Tiny instruction builders for the eBPF tests (RFC 9669 encodings).
#include <cstdint>
#include <vector>

#include <secengine/ebpf/program.hpp>

namespace t {
namespace eb = secengine::ebpf;
using eb::insn;
namespace op = eb::op;

inline insn I(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
    return insn::make(code, dst, src, off, imm);
}
inline insn mov(std::uint8_t d, std::int32_t imm) { return I(0xb7, d, 0, 0, imm); }
inline insn movr(std::uint8_t d, std::uint8_t s) { return I(0xbf, d, s, 0, 0); }
inline insn add(std::uint8_t d, std::int32_t imm) { return I(0x07, d, 0, 0, imm); }
inline insn exit_() { return I(0x95, 0, 0, 0, 0); }
inline insn ja(std::int16_t off) { return I(0x05, 0, 0, off, 0); }
inline insn call(std::int32_t id) { return I(0x85, 0, 0, 0, id); }
inline insn call_local(std::int32_t rel) { return I(0x85, 0, 1, 0, rel); }
inline insn ldxw(std::uint8_t d, std::uint8_t s, std::int16_t off) { return I(0x61, d, s, off, 0); }
inline insn ldxb(std::uint8_t d, std::uint8_t s, std::int16_t off) { return I(0x71, d, s, off, 0); }
inline insn ldxdw(std::uint8_t d, std::uint8_t s, std::int16_t off) { return I(0x79, d, s, off, 0); }
inline insn stdw(std::uint8_t d, std::int16_t off, std::int32_t imm) { return I(0x7a, d, 0, off, imm); }
inline insn stxdw(std::uint8_t d, std::int16_t off, std::uint8_t s) { return I(0x7b, d, s, off, 0); }
inline insn jgt_r(std::uint8_t d, std::uint8_t s, std::int16_t off) { return I(0x2d, d, s, off, 0); }
inline insn jeq(std::uint8_t d, std::int32_t imm, std::int16_t off) { return I(0x15, d, 0, off, imm); }
inline void lddw(std::vector<insn>& p, std::uint8_t d, std::uint64_t v, std::uint8_t src = 0) {
    p.push_back(I(0x18, d, src, 0, static_cast<std::int32_t>(static_cast<std::uint32_t>(v))));
    p.push_back(I(0, 0, 0, 0, static_cast<std::int32_t>(static_cast<std::uint32_t>(v >> 32))));
}

using test_limits = eb::program_limits<1024, 4, 4096, 256, 4>;
using test_program = eb::program<test_limits>;

inline eb::map_spec array_map(std::uint32_t value_size, std::uint32_t entries) {
    eb::map_spec m;
    m.type = eb::map_type::array;
    m.key_size = 4;
    m.value_size = value_size;
    m.max_entries = entries;
    return m;
}

}  // namespace t
