#pragma once
// An eBPF program from a file, as every host tool reads one (secbpf, secctl load): a clang ELF
// object (elf_loader.hpp: relocated, with its maps), ubpf assembler text (`*.s`, asm.hpp), or raw
// little-endian 8-byte instruction slots - told apart by the ELF magic and the name.
#include <string>
#include <vector>

#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>

namespace secengine::host {

/// The program at `path`; `section` picks an ELF object's program section (empty: the first) and
/// is refused for other kinds. False with `err` naming the file and what is wrong with it.
[[nodiscard]] bool load_program_file(const std::string& path, const std::string& section, std::vector<ebpf::insn>& code,
                                     std::vector<ebpf::map_spec>& maps, std::string& err);

}  // namespace secengine::host
