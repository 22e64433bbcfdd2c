// Guest instructions of inline normalisation on RV64 (QEMU virt, -icount shift=0 makes minstret
// count guest instructions exactly): the IPv4 + TCP checksum check per frame and one in-order
// segment through stream::tcp_normalizer<64>, for 64-, 512- and 1460-byte payloads, and a
// retransmission compared against the tail. Run by scripts/bench_bare_riscv.sh stream (harness,
// start code and linker script: bench/common/); prints name=value lines.
#include <cstddef>
#include <cstdint>

#include <secengine/net/l4_checksum.hpp>
#include <secengine/stream/tcp_normalizer.hpp>

#include "common.hpp"
#include "riscv_harness.hpp"

namespace {

std::byte frame[1600];
secengine::stream::tcp_normalizer<64> norm;

}  // namespace

extern "C" void bench_main() {
    using namespace secengine;
    using namespace bench_riscv;
    bool ok = true;
    const std::uint64_t base = count([] {});
    for (const std::size_t size : bench_stream::payload_sizes) {
        const std::size_t n = bench_stream::tcp_frame(frame, size, 1);
        net::packet_view p;
        ok = ok && net::parse(std::span<const std::byte>(frame, n), p) == net::parse_error::none;
        ok = ok && net::verify_checksums(p) == net::checksum_status::ok;
        const std::uint64_t ck = count([&] { sink = static_cast<std::uint64_t>(net::verify_checksums(p)); }) - base;
        norm = {};
        (void)norm.on_segment(0, stream::tcp_flag::syn, {});
        (void)norm.on_segment(1, stream::tcp_flag::ack, p.payload());  // the tail is full from here on
        const auto seq = static_cast<std::uint32_t>(1 + size);
        const std::uint64_t seg = count([&] { sink = norm.on_segment(seq, stream::tcp_flag::ack, p.payload()).fresh_from; }) - base;
        const std::uint64_t old = count([&] {
            sink = static_cast<std::uint64_t>(norm.decide(seq, stream::tcp_flag::ack, p.payload()).action);
        }) - base;
        ok = ok && norm.decide(seq, stream::tcp_flag::ack, p.payload()).action == stream::segment_action::pass_old;
        line("riscv.stream_insns_checksum_tcp_", size, ck);
        line("riscv.stream_insns_normalizer_segment_", size, seg);
        line("riscv.stream_insns_retransmission_", size, old);
    }
    finish(ok);
}
