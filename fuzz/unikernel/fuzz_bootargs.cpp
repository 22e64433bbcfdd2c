// libFuzzer target for the kernel's boot-argument parser (apps/unikernel/bootargs.hpp): the input
// is a whole command line. Checked (any failure traps): the count of fatal arguments equals the
// fatal reports; every report names a non-empty argument that lies inside the line; with no fatal
// argument the configuration is usable (prefix 1..32, port != 0, some stage on, a host address
// that is not 0/8, 127/8 or >= 224/4), so the kernel never runs with a refused value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bootargs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    kernel::boot_config cfg;
    std::size_t fatal_reports = 0;
    const std::size_t fatals = kernel::parse_bootargs(line, cfg, [&](std::string_view arg, kernel::arg_status s) {
        if (arg.empty() || arg.data() < line.data() || arg.data() + arg.size() > line.data() + line.size()) __builtin_trap();
        if (s == kernel::arg_status::ok) __builtin_trap();
        if (kernel::name(s)[0] == '?') __builtin_trap();
        if (kernel::fatal(s)) ++fatal_reports;
    });
    if (fatals != fatal_reports) __builtin_trap();
    if (fatals == 0) {
        const std::uint32_t top = cfg.ip >> 24;
        if (cfg.prefix < 1 || cfg.prefix > 32 || cfg.mgmt_port == 0 || cfg.stages == 0 || top == 0 || top == 127 || top >= 224)
            __builtin_trap();
        if (cfg.prefix <= 30) {
            const std::uint32_t host = cfg.ip & ((std::uint32_t{1} << (32 - cfg.prefix)) - 1);
            if (host == 0 || host == (std::uint32_t{1} << (32 - cfg.prefix)) - 1) __builtin_trap();
        }
        if (cfg.report_ms == 0) __builtin_trap();
    }
    return 0;
}
