// eBPF programs for upload (program_image.hpp).
#include "program_image.hpp"

#include "program_file.hpp"

namespace secctl {

namespace wire = secengine::wire;

bool read_program(const std::string& path, const std::string& section, program_image& img, std::string& err) {
    img = {};
    std::vector<secengine::ebpf::insn> code;
    std::vector<secengine::ebpf::map_spec> maps;
    if (!secengine::host::load_program_file(path, section, code, maps, err)) return false;
    for (const auto& m : maps) {
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
    for (const auto& i : code) {
        const std::uint64_t w = i.encode();
        for (int b = 0; b < 8; ++b) img.code.push_back(static_cast<std::byte>(w >> (8 * b)));
    }
    return true;
}

}  // namespace secctl
