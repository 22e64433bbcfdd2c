#pragma once
// Test helper: rule texts -> compiled image -> evaluate, returning the reported sids in order.
#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <secengine/rules/db.hpp>
#include <secengine/rules/evaluate.hpp>

#include "rules_compiler.hpp"
#include "rules_parser.hpp"

namespace test {

using namespace secengine;

inline std::span<const std::byte> bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

struct engine {
    rulesc::compiled_db db;
    rules::db_view view;
    std::vector<std::uint32_t> scratch = std::vector<std::uint32_t>(4096);
    std::array<std::uint64_t, 4> flowbits{};
    rules::threshold_table<64> thresholds;
    rules::eval_result last;

    explicit engine(const std::vector<std::string>& texts, rulesc::rule_vars vars = rulesc::default_vars(),
                    rulesc::prefilter_layout layout = {}) {
        rulesc::classification classes;
        std::vector<rulesc::parsed_rule> parsed;
        for (const auto& t : texts) {
            rulesc::parsed_rule r;
            const auto o = rulesc::parse_rule(t, vars, classes, r);
            INFO(t << " -> " << o.message);
            REQUIRE(o.st == rulesc::parse_outcome::status::ok);
            parsed.push_back(std::move(r));
        }
        db = rulesc::compile(parsed, layout);
        REQUIRE(db.error.empty());
        REQUIRE(rules::db_view::open(std::span(db.image), view) == rules::db_error::ok);
    }

    std::vector<std::uint32_t> run(const rules::packet_context& p, std::uint64_t now = 0) {
        std::vector<std::uint32_t> sids;
        rules::eval_state st;
        st.flowbits = flowbits;
        st.thresholds = &thresholds;
        st.candidates = scratch;
        last = rules::evaluate(view, p, st, now, [&](const rules::alert_info& a) { sids.push_back(a.sid); });
        return sids;
    }
};

/// A to-server TCP packet 192.168.1.10:40000 -> 10.0.0.5:80 with the given payload.
struct packet {
    http::buffer_set bufs;
    rules::packet_context ctx;
    std::deque<std::string> keep;  // stable addresses for the buffer views

    packet(const packet&) = delete;  // ctx.buffers points into this object
    packet& operator=(const packet&) = delete;
    explicit packet(const std::string& payload = {}) {
        ctx.src = rules::ipv4_address(0xC0A8010A);
        ctx.dst = rules::ipv4_address(0x0A000005);
        ctx.sport = 40000;
        ctx.dport = 80;
        ctx.established = true;
        ctx.buffers = &bufs;
        set(http::buffer::payload, payload);
        ctx.dsize = static_cast<std::uint32_t>(payload.size());
    }
    packet& set(http::buffer b, std::string s) {
        keep.push_back(std::move(s));
        bufs.set(b, bytes(keep.back()));
        return *this;
    }
};

}  // namespace test
