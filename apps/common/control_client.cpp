// Host side of the control protocol: transports and the request/reply client.
#include "control_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <secengine/dpi/error.hpp>
#include <secengine/ebpf/error.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/pipeline.hpp>

namespace control {

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

wire::siphash_key make_key(const std::array<std::uint8_t, 16>& k) { return wire::siphash_key::from_octets(k); }

std::vector<std::byte> build_frame(const std::array<std::uint8_t, 6>& dst_mac, const std::array<std::uint8_t, 6>& src_mac,
                                   std::uint32_t src_ip, std::uint32_t dst_ip, std::uint16_t sport, std::uint16_t dport,
                                   std::span<const std::byte> payload) {
    std::vector<std::byte> f(14 + 20 + 8 + payload.size() + 60);
    secengine::net::frame_builder b{f};
    b.ethernet(dst_mac, src_mac).ipv4(src_ip, dst_ip, secengine::net::ipproto::udp).udp(sport, dport).payload(payload);
    std::size_t n = b.finish();
    if (n < 60) n = 60;  // Ethernet minimum; the padding is zero (vector)
    f.resize(n);
    return f;
}

std::optional<std::span<const std::byte>> match_frame(std::span<const std::byte> frame, std::uint32_t ip,
                                                      std::uint16_t sport, std::uint32_t dst_ip, std::uint16_t dport,
                                                      std::array<std::uint8_t, 6>* src_mac) {
    secengine::net::packet_view v;
    if (secengine::net::parse(frame, v) != secengine::net::parse_error::none) return std::nullopt;
    if (!v.is_udp() || v.l3 != secengine::net::l3_kind::ipv4 || v.src4 != ip || v.sport != sport || v.dst4 != dst_ip ||
        v.dport != dport)
        return std::nullopt;
    if (src_mac)
        for (std::size_t i = 0; i < 6; ++i) (*src_mac)[i] = static_cast<std::uint8_t>(frame[6 + i]);
    return v.payload();
}

namespace {

class fd_holder {
public:
    explicit fd_holder(int fd) : fd_(fd) {}
    ~fd_holder() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_holder(const fd_holder&) = delete;
    fd_holder& operator=(const fd_holder&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

long recv_timeout(int fd, std::span<std::byte> out, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) return -1;
    const ssize_t n = ::recv(fd, out.data(), out.size(), 0);
    return n < 0 ? -1 : static_cast<long>(n);
}

sockaddr_in make_addr(std::uint32_t ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(port);
    return a;
}

/// Plain UDP: the host's stack does the framing.
class udp_transport final : public transport {
public:
    udp_transport(int fd, sockaddr_in to) : fd_(fd), to_(to) {}
    bool send(std::span<const std::byte> d) override {
        return ::sendto(fd_.get(), d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_) ==
               static_cast<ssize_t>(d.size());
    }
    long recv(std::span<std::byte> out, int timeout_ms) override {
        // connect()ed socket: only datagrams from the appliance's address arrive.
        return recv_timeout(fd_.get(), out, timeout_ms);
    }

private:
    fd_holder fd_;
    sockaddr_in to_;
};

/// The QEMU socket netdev: we are a host on the appliance's Ethernet segment.
class netdev_transport final : public transport {
public:
    netdev_transport(int fd, sockaddr_in to, const endpoint_options& o, std::uint16_t sport)
        : fd_(fd), to_(to), o_(o), sport_(sport) {}
    bool send(std::span<const std::byte> d) override {
        // Until the appliance answered, its MAC is unknown: broadcast (it matches on its IP).
        const auto f = build_frame(appliance_mac_, o_.src_mac, o_.src_ip, o_.appliance_ip, sport_, o_.mgmt_port, d);
        return ::sendto(fd_.get(), f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_) ==
               static_cast<ssize_t>(f.size());
    }
    long recv(std::span<std::byte> out, int timeout_ms) override {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        std::array<std::byte, 2048> f;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) return -1;
            const long n = recv_timeout(fd_.get(), f, static_cast<int>(left.count()));
            if (n < 0) return -1;
            std::array<std::uint8_t, 6> mac{};
            const auto p = match_frame(std::span<const std::byte>(f.data(), static_cast<std::size_t>(n)), o_.appliance_ip,
                                       o_.mgmt_port, o_.src_ip, sport_, &mac);
            if (!p || p->size() > out.size()) continue;  // other traffic on the segment
            appliance_mac_ = mac;
            std::memcpy(out.data(), p->data(), p->size());
            return static_cast<long>(p->size());
        }
    }

private:
    fd_holder fd_;
    sockaddr_in to_;
    endpoint_options o_;
    std::uint16_t sport_;
    std::array<std::uint8_t, 6> appliance_mac_{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
};

bool split_hostport(const std::string& s, std::uint32_t& ip, std::uint16_t& port) {
    const auto c = s.rfind(':');
    if (c == std::string::npos) return false;
    const long p = std::strtol(s.c_str() + c + 1, nullptr, 10);
    if (p <= 0 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
    return parse_ipv4(s.substr(0, c), ip);
}

}  // namespace

std::unique_ptr<transport> open_transport(const endpoint_options& o, std::string& err) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        err = std::string("socket: ") + std::strerror(errno);
        return nullptr;
    }
    const int one = 1;
    if (o.netdev.empty()) {
        const sockaddr_in to = make_addr(o.appliance_ip, o.mgmt_port);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
            // No route is the first of the three silences (silence_text): say it the same way.
            silence why;
            why.send_errno = errno;
            why.appliance = ipv4_text(o.appliance_ip) + ":" + std::to_string(o.mgmt_port);
            err = silence_text(why);
            ::close(fd);
            return nullptr;
        }
        return std::make_unique<udp_transport>(fd, to);
    }
    const std::uint16_t sport = o.src_port != 0 ? o.src_port : 40001;
    // mcast=GROUP:PORT[,localaddr=IP]  or  udp=HOST:A,localaddr=HOST:B
    std::string mcast, udp, local;
    std::size_t start = 0;
    while (start <= o.netdev.size()) {
        std::size_t end = o.netdev.find(',', start);
        if (end == std::string::npos) end = o.netdev.size();
        const std::string kv = o.netdev.substr(start, end - start);
        if (kv.rfind("mcast=", 0) == 0) mcast = kv.substr(6);
        else if (kv.rfind("udp=", 0) == 0) udp = kv.substr(4);
        else if (kv.rfind("localaddr=", 0) == 0) local = kv.substr(10);
        start = end + 1;
    }
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    if (!mcast.empty()) {
        if (!split_hostport(mcast, ip, port)) {
            err = "bad mcast=GROUP:PORT in --netdev";
            ::close(fd);
            return nullptr;
        }
        std::uint32_t ifaddr = 0x7f000001;
        if (!local.empty() && local.find(':') == std::string::npos) (void)parse_ipv4(local, ifaddr);
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        const sockaddr_in group = make_addr(ip, port);
        ip_mreq m{};
        m.imr_multiaddr.s_addr = htonl(ip);
        m.imr_interface.s_addr = htonl(ifaddr);
        in_addr ifa{};
        ifa.s_addr = htonl(ifaddr);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&group), sizeof group) != 0 ||
            ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0 ||
            ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) != 0 ||
            ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one) != 0) {
            err = std::string("joining ") + mcast + ": " + std::strerror(errno);
            ::close(fd);
            return nullptr;
        }
        return std::make_unique<netdev_transport>(fd, group, o, sport);
    }
    std::uint32_t lip = 0;
    std::uint16_t lport = 0;
    if (udp.empty() || !split_hostport(udp, ip, port) || !split_hostport(local, lip, lport)) {
        err = "--netdev wants mcast=GROUP:PORT or udp=HOST:A,localaddr=HOST:B (QEMU's syntax)";
        ::close(fd);
        return nullptr;
    }
    // QEMU sends the guest's frames to `udp` (we listen there) and receives on `localaddr`.
    const sockaddr_in me = make_addr(ip, port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&me), sizeof me) != 0) {
        err = std::string("bind ") + udp + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    return std::make_unique<netdev_transport>(fd, make_addr(lip, lport), o, sport);
}

// ---- client ---------------------------------------------------------------------------------

std::string response::describe() const {
    if (!answered) return "timeout (no authenticated reply)";
    if (type == wire::msg_type::error_reply)
        return std::string("error_reply ") + std::string(wire::name(error.error));
    if (type != wire::msg_type::ack) return std::string(wire::name(type));
    std::string s(wire::name(ack.result));
    if (ack.result == wire::status::stale_version) {
        s += " (made against config version " + std::to_string(made_against) + ", the appliance is at " +
             std::to_string(ack.detail) + ": another change came first; nothing was applied)";
    } else if (ack.result == wire::status::version_required) {
        s += " (the change carries no config version; the appliance is at " + std::to_string(ack.detail) + ")";
    } else if (ack.result == wire::status::verifier_rejected) {
        const auto e = static_cast<secengine::ebpf::verify_error>(ack.error_code);
        s += " (" + std::string(secengine::ebpf::name(e)) + " at pc " + std::to_string(ack.detail) + ")";
    } else if (ack.error_code != 0) {
        // The code is the engine's own error of the command's kind (control/outcome.hpp).
        const auto c = ack.error_code;
        std::string_view n;
        if ((request == wire::msg_type::add_signature || request == wire::msg_type::remove_signature) &&
            c < static_cast<std::uint16_t>(secengine::dpi::dpi_error::count_))
            n = secengine::dpi::name(static_cast<secengine::dpi::dpi_error>(c));
        else if (request == wire::msg_type::set_limits && c < static_cast<std::uint16_t>(secengine::limits_error::count_))
            n = secengine::name(static_cast<secengine::limits_error>(c));
        std::string limit;
        if (request == wire::msg_type::add_signature && ack.result == wire::status::no_space && ack.detail != 0) {
            // The capacity the refusal ran into (wire::capacity_detail): used | capacity << 16.
            using secengine::dpi::dpi_error;
            const auto e = static_cast<dpi_error>(c);
            const char* what = e == dpi_error::pool_full       ? " pattern bytes used"
                               : e == dpi_error::patterns_full ? " signatures loaded"
                               : e == dpi_error::states_full   ? " automaton states used"
                                                               : nullptr;
            if (what != nullptr)
                limit = ": " + std::to_string(wire::detail_used(ack.detail)) + " of " +
                        std::to_string(wire::detail_capacity(ack.detail)) + what;
        }
        s += n.empty() ? " (code " + std::to_string(c) + ")" : " (" + std::string(n) + limit + ")";
    }
    return s;
}

client::client(transport& t, const wire::siphash_key& key, std::uint8_t channel, std::uint64_t first_seq)
    : t_(t), session_(key, channel, first_seq) {}

void client::learn_version(const wire::opened& o) {
    // Every ack, config and stats carries the configuration version after it (replies.hpp,
    // telemetry.hpp): what the next change is made against. Versions only grow within a boot,
    // so a stats message that was on its way while an ack overtook it never moves it back.
    const auto see = [this](std::uint32_t v) { config_version_ = v > config_version_ ? v : config_version_; };
    if (o.hdr.type == wire::msg_type::ack) {
        wire::ack a;
        if (wire::decode_payload(o.payload, a) == wire::wire_error::none) see(a.config_version);
    } else if (o.hdr.type == wire::msg_type::config) {
        wire::config c;
        if (wire::decode_payload(o.payload, c) == wire::wire_error::none) see(c.config_version);
    } else if (o.hdr.type == wire::msg_type::stats) {
        wire::stats st;
        if (wire::decode_payload(o.payload, st) == wire::wire_error::none) see(st.config_version);
    }
}

void client::dispatch(const wire::opened& o) {
    if (wire::is_telemetry(o.hdr.type) && on_telemetry) on_telemetry(o.hdr, o.payload);
}

response client::wait_reply(std::uint64_t seq, bool& boot_changed) {
    response r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::array<std::byte, 2048> buf;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return r;
        const long n = t_.recv(buf, static_cast<int>(left.count()));
        if (n < 0) return r;
        const std::uint64_t old_boot = session_.boot_id();
        const wire::opened o = session_.open(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
        if (!o.ok()) {
            ++refused[static_cast<std::size_t>(o.error)];
            continue;
        }
        if (o.new_boot) config_version_ = 0;  // versions count from the boot's own start
        learn_version(o);
        if (o.new_boot) {
            boot_changed = true;
            if (on_new_boot) on_new_boot(old_boot, session_.boot_id());
        }
        if (!wire::is_reply(o.hdr.type)) {
            dispatch(o);
            continue;
        }
        if (wire::request_seq_of(o) != seq) continue;  // an answer to an earlier attempt
        r.answered = true;
        r.type = o.hdr.type;
        r.payload.assign(o.payload.begin(), o.payload.end());
        if (o.hdr.type == wire::msg_type::ack) (void)wire::decode_payload(o.payload, r.ack);
        if (o.hdr.type == wire::msg_type::error_reply) (void)wire::decode_payload(o.payload, r.error);
        return r;
    }
}

void client::pump(int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    std::array<std::byte, 2048> buf;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        const long n = t_.recv(buf, static_cast<int>(left.count()));
        if (n < 0) return;
        const wire::opened o = session_.open(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
        if (!o.ok()) {
            ++refused[static_cast<std::size_t>(o.error)];
            continue;
        }
        learn_version(o);
        dispatch(o);
    }
}

response client::upload_program(std::uint32_t program_id, std::span<const std::byte> code,
                                 std::span<const wire::map_spec> maps) {
    const std::uint32_t chunks = wire::chunk_count(code.size());
    for (std::uint32_t i = 0; i < chunks; ++i) {
        const response r = request(wire::make_chunk(program_id, code, i));
        if (!r.ok()) return r;
    }
    wire::ebpf_commit c;
    c.program_id = program_id;
    c.total_length = static_cast<std::uint32_t>(code.size());
    for (const auto& m : maps) {
        if (c.maps.count == decltype(c.maps)::capacity) break;
        c.maps.items[c.maps.count++] = m;
    }
    return request(c);
}

response client::upload_rules(std::uint32_t set_id, std::span<const std::byte> db) {
    for (std::uint32_t i = 0; i < wire::rules_chunk_count(db.size()); ++i) {
        const response r = request(wire::make_rules_chunk(set_id, db, i));
        if (!r.ok()) return r;
    }
    return request(wire::rules_commit{set_id, static_cast<std::uint32_t>(db.size())});
}

std::string silence_text(const silence& s) {
    const std::string from = s.appliance.empty() ? "" : " from " + s.appliance;
    if (s.send_errno != 0)
        return "cannot send" + (s.appliance.empty() ? "" : " to " + s.appliance) + ": " + std::strerror(s.send_errno) +
               " (is the network up, and is there a route to the appliance?)";
    if (s.bad_mac_replies != 0)
        return std::to_string(s.bad_mac_replies) + " replies" + from +
               " failed authentication: the appliance uses another key (--key or SECCTL_KEY)";
    // The appliance drops commands it cannot authenticate without a word (docs/protocol.md), so
    // a wrong key looks like silence from here: name all three causes.
    const std::string tries = s.attempts > 0 ? " (" + std::to_string(s.attempts) + " attempts of " +
                                                   std::to_string(s.timeout_ms) + " ms, nothing came back)"
                                             : "";
    return "no authenticated reply" + from + tries +
           ": the appliance is stopped, the address or port is wrong, or it has another key"
           " (it does not answer commands it cannot authenticate)";
}

}  // namespace control
