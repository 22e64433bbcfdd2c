// libFuzzer target: compiler + evaluator. The input is rule lines, a NUL, then a payload (the
// payload also serves as the http.uri buffer). Every accepted rule set compiles to an image
// db_view accepts; evaluation never faults, reports each rule at most once, and reports the
// same with a tiny candidate scratch (overflow path) as with a large one, and the same set from
// an image without start tables or dense rows (the plain sparse walk). A second pass feeds
// the raw input, resealed, as an image: it is refused or evaluated without a fault.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

using namespace secengine;

namespace {

std::vector<std::uint32_t> run(const rules::db_view& v, const rules::packet_context& p, std::size_t scratch_size) {
    std::vector<std::uint32_t> scratch(scratch_size), out;
    std::array<std::uint64_t, 2> bits{};
    rules::threshold_table<4> thr;
    rules::eval_state st{bits, &thr, scratch};
    (void)rules::evaluate(v, p, st, 0, [&](const rules::alert_info& a) { out.push_back(a.rule); });
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const rulesc::rule_vars vars = rulesc::default_vars();
    const std::string in(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = in.find('\0');
    const std::string text = in.substr(0, nul), payload = nul == std::string::npos ? std::string() : in.substr(nul + 1);
    std::vector<rulesc::parsed_rule> rules_in;
    std::set<std::pair<std::uint32_t, std::uint32_t>> sids;
    std::size_t start = 0;
    while (start <= text.size() && rules_in.size() < 64) {
        const std::size_t e = std::min(text.find('\n', start), text.size());
        rulesc::parsed_rule r;
        if (rulesc::parse_rule(std::string_view(text).substr(start, e - start), vars, {}, r).st == rulesc::parse_outcome::status::ok &&
            sids.insert({r.gid, r.sid}).second)
            rules_in.push_back(std::move(r));
        start = e + 1;
    }
    http::buffer_set bufs;
    const auto bytes = std::span(reinterpret_cast<const std::byte*>(payload.data()), payload.size());
    bufs.set(http::buffer::payload, bytes);
    bufs.set(http::buffer::uri, bytes);
    rules::packet_context p;
    p.buffers = &bufs;
    p.app = rules::app_protocol::http;
    p.dsize = static_cast<std::uint32_t>(payload.size());
    if (!rules_in.empty()) {
        const rulesc::compiled_db db = rulesc::compile(rules_in);
        rules::db_view v;
        if (!db.error.empty() || rules::db_view::open(std::span(db.image), v) != rules::db_error::ok) std::abort();
        const auto a = run(v, p, 1024), b = run(v, p, 1);
        if (std::set<std::uint32_t>(a.begin(), a.end()).size() != a.size()) std::abort();
        if (a != b) std::abort();
        // Without start tables and dense rows (the plain sparse walk): the same rules match.
        const rulesc::compiled_db plain = rulesc::compile(rules_in, {1, false});
        rules::db_view pv;
        if (!plain.error.empty() || rules::db_view::open(std::span(plain.image), pv) != rules::db_error::ok) std::abort();
        const auto c = run(pv, p, 1024);
        if (std::set<std::uint32_t>(a.begin(), a.end()) != std::set<std::uint32_t>(c.begin(), c.end())) std::abort();
        // Literal tables (format v4) instead of automata: the same alerts, in the same order.
        const rulesc::compiled_db lit = rulesc::compile(rules_in, {rulesc::default_dense_rows, true, true, false});
        rules::db_view lv;
        if (!lit.error.empty() || rules::db_view::open(std::span(lit.image), lv) != rules::db_error::ok) std::abort();
        if (run(lv, p, 1024) != a || run(lv, p, 1) != a) std::abort();
    }
    // Raw bytes as an image.
    if (size >= rules::hdr::size) {
        std::vector<std::byte> img(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
        for (std::size_t i = 0; i < 8; ++i) img[i] = std::byte{rules::db_magic[i]};
        auto put = [&](std::size_t at, std::uint32_t v) {
            for (int i = 0; i < 4; ++i) img[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
        };
        put(rules::hdr::version, rules::db_version);
        put(rules::hdr::length, static_cast<std::uint32_t>(size & ~std::size_t{3}));
        put(rules::hdr::buffer_count, static_cast<std::uint32_t>(http::buffer_count));
        put(rules::hdr::checksum, rules::image_checksum(img.data(), size & ~std::size_t{3}));
        rules::db_view v;
        if (rules::db_view::open(std::span(img), v) == rules::db_error::ok) (void)run(v, p, 64);
    }
    return 0;
}
