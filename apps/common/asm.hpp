#pragma once
// ubpf-style assembler and disassembler (the syntax of the bpf_conformance .data files).
#include <cstdint>
#include <string>
#include <vector>

#include <secengine/ebpf/isa.hpp>

namespace secbpf {

// Assemble `text`; on error return false with a message naming the line.
bool assemble(const std::string& text, std::vector<secengine::ebpf::insn>& out, std::string& err);
// The same, also filling `lines` with the 1-based source line of every instruction slot
// (lines->size() == out.size(); both slots of an lddw name its line).
bool assemble(const std::string& text, std::vector<secengine::ebpf::insn>& out, std::string& err,
              std::vector<std::uint32_t>* lines);
// One line per instruction (lddw takes two slots and prints once).
std::string disassemble(const std::vector<secengine::ebpf::insn>& prog);

}  // namespace secbpf
