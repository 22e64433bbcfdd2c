// RV64 cost of the injection detector per parameter byte (riscv.insns_per_param_byte), measured
// with minstret under QEMU -icount (exact guest instruction counts, docs/unikernel.md, "QEMU command lines").
// Each corpus line is classified as a cookie value (percent-decoded, no '+' rule) with the
// kernel's 1 KiB scratch; the count covers decoding, all four SQL contexts, the command, path
// and XSS scanners. Output on the UART as name=value lines, then the sifive_test "pass" write
// (the bare-metal harness: bench/common/riscv_harness.hpp).
#include <cstddef>
#include <cstdint>

#include "secengine/inject/detector.hpp"

#include "riscv_harness.hpp"

extern "C" {
extern const char corpus_sqlmap[], corpus_sqlmap_end[], corpus_prose[], corpus_prose_end[];
}

namespace {
using bench_riscv::instret;
using bench_riscv::put;
using bench_riscv::put_u64;

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
    put_u64(r.insns / r.bytes);
    put(".");
    put_u64((r.insns * 100 / r.bytes) % 100 / 10);
    put_u64((r.insns * 100 / r.bytes) % 10);
    put("\nriscv.insns_per_param.");
    put(name);
    put("=");
    put_u64(r.insns / r.values);
    put("\ndetect.riscv_attacks.");
    put(name);
    put("=");
    put_u64(r.attacks);
    put("/");
    put_u64(r.values);
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
    put_u64(all.insns / all.bytes);
    put(".");
    put_u64((all.insns * 100 / all.bytes) % 100 / 10);
    put_u64((all.insns * 100 / all.bytes) % 10);
    put("\n");
    bench_riscv::finish(true);
}
