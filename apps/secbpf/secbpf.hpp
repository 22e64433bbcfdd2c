#pragma once
// secbpf's parts (docs/tools.md, "secbpf"): the host program slot every command loads into, the
// program reader shared by the commands, and one function per command (main.cpp's table).
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <secengine/ebpf/program.hpp>

#include "program_file.hpp"

namespace secbpf::cli {

/// Host program slot: generous capacities (the kernel uses far smaller ones, docs/ebpf.md);
/// `verify --limits appliance` checks the appliance's own slot on top (appliance_fit.hpp).
using host_limits = secengine::ebpf::program_limits<65536, 64, 1 << 20, 16384, 8>;
using host_program = secengine::ebpf::program<host_limits>;

/// The arguments after the command word.
using args_t = std::span<const std::string>;

/// A program and its maps, as a command reads it.
struct program_input {
    std::vector<secengine::ebpf::insn> code;
    std::vector<secengine::ebpf::map_spec> maps;
};

/// The program at `path` (apps/common/program_file.hpp); on failure prints "secbpf CMD: why"
/// and returns nullopt (the command then exits 1).
[[nodiscard]] inline std::optional<program_input> read_program(const char* cmd, const std::string& path,
                                                               const std::string& section = "") {
    program_input p;
    std::string err;
    if (secengine::host::load_program_file(path, section, p.code, p.maps, err)) return p;
    std::fprintf(stderr, "secbpf %s: %s\n", cmd, err.c_str());
    return std::nullopt;
}

/// The commands: each returns the process exit code (0 ok, 1 the input failed, 64 usage error).
int cmd_asm(args_t args);
int cmd_disasm(args_t args);
int cmd_verify(args_t args);
int cmd_run(args_t args);
int cmd_test(args_t args);
int cmd_embed(args_t args);
int cmd_plugin(args_t args);

/// The exit code of a usage error (EX_USAGE, as every host tool: docs/tools.md).
inline constexpr int exit_usage = 64;

}  // namespace secbpf::cli
