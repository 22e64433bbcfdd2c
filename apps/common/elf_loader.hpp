#pragma once
// Load a clang-compiled BPF ELF object: program section + .text subprograms, relocations
// (R_BPF_64_64 for map lddw, R_BPF_64_32 for calls) and map declarations (legacy `maps`
// section or BTF `.maps`). ELF is read with libelf; BTF map definitions through libbpf.
#include <string>
#include <vector>

#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secbpf {

struct elf_program {
    std::string section;  // the program section used (e.g. "xdp")
    std::vector<secengine::ebpf::insn> insns;
    std::vector<secengine::ebpf::map_spec> maps;
};

// `section` empty: the first executable section other than .text (XDP programs: "xdp*").
bool load_elf(const std::string& path, const std::string& section, elf_program& out, std::string& err);

}  // namespace secbpf
