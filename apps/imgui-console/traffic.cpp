// Traffic generator: frames from the library's builder, pacing, sinks, pcap replay.
#include "traffic.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include <secengine/detail/hash.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/protocol.hpp>

#include "link.hpp"

namespace console {

namespace net = secengine::net;

std::vector<std::byte> make_frame(scenario s, std::uint64_t i, const traffic_params& p) {
    std::array<std::byte, 1514> buf{};
    net::frame_builder b{buf};
    std::string body;
    const auto sport = static_cast<std::uint16_t>(20000 + (i % 40000));
    std::uint32_t src = p.src_ip;
    switch (s) {
        case scenario::http:
            body = "GET /index.html?page=" + std::to_string(i % 100) + " HTTP/1.1\r\nHost: server\r\n\r\n";
            break;
        case scenario::sqli: body = "GET /login?user=admin'%20OR%20'1'='1'--%20 HTTP/1.1\r\nHost: server\r\n\r\n"; break;
        case scenario::xss: body = "GET /search?q=<script>alert(document.cookie)</script> HTTP/1.1\r\nHost: s\r\n\r\n"; break;
        case scenario::shellcode: body = std::string(64, '\x90') + "\x31\xc0\x50\x68//sh\x68/bin\x89\xe3\xcd\x80"; break;
        case scenario::udp_flood_many:
            src = 0x0b000000u | static_cast<std::uint32_t>(secengine::detail::mix64(i) & 0xffffffu);  // 11.x.y.z
            [[fallthrough]];
        case scenario::udp_flood_one: {
            body.assign(64, 'x');
            b.ethernet(p.dst_mac, p.src_mac).ipv4(src, p.dst_ip, net::ipproto::udp).udp(sport, 9);
            break;
        }
        case scenario::syn_flood:
            src = 0x0c000000u | static_cast<std::uint32_t>(secengine::detail::mix64(i) & 0xffffffu);
            b.ethernet(p.dst_mac, p.src_mac).ipv4(src, p.dst_ip, net::ipproto::tcp).tcp(sport, p.dst_port, net::tcpflag::syn,
                                                                                            static_cast<std::uint32_t>(i));
            break;
        case scenario::xmas_scan:
            b.ethernet(p.dst_mac, p.src_mac)
                .ipv4(src, p.dst_ip, net::ipproto::tcp)
                .tcp(sport, static_cast<std::uint16_t>(1 + i % 1024), net::tcpflag::fin | net::tcpflag::psh | net::tcpflag::urg);
            break;
        case scenario::null_scan:
            b.ethernet(p.dst_mac, p.src_mac).ipv4(src, p.dst_ip, net::ipproto::tcp).tcp(sport, static_cast<std::uint16_t>(1 + i % 1024), 0);
            break;
        default: return {};
    }
    if (s == scenario::http || s == scenario::sqli || s == scenario::xss || s == scenario::shellcode)
        b.ethernet(p.dst_mac, p.src_mac)
            .ipv4(src, p.dst_ip, net::ipproto::tcp)
            .tcp(sport, p.dst_port, net::tcpflag::psh | net::tcpflag::ack, 1000, 1);
    if (!body.empty()) b.payload(std::as_bytes(std::span<const char>(body.data(), body.size())));
    const std::size_t n = b.finish();
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

namespace {

/// Sends each frame as one datagram on a socket it owns: a UDP socket toward a QEMU socket
/// netdev (Address = sockaddr_in) or an AF_PACKET socket on an interface (sockaddr_ll).
template <class Address>
class socket_sink final : public frame_sink {
public:
    socket_sink(int fd, Address to, std::string d) : fd_(fd), to_(to), desc_(std::move(d)) {}
    ~socket_sink() override { ::close(fd_); }
    bool send(const std::vector<std::byte>& f) override {
        return ::sendto(fd_, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_) ==
               static_cast<ssize_t>(f.size());
    }
    std::string describe() const override { return desc_; }

private:
    int fd_;
    Address to_;
    std::string desc_;
};

}  // namespace

std::unique_ptr<frame_sink> open_sink(const std::string& spec, std::string& err) {
    const auto c1 = spec.find(':');
    const std::string kind = spec.substr(0, c1);
    if (kind == "raw" && c1 != std::string::npos) {
        const std::string ifname = spec.substr(c1 + 1);
        const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
        if (fd < 0) {
            err = "raw socket: " + std::string(std::strerror(errno)) + " (needs CAP_NET_RAW)";
            return nullptr;
        }
        sockaddr_ll a{};
        a.sll_family = AF_PACKET;
        a.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
        a.sll_halen = 6;
        if (a.sll_ifindex == 0) {
            ::close(fd);
            err = "no interface " + ifname;
            return nullptr;
        }
        return std::make_unique<socket_sink<sockaddr_ll>>(fd, a, spec);
    }
    const auto c2 = spec.rfind(':');
    if ((kind != "udp" && kind != "mcast") || c1 == std::string::npos || c2 == c1) {
        err = "sink must be udp:HOST:PORT, mcast:GROUP:PORT or raw:IFNAME";
        return nullptr;
    }
    std::uint32_t ip = 0;
    if (!parse_ipv4(spec.substr(c1 + 1, c2 - c1 - 1), ip)) {
        err = "bad address in " + spec;
        return nullptr;
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        err = "socket failed";
        return nullptr;
    }
    if (kind == "mcast") {
        // docs/unikernel.md, "QEMU command lines": the segment is reached over loopback, with loop on so every
        // member (QEMU, secctl, other consoles) sees our frames.
        in_addr lo{};
        lo.s_addr = htonl(INADDR_LOOPBACK);
        const unsigned char loop = 1;
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo);
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::strtoul(spec.c_str() + c2 + 1, nullptr, 10)));
    to.sin_addr.s_addr = htonl(ip);
    return std::make_unique<socket_sink<sockaddr_in>>(fd, to, spec);
}

bool read_pcap(const std::string& path, std::vector<std::vector<std::byte>>& out, std::string& err) {
    char ebuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), ebuf);
    if (!p) {
        err = ebuf;
        return false;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        err = "not an Ethernet capture";
        pcap_close(p);
        return false;
    }
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        const auto* b = reinterpret_cast<const std::byte*>(d);
        out.emplace_back(b, b + std::min<bpf_u_int32>(h->caplen, 1514));
    }
    if (rc == PCAP_ERROR) err = pcap_geterr(p);
    pcap_close(p);
    return rc != PCAP_ERROR;
}

bool generator::start(frame_sink* sink, double now_s, std::uint64_t appliance_rx) {
    if (!sink) {
        status = "no sink open";
        return false;
    }
    pcap_frames_.clear();
    if (kind == scenario::pcap_replay) {
        std::string err;
        if (!read_pcap(pcap_path, pcap_frames_, err) || pcap_frames_.empty()) {
            status = "pcap: " + (err.empty() ? std::string("no frames") : err);
            return false;
        }
    }
    sink_ = sink;
    start_ = now_s;
    sent = sent_bytes = send_errors = 0;
    appliance_rx_at_start = appliance_rx;
    running = true;
    status = std::string("running: ") + scenario_names[static_cast<std::size_t>(kind)] + " to " + sink->describe();
    return true;
}

std::size_t generator::tick(double now_s) {
    if (!running) return 0;
    const double elapsed = std::min(now_s - start_, duration_s);
    auto due = static_cast<std::uint64_t>(elapsed * rate_pps);
    if (kind == scenario::pcap_replay) due = std::min<std::uint64_t>(due, pcap_frames_.size());
    std::size_t n = 0;
    // At most 10000 frames per UI frame: the window stays responsive at any rate setting.
    while (sent + send_errors < due && n < 10000) {
        const std::uint64_t i = sent + send_errors;
        const auto f = kind == scenario::pcap_replay ? pcap_frames_[i] : make_frame(kind, i, params);
        if (sink_->send(f)) {
            ++sent;
            sent_bytes += f.size();
        } else {
            ++send_errors;
        }
        ++n;
    }
    if (now_s - start_ >= duration_s || (kind == scenario::pcap_replay && sent + send_errors >= pcap_frames_.size())) {
        running = false;
        status = "done: " + std::to_string(sent) + " frames sent";
    }
    return n;
}

}  // namespace console
