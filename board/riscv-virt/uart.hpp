#pragma once
/// \file NS16550A UART at 0x10000000: polled output, non-blocking input.
#include <cstddef>
#include <cstdint>

namespace board::uart {

void init();
void putc(char c);
void puts(const char* s);
void write(const char* s, std::size_t n);
void put_dec(std::uint64_t v);
void put_hex(std::uint64_t v);  ///< with 0x prefix
/// Returns the next received byte or -1 when none is waiting.
int getc();

}  // namespace board::uart
