#pragma once
// An eBPF program as the control protocol uploads it: 8-byte instruction slots and map specs,
// from any program file the host tools read (apps/common/program_file.hpp: ELF object, assembler
// text or raw bytecode).
#include <cstddef>
#include <string>
#include <vector>

#include <secengine/wire.hpp>

namespace secctl {

struct program_image {
    std::vector<std::byte> code;
    std::vector<secengine::wire::map_spec> maps;
    [[nodiscard]] std::size_t instructions() const { return code.size() / 8; }
};

/// False with `err` naming the file and what is wrong.
[[nodiscard]] bool read_program(const std::string& path, const std::string& section, program_image& img, std::string& err);

}  // namespace secctl
