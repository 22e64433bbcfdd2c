#pragma once
/// \file Frame builders: write Ethernet/VLAN/ARP/IPv4/IPv6/TCP/UDP/ICMP frames into a caller's
/// buffer with correct lengths and checksums. Used by the unikernel's replies, the host tools,
/// the console's traffic generator, the tests and the benchmarks: one implementation everywhere.
///
///     std::array<std::byte, 128> buf;
///     frame_builder b{buf};
///     b.ethernet(dst, src).ipv4(0x0a000001, 0x0a000002, ipproto::udp).udp(1234, 53).payload(data);
///     std::size_t n = b.finish();   // 0 when the buffer was too small: nothing half-built escapes
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/detail/bytes.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/net/protocol.hpp>

namespace secengine::net {

using mac_address = std::array<std::uint8_t, 6>;
using ipv6_address = std::array<std::uint8_t, 16>;

/// Appends headers in order; `finish()` patches lengths and checksums.
class frame_builder {
public:
    constexpr explicit frame_builder(std::span<std::byte> buffer) noexcept : buf_(buffer) {}

    constexpr frame_builder& ethernet(const mac_address& dst, const mac_address& src,
                                      std::uint16_t type = ethertype::ipv4) noexcept {
        if (std::byte* p = grow(ethernet_header_size)) {
            for (std::size_t i = 0; i < 6; ++i) p[i] = static_cast<std::byte>(dst[i]);
            for (std::size_t i = 0; i < 6; ++i) p[6 + i] = static_cast<std::byte>(src[i]);
            detail::store_be16(p + 12, type);
            type_at_ = 12;
        }
        return *this;
    }

    /// Inserts an 802.1Q tag before the EtherType; call it right after `ethernet()` (or `vlan()`).
    constexpr frame_builder& vlan(std::uint16_t vid, std::uint16_t tpid = ethertype::vlan) noexcept {
        if (std::byte* p = grow(vlan_tag_size)) {
            const std::uint16_t inner = detail::load_be16(buf_.data() + type_at_);
            detail::store_be16(p - 2, tpid);  // the old EtherType slot becomes the TPID
            detail::store_be16(p, static_cast<std::uint16_t>(vid & 0x0fffu));
            detail::store_be16(p + 2, inner);
            type_at_ = static_cast<std::size_t>(p + 2 - buf_.data());
        }
        return *this;
    }

    /// Sets the EtherType of the innermost tag (for IPv6, ARP or raw frames).
    constexpr frame_builder& ethertype_(std::uint16_t type) noexcept {
        if (!failed_) detail::store_be16(buf_.data() + type_at_, type);
        return *this;
    }

    constexpr frame_builder& arp(std::uint16_t op, const mac_address& sha, std::uint32_t spa,
                                 const mac_address& tha, std::uint32_t tpa) noexcept {
        ethertype_(ethertype::arp);
        if (std::byte* p = grow(arp_ipv4_size)) {
            detail::store_be16(p, 1);
            detail::store_be16(p + 2, ethertype::ipv4);
            p[4] = std::byte{6};
            p[5] = std::byte{4};
            detail::store_be16(p + 6, op);
            for (std::size_t i = 0; i < 6; ++i) p[8 + i] = static_cast<std::byte>(sha[i]);
            detail::store_be32(p + 14, spa);
            for (std::size_t i = 0; i < 6; ++i) p[18 + i] = static_cast<std::byte>(tha[i]);
            detail::store_be32(p + 24, tpa);
        }
        return *this;
    }

    /// `frag` is the flags/fragment-offset word (0x2000 = MF, low 13 bits = offset / 8).
    constexpr frame_builder& ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::uint8_t ttl = 64,
                                  std::uint16_t id = 0, std::uint16_t frag = 0,
                                  std::span<const std::byte> options = {}) noexcept {
        ethertype_(ethertype::ipv4);
        const std::size_t hlen = ipv4_min_header_size + ((options.size() + 3) & ~std::size_t{3});
        l3_at_ = len_;
        if (std::byte* p = grow(hlen)) {
            p[0] = static_cast<std::byte>(0x40 | (hlen / 4));
            detail::store_be16(p + 4, id);
            detail::store_be16(p + 6, frag);
            p[8] = static_cast<std::byte>(ttl);
            p[9] = static_cast<std::byte>(proto);
            detail::store_be32(p + 12, src);
            detail::store_be32(p + 16, dst);
            for (std::size_t i = 0; i < options.size(); ++i) p[20 + i] = options[i];
            l3_ = l3_kind_v4;
        }
        return *this;
    }

    constexpr frame_builder& ipv6(const ipv6_address& src, const ipv6_address& dst, std::uint8_t next,
                                  std::uint8_t hop_limit = 64) noexcept {
        ethertype_(ethertype::ipv6);
        l3_at_ = len_;
        if (std::byte* p = grow(ipv6_header_size)) {
            p[0] = std::byte{0x60};
            p[6] = static_cast<std::byte>(next);
            p[7] = static_cast<std::byte>(hop_limit);
            for (std::size_t i = 0; i < 16; ++i) p[8 + i] = static_cast<std::byte>(src[i]);
            for (std::size_t i = 0; i < 16; ++i) p[24 + i] = static_cast<std::byte>(dst[i]);
            l3_ = l3_kind_v6;
        }
        return *this;
    }

    constexpr frame_builder& tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                                 std::uint32_t seq = 0, std::uint32_t ack = 0, std::uint16_t window = 65535) noexcept {
        l4_at_ = len_;
        if (std::byte* p = grow(tcp_min_header_size)) {
            detail::store_be16(p, sport);
            detail::store_be16(p + 2, dport);
            detail::store_be32(p + 4, seq);
            detail::store_be32(p + 8, ack);
            p[12] = std::byte{0x50};
            p[13] = static_cast<std::byte>(flags);
            detail::store_be16(p + 14, window);
            l4_ = ipproto::tcp;
        }
        return *this;
    }

    constexpr frame_builder& udp(std::uint16_t sport, std::uint16_t dport) noexcept {
        l4_at_ = len_;
        if (std::byte* p = grow(udp_header_size)) {
            detail::store_be16(p, sport);
            detail::store_be16(p + 2, dport);
            l4_ = ipproto::udp;
        }
        return *this;
    }

    /// ICMP (over IPv4) or ICMPv6 (over IPv6) header; `rest` is the 4 bytes after the checksum
    /// (identifier << 16 | sequence for echo).
    constexpr frame_builder& icmp(std::uint8_t type, std::uint8_t code, std::uint32_t rest = 0) noexcept {
        l4_at_ = len_;
        if (std::byte* p = grow(icmp_header_size)) {
            p[0] = static_cast<std::byte>(type);
            p[1] = static_cast<std::byte>(code);
            detail::store_be32(p + 4, rest);
            l4_ = l3_ == l3_kind_v6 ? ipproto::icmpv6 : ipproto::icmp;
        }
        return *this;
    }

    constexpr frame_builder& payload(std::span<const std::byte> data) noexcept {
        if (std::byte* p = grow(data.size()))
            for (std::size_t i = 0; i < data.size(); ++i) p[i] = data[i];
        return *this;
    }

    /// Counts `n` payload bytes that already lie in the buffer at the current offset (a message
    /// sealed in place, e.g. the control plane's replies); they are neither copied nor cleared.
    constexpr frame_builder& payload_in_place(std::size_t n) noexcept {
        if (failed_ || buf_.size() - len_ < n) {
            failed_ = true;
            return *this;
        }
        len_ += n;
        return *this;
    }

    /// Patches lengths and checksums; returns the frame size, or 0 if the buffer overflowed.
    [[nodiscard]] constexpr std::size_t finish() noexcept {
        if (failed_) return 0;
        if (l3_ == l3_kind_v4) finish_ipv4();
        if (l3_ == l3_kind_v6) detail::store_be16(buf_.data() + l3_at_ + 4, static_cast<std::uint16_t>(len_ - l3_at_ - ipv6_header_size));
        if (l4_ != 0 && l3_ != 0) finish_l4();
        return len_;
    }

    [[nodiscard]] constexpr bool failed() const noexcept { return failed_; }

private:
    static constexpr int l3_kind_v4 = 4, l3_kind_v6 = 6;

    constexpr std::byte* grow(std::size_t n) noexcept {
        if (failed_ || buf_.size() - len_ < n) {
            failed_ = true;
            return nullptr;
        }
        std::byte* p = buf_.data() + len_;
        for (std::size_t i = 0; i < n; ++i) p[i] = std::byte{0};
        len_ += n;
        return p;
    }

    constexpr void finish_ipv4() noexcept {
        std::byte* p = buf_.data() + l3_at_;
        detail::store_be16(p + 2, static_cast<std::uint16_t>(len_ - l3_at_));
        detail::store_be16(p + 10, 0);
        const std::size_t hlen = (static_cast<std::size_t>(p[0]) & 0x0fu) * 4;
        detail::store_be16(p + 10, internet_checksum({p, hlen}));
    }

    constexpr void finish_l4() noexcept {
        std::byte* l4 = buf_.data() + l4_at_;
        const std::size_t l4_len = len_ - l4_at_;
        const std::byte* ip = buf_.data() + l3_at_;
        std::size_t csum_at = 0;
        switch (l4_) {
        case ipproto::tcp: csum_at = 16; break;
        case ipproto::udp:
            csum_at = 6;
            detail::store_be16(l4 + 4, static_cast<std::uint16_t>(l4_len));
            break;
        default: csum_at = 2; break;
        }
        detail::store_be16(l4 + csum_at, 0);
        checksum_accumulator c;
        if (l3_ == l3_kind_v4) {
            if (l4_ != ipproto::icmp) {  // ICMPv4 has no pseudo-header (RFC 792)
                c.add({ip + 12, 8});
                c.add16(l4_);
                c.add16(static_cast<std::uint16_t>(l4_len));
            }
        } else {  // RFC 8200 section 8.1 pseudo-header
            c.add({ip + 8, 32});
            c.add32(static_cast<std::uint32_t>(l4_len));
            c.add16(l4_);
        }
        c.add({l4, l4_len});
        std::uint16_t sum = c.fold();
        if (l4_ == ipproto::udp && sum == 0) sum = 0xffff;  // RFC 768: 0 means "no checksum"
        detail::store_be16(l4 + csum_at, sum);
    }

    std::span<std::byte> buf_;
    std::size_t len_ = 0;
    std::size_t type_at_ = 12;
    std::size_t l3_at_ = 0, l4_at_ = 0;
    int l3_ = 0;
    std::uint8_t l4_ = 0;
    bool failed_ = false;
};

}  // namespace secengine::net
