#pragma once
/// \file Boot-time self-benchmark (`selfbench=1`): guest instructions retired per interpreted eBPF
/// instruction and per DPI payload byte, read from `minstret` around the work. Exact and
/// repeatable only under QEMU `-icount shift=0,sleep=off` (docs/unikernel.md "QEMU command lines");
/// scripts/bench_riscv_vm.py turns the lines into `riscv.insns_per_ebpf_insn` and
/// `riscv.insns_per_payload_byte` (docs/performance.md).
///
/// Each figure is a difference of two measurements that share every fixed cost (the csrr
/// reads, the call, for eBPF the verifier run and the per-run setup and exit, for DPI the
/// empty scan), so only the marginal cost of one more eBPF loop-body instruction or one more
/// payload byte remains:
///
///     secengine: selfbench ebpf_insns=<n> riscv_insns=<m> load_and_runs_insns=<fixed>
///     secengine: selfbench dpi_bytes=<n> riscv_insns=<m> matches=<k> empty_scan_insns=<fixed>
///     secengine: selfbench http_requests=<n> riscv_insns=<m> request_bytes=<b> empty_packet_insns=<fixed>
///     secengine: selfbench rules_bytes=<n> riscv_insns=<m> candidates=<k> empty_walk_insns=<fixed>
///
/// The last one is slot 6 (rules + injection detector, rules/appliance_stage.hpp) on one HTTP
/// request carried by one TCP segment, minus the same segment without payload: what the request
/// itself costs (HTTP detection, parsing into the buffers, the packet/stream/HTTP units against the
/// built-in set, the detector on every parameter). The stage runs it as an untracked packet (fresh
/// session, no flow entry), so no connection state is left behind.
///
/// The rules line is the rule engine's prefilter walk alone (rules::detail::prefilter, the loop
/// per payload byte of stage 6) with the built-in database as the kernel compiles it (one dense
/// row, no start tables) over the same 1460 payload bytes, minus a walk over zero bytes.
///
/// The eBPF part borrows the engine's slot 5 (no extra RAM) and reloads the default program
/// afterwards; the payload is built by the compiler into .rodata (ROM, not the 64 KiB window).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <secengine/appliance.hpp>
#include <secengine/dpi/signatures.hpp>
#include <secengine/ebpf/alu_loop.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>
#include <secengine/rules/builtin_db.hpp>
#include <secengine/rules/evaluate.hpp>
#include <secengine/stage.hpp>

#include "timer.hpp"
#include "uart.hpp"

namespace kernel::selfbench {

/// One full-size TCP segment payload (1460 bytes, Ethernet MSS) of HTTP-like text: a request
/// head, then form-encoded body text from a fixed LCG, so the same bytes every build.
inline constexpr std::size_t payload_size = 1460;

[[nodiscard]] constexpr std::array<std::byte, payload_size> make_payload() noexcept {
    std::array<std::byte, payload_size> p{};
    constexpr char head[] =
        "POST /account/profile/update HTTP/1.1\r\n"
        "Host: www.example.org\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Language: en-GB,en;q=0.5\r\n"
        "Accept-Encoding: gzip, deflate, br\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=light; lang=en\r\n"
        "Connection: keep-alive\r\n"
        "Content-Length: 900\r\n\r\n";
    constexpr const char* words[] = {"name", "alice", "street", "main", "city", "springfield", "note",
                                     "hello", "world", "order", "42", "item", "blue", "shirt", "size",
                                     "medium", "comment", "thanks", "for", "the", "quick", "delivery"};
    std::size_t i = 0;
    for (; head[i] != '\0' && i < payload_size; ++i) p[i] = static_cast<std::byte>(head[i]);
    std::uint32_t x = 12345;
    std::size_t k = 0;
    while (i < payload_size) {
        x = x * 1103515245u + 12345u;
        const char* w = words[(x >> 16) % (sizeof words / sizeof words[0])];
        for (std::size_t j = 0; w[j] != '\0' && i < payload_size; ++j) p[i++] = static_cast<std::byte>(w[j]);
        if (i < payload_size) p[i++] = static_cast<std::byte>((++k & 1) ? '=' : '&');
    }
    return p;
}

inline constexpr std::array<std::byte, payload_size> payload = make_payload();

namespace detail {
/// Hide a value from the optimiser: the work cannot move across the (volatile) csrr reads,
/// because its input is produced and its output consumed by volatile asms ordered with them.
template <class T>
inline void opaque(T& v) { asm volatile("" : "+r"(v)::"memory"); }
}  // namespace detail

/// minstret around `runs` runs of the ALU loop with `iterations` rounds in `prog`.
template <class Program>
[[gnu::noinline]] std::uint64_t measure_alu(Program& prog, std::int32_t iterations, std::uint32_t runs,
                                            std::uint64_t& ebpf_insns) noexcept {
    detail::opaque(iterations);
    const std::uint64_t t0 = board::instret();
    detail::opaque(iterations);
    std::uint64_t n = secengine::ebpf::run_alu_loop(prog, iterations, runs);
    detail::opaque(n);
    const std::uint64_t t1 = board::instret();
    ebpf_insns = n;
    return t1 - t0;
}

/// minstret around `runs` scans of `data` with the kernel's default automaton.
[[gnu::noinline]] inline std::uint64_t measure_scan(std::span<const std::byte> data, std::uint32_t runs,
                                                    std::size_t& matches) noexcept {
    const std::byte* ptr = data.data();
    std::size_t len = data.size();
    std::size_t m = 0;
    const std::uint64_t t0 = board::instret();
    for (std::uint32_t r = 0; r < runs; ++r) {
        detail::opaque(ptr);
        detail::opaque(len);
        std::size_t hits = secengine::dpi::bench_scan_payload({ptr, len});
        detail::opaque(hits);
        m += hits;
    }
    const std::uint64_t t1 = board::instret();
    matches = m;
    return t1 - t0;
}

/// minstret around `runs` prefilter walks of `data` with the built-in database's payload automaton.
[[gnu::noinline]] inline std::uint64_t measure_rules_walk(const secengine::rules::db_view& db, std::span<const std::byte> data,
                                                          std::uint32_t runs, std::size_t& candidates) noexcept {
    std::array<std::uint32_t, 32> out{};  // on the stack during the boot-time bench only
    const std::uint32_t a = db.automaton(secengine::http::buffer::payload);
    const std::byte* ptr = data.data();
    std::size_t len = data.size();
    std::size_t total = 0;
    const std::uint64_t t0 = board::instret();
    for (std::uint32_t r = 0; r < runs; ++r) {
        detail::opaque(ptr);
        detail::opaque(len);
        std::size_t n = 0;
        bool overflow = false;
        secengine::rules::detail::prefilter(db, a, {ptr, len}, out, n, overflow);
        detail::opaque(n);
        total += n;
    }
    const std::uint64_t t1 = board::instret();
    candidates = total;
    return t1 - t0;
}

/// A typical browser GET with a query (no attack: every scanner runs to the end).
inline constexpr char http_request[] =
    "GET /shop/search?q=blue+shirt+medium&sort=price&page=2 HTTP/1.1\r\n"
    "Host: www.example.org\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Referer: https://www.example.org/shop/\r\n"
    "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=light\r\n\r\n";

/// minstret around `runs` inspections by slot 6 of one TCP segment carrying `payload`.
/// The slot runs with the pipeline's own alert ring (`Ring`), so the kernel holds one instance of
/// slot 6's inspection code: the plain `inspect(ctx)` form would instantiate a second copy of
/// the whole rules/HTTP/DNS path (~20 KB of RV64 .text) for this measurement alone.
template <class Slot6, class Ring>
[[gnu::noinline]] std::uint64_t measure_slot6(Slot6& s6, Ring& ring, std::span<const std::byte> data, std::uint32_t runs) noexcept {
    std::array<std::byte, 640> frame{};
    secengine::net::frame_builder b{frame};
    b.ethernet({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2})
        .ipv4(0x0a00000a, 0x0a000014, secengine::net::ipproto::tcp)
        .tcp(40000, 80, 0x18, 1, 1)
        .payload(data);
    const std::span<std::byte> f{frame.data(), b.finish()};
    secengine::net::packet_view p;
    if (secengine::net::parse(f, p) != secengine::net::parse_error::none) return 0;
    const std::uint64_t t0 = board::instret();
    for (std::uint32_t r = 0; r < runs; ++r) {
        const secengine::stage_decision d = s6.inspect(secengine::stage_context{p, f, nullptr, true, r}, ring);
        std::uint32_t v = d.detail;
        detail::opaque(v);
    }
    return board::instret() - t0;
}

/// Runs the measurements and prints the `selfbench` lines. `Stage` is the engine's slot 5
/// (appliance::default_ebpf_stage): its program is replaced for the ALU loop and the default
/// program is loaded again at the end.
template <class Stage, class Slot6, class Ring>
void run(Stage& slot5, Slot6& slot6, Ring& ring) {
    namespace uart = board::uart;
    auto& prog = slot5.prog();
    const std::uint64_t saved_budget = prog.budget;
    constexpr std::int32_t iterations = 1000;  // 7000 loop-body insns per run: inside the default budget
    constexpr std::uint32_t runs = 20;
    prog.budget = 8ull * iterations;
    std::uint64_t big_n = 0, small_n = 0;
    const std::uint64_t big = measure_alu(prog, iterations, runs, big_n);
    const std::uint64_t small = measure_alu(prog, 1, runs, small_n);
    prog.budget = saved_budget;
    if (slot5.load(secengine::appliance::default_program, {}).ok())
        uart::puts("secengine: selfbench slot 5 default program reloaded\n");
    else
        uart::puts("secengine: selfbench slot 5 default program reload FAILED\n");
    uart::puts("secengine: selfbench ebpf_insns=");
    uart::put_dec(big_n > small_n ? big_n - small_n : 0);
    uart::puts(" riscv_insns=");
    uart::put_dec(big_n > small_n && big > small ? big - small : 0);
    uart::puts(" load_and_runs_insns=");
    uart::put_dec(small);
    uart::putc('\n');

    constexpr std::uint32_t scans = 8;
    std::size_t matches = 0, none = 0;
    const std::uint64_t full = measure_scan(payload, scans, matches);
    const std::uint64_t empty = measure_scan(std::span<const std::byte>{payload.data(), 0}, scans, none);
    uart::puts("secengine: selfbench dpi_bytes=");
    uart::put_dec(std::uint64_t{scans} * payload_size);
    uart::puts(" riscv_insns=");
    uart::put_dec(full > empty ? full - empty : 0);
    uart::puts(" matches=");
    uart::put_dec(matches);
    uart::puts(" empty_scan_insns=");
    uart::put_dec(empty);
    uart::putc('\n');

    const std::span<const std::byte> req{reinterpret_cast<const std::byte*>(http_request), sizeof http_request - 1};
    const std::uint64_t with = measure_slot6(slot6, ring, req, scans);
    const std::uint64_t without = measure_slot6(slot6, ring, {}, scans);
    uart::puts("secengine: selfbench http_requests=");
    uart::put_dec(scans);
    uart::puts(" riscv_insns=");
    uart::put_dec(with > without ? with - without : 0);
    uart::puts(" request_bytes=");
    uart::put_dec(req.size());
    uart::puts(" empty_packet_insns=");
    uart::put_dec(without);
    uart::putc('\n');

    secengine::rules::db_view db;
    if (secengine::rules::db_view::open(secengine::rules::embedded::builtin_db(), db) != secengine::rules::db_error::ok ||
        db.automaton(secengine::http::buffer::payload) == secengine::rules::none32) {
        uart::puts("secengine: selfbench rules: the built-in database has no payload automaton\n");
        return;
    }
    std::size_t cands = 0, no_cands = 0;
    const std::uint64_t walk = measure_rules_walk(db, payload, scans, cands);
    const std::uint64_t empty_walk = measure_rules_walk(db, std::span<const std::byte>{payload.data(), 0}, scans, no_cands);
    uart::puts("secengine: selfbench rules_bytes=");
    uart::put_dec(std::uint64_t{scans} * payload_size);
    uart::puts(" riscv_insns=");
    uart::put_dec(walk > empty_walk ? walk - empty_walk : 0);
    uart::puts(" candidates=");
    uart::put_dec(cands);
    uart::puts(" empty_walk_insns=");
    uart::put_dec(empty_walk);
    uart::putc('\n');
}

}  // namespace kernel::selfbench
