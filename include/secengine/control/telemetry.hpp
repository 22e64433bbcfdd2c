#pragma once
/// \file Telemetry: the per-client subscription (interval, lease, what is due) and the three
/// periodic messages built from the engine - stats, DPI hits, eBPF map counters. Alerts are
/// events, fanned out by the control plane as they happen (control_plane.hpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/control/port.hpp>
#include <secengine/ebpf/maps.hpp>
#include <secengine/wire/datagram.hpp>
#include <secengine/wire/telemetry.hpp>

namespace secengine::control {

/// Bits of `subscriber::pending`: the periodic messages still owed in this interval.
namespace pending {
inline constexpr std::uint8_t stats = 1, dpi = 2, maps = 4, all = stats | dpi | maps;
}  // namespace pending

/// One channel's subscription, and the counters its rates are computed from.
struct subscriber {
    peer to;
    std::uint32_t interval_ms = 0;  ///< 0 = not subscribed
    std::uint8_t pending = 0;
    std::uint64_t next_due = 0;
    std::uint64_t last_heard = 0;  ///< last accepted command on this channel
    std::uint64_t last_time = 0, last_rx = 0, last_bytes = 0, last_insns = 0, last_frames = 0;

    [[nodiscard]] constexpr bool active() const noexcept { return interval_ms != 0; }
};

/// Instruction accounting from the event loop (exact only under QEMU's -icount); null when the
/// board does not count.
struct insn_counters {
    const std::uint64_t* insns = nullptr;
    const std::uint64_t* frames = nullptr;
    [[nodiscard]] constexpr std::uint64_t insns_now() const noexcept { return insns ? *insns : 0; }
    [[nodiscard]] constexpr std::uint64_t frames_now() const noexcept { return frames ? *frames : 0; }
};

/// Starts (or refreshes) a subscription; a fresh one is due now and rates start from here.
template <class Engine>
constexpr void subscribe(subscriber& s, const Engine& e, const peer& to, std::uint32_t interval_ms, std::uint64_t now,
                         insn_counters ic) noexcept {
    const bool fresh = !s.active();
    s.to = to;
    s.interval_ms = interval_ms;
    if (fresh) {
        s.next_due = now;
        s.last_time = now;
        s.last_rx = e.stats().received;
        s.last_bytes = e.stats().received_bytes;
        s.last_insns = ic.insns_now();
        s.last_frames = ic.frames_now();
    }
}

/// The stats message for `s` at `now` (rates since its last one), advancing its baselines.
template <class Engine, std::size_t Rejected>
constexpr wire::stats make_stats(Engine& e, subscriber& s, std::uint64_t now, std::uint32_t config_version,
                                 const std::array<std::uint32_t, Rejected>& rejected, std::uint64_t suppressed,
                                 insn_counters ic) noexcept {
    const auto& st = e.stats();
    wire::stats m;
    const std::uint64_t tps = Engine::config::ticks_per_second;
    m.timestamp = now;
    m.ticks_per_second = static_cast<std::uint32_t>(tps);
    m.config_version = config_version;
    m.received = st.received;
    m.received_bytes = st.received_bytes;
    m.passed = st.passed;
    m.passed_bytes = st.passed_bytes;
    m.untracked = st.untracked;
    m.dropped.count = static_cast<std::uint16_t>(st.dropped.size());
    for (std::size_t r = 0; r < st.dropped.size(); ++r) m.dropped.items[r] = st.dropped[r];
    m.parse_errors.count = static_cast<std::uint16_t>(st.parse_errors.size());
    for (std::size_t r = 0; r < st.parse_errors.size(); ++r) m.parse_errors.items[r] = st.parse_errors[r];
    const std::uint64_t dt = now > s.last_time ? now - s.last_time : 0;
    if (dt != 0) {
        m.pps = static_cast<std::uint32_t>((st.received - s.last_rx) * tps / dt);
        m.bps = (st.received_bytes - s.last_bytes) * 8 * tps / dt;
    }
    const std::uint64_t fi = ic.frames ? ic.frames_now() - s.last_frames : 0;
    if (fi != 0 && ic.insns) m.insns_per_packet = static_cast<std::uint32_t>((ic.insns_now() - s.last_insns) / fi);
    s.last_time = now;
    s.last_rx = st.received;
    s.last_bytes = st.received_bytes;
    s.last_insns = ic.insns_now();
    s.last_frames = ic.frames_now();
    m.active_flows = static_cast<std::uint32_t>(e.flows().size());
    m.penalty_size = static_cast<std::uint32_t>(e.penalty().size(now));
    m.alerts_suppressed = static_cast<std::uint32_t>(suppressed);
    m.rejected.count = static_cast<std::uint16_t>(rejected.size());
    for (std::size_t i = 0; i < rejected.size(); ++i) m.rejected.items[i] = rejected[i];
    for (const auto& cand : e.sketch().candidates()) {
        if (m.heavy_hitters.count == decltype(m.heavy_hitters)::capacity) break;
        if (cand.key == 0) continue;
        m.heavy_hitters.items[m.heavy_hitters.count++] = {cand.key, static_cast<std::uint32_t>(cand.estimate)};
    }
    return m;
}

/// Hits per signature, first page (as many as one message holds).
template <class Engine>
constexpr wire::dpi_hits make_dpi_hits(Engine& e) noexcept {
    const auto& ac = e.dpi().automaton();
    wire::dpi_hits m;
    const std::size_t n = ac.pattern_count();
    m.total = static_cast<std::uint16_t>(n);
    m.first = 0;
    for (std::size_t i = 0; i < n && m.entries.count < decltype(m.entries)::capacity; ++i)
        m.entries.items[m.entries.count++] = {ac.id(i), ac.hits(i)};
    return m;
}

/// The running program's array maps with 8-byte values, as counters (what XDP programs count
/// with); `runs` is since boot (the slot does not reset it per program).
template <class Engine>
constexpr wire::map_counters make_map_counters(Engine& e, std::uint32_t program_id) noexcept {
    auto& slot = e.ebpf().prog();
    const ebpf::map_view& maps = slot.maps();
    wire::map_counters m;
    m.program_id = program_id;
    m.runs = e.ebpf().runs();
    for (std::uint32_t id = 0; id < maps.size(); ++id) {
        const auto& spec = maps.spec(id);
        if (spec.type != ebpf::map_type::array || spec.value_size != 8) continue;
        std::uint32_t key = 0;
        maps.for_each(id, [&](std::span<const std::byte>, std::span<const std::byte> v) {
            if (m.counters.count < decltype(m.counters)::capacity)
                m.counters.items[m.counters.count++] = {id, key, wire::detail::get_le(v.data(), 8)};
            ++key;
        });
    }
    return m;
}

}  // namespace secengine::control
