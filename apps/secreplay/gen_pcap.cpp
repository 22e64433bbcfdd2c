// Writes the test captures for secreplay (built with the library's frame builders):
//   OUT/mixed.pcap     benign HTTP sessions and DNS, attacks of every stage, a SYN flood
//   OUT/expected.txt   what the appliance pipeline must say about it (`name=value`)
//   OUT/raw.pcap       a capture with link type DLT_RAW (must be refused)
// Deterministic: a fixed seed, timestamps from a fixed epoch.
#include <pcap/pcap.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include <secengine/net/builder.hpp>
#include <secengine/net/protocol.hpp>

namespace net = secengine::net;

namespace {

constexpr net::mac_address client_mac{0x02, 0, 0, 0, 0, 0x10}, server_mac{0x02, 0, 0, 0, 0, 0x20};
constexpr std::uint32_t client = 0x0a00000a, server = 0x0a000014;

struct writer {
    pcap_dumper_t* d;
    std::int64_t usec = 1'700'000'000'000'000;  // 2023-11-14, a fixed epoch
    std::uint64_t count = 0;
    void put(std::span<const std::byte> f, std::int64_t advance_us = 200) {
        usec += advance_us;
        pcap_pkthdr h{};
        h.ts.tv_sec = usec / 1'000'000;
        h.ts.tv_usec = usec % 1'000'000;
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(f.data()));
        ++count;
    }
};

std::span<const std::byte> bytes(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

/// One TCP segment between the client and the server.
void tcp(writer& w, bool from_client, std::uint16_t cport, std::uint16_t sport, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
         std::string_view payload = {}, std::uint32_t src = client, std::int64_t advance_us = 200) {
    std::array<std::byte, 1600> buf{};
    net::frame_builder b{buf};
    if (from_client)
        b.ethernet(server_mac, client_mac).ipv4(src, server, net::ipproto::tcp).tcp(cport, sport, flags, seq, ack);
    else
        b.ethernet(client_mac, server_mac).ipv4(server, src, net::ipproto::tcp).tcp(sport, cport, flags, seq, ack);
    b.payload(bytes(payload));
    w.put({buf.data(), b.finish()}, advance_us);
}

/// A complete HTTP exchange: handshake, request segments, response, FIN.
void http_session(writer& w, std::uint16_t cport, std::initializer_list<std::string_view> request_segments, bool answered) {
    using namespace net::tcpflag;
    std::uint32_t cs = 1000, ss = 5000;
    tcp(w, true, cport, 80, syn, cs++, 0);
    tcp(w, false, cport, 80, syn | ack, ss++, cs);
    tcp(w, true, cport, 80, ack, cs, ss);
    for (auto seg : request_segments) {
        tcp(w, true, cport, 80, psh | ack, cs, ss, seg);
        cs += static_cast<std::uint32_t>(seg.size());
    }
    if (!answered) return;
    const std::string body(300, 'x');
    tcp(w, false, cport, 80, psh | ack, ss, cs, "HTTP/1.0 200 OK\r\nContent-Length: 300\r\n\r\n" + body);
    tcp(w, true, cport, 80, fin | ack, cs, ss + 340);
    tcp(w, false, cport, 80, fin | ack, ss + 340, cs + 1);
    tcp(w, true, cport, 80, ack, cs + 1, ss + 341);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: gen_pcap OUTDIR\n");
        return 1;
    }
    const std::string dir = argv[1];
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, (dir + "/mixed.pcap").c_str());
    if (!d) {
        std::fprintf(stderr, "gen_pcap: %s\n", pcap_geterr(dead));
        return 1;
    }
    writer w{d};
    std::map<std::string, std::uint64_t> expect;
    std::mt19937 rng(8);
    using namespace net::tcpflag;

    // Benign: 40 HTTP sessions with varied paths and agents, all passing.
    std::uint64_t benign_packets = 0;
    for (int i = 0; i < 40; ++i) {
        const std::string req = "GET /files/page" + std::to_string(rng() % 1000) + ".html?lang=en&id=" + std::to_string(i) +
                                " HTTP/1.1\r\nHost: 10.0.0.20\r\nUser-Agent: agent-" + std::to_string(i % 7) + "\r\n\r\n";
        const auto before = w.count;
        http_session(w, static_cast<std::uint16_t>(40000 + i), {req}, true);
        benign_packets += w.count - before;
    }
    // Benign UDP (DNS-like) in both directions.
    for (int i = 0; i < 20; ++i) {
        std::array<std::byte, 256> buf{};
        net::frame_builder b{buf};
        b.ethernet(server_mac, client_mac).ipv4(client, server, net::ipproto::udp).udp(static_cast<std::uint16_t>(50000 + i), 53).payload(bytes("query"));
        w.put({buf.data(), b.finish()});
        ++benign_packets;
    }
    // DPI (stage 6): one request each; the attack segment is dropped, the session never answered.
    const std::array attacks{
        std::pair{"GET /item?id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\nHost: s\r\n\r\n", 1003u},
        std::pair{"GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: s\r\n\r\n", 2001u},
        // Encoded traversal: no literal rule sees "../" in the raw URI; the injection detector does.
        std::pair{"GET /static/..%2F..%2F..%2Fetc/passwd HTTP/1.1\r\nHost: s\r\n\r\n", 1200301u},
        std::pair{"GET /q?id=1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1\r\nHost: s\r\n\r\n", 1001u},
    };
    std::uint16_t port = 41000;
    for (auto [req, sid] : attacks) {
        http_session(w, port++, {req}, false);
        expect["dpi.hits." + std::to_string(sid)] += 1;
    }
    // Split across two segments (the signature "union select" straddles the boundary; slot 6's
    // built-in rule looks at the request's normalised URI, complete with the second segment).
    http_session(w, port++, {"GET /q?id=1%20UNI", "ON%20SELECT%201 HTTP/1.1\r\nHost: s\r\n\r\n"}, false);
    expect["dpi.hits.1001"] += 1;
    expect["drop.dpi_signature"] = attacks.size() + 1;
    // Heuristics (stage 3): Xmas and NULL scans against 10 ports each.
    for (std::uint16_t p = 20; p < 30; ++p) tcp(w, true, 60000, p, fin | psh | urg, 1, 0);
    for (std::uint16_t p = 20; p < 30; ++p) tcp(w, true, 60001, p, 0, 1, 0);
    expect["drop.scan"] = 20;
    // eBPF (stage 5): the reserved ("evil") bit set, 3 packets.
    for (int i = 0; i < 3; ++i) {
        std::array<std::byte, 256> buf{};
        net::frame_builder b{buf};
        b.ethernet(server_mac, client_mac).ipv4(client, server, net::ipproto::udp, 64, 0, 0x8000).udp(5353, 53).payload(bytes("evil"));
        w.put({buf.data(), b.finish()});
    }
    expect["drop.ebpf"] = 3;
    // Flood (stages 1 and 4): 3000 SYNs from 10.0.0.66 within 0.3 s; the 2001st crosses the
    // 2000 pps threshold (heavy_hitter, the source is banned), the rest meet the penalty box.
    for (int i = 0; i < 3000; ++i)
        tcp(w, true, static_cast<std::uint16_t>(1024 + i), 80, syn, static_cast<std::uint32_t>(i), 0, {}, 0x0a000042, 100);
    expect["drop.heavy_hitter"] = 1;
    expect["drop.penalty_box"] = 999;
    // A benign session after the flood: the engine still serves others.
    {
        const auto before = w.count;
        http_session(w, 42000, {"GET /after-flood HTTP/1.1\r\nHost: s\r\n\r\n"}, true);
        benign_packets += w.count - before;
    }
    pcap_dump_close(d);
    pcap_close(dead);

    std::uint64_t dropped = 0;
    for (auto& [k, v] : expect)
        if (k.rfind("drop.", 0) == 0) dropped += v;
    expect["packets"] = w.count;
    expect["dropped"] = dropped;
    expect["passed"] = w.count - dropped;
    expect["alerts"] = dropped - expect["drop.penalty_box"];  // penalty_box drops raise no alert
    expect["benign_packets"] = benign_packets;
    std::FILE* f = std::fopen((dir + "/expected.txt").c_str(), "w");
    if (!f) return 1;
    for (auto& [k, v] : expect) std::fprintf(f, "%s=%llu\n", k.c_str(), static_cast<unsigned long long>(v));
    std::fclose(f);

    // A capture with a link type the appliance never sees (raw IP, no Ethernet header).
    pcap_t* raw = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t* rd = pcap_dump_open(raw, (dir + "/raw.pcap").c_str());
    if (!rd) return 1;
    writer rw{rd};
    std::array<std::byte, 64> buf{};
    net::frame_builder b{buf};
    b.ethernet(server_mac, client_mac).ipv4(client, server, net::ipproto::udp).udp(1, 2);
    const auto n = b.finish();
    rw.put({buf.data() + 14, n - 14});
    pcap_dump_close(rd);
    pcap_close(raw);
    return 0;
}
