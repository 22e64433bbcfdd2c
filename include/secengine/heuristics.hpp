#pragma once
/// \file Stage 3: stateless anomaly checks on one packet.
///
/// - Scans (nmap's man page, "TCP FIN, NULL and Xmas scans"; RFC 9293 section 3.10.7): flag
///   sets no conforming stack sends: NULL (no flags), Xmas (FIN+PSH+URG), SYN+FIN, SYN+RST, and
///   FIN without ACK (every segment after the first SYN carries ACK).
/// - Land attack (CERT CA-1997-28): source address equals destination address.
/// - Bad header: TCP/UDP port 0, or an IPv4 source that is multicast/broadcast (RFC 1122
///   section 3.2.1.3 forbids them as a source).
/// - Fragments (detail 3): the appliance does not reassemble IP datagrams (no RAM for it in the
///   64 KiB kernel), and inspecting fragments one by one is evaded by putting a signature across
///   a fragment boundary, by overlapping fragments that hosts reassemble differently (RFC 5722
///   makes IPv6 hosts discard those; older IPv4 stacks keep either copy), or by a TCP request
///   split over fragments. So by default every fragment is dropped: an inspection the appliance
///   cannot do fails closed. `fragment_policy::pass` lets them through uninspected (an operator's
///   choice for networks that need fragments, e.g. large DNS answers), still dropping the shapes
///   that exist only to rewrite headers (detail 4, RFC 1858 section 3.2): an IPv4 TCP fragment
///   at offset 8 bytes, which overwrites the TCP flags of the first. (A first fragment too short
///   for its TCP/UDP header, RFC 1858 section 3.1, is refused by the parser as malformed.)
/// - Shellcode: a run of >= `sled_min_run` bytes from the NOP-sled set. The scan samples every
///   sled_min_run-th byte (any run that long must cover a sample) and measures the run around a
///   hit, so the cost is about payload/sled_min_run probes, not one per byte.
#include <array>
#include <cstddef>
#include <cstdint>

#include <secengine/net/packet.hpp>
#include <secengine/stage.hpp>

namespace secengine {

/// Which scan pattern matched (stage_decision::detail for drop_reason::scan).
enum class scan_kind : std::uint8_t { none, null_scan, xmas, syn_fin, syn_rst, fin_no_ack };

/// 256-bit set of bytes that make up NOP sleds: x86 NOP 0x90 and the one-byte instructions
/// that sled generators (e.g. Metasploit's opty2/single-byte NOP encoders) mix in to evade a
/// plain 0x90 search: xchg eax,reg (0x91-0x97), cwde/cdq (0x98, 0x99), fwait (0x9b),
/// sahf/lahf (0x9e, 0x9f), cmc/clc/stc/cli/sti/cld/std (0xf5, 0xf8-0xfd), and 0x0c/0x0d
/// (the heap-spray fill of "or al,0x0c" sleds).
struct sled_byte_set {
    std::array<std::uint64_t, 4> bits{};

    [[nodiscard]] constexpr bool contains(std::uint8_t b) const noexcept { return (bits[b >> 6] >> (b & 63)) & 1u; }
    constexpr void insert(std::uint8_t b) noexcept { bits[b >> 6] |= std::uint64_t{1} << (b & 63); }

    [[nodiscard]] static constexpr sled_byte_set x86_default() noexcept {
        sled_byte_set s;
        for (int b = 0x90; b <= 0x99; ++b) s.insert(static_cast<std::uint8_t>(b));
        constexpr std::uint8_t others[] = {0x9b, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0x0c, 0x0d};
        for (std::uint8_t b : others) s.insert(b);
        return s;
    }
};

/// What stage 3 does with IP fragments (file comment).
enum class fragment_policy : std::uint8_t { drop, pass };

/// bad_header details (docs/heuristics.md).
namespace bad_header_detail {
inline constexpr std::uint32_t martian_source = 1, port_zero = 2, fragment = 3, header_rewriting_fragment = 4;
}

/// Runtime settings of stage 3.
struct heuristics_settings {
    std::uint16_t sled_min_run = 32;   ///< 0 disables the shellcode check
    sled_byte_set sled_bytes = sled_byte_set::x86_default();
    fragment_policy fragments = fragment_policy::drop;
};

/// Stage 3's verdict on a fragment (p.fragment), by `policy`.
[[nodiscard]] constexpr stage_decision inspect_fragment(const net::packet_view& p, fragment_policy policy) noexcept {
    if (policy == fragment_policy::drop) return {drop_reason::bad_header, bad_header_detail::fragment};
    if (p.later_fragment && p.l3 == net::l3_kind::ipv4 && p.ip_proto == net::ipproto::tcp && p.frame.size() >= p.l3_offset + 8u) {
        const auto word = static_cast<std::uint16_t>(static_cast<std::uint16_t>(static_cast<std::uint8_t>(p.frame[p.l3_offset + 6u])) << 8 |
                                                     static_cast<std::uint8_t>(p.frame[p.l3_offset + 7u]));
        if ((word & 0x1FFFu) == 1) return {drop_reason::bad_header, bad_header_detail::header_rewriting_fragment};
    }
    return {};
}

[[nodiscard]] constexpr scan_kind classify_tcp_flags(std::uint8_t f) noexcept {
    using namespace net::tcpflag;
    if ((f & (fin | syn | rst | psh | ack | urg)) == 0) return scan_kind::null_scan;
    if ((f & (fin | psh | urg)) == (fin | psh | urg)) return scan_kind::xmas;
    if ((f & (syn | fin)) == (syn | fin)) return scan_kind::syn_fin;
    if ((f & (syn | rst)) == (syn | rst)) return scan_kind::syn_rst;
    if ((f & (fin | ack)) == fin) return scan_kind::fin_no_ack;
    return scan_kind::none;
}

/// Length of the longest run of sled bytes of at least `min_run`, or 0.
[[nodiscard]] constexpr std::size_t find_sled(std::span<const std::byte> data, const sled_byte_set& set, std::size_t min_run) noexcept {
    if (min_run == 0 || data.size() < min_run) return 0;
    for (std::size_t probe = min_run - 1; probe < data.size(); probe += min_run) {
        if (!set.contains(static_cast<std::uint8_t>(data[probe]))) continue;
        std::size_t lo = probe, hi = probe + 1;
        while (lo > 0 && set.contains(static_cast<std::uint8_t>(data[lo - 1]))) --lo;
        while (hi < data.size() && set.contains(static_cast<std::uint8_t>(data[hi]))) ++hi;
        if (hi - lo >= min_run) return hi - lo;
        probe = hi - 1;  // data[hi] is not a sled byte: next sample hi + min_run - 1 covers any later run
    }
    return 0;
}

/// Stage 3 over one parsed IP packet.
[[nodiscard]] constexpr stage_decision inspect_heuristics(const net::packet_view& p, const heuristics_settings& s) noexcept {
    if (!p.is_ip()) return {};
    if (p.fragment) {
        if (const stage_decision d = inspect_fragment(p, s.fragments); d.reason != drop_reason::none) return d;
    }
    if (p.is_tcp()) {
        if (const auto k = classify_tcp_flags(p.tcp_flags); k != scan_kind::none)
            return {drop_reason::scan, static_cast<std::uint32_t>(k)};
    }
    if (p.l3 == net::l3_kind::ipv4) {
        if (p.src4 == p.dst4) return {drop_reason::land_attack, 0};
        if ((p.src4 >> 28) == 0xe || p.src4 == 0xffffffffu) return {drop_reason::bad_header, bad_header_detail::martian_source};
    } else {
        const auto s6 = p.src6(), d6 = p.dst6();
        bool same = true;
        for (std::size_t i = 0; i < 16; ++i) same = same && s6[i] == d6[i];
        if (same) return {drop_reason::land_attack, 0};
        if (s6[0] == std::byte{0xff}) return {drop_reason::bad_header, bad_header_detail::martian_source};  // multicast source (RFC 4291 2.7)
    }
    if ((p.is_tcp() || p.is_udp()) && (p.sport == 0 || p.dport == 0)) return {drop_reason::bad_header, bad_header_detail::port_zero};
    if (const std::size_t run = find_sled(p.payload(), s.sled_bytes, s.sled_min_run); run != 0)
        return {drop_reason::shellcode, static_cast<std::uint32_t>(run)};
    return {};
}

}  // namespace secengine
