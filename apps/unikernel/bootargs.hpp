#pragma once
/// \file Kernel command line (device tree /chosen/bootargs), docs/unikernel.md "Boot arguments":
/// `ip=10.0.0.2/24 mgmt_port=7400 key=<32 hex digits>` (the defaults), plus
/// `selftest=pmp` (read outside the RAM window after PMP lockdown: must trap),
/// `selftest=stack` (write into the guard below the stack, as an overflow would: must trap) and
/// `report_ms=<n>` (period of the UART counter line, default 1000), `pps=<n>` (per-source
/// packets per second before a ban, 0 = off; default from the engine config), `ban_s=<n>` and
/// `bench=1` (add instructions-retired counters to the stats line; meaningful under -icount) and
/// `stages=<digits>` (only the listed pipeline stages run, e.g. `stages=1234`; for cost breakdowns) and
/// `selfbench=1` (measure eBPF and DPI instruction costs at boot, selfbench.hpp) and
/// `pickup=1` (TCP segments without a flow start one mid-stream; default off: dropped as no_flow) and
/// `syn_budget=<n>` (new TCP flows admitted per second, 0 = unlimited; default from the engine
/// config, over it a SYN is dropped as syn_budget) and
/// `icount=1` (the emulator counts instructions, QEMU -icount: minstret is exact, so the boot line
/// reports `insns=`; without it QEMU's minstret reads host ticks, and the boot line says `icount=0`)
/// and `inject=0` (slot 6's injection detector off; the rules still run) and `drop_reset=1` (slot
/// 6's drops answer the sender as a `reject` rule does - a TCP reset - instead of silently).
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
    bool key_given = false;  ///< a valid key= was on the line (else the demo key, announced loudly)
    bool selftest_pmp = false;
    bool selftest_stack = false;
    std::uint32_t report_ms = 1000;
    std::int64_t pps = -1;    ///< -1: keep the engine's default
    std::int64_t ban_s = -1;
    bool bench = false;
    bool selfbench = false;
    bool icount = false;  ///< minstret counts guest instructions (QEMU -icount), announced by the harness
    std::uint8_t stages = 0x7e;  ///< bit n: stage n enabled (pipeline's stage_id numbering)
    bool inject = true;        ///< slot 6's injection detector runs
    bool drop_reset = false;   ///< slot 6's drops answer with a reset (appliance_stage::set_drops_reject)
    bool tcp_pickup = false;  ///< pickup=1: TCP segments without a flow are picked up mid-stream (docs/stream.md)
    std::int64_t syn_budget = -1;  ///< syn_budget=<pps>: new TCP flows per second (0 = unlimited); -1: the engine's default
};

/// Why one argument was not taken. Every status but `ok` and `unknown` is fatal: the kernel halts
/// rather than run with a default it was told to replace (fail closed, docs/unikernel.md "Boot
/// arguments"); an unknown name is only reported (docs/unikernel.md, "Fixed interfaces").
enum class arg_status : std::uint8_t {
    ok,
    unknown,           ///< name not known: reported, ignored
    bad_value,         ///< not a number / flag in range for this name
    bad_key,           ///< key= is not exactly 32 hex digits
    bad_ip,            ///< ip= is not a dotted quad a.b.c.d with octets 0..255
    bad_prefix,        ///< /n missing digits or outside 1..32
    unusable_address,  ///< 0/8, 127/8, multicast, 240/4 (incl. broadcast), or the subnet's network/broadcast address
    bad_stages,        ///< stages= empty or a digit outside 1..6
};

/// Short text for `s`, printed on the UART next to the argument.
constexpr const char* name(arg_status s) {
    switch (s) {
    case arg_status::ok: return "ok";
    case arg_status::unknown: return "unknown";
    case arg_status::bad_value: return "bad_value";
    case arg_status::bad_key: return "bad_key (not 32 hex digits)";
    case arg_status::bad_ip: return "bad_ip (not a.b.c.d)";
    case arg_status::bad_prefix: return "bad_prefix (not 1..32)";
    case arg_status::unusable_address: return "unusable_address";
    case arg_status::bad_stages: return "bad_stages (empty or not digits 1..6)";
    }
    return "?";
}

/// True when the kernel must not run with `s` (everything but ok and unknown).
constexpr bool fatal(arg_status s) { return s != arg_status::ok && s != arg_status::unknown; }

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
/// `a.b.c.d[/n]`: a unicast host address the appliance can answer from. Refused: this-network
/// 0/8 and loopback 127/8 (RFC 1122 3.2.1.3), multicast 224/4 (RFC 5771), reserved 240/4 with the
/// limited broadcast (RFC 1122, RFC 919), prefix 0, and - for prefixes up to /30 - the subnet's
/// network and broadcast addresses (/31 and /32 have none, RFC 3021).
constexpr arg_status parse_ip(std::string_view s, std::uint32_t& ip, std::uint8_t& prefix) {
    std::uint32_t v = 0;
    std::uint8_t pfx = 32;
    if (const auto slash = s.find('/'); slash != std::string_view::npos) {
        std::uint64_t p = 0;
        if (!parse_uint(sub(s, slash + 1), 32, p) || p == 0) return arg_status::bad_prefix;
        pfx = static_cast<std::uint8_t>(p);
        s = sub(s, 0, slash);
    }
    for (int part = 0; part < 4; ++part) {
        const auto dot = s.find('.');
        if ((dot == std::string_view::npos) != (part == 3)) return arg_status::bad_ip;
        std::uint64_t o = 0;
        if (!parse_uint(sub(s, 0, dot), 255, o) || sub(s, 0, dot).size() > 3) return arg_status::bad_ip;
        v = (v << 8) | static_cast<std::uint32_t>(o);
        s = part == 3 ? std::string_view{} : sub(s, dot + 1);
    }
    const std::uint32_t top = v >> 24;
    if (top == 0 || top == 127 || top >= 224) return arg_status::unusable_address;
    if (pfx <= 30) {
        const std::uint32_t host_mask = (std::uint32_t{1} << (32 - pfx)) - 1;
        if ((v & host_mask) == 0 || (v & host_mask) == host_mask) return arg_status::unusable_address;
    }
    ip = v;
    prefix = pfx;
    return arg_status::ok;
}
}  // namespace detail_args

/// Applies one `name=value` argument to `cfg`.
constexpr arg_status apply_arg(std::string_view arg, boot_config& cfg) {
    using namespace detail_args;
    const auto eq = arg.find('=');
    const std::string_view name = sub(arg, 0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : sub(arg, eq + 1);
    std::uint64_t n = 0;
    if (name == "ip") return parse_ip(value, cfg.ip, cfg.prefix);
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
        if (value.size() != 32) return arg_status::bad_key;
        std::array<std::uint8_t, 16> k{};
        for (std::size_t i = 0; i < 16; ++i) {
            const int h = hex_digit(value[2 * i]), l = hex_digit(value[2 * i + 1]);
            if (h < 0 || l < 0) return arg_status::bad_key;
            k[i] = static_cast<std::uint8_t>(h * 16 + l);
        }
        cfg.key = k;
        cfg.key_given = true;
        return arg_status::ok;
    }
    if (name == "bench") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.bench = value == "1";
        return arg_status::ok;
    }
    if (name == "icount") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.icount = value == "1";
        return arg_status::ok;
    }
    if (name == "syn_budget") {  // new-flow admission, SYNs opening a flow per second (docs/flow_table.md)
        if (!parse_uint(value, 1'000'000, n)) return arg_status::bad_value;
        cfg.syn_budget = static_cast<std::int64_t>(n);
        return arg_status::ok;
    }
    if (name == "pickup") {  // mid-stream TCP pickup (e.g. right after a reboot); off: no_flow drops
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.tcp_pickup = value == "1";
        return arg_status::ok;
    }
    if (name == "selfbench") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        cfg.selfbench = value == "1";
        return arg_status::ok;
    }
    if (name == "stages") {
        // Empty is an error, not "all stages off": a stage is switched off only by naming the others.
        if (value.empty()) return arg_status::bad_stages;
        std::uint8_t mask = 0;
        for (char c : value) {
            if (c < '1' || c > '6') return arg_status::bad_stages;
            mask = static_cast<std::uint8_t>(mask | (1u << (c - '0')));
        }
        cfg.stages = mask;
        return arg_status::ok;
    }
    if (name == "inject" || name == "drop_reset") {
        if (value != "1" && value != "0") return arg_status::bad_value;
        (name == "inject" ? cfg.inject : cfg.drop_reset) = value == "1";
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
/// argument that was not taken. Returns the number of fatal arguments (see `fatal`): the caller
/// must not run with `cfg` when it is not 0. `line` is the whole /chosen/bootargs value, read in
/// place from the device tree - never a fixed-size copy, so no argument is cut off.
template <class Report>
constexpr std::size_t parse_bootargs(std::string_view line, boot_config& cfg, Report&& report) {
    std::size_t fatals = 0;
    while (!line.empty()) {
        const auto sp = line.find(' ');
        const std::string_view arg = detail_args::sub(line, 0, sp);
        line = sp == std::string_view::npos ? std::string_view{} : detail_args::sub(line, sp + 1);
        if (arg.empty()) continue;
        if (const arg_status s = apply_arg(arg, cfg); s != arg_status::ok) {
            report(arg, s);
            if (fatal(s)) ++fatals;
        }
    }
    return fatals;
}

}  // namespace kernel
