#pragma once
/// \file The engine's compile-time configuration. Derive from `default_config` and override
/// what differs; capacities size the tables (and so the RAM), thresholds are the start-up
/// values of the run-time `engine_limits` (the control plane can change those later).
///
///     struct my_config : secengine::default_config { static constexpr std::size_t flow_capacity = 2048; };
#include <cstddef>
#include <cstdint>

#include <secengine/count_min_sketch.hpp>
#include <secengine/firewall.hpp>
#include <secengine/penalty_box.hpp>
#include <secengine/stage.hpp>

namespace secengine {

/// What happens to a new flow when its probe window has no free slot and nothing may be evicted.
enum class flow_full_policy : std::uint8_t {
    fail_open,    ///< the packet continues untracked (counted in `untracked`)
    fail_closed,  ///< the packet is dropped with reason flow_table_full
};

struct default_config {
    /// Clock of the `now` argument: QEMU virt's CLINT mtime runs at 10 MHz.
    static constexpr std::uint64_t ticks_per_second = 10'000'000;
    /// Seed of the keyed hashes (sketch, flow fingerprints, penalty box); the kernel passes a
    /// per-boot value to the pipeline's constructor, this is only the default.
    static constexpr std::uint64_t hash_seed = 0x243f6a8885a308d3ULL;

    // Stage 1: per-source rate (Count-Min Sketch) and the penalty box.
    static constexpr std::size_t cms_width = 512;
    static constexpr std::size_t cms_depth = 4;
    static constexpr std::size_t cms_top_n = 8;
    using cms_counter = std::uint16_t;
    static constexpr cms_update cms_mode = cms_update::conservative;
    static constexpr cms_window cms_window_policy = cms_window::reset;
    static constexpr std::uint64_t cms_window_ticks = ticks_per_second;  ///< 1 s: thresholds are per second
    static constexpr std::uint32_t per_source_pps = 2000;                ///< 0 disables heavy-hitter bans
    /// Sources whose count is below a quarter of per_source_pps skip the sketch for up to
    /// cms_defer_batch - 1 packets (sketch_deferral.hpp: no heavy hitter is missed; one is banned
    /// at most cms_defer_batch - 1 of its packets late, and only if TCP openings mix in); 0 slots
    /// = every packet updates the sketch. 12 bytes a slot.
    static constexpr std::size_t cms_defer_slots = 16;  // 192 B: the kernel's window is full (docs/memory.md)
    static constexpr std::uint32_t cms_defer_batch = 32;
    static constexpr std::uint32_t ban_seconds = 10;
    /// Stage 1 meters the sources of inbound traffic (arriving on port 0, "outside") only: the
    /// protected servers' answers leave through port 1 and a busy server must not ban itself.
    /// Set true to meter (and ban) inside sources as well.
    static constexpr bool meter_outbound_sources = false;
    static constexpr std::size_t penalty_capacity = 64;
    static constexpr penalty_full_policy penalty_policy = penalty_full_policy::evict_soonest;

    /// IPv4 header and TCP / UDP / ICMP checksums checked before stage 2; bad ones are dropped
    /// (drop_reason::bad_checksum). Run-time switch: pipeline::set_verify_checksums.
    static constexpr bool verify_checksums = true;

    // Stage 2: connection tracking and firewall rules.
    static constexpr std::size_t flow_capacity = 1024;
    static constexpr std::size_t flow_probe_window = 8;
    /// Flow timestamps are `now >> flow_clock_shift` in 32 bits: 2^20 ticks = 0.105 s at 10 MHz,
    /// wrapping after 14 years; idle ages up to 2^31 units compare correctly.
    static constexpr unsigned flow_clock_shift = 20;
    static constexpr std::uint32_t timeout_new_s = 30;
    static constexpr std::uint32_t timeout_syn_sent_s = 20;
    static constexpr std::uint32_t timeout_established_s = 300;
    static constexpr std::uint32_t timeout_fin_wait_s = 30;
    static constexpr std::uint32_t timeout_closed_s = 10;
    /// An established flow is only evicted after this much idle time, and only for a flow that is
    /// itself taken as established (mid-stream pickup): an unconfirmed one never evicts it.
    static constexpr std::uint32_t evict_min_idle_s = 5;
    /// New-flow admission: at most this many TCP flows opened by a SYN per second, granted per
    /// window of the coarse flow clock (2^flow_clock_shift ticks); over it a SYN that would make
    /// an entry is dropped (drop_reason::syn_budget). 0 = unlimited. Run-time switch:
    /// pipeline::set_syn_budget (docs/flow_table.md "New-flow admission").
    static constexpr std::uint32_t syn_budget_pps = 0;
    static constexpr flow_full_policy flow_policy = flow_full_policy::fail_open;
    /// A TCP segment other than a SYN without a flow: true = picked up as established (loose,
    /// like Linux's nf_conntrack_tcp_loose), false = dropped (drop_reason::no_flow). The
    /// appliance runs with false (appliance.hpp). Run-time switch: pipeline::set_tcp_pickup.
    static constexpr bool tcp_pickup = true;
    static constexpr std::size_t firewall_capacity = 32;
    static constexpr rule_action firewall_default = rule_action::allow;
    /// Replies within an allowed flow pass without matching the rules (stateful firewall).
    static constexpr bool firewall_allow_established = true;

    // Stage 3: heuristics.
    static constexpr std::uint16_t sled_min_run = 32;

    // Stage 4: global token bucket (0 = unlimited).
    static constexpr std::uint32_t global_rate_pps = 200'000;
    static constexpr std::uint32_t global_burst = 20'000;

    // Alerts.
    static constexpr std::size_t alert_capacity = 16;

    // Stages 5 and 6: filled by the eBPF and DPI components.
    using ebpf_stage = no_stage;
    using dpi_stage = no_stage;
};

}  // namespace secengine
