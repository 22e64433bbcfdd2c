// Signature listing (issue 13, wire/signature_page.hpp) with the real plane: signature_list
// pages carry each runtime signature's id, lane, hits and pattern and the DPI stage's real
// capacity; an add_signature refused with no_space names the numbers it ran into, and the
// shared client (apps/common/control_client) words them ("pool_full: 580 of 600 pattern bytes
// used").
#include <deque>
#include <random>

#include "control_client.hpp"
#include "plane_test_util.hpp"

using namespace plane_test;

namespace {

// The decoded page views the reply's bytes: they are kept here until the next listing (the
// answer must outlive the page - a temporary answer left `entries` dangling, found by ASan).
wire::signature_page list(appliance<>& a, client& c, std::uint16_t first, std::uint64_t now) {
    static std::deque<answer> kept;
    kept.push_back(exchange(a, c, wire::signature_list{first}, now));
    return reply_of<wire::signature_page>(kept.back());
}

std::vector<wire::signature_record> records(const wire::signature_page& p) {
    std::vector<wire::signature_record> v;
    std::size_t at = 0;
    for (std::size_t i = 0; i < p.count; ++i) {
        wire::signature_record r;
        REQUIRE(p.record(at, r, at));
        v.push_back(r);
    }
    REQUIRE(at == p.entries.size());
    return v;
}

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

static_assert(wire::max_payload_of<wire::signature_page> == wire::signature_page_fixed);

TEST_CASE("signature list: every signature with its lane, hits and pattern, and the real capacity", "[control][signatures]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto& ac = a.engine().dpi().automaton();
    using ac_type = std::remove_cvref_t<decltype(ac)>;
    const std::size_t base = ac.pattern_count();
    const auto raw = bytes_of("evil-payload");
    const auto txt = bytes_of("Union Select");
    REQUIRE(command(a, c, wire::add_signature{9001, 0, raw}, ++now).result == wire::status::ok);
    REQUIRE(command(a, c, wire::add_signature{9002, wire::signature_flag::nocase, txt}, ++now).result == wire::status::ok);
    auto f = tcp_frame(0xc0a80105, 80, "xx evil-payload xx", net::tcpflag::ack | net::tcpflag::psh);
    REQUIRE_FALSE(a.engine().process(f, ++now).pass());

    const wire::signature_page p = list(a, c, 0, ++now);
    CHECK(p.config_version == a.plane().config_version());
    CHECK(p.signatures == ac.pattern_count());
    CHECK(p.signatures == base + 2);
    CHECK(p.max_signatures == ac_type::max_patterns);
    CHECK(p.pool_bytes == ac_type::pool_bytes);
    CHECK(p.max_states == ac_type::max_states);
    CHECK(p.states_used == ac.state_count());
    std::size_t pool = 0;
    for (std::size_t i = 0; i < ac.pattern_count(); ++i) pool += ac.bytes(i).size();
    CHECK(p.pool_used == pool);
    CHECK(p.first == 0);
    const auto rs = records(p);
    REQUIRE(rs.size() == p.signatures);  // the kernel's set fits one page
    for (std::size_t i = 0; i < rs.size(); ++i) {
        CHECK(rs[i].id == ac.id(i));
        CHECK(rs[i].hits == ac.hits(i));
        CHECK(rs[i].lane == (ac.nocase(i) ? wire::signature_lane::text : wire::signature_lane::raw));
        CHECK(text(rs[i].pattern) == text(ac.bytes(i)));
    }
    const auto& r1 = rs[ac.find(9001)];
    CHECK(r1.lane == wire::signature_lane::raw);
    CHECK(text(r1.pattern) == "evil-payload");
    CHECK(r1.hits == 1);
    CHECK(rs[ac.find(9002)].lane == wire::signature_lane::text);

    // Paging: from slot 1, and past the end (empty, says where the list ends).
    const wire::signature_page p1 = list(a, c, 1, ++now);
    CHECK(p1.first == 1);
    CHECK(p1.count == p.signatures - 1);
    const wire::signature_page past = list(a, c, 500, ++now);
    CHECK(past.first == p.signatures);
    CHECK(past.count == 0);
    CHECK(past.entries.empty());
    CHECK(a.pool().free.size() == 16);
}

TEST_CASE("signature list: a full page is as many whole records as fit, and paging reaches them all", "[control][signatures]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto& ac = a.engine().dpi().automaton();
    std::mt19937 rng(GENERATE(take(3, random(1u, 100000u))));
    for (std::uint32_t id = 30000; id < 30100; ++id) {
        std::vector<std::byte> pat(40 + rng() % 200);
        for (auto& x : pat) x = static_cast<std::byte>('a' + rng() % 26);
        if (command(a, c, wire::add_signature{id, 0, pat}, ++now).result != wire::status::ok) break;
    }
    std::vector<std::uint32_t> seen;
    std::uint16_t first = 0;
    for (int page = 0; page < 100 && first < ac.pattern_count(); ++page) {
        const wire::signature_page p = list(a, c, first, ++now);
        REQUIRE(p.first == first);
        REQUIRE(p.count > 0);
        REQUIRE(p.entries.size() <= wire::max_payload - wire::signature_page_fixed);
        for (const auto& r : records(p)) seen.push_back(r.id);
        first = static_cast<std::uint16_t>(first + p.count);
    }
    REQUIRE(seen.size() == ac.pattern_count());
    for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == ac.id(i));
}

TEST_CASE("signature list: a no_space refusal names the capacity it ran into", "[control][signatures]") {
    appliance<> a(boot);
    client c(harness::default_key, 1, boot);
    std::uint64_t now = tps;
    const auto& ac = a.engine().dpi().automaton();
    using ac_type = std::remove_cvref_t<decltype(ac)>;
    std::mt19937 rng(7);
    wire::ack k;
    std::size_t need = 0;
    for (std::uint32_t id = 20000;; ++id) {
        std::vector<std::byte> p(200);
        for (auto& x : p) x = static_cast<std::byte>('a' + rng() % 26);
        need = p.size();
        k = command(a, c, wire::add_signature{id, 0, p}, ++now);
        if (k.result != wire::status::ok) break;
        REQUIRE(id < 20200);
    }
    REQUIRE(k.result == wire::status::no_space);
    const auto err = static_cast<secengine::dpi::dpi_error>(k.error_code);
    std::size_t pool = 0;
    for (std::size_t i = 0; i < ac.pattern_count(); ++i) pool += ac.bytes(i).size();
    INFO(secengine::dpi::name(err));
    if (err == secengine::dpi::dpi_error::pool_full) {
        CHECK(wire::detail_used(k.detail) == pool);
        CHECK(wire::detail_capacity(k.detail) == ac_type::pool_bytes);
        CHECK(pool + need > ac_type::pool_bytes);  // it really did not fit
    } else if (err == secengine::dpi::dpi_error::states_full) {
        CHECK(wire::detail_used(k.detail) == ac.state_count());
        CHECK(wire::detail_capacity(k.detail) == ac_type::max_states);
    } else {
        REQUIRE(err == secengine::dpi::dpi_error::patterns_full);
        CHECK(wire::detail_used(k.detail) == ac.pattern_count());
        CHECK(wire::detail_capacity(k.detail) == ac_type::max_patterns);
    }
    // The listing agrees with the refusal's numbers.
    const wire::signature_page p = list(a, c, 0, ++now);
    if (err == secengine::dpi::dpi_error::pool_full) CHECK(p.pool_used == wire::detail_used(k.detail));
    // The shared client words it: "no_space (pool_full: 580 of 600 pattern bytes used)".
    control::response r;
    r.answered = true;
    r.type = wire::msg_type::ack;
    r.ack = k;
    r.request = wire::msg_type::add_signature;
    const std::string d = r.describe();
    INFO(d);
    const std::string want = std::to_string(wire::detail_used(k.detail)) + " of " + std::to_string(wire::detail_capacity(k.detail));
    CHECK(d.find("no_space (" + std::string(secengine::dpi::name(err)) + ": " + want) == 0);
    // Other refusals keep their wording; a stale change names both versions.
    r.ack = {1, 9, wire::msg_type::block_port, wire::status::stale_version, 0, 9};
    r.request = wire::msg_type::block_port;
    r.made_against = 7;
    CHECK(r.describe() == "stale_version (made against config version 7, the appliance is at 9: another change came first; "
                          "nothing was applied)");
}
