// secbpf: the eBPF host tool (docs/tools.md, "secbpf"). This file is its command table and
// dispatch; each command is one function (secbpf.hpp), the assembler, ELF loader and the
// appliance's slot check are the shared host library's (apps/common).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "secbpf.hpp"
#include "suggest.hpp"

namespace {

using namespace secbpf::cli;

/// One row per command: its name, its function and its usage lines.
struct command_row {
    std::string_view name;
    int (*run)(args_t);
    std::string_view synopsis;
};

constexpr command_row commands[] = {
    {"asm", cmd_asm, "asm FILE.s [-o OUT.bin]        assemble (ubpf syntax); prints one u64 per line without -o"},
    {"disasm", cmd_disasm, "disasm FILE(.o|.bin|.s)        disassemble"},
    {"verify", cmd_verify,
     "verify PROG.o [--raw] [--limits host|appliance]\n"
     "                                 verify an object (XDP context unless --raw); appliance: against\n"
     "                                 the appliance's own program slot and verifier"},
    {"run", cmd_run, "run --xdp PROG.o --packet F    run on a frame; prints return=<r0> and the maps"},
    {"test", cmd_test, "test [--negative] FILE.data... run conformance .data files"},
    {"embed", cmd_embed, "embed PROG.o [--name N]        C++ header with instructions and map specs"},
    {"plugin", cmd_plugin, "plugin [MEMHEX]                bpf_conformance plugin (program as hex on stdin)"},
};

void usage(std::FILE* to) {
    std::fputs("usage: secbpf COMMAND ...\n", to);
    for (const auto& c : commands) std::fprintf(to, "  %.*s\n", static_cast<int>(c.synopsis.size()), c.synopsis.data());
    std::fputs("  help                           this text\n\nexit: 0 ok, 1 the input failed (rejected, fault, "
               "wrong result, unreadable), 64 usage error\n",
               to);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return exit_usage;
    }
    const std::string cmd = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& c : commands)
        if (c.name == cmd) return c.run(args);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
        usage(stdout);
        return 0;
    }
    std::vector<std::string_view> names;
    for (const auto& c : commands) names.push_back(c.name);
    names.push_back("help");
    std::fprintf(stderr, "secbpf: unknown command '%s'%s (secbpf help lists them)\n", cmd.c_str(),
                 secengine::host::did_you_mean(cmd, names).c_str());
    return exit_usage;
}
