// secdemo: the engine on the host, no QEMU needed. Sends a scripted packet stream through the
// pipeline (benign TCP and UDP, an Xmas scan, a flood from one source, a NOP sled, a malformed
// frame, a port block pushed mid-stream) and prints each notable verdict and the final counters.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <secengine/net/builder.hpp>
#include <secengine/pipeline.hpp>

using namespace secengine;
using namespace secengine::net;

namespace {
struct demo_config : default_config {
    static constexpr std::uint32_t per_source_pps = 200;
};
using engine_t = pipeline<demo_config>;
constexpr std::uint64_t tps = demo_config::ticks_per_second;

std::vector<std::byte> tcp_frame(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport, std::uint8_t flags,
                                 std::string_view payload = {}) {
    std::vector<std::byte> buf(max_frame_size);
    frame_builder b{buf};
    b.ethernet({2, 0, 0, 0, 0, 0x20}, {2, 0, 0, 0, 0, 0x10}).ipv4(src, dst, ipproto::tcp).tcp(sport, dport, flags, 1000, 0);
    b.payload(std::as_bytes(std::span(payload.data(), payload.size())));
    buf.resize(b.finish());
    return buf;
}

std::vector<std::byte> udp_frame(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport) {
    std::vector<std::byte> buf(128);
    frame_builder b{buf};
    b.ethernet({2, 0, 0, 0, 0, 0x20}, {2, 0, 0, 0, 0, 0x10}).ipv4(src, dst, ipproto::udp).udp(sport, dport);
    buf.resize(b.finish());
    return buf;
}

void show(const char* what, verdict v) {
    if (v.pass()) std::printf("  %-44s -> pass\n", what);
    else std::printf("  %-44s -> DROP %-14.*s (stage %u, detail %u)\n", what, static_cast<int>(name(v.reason).size()),
                     name(v.reason).data(), v.stage, v.detail);
}
}  // namespace

int main() {
    static engine_t engine;
    const std::uint32_t client = 0x0a00000a, server = 0x0a000014, attacker = 0xc6336407;
    std::uint64_t now = 1;
    std::printf("secengine host demo: stages 1-4 on a scripted stream (engine is %zu bytes)\n\n", sizeof(engine_t));

    auto f = tcp_frame(client, server, 40000, 80, tcpflag::syn);
    show("client SYN to server:80", engine.process(f, now += 10));
    f = tcp_frame(server, client, 80, 40000, tcpflag::syn | tcpflag::ack);
    show("server SYN+ACK (outbound)", engine.process(f, now += 10, direction::outbound));
    f = tcp_frame(client, server, 40000, 80, tcpflag::ack | tcpflag::psh, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n");
    show("client HTTP request", engine.process(f, now += 10));
    f = udp_frame(client, server, 5353, 53);
    show("client DNS query (UDP)", engine.process(f, now += 10));

    f = tcp_frame(attacker, server, 51000, 22, tcpflag::fin | tcpflag::psh | tcpflag::urg);
    show("attacker Xmas scan to :22", engine.process(f, now += 10));
    f = tcp_frame(attacker, server, 51001, 23, 0);
    show("attacker NULL scan to :23", engine.process(f, now += 10));
    f = tcp_frame(server, server, 80, 80, tcpflag::syn);
    show("land attack (src == dst)", engine.process(f, now += 10));
    f = tcp_frame(attacker, server, 51002, 80, tcpflag::ack | tcpflag::psh, std::string(64, '\x90'));
    show("payload with a 64-byte NOP sled", engine.process(f, now += 10));
    f = tcp_frame(client, server, 40000, 80, tcpflag::ack);
    f[14] = std::byte{0x43};  // IHL 3
    show("malformed IPv4 header (IHL 3)", engine.process(f, now += 10));

    std::printf("\n  flood: 1000 SYNs from %u.%u.%u.%u in 0.1 s (threshold %u/s)\n", attacker >> 24, (attacker >> 16) & 255,
                (attacker >> 8) & 255, attacker & 255, engine.limits().per_source_pps);
    verdict last{};
    std::uint64_t first_drop = 0;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        f = tcp_frame(attacker, server, static_cast<std::uint16_t>(20000 + i), 80, tcpflag::syn);
        last = engine.process(f, now += 1000);
        if (last.drop() && first_drop == 0) first_drop = i + 1;
    }
    std::printf("  first flood packet dropped: #%llu\n", static_cast<unsigned long long>(first_drop));
    show("last flood packet", last);
    f = tcp_frame(client, server, 40000, 80, tcpflag::ack);
    show("client still served during the flood", engine.process(f, now += 10));

    std::printf("\n  operator blocks tcp/80\n");
    (void)engine.rules().block_port(ipproto::tcp, 80);
    show("client HTTP on the live flow", engine.process(f, now += 10));
    (void)engine.rules().unblock_port(ipproto::tcp, 80);
    show("after unblock", engine.process(f, now += 10));
    now += std::uint64_t{engine.limits().ban_seconds} * tps;
    f = tcp_frame(attacker, server, 30000, 80, tcpflag::syn);
    show("attacker after the ban expired", engine.process(f, now));

    const auto& st = engine.stats();
    std::printf("\ncounters: received=%llu passed=%llu dropped=%llu flows=%zu bans=%zu alerts=%llu\n",
                static_cast<unsigned long long>(st.received), static_cast<unsigned long long>(st.passed),
                static_cast<unsigned long long>(st.dropped_total()), engine.flows().size(), engine.penalty().size(now),
                static_cast<unsigned long long>(engine.alerts().pushed()));
    for (std::size_t r = 1; r < drop_reason_count; ++r)
        if (st.dropped[r]) std::printf("  dropped %-16.*s %llu\n", static_cast<int>(drop_reason_names[r].size()), drop_reason_names[r].data(),
                                       static_cast<unsigned long long>(st.dropped[r]));
    return st.received == st.passed + st.dropped_total() ? 0 : 1;
}
