// Host benchmark of inline normalisation (docs/stream.md, `make bench`): the per-packet cost of
// verifying the IPv4 and TCP checksums (net/l4_checksum.hpp), of one in-order segment through
// stream::tcp_normalizer<64> (decide + commit, the tail kept for retransmission checks), and the
// pipeline's whole per-packet cost with checksum verification on and off (stages 1-4 on 64-byte
// packets of established flows). Prints name=value lines; best of several runs; one core.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <secengine/net/l4_checksum.hpp>
#include <secengine/pipeline.hpp>
#include <secengine/stream/tcp_normalizer.hpp>

#include "common.hpp"

using namespace secengine;

namespace {

volatile std::uint64_t sink;

template <class F>
double best_ns(std::size_t iterations, F&& f) {
    double best = 1e30;
    for (int run = 0; run < 7; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < iterations; ++i) f(i);
        const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, ns / static_cast<double>(iterations));
    }
    return best;
}

struct bench_config : default_config {
    static constexpr std::uint32_t per_source_pps = 60000;
    static constexpr std::uint32_t global_rate_pps = 0;
};

}  // namespace

int main() {
    std::vector<std::byte> buf(1600);
    for (const std::size_t size : bench_stream::payload_sizes) {
        const std::size_t n = bench_stream::tcp_frame(buf, size, 1);
        net::packet_view p;
        if (net::parse(std::span<const std::byte>(buf.data(), n), p) != net::parse_error::none ||
            net::verify_checksums(p) != net::checksum_status::ok)
            return 1;
        const double ck = best_ns(200'000, [&](std::size_t) { sink = sink + static_cast<std::uint64_t>(net::verify_checksums(p)); });
        std::printf("stream.ns_per_checksum.tcp_%zu=%.1f\n", size, ck);

        // In-order segments of `size` bytes: the common case, every byte new.
        const auto payload = p.payload();
        stream::tcp_normalizer<64> norm;
        (void)norm.on_segment(0, stream::tcp_flag::syn, {});
        std::uint32_t seq = 1;
        const double nz = best_ns(200'000, [&](std::size_t) {
            const auto d = norm.on_segment(seq, stream::tcp_flag::ack, payload);
            seq += static_cast<std::uint32_t>(payload.size());
            sink = sink + d.fresh_from;
        });
        std::printf("stream.ns_per_segment.normalizer_%zu=%.1f\n", size, nz);
        // A retransmission of the last segment: compared against the tail.
        const double rt = best_ns(200'000, [&](std::size_t) {
            sink = sink + static_cast<std::uint64_t>(norm.decide(seq - static_cast<std::uint32_t>(payload.size()), stream::tcp_flag::ack, payload).action);
        });
        std::printf("stream.ns_per_segment.retransmission_%zu=%.1f\n", size, rt);
    }

    // The pipeline (stages 1-4) on 64-byte TCP packets of one established flow, checksums on / off.
    std::vector<std::byte> f(1600);
    const std::size_t n = bench_stream::tcp_frame(f, 10, 1);
    for (const bool on : {true, false}) {
        pipeline<bench_config> e;
        e.set_verify_checksums(on);
        std::uint64_t now = 1;
        const double ns = best_ns(500'000, [&](std::size_t) { sink = sink + static_cast<std::uint64_t>(e.process(std::span<std::byte>(f.data(), n), now += 100).reason); });
        std::printf("stream.pipeline_ns_per_packet.checksums_%s=%.1f\n", on ? "on" : "off", ns);
        if (e.stats().passed == 0) return 1;
    }
    return 0;
}
