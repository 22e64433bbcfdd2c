// Guest instructions of inline normalisation on RV64 (QEMU virt, -icount shift=0 makes minstret
// count guest instructions exactly): the IPv4 + TCP checksum check per frame and one in-order
// segment through stream::tcp_normalizer<64>, for 64-, 512- and 1460-byte payloads, and a
// retransmission compared against the tail. Run by scripts/bench_stream_riscv.sh (start code and
// linker script: bench/wire/); prints name=value lines.
#include <cstddef>
#include <cstdint>

#include <secengine/net/l4_checksum.hpp>
#include <secengine/stream/tcp_normalizer.hpp>

#include "common.hpp"

extern "C" {
// The compiler may emit these for aggregate copies; there is no libc here.
void* memcpy(void* d, const void* s, std::size_t n) {
    auto* o = static_cast<unsigned char*>(d);
    const auto* i = static_cast<const unsigned char*>(s);
    while (n--) *o++ = *i++;
    return d;
}
void* memset(void* d, int c, std::size_t n) {
    auto* o = static_cast<unsigned char*>(d);
    while (n--) *o++ = static_cast<unsigned char>(c);
    return d;
}
void* memmove(void* d, const void* s, std::size_t n) {
    auto* o = static_cast<unsigned char*>(d);
    const auto* i = static_cast<const unsigned char*>(s);
    if (o < i) while (n--) *o++ = *i++;
    else while (n--) o[n] = i[n];
    return d;
}
int memcmp(const void* a, const void* b, std::size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (; n--; ++x, ++y)
        if (*x != *y) return *x - *y;
    return 0;
}
}

namespace {

volatile std::uint8_t* const uart = reinterpret_cast<volatile std::uint8_t*>(0x10000000);
volatile std::uint32_t* const test_dev = reinterpret_cast<volatile std::uint32_t*>(0x100000);

void put(const char* s) {
    while (*s) *uart = static_cast<std::uint8_t>(*s++);
}
void put_u64(std::uint64_t v) {
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do buf[--i] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
    put(buf + i);
}
void line(const char* name, std::size_t size, std::uint64_t v) {
    put(name);
    put_u64(size);
    put("=");
    put_u64(v);
    put("\n");
}

inline std::uint64_t instret() {
    std::uint64_t v;
    asm volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

template <class F>
std::uint64_t count(F&& f) {
    const std::uint64_t t0 = instret();
    f();
    return instret() - t0;
}

volatile std::uint64_t sink;
std::byte frame[1600];
secengine::stream::tcp_normalizer<64> norm;

}  // namespace

extern "C" void bench_main() {
    using namespace secengine;
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
    *test_dev = ok ? 0x5555 : ((1u << 16) | 0x3333);
    for (;;) {
    }
}
