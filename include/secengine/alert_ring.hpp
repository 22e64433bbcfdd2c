#pragma once
/// \file A fixed ring of alert events. When full, the oldest event is overwritten and counted
/// in `overwritten()`, so the consumer (telemetry) sees the newest events and knows exactly how
/// many it missed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

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

    /// Injection-detector alerts (slot 6, inject/detector.hpp): what the detector found where,
    /// so the operator sees the same `alert.metadata` from the kernel as from secreplay. Bounded
    /// copies, cut to the first bytes (the 20-byte name holds what real forms use; a SQL
    /// fingerprint is at most 5 tokens; the XSS/command/path evidence is cut to 8), with a cut
    /// bit in each length byte. attack == 0: not an injection alert (the rest is zero).
    static constexpr std::size_t param_capacity = 20;
    static constexpr std::size_t fingerprint_capacity = 8;
    static constexpr std::uint8_t cut_bit = 0x80;  ///< in param_len / fingerprint_len: the source was longer
    std::uint8_t attack = 0;           ///< inject::attack_kind (0 = none)
    std::uint8_t location = 0;         ///< inject::param_source: query, body, cookie, ...
    std::uint8_t param_len = 0;        ///< bytes in `param` (low 5 bits) | cut_bit
    std::uint8_t fingerprint_len = 0;  ///< bytes in `fingerprint` (low 4 bits) | cut_bit
    std::array<char, param_capacity> param{};
    std::array<char, fingerprint_capacity> fingerprint{};

    /// Records an injection finding: its kind and location (the enums' values) and the first
    /// bytes of the parameter name and of the fingerprint.
    constexpr void set_injection(std::uint8_t kind, std::uint8_t where, std::string_view name, std::string_view fp) noexcept {
        attack = kind;
        location = where;
        param_len = copy_cut(param, name);
        fingerprint_len = copy_cut(fingerprint, fp);
    }
    [[nodiscard]] constexpr std::string_view param_name() const noexcept {
        return {param.data(), clamp(param_len & 0x1fu, param_capacity)};
    }
    [[nodiscard]] constexpr std::string_view fingerprint_text() const noexcept {
        return {fingerprint.data(), clamp(fingerprint_len & 0x0fu, fingerprint_capacity)};
    }
    [[nodiscard]] constexpr bool param_cut() const noexcept { return (param_len & cut_bit) != 0; }
    [[nodiscard]] constexpr bool fingerprint_cut() const noexcept { return (fingerprint_len & cut_bit) != 0; }

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
    static constexpr std::size_t clamp(std::size_t n, std::size_t cap) noexcept { return n < cap ? n : cap; }
    template <std::size_t N>
    static constexpr std::uint8_t copy_cut(std::array<char, N>& out, std::string_view in) noexcept {
        static_assert(N < 0x20, "the length and the cut bit share a byte");
        out = {};
        const std::size_t n = clamp(in.size(), N);
        for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
        return static_cast<std::uint8_t>(n | (in.size() > N ? cut_bit : 0u));
    }
    static constexpr void map_v4(std::array<std::uint8_t, 16>& a, std::uint32_t v4) noexcept {
        a = {};
        a[10] = a[11] = 0xff;
        a[12] = static_cast<std::uint8_t>(v4 >> 24);
        a[13] = static_cast<std::uint8_t>(v4 >> 16);
        a[14] = static_cast<std::uint8_t>(v4 >> 8);
        a[15] = static_cast<std::uint8_t>(v4);
    }
};
// 56 bytes of addressing + 32 of injection metadata: the ring holds 15 (appliance.hpp, docs/memory.md).
static_assert(sizeof(alert_event) == 88);

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
