#pragma once
/// \file The six-stage pipeline (../docs/architecture.md): one frame in, one verdict out.
///
///   parse -> 1 sketch + penalty box -> 2 flow tracking + firewall rules -> 3 heuristics
///         -> 4 global token bucket -> 5 eBPF slot -> 6 DPI slot -> pass
///
/// Stage 1 meters inbound sources (port 0, outside) unless Config::meter_outbound_sources.
/// The penalty box is consulted in stage 1, right after the source is counted: a ban is a
/// verdict already reached, and checking it before stage 2 keeps a banned flood from filling
/// the flow table. Bans are issued by stage 1 when a source's per-window count crosses
/// `per_source_pps`. Every drop is counted by reason; drops other than penalty_box and
/// rate_limit (floods whose cause was already reported) also push an alert event.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <secengine/alert_ring.hpp>
#include <secengine/config.hpp>
#include <secengine/count_min_sketch.hpp>
#include <secengine/firewall.hpp>
#include <secengine/flow_key.hpp>
#include <secengine/flow_table.hpp>
#include <secengine/heuristics.hpp>
#include <secengine/net/l4_checksum.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/penalty_box.hpp>
#include <secengine/sketch_deferral.hpp>
#include <secengine/stage.hpp>
#include <secengine/tcp_state.hpp>
#include <secengine/token_bucket.hpp>
#include <secengine/verdict.hpp>

namespace secengine {

/// Counters kept by the pipeline. received == passed + sum(dropped) always holds.
struct pipeline_stats {
    std::uint64_t received = 0, received_bytes = 0;
    std::uint64_t passed = 0, passed_bytes = 0;
    std::uint64_t untracked = 0;  ///< IP packets that went on without a flow entry (fail-open)
    std::array<std::uint64_t, drop_reason_count> dropped{};
    std::array<std::uint64_t, static_cast<std::size_t>(net::parse_error::count_)> parse_errors{};

    [[nodiscard]] constexpr std::uint64_t dropped_total() const noexcept {
        std::uint64_t n = 0;
        for (auto d : dropped) n += d;
        return n;
    }
};

/// Run-time limits (the control plane's "set limits"); start-up values come from Config.
struct engine_limits {
    std::uint32_t per_source_pps = 0;  ///< per cms window; 0 disables heavy-hitter bans
    std::uint32_t ban_seconds = 0;
    std::uint32_t global_rate_pps = 0; ///< 0 = unlimited
    std::uint32_t global_burst = 0;
    std::array<std::uint32_t, static_cast<std::size_t>(flow_state::count_)> timeout_s{};  ///< per flow_state

    [[nodiscard]] constexpr bool operator==(const engine_limits&) const noexcept = default;
};

/// Why `set_limits` refused a set (the control plane sends it in the ack's code).
enum class limits_error : std::uint8_t { none, threshold_too_large, ban_too_long, burst_zero, timeout_out_of_range, count_ };

inline constexpr std::string_view limits_error_names[] = {"none", "threshold_too_large", "ban_too_long", "burst_zero",
                                                          "timeout_out_of_range"};
static_assert(std::size(limits_error_names) == static_cast<std::size_t>(limits_error::count_));

[[nodiscard]] constexpr std::string_view name(limits_error e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(limits_error_names) ? limits_error_names[i] : std::string_view{"unknown"};
}

/// Stage numbers for `set_stage_enabled`.
enum class stage_id : std::uint8_t { sketch = 1, flows = 2, heuristics = 3, rate = 4, ebpf = 5, dpi = 6 };

template <class Config = default_config>
class pipeline {
public:
    using config = Config;
    using sketch_type = count_min_sketch<Config::cms_width, Config::cms_depth, typename Config::cms_counter, Config::cms_top_n>;
    using deferral_type = sketch_deferral<Config::cms_defer_slots, typename Config::cms_counter, Config::cms_defer_batch>;
    using flow_table_type = flow_table<Config::flow_capacity, Config::flow_probe_window>;
    using penalty_type = penalty_box<Config::penalty_capacity>;
    using firewall_type = firewall<Config::firewall_capacity>;
    using alerts_type = alert_ring<Config::alert_capacity>;
    using ebpf_type = typename Config::ebpf_stage;
    using dpi_type = typename Config::dpi_stage;
    static_assert(pipeline_stage<ebpf_type>, "Config::ebpf_stage must provide stage_decision inspect(const stage_context&)");
    static_assert(pipeline_stage<dpi_type>, "Config::dpi_stage must provide stage_decision inspect(const stage_context&)");
    static_assert(Config::ticks_per_second > 0 && Config::cms_window_ticks > 0);
    static_assert(Config::flow_clock_shift < 40, "coarse clock must still tick");
    static constexpr std::size_t sweep_per_tick = Config::flow_capacity / 16 > 0 ? Config::flow_capacity / 16 : 1;

    static constexpr engine_limits default_limits() noexcept {
        engine_limits l;
        l.per_source_pps = Config::per_source_pps;
        l.ban_seconds = Config::ban_seconds;
        l.global_rate_pps = Config::global_rate_pps;
        l.global_burst = Config::global_burst;
        l.timeout_s = {0, Config::timeout_new_s, Config::timeout_syn_sent_s, Config::timeout_established_s,
                       Config::timeout_fin_wait_s, Config::timeout_closed_s};
        return l;
    }
    static_assert(default_limits().per_source_pps <= sketch_type::counter_max, "threshold must fit the sketch counter");

    constexpr explicit pipeline(std::uint64_t seed = Config::hash_seed, std::uint64_t now = 0) noexcept
        : seed_(seed), window_start_(now),
          bucket_(Config::global_rate_pps, Config::global_burst, Config::ticks_per_second, now), deferral_(seed),
          sketch_(seed, Config::cms_mode), penalty_(Config::penalty_policy, seed), rules_(Config::firewall_default) {
        (void)set_limits(default_limits(), now);
        set_syn_budget(Config::syn_budget_pps);
        heuristics_.sled_min_run = Config::sled_min_run;
    }

    /// Runs `frame` through the enabled stages. `dir` says which port it came in on.
    constexpr verdict process(std::span<std::byte> frame, std::uint64_t now, direction dir = direction::inbound) noexcept {
        ++stats_.received;
        stats_.received_bytes += frame.size();
        net::packet_view p;
        if (const auto e = net::parse(frame, p); e != net::parse_error::none) {
            ++stats_.parse_errors[static_cast<std::size_t>(e)];
            return drop(p, now, {drop_reason::malformed, static_cast<std::uint32_t>(e)}, 0);
        }
        if (now - window_start_ >= Config::cms_window_ticks) {
            deferral_.new_window(sketch_, Config::cms_window_policy);
            window_start_ = now;
        }
        flow_entry* flow = nullptr;
        bool from_initiator = true;
        flow_state closing = flow_state::empty;  // a FIN's or RST's new state, applied once the packet passes
        if (p.is_ip()) {
            if (enabled(stage_id::sketch) && (dir != direction::outbound || Config::meter_outbound_sources)) {
                const std::uint64_t src = source_key(p, seed_);
                // Deferral (sketch_deferral.hpp) is for steady traffic: UDP and TCP segments with
                // ACK and neither SYN nor RST. Openings, resets and scans (floods) update the
                // sketch directly: a source is then flagged at most cms_defer_batch - 1 of its
                // packets late, and a flood pays nothing for the deferral table.
                const bool steady = !p.is_tcp() || (p.tcp_flags & (net::tcpflag::syn | net::tcpflag::ack | net::tcpflag::rst)) == net::tcpflag::ack;
                const auto estimate = steady ? deferral_.count(src, sketch_, far_below_) : sketch_.add(src);
                if (penalty_.banned(src, now)) return drop(p, now, {drop_reason::penalty_box, 0}, 1);
                if (limits_.per_source_pps != 0 && estimate > limits_.per_source_pps) {
                    penalty_.ban(src, now, ban_ticks_);
                    return drop(p, now, {drop_reason::heavy_hitter, estimate}, 1);
                }
            }
            // Checksums before anything trusts the packet's flags or bytes: a segment the host's
            // stack discards for its checksum must neither move a flow's state nor reach the
            // inspection as stream data ("insertion", Ptacek and Newsham 1998, section 4.2).
            // Counted, not alerted (line noise looks the same); reported as stage 2.
            if (checksums_verified()) {
                const net::checksum_status c = net::verify_checksums(p);
                if (c == net::checksum_status::bad_ip_header || c == net::checksum_status::bad_l4)
                    return drop(p, now, {drop_reason::bad_checksum, static_cast<std::uint32_t>(c)}, 2, false);
            }
            if (enabled(stage_id::flows)) {
                const stage_decision d = track(p, now, dir, flow, from_initiator, closing);
                // A segment without a flow that stage 3 would call a scan (NULL, Xmas, ...) is
                // reported as the scan it is, not as no_flow.
                if (d.reason == drop_reason::no_flow && enabled(stage_id::heuristics)) {
                    const stage_decision h = inspect_heuristics(p, heuristics_);
                    if (h.reason != drop_reason::none) return drop(p, now, h, 3);
                }
                if (d.reason != drop_reason::none) return drop(p, now, d, 2);
            }
            if (enabled(stage_id::heuristics)) {
                const stage_decision d = inspect_heuristics(p, heuristics_);
                if (d.reason != drop_reason::none) return late_drop(p, now, d, 3, flow, closing);
            }
        }
        if (enabled(stage_id::rate) && !bucket_.consume(now)) return late_drop(p, now, {drop_reason::rate_limit, 0}, 4, flow, closing);
        const stage_context ctx{p, frame, flow, from_initiator, now};
        if (enabled(stage_id::ebpf)) {
            const stage_decision d = ebpf_.inspect(ctx);
            if (d.reason != drop_reason::none) return late_drop(p, now, d, 5, flow, closing);
        }
        if (enabled(stage_id::dpi)) {
            // A slot-6 stage that reports several alerts per packet (rule matches that do not
            // drop, with sid/gid/rev) pushes them to the ring itself, the drop's included.
            if constexpr (requires { dpi_.inspect(ctx, alerts_); }) {
                const stage_decision d = dpi_.inspect(ctx, alerts_);
                // A connection this stage dropped is over (its verdict stays in the stage's own
                // table): its entry leaves at the closed timeout, not the established one. Held
                // 300 s, the server halves of reset requests (the server never hears of the
                // drop) filled the probe windows and new SYNs found no entry (full sqlmap run).
                if ((d.reason == drop_reason::dpi_signature || d.reason == drop_reason::http_uninspected) &&
                    flow != nullptr && p.is_tcp())
                    closing = flow_state::closed;
                if (d.reason != drop_reason::none) return late_drop(p, now, d, 6, flow, closing, false);
            } else {
                const stage_decision d = dpi_.inspect(ctx);
                if (d.reason != drop_reason::none) return late_drop(p, now, d, 6, flow, closing);
            }
        }
        // A FIN or RST moves the flow only when it passed: one that slot 6 refused (a RST not
        // at the exact sequence number, RFC 5961 section 3) never closes a live connection.
        if (closing != flow_state::empty) flow->set_state(closing);
        ++stats_.passed;
        stats_.passed_bytes += frame.size();
        return {};
    }

    /// Validates and applies new limits atomically (all or nothing).
    constexpr limits_error set_limits(const engine_limits& l, std::uint64_t now) noexcept {
        if (l.per_source_pps > sketch_type::counter_max) return limits_error::threshold_too_large;
        if (l.ban_seconds > 86'400) return limits_error::ban_too_long;
        if (l.global_rate_pps != 0 && l.global_burst == 0) return limits_error::burst_zero;
        for (std::size_t s = 1; s < l.timeout_s.size(); ++s)
            if (l.timeout_s[s] == 0 || l.timeout_s[s] > 7 * 86'400) return limits_error::timeout_out_of_range;
        limits_ = l;
        ban_ticks_ = std::uint64_t{l.ban_seconds} * Config::ticks_per_second;
        // "Far below" the threshold: a quarter of it (with bans off, of the counter range, so
        // the top-N telemetry still sees the busiest sources promptly).
        // per_source_pps <= counter_max (checked above), so far_below_ fits the sketch's counter.
        constexpr std::uint64_t counter_cap = sketch_type::counter_max < 0xffff'ffffu ? sketch_type::counter_max : 0xffff'ffffu;
        far_below_ = (l.per_source_pps != 0 ? l.per_source_pps : static_cast<std::uint32_t>(counter_cap)) / 4;
        for (std::size_t s = 0; s < l.timeout_s.size(); ++s)
            timeouts_[s] = static_cast<std::uint32_t>((std::uint64_t{l.timeout_s[s]} * Config::ticks_per_second) >> Config::flow_clock_shift);
        evict_min_idle_ = static_cast<std::uint32_t>((std::uint64_t{Config::evict_min_idle_s} * Config::ticks_per_second) >> Config::flow_clock_shift);
        bucket_.configure(l.global_rate_pps, l.global_burst, now);
        return limits_error::none;
    }

    constexpr void set_stage_enabled(stage_id s, bool on) noexcept {
        const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
        enabled_ = static_cast<std::uint8_t>(on ? (enabled_ | bit) : (enabled_ & ~bit));
    }
    [[nodiscard]] constexpr bool enabled(stage_id s) const noexcept { return (enabled_ >> static_cast<unsigned>(s)) & 1u; }
    /// IPv4 header and TCP / UDP / ICMP checksums verified before stage 2 (Config::verify_checksums
    /// at start; a capture taken with checksum offload on the sending host has partial sums,
    /// so secreplay can turn this off like Suricata's `-k none`).
    constexpr void set_verify_checksums(bool on) noexcept { set_bit(checksum_bit, on); }
    [[nodiscard]] constexpr bool checksums_verified() const noexcept { return (enabled_ & checksum_bit) != 0; }
    /// Mid-stream pickup (Config::tcp_pickup at start): a TCP segment other than a client's SYN
    /// without a flow creates one, taken as established (e.g. live connections after a reboot).
    /// Off, it is dropped (drop_reason::no_flow): a flow starts only with a SYN, so a spoofed
    /// reply never makes a connection "established by the other side".
    constexpr void set_tcp_pickup(bool on) noexcept { set_bit(pickup_bit, on); }
    [[nodiscard]] constexpr bool tcp_pickup() const noexcept { return (enabled_ & pickup_bit) != 0; }
    /// New-flow admission (Config::syn_budget_pps at start; 0 = unlimited): at most `pps` TCP flows
    /// opened by a SYN per second, granted as a budget per window of the coarse flow clock (the
    /// window that also paces the expiry sweep: 2^flow_clock_shift ticks, 0.105 s by default), so
    /// a flood's SYNs cost stages 3-6 and the table's churn no more than that. A SYN of a flow
    /// that already has an entry (a retransmission, a reopening) takes nothing from it. The budget
    /// is shared by all sources: a random-source flood cannot be told from clients by its source,
    /// so over budget every new SYN is refused alike (docs/flow_table.md "New-flow admission").
    constexpr void set_syn_budget(std::uint32_t pps) noexcept {
        syn_budget_pps_ = pps;
        const std::uint64_t per_window = ((std::uint64_t{pps} << Config::flow_clock_shift) + Config::ticks_per_second - 1) / Config::ticks_per_second;
        syn_per_window_ = pps == 0 ? 0 : static_cast<std::uint32_t>(per_window > 0xffff'ffffu ? 0xffff'ffffu : per_window);
        syn_left_ = syn_per_window_;
    }
    [[nodiscard]] constexpr std::uint32_t syn_budget() const noexcept { return syn_budget_pps_; }
    /// SYNs admitted per window (0 = unlimited): ceil(pps * 2^flow_clock_shift / ticks_per_second).
    [[nodiscard]] constexpr std::uint32_t syn_budget_per_window() const noexcept { return syn_per_window_; }

    [[nodiscard]] constexpr const pipeline_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] constexpr const engine_limits& limits() const noexcept { return limits_; }
    [[nodiscard]] constexpr sketch_type& sketch() noexcept { return sketch_; }
    [[nodiscard]] constexpr const deferral_type& deferral() const noexcept { return deferral_; }
    [[nodiscard]] constexpr flow_table_type& flows() noexcept { return flows_; }
    [[nodiscard]] constexpr penalty_type& penalty() noexcept { return penalty_; }
    [[nodiscard]] constexpr firewall_type& rules() noexcept { return rules_; }
    [[nodiscard]] constexpr alerts_type& alerts() noexcept { return alerts_; }
    [[nodiscard]] constexpr heuristics_settings& heuristics() noexcept { return heuristics_; }
    [[nodiscard]] constexpr ebpf_type& ebpf() noexcept { return ebpf_; }
    [[nodiscard]] constexpr dpi_type& dpi() noexcept { return dpi_; }
    [[nodiscard]] constexpr std::uint64_t seed() const noexcept { return seed_; }
    /// The coarse flow clock for `now` (what flow entries store in last_seen).
    [[nodiscard]] static constexpr std::uint32_t flow_clock(std::uint64_t now) noexcept {
        return static_cast<std::uint32_t>(now >> Config::flow_clock_shift);
    }

private:
    /// Stage 2: find or create the flow, advance its state, apply the (cached) rule verdict.
    constexpr stage_decision track(const net::packet_view& p, std::uint64_t now, direction dir, flow_entry*& flow,
                                   bool& from_initiator, flow_state& closing) noexcept {
        if (rules_.generation() != rules_generation_) {  // rules changed: every cached verdict is stale
            rules_generation_ = rules_.generation();
            flows_.for_each([](flow_entry& e) { e.set(flow_entry::fw_checked_bit, false); });
        }
        const std::uint32_t clock = flow_clock(now);
        const flow_key key = make_flow_key(p, seed_);
        using namespace net::tcpflag;
        const bool tcp = p.is_tcp();
        const bool syn_only = tcp && (p.tcp_flags & (syn | ack)) == syn;
        // Expired entries are freed off the per-packet path: a slice of the table each time the
        // coarse clock ticks (0.105 s by default), the whole table every 16 ticks, instead of one
        // slot per packet (250,000 slots a second at 250 kpps for timeouts of 10 s and more).
        // The same tick starts a new SYN-budget window.
        if (clock != sweep_clock_) {
            sweep_clock_ = clock;
            flows_.sweep(clock, timeouts_, sweep_per_tick);
            syn_left_ = syn_per_window_;
            syn_refusal_reported_ = false;
        }
        flow_lookup found{};
        if (tcp && !syn_only && !tcp_pickup()) {
            // Only a SYN opens a flow: anything else needs a live entry (and never makes one).
            found.entry = flows_.find(key.fingerprint, clock, timeouts_);
            if (found.entry == nullptr) return {drop_reason::no_flow, 0};
            found.entry->last_seen = clock;
        } else {
            // Over this window's budget a SYN gets no new entry (its flow's own, if live, it keeps).
            if (syn_only && syn_per_window_ != 0 && syn_left_ == 0 && flows_.find(key.fingerprint, clock, timeouts_) == nullptr)
                return {drop_reason::syn_budget, syn_per_window_};
            // A new, unconfirmed flow (a SYN's, a datagram's) never evicts an established one: a
            // flood of them would push out the connections being served (issue 16), and without
            // pickup an evicted flow could not come back (its next segment is no_flow). Only a
            // flow picked up mid-stream, itself taken as established, may take an established
            // entry's slot, after evict_min_idle_s of idleness.
            found = flows_.track(key.fingerprint, clock, timeouts_, tcp && !syn_only ? evict_min_idle_ : ~std::uint32_t{0});
            if (syn_only && found.created && syn_per_window_ != 0) --syn_left_;
        }
        if (!found.entry) {
            if constexpr (Config::flow_policy == flow_full_policy::fail_closed) return {drop_reason::flow_table_full, 0};
            // TCP data without an entry would be inspected alone (no stream, no normalisation):
            // less than a tracked segment, so it is dropped whatever the policy (docs/flow_table.md).
            if (tcp && p.payload_length != 0) return {drop_reason::flow_table_full, 0};
            ++stats_.untracked;
            return check_rules(p, dir);
        }
        flow = found.entry;
        if (found.created) flow->set(flow_entry::initiator_low_bit, key.src_is_low);
        from_initiator = flow->has(flow_entry::initiator_low_bit) == key.src_is_low;
        // A tracked flow's roles are fixed by its SYN: a SYN from the responder (or a SYN+ACK
        // from the initiator) would swap them; a real stack sends neither (simultaneous open
        // aside, RFC 9293 section 3.5), a spoofer does.
        if (tcp && !found.created && (p.tcp_flags & syn) != 0 && ((p.tcp_flags & ack) == 0) != from_initiator)
            return {drop_reason::tcp_state, 0};
        const flow_state next = tcp ? next_tcp_state(flow->state(), p.tcp_flags, from_initiator, found.created)
                                    : next_datagram_state(flow->state(), from_initiator);
        if (tcp && !found.created && (p.tcp_flags & (fin | rst)) != 0) closing = next;
        else flow->set_state(next);
        // Rules are judged on the initiator's packets and the answer is cached in the entry;
        // replies ride on an allowed flow (stateful firewall) or are matched on their own.
        if (from_initiator) {
            if (!flow->has(flow_entry::fw_checked_bit)) {
                flow->set(flow_entry::fw_checked_bit, true);
                flow->set(flow_entry::fw_allowed_bit, rules_.match(p, dir).action == rule_action::allow);
            }
            return flow->has(flow_entry::fw_allowed_bit) ? stage_decision{} : check_rules(p, dir);
        }
        if (Config::firewall_allow_established && flow->has(flow_entry::fw_checked_bit) && flow->has(flow_entry::fw_allowed_bit))
            return {};
        return check_rules(p, dir);
    }

    /// Matches the rules for this packet; a deny names the rule (detail = index, or 0xffff for the default).
    constexpr stage_decision check_rules(const net::packet_view& p, direction dir) const noexcept {
        const firewall_match m = rules_.match(p, dir);
        if (m.action == rule_action::allow) return {};
        if (m.rule < 0) return {drop_reason::firewall, 0xffff};
        const auto& r = rules_.rules()[static_cast<std::size_t>(m.rule)];
        return {r.is_port_block() ? drop_reason::port_blocked : drop_reason::firewall, static_cast<std::uint32_t>(m.rule)};
    }

    /// A drop after stage 2: a FIN's or RST's state change is kept back only when slot 6 refused
    /// the segment itself (a RST out of window, a FIN out of order: it never reached the host);
    /// dropped for any other reason (e.g. its connection's earlier verdict) the flow still closes,
    /// so it leaves the table at the closed timeout, not the established one.
    constexpr verdict late_drop(const net::packet_view& p, std::uint64_t now, stage_decision d, std::uint8_t stage,
                                flow_entry* flow, flow_state closing, bool push_alert = true) noexcept {
        const bool refused = d.reason == drop_reason::out_of_window || d.reason == drop_reason::stream_out_of_order ||
                             d.reason == drop_reason::stream_rewrite || d.reason == drop_reason::stream_invalid;
        if (closing != flow_state::empty && !refused) flow->set_state(closing);
        return drop(p, now, d, stage, push_alert);
    }

    constexpr verdict drop(const net::packet_view& p, std::uint64_t now, stage_decision d, std::uint8_t stage,
                           bool push_alert = true) noexcept {
        ++stats_.dropped[static_cast<std::size_t>(d.reason)];
        // A flood over the SYN budget is alerted once per window (its count is in the stats):
        // one alert per refused SYN would flush every other alert out of the ring.
        if (d.reason == drop_reason::syn_budget) {
            push_alert = !syn_refusal_reported_;
            syn_refusal_reported_ = true;
        }
        if (push_alert && d.reason != drop_reason::penalty_box && d.reason != drop_reason::rate_limit) {
            alert_event a;
            a.time = now;
            a.reason = d.reason;
            a.stage = stage;
            a.detail = d.detail;
            a.set_packet(p);
            alerts_.push(a);
        }
        return {d.reason, stage, d.detail};
    }

    // Member order: the per-packet scalars and small tables first, the big tables last, so on
    // RV64 (12-bit load/store offsets) the hot fields are reached from the object's address
    // without an address computation; the 16 KiB flow table and the stage 5/6 slots go last.
    static constexpr std::uint8_t checksum_bit = 0x80, pickup_bit = 0x01;
    constexpr void set_bit(std::uint8_t bit, bool on) noexcept {
        enabled_ = static_cast<std::uint8_t>(on ? (enabled_ | bit) : (enabled_ & ~bit));
    }
    std::uint8_t enabled_ = static_cast<std::uint8_t>(0x7e | (Config::verify_checksums ? checksum_bit : 0) |
                                                      (Config::tcp_pickup ? pickup_bit : 0));  ///< bits 1-6: stages, 7: checksums, 0: pickup
    std::uint32_t far_below_ = 0;
    std::uint32_t evict_min_idle_ = 0;
    std::uint32_t rules_generation_ = 0;
    std::uint32_t sweep_clock_ = 0;
    std::uint32_t syn_per_window_ = 0;  ///< SYN budget per coarse-clock window (0 = unlimited)
    std::uint32_t syn_left_ = 0;        ///< what is left of it in this window
    std::uint32_t syn_budget_pps_ = 0;
    bool syn_refusal_reported_ = false; ///< this window's first syn_budget drop was alerted
    std::uint64_t seed_;
    std::uint64_t window_start_ = 0;
    std::uint64_t ban_ticks_ = 0;
    engine_limits limits_{};
    flow_timeouts timeouts_{};
    pipeline_stats stats_{};
    token_bucket bucket_;
    heuristics_settings heuristics_{};
    deferral_type deferral_;
    sketch_type sketch_;
    penalty_type penalty_;
    flow_table_type flows_{};
    firewall_type rules_;
    alerts_type alerts_{};
    ebpf_type ebpf_{};
    dpi_type dpi_{};
};

}  // namespace secengine
