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
#include "../inject/detector.hpp"
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

/// The layout of `alert` this side speaks. It is the first byte after the v1 fields, so a v1
/// alert (60 bytes) is one field short - `length_mismatch` - and a later layout is
/// `unsupported_version` (its `check()` runs before the trailing-bytes check): an old and a new
/// side refuse each other's alerts by name, neither misreads them.
inline constexpr std::uint8_t alert_layout = 2;

/// Injection metadata of an alert (docs/protocol.md "Telemetry", alert_ring.hpp): the detector
/// that fired, where, and the first bytes of the parameter name and the fingerprint, each with
/// a cut flag. All zero / empty for alerts that are not the injection detector's.
struct alert_injection {
    static constexpr std::uint8_t param_cut = 1, fingerprint_cut = 2;
    std::uint8_t attack = 0;    ///< inject::attack_kind (0 = none)
    std::uint8_t location = 0;  ///< inject::param_source
    std::uint8_t cut = 0;       ///< param_cut | fingerprint_cut: the kernel kept only the first bytes
    bounded<std::uint8_t, alert_event::param_capacity> param;
    bounded<std::uint8_t, alert_event::fingerprint_capacity> fingerprint;
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.attack); io.field(s.location); io.field(s.cut); io.field(s.param); io.field(s.fingerprint);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (attack >= static_cast<std::uint8_t>(inject::attack_kind::count_) ||
            location >= static_cast<std::uint8_t>(inject::param_source::count_) || (cut & ~3u) != 0)
            return wire_error::out_of_range;
        // No finding, no metadata: a record that says "none" but carries bytes is not one we sent.
        if (attack == 0 && (location != 0 || cut != 0 || param.count != 0 || fingerprint.count != 0))
            return wire_error::out_of_range;
        return wire_error::none;
    }
    friend constexpr bool operator==(const alert_injection&, const alert_injection&) = default;
};

/// One drop worth telling the operator about: `secengine::alert_event` (alert_ring.hpp) field
/// for field, plus the limiter's count. 60 bytes (layout 1), then the layout byte and the
/// injection metadata: 61 + 37 at most.
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
    std::uint8_t layout = alert_layout;  ///< see alert_layout
    alert_injection injection;       ///< the injection detector's finding (layout 2)
    template <class S, class IO> static constexpr void fields(S& s, IO& io) {
        io.field(s.timestamp); io.field(s.detail); io.field(s.reason); io.field(s.stage); io.field(s.ip_proto);
        io.field(s.ip_version); io.field(s.sport); io.field(s.dport); io.field(s.src); io.field(s.dst);
        io.field(s.suppressed); io.field(s.rev); io.field(s.gid); io.field(s.flags); io.field(s.layout);
        io.field(s.injection);
    }
    [[nodiscard]] constexpr wire_error check() const noexcept {
        if (layout != alert_layout) return wire_error::unsupported_version;
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
    if (e.attack != 0) {
        alert_injection& j = a.injection;
        j.attack = e.attack;
        j.location = e.location;
        j.cut = static_cast<std::uint8_t>((e.param_cut() ? alert_injection::param_cut : 0) |
                                          (e.fingerprint_cut() ? alert_injection::fingerprint_cut : 0));
        for (const char c : e.param_name()) j.param.push(static_cast<std::uint8_t>(c));
        for (const char c : e.fingerprint_text()) j.fingerprint.push(static_cast<std::uint8_t>(c));
    }
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
    const alert_injection& j = a.injection;
    if (j.attack != 0) {
        // The bounded lists' capacities are the record's, so nothing is cut here twice.
        e.attack = j.attack;
        e.location = j.location;
        for (std::size_t i = 0; i < j.param.count && i < e.param.size(); ++i) e.param[i] = static_cast<char>(j.param.items[i]);
        for (std::size_t i = 0; i < j.fingerprint.count && i < e.fingerprint.size(); ++i)
            e.fingerprint[i] = static_cast<char>(j.fingerprint.items[i]);
        e.param_len = static_cast<std::uint8_t>(j.param.count | ((j.cut & alert_injection::param_cut) ? alert_event::cut_bit : 0u));
        e.fingerprint_len = static_cast<std::uint8_t>(j.fingerprint.count |
                                                      ((j.cut & alert_injection::fingerprint_cut) ? alert_event::cut_bit : 0u));
    }
    return e;
}

}  // namespace secengine::wire
