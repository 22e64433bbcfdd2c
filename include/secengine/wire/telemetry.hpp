#pragma once
/// \file Telemetry: appliance -> client messages sent without a request (types 0x50-0x53):
/// periodic stats, DPI hit pages, eBPF map counters, and alert events. They are sealed like
/// every other message, so a console can trust the numbers it draws. Layout tables:
/// docs/protocol.md "Telemetry".
#include <array>
#include <cstddef>
#include <cstdint>

#include "../alert_ring.hpp"
#include "../detail/wire_codec.hpp"
#include "../net/parse_error.hpp"
#include "../verdict.hpp"
#include "bounded.hpp"
#include "error.hpp"
#include "header.hpp"

namespace secengine::wire {

/// A heavy-hitter candidate from the count-min sketch. 12 bytes.
struct heavy_hitter {
    std::uint64_t source_key = 0;  ///< flow_key.hpp `source_key` (IPv4 address, or bit 63 + IPv6 hash)
    std::uint32_t estimate = 0;    ///< packets in the current sketch window (an over-estimate)
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.source_key); io.field(s.estimate);
    }
    friend constexpr bool operator==(const heavy_hitter&, const heavy_hitter&) = default;
};

/// Periodic counters; the first block mirrors `secengine::pipeline_stats` (pipeline.hpp).
/// Lists carry their own counts, so a client decodes stats from an appliance built with more
/// drop reasons, parse errors or wire errors than it knows (it ignores the extra).
struct stats {
    static constexpr msg_type type = msg_type::stats;
    std::uint64_t timestamp = 0;         ///< appliance ticks at the snapshot
    std::uint32_t ticks_per_second = 10'000'000;
    std::uint32_t config_version = 0;
    std::uint64_t received = 0;          ///< frames seen (received == passed + sum(dropped))
    std::uint64_t received_bytes = 0;
    std::uint64_t passed = 0;            ///< forwarded (inline) or accepted (endpoint)
    std::uint64_t passed_bytes = 0;
    std::uint64_t untracked = 0;         ///< IP packets that went on without a flow entry
    bounded<std::uint64_t, 32> dropped;       ///< indexed by drop_reason ([0] unused)
    bounded<std::uint64_t, 32> parse_errors;  ///< indexed by net::parse_error ([0] unused)
    std::uint32_t pps = 0;               ///< over the last interval
    std::uint64_t bps = 0;               ///< bits per second over the last interval
    std::uint32_t active_flows = 0;
    std::uint32_t penalty_size = 0;      ///< sources currently banned
    std::uint32_t insns_per_packet = 0;  ///< mean guest instructions per packet over the interval (0 = not measured)
    std::uint32_t alerts_suppressed = 0; ///< alerts the event limiter dropped since boot
    bounded<std::uint32_t, 16> rejected; ///< control datagrams per wire_error ([0] = commands accepted)
    bounded<heavy_hitter, 16> heavy_hitters;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.timestamp); io.field(s.ticks_per_second); io.field(s.config_version);
        io.field(s.received); io.field(s.received_bytes); io.field(s.passed); io.field(s.passed_bytes);
        io.field(s.untracked); io.field(s.dropped); io.field(s.parse_errors); io.field(s.pps); io.field(s.bps);
        io.field(s.active_flows); io.field(s.penalty_size); io.field(s.insns_per_packet);
        io.field(s.alerts_suppressed); io.field(s.rejected); io.field(s.heavy_hitters);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return ticks_per_second == 0 ? wire_error::out_of_range : wire_error::none;
    }
    /// dropped[r], or 0 if the sender did not report r.
    [[nodiscard]] constexpr std::uint64_t count(drop_reason r) const noexcept {
        const auto i = static_cast<std::size_t>(r);
        return i < dropped.count ? dropped.items[i] : 0;
    }
};
static_assert(drop_reason_count <= decltype(stats::dropped)::capacity);
static_assert(static_cast<std::size_t>(net::parse_error::count_) <= decltype(stats::parse_errors)::capacity);
static_assert(wire_error_count <= decltype(stats::rejected)::capacity);

/// Hits of one DPI signature. 8 bytes.
struct signature_hits {
    std::uint32_t id = 0;
    std::uint32_t hits = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) { io.field(s.id); io.field(s.hits); }
    friend constexpr bool operator==(const signature_hits&, const signature_hits&) = default;
};

/// A page of per-signature DPI hit counters: entries [first, first + count) of `total`.
struct dpi_hits {
    static constexpr msg_type type = msg_type::dpi_hits;
    std::uint16_t total = 0;
    std::uint16_t first = 0;
    bounded<signature_hits, 128> entries;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.total); io.field(s.first); io.field(s.entries);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        return std::size_t{first} + entries.count > total ? wire_error::out_of_range : wire_error::none;
    }
};

/// One u64 counter slot of an eBPF array map (value at `key`). 16 bytes.
struct map_counter {
    std::uint32_t map_id = 0;
    std::uint32_t key = 0;
    std::uint64_t value = 0;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.map_id); io.field(s.key); io.field(s.value);
    }
    friend constexpr bool operator==(const map_counter&, const map_counter&) = default;
};

/// Counters kept by the loaded eBPF program in its array maps, plus its run statistics.
struct map_counters {
    static constexpr msg_type type = msg_type::map_counters;
    std::uint32_t program_id = 0;
    std::uint64_t runs = 0;          ///< program invocations since it was loaded
    std::uint64_t instructions = 0;  ///< eBPF instructions executed since it was loaded
    bounded<map_counter, 64> counters;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.program_id); io.field(s.runs); io.field(s.instructions); io.field(s.counters);
    }
};

/// One drop worth telling the operator about: `secengine::alert_event` (alert_ring.hpp) field
/// for field, plus the limiter's count. 60 bytes.
struct alert {
    static constexpr msg_type type = msg_type::alert;
    std::uint64_t timestamp = 0;     ///< appliance ticks
    std::uint32_t detail = 0;        ///< verdict::detail (parse error, signature id, eBPF return, ...)
    std::uint8_t reason = 1;         ///< drop_reason, never `none`
    std::uint8_t stage = 0;          ///< 1-6, 0 for parse errors
    std::uint8_t ip_proto = 0;       ///< IP protocol number (0 if not IP)
    std::uint8_t ip_version = 0;     ///< 4, 6, or 0 when the frame was not IP
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::array<std::uint8_t, 16> src{};  ///< IPv6, or IPv4-mapped ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2)
    std::array<std::uint8_t, 16> dst{};
    std::uint32_t suppressed = 0;    ///< alerts the rate limiter dropped since the previous alert sent
    std::uint16_t rev = 0;           ///< stage-6 rule alerts: the rule's rev (detail is its sid)
    std::uint8_t gid = 0;            ///< and its gid (0 for other alerts)
    std::uint8_t flags = 0;          ///< alert_event::alert_only: the rule alerted, the packet passed
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.timestamp); io.field(s.detail); io.field(s.reason); io.field(s.stage); io.field(s.ip_proto);
        io.field(s.ip_version); io.field(s.sport); io.field(s.dport); io.field(s.src); io.field(s.dst);
        io.field(s.suppressed); io.field(s.rev); io.field(s.gid); io.field(s.flags);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        const bool ok = reason != 0 && reason < drop_reason_count && stage <= 6 &&
                        (ip_version == 0 || ip_version == 4 || ip_version == 6);
        return ok ? wire_error::none : wire_error::out_of_range;
    }
    [[nodiscard]] constexpr drop_reason why() const noexcept { return static_cast<drop_reason>(reason); }
    friend constexpr bool operator==(const alert&, const alert&) = default;
};

/// The alert message for an engine alert event.
[[nodiscard]] constexpr alert make_alert(const alert_event& e, std::uint32_t suppressed) noexcept {
    alert a;
    a.timestamp = e.time;
    a.detail = e.detail;
    a.reason = static_cast<std::uint8_t>(e.reason);
    a.stage = e.stage;
    a.ip_proto = e.ip_proto;
    a.ip_version = e.ip_version;
    a.sport = e.sport;
    a.dport = e.dport;
    a.src = e.src;
    a.dst = e.dst;
    a.suppressed = suppressed;
    a.rev = e.rev;
    a.gid = e.gid;
    a.flags = e.flags;
    return a;
}

/// The inverse of make_alert: the engine's event back from a received alert (host tools feed it
/// to the same EVE/text formatting as replayed captures).
[[nodiscard]] constexpr alert_event to_alert_event(const alert& a) noexcept {
    alert_event e;
    e.time = a.timestamp;
    e.reason = a.why();
    e.stage = a.stage;
    e.detail = a.detail;
    e.ip_proto = a.ip_proto;
    e.ip_version = a.ip_version;
    e.sport = a.sport;
    e.dport = a.dport;
    e.src = a.src;
    e.dst = a.dst;
    e.rev = a.rev;
    e.gid = a.gid;
    e.flags = a.flags;
    return e;
}

}  // namespace secengine::wire
