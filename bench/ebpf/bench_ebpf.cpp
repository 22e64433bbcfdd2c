// eBPF interpreter benchmark (docs/performance/ebpf.md). Prints name=value lines:
//   ebpf.ns_per_insn             ALU loop, interpreted
//   ebpf.ns_per_packet.<filter>  clang-compiled XDP filter (embedded by `secbpf embed`), interpreted
//   ebpf.native_ns_per_packet.<filter>  the same filter compiled natively, same frames, same run
//   ebpf.ratio_to_native.<filter> and ebpf.ratio_to_native (the worst filter)
#include <algorithm>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <secengine/ebpf/alu_loop.hpp>
#include <secengine/ebpf/program.hpp>
#include <secengine/ebpf/xdp_stage.hpp>
#include <secengine/net/builder.hpp>

#include "drop_port.hpp"
#include "vlan_tcp.hpp"

namespace eb = secengine::ebpf;
// Thread CPU time: the build machine is shared, and wall time would count other processes' slices.
struct clk {
    using time_point = double;
    static double now() {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
};

namespace {

using bench_limits = eb::program_limits<4096, 4, 4096, 512, 4>;

double seconds(double a, double b) { return b - a; }

// ---- native versions of tests/ebpf/xdp_drop_port.c and xdp_vlan_tcp.c ----
inline std::uint16_t be16(const std::byte* p) {
    return static_cast<std::uint16_t>((static_cast<unsigned>(p[0]) << 8) | static_cast<unsigned>(p[1]));
}

__attribute__((noinline)) int native_drop_port(std::byte* data, std::byte* end) {
    if (data + 14 > end) return 2;
    if (be16(data + 12) != 0x0800) return 2;
    std::byte* ip = data + 14;
    if (ip + 20 > end) return 2;
    if (static_cast<unsigned>(ip[9]) != 6) return 2;
    std::byte* tcp = ip + (static_cast<unsigned>(ip[0]) & 0x0f) * 4;
    if (tcp + 20 > end) return 0;
    return be16(tcp + 2) == 23 ? 1 : 2;
}

std::uint64_t native_vlan_drops[4];

__attribute__((noinline)) int native_vlan_tcp(std::byte* data, std::byte* end) {
    if (data + 14 > end) return 2;
    std::uint16_t proto = be16(data + 12);
    std::byte* cur = data + 14;
    std::uint16_t vid = 0;
    for (int i = 0; i < 2; i++) {
        if (proto != 0x8100 && proto != 0x88a8) break;
        if (cur + 4 > end) return 2;
        vid = be16(cur) & 0x0fff;
        proto = be16(cur + 2);
        cur += 4;
    }
    if (proto != 0x0800) return 2;
    std::byte* ip = cur;
    if (ip + 20 > end) return 2;
    unsigned ihl = static_cast<unsigned>(ip[0]) & 0x0f;
    if (ihl < 5 || static_cast<unsigned>(ip[9]) != 6) return 2;
    std::byte* tcp = ip + ihl * 4;
    if (tcp + 20 > end) return 2;
    if (vid == 100 && be16(tcp + 2) == 22 && (static_cast<unsigned>(tcp[13]) & 0x12) == 0x02) {
        native_vlan_drops[0]++;
        return 1;
    }
    return 2;
}

// A mix of frames: TCP to several ports (some dropped), UDP, VLAN-tagged SYNs, ARP.
std::vector<std::vector<std::byte>> make_frames() {
    std::vector<std::vector<std::byte>> out;
    namespace net = secengine::net;
    for (int k = 0; k < 64; ++k) {
        std::array<std::byte, 1600> buf{};
        static const std::array<std::byte, 64> pad{};
        net::frame_builder b(buf);
        b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2});
        if (k % 4 == 1) b.vlan(static_cast<std::uint16_t>(k % 8 == 1 ? 100 : 200));
        if (k % 16 == 15) {
            b.arp(1, {2, 0, 0, 0, 0, 1}, 0x0a000001, {0, 0, 0, 0, 0, 0}, 0x0a000002);
        } else {
            b.ipv4(0x0a000000u + static_cast<std::uint32_t>(k), 0x0a0000c8, k % 5 == 4 ? 17 : 6);
            if (k % 5 == 4) b.udp(40000, 53);
            else b.tcp(static_cast<std::uint16_t>(40000 + k), static_cast<std::uint16_t>(k % 3 == 0 ? 23 : (k % 3 == 1 ? 22 : 80)), 0x02);
            b.payload(std::span<const std::byte>(pad.data(), static_cast<std::size_t>(k % 7) * 9));
        }
        std::size_t n = b.finish();
        std::span<const std::byte> f(buf.data(), n);
        out.emplace_back(f.begin(), f.end());
    }
    return out;
}

template <class Fn>
double per_packet_ns(std::vector<std::vector<std::byte>>& frames, std::uint64_t& sink, Fn&& fn) {
    const int rounds = 40000;
    auto t0 = clk::now();
    for (int r = 0; r < rounds; ++r)
        for (auto& f : frames) sink += static_cast<std::uint64_t>(fn(f));
    auto t1 = clk::now();
    return seconds(t0, t1) * 1e9 / (static_cast<double>(rounds) * static_cast<double>(frames.size()));
}

}  // namespace

int main() {
    auto prog = std::make_unique<eb::program<bench_limits>>();
    std::uint64_t sink = 0;

    // ALU loop: ns per interpreted instruction (best of 5 to shed scheduler noise).
    const std::int32_t iters = 100000;
    prog->budget = 8ull * iters;
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = clk::now();
        std::uint64_t n = eb::run_alu_loop(*prog, iters, 200);
        auto t1 = clk::now();
        if (n == 0) {
            std::fprintf(stderr, "alu loop failed to load\n");
            return 1;
        }
        best = std::min(best, seconds(t0, t1) * 1e9 / static_cast<double>(n));
    }
    std::printf("ebpf.ns_per_insn=%.3f\n", best);

    auto frames = make_frames();
    struct filt {
        const char* name;
        std::span<const eb::insn> code;
        std::span<const eb::map_spec> maps;
        int (*native)(std::byte*, std::byte*);
    } filters[] = {
        {"drop_port", eb::embedded::drop_port_insns,
         {eb::embedded::drop_port_maps, eb::embedded::drop_port_map_count}, native_drop_port},
        {"vlan_tcp", eb::embedded::vlan_tcp_insns,
         {eb::embedded::vlan_tcp_maps, eb::embedded::vlan_tcp_map_count}, native_vlan_tcp},
    };
    double worst = 0;
    for (auto& f : filters) {
        if (!prog->load(f.code, f.maps, {}).ok()) {
            std::fprintf(stderr, "%s failed to load\n", f.name);
            return 1;
        }
        // Same verdicts from both versions on every frame (the comparison is of equal work).
        for (auto& fr : frames) {
            auto r = prog->run_xdp(fr, 0);
            if (!r.ok() || static_cast<int>(r.r0) != f.native(fr.data(), fr.data() + fr.size())) {
                std::fprintf(stderr, "%s: interpreted and native verdicts differ\n", f.name);
                return 1;
            }
        }
        double vm = 1e9, nat = 1e9;
        for (int rep = 0; rep < 5; ++rep) {
            vm = std::min(vm, per_packet_ns(frames, sink, [&](std::vector<std::byte>& fr) { return prog->run_xdp(fr, 0).r0; }));
            nat = std::min(nat, per_packet_ns(frames, sink, [&](std::vector<std::byte>& fr) {
                              return f.native(fr.data(), fr.data() + fr.size());
                          }));
        }
        std::printf("ebpf.ns_per_packet.%s=%.2f\n", f.name, vm);
        std::printf("ebpf.native_ns_per_packet.%s=%.2f\n", f.name, nat);
        std::printf("ebpf.ratio_to_native.%s=%.2f\n", f.name, vm / nat);
        worst = std::max(worst, vm / nat);
    }
    std::printf("ebpf.ratio_to_native=%.2f\n", worst);
    std::printf("ebpf.kernel_slot_bytes=%zu\n", eb::program<eb::kernel_limits>::bytes());
    return sink == 42 ? 2 : 0;
}
