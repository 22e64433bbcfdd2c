#pragma once
/// \file Kernel command line (device tree /chosen/bootargs), ../shared/DESIGN.md section 3:
/// `ip=10.0.0.2/24 mgmt_port=7400 key=<32 hex digits>` (the defaults), plus
/// `selftest=pmp` (read outside the RAM window after PMP lockdown: must trap),
/// `selftest=stack` (write into the guard below the stack, as an overflow would: must trap) and
/// `report_ms=<n>` (period of the UART counter line, default 1000), `pps=<n>` (per-source
/// packets per second before a ban, 0 = off; default from the engine config), `ban_s=<n>` and
/// `bench=1` (add instructions-retired counters to the stats line; meaningful under -icount) and
/// `stages=<digits>` (only the listed pipeline stages run, e.g. `stages=1234`; for cost breakdowns) and
/// `selfbench=1` (measure eBPF and DPI instruction costs at boot, selfbench.hpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kernel {

/// SipHash's reference key 00 01 .. 0f: public, so the kernel warns when it is in use.
inline constexpr std::array<std::uint8_t, 16> demo_key = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/// Parsed boot arguments.
struct boot_config {
    std::uint32_t ip = 0x0a000002;  // 10.0.0.2
    std::uint8_t prefix = 24;
    std::uint16_t mgmt_port = 7400;
    std::array<std::uint8_t, 16> key = demo_key;
    bool selftest_pmp = false;
    bool selftest_stack = false;
    std::uint32_t report_ms = 1000;
    std::int64_t pps = -1;    ///< -1: keep the engine's default
    std::int64_t ban_s = -1;
    bool bench = false;
    bool selfbench = false;
    std::uint8_t stages = 0x7e;  ///< bit n: stage n enabled (pipeline's stage_id numbering)
};

/// Why one argument was not taken.
enum class arg_status : std::uint8_t { ok, unknown, bad_value };

namespace detail_args {
/// std::string_view::substr without the out_of_range throw (none in a freestanding kernel).
constexpr std::string_view sub(std::string_view s, std::size_t pos, std::size_t n = std::string_view::npos) {
    if (pos > s.size()) pos = s.size();
    if (n > s.size() - pos) n = s.size() - pos;
    return std::string_view{s.data() + pos, n};
}
constexpr bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
    if (s.empty() || s.size() > 10) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}
constexpr int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
constexpr bool parse_ip(std::string_view s, std::uint32_t& ip, std::uint8_t& prefix) {
    std::uint32_t v = 0;
    std::uint8_t pfx = 32;
    if (const auto slash = s.find('/'); slash != std::string_view::npos) {
        std::uint64_t p = 0;
        if (!parse_uint(sub(s, slash + 1), 32, p)) return false;
        pfx = static_cast<std::uint8_t>(p);
        s = sub(s, 0, slash);
    }
    for (int part = 0; part < 4; ++part) {
        const auto dot = s.find('.');
        if ((dot == std::string_view::npos) != (part == 3)) return false;
        std::uint64_t o = 0;
        if (!parse_uint(sub(s, 0, dot), 255, o)) return false;
        v = (v << 8) | static_cast<std::uint32_t>(o);
        s = part == 3 ? std::string_view{} : sub(s, dot + 1);
    }
    ip = v;
    prefix = pfx;
    return true;
}
}  // namespace detail_args

/// Applies one `name=value` argument to `cfg`.
constexpr arg_status apply_arg(std::string_view arg, boot_config& cfg) {
    using namespace detail_args;
    const auto eq = arg.find('=');
    const std::string_view name = sub(arg, 0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : sub(arg, eq + 1);
    std::uint64_t n = 0;
    if (name == "ip") return parse_ip(value, cfg.ip, cfg.prefix) ? arg_status::ok : arg_status::bad_value;
    if (name == "mgmt_port") {
        if (!parse_uint(value, 65535, n) || n == 0) return arg_status::bad_value;
        cfg.mgmt_port = static_cast<std::uint16_t>(n);
        return arg_status::ok;
    }
    if (name == "report_ms") {
        if (!parse_uint(value, 3'600'000, n) || n == 0) return arg_status::bad_value;
        cfg.report_ms = static_cast<std::uint32_t>(n);
        return arg_status::ok;
    }
    if (name == "pps" || name == "ban_s") {
        if (!parse_uint(value, 65535, n)) return arg_status::bad_value;
        (name == "pps" ? cfg.pps : cfg.ban_s) = static_cast<std::int64_t>(n);
        return arg_status::ok;
    }
    if (name == "key") {
        if (value.size() != 32) return arg_status::bad_value;
        std::array<std::uint8_t, 16> k{};
        for (std::size_t i = 0; i < 16; ++i) {
            const int h = hex_digit(value[2 * i]), l = hex_digit(value[2 * i + 1]);
            if (h < 0 || l < 0) return arg_status::bad_value;
            k[i] = static_cast<std::uint8_t>(h * 16 + l);
        }
        cfg.key = k;
        return arg_status::ok;
    }
    if (name == "bench") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.bench = value == "1";
        return arg_status::ok;
    }
    if (name == "selfbench") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.selfbench = value == "1";
        return arg_status::ok;
    }
    if (name == "stages") {
        std::uint8_t mask = 0;
        for (char c : value) {
            if (c < '1' || c > '6') return arg_status::bad_value;
            mask = static_cast<std::uint8_t>(mask | (1u << (c - '0')));
        }
        cfg.stages = mask;
        return arg_status::ok;
    }
    if (name == "selftest") {
        if (value != "pmp" && value != "stack") return arg_status::bad_value;
        (value == "pmp" ? cfg.selftest_pmp : cfg.selftest_stack) = true;
        return arg_status::ok;
    }
    return arg_status::unknown;
}

/// Splits `line` at spaces and applies each argument; `report(arg, status)` is called for each
/// argument that was not taken.
template <class Report>
constexpr void parse_bootargs(std::string_view line, boot_config& cfg, Report&& report) {
    while (!line.empty()) {
        const auto sp = line.find(' ');
        const std::string_view arg = detail_args::sub(line, 0, sp);
        line = sp == std::string_view::npos ? std::string_view{} : detail_args::sub(line, sp + 1);
        if (arg.empty()) continue;
        if (const arg_status s = apply_arg(arg, cfg); s != arg_status::ok) report(arg, s);
    }
}

}  // namespace kernel
