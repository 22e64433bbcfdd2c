// Host cost of the control protocol: SipHash-2-4 throughput and a full seal + open round trip
// (client seals, appliance opens and validates) for a small command and a full eBPF chunk.
// Prints name=value lines (docs/performance.md).
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

#include <secengine/wire.hpp>

using namespace secengine::wire;

namespace {

/// CPU time of this process, not wall time: the build machine is shared, and a wall clock
/// would charge us for other processes' time slices.
double cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <class F>
double ns_per_call(int n, F&& f) {
    const double t0 = cpu_ns();
    for (int i = 0; i < n; ++i) f();
    return (cpu_ns() - t0) / n;
}

volatile std::uint64_t sink;

template <class M>
double seal_open_ns(const M& m, int n) {
    const siphash_key key{0x1234, 0x5678};
    appliance_session<4> app(key, 9);
    client_session cli(key, 1, 1, 9);
    std::array<std::byte, max_datagram> buf{};
    return ns_per_call(n, [&] {
        const encoded e = cli.seal(m, buf);
        const opened o = app.open(std::span<const std::byte>(buf).first(e.size));
        sink = sink + o.hdr.seq + static_cast<std::uint64_t>(o.error);
    });
}

}  // namespace

int main() {
    std::vector<std::byte> data(1024);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 7);
    const siphash_key key{1, 2};
    const double hash_ns = ns_per_call(200000, [&] { sink = sink + siphash(key, data); });
    std::printf("wire.siphash_ns_per_byte=%.3f\n", hash_ns / static_cast<double>(data.size()));
    const double small_ns = ns_per_call(2000000, [&] { sink = sink + siphash(key, std::span(data).first(32)); });
    std::printf("wire.siphash_ns_32_bytes=%.1f\n", small_ns);

    std::printf("wire.seal_open_ns.block_port=%.1f\n",
                seal_open_ns(block_port{{l4_protocol::tcp, traffic_direction::inbound, 22}}, 1000000));
    std::vector<std::byte> program(max_chunk_bytes);
    std::printf("wire.seal_open_ns.ebpf_chunk=%.1f\n", seal_open_ns(make_chunk(1, program, 0), 100000));
    return 0;
}
