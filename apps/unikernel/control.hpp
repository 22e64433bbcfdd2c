#pragma once
// The appliance's control plane (issue 6, docs/protocol.md "Kernel behaviour"): authenticated
// commands on UDP mgmt_port at the appliance IP, replies in the command's own buffer, and
// telemetry (stats, DPI hits, eBPF map counters, alerts) to subscribed clients.
//
// Everything runs in the event loop between two packets, so a command takes effect atomically
// for the data path: the engine never sees a half-applied change. A command is applied only
// after the session accepted it (tag, boot id, channel, replay window, payload layout and every
// range) and only when the engine accepts the whole change (each engine call used here is all
// or nothing); the ack reports the outcome and the config version after it.
//
// Buffers: a reply reuses the command's receive buffer. Telemetry has no request to ride on,
// so the control plane keeps up to `max_spares` receive buffers back from the frames the kernel
// consumes (dropped, echoes, ...) while someone is subscribed, and transmits telemetry in them;
// the device hands them back to their RX ring when sent. With no traffic at all, telemetry waits
// for the next frame: clients send a keep-alive ping every second (secctl does), which also
// tells them at once when the appliance rebooted.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include <secengine/detail/bytes.hpp>
#include <secengine/detail/hash.hpp>
#include <secengine/alert_ring.hpp>
#include <secengine/dpi/error.hpp>
#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/ebpf/maps.hpp>
#include <secengine/firewall.hpp>
#include <secengine/penalty_box.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/net/checksum.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/net/protocol.hpp>
#include <secengine/wire.hpp>

#include "virtio.hpp"

namespace kernel {

namespace wire = secengine::wire;

template <class P>
struct program_limits_of;
template <template <class> class Prog, class L>
struct program_limits_of<Prog<L>> {
    using type = L;
};

/// A boot id that differs between boots (docs/protocol.md "Boot id"). The kernel has no
/// storage for a counter, so it takes the wall clock from QEMU virt's Goldfish RTC (MMIO
/// 0x101000, nanoseconds since the epoch: TIME_LOW latches TIME_HIGH, read low first), which
/// moves between boots even under -icount, and mixes in `seed` (boot ticks and the key).
/// Call before PMP lockdown.
inline std::uint64_t make_boot_id(std::uint64_t seed) noexcept {
    volatile const std::uint32_t* rtc = reinterpret_cast<volatile const std::uint32_t*>(0x101000);
    const std::uint64_t lo = rtc[0];
    const std::uint64_t hi = rtc[1];
    std::uint64_t id = secengine::detail::mix64(((hi << 32) | lo) ^ secengine::detail::mix64(seed));
    return id == 0 ? 1 : id;
}

/// Where a client's commands came from: replies and its telemetry go back there.
struct peer {
    std::uint32_t ip = 0;
    std::uint16_t udp_port = 0;
    std::uint8_t nic = 0;
    std::array<std::uint8_t, 6> mac{};
};

/// The control plane of one engine; lives in .bss, constructed once at boot.
template <class Engine>
class control_plane {
public:
    static constexpr std::size_t channels = 4;
    static constexpr std::size_t max_spares = 2;
    /// A subscription lapses when its channel sent no command for this long (clients ping
    /// every second), so a client that died stops costing buffers and bandwidth.
    static constexpr std::uint32_t lease_seconds = 60;
    /// Id reported for the program built into the image (loaded at boot).
    static constexpr std::uint32_t builtin_program_id = 0xffffffffu;
    using program_type = std::remove_reference_t<decltype(std::declval<Engine&>().ebpf().slot())>;
    using prog_limits = typename program_limits_of<program_type>::type;
    static constexpr std::size_t max_program_bytes = prog_limits::max_insns * 8;

    control_plane(const std::array<std::uint8_t, 16>& key, std::uint64_t boot_id, std::uint32_t ip,
                  std::uint16_t mgmt_port, const std::array<std::uint8_t, 6>* macs, std::uint64_t now) noexcept
        : key_(to_key(key)),
          session_(key_, boot_id),
          alerts_(20, 20, Engine::config::ticks_per_second, now),
          errors_(50, 20, Engine::config::ticks_per_second, now),
          ip_(ip),
          port_(mgmt_port),
          macs_(macs) {
        wire_limits_ = to_wire(Engine::default_limits());
    }

    /// Limits applied at boot from boot arguments (keeps the reported limits in step).
    void sync_limits(const secengine::engine_limits& l) noexcept { wire_limits_ = to_wire(l, wire_limits_.other_idle_s); }

    /// Handles one UDP datagram to mgmt_port; returns the reply frame length written into
    /// `frame` (0: nothing to send, release the buffer).
    std::size_t on_datagram(Engine& e, int nic, std::span<std::byte> frame, const secengine::net::packet_view& v,
                            std::uint64_t now) noexcept {
        const std::span<const std::byte> d = v.payload();
        peer from;
        from.ip = v.src4;
        from.udp_port = v.sport;
        from.nic = static_cast<std::uint8_t>(nic);
        for (std::size_t i = 0; i < 6; ++i) from.mac[i] = static_cast<std::uint8_t>(frame[6 + i]);
        const wire::opened o = session_.open(d);
        if (!o.ok()) return refuse(o, d, from, frame, now);
        ++rejected_[0];
        subs_[o.hdr.channel - 1u].last_heard = now;
        ctx_ = {&e, &from, frame, o.hdr, now, 0};
        const wire::wire_error err = wire::visit_payload(wire::command_types{}, o.hdr.type, o.payload,
                                                         [this](const auto& cmd) { apply(cmd); });
        (void)err;  // the session validated the payload: it decodes
        return ctx_.reply_len;
    }

    /// A buffer the kernel is done with: kept for telemetry while someone listens, else released.
    void recycle(std::uint16_t buffer) noexcept {
        if (nspares_ < max_spares && subscribed()) {
            spares_[nspares_++] = buffer;
            return;
        }
        board::virtio::release(buffer);
    }

    /// Sends what telemetry is due, as long as spare buffers last. Call once per loop turn.
    void poll(Engine& e, std::uint64_t now) noexcept {
        if (!subscribed()) {
            secengine::alert_event a;
            while (e.alerts().pop(a)) {}  // nobody listens: alerts are counted in stats anyway
            ring_lost_ = e.alerts().overwritten();
            while (nspares_ > 0) board::virtio::release(spares_[--nspares_]);
            return;
        }
        const std::uint64_t lease = std::uint64_t{lease_seconds} * Engine::config::ticks_per_second;
        for (std::size_t c = 0; c < channels; ++c) {
            subscriber& s = subs_[c];
            if (s.interval_ms != 0 && now - s.last_heard > lease) {
                s = subscriber{};  // its client went away without unsubscribing
                continue;
            }
            if (s.interval_ms != 0 && now >= s.next_due) {
                s.pending |= pending_stats | pending_dpi | pending_maps;
                s.next_due = now + std::uint64_t{s.interval_ms} * (Engine::config::ticks_per_second / 1000);
            }
        }
        // Alerts first (they are events), then the periodic messages. Alerts the engine's ring
        // overwrote before we could send them count as suppressed, like the limiter's.
        while (nspares_ > 0) {
            if (alert_mask_ == 0) {
                secengine::alert_event a;
                if (!e.alerts().pop(a)) break;
                const std::uint64_t lost = e.alerts().overwritten() - ring_lost_;
                ring_lost_ = e.alerts().overwritten();
                ring_pending_ += lost;
                if (!alerts_.allow(now)) continue;
                pending_alert_ = to_wire(a);
                const std::uint64_t sup = alerts_.take_suppressed() + ring_pending_;
                ring_pending_ = 0;
                pending_alert_.suppressed = sup > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(sup);
                for (std::size_t c = 0; c < channels; ++c)
                    if (subs_[c].interval_ms != 0) alert_mask_ |= static_cast<std::uint8_t>(1u << c);
            }
            for (std::size_t c = 0; c < channels && nspares_ > 0; ++c) {
                if ((alert_mask_ >> c) & 1u) {
                    send(c, pending_alert_);
                    alert_mask_ = static_cast<std::uint8_t>(alert_mask_ & ~(1u << c));
                }
            }
        }
        for (std::size_t c = 0; c < channels && nspares_ > 0; ++c) {
            subscriber& s = subs_[c];
            if (s.interval_ms == 0) continue;
            if (s.pending & pending_stats) {
                s.pending &= static_cast<std::uint8_t>(~pending_stats);
                send_stats(e, c, now);
            } else if (s.pending & pending_dpi) {
                s.pending &= static_cast<std::uint8_t>(~pending_dpi);
                send_dpi_hits(e, c);
            } else if (s.pending & pending_maps) {
                s.pending &= static_cast<std::uint8_t>(~pending_maps);
                if (e.ebpf().slot().loaded()) send_map_counters(e, c);
            }
        }
    }

    [[nodiscard]] std::uint64_t boot_id() const noexcept { return session_.boot_id(); }
    [[nodiscard]] std::uint32_t config_version() const noexcept { return version_; }
    [[nodiscard]] std::uint32_t rejected_total() const noexcept {
        std::uint32_t n = 0;
        for (std::size_t i = 1; i < rejected_.size(); ++i) n += rejected_[i];
        return n;
    }
    [[nodiscard]] std::uint32_t accepted() const noexcept { return rejected_[0]; }

    /// Instruction accounting from the event loop (exact only under -icount).
    void set_insn_counters(const std::uint64_t* insns, const std::uint64_t* frames) noexcept {
        insns_ = insns;
        frames_ = frames;
    }

private:
    static constexpr std::uint8_t pending_stats = 1, pending_dpi = 2, pending_maps = 4;

    struct subscriber {
        peer to;
        std::uint32_t interval_ms = 0;  ///< 0 = not subscribed
        std::uint8_t pending = 0;
        std::uint64_t next_due = 0;
        std::uint64_t last_heard = 0;  ///< last accepted command on this channel
        std::uint64_t last_time = 0, last_rx = 0, last_bytes = 0, last_insns = 0, last_frames = 0;
    };

    /// The command being applied: where its reply goes and what it said.
    struct context {
        Engine* e = nullptr;
        const peer* from = nullptr;
        std::span<std::byte> frame;
        wire::header hdr;
        std::uint64_t now = 0;
        std::size_t reply_len = 0;
    };

    [[nodiscard]] bool subscribed() const noexcept {
        for (const auto& s : subs_)
            if (s.interval_ms != 0) return true;
        return false;
    }

    // ---- frames -------------------------------------------------------------------------------

    static constexpr std::size_t udp_at = 14 + 20 + 8;  // untagged Ethernet + IPv4 (no options) + UDP

    /// Writes Ethernet/IPv4/UDP headers in front of the `n`-byte datagram at frame[42..].
    [[nodiscard]] std::size_t frame_headers(std::span<std::byte> f, const peer& to, std::size_t n) noexcept {
        using secengine::detail::store_be16;
        using secengine::detail::store_be32;
        std::byte* p = f.data();
        for (std::size_t i = 0; i < 6; ++i) {
            p[i] = static_cast<std::byte>(to.mac[i]);
            p[6 + i] = static_cast<std::byte>(macs_[to.nic][i]);
        }
        store_be16(p + 12, secengine::net::ethertype::ipv4);
        std::byte* ip = p + 14;
        ip[0] = std::byte{0x45};
        ip[1] = std::byte{0};
        store_be16(ip + 2, static_cast<std::uint16_t>(20 + 8 + n));
        store_be16(ip + 4, ip_id_++);
        store_be16(ip + 6, 0x4000);  // DF: we never fragment (docs/protocol.md "Size limits")
        ip[8] = std::byte{64};
        ip[9] = std::byte{secengine::net::ipproto::udp};
        store_be16(ip + 10, 0);
        store_be32(ip + 12, ip_);
        store_be32(ip + 16, to.ip);
        store_be16(ip + 10, secengine::net::internet_checksum({ip, 20}));
        std::byte* u = ip + 20;
        store_be16(u, port_);
        store_be16(u + 2, to.udp_port);
        store_be16(u + 4, static_cast<std::uint16_t>(8 + n));
        store_be16(u + 6, 0);
        secengine::net::checksum_accumulator c;  // RFC 768 pseudo-header + header + data
        c.add32(ip_);
        c.add32(to.ip);
        c.add16(secengine::net::ipproto::udp);
        c.add16(static_cast<std::uint16_t>(8 + n));
        c.add({u, 8 + n});
        std::uint16_t sum = c.fold();
        store_be16(u + 6, sum == 0 ? 0xffff : sum);
        std::size_t len = udp_at + n;
        for (; len < 60; ++len) p[len] = std::byte{0};  // Ethernet minimum (IEEE 802.3 4.2.3.3)
        return len;
    }

    /// Seals `m` for `channel` into `f` as a complete frame to `to`; 0 if it cannot be sealed.
    template <class M>
    std::size_t seal_frame(const M& m, std::uint8_t channel, const peer& to, std::span<std::byte> f) noexcept {
        const wire::encoded x = session_.seal(m, channel, f.subspan(udp_at, wire::max_datagram));
        if (x.error != wire::wire_error::none) return 0;
        return frame_headers(f, to, x.size);
    }

    template <class M>
    void reply(const M& m) noexcept {
        ctx_.reply_len = seal_frame(m, ctx_.hdr.channel, *ctx_.from, ctx_.frame);
    }

    void ack(wire::status s, std::uint16_t code = 0, std::uint32_t detail = 0) noexcept {
        if (s == wire::status::ok && changes_) ++version_;
        changes_ = false;
        reply(wire::ack{ctx_.hdr.seq, version_, ctx_.hdr.type, s, code, detail});
    }

    /// Sends `m` to subscriber `c` in a spare buffer.
    template <class M>
    void send(std::size_t c, const M& m) noexcept {
        const std::uint16_t b = spares_[--nspares_];
        const std::span<std::byte> f{board::virtio::frame(b), board::virtio::max_frame};
        const std::size_t n = seal_frame(m, static_cast<std::uint8_t>(c + 1), subs_[c].to, f);
        if (n == 0) {
            board::virtio::release(b);
            return;
        }
        board::virtio::transmit(subs_[c].to.nic, b, static_cast<std::uint16_t>(n));
    }

    // ---- refusals -----------------------------------------------------------------------------

    /// Counts a refused datagram; answers it when the sender proved the key (or speaks another
    /// version), so that no unauthenticated datagram gets an answer (no oracle, no reflection).
    std::size_t refuse(const wire::opened& o, std::span<const std::byte> d, const peer& from, std::span<std::byte> frame,
                       std::uint64_t now) noexcept {
        using wire::wire_error;
        const auto ei = static_cast<std::size_t>(o.error);
        if (ei < rejected_.size()) ++rejected_[ei];
        bool answer = false;
        switch (o.error) {
        case wire_error::unsupported_version:
        case wire_error::bad_flags:
        case wire_error::unknown_type:
        case wire_error::wrong_boot: answer = true; break;
        case wire_error::length_mismatch:
        case wire_error::too_large:
        case wire_error::out_of_range:
            // Authentic (payload or channel check after the tag) or not (header check)?
            answer = wire::open_datagram(session_key(), d).ok();
            break;
        default: break;  // truncated, bad_magic, bad_mac, wrong_direction, replayed, too_old
        }
        if (!answer || !errors_.allow(now)) return 0;
        wire::error_reply r;
        r.error = o.error;
        std::uint8_t channel = o.hdr.channel;
        if (o.error == wire_error::unsupported_version) {
            // Only magic and version are known to be laid out as we think.
            r.request_seq = d.size() >= 24 ? wire::detail::get_le(d.data() + 16, 8) : 0;
            r.request_type = d.size() >= 4 ? static_cast<std::uint8_t>(d[3]) : 0;
            channel = d.size() >= 6 ? static_cast<std::uint8_t>(d[5]) : 0;
        } else {
            r.request_seq = o.hdr.seq;
            r.request_type = static_cast<std::uint8_t>(o.hdr.type);
        }
        return seal_frame(r, channel, from, frame);
    }

    [[nodiscard]] const wire::siphash_key& session_key() const noexcept { return key_; }
    static wire::siphash_key to_key(const std::array<std::uint8_t, 16>& k) noexcept {
        std::array<std::byte, 16> b{};
        for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<std::byte>(k[i]);
        return wire::siphash_key::from_bytes(b);
    }

    // ---- commands -----------------------------------------------------------------------------

    void apply(const wire::ping&) noexcept { ack(wire::status::ok); }

    void apply(const wire::read_config& c) noexcept {
        Engine& e = *ctx_.e;
        wire::config r;
        r.request_seq = ctx_.hdr.seq;
        r.config_version = version_;
        r.current = wire_limits_;
        r.telemetry_interval_ms = subs_[ctx_.hdr.channel - 1u].interval_ms;
        r.ebpf_program_id = e.ebpf().slot().loaded() ? program_id_ : 0;
        r.ebpf_program_bytes = e.ebpf().slot().loaded() ? program_bytes_ : 0;
        r.signature_count = static_cast<std::uint16_t>(e.dpi().automaton().pattern_count());
        std::uint16_t total = 0;
        for (const auto& fr : e.rules().rules()) {
            if (!is_port_rule(fr)) continue;
            if (total >= c.first_rule && r.rules.count < decltype(r.rules)::capacity)
                r.rules.items[r.rules.count++] = from_firewall(fr);
            ++total;
        }
        r.rule_total = total;
        r.rule_first = c.first_rule > total ? total : c.first_rule;
        if (r.rule_first + r.rules.count > total) r.rules.count = 0;
        reply(r);
    }

    void apply(const wire::subscribe& s) noexcept {
        subscriber& sub = subs_[ctx_.hdr.channel - 1u];
        const bool fresh = sub.interval_ms == 0;
        sub.to = *ctx_.from;
        sub.interval_ms = s.interval_ms;
        if (fresh) {
            sub.next_due = ctx_.now;
            sub.last_time = ctx_.now;
            sub.last_rx = ctx_.e->stats().received;
            sub.last_bytes = ctx_.e->stats().received_bytes;
            sub.last_insns = insns_ ? *insns_ : 0;
            sub.last_frames = frames_ ? *frames_ : 0;
        }
        ack(wire::status::ok);
    }

    void apply(const wire::unsubscribe&) noexcept {
        subs_[ctx_.hdr.channel - 1u] = subscriber{};
        ack(wire::status::ok);
    }

    static constexpr secengine::direction to_dir(wire::traffic_direction d) noexcept {
        return d == wire::traffic_direction::inbound    ? secengine::direction::inbound
               : d == wire::traffic_direction::outbound ? secengine::direction::outbound
                                                        : secengine::direction::any;
    }
    static constexpr bool is_port_rule(const secengine::firewall_rule& r) noexcept {
        return r.action == secengine::rule_action::deny && r.dport_lo == r.dport_hi && r.dport_lo != 0 &&
               r.src_len == 0 && r.dst_len == 0 && (r.proto == 0 || r.proto == 6 || r.proto == 17);
    }
    static constexpr wire::port_rule from_firewall(const secengine::firewall_rule& r) noexcept {
        wire::port_rule p;
        p.protocol = static_cast<wire::l4_protocol>(r.proto);
        p.direction = r.dir == secengine::direction::inbound    ? wire::traffic_direction::inbound
                      : r.dir == secengine::direction::outbound ? wire::traffic_direction::outbound
                                                                : wire::traffic_direction::both;
        p.port = r.dport_lo;
        return p;
    }

    void apply(const wire::block_port& b) noexcept {
        auto& fw = ctx_.e->rules();
        const std::uint32_t gen = fw.generation();
        const auto err = fw.block_port(static_cast<std::uint8_t>(b.rule.protocol), b.rule.port, to_dir(b.rule.direction));
        if (err == secengine::firewall_error::full) return ack(wire::status::no_space);
        if (err != secengine::firewall_error::none) return ack(wire::status::invalid);
        changes_ = fw.generation() != gen;  // blocking a blocked port is ok and changes nothing
        ack(wire::status::ok);
    }

    void apply(const wire::unblock_port& b) noexcept {
        const auto err =
            ctx_.e->rules().unblock_port(static_cast<std::uint8_t>(b.rule.protocol), b.rule.port, to_dir(b.rule.direction));
        if (err != secengine::firewall_error::none) return ack(wire::status::not_found);
        changes_ = true;
        ack(wire::status::ok);
    }

    static wire::status from_dpi(secengine::dpi::dpi_error e) noexcept {
        using secengine::dpi::dpi_error;
        switch (e) {
        case dpi_error::ok: return wire::status::ok;
        case dpi_error::states_full:
        case dpi_error::patterns_full:
        case dpi_error::pool_full:
        case dpi_error::too_many_classes:
        case dpi_error::stream_state_overflow: return wire::status::no_space;
        case dpi_error::pattern_too_long: return wire::status::too_large;
        case dpi_error::duplicate: return wire::status::exists;
        case dpi_error::not_found: return wire::status::not_found;
        default: return wire::status::invalid;
        }
    }

    void apply(const wire::add_signature& s) noexcept {
        auto& dpi = ctx_.e->dpi();
        const auto& ac = dpi.automaton();
        const bool nocase = (s.flags & wire::signature_flag::nocase) != 0;
        const std::uint16_t old = ac.find(s.id);
        if (old == secengine::dpi::detail::none16) {
            const auto err = dpi.add_signature(s.pattern, s.id, nocase);
            changes_ = err == secengine::dpi::dpi_error::ok;
            return ack(from_dpi(err), static_cast<std::uint16_t>(err));
        }
        // Replace: same pattern is a no-op; otherwise swap, restoring the old one on failure
        // (the automaton is rebuilt by each call, so the pattern is copied out first).
        const auto ob = ac.bytes(old);
        const bool onc = ac.nocase(old);
        bool same = onc == nocase && ob.size() == s.pattern.size();
        for (std::size_t i = 0; same && i < ob.size(); ++i) same = ob[i] == s.pattern[i];
        if (same) return ack(wire::status::ok);
        std::array<std::byte, wire::max_pattern_bytes> saved{};
        const std::size_t n = ob.size() < saved.size() ? ob.size() : saved.size();
        for (std::size_t i = 0; i < n; ++i) saved[i] = ob[i];
        (void)dpi.remove_signature(s.id);
        const auto err = dpi.add_signature(s.pattern, s.id, nocase);
        if (err != secengine::dpi::dpi_error::ok) {
            (void)dpi.add_signature(std::span<const std::byte>(saved.data(), n), s.id, onc);
            return ack(from_dpi(err), static_cast<std::uint16_t>(err));
        }
        changes_ = true;
        ack(wire::status::ok);
    }

    void apply(const wire::remove_signature& s) noexcept {
        const auto err = ctx_.e->dpi().remove_signature(s.id);
        changes_ = err == secengine::dpi::dpi_error::ok;
        ack(from_dpi(err), static_cast<std::uint16_t>(err));
    }

    void apply(const wire::ebpf_chunk& c) noexcept {
        if (c.total_length > max_program_bytes) return ack(wire::status::too_large, 0, upload_received_);
        const bool same = c.program_id == upload_id_ && c.total_length == upload_total_;
        if (!same) {
            // A new upload starts at offset 0 and replaces an unfinished one (its client may
            // have died); a chunk of an unknown upload from the middle is out of order.
            if (c.offset != 0) return ack(wire::status::out_of_order, 0, 0);
            upload_id_ = c.program_id;
            upload_total_ = c.total_length;
            upload_received_ = 0;
        }
        if (c.offset > upload_received_) return ack(wire::status::out_of_order, 0, upload_received_);
        // Stored decoded (8-byte little-endian words, the ELF encoding): chunks hold whole
        // instructions at multiples of 8 (checked by the decoder).
        for (std::size_t i = 0; i < c.data.size(); i += 8)
            code_[(c.offset + i) / 8] = secengine::ebpf::insn::decode(wire::detail::get_le(c.data.data() + i, 8));
        const std::uint32_t end = c.offset + static_cast<std::uint32_t>(c.data.size());
        if (end > upload_received_) upload_received_ = end;
        ack(wire::status::ok, 0, upload_received_);
    }

    void apply(const wire::ebpf_commit& c) noexcept {
        if (c.total_length > max_program_bytes) return ack(wire::status::too_large);
        if (c.program_id != upload_id_ || c.total_length != upload_total_) return ack(wire::status::invalid);
        if (upload_received_ < upload_total_) return ack(wire::status::incomplete, 0, upload_received_);
        std::array<secengine::ebpf::map_spec, 8> maps{};
        for (std::size_t i = 0; i < c.maps.count; ++i) {
            const wire::map_spec& w = c.maps.items[i];
            maps[i].type = static_cast<secengine::ebpf::map_type>(static_cast<std::uint8_t>(w.type));
            maps[i].key_size = w.key_size;
            maps[i].value_size = w.value_size;
            maps[i].max_entries = w.max_entries;
        }
        const std::size_t n = upload_total_ / 8;
        const secengine::ebpf::load_result r = ctx_.e->ebpf().slot().load(
            std::span<const secengine::ebpf::insn>(code_.data(), n),
            std::span<const secengine::ebpf::map_spec>(maps.data(), c.maps.count));
        upload_id_ = 0;
        upload_total_ = upload_received_ = 0;
        if (!r.ok()) return ack(wire::status::verifier_rejected, static_cast<std::uint16_t>(r.error), r.pc);
        program_id_ = c.program_id;
        program_bytes_ = c.total_length;
        changes_ = true;
        ack(wire::status::ok);
    }

    void apply(const wire::ebpf_unload& u) noexcept {
        auto& slot = ctx_.e->ebpf().slot();
        if (!slot.loaded() || u.program_id != program_id_) return ack(wire::status::not_found);
        slot.unload();
        program_id_ = 0;
        program_bytes_ = 0;
        changes_ = true;
        ack(wire::status::ok);
    }

    static wire::limits to_wire(const secengine::engine_limits& l, std::uint32_t other_idle = 0) noexcept {
        using secengine::flow_state;
        wire::limits w;
        w.global_rate_pps = l.global_rate_pps;
        w.global_burst = l.global_burst == 0 ? 1 : l.global_burst;
        w.source_pps_threshold = l.per_source_pps;
        w.ban_seconds = l.ban_seconds;
        w.tcp_established_idle_s = l.timeout_s[static_cast<std::size_t>(flow_state::established)];
        w.tcp_transient_idle_s = l.timeout_s[static_cast<std::size_t>(flow_state::syn_sent)];
        w.udp_idle_s = l.timeout_s[static_cast<std::size_t>(flow_state::new_flow)];
        w.other_idle_s = other_idle != 0 ? other_idle : w.udp_idle_s;
        return w;
    }

    void apply(const wire::set_limits& s) noexcept {
        using secengine::flow_state;
        const wire::limits& w = s.value;
        secengine::engine_limits l = ctx_.e->limits();
        l.global_rate_pps = w.global_rate_pps;
        l.global_burst = w.global_burst;
        l.per_source_pps = w.source_pps_threshold;
        l.ban_seconds = w.ban_seconds;
        // The flow table keys timeouts by state, not protocol: datagram flows (UDP and other)
        // live in new_flow until answered, then established like TCP (docs/protocol.md).
        l.timeout_s[static_cast<std::size_t>(flow_state::new_flow)] = w.udp_idle_s > w.other_idle_s ? w.udp_idle_s : w.other_idle_s;
        l.timeout_s[static_cast<std::size_t>(flow_state::syn_sent)] = w.tcp_transient_idle_s;
        l.timeout_s[static_cast<std::size_t>(flow_state::established)] = w.tcp_established_idle_s;
        l.timeout_s[static_cast<std::size_t>(flow_state::fin_wait)] = w.tcp_transient_idle_s;
        l.timeout_s[static_cast<std::size_t>(flow_state::closed)] = w.tcp_transient_idle_s;
        const auto err = ctx_.e->set_limits(l, ctx_.now);  // validates everything, then applies
        if (err != secengine::limits_error::none) return ack(wire::status::invalid, static_cast<std::uint16_t>(err));
        changes_ = !(wire_limits_ == w);
        wire_limits_ = w;
        ack(wire::status::ok);
    }

    void apply(const wire::penalty_list& p) noexcept {
        Engine& e = *ctx_.e;
        wire::penalty_page r;
        r.request_seq = ctx_.hdr.seq;
        const std::uint64_t tps = Engine::config::ticks_per_second;
        std::uint32_t idx = 0;
        e.penalty().for_each(ctx_.now, [&](const secengine::ban_entry& b) {
            if (b.key >> 32) return;  // IPv6 sources (folded keys) are not listed in v1
            if (idx >= p.first && r.entries.count < decltype(r.entries)::capacity)
                r.entries.items[r.entries.count++] = {static_cast<std::uint32_t>(b.key),
                                                      static_cast<std::uint32_t>((b.expires - ctx_.now + tps - 1) / tps)};
            ++idx;
        });
        r.total = idx;
        r.first = p.first > idx ? idx : p.first;
        if (r.first + r.entries.count > idx) r.entries.count = 0;
        reply(r);
    }

    void apply(const wire::penalty_flush&) noexcept {
        ctx_.e->penalty().flush();
        ack(wire::status::ok);
    }

    void apply(const wire::penalty_unban& u) noexcept {
        ack(ctx_.e->penalty().unban(u.source, ctx_.now) ? wire::status::ok : wire::status::not_found);
    }

    void apply(const wire::map_read& m) noexcept {
        auto& slot = ctx_.e->ebpf().slot();
        const secengine::ebpf::map_view& maps = slot.maps();
        if (!slot.loaded() || m.map_id >= maps.size()) return ack(wire::status::not_found);
        const auto& spec = maps.spec(m.map_id);
        // Entries go straight into the reply buffer after the fixed fields (22 bytes).
        wire::map_page r;
        r.request_seq = ctx_.hdr.seq;
        r.map_id = m.map_id;
        r.key_size = static_cast<std::uint16_t>(spec.key_size);
        r.value_size = static_cast<std::uint16_t>(spec.value_size);
        const std::size_t entry = spec.key_size + spec.value_size;
        const std::size_t room = (wire::max_payload - 22) / entry;
        // Entries are written where the encoder will put the tail, so its copy is a no-op.
        std::byte* stage = ctx_.frame.data() + udp_at + wire::header_size + 22;
        std::uint32_t index = 0, count = 0, next = 0;
        maps.for_each(m.map_id, [&](std::span<const std::byte> k, std::span<const std::byte> v) {
            if (index++ < m.cursor) return;
            if (count == room) {
                if (next == 0) next = index - 1;
                return;
            }
            std::byte* p = stage + count * entry;
            for (std::size_t i = 0; i < k.size(); ++i) p[i] = k[i];
            for (std::size_t i = 0; i < v.size(); ++i) p[k.size() + i] = v[i];
            ++count;
        });
        r.next_cursor = next;
        r.count = static_cast<std::uint16_t>(count);
        r.entries = std::span<const std::byte>(stage, count * entry);
        reply(r);
    }

    // ---- telemetry ----------------------------------------------------------------------------

    static wire::alert to_wire(const secengine::alert_event& a) noexcept {
        wire::alert w;
        w.timestamp = a.time;
        w.reason = static_cast<std::uint8_t>(a.reason);
        w.stage = a.stage;
        w.protocol = a.ip_proto;
        if (a.ip_version == 4) {
            w.src = secengine::detail::load_be32(reinterpret_cast<const std::byte*>(a.src.data() + 12));
            w.dst = secengine::detail::load_be32(reinterpret_cast<const std::byte*>(a.dst.data() + 12));
        }
        w.sport = a.sport;
        w.dport = a.dport;
        w.detail = a.detail;
        return w;
    }

    void send_stats(Engine& e, std::size_t c, std::uint64_t now) noexcept {
        subscriber& s = subs_[c];
        const auto& st = e.stats();
        wire::stats m;
        const std::uint64_t tps = Engine::config::ticks_per_second;
        m.timestamp = now;
        m.ticks_per_second = static_cast<std::uint32_t>(tps);
        m.config_version = version_;
        m.rx_packets = st.received;
        m.rx_bytes = st.received_bytes;
        m.by_reason.count = static_cast<std::uint16_t>(secengine::drop_reason_count);
        m.by_reason.items[0] = st.passed;
        for (std::size_t r = 1; r < secengine::drop_reason_count; ++r) m.by_reason.items[r] = st.dropped[r];
        const std::uint64_t dt = now > s.last_time ? now - s.last_time : 0;
        if (dt != 0) {
            m.pps = static_cast<std::uint32_t>((st.received - s.last_rx) * tps / dt);
            m.bps = (st.received_bytes - s.last_bytes) * 8 * tps / dt;
        }
        const std::uint64_t fi = frames_ ? *frames_ - s.last_frames : 0;
        if (fi != 0 && insns_) m.insns_per_packet = static_cast<std::uint32_t>((*insns_ - s.last_insns) / fi);
        s.last_time = now;
        s.last_rx = st.received;
        s.last_bytes = st.received_bytes;
        s.last_insns = insns_ ? *insns_ : 0;
        s.last_frames = frames_ ? *frames_ : 0;
        m.active_flows = static_cast<std::uint32_t>(e.flows().size());
        m.penalty_size = static_cast<std::uint32_t>(e.penalty().size(now));
        m.alerts_suppressed = static_cast<std::uint32_t>(alerts_.total_suppressed() + e.alerts().overwritten());
        m.rejected.count = static_cast<std::uint16_t>(rejected_.size());
        for (std::size_t i = 0; i < rejected_.size(); ++i) m.rejected.items[i] = rejected_[i];
        for (const auto& cand : e.sketch().candidates()) {
            if (m.heavy_hitters.count == decltype(m.heavy_hitters)::capacity) break;
            if (cand.key == 0 || (cand.key >> 32) != 0) continue;
            m.heavy_hitters.items[m.heavy_hitters.count++] = {static_cast<std::uint32_t>(cand.key),
                                                              static_cast<std::uint32_t>(cand.estimate)};
        }
        send(c, m);
    }

    void send_dpi_hits(Engine& e, std::size_t c) noexcept {
        const auto& ac = e.dpi().automaton();
        wire::dpi_hits m;
        const std::size_t n = ac.pattern_count();
        m.total = static_cast<std::uint16_t>(n);
        m.first = 0;
        for (std::size_t i = 0; i < n && m.entries.count < decltype(m.entries)::capacity; ++i)
            m.entries.items[m.entries.count++] = {ac.id(i), ac.hits(i)};
        send(c, m);
    }

    void send_map_counters(Engine& e, std::size_t c) noexcept {
        auto& slot = e.ebpf().slot();
        const secengine::ebpf::map_view& maps = slot.maps();
        wire::map_counters m;
        m.program_id = program_id_;
        m.runs = e.ebpf().runs();
        for (std::uint32_t id = 0; id < maps.size(); ++id) {
            const auto& spec = maps.spec(id);
            if (spec.type != secengine::ebpf::map_type::array || spec.value_size != 8) continue;
            std::uint32_t key = 0;
            maps.for_each(id, [&](std::span<const std::byte>, std::span<const std::byte> v) {
                if (m.counters.count < decltype(m.counters)::capacity)
                    m.counters.items[m.counters.count++] = {id, key, wire::detail::get_le(v.data(), 8)};
                ++key;
            });
        }
        send(c, m);
    }

    wire::siphash_key key_;  // also inside the session; kept to tell authentic refusals apart
    wire::appliance_session<channels> session_;
    wire::event_limiter alerts_;
    wire::event_limiter errors_;
    std::uint32_t ip_;
    std::uint16_t port_;
    std::uint16_t ip_id_ = 1;
    const std::array<std::uint8_t, 6>* macs_;
    std::uint32_t version_ = 1;
    bool changes_ = false;
    wire::limits wire_limits_{};
    std::array<std::uint32_t, wire::wire_error_count> rejected_{};
    std::array<subscriber, channels> subs_{};
    std::array<std::uint16_t, max_spares> spares_{};
    std::size_t nspares_ = 0;
    wire::alert pending_alert_{};
    std::uint8_t alert_mask_ = 0;
    std::uint64_t ring_lost_ = 0;     ///< engine alert-ring overwrites already accounted
    std::uint64_t ring_pending_ = 0;  ///< overwrites not yet reported in an alert's `suppressed`
    context ctx_{};
    const std::uint64_t* insns_ = nullptr;
    const std::uint64_t* frames_ = nullptr;
    std::uint32_t program_id_ = builtin_program_id;
    std::uint32_t program_bytes_ = 0;
    std::uint32_t upload_id_ = 0, upload_total_ = 0, upload_received_ = 0;
    /// The program being uploaded; the slot verifies and copies it at commit.
    std::array<secengine::ebpf::insn, prog_limits::max_insns> code_{};
};

}  // namespace kernel
