// Host benchmark of stages 1-4 (`make bench`). Prints name=value lines (docs/performance.md):
//   engine.mpps.<mix>, engine.ns_per_packet.<mix>, engine.ratio_to_baseline.<mix>, flow.bytes_per_flow
// Mixes: benign (64-byte TCP/UDP packets on established flows), synflood (SYNs from many random
// sources to one server), synflood_budget (the same with the appliance's SYN budget, 40,000 new
// flows/s, against 250 kpps: most SYNs refused in stage 2), xmas (Xmas-scan packets from many sources). The baseline loop touches
// the same 64 bytes of every frame and makes a trivial decision; the ratio shows what the
// engine costs beyond merely reading the packet. Best of several runs; one core.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <secengine/net/builder.hpp>
#include <secengine/pipeline.hpp>

using namespace secengine;
using namespace secengine::net;

namespace {

/// Thresholds out of the way: the benchmark measures work per packet, not what a ban saves.
struct bench_config : default_config {
    static constexpr std::uint32_t per_source_pps = 60000;
    static constexpr std::uint32_t global_rate_pps = 0;
};

using engine = pipeline<bench_config>;
constexpr std::size_t frame_slot = 64;

struct frame_pool {
    std::vector<std::byte> bytes;
    std::vector<std::size_t> sizes;
    std::span<std::byte> frame(std::size_t i) { return {bytes.data() + i * frame_slot, sizes[i]}; }
    std::size_t count() const { return sizes.size(); }
};

void add_frame(frame_pool& pool, std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::uint16_t sport,
               std::uint16_t dport, std::uint8_t flags) {
    const std::size_t at = pool.bytes.size();
    pool.bytes.resize(at + frame_slot);
    frame_builder b{std::span<std::byte>(pool.bytes.data() + at, frame_slot)};
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}).ipv4(src, dst, proto);
    const std::size_t header = ethernet_header_size + ipv4_min_header_size + (proto == ipproto::tcp ? tcp_min_header_size : udp_header_size);
    const std::vector<std::byte> payload(frame_slot - header, std::byte{'a'});
    if (proto == ipproto::tcp) b.tcp(sport, dport, flags);
    else b.udp(sport, dport);
    b.payload(payload);
    pool.sizes.push_back(b.finish());
}

/// 512 established flows (half the default table) from 256 clients; packets pick flows at random.
frame_pool benign_mix(std::mt19937_64& rng) {
    struct flow { std::uint32_t client, server; std::uint16_t sport; bool udp; };
    std::vector<flow> flows(512);
    for (std::size_t i = 0; i < flows.size(); ++i)
        flows[i] = {0x0a000000u + static_cast<std::uint32_t>(rng() % 256), 0x0a100000u + static_cast<std::uint32_t>(i % 16),
                    static_cast<std::uint16_t>(1024 + rng() % 60000), i % 4 == 0};
    frame_pool pool;
    for (int i = 0; i < 4096; ++i) {
        const flow& f = flows[rng() % flows.size()];
        if (f.udp) add_frame(pool, f.client, f.server, ipproto::udp, f.sport, 53, 0);
        else add_frame(pool, f.client, f.server, ipproto::tcp, f.sport, 443, tcpflag::ack | tcpflag::psh);
    }
    return pool;
}

frame_pool synflood_mix(std::mt19937_64& rng) {
    frame_pool pool;
    for (int i = 0; i < 65536; ++i)
        add_frame(pool, static_cast<std::uint32_t>(rng()), 0x0a100001u, ipproto::tcp, static_cast<std::uint16_t>(rng()), 80, tcpflag::syn);
    return pool;
}

frame_pool xmas_mix(std::mt19937_64& rng) {
    frame_pool pool;
    for (int i = 0; i < 4096; ++i)
        add_frame(pool, 0xc0a80000u + static_cast<std::uint32_t>(rng() % 256), 0x0a100001u, ipproto::tcp, 40000,
                  static_cast<std::uint16_t>(1 + rng() % 1024), tcpflag::fin | tcpflag::psh | tcpflag::urg);
    return pool;
}

/// Reads the first 64 bytes of each frame and decides on them: the cost floor of any filter.
__attribute__((noinline)) std::uint64_t baseline(frame_pool& pool, std::size_t packets) {
    std::uint64_t pass = 0;
    for (std::size_t i = 0; i < packets; ++i) {
        const auto f = pool.frame(i % pool.count());
        std::uint64_t acc = 0;
        for (std::size_t k = 0; k + 8 <= frame_slot && k + 8 <= f.size(); k += 8) {
            std::uint64_t w;
            __builtin_memcpy(&w, f.data() + k, 8);
            acc ^= w;
        }
        pass += (acc & 1) == 0;
    }
    return pass;
}

__attribute__((noinline)) std::uint64_t run_engine(engine& e, frame_pool& pool, std::size_t packets, std::uint64_t& now) {
    std::uint64_t pass = 0;
    for (std::size_t i = 0; i < packets; ++i) {
        now += 40;  // 250 kpps of simulated time per flow set; keeps per-source rates realistic
        pass += e.process(pool.frame(i % pool.count()), now).pass();
    }
    return pass;
}

template <class Fn>
double best_ns_per_packet(std::size_t packets, Fn&& fn) {
    double best = 1e18;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(packets));
    }
    return best;
}

volatile std::uint64_t sink;

void bench_mix(engine& e, const char* name, frame_pool pool, std::size_t packets) {
    // A fresh engine per mix, warmed with one pass over the pool.
    std::uint64_t now = 1;
    sink = run_engine(e, pool, pool.count(), now);
    const double base = best_ns_per_packet(packets, [&] { sink = baseline(pool, packets); });
    const double ns = best_ns_per_packet(packets, [&] { sink = run_engine(e, pool, packets, now); });
    std::printf("engine.ns_per_packet.%s=%.2f\n", name, ns);
    std::printf("engine.mpps.%s=%.2f\n", name, 1000.0 / ns);
    std::printf("engine.baseline_ns_per_packet.%s=%.2f\n", name, base);
    std::printf("engine.ratio_to_baseline.%s=%.2f\n", name, ns / base);
    const auto& st = e.stats();
    std::printf("engine.pass_fraction.%s=%.3f\n", name, static_cast<double>(st.passed) / static_cast<double>(st.received));
}

}  // namespace

/// `bench_engine --count MIX N`: one warm-up pass over MIX's pool, then N packets, untimed - for
/// instruction counts: `valgrind --tool=callgrind` at two N, difference / difference of N
/// (docs/performance/engine.md).
int count_only(const char* mix, std::size_t n) {
    std::mt19937_64 rng(2026);
    static engine e;
    frame_pool pool = benign_mix(rng);
    if (std::strcmp(mix, "synflood") == 0) pool = synflood_mix(rng);
    else if (std::strcmp(mix, "synflood_budget") == 0) {
        pool = synflood_mix(rng);
        e.set_syn_budget(40'000);
    } else if (std::strcmp(mix, "xmas") == 0) pool = xmas_mix(rng);
    else if (std::strcmp(mix, "benign") != 0) return 64;
    std::uint64_t now = 1;
    sink = run_engine(e, pool, pool.count(), now);
    sink = run_engine(e, pool, n, now);
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 4 && std::strcmp(argv[1], "--count") == 0)
        return count_only(argv[2], static_cast<std::size_t>(std::strtoull(argv[3], nullptr, 10)));
    std::mt19937_64 rng(2026);
    const std::size_t packets = 4'000'000;
    static engine benign, synflood, synflood_budget, xmas;  // static: ~24 KiB each, as in the kernel's .bss
    bench_mix(benign, "benign", benign_mix(rng), packets);
    bench_mix(synflood, "synflood", synflood_mix(rng), packets);
    synflood_budget.set_syn_budget(40'000);  // appliance_config::syn_budget_pps
    std::mt19937_64 rng_budget(2027);  // its own generator: the xmas pool stays what it was
    bench_mix(synflood_budget, "synflood_budget", synflood_mix(rng_budget), packets);
    bench_mix(xmas, "xmas", xmas_mix(rng), packets);
    std::printf("flow.bytes_per_flow=%zu\n", sizeof(flow_entry));
    std::printf("engine.sizeof_default_bytes=%zu\n", sizeof(pipeline<>));
    return 0;
}
