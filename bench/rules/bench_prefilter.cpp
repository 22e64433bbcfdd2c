// Rule engine prefilter cost per payload byte as the rule count grows (10 .. 10,000 rules), on a
// 16 KiB payload of random letters that holds 4 planted hits, timed in thread CPU time:
//  - rules.prefilter_ns_per_byte.<N>: whole evaluate() with the host's layout, literal tables
//    (format v4, secengine/rules/literal_prefilter.hpp; what secreplay runs), per payload byte;
//    rules.candidates.<N>, rules.db_bytes.<N>;
//  - rules.literal_scan_ns_per_byte.<N> the literal scan alone (the fastest path the CPU and the
//    table have: the byte-sliced filter on AVX-512 VBMI + GFNI, else AVX2, else portable),
//    rules.literal_avx2_ns_per_byte.<N> the AVX2 path alone (Teddy or the gather),
//    rules.literal_scalar_ns_per_byte.<N> the portable path alone, rules.literal_slice_tables.<N>
//    the byte-sliced filter's tables (0: none),
//    rules.literal_bytes.<N> the table's bytes;
//  - the same evaluate() with the automata (the kernel's walk, start and skip tables):
//    _automaton, and without start tables: _no_start_table;
//  - Hyperscan (libhs, issue 11's peer) on the same literals, caseless, block mode:
//    rules.hyperscan_ns_per_byte.<N>, rules.hyperscan_bytes.<N> (database + scratch),
//    rules.ratio_to_hyperscan.<N> = Hyperscan's ns/byte over the literal scan's (both find every
//    occurrence of every literal: the counts must agree, else the bench fails),
//    rules.memory_ratio_to_hyperscan.<N> = literal table bytes over Hyperscan's,
//    rules.evaluate_ratio_to_hyperscan.<N> (over the whole evaluate(), the candidates' full
//    checks included), rules.automaton_ratio_to_hyperscan.<N> and
//    rules.image_memory_ratio_to_hyperscan.<N> (the automaton image, as before the literal tables).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#ifdef SECENGINE_BENCH_HYPERSCAN
#include <hs/hs.h>
#endif

#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>
#include <secengine/rules/literal_prefilter.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

using namespace secengine;

namespace {

// Thread CPU time: the build machine is shared (load 5-12 on 2 cores), and wall time would count
// the other jobs' time slices against whichever side happened to be preempted.
struct cpu_clock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<cpu_clock>;
    static time_point now() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(duration(static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec));
    }
};

// The one timing loop of this bench: reps runs of f, thread CPU time per run per payload byte.
template <class F>
double ns_per_byte(int reps, std::size_t bytes, F&& f) {
    const auto t0 = cpu_clock::now();
    for (int r = 0; r < reps; ++r) f();
    const auto t1 = cpu_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / reps / static_cast<double>(bytes);
}

#ifdef SECENGINE_BENCH_HYPERSCAN
struct hyperscan_figures {
    double ns_per_byte = 0;
    std::size_t bytes = 0;
    std::size_t matches = 0;
};

// Hyperscan's literal API on the same patterns and payload, timed like evaluate() above.
hyperscan_figures run_hyperscan(const std::vector<std::string>& pats, const std::string& data, int reps) {
    std::vector<const char*> exprs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags, ids;
    for (std::size_t i = 0; i < pats.size(); ++i) {
        exprs.push_back(pats[i].data());
        lens.push_back(pats[i].size());
        flags.push_back(HS_FLAG_CASELESS);
        ids.push_back(static_cast<unsigned>(i + 1));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(pats.size()),
                             HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
        std::fprintf(stderr, "bench_prefilter: hyperscan compile: %s\n", err != nullptr ? err->message : "?");
        std::exit(1);
    }
    hs_scratch_t* scratch = nullptr;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) std::exit(1);
    std::size_t db_bytes = 0, scratch_bytes = 0;
    hs_database_size(db, &db_bytes);
    hs_scratch_size(scratch, &scratch_bytes);
    hyperscan_figures f;
    f.bytes = db_bytes + scratch_bytes;
    auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
        ++*static_cast<std::size_t*>(ctx);
        return 0;
    };
    f.ns_per_byte = ns_per_byte(reps, data.size(), [&] {
        f.matches = 0;
        hs_scan(db, data.data(), static_cast<unsigned>(data.size()), 0, scratch, on_match, &f.matches);
    });
    hs_free_scratch(scratch);
    hs_free_database(db);
    return f;
}
#endif

}  // namespace

int main() {
    std::mt19937 rng(42);
    const rulesc::rule_vars vars = rulesc::default_vars();
    std::string payload;
    for (int i = 0; i < 16384; ++i) payload += "abcdefghijklmnopqrstuvwxyz /=&?.ABCDEFGHIJ0123456789"[rng() % 52];
    for (std::size_t n : {10u, 100u, 1000u, 10000u}) {
        std::vector<rulesc::parsed_rule> rules_in;
        std::vector<std::string> pats;
        for (std::size_t i = 0; i < n; ++i) {
            std::string p;
            const int len = 6 + static_cast<int>(rng() % 7);
            for (int k = 0; k < len; ++k) p += "abcdefghijklmnopqrstuvwxyz_"[rng() % 27];
            pats.push_back(p);
            rulesc::parsed_rule r;
            const std::string text = "alert tcp any any -> any any (content:\"" + p + "\"; nocase; sid:" + std::to_string(i + 1) + ";)";
            if (rulesc::parse_rule(text, vars, {}, r).st != rulesc::parse_outcome::status::ok) return 1;
            rules_in.push_back(std::move(r));
        }
        std::string data = payload;
        for (int k = 0; k < 4; ++k) data.replace(static_cast<std::size_t>(k) * 4000, pats[static_cast<std::size_t>(k) % n].size(), pats[static_cast<std::size_t>(k) % n]);
        double ours_ns = 0, lit_ns = 0, scan_only_ns = 0;
        std::size_t lit_found = 0;
        std::size_t ours_bytes = 0, lit_bytes = 0;
        {
            // The literal table layout (no automaton): evaluate() and the scalar scan alone.
            const rulesc::compiled_db db = rulesc::compile(rules_in, {rulesc::default_dense_rows, true, true, false});
            rules::db_view v;
            if (rules::db_view::open(std::span(db.image), v) != rules::db_error::ok) return 1;
            http::buffer_set bufs;
            const auto bytes = std::span(reinterpret_cast<const std::byte*>(data.data()), data.size());
            bufs.set(http::buffer::payload, bytes);
            rules::packet_context p;
            p.buffers = &bufs;
            p.dsize = static_cast<std::uint32_t>(data.size());
            std::vector<std::uint32_t> scratch(4096);
            rules::eval_state st{{}, nullptr, scratch};
            std::size_t alerts = 0;
            rules::eval_result res;
            const int reps = 400;
            lit_ns = ns_per_byte(reps, data.size(), [&] { res = rules::evaluate(v, p, st, 0, [&](const rules::alert_info&) { ++alerts; }); });
            const std::uint32_t t = v.literal_table(http::buffer::payload);
            lit_bytes = rules::literal_table_bytes(v.bytes(), t);
            std::size_t found = 0;
            bool overflow = false;
            auto scan_ns = [&](rules::literal_path path) {
                return ns_per_byte(reps, data.size(), [&] {
                    found = 0;
                    rules::literal_scan(v.bytes(), t, bytes, scratch, found, overflow, path);
                });
            };
            const double scalar_ns = scan_ns(rules::literal_path::scalar);
            const double avx2_ns = scan_ns(rules::literal_path::simd);
            scan_only_ns = scan_ns(rules::literal_path::automatic);
            const rules::detail::literal_table lt(v.bytes().data(), t);
            std::printf("rules.literal_scan_ns_per_byte.%zu=%.3f\n", n, scan_only_ns);
            std::printf("rules.prefilter_ns_per_byte.%zu=%.3f\n", n, lit_ns);
            std::printf("rules.literal_scalar_ns_per_byte.%zu=%.3f\n", n, scalar_ns);
            std::printf("rules.literal_avx2_ns_per_byte.%zu=%.3f\n", n, avx2_ns);
            std::printf("rules.literal_simd.%zu=%d\n", n, rules::literal_simd_available() ? 1 : 0);
            std::printf("rules.literal_simd512.%zu=%d\n", n, rules::literal_simd512_available() ? 1 : 0);
            std::printf("rules.literal_slice_tables.%zu=%u\n", n, lt.slices != rules::none32 ? lt.slice_tables() : 0u);
            std::printf("rules.candidates.%zu=%u\n", n, res.candidates);
            std::printf("rules.literal_matches.%zu=%zu\n", n, found);
            lit_found = found;
            std::printf("rules.literal_bytes.%zu=%zu\n", n, lit_bytes);
            std::printf("rules.db_bytes.%zu=%zu\n", n, db.image.size());
            if (alerts == 0 || found == 0 || overflow) return 1;
        }
        // The default layout (start tables on) and the same rules without start tables.
        for (const bool start_tables : {true, false}) {
            const rulesc::compiled_db db = rulesc::compile(rules_in, {rulesc::default_dense_rows, start_tables});
            rules::db_view v;
            if (rules::db_view::open(std::span(db.image), v) != rules::db_error::ok) return 1;
            http::buffer_set bufs;
            bufs.set(http::buffer::payload, std::span(reinterpret_cast<const std::byte*>(data.data()), data.size()));
            rules::packet_context p;
            p.buffers = &bufs;
            p.dsize = static_cast<std::uint32_t>(data.size());
            std::vector<std::uint32_t> scratch(4096);
            rules::eval_state st{{}, nullptr, scratch};
            std::size_t alerts = 0;
            rules::eval_result res;
            const int reps = 200;
            const double ns = ns_per_byte(reps, data.size(), [&] { res = rules::evaluate(v, p, st, 0, [&](const rules::alert_info&) { ++alerts; }); });
            const char* suffix = start_tables ? "_automaton" : "_no_start_table";
            std::printf("rules.prefilter_ns_per_byte%s.%zu=%.3f\n", suffix, n, ns);
            std::printf("rules.candidates%s.%zu=%u\n", suffix, n, res.candidates);
            std::printf("rules.db_bytes%s.%zu=%zu\n", suffix, n, db.image.size());
            if (alerts == 0) return 1;
            if (start_tables) {
                ours_ns = ns;
                ours_bytes = db.image.size();
            }
        }
#ifdef SECENGINE_BENCH_HYPERSCAN
        const hyperscan_figures h = run_hyperscan(pats, data, 200);
        if (h.matches == 0) return 1;  // the planted hits must be found by both
        std::printf("rules.hyperscan_ns_per_byte.%zu=%.3f\n", n, h.ns_per_byte);
        std::printf("rules.hyperscan_bytes.%zu=%zu\n", n, h.bytes);
        if (h.matches != lit_found) {
            std::fprintf(stderr, "bench_prefilter: %zu literals: hyperscan found %zu occurrences, the literal scan %zu\n", n, h.matches, lit_found);
            return 1;
        }
        std::printf("rules.ratio_to_hyperscan.%zu=%.3f\n", n, h.ns_per_byte / scan_only_ns);
        std::printf("rules.memory_ratio_to_hyperscan.%zu=%.3f\n", n, static_cast<double>(lit_bytes) / static_cast<double>(h.bytes));
        std::printf("rules.evaluate_ratio_to_hyperscan.%zu=%.3f\n", n, h.ns_per_byte / lit_ns);
        std::printf("rules.automaton_ratio_to_hyperscan.%zu=%.3f\n", n, h.ns_per_byte / ours_ns);
        std::printf("rules.image_memory_ratio_to_hyperscan.%zu=%.3f\n", n, static_cast<double>(ours_bytes) / static_cast<double>(h.bytes));
#else
        (void)ours_ns;
        (void)ours_bytes;
        (void)lit_ns;
        (void)lit_bytes;
        (void)lit_found;
        (void)scan_only_ns;
#endif
    }
    return 0;
}
