#pragma once
// The one spelling of addresses, source keys, ports and keys for every host tool (secctl, the
// console, the exporter): what one tool prints, another accepts (docs/secctl.md, "Addresses").
//
//   IPv4 address      10.0.0.2                 (inet_pton/inet_ntop, RFC 4001 dotted quad)
//   IPv6 address      2001:db8::1              (RFC 5952 text; IPv4-mapped shown dotted)
//   source key        10.0.0.50 | ipv6-key:0x8000123456789abc
//                     (flow_key.hpp: an IPv4 source, or bit 63 + a per-boot hash of an IPv6
//                     source; the hash cannot be turned back into an address, so it is printed
//                     whole and pasted back whole)
//   endpoint          IP[:PORT]                (PORT 1..65535)
//   key               32 hex digits            (the SipHash key of the control protocol)
//   number            decimal digits only      (no sign, no spaces, no 0x; range-checked)
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace secengine::host {

/// "a.b.c.d" -> host-order number; false if malformed.
[[nodiscard]] bool parse_ipv4(std::string_view s, std::uint32_t& out);
[[nodiscard]] std::string ipv4_text(std::uint32_t ip);

/// A 16-byte address: dotted when IPv4-mapped (::ffff:a.b.c.d), else RFC 5952 text.
[[nodiscard]] std::string address_text(const std::array<std::uint8_t, 16>& a);
/// The same, for records that carry the IP version: 4 reads bytes 12..15, 6 the whole, else "-".
[[nodiscard]] std::string address_text(const std::array<std::uint8_t, 16>& a, std::uint8_t ip_version);

/// Prefix of an IPv6 source key's text.
inline constexpr std::string_view ipv6_key_prefix = "ipv6-key:0x";
/// A penalty-box / heavy-hitter source key: dotted IPv4, or "ipv6-key:0x" + 16 hex digits.
[[nodiscard]] std::string source_key_text(std::uint64_t key);
/// Inverse of source_key_text: false (and `out` untouched) for anything it does not print,
/// including key 0 (no source has it) and an ipv6-key without bit 63.
[[nodiscard]] bool parse_source_key(std::string_view s, std::uint64_t& out);

/// 32 hex digits -> 16 key bytes; false if malformed.
[[nodiscard]] bool parse_key(std::string_view hex, std::array<std::uint8_t, 16>& out);

/// A decimal number in lo..hi; on failure `err` reads "WHAT must be LO..HI, got TOKEN" (quoted
/// when TOKEN is not a number at all). Every command-line number of every host tool goes here.
[[nodiscard]] bool parse_number(std::string_view token, std::string_view what, std::uint64_t lo, std::uint64_t hi,
                                std::uint64_t& out, std::string& err);

}  // namespace secengine::host
