#pragma once
/// \file Stage 2's rule table: ordered allow/deny rules with a default policy.
///
/// Rules match protocol, IPv4 source/destination prefixes, a destination port range and the
/// direction (ingress port). First match wins. The pipeline evaluates the rules when a flow
/// starts and caches the answer in the flow entry, so established traffic costs O(1) whatever
/// the number of rules; any change to the table bumps `generation()` and the pipeline clears
/// the cached answers, so a new block applies to live flows too. IPv6 packets match only rules
/// whose prefixes are /0 (the table is IPv4-addressed to stay small: 20 bytes a rule).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <secengine/net/packet.hpp>

namespace secengine {

enum class rule_action : std::uint8_t { allow, deny };

/// Which way a packet crosses the appliance (port 0 is "outside", port 1 "inside").
enum class direction : std::uint8_t { any, inbound, outbound };

/// One rule. `proto == 0` matches any protocol; a /0 prefix matches any address.
struct firewall_rule {
    std::uint32_t src = 0, dst = 0;
    std::uint16_t dport_lo = 0, dport_hi = 0xffff;
    std::uint8_t src_len = 0, dst_len = 0;
    std::uint8_t proto = 0;
    rule_action action = rule_action::deny;
    direction dir = direction::any;
    std::uint8_t spare = 0;

    [[nodiscard]] constexpr bool is_port_block() const noexcept {
        return action == rule_action::deny && !(dport_lo == 0 && dport_hi == 0xffff);
    }
    [[nodiscard]] constexpr bool operator==(const firewall_rule&) const noexcept = default;
};
static_assert(sizeof(firewall_rule) == 20);

enum class firewall_error : std::uint8_t { none, full, not_found, bad_prefix, bad_range };

/// Result of matching: the action and the index of the rule (or -1 for the default policy).
struct firewall_match {
    rule_action action = rule_action::allow;
    int rule = -1;
};

[[nodiscard]] constexpr std::uint32_t prefix_mask(std::uint8_t len) noexcept {
    return len == 0 ? 0u : (len >= 32 ? 0xffffffffu : ~((std::uint32_t{1} << (32 - len)) - 1));
}

template <std::size_t Capacity>
class firewall {
    static_assert(Capacity >= 1 && Capacity <= 255, "rule indices fit a byte (telemetry, control protocol)");

public:
    static constexpr std::size_t capacity_v = Capacity;

    constexpr explicit firewall(rule_action default_action = rule_action::allow) noexcept : default_(default_action) {}

    /// Appends a rule (lowest priority). Rejects prefixes with host bits set or > 32 and
    /// inverted port ranges, so what is stored is exactly what was meant.
    constexpr firewall_error add(const firewall_rule& r) noexcept {
        if (r.src_len > 32 || r.dst_len > 32 || (r.src & ~prefix_mask(r.src_len)) || (r.dst & ~prefix_mask(r.dst_len)))
            return firewall_error::bad_prefix;
        if (r.dport_lo > r.dport_hi) return firewall_error::bad_range;
        if (size_ == Capacity) return firewall_error::full;
        rules_[size_++] = r;
        ++generation_;
        return firewall_error::none;
    }

    /// Removes the first rule equal to `r`.
    constexpr firewall_error remove(const firewall_rule& r) noexcept {
        for (std::size_t i = 0; i < size_; ++i) {
            if (rules_[i] == r) {
                for (std::size_t j = i + 1; j < size_; ++j) rules_[j - 1] = rules_[j];
                --size_;
                ++generation_;
                return firewall_error::none;
            }
        }
        return firewall_error::not_found;
    }

    /// Port block / unblock as the console issues them: deny `proto` to `port`, placed first so
    /// it wins over allow rules.
    constexpr firewall_error block_port(std::uint8_t proto, std::uint16_t port, direction dir = direction::any) noexcept {
        firewall_rule r{};
        r.proto = proto;
        r.dport_lo = r.dport_hi = port;
        r.dir = dir;
        r.action = rule_action::deny;
        for (std::size_t i = 0; i < size_; ++i)
            if (rules_[i] == r) return firewall_error::none;  // already blocked: idempotent
        if (size_ == Capacity) return firewall_error::full;
        for (std::size_t j = size_; j > 0; --j) rules_[j] = rules_[j - 1];
        rules_[0] = r;
        ++size_;
        ++generation_;
        return firewall_error::none;
    }
    constexpr firewall_error unblock_port(std::uint8_t proto, std::uint16_t port, direction dir = direction::any) noexcept {
        firewall_rule r{};
        r.proto = proto;
        r.dport_lo = r.dport_hi = port;
        r.dir = dir;
        r.action = rule_action::deny;
        return remove(r);
    }

    constexpr void clear() noexcept {
        size_ = 0;
        ++generation_;
    }
    constexpr void set_default(rule_action a) noexcept {
        default_ = a;
        ++generation_;
    }

    /// First matching rule for an IP packet arriving in direction `d`.
    [[nodiscard]] constexpr firewall_match match(const net::packet_view& p, direction d) const noexcept {
        const bool v4 = p.l3 == net::l3_kind::ipv4;
        for (std::size_t i = 0; i < size_; ++i) {
            const firewall_rule& r = rules_[i];
            if (r.proto != 0 && r.proto != p.ip_proto) continue;
            if (r.dir != direction::any && r.dir != d) continue;
            if (r.src_len != 0 && (!v4 || (p.src4 & prefix_mask(r.src_len)) != r.src)) continue;
            if (r.dst_len != 0 && (!v4 || (p.dst4 & prefix_mask(r.dst_len)) != r.dst)) continue;
            const bool any_port = r.dport_lo == 0 && r.dport_hi == 0xffff;
            if (!any_port && (!p.has_l4 || p.dport < r.dport_lo || p.dport > r.dport_hi)) continue;
            return {r.action, static_cast<int>(i)};
        }
        return {default_, -1};
    }

    [[nodiscard]] constexpr std::span<const firewall_rule> rules() const noexcept { return {rules_.data(), size_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr rule_action default_action() const noexcept { return default_; }
    [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return generation_; }

private:
    std::array<firewall_rule, Capacity> rules_{};
    std::size_t size_ = 0;
    rule_action default_;
    std::uint32_t generation_ = 0;
};

}  // namespace secengine
