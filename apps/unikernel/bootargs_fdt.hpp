#pragma once
// The kernel's boot arguments, read from the device tree's /chosen/bootargs (QEMU's -append) and
// parsed by bootargs.hpp (the parser is host-testable and fuzzed; this is the board glue).
#include <cstddef>
#include <string_view>

#include "bootargs.hpp"
#include "fdt.hpp"
#include "trap.hpp"
#include "uart.hpp"

namespace kernel {

// Fail closed (docs/unikernel.md "Boot arguments"): a value the operator set but the kernel cannot
// use (a mistyped key, an unusable address, an empty stages=) halts with exit status 4 instead of
// running with a default - above all not with the public demo key. The line is parsed in place in
// the device tree (read before PMP lockdown), so no argument is cut off by a copy buffer.
inline void read_bootargs(const void* dtb, boot_config& cfg) {
    const char* value = nullptr;
    std::size_t len = 0;
    const board::fdt::error e = board::fdt::find_property(dtb, "/chosen", "bootargs", value, len);
    if (e != board::fdt::error::none) {
        board::uart::puts("secengine: no /chosen/bootargs (");
        board::uart::puts(board::fdt::name(e));
        board::uart::puts("), using defaults\n");
        return;
    }
    std::size_t n = 0;
    while (n < len && value[n] != '\0') ++n;
    const std::size_t fatals = parse_bootargs(std::string_view{value, n}, cfg, [](std::string_view arg, arg_status s) {
        if (s == arg_status::unknown) {
            board::uart::puts("secengine: unknown boot arg '");
            board::uart::write(arg.data(), arg.size());
            board::uart::puts("' ignored\n");
            return;
        }
        board::uart::puts("secengine: fatal bootargs '");
        board::uart::write(arg.data(), arg.size());
        board::uart::puts("': ");
        board::uart::puts(name(s));
        board::uart::putc('\n');
    });
    if (fatals != 0) {
        board::uart::puts("secengine: fatal bootargs: ");
        board::uart::put_dec(fatals);
        board::uart::puts(" bad argument(s), halting (not running with defaults)\n");
        board::shutdown(4);
    }
}

}  // namespace kernel
