#pragma once
/// \file A fixed ring of alert events. When full, the oldest event is overwritten and counted
/// in `overwritten()`, so the consumer (telemetry) sees the newest events and knows exactly how
/// many it missed.
#include <array>
#include <cstddef>
#include <cstdint>

#include <secengine/net/packet.hpp>
#include <secengine/verdict.hpp>

namespace secengine {

/// One alert: what was dropped, why, and the packet's addresses. IPv4 addresses are stored as
/// IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2) so one layout serves both.
struct alert_event {
    std::uint64_t time = 0;
    std::uint32_t detail = 0;
    drop_reason reason = drop_reason::none;
    std::uint8_t stage = 0;
    std::uint8_t ip_proto = 0;
    std::uint8_t ip_version = 0;  ///< 0 when the frame was not IP (or unparseable)
    std::uint16_t sport = 0, dport = 0;
    std::array<std::uint8_t, 16> src{}, dst{};
    /// Rule alerts (stage 6): `detail` is the sid; gid and rev are the rule's (gid capped at 255).
    std::uint16_t rev = 0;
    std::uint8_t gid = 0;
    std::uint8_t flags = 0;  ///< alert_only: the rule alerted, the packet was not dropped
    static constexpr std::uint8_t alert_only = 1;

    /// Fills the addressing fields from a parsed packet.
    constexpr void set_packet(const net::packet_view& p) noexcept {
        ip_proto = p.ip_proto;
        sport = p.sport;
        dport = p.dport;
        if (p.l3 == net::l3_kind::ipv4) {
            ip_version = 4;
            map_v4(src, p.src4);
            map_v4(dst, p.dst4);
        } else if (p.l3 == net::l3_kind::ipv6) {
            ip_version = 6;
            for (std::size_t i = 0; i < 16; ++i) {
                src[i] = static_cast<std::uint8_t>(p.src6()[i]);
                dst[i] = static_cast<std::uint8_t>(p.dst6()[i]);
            }
        }
    }

private:
    static constexpr void map_v4(std::array<std::uint8_t, 16>& a, std::uint32_t v4) noexcept {
        a = {};
        a[10] = a[11] = 0xff;
        a[12] = static_cast<std::uint8_t>(v4 >> 24);
        a[13] = static_cast<std::uint8_t>(v4 >> 16);
        a[14] = static_cast<std::uint8_t>(v4 >> 8);
        a[15] = static_cast<std::uint8_t>(v4);
    }
};
static_assert(sizeof(alert_event) == 56);

template <std::size_t Capacity>
class alert_ring {
    static_assert(Capacity >= 1 && Capacity <= 4096);

public:
    constexpr void push(const alert_event& e) noexcept {
        if (count_ == Capacity) {
            head_ = (head_ + 1) % Capacity;
            --count_;
            ++overwritten_;
        }
        events_[(head_ + count_) % Capacity] = e;
        ++count_;
        ++pushed_;
    }
    /// Takes the oldest event; false when empty.
    constexpr bool pop(alert_event& out) noexcept {
        if (count_ == 0) return false;
        out = events_[head_];
        head_ = (head_ + 1) % Capacity;
        --count_;
        return true;
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] constexpr std::uint64_t pushed() const noexcept { return pushed_; }
    [[nodiscard]] constexpr std::uint64_t overwritten() const noexcept { return overwritten_; }

private:
    std::array<alert_event, Capacity> events_{};
    std::size_t head_ = 0, count_ = 0;
    std::uint64_t pushed_ = 0, overwritten_ = 0;
};

}  // namespace secengine
