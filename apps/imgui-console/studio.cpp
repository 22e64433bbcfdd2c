// Console eBPF studio: assemble with the source-line map, verify (optionally against the
// appliance's slot), load clang objects, compile C (no ImGui here).
#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <secengine/ebpf/program.hpp>
#include <secengine/ebpf/verifier.hpp>

#include "appliance_fit.hpp"
#include "asm.hpp"
#include "elf_loader.hpp"

namespace console {

namespace eb = secengine::ebpf;

std::size_t line_of_pc(const std::string& source, std::uint32_t pc) {
    // The assembler's own source-line map (apps/common/asm.hpp): one grammar, no re-parsing.
    std::vector<eb::insn> code;
    std::vector<std::uint32_t> lines;
    std::string err;
    if (!secbpf::assemble(source, code, err, &lines) || pc >= lines.size()) return 0;
    return lines[pc];
}

namespace {
using studio_limits = eb::program_limits<65536, 64, 1 << 20, 16384, 8>;
}

bool ebpf_studio::verify() {
    verified = false;
    bad_line = 0;
    std::vector<eb::map_spec> specs;
    for (const auto& m : maps) {
        eb::map_spec s;
        s.type = m.type == wire::map_type::hash ? eb::map_type::hash : eb::map_type::array;
        s.key_size = m.key_size;
        s.value_size = m.value_size;
        s.max_entries = m.max_entries;
        specs.push_back(s);
    }
    auto prog = std::make_unique<eb::program<studio_limits>>();
    eb::verifier_options opt;
    const auto lr = prog->load(code, specs, opt);
    if (!lr.ok()) {
        bad_pc = lr.pc;
        bad_line = line_of_pc(source, lr.pc);
        status = "verifier: " + std::string(eb::name(lr.error)) + " at pc " + std::to_string(lr.pc);
        if (bad_line) status += " (line " + std::to_string(bad_line) + ")";
        return false;
    }
    if (appliance_limits) {
        std::vector<eb::map_spec> appliance_specs = specs;
        const std::string why = secengine::host::appliance_refusal(code, appliance_specs);
        if (!why.empty()) {
            // The refusal names a pc for verifier errors ("... at pc N"): highlight its line.
            const auto at = why.rfind(" at pc ");
            bad_pc = at == std::string::npos ? 0 : static_cast<std::uint32_t>(std::strtoul(why.c_str() + at + 7, nullptr, 10));
            bad_line = at == std::string::npos ? 0 : line_of_pc(source, bad_pc);
            status = "the appliance would refuse it: " + why + " (the host verifier accepts it)";
            return false;
        }
    }
    verified = true;
    status = "verified: " + std::to_string(code.size()) + " instructions" +
             (appliance_limits ? ", fits the appliance's slot (" + std::to_string(secengine::host::appliance_slot().insns) + ")"
                               : std::string(" (host limits)"));
    return true;
}

bool ebpf_studio::assemble_and_verify() {
    code.clear();
    disassembly.clear();
    std::string err;
    if (!secbpf::assemble(source, code, err)) {
        verified = false;
        status = "assembler: " + err;
        // The assembler names the line ("line N: ..."): highlight it.
        const auto p = err.find("line ");
        bad_line = p == std::string::npos ? 0 : std::strtoul(err.c_str() + p + 5, nullptr, 10);
        return false;
    }
    disassembly = secbpf::disassemble(code);
    return verify();
}

bool ebpf_studio::load_object(const std::string& path) {
    secbpf::elf_program ep;
    std::string err;
    if (!secbpf::load_elf(path, "", ep, err)) {
        status = "load: " + err;
        verified = false;
        return false;
    }
    code = ep.insns;
    maps.clear();
    for (const auto& m : ep.maps) {
        wire::map_spec s;
        s.type = m.type == eb::map_type::hash ? wire::map_type::hash : wire::map_type::array;
        s.key_size = static_cast<std::uint8_t>(m.key_size);
        s.value_size = static_cast<std::uint16_t>(m.value_size);
        s.max_entries = m.max_entries;
        maps.push_back(s);
    }
    disassembly = secbpf::disassemble(code);
    source = "; loaded from " + path + " (section " + ep.section + ")\n" + disassembly;
    return verify();
}

bool ebpf_studio::compile_c(const std::string& c_path, std::string& obj_path) {
    if (std::system("command -v clang >/dev/null 2>&1") != 0) {
        status = "clang is not installed";
        return false;
    }
    obj_path = c_path + ".o";
    const std::string cmd = "clang -O2 -g -target bpf -c '" + c_path + "' -o '" + obj_path + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    if (p) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        if (::pclose(p) != 0) {
            status = "clang failed:\n" + out;
            return false;
        }
    }
    return load_object(obj_path);
}

}  // namespace console
