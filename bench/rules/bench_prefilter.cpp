// Rule engine prefilter cost per payload byte as the rule count grows (10 .. 10,000 rules):
// prints rules.prefilter_ns_per_byte.<N> (whole evaluate() on a 16 KiB payload that holds a few
// hits, divided by the bytes) and rules.candidates.<N>, rules.db_bytes.<N>; the same names with
// _no_start_table for images compiled without start tables (secrules --no-start-tables).
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

using namespace secengine;

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
            const auto t0 = std::chrono::steady_clock::now();
            for (int r = 0; r < reps; ++r) res = rules::evaluate(v, p, st, 0, [&](const rules::alert_info&) { ++alerts; });
            const auto t1 = std::chrono::steady_clock::now();
            const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / reps / static_cast<double>(data.size());
            const char* suffix = start_tables ? "" : "_no_start_table";
            std::printf("rules.prefilter_ns_per_byte%s.%zu=%.3f\n", suffix, n, ns);
            std::printf("rules.candidates%s.%zu=%u\n", suffix, n, res.candidates);
            std::printf("rules.db_bytes%s.%zu=%zu\n", suffix, n, db.image.size());
            if (alerts == 0) return 1;
        }
    }
    return 0;
}
