// eBPF programs for upload (program_image.hpp).
#include "program_image.hpp"

#include <fstream>
#include <iterator>

#include "elf_loader.hpp"

namespace secctl {

namespace wire = secengine::wire;

bool read_program(const std::string& path, const std::string& section, program_image& img, std::string& err) {
    img = {};
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        err = "cannot open " + path;
        return false;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() >= 4 && bytes.compare(0, 4, "\x7f" "ELF") == 0) {
        secbpf::elf_program p;
        if (!secbpf::load_elf(path, section, p, err)) return false;
        for (const auto& i : p.insns) {
            const std::uint64_t w = i.encode();
            for (int b = 0; b < 8; ++b) img.code.push_back(static_cast<std::byte>(w >> (8 * b)));
        }
        for (const auto& m : p.maps) {
            if (m.key_size > 255 || m.value_size > 65535) {
                err = path + ": map key " + std::to_string(m.key_size) + " / value " + std::to_string(m.value_size) +
                      " bytes: the protocol carries keys up to 255 and values up to 65535 bytes";
                return false;
            }
            wire::map_spec s;
            s.type = static_cast<wire::map_type>(static_cast<std::uint8_t>(m.type));
            s.key_size = static_cast<std::uint8_t>(m.key_size);
            s.value_size = static_cast<std::uint16_t>(m.value_size);
            s.max_entries = m.max_entries;
            img.maps.push_back(s);
        }
        return true;
    }
    if (!section.empty()) {
        err = path + ": --section applies to ELF objects, this is raw bytecode";
        return false;
    }
    if (bytes.empty() || bytes.size() % 8 != 0) {
        err = path + ": neither an ELF object nor raw bytecode (" + std::to_string(bytes.size()) +
              " bytes, not a multiple of 8)";
        return false;
    }
    for (char c : bytes) img.code.push_back(static_cast<std::byte>(c));
    return true;
}

}  // namespace secctl
