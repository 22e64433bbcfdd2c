#pragma once
/// \file The pipeline's answer for one frame: pass, or drop with a reason.
#include <cstdint>
#include <string_view>

namespace secengine {

/// Why a frame was dropped; `none` means it passed. Counters and alerts are indexed by it.
enum class drop_reason : std::uint8_t {
    none,
    malformed,        ///< the parser rejected the frame (see net::parse_error)
    heavy_hitter,     ///< stage 1: the source crossed the per-source rate threshold (and is banned)
    penalty_box,      ///< stage 1: the source is serving a ban
    port_blocked,     ///< stage 2: a deny rule for the destination port
    firewall,         ///< stage 2: any other deny rule or the default policy
    flow_table_full,  ///< stage 2: no slot and the fail-closed policy
    scan,             ///< stage 3: Xmas / NULL / SYN+FIN / SYN+RST flag combinations
    land_attack,      ///< stage 3: source address equals destination address
    bad_header,       ///< stage 3: header fields that no valid stack sends
    shellcode,        ///< stage 3: NOP sled in the payload
    rate_limit,       ///< stage 4: global token bucket empty
    ebpf,             ///< stage 5: the program returned XDP_DROP
    ebpf_aborted,     ///< stage 5: XDP_ABORTED, a run-time fault or the instruction budget ran out
    dpi_signature,    ///< stage 6: a signature matched
    bad_checksum,     ///< before stage 2: IPv4 header or TCP / UDP / ICMP checksum wrong (the host would discard it)
    no_flow,          ///< stage 2: a TCP segment other than a client SYN without a flow (no mid-stream pickup)
    tcp_state,        ///< stage 2: a SYN from a tracked flow's responder side (would re-label directions)
    stream_out_of_order, ///< stage 6: TCP data after a hole (tcp_normalizer drop_ahead)
    stream_rewrite,   ///< stage 6: retransmitted TCP bytes that differ from the inspected ones
    stream_invalid,   ///< stage 6: data after FIN / without ACK, a second ISN, before the pickup point
    out_of_window,    ///< stage 6: RST not at the exact next sequence number, ACK of unsent data (RFC 5961)
    http_uninspected, ///< stage 6: an HTTP request lost its inspection buffer halfway (fail closed)
    syn_budget,       ///< stage 2: a SYN that would open a flow after this window's new-flow budget ran out
    count_
};

inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(drop_reason::count_);

inline constexpr std::string_view drop_reason_names[] = {
    "pass",      "malformed",  "heavy_hitter", "penalty_box", "port_blocked",
    "firewall",  "flow_table_full", "scan",    "land_attack", "bad_header",
    "shellcode", "rate_limit", "ebpf",         "ebpf_aborted", "dpi_signature",
    "bad_checksum", "no_flow",  "tcp_state", "stream_out_of_order", "stream_rewrite",
    "stream_invalid", "out_of_window", "http_uninspected", "syn_budget",
};
static_assert(std::size(drop_reason_names) == drop_reason_count);

[[nodiscard]] constexpr std::string_view name(drop_reason r) noexcept {
    auto i = static_cast<std::size_t>(r);
    return i < drop_reason_count ? drop_reason_names[i] : std::string_view{"unknown"};
}

/// Result of `pipeline::process`.
struct verdict {
    drop_reason reason = drop_reason::none;
    std::uint8_t stage = 0;    ///< 1-6: the stage that decided a drop; 0 for pass or parse errors
    std::uint32_t detail = 0;  ///< stage data: parse error, signature id, eBPF return code, ...

    [[nodiscard]] constexpr bool pass() const noexcept { return reason == drop_reason::none; }
    [[nodiscard]] constexpr bool drop() const noexcept { return !pass(); }
};

}  // namespace secengine
