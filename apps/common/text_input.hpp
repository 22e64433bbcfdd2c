#pragma once
// Reading the host tools' input files and the plain-text fields inside them (secbpf's .data
// files and raw programs, the assembler, secrules): a whole file, surrounding white space, hex
// byte strings and C integer literals. Command-line numbers are not parsed here: they go through
// parse_number (address_text.hpp), which takes decimal digits only and names the range.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace secengine::host {

/// The value of one hex digit (either case), or -1: the one digit table of every hex reader
/// (parse_hex_bytes here; keys and source keys in address_text.cpp).
[[nodiscard]] constexpr int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// The whole file at `path`, byte for byte; false if it cannot be opened or read.
[[nodiscard]] bool read_file(const std::string& path, std::string& out);

/// `s` without leading and trailing spaces, tabs, CR and LF.
[[nodiscard]] std::string trim(std::string_view s);

/// White-space-separated tokens of hex digit pairs ("b7 00 00 00", "b7000000") appended to
/// `out`; false at the first odd-length token or non-hex digit (`out` then holds what came before).
[[nodiscard]] bool parse_hex_bytes(std::string_view text, std::vector<std::uint8_t>& out);

/// A C integer literal as the bpf_conformance .data files write results: decimal, 0x hex or 0
/// octal, optionally negative (two's complement into 64 bits); surrounding white space is
/// allowed. False for anything else, including values that do not fit 64 bits.
[[nodiscard]] bool parse_c_integer(std::string_view text, std::uint64_t& out);

}  // namespace secengine::host
