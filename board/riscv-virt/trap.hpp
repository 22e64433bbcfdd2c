#pragma once
/// \file Fatal traps and orderly stops.
#include <cstdint>

namespace board {

/// Stops QEMU through the sifive_test device: exit status 0 when `code == 0`, else `code`.
[[noreturn]] void shutdown(std::uint32_t code);
/// Starts the kernel again from its entry point (a warm restart: PMP stays as locked).
[[noreturn]] void restart();

}  // namespace board

extern "C" [[noreturn]] void trap_report(std::uint64_t cause, std::uint64_t epc, std::uint64_t tval);
