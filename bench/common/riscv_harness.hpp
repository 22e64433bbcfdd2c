#pragma once
// The bare-metal RV64 benchmark harness: what every guest-instruction benchmark needs around its
// measurement on QEMU virt with -bios none and -icount shift=0 (minstret then counts guest
// instructions exactly, docs/performance.md): the C library functions the compiler calls for
// aggregate copies (there is no libc here), name=value lines on the 16550 UART, minstret reads,
// and the sifive_test exit code that ends QEMU. Used by bench/wire/riscv_wire.cpp,
// bench/stream/riscv_stream.cpp and bench/detect/riscv/probe.cpp; built and run by
// scripts/bench_bare_riscv.sh (start code and linker script beside this file).
//
// It defines the extern "C" functions, so exactly one translation unit of a benchmark image
// includes it (each image is one .cpp). Device addresses: QEMU hw/riscv/virt.c (virt_memmap).
#include <cstddef>
#include <cstdint>

extern "C" {
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
    if (o < i) {
        while (n--) *o++ = *i++;
    } else {
        o += n;
        i += n;
        while (n--) *--o = *--i;
    }
    return d;
}
int memcmp(const void* a, const void* b, std::size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (; n; --n, ++x, ++y)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}
// std::char_traits<char>::find (string_view) calls it.
void* memchr(const void* s, int c, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(s);
    for (; n; --n, ++p)
        if (*p == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p);
    return nullptr;
}
}

namespace bench_riscv {

/// QEMU virt's 16550 UART (transmit holding register at offset 0).
inline volatile std::uint8_t* const uart = reinterpret_cast<volatile std::uint8_t*>(0x10000000);
/// QEMU virt's sifive_test device: 0x5555 ends QEMU with status 0, (code << 16) | 0x3333 with `code`.
inline volatile std::uint32_t* const test_dev = reinterpret_cast<volatile std::uint32_t*>(0x100000);

// The output functions are never inlined: printing must not change how the compiler allocates
// registers around a measured region (inlined, they moved the stream figures by up to 5).
[[gnu::noinline]] inline void put(const char* s) {
    while (*s) *uart = static_cast<std::uint8_t>(*s++);
}

[[gnu::noinline]] inline void put_u64(std::uint64_t v) {
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do buf[--i] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
    put(buf + i);
}

/// `name=v`.
[[gnu::noinline]] inline void line(const char* name, std::uint64_t v) {
    put(name);
    put("=");
    put_u64(v);
    put("\n");
}

/// `name<size>=v`, for one figure per payload size.
[[gnu::noinline]] inline void line(const char* name, std::size_t size, std::uint64_t v) {
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

/// Guest instructions of `f()` including the two reads; subtract `count([] {})` for `f` alone.
template <class F>
std::uint64_t count(F&& f) {
    const std::uint64_t t0 = instret();
    f();
    return instret() - t0;
}

/// Where measured results go so that the compiler cannot drop the work.
inline volatile std::uint64_t sink;

/// Ends the run: QEMU exits 0 when `ok`, 1 when a benchmark's own check failed.
[[noreturn]] inline void finish(bool ok) {
    *test_dev = ok ? 0x5555 : ((1u << 16) | 0x3333);
    for (;;) {
    }
}

}  // namespace bench_riscv
