// eBPF programs from files (program_file.hpp).
#include "program_file.hpp"

#include <cstring>

#include "asm.hpp"
#include "elf_loader.hpp"
#include "text_input.hpp"

namespace secengine::host {

bool load_program_file(const std::string& path, const std::string& section, std::vector<ebpf::insn>& code,
                       std::vector<ebpf::map_spec>& maps, std::string& err) {
    code.clear();
    maps.clear();
    std::string bytes;
    if (!read_file(path, bytes)) {
        err = "cannot read " + path;
        return false;
    }
    if (bytes.size() >= 4 && bytes.compare(0, 4, "\x7f" "ELF") == 0) {
        secbpf::elf_program ep;
        if (!secbpf::load_elf(path, section, ep, err)) return false;
        code = ep.insns;
        maps = ep.maps;
        return true;
    }
    if (!section.empty()) {
        err = path + ": --section applies to ELF objects, this is " + (path.ends_with(".s") ? "assembler text" : "raw bytecode");
        return false;
    }
    if (path.ends_with(".s")) {
        if (secbpf::assemble(bytes, code, err)) return true;
        err = path + ": " + err;
        return false;
    }
    if (bytes.empty() || bytes.size() % 8 != 0) {
        err = path + ": neither an ELF object, nor assembler text (*.s), nor raw bytecode (" + std::to_string(bytes.size()) +
              " bytes, not a positive multiple of 8)";
        return false;
    }
    for (std::size_t k = 0; k < bytes.size(); k += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + k, 8);  // the slots are little-endian, as the host (x86-64, RV64)
        code.push_back(ebpf::insn::decode(w));
    }
    return true;
}

}  // namespace secengine::host
