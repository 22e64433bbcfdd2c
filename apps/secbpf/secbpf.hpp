#pragma once
// secbpf's parts (docs/tools.md, "secbpf"): the host program slot every command loads into, the
// program reader shared by the commands, and one function per command (main.cpp's table).
#include <span>
#include <string>
#include <vector>

#include <secengine/ebpf/program.hpp>

namespace secbpf::cli {

/// Host program slot: generous capacities (the kernel uses far smaller ones, docs/ebpf.md);
/// `verify --limits appliance` checks the appliance's own slot on top (appliance_fit.hpp).
using host_limits = secengine::ebpf::program_limits<65536, 64, 1 << 20, 16384, 8>;
using host_program = secengine::ebpf::program<host_limits>;

/// The arguments after the command word.
using args_t = std::span<const std::string>;

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
