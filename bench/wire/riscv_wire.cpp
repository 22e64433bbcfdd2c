// Guest instructions the control protocol costs on RV64 (QEMU virt, -icount shift=0 makes
// minstret count guest instructions exactly): the MAC per byte, a whole command opened and
// acknowledged, and the rejection of a forged datagram - the cost an attacker can impose per
// datagram sent to the management port. Run by scripts/bench_wire_riscv.sh; prints name=value.
#include <cstddef>
#include <cstdint>

#include <secengine/wire.hpp>

using namespace secengine::wire;

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
void line(const char* name, std::uint64_t v) {
    put(name);
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

}  // namespace

extern "C" void bench_main() {
    std::byte data[1472];
    for (std::size_t i = 0; i < sizeof data; ++i) data[i] = static_cast<std::byte>(i);
    const siphash_key key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

    const std::uint64_t base = count([] {});
    const std::uint64_t mac32 = count([&] { sink = siphash(key, {data, 32}); }) - base;
    const std::uint64_t mac1024 = count([&] { sink = siphash(key, {data, 1024}); }) - base;

    appliance_session<4> app(key, 9);
    client_session cli(key, 1, 1, 9);
    std::byte cmd[max_datagram];
    std::byte reply[max_datagram];
    const std::size_t n = cli.seal(block_port{{l4_protocol::tcp, traffic_direction::inbound, 22}}, cmd).size;
    const std::uint64_t handle = count([&] {
        const opened o = app.open({cmd, n});
        sink = app.seal(ack{o.hdr.seq, 1, o.hdr.type, status::ok, 0, 0}, o.hdr.channel, reply).size;
    }) - base;
    cmd[20] ^= std::byte{1};  // a forged sequence number: must be refused at the tag
    const std::uint64_t forged = count([&] { sink = static_cast<std::uint64_t>(app.open({cmd, n}).error); }) - base;
    const bool ok = app.open({cmd, n}).error == wire_error::bad_mac;

    line("riscv.wire_insns_mac_32_bytes", mac32);
    line("riscv.wire_insns_per_mac_byte_x100", (mac1024 - mac32) * 100 / (1024 - 32));
    line("riscv.wire_insns_command_open_ack", handle);
    line("riscv.wire_insns_forged_reject", forged);
    *test_dev = ok ? 0x5555 : ((1u << 16) | 0x3333);
    for (;;) {
    }
}
