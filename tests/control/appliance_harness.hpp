#pragma once
// The REAL control plane (include/secengine/control/) over a real engine, in host memory: what
// the kernel's event loop does with a management datagram, minus VirtIO. Tests of the control
// plane, of the host client (apps/common) and of the console drive it; none of them
// reimplements what the appliance does.
//
// A datagram from a client is wrapped in Ethernet/IPv4/UDP by the library's frame builder,
// parsed by net::parse like any received frame, and handed to control_plane::on_datagram in
// a buffer of the harness's port. Frames the plane sends (replies and telemetry) are checked
// (net::parse, addressing) and queued as UDP payloads for the test to read.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <secengine/appliance.hpp>
#include <secengine/control/control_plane.hpp>
#include <secengine/ebpf/isa.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/wire.hpp>

namespace harness {

namespace wire = secengine::wire;
namespace ctl = secengine::control;
namespace net = secengine::net;

inline constexpr std::size_t frame_bytes = 1536;  // as the kernel's VirtIO buffers
/// The largest datagram a received frame can carry: net::parse takes frames up to 1522 bytes
/// (a tagged maximum), 8 more than a well-behaved sender's 1472-byte datagram in 1514.
inline constexpr std::size_t max_delivered = secengine::net::max_frame_size - ctl::datagram_offset;

/// A broken harness invariant (a leaked buffer, a malformed frame from the plane): the test
/// binary is built without exceptions, so this stops it with the reason (usable from the
/// console test's appliance thread too, where Catch's macros are not).
[[noreturn]] inline void fail(const char* why) {
    std::fprintf(stderr, "%s\n", why);
    std::abort();
}  // the kernel's VirtIO buffers hold 1536 minus their header

/// A sent frame, as the board would have put it on the wire.
struct sent_frame {
    std::uint8_t nic = 0;
    std::vector<std::byte> bytes;
};

/// Buffers and what was transmitted; shared by the plane's port (a handle) and the harness.
struct buffer_pool {
    std::vector<std::array<std::byte, frame_bytes>> buffers;
    std::vector<std::uint16_t> free;
    std::deque<sent_frame> sent;
    std::size_t released = 0;

    explicit buffer_pool(std::size_t n) : buffers(n) {
        for (std::size_t i = n; i-- > 0;) free.push_back(static_cast<std::uint16_t>(i));
    }
    std::uint16_t take() {
        if (free.empty()) fail("harness: buffer pool exhausted (a buffer leaked)");
        const std::uint16_t b = free.back();
        free.pop_back();
        return b;
    }
    void give_back(std::uint16_t b) {
        for (const std::uint16_t f : free)
            if (f == b) fail("harness: buffer returned twice");
        free.push_back(b);
    }
};

/// The control plane's port over a buffer_pool (secengine::control::port).
struct pool_port {
    using buffer_id = std::uint16_t;
    buffer_pool* pool = nullptr;
    std::span<std::byte> frame(buffer_id b) const noexcept { return pool->buffers[b]; }
    void transmit(std::uint8_t nic, buffer_id b, std::uint16_t len) const {
        const auto& f = pool->buffers[b];
        pool->sent.push_back({nic, std::vector<std::byte>(f.begin(), f.begin() + len)});
        pool->give_back(b);  // the device hands a sent buffer back
    }
    void release(buffer_id b) const {
        ++pool->released;
        pool->give_back(b);
    }
};
static_assert(ctl::port<pool_port>);

inline const std::array<std::uint8_t, 16> default_key{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                      0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

inline wire::siphash_key to_session_key(const std::array<std::uint8_t, 16>& k) { return wire::siphash_key::from_octets(k); }

/// A bigger eBPF slot than the kernel's 64 instructions, for tests of uploads of several
/// chunks (177 instructions each) through the verifier into the slot; the kernel's own slot
/// refuses those as too_large at the first chunk.
struct big_slot_config : secengine::appliance_config {
    using ebpf_stage = secengine::ebpf::xdp_stage<secengine::ebpf::program_limits<1024, 2, 1024, 24, 2>,
                                                  secengine::appliance_config::ticks_per_second>;
};

/// A client's address on the management segment.
struct client_address {
    std::uint32_t ip = 0x0a000064;  // 10.0.0.100
    std::uint16_t port = 40001;
    net::mac_address mac{0x02, 0, 0, 0, 0, 0xc1};
};

/// One appliance: engine, control plane and the board's buffers. `Config` defaults to the
/// kernel's; a test that needs a bigger eBPF slot (multi-chunk uploads) passes its own.
/// `Persist`: where the plane stores configuration changes (control/persist.hpp; tests/flash
/// passes a state store on a simulated flash).
template <class Config = secengine::appliance_config, class Persist = ctl::no_persistence>
class appliance {
public:
    using engine_type = secengine::pipeline<Config>;
    using plane_type = ctl::control_plane<engine_type, pool_port, Persist>;
    static constexpr std::uint64_t tps = Config::ticks_per_second;

    static constexpr std::uint32_t ip = 0x0a000002;  // 10.0.0.2
    static constexpr std::uint16_t mgmt_port = 7400;

    explicit appliance(std::uint64_t boot_id = 0x5eed'b007ull, const std::array<std::uint8_t, 16>& key = default_key,
                       std::uint64_t now = tps, Persist persist = {})
        : pool_(std::make_unique<buffer_pool>(16)), engine_(std::make_unique<engine_type>(0x1234, now)) {
        // These tests drive the control plane with single data segments (no handshake): the
        // engine picks them up mid-stream (docs/stream.md; the kernel's pickup=1).
        engine_->set_tcp_pickup(true);
        macs_[0] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
        macs_[1] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
        plane_ = std::make_unique<plane_type>(*engine_, pool_port{pool_.get()}, to_session_key(key), boot_id,
                                              ctl::local_address{ip, mgmt_port, macs_.data()}, now, persist);
    }

    /// Restarts with a new boot id: a fresh engine and plane, as after a power cycle.
    void reboot(std::uint64_t boot_id, std::uint64_t now, const std::array<std::uint8_t, 16>& key = default_key) {
        plane_.reset();
        engine_ = std::make_unique<engine_type>(0x1234, now);
        engine_->set_tcp_pickup(true);
        plane_ = std::make_unique<plane_type>(*engine_, pool_port{pool_.get()}, to_session_key(key), boot_id,
                                              ctl::local_address{ip, mgmt_port, macs_.data()}, now);
    }

    engine_type& engine() { return *engine_; }
    plane_type& plane() { return *plane_; }
    buffer_pool& pool() { return *pool_; }
    const net::mac_address& mac(std::size_t nic) const { return macs_[nic]; }

    /// Delivers `datagram` from `from` on `nic` at `now`, as the kernel does for a UDP frame to
    /// the management port; the reply (if any) is queued. Returns whether a reply was sent.
    bool deliver(std::span<const std::byte> datagram, std::uint64_t now, const client_address& from = {},
                 std::uint8_t nic = 0) {
        if (datagram.size() > max_delivered) return false;  // no frame the board takes can carry it
        const std::uint16_t b = pool_->take();
        auto& buf = pool_->buffers[b];
        net::frame_builder fb{buf};
        fb.ethernet(macs_[nic], from.mac).ipv4(from.ip, ip, net::ipproto::udp).udp(from.port, mgmt_port).payload(datagram);
        const std::size_t n = fb.finish();
        if (n == 0) {  // larger than one frame: a board never receives it
            pool_->give_back(b);
            return false;
        }
        net::packet_view v;
        if (net::parse(std::span<const std::byte>(buf.data(), n), v) != net::parse_error::none || !v.is_udp())
            fail("harness: built an unparsable frame");
        const std::size_t reply = plane_->on_datagram(nic, buf, v, now);
        if (reply != 0) {
            pool_->sent.push_back({nic, std::vector<std::byte>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(reply))});
            pool_->give_back(b);
            return true;
        }
        plane_->recycle(b);
        return false;
    }

    /// One loop turn without traffic: `spares` free buffers handed to the plane (as the kernel
    /// recycles consumed frames), then poll. Buffers the plane does not keep are released.
    void turn(std::uint64_t now, int spares = 2) {
        for (int i = 0; i < spares && !pool_->free.empty(); ++i) plane_->recycle(pool_->take());
        plane_->poll(now);
    }

    /// Next sent frame's UDP payload, after checking that it is a well-formed reply from the
    /// appliance to `to` (Ethernet minimum, IPv4 DF, UDP from the management port).
    std::optional<std::vector<std::byte>> next_datagram(const client_address& to = {}) {
        while (!pool_->sent.empty()) {
            sent_frame f = std::move(pool_->sent.front());
            pool_->sent.pop_front();
            net::packet_view v;
            if (net::parse(f.bytes, v) != net::parse_error::none) fail("harness: sent an unparsable frame");
            if (f.bytes.size() < 60 || !v.is_udp() || v.src4 != ip || v.sport != mgmt_port)
                fail("harness: sent a frame that is not a management reply");
            for (std::size_t i = 0; i < 6; ++i)
                if (static_cast<std::uint8_t>(f.bytes[6 + i]) != macs_[f.nic][i])
                    fail("harness: reply left with another NIC's MAC");
            if (v.dst4 != to.ip || v.dport != to.port) continue;  // for another client
            const auto p = v.payload();
            return std::vector<std::byte>(p.begin(), p.end());
        }
        return std::nullopt;
    }

    [[nodiscard]] std::size_t queued() const { return pool_->sent.size(); }
    void clear_sent() { pool_->sent.clear(); }

private:
    std::unique_ptr<buffer_pool> pool_;
    std::array<net::mac_address, 2> macs_{};
    std::unique_ptr<engine_type> engine_;
    std::unique_ptr<plane_type> plane_;
};

/// A valid program of `n` >= 2 instructions: r0 = 2 (XDP_PASS), no-op adds, exit.
inline std::vector<secengine::ebpf::insn> pass_program(std::size_t n) {
    using secengine::ebpf::insn;
    std::vector<insn> p{insn::make(0xb7, 0, 0, 0, 2)};
    while (p.size() + 1 < n) p.push_back(insn::make(0x07, 0, 0, 0, 0));
    p.push_back(insn::make(0x95, 0, 0, 0, 0));
    return p;
}

/// Instructions as ebpf_chunk carries them: 8 little-endian bytes each (RFC 9669).
inline std::vector<std::byte> program_bytes(const std::vector<secengine::ebpf::insn>& code) {
    std::vector<std::byte> out;
    for (const secengine::ebpf::insn& i : code) {
        const std::uint64_t v = i.encode();
        for (int b = 0; b < 8; ++b) out.push_back(static_cast<std::byte>(v >> (8 * b)));
    }
    return out;
}

/// A client in the test's hand: seals commands, opens what comes back.
class client {
public:
    client(const std::array<std::uint8_t, 16>& key, std::uint8_t channel, std::uint64_t boot_id, std::uint64_t first_seq = 1)
        : session_(to_session_key(key), channel, first_seq, boot_id) {}

    /// Seals `m`; a configuration change is made against the version this client last saw
    /// (wire/config_version.hpp), as the real client does.
    template <class M>
    std::vector<std::byte> seal(const M& m, std::uint64_t* seq = nullptr) {
        if constexpr (!requires { M::has_config_version; } && wire::carries_config_version(M::type))
            return seal_as_is(wire::versioned<M>{version_, m}, seq);
        else
            return seal_as_is(m, seq);
    }
    /// Seals `m` as given: a change without the version prefix is what an older client sends.
    template <class M>
    std::vector<std::byte> seal_as_is(const M& m, std::uint64_t* seq = nullptr) {
        std::array<std::byte, wire::max_datagram> buf{};
        const wire::encoded e = session_.seal(m, buf, seq);
        if (e.error != wire::wire_error::none) fail("harness: cannot seal");
        return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(e.size)};
    }

    /// Opens a reply; acks, configs and stats teach the current config version.
    wire::opened open(std::span<const std::byte> d) {
        const wire::opened o = session_.open(d);
        if (!o.ok()) return o;
        if (o.hdr.type == wire::msg_type::ack) learn<wire::ack>(o);
        if (o.hdr.type == wire::msg_type::config) learn<wire::config>(o);
        if (o.hdr.type == wire::msg_type::stats) learn<wire::stats>(o);
        return o;
    }
    wire::client_session& session() { return session_; }
    /// The config version the next change is made against.
    [[nodiscard]] std::uint32_t version() const { return version_; }
    void set_version(std::uint32_t v) { version_ = v; }

private:
    template <class M>
    void learn(const wire::opened& o) {
        M m{};
        if (wire::decode_payload(o.payload, m) == wire::wire_error::none) version_ = m.config_version;
    }

    wire::client_session session_;
    std::uint32_t version_ = 1;  ///< a fresh plane's version
};

}  // namespace harness
