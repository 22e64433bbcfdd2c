// RV64 cost of the injection detector per parameter byte (riscv.insns_per_param_byte), measured
// with minstret under QEMU -icount (exact guest instruction counts, DESIGN.md section 6).
// Each corpus line is classified as a cookie value (percent-decoded, no '+' rule) with the
// kernel's 1 KiB scratch; the count covers decoding, all four SQL contexts, the command, path
// and XSS scanners. Output on the UART as name=value lines, then the sifive_test "pass" write.
#include <cstddef>
#include <cstdint>

#include "secengine/inject/detector.hpp"

extern "C" {
extern const char corpus_sqlmap[], corpus_sqlmap_end[], corpus_prose[], corpus_prose_end[];
// What the kernel's board/riscv-virt/libc.cpp provides too: the compiler calls them for struct
// copies and zeroing, std::char_traits<char>::find calls memchr.
void* memset(void* d, int c, std::size_t n) {
    auto* p = static_cast<unsigned char*>(d);
    while (n--) *p++ = static_cast<unsigned char>(c);
    return d;
}
void* memcpy(void* d, const void* s, std::size_t n) {
    auto* p = static_cast<unsigned char*>(d);
    const auto* q = static_cast<const unsigned char*>(s);
    while (n--) *p++ = *q++;
    return d;
}
void* memmove(void* d, const void* s, std::size_t n) {
    auto* p = static_cast<unsigned char*>(d);
    const auto* q = static_cast<const unsigned char*>(s);
    if (p < q) while (n--) *p++ = *q++;
    else { p += n; q += n; while (n--) *--p = *--q; }
    return d;
}
void* memchr(const void* s, int c, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(s);
    for (; n; --n, ++p)
        if (*p == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p);
    return nullptr;
}
int memcmp(const void* a, const void* b, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(a);
    const auto* q = static_cast<const unsigned char*>(b);
    for (; n; --n, ++p, ++q)
        if (*p != *q) return *p < *q ? -1 : 1;
    return 0;
}
}

namespace {
volatile std::uint8_t* const uart = reinterpret_cast<volatile std::uint8_t*>(0x10000000);
volatile std::uint32_t* const sifive_test = reinterpret_cast<volatile std::uint32_t*>(0x100000);

void put(const char* s) {
    while (*s) *uart = static_cast<std::uint8_t>(*s++);
}
void put_dec(std::uint64_t v) {
    char b[24];
    int n = 0;
    do { b[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
    while (n) *uart = static_cast<std::uint8_t>(b[--n]);
}
std::uint64_t instret() {
    std::uint64_t v;
    asm volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

struct result { std::uint64_t insns, bytes, values, attacks; };

result run(const char* begin, const char* end) {
    secengine::inject::detector<1024> det;
    result r{0, 0, 0, 0};
    const char* line = begin;
    for (const char* p = begin; p < end; ++p) {
        if (*p != '\n') continue;
        const std::string_view v(line, static_cast<std::size_t>(p - line));
        const std::uint64_t t0 = instret();
        const auto d = det.classify(v, secengine::inject::param_source::cookie);
        r.insns += instret() - t0;
        r.bytes += v.size();
        r.values += 1;
        r.attacks += d.attack();
        line = p + 1;
    }
    return r;
}

void report(const char* name, const result& r) {
    put("riscv.insns_per_param_byte.");
    put(name);
    put("=");
    put_dec(r.insns / r.bytes);
    put(".");
    put_dec((r.insns * 100 / r.bytes) % 100 / 10);
    put_dec((r.insns * 100 / r.bytes) % 10);
    put("\nriscv.insns_per_param.");
    put(name);
    put("=");
    put_dec(r.insns / r.values);
    put("\ndetect.riscv_attacks.");
    put(name);
    put("=");
    put_dec(r.attacks);
    put("/");
    put_dec(r.values);
    put("\n");
}
}  // namespace

extern "C" void bench_main() {
    const result s = run(corpus_sqlmap, corpus_sqlmap_end);
    const result p = run(corpus_prose, corpus_prose_end);
    report("sqlmap", s);
    report("benign_prose", p);
    const result all{s.insns + p.insns, s.bytes + p.bytes, s.values + p.values, s.attacks + p.attacks};
    put("riscv.insns_per_param_byte=");
    put_dec(all.insns / all.bytes);
    put(".");
    put_dec((all.insns * 100 / all.bytes) % 100 / 10);
    put_dec((all.insns * 100 / all.bytes) % 10);
    put("\n");
    *sifive_test = 0x5555;
    for (;;) {}
}
