#pragma once
/// \file The appliance's control plane (docs/control.md, docs/protocol.md "Kernel behaviour"):
/// authenticated commands on the management UDP port, replies in the command's own buffer, and
/// telemetry (stats, DPI hits, eBPF map counters, alerts) to subscribed clients. Board-free:
/// the board supplies a `port` (port.hpp), the boot id, the key and the clock.
///
///     control_plane<pipeline<appliance_config>, my_port> cp{engine, port, key, boot_id, self, now};
///     std::size_t n = cp.on_datagram(nic, frame, view, now);  // reply length in `frame`, 0: none
///     cp.recycle(buffer);                                      // a buffer the board is done with
///     cp.poll(now);                                            // telemetry due, once per loop turn
///
/// Everything runs in the event loop between two packets, so a command takes effect atomically
/// for the data path: the engine never sees a half-applied change. A command is applied only
/// after the session accepted it (tag, boot id, channel, replay window, payload layout and every
/// range) and only when the engine accepts the whole change (commands.hpp); the ack reports the
/// outcome and the config version after it.
///
/// Buffers: a reply reuses the command's receive buffer. Telemetry has no request to ride on,
/// so the plane keeps up to `max_spares` buffers back from the frames the board consumes
/// (dropped, echoes, ...) while someone is subscribed, and transmits telemetry in them. With no
/// traffic at all, telemetry waits for the next frame: clients send a keep-alive ping every
/// second (secctl does), which also tells them at once when the appliance rebooted.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/alert_ring.hpp>
#include <secengine/control/commands.hpp>
#include <secengine/control/outcome.hpp>
#include <secengine/control/persist.hpp>
#include <secengine/control/port.hpp>
#include <secengine/control/queries.hpp>
#include <secengine/control/refusal.hpp>
#include <secengine/control/reply_frame.hpp>
#include <secengine/control/rules_upload.hpp>
#include <secengine/control/telemetry.hpp>
#include <secengine/control/upload.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/wire.hpp>

namespace secengine::control {

/// The control plane of one engine. Not copyable (it holds the engine by reference and the
/// upload buffer); construct it once, in place, when key and boot id are known.
template <class Engine, port Port, persistence Persist = no_persistence>
class control_plane {
public:
    using buffer_id = typename Port::buffer_id;
    using upload_type = program_upload<engine_program_limits<Engine>>;
    static constexpr std::size_t channels = 4;
    static constexpr std::size_t max_spares = 2;
    /// A subscription lapses when its channel sent no command for this long (clients ping
    /// every second), so a client that died stops costing buffers and bandwidth.
    static constexpr std::uint32_t lease_seconds = 60;
    static constexpr std::uint32_t builtin_program_id = upload_type::builtin_program_id;
    static constexpr std::size_t max_program_bytes = upload_type::max_program_bytes;
    /// error_replies per second (burst 20), alerts per second (burst 20).
    static constexpr std::uint32_t error_rate = 50, alert_rate = 20, burst = 20;
    /// The trickle for answers a sender gets without proving it is a current client: another
    /// protocol version (nothing is authenticated) and commands from a previous boot (authentic,
    /// but what a replay of a recording looks like). Its own budget, so a flood of those never
    /// uses up `error_rate`, which answers current-boot clients and fresh clients learning the
    /// boot id (boot id 0, docs/control.md "Refusals").
    static constexpr std::uint32_t stranger_rate = 2, stranger_burst = 4;
    /// Tags of the last boot-id-0 datagrams answered (direct-mapped): a fresh client's first
    /// datagram is valid in every boot, so a recording of one replayed is answered once from the
    /// error budget and afterwards only from the trickle.
    static constexpr std::size_t discovery_memory = 32;
    static_assert((discovery_memory & (discovery_memory - 1)) == 0, "discovery_memory: a power of two");

    control_plane(Engine& e, Port p, const wire::siphash_key& key, std::uint64_t boot_id, local_address self,
                  std::uint64_t now, Persist persist = {}) noexcept
        : e_(e),
          port_(p),
          persist_(persist),
          session_(key, boot_id),
          alerts_(alert_rate, burst, Engine::config::ticks_per_second, now),
          errors_(error_rate, burst, Engine::config::ticks_per_second, now),
          strangers_(stranger_rate, stranger_burst, Engine::config::ticks_per_second, now),
          self_(self) {}
    control_plane(const control_plane&) = delete;
    control_plane& operator=(const control_plane&) = delete;

    /// Handles one UDP datagram to the management port (`v` parsed from `frame`, which arrived
    /// on `nic`); returns the reply frame length written into `frame` (0: nothing to send).
    std::size_t on_datagram(std::uint8_t nic, std::span<std::byte> frame, const net::packet_view& v,
                            std::uint64_t now) noexcept {
        const std::span<const std::byte> d = v.payload();
        peer from;
        from.ip = v.src4;
        from.udp_port = v.sport;
        from.nic = nic;
        for (std::size_t i = 0; i < 6 && 6 + i < frame.size(); ++i) from.mac[i] = static_cast<std::uint8_t>(frame[6 + i]);
        const wire::opened o = session_.open(d);
        if (!o.ok()) return refuse(o, d, from, frame, now);
        ++rejected_[0];  // slot 0 (`none`) counts accepted commands
        // Telemetry follows the channel's newest command (issue 16): a subscribe withheld and
        // delivered from another address holds the subscription only until the client's next
        // command, and an older subscription change never overrides a newer one (apply below).
        const std::size_t ch = o.hdr.channel - 1u;
        const bool newest = o.hdr.seq > newest_seq_[ch];
        if (newest) {
            newest_seq_[ch] = o.hdr.seq;
            if (subs_[ch].active()) subs_[ch].to = from;
        }
        subs_[ch].last_heard = now;
        context ctx{from, frame, o.hdr, now, 0, newest};
        // Ordering across channels (wire/config_version.hpp): a change applies only to the
        // configuration it was made against. A withheld change delivered after newer ones (from
        // any channel) is refused and changes nothing - not even the version.
        if (wire::carries_config_version(o.hdr.type) && (!o.versioned || o.config_version != version_)) {
            ack(ctx, {o.versioned ? wire::status::stale_version : wire::status::version_required, 0, version_, false});
            return ctx.reply_len;
        }
        // Persist first (docs/store.md): a change is stored and read back before it is applied
        // and acked; one that cannot be stored is neither applied nor acked as done.
        if (is_configuration(o.hdr.type)) {
            const store::store_error se = persist_.persist(o.hdr.type, o.payload);
            if (se != store::store_error::none) {
                ack(ctx, {wire::status::storage_failed, static_cast<std::uint16_t>(se), 0, false});
                return ctx.reply_len;
            }
        }
        (void)wire::visit_payload(wire::command_types{}, o.hdr.type, o.payload,
                                  [this, &ctx](const auto& cmd) { this->apply(ctx, cmd); });  // validated: it decodes
        return ctx.reply_len;
    }

    /// Re-applies a stored configuration command at boot (state_store::load's replay): the
    /// same routing and semantics as when it arrived, without a reply or a second store.
    void replay(std::uint16_t type, std::span<const std::byte> payload, std::uint64_t now) noexcept {
        const auto t = static_cast<wire::msg_type>(type);
        if (type > 0xff || !is_configuration(t)) return;
        const peer nobody{};
        wire::header h{};
        h.type = t;
        h.channel = 1;
        context ctx{nobody, {}, h, now, 0, true};
        (void)wire::visit_payload(wire::command_types{}, t, payload, [this, &ctx](const auto& cmd) { this->apply(ctx, cmd); });
        ++replayed_;
    }
    /// Commands replayed from the store at boot.
    [[nodiscard]] std::uint32_t replayed() const noexcept { return replayed_; }
    /// A factory reset was acked: the board should reboot once the ack is out.
    [[nodiscard]] bool reboot_requested() const noexcept { return reboot_; }
    [[nodiscard]] const Persist& persistence() const noexcept { return persist_; }

    /// A buffer the board is done with: kept for telemetry while someone listens, else released.
    void recycle(buffer_id buffer) noexcept {
        if (nspares_ < max_spares && subscribed()) {
            spares_[nspares_++] = buffer;
            return;
        }
        port_.release(buffer);
    }

    /// Sends what telemetry is due, as long as spare buffers last. Call once per loop turn.
    void poll(std::uint64_t now) noexcept {
        if (!subscribed()) {
            alert_event a;
            while (e_.alerts().pop(a)) {}  // nobody listens: alerts are counted in stats anyway
            ring_lost_ = e_.alerts().overwritten();
            while (nspares_ > 0) port_.release(spares_[--nspares_]);
            return;
        }
        expire_and_schedule(now);
        send_alerts(now);
        for (std::size_t c = 0; c < channels && nspares_ > 0; ++c) {
            subscriber& s = subs_[c];
            if (!s.active()) continue;
            if (s.pending & pending::stats) {
                s.pending &= static_cast<std::uint8_t>(~pending::stats);
                const std::uint64_t sup = alerts_.total_suppressed() + e_.alerts().overwritten();
                send(c, make_stats(e_, s, now, version_, rejected_, sup, counters_));
            } else if (s.pending & pending::dpi) {
                s.pending &= static_cast<std::uint8_t>(~pending::dpi);
                send(c, make_dpi_hits(e_));
            } else if (s.pending & pending::maps) {
                s.pending &= static_cast<std::uint8_t>(~pending::maps);
                if (e_.ebpf().prog().loaded()) send(c, make_map_counters(e_, upload_.id()));
            }
        }
    }

    [[nodiscard]] std::uint64_t boot_id() const noexcept { return session_.boot_id(); }
    [[nodiscard]] std::uint32_t config_version() const noexcept { return version_; }
    /// Datagrams refused since boot, all reasons.
    [[nodiscard]] std::uint32_t rejected_total() const noexcept {
        std::uint32_t n = 0;
        for (std::size_t i = 1; i < rejected_.size(); ++i) n += rejected_[i];
        return n;
    }
    /// Datagrams refused for reason `e`.
    [[nodiscard]] std::uint32_t rejected(wire::wire_error e) const noexcept {
        const auto i = static_cast<std::size_t>(e);
        return i != 0 && i < rejected_.size() ? rejected_[i] : 0;
    }
    /// Commands accepted by the session since boot.
    [[nodiscard]] std::uint32_t accepted() const noexcept { return rejected_[0]; }
    /// Spare buffers held for telemetry right now.
    [[nodiscard]] std::size_t spares() const noexcept { return nspares_; }
    /// Channel `c` (1..channels)'s subscription.
    [[nodiscard]] const subscriber& subscription(std::uint8_t c) const noexcept { return subs_[(c - 1u) % channels]; }
    [[nodiscard]] Port& board_port() noexcept { return port_; }

    /// Instruction accounting from the event loop (exact only under -icount).
    void set_insn_counters(const std::uint64_t* insns, const std::uint64_t* frames) noexcept { counters_ = {insns, frames}; }

private:
    /// The command being applied: where its reply goes and what it said.
    struct context {
        const peer& from;
        std::span<std::byte> frame;
        wire::header hdr;
        std::uint64_t now = 0;
        std::size_t reply_len = 0;
        bool newest = true;  ///< highest sequence number accepted on its channel so far
    };

    [[nodiscard]] bool subscribed() const noexcept {
        for (const auto& s : subs_)
            if (s.active()) return true;
        return false;
    }

    // ---- frames -------------------------------------------------------------------------------

    /// Seals `m` for `channel` into `f` as a complete frame to `to`; 0 if it cannot be sealed.
    template <class M>
    std::size_t seal_frame(const M& m, std::uint8_t channel, const peer& to, std::span<std::byte> f) noexcept {
        if (f.size() < datagram_offset) return 0;
        const std::span<std::byte> room = f.subspan(datagram_offset);
        const wire::encoded x =
            session_.seal(m, channel, room.first(room.size() < wire::max_datagram ? room.size() : wire::max_datagram));
        if (x.error != wire::wire_error::none) return 0;
        return build_reply_frame(f, self_, to, ip_id_++, x.size);
    }

    template <class M>
    void reply(context& ctx, const M& m) noexcept {
        ctx.reply_len = seal_frame(m, ctx.hdr.channel, ctx.from, ctx.frame);
    }

    void ack(context& ctx, const outcome& o) noexcept {
        if (o.ok() && o.changed) ++version_;
        reply(ctx, wire::ack{ctx.hdr.seq, version_, ctx.hdr.type, o.status, o.code, o.detail});
    }

    /// Sends `m` to subscriber `c` in a spare buffer (one must be held).
    template <class M>
    void send(std::size_t c, const M& m) noexcept {
        const buffer_id b = spares_[--nspares_];
        const std::size_t n = seal_frame(m, static_cast<std::uint8_t>(c + 1), subs_[c].to, port_.frame(b));
        if (n == 0) {
            port_.release(b);
            return;
        }
        port_.transmit(subs_[c].to.nic, b, static_cast<std::uint16_t>(n));
    }

    // ---- refusals (refusal.hpp) ----------------------------------------------------------------

    /// Counts a refused datagram; answers it as the refusal policy says, rate limited.
    std::size_t refuse(const wire::opened& o, std::span<const std::byte> d, const peer& from, std::span<std::byte> frame,
                       std::uint64_t now) noexcept {
        const auto ei = static_cast<std::size_t>(o.error);
        if (ei < rejected_.size()) ++rejected_[ei];
        if (!should_answer(session_.key(), o, d)) return 0;
        bool stranger = is_stranger(o);
        std::uint64_t tag = 0;
        std::uint64_t* seen = nullptr;
        if (o.error == wire::wire_error::wrong_boot && !stranger && d.size() >= wire::tag_size) {  // boot id 0
            tag = wire::detail::get_le(d.data() + d.size() - wire::tag_size, wire::tag_size);
            seen = &discovery_seen_[static_cast<std::size_t>(tag) & (discovery_memory - 1)];
            stranger = *seen == tag;  // answered before: a recording replayed, not a client asking now
        }
        wire::event_limiter& budget = stranger ? strangers_ : errors_;
        if (!budget.allow(now)) return 0;
        if (seen != nullptr && !stranger) *seen = tag;
        const refusal r = make_refusal(o, d);
        return seal_frame(r.reply, r.channel, from, frame);
    }

    // ---- telemetry scheduling ------------------------------------------------------------------

    /// Drops subscriptions whose lease ran out; marks the periodic messages of those due.
    void expire_and_schedule(std::uint64_t now) noexcept {
        const std::uint64_t lease = std::uint64_t{lease_seconds} * Engine::config::ticks_per_second;
        for (subscriber& s : subs_) {
            if (s.active() && now - s.last_heard > lease) {
                s = subscriber{};  // its client went away without unsubscribing
                continue;
            }
            if (s.active() && now >= s.next_due) {
                s.pending |= pending::all;
                s.next_due = now + std::uint64_t{s.interval_ms} * (Engine::config::ticks_per_second / 1000);
            }
        }
    }

    /// Alerts first (they are events), one copy per subscriber. Alerts the engine's ring
    /// overwrote before we could send them count as suppressed, like the limiter's.
    void send_alerts(std::uint64_t now) noexcept {
        while (nspares_ > 0) {
            if (alert_mask_ == 0) {
                alert_event a;
                if (!e_.alerts().pop(a)) break;
                const std::uint64_t lost = e_.alerts().overwritten() - ring_lost_;
                ring_lost_ = e_.alerts().overwritten();
                ring_pending_ += lost;
                if (!alerts_.allow(now)) continue;
                const std::uint64_t sup = alerts_.take_suppressed() + ring_pending_;
                ring_pending_ = 0;
                pending_alert_ = wire::make_alert(a, sup > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(sup));
                for (std::size_t c = 0; c < channels; ++c)
                    if (subs_[c].active()) alert_mask_ |= static_cast<std::uint8_t>(1u << c);
            }
            for (std::size_t c = 0; c < channels && nspares_ > 0; ++c) {
                if ((alert_mask_ >> c) & 1u) {
                    send(c, pending_alert_);
                    alert_mask_ = static_cast<std::uint8_t>(alert_mask_ & ~(1u << c));
                }
            }
        }
    }

    // ---- commands: routing only; semantics in commands.hpp, queries.hpp, upload.hpp ----------

    void apply(context& c, const wire::ping&) noexcept { ack(c, ok_outcome()); }
    void apply(context& c, const wire::read_config& m) noexcept {
        reply(c, control::make_config(e_, m, c.hdr.seq, version_, subs_[c.hdr.channel - 1u].interval_ms, upload_.running(e_)));
    }
    // A subscription change older than the channel's newest command (delivered out of order,
    // e.g. withheld by someone on the path) is refused with `invalid`: it would undo what the
    // client did since.
    void apply(context& c, const wire::subscribe& m) noexcept {
        if (!c.newest) return ack(c, {wire::status::invalid, 0, 0, false});
        control::subscribe(subs_[c.hdr.channel - 1u], e_, c.from, m.interval_ms, c.now, counters_);
        ack(c, ok_outcome());
    }
    void apply(context& c, const wire::unsubscribe&) noexcept {
        if (!c.newest) return ack(c, {wire::status::invalid, 0, 0, false});
        subs_[c.hdr.channel - 1u] = subscriber{};
        ack(c, ok_outcome());
    }
    void apply(context& c, const wire::block_port& m) noexcept { ack(c, control::block_port(e_, m.rule)); }
    void apply(context& c, const wire::unblock_port& m) noexcept { ack(c, control::unblock_port(e_, m.rule)); }
    void apply(context& c, const wire::add_signature& m) noexcept { ack(c, control::add_signature(e_, m)); }
    void apply(context& c, const wire::remove_signature& m) noexcept { ack(c, control::remove_signature(e_, m)); }
    void apply(context& c, const wire::ebpf_chunk& m) noexcept { ack(c, upload_.chunk(m)); }
    void apply(context& c, const wire::ebpf_commit& m) noexcept { ack(c, upload_.commit(e_, m)); }
    void apply(context& c, const wire::ebpf_unload& m) noexcept { ack(c, upload_.unload(e_, m)); }
    void apply(context& c, const wire::set_limits& m) noexcept { ack(c, control::set_limits(e_, m.value, c.now)); }
    void apply(context& c, const wire::penalty_list& m) noexcept { reply(c, control::make_penalty_page(e_, m, c.hdr.seq, c.now)); }
    void apply(context& c, const wire::penalty_flush&) noexcept { ack(c, control::penalty_flush(e_)); }
    void apply(context& c, const wire::penalty_unban& m) noexcept { ack(c, control::penalty_unban(e_, m, c.now)); }
    void apply(context& c, const wire::store_status&) noexcept {
        wire::store_report r = persist_.report();
        r.request_seq = c.hdr.seq;
        reply(c, r);
    }
    void apply(context& c, const wire::factory_reset&) noexcept {
        const store::store_error se = persist_.factory_reset();
        if (se != store::store_error::none)
            return ack(c, {se == store::store_error::disabled ? wire::status::invalid : wire::status::storage_failed,
                           static_cast<std::uint16_t>(se), 0, false});
        reboot_ = true;
        ack(c, ok_outcome(true));
    }
    void apply(context& c, const wire::map_read& m) noexcept {
        // Entries are staged where the encoder will put the reply's tail (after the header and
        // the page's fixed fields), so its copy is a no-op.
        constexpr std::size_t at = datagram_offset + wire::header_size + map_page_fixed;
        constexpr std::size_t room = wire::max_payload - map_page_fixed;
        if (c.frame.size() < at + room) return ack(c, {wire::status::invalid});
        const map_read_result r = control::make_map_page(e_, m, c.hdr.seq, c.frame.subspan(at, room));
        if (r.refused != wire::status::ok) return ack(c, {r.refused});
        reply(c, r.page);
    }
    void apply(context& c, const wire::signature_list& m) noexcept {
        // Records are staged where the encoder puts the entries tail, like map_read's.
        constexpr std::size_t at = datagram_offset + wire::header_size + wire::signature_page_fixed;
        constexpr std::size_t room = wire::max_payload - wire::signature_page_fixed;
        if (c.frame.size() < at + room) return ack(c, {wire::status::invalid});
        reply(c, control::make_signature_page(e_, m, c.hdr.seq, version_, c.frame.subspan(at, room)));
    }
    void apply(context& c, const wire::rules_chunk& m) noexcept { ack(c, rules_.chunk(e_, persist_.slots(), m)); }
    void apply(context& c, const wire::rules_commit& m) noexcept { ack(c, rules_.commit(e_, persist_.slots(), m)); }
    void apply(context& c, const wire::rules_list& m) noexcept { reply(c, rules_.list(e_, persist_.slots(), m, c.hdr.seq)); }

    Engine& e_;
    [[no_unique_address]] Port port_;
    [[no_unique_address]] Persist persist_;
    std::uint32_t replayed_ = 0;
    bool reboot_ = false;
    wire::appliance_session<channels> session_;
    wire::event_limiter alerts_;
    wire::event_limiter errors_;
    wire::event_limiter strangers_;
    std::array<std::uint64_t, discovery_memory> discovery_seen_{};
    std::array<std::uint64_t, channels> newest_seq_{};  ///< per channel: highest accepted sequence number
    local_address self_;
    std::uint16_t ip_id_ = 1;
    std::uint8_t alert_mask_ = 0;
    std::uint32_t version_ = 1;
    std::array<std::uint32_t, wire::wire_error_count> rejected_{};  ///< [0]: accepted commands
    std::array<subscriber, channels> subs_{};
    std::array<buffer_id, max_spares> spares_{};
    std::size_t nspares_ = 0;
    wire::alert pending_alert_{};
    std::uint64_t ring_lost_ = 0;     ///< engine alert-ring overwrites already accounted
    std::uint64_t ring_pending_ = 0;  ///< overwrites not yet reported in an alert's `suppressed`
    insn_counters counters_{};
    upload_type upload_;
    rules_upload rules_;
};

}  // namespace secengine::control
