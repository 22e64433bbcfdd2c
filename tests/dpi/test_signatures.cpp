// The default signature set: the compile-time automaton equals a run-time build, every
// signature fires on its own text (text ones also percent-encoded through HTTP), and a set of
// benign requests passes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include <secengine/dpi/signatures.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>

#include "naive.hpp"

using namespace secengine;
using namespace secengine::dpi;
using dpi_test::as_bytes;

namespace {

stage_decision send(default_dpi_stage& s, const std::string& payload, std::uint16_t dport = 80) {
    std::vector<std::byte> buf(net::max_frame_size + 64);
    net::frame_builder b{buf};
    b.ethernet({2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1})
        .ipv4(0x0a000001, 0x0a000002, net::ipproto::tcp)
        .tcp(40000, dport, net::tcpflag::ack, 1, 1)
        .payload(as_bytes(payload));
    buf.resize(b.finish());
    net::packet_view v;
    REQUIRE(net::parse(buf, v) == net::parse_error::none);
    flow_entry f{};
    return s.inspect(stage_context{v, buf, &f, true, 0});
}

std::string percent_encode(std::string_view s) {
    std::string out;
    char tmp[4];
    for (char c : s) {
        std::snprintf(tmp, sizeof tmp, "%%%02X", static_cast<unsigned char>(c));
        out += tmp;
    }
    return out;
}

}  // namespace

TEST_CASE("constexpr default automaton equals a run-time build", "[dpi][signatures][property]") {
    auto rt = std::make_unique<kernel_automaton>();
    REQUIRE(rt->add_batch(default_signatures) == dpi_error::ok);
    REQUIRE(rt->state_count() == default_automaton.state_count());
    std::vector<dpi_test::pat> pats;
    for (const auto& p : default_signatures) pats.push_back({std::string(p.bytes), p.id, p.nocase});
    std::mt19937_64 rng(0x61);
    for (int round = 0; round < 2000; ++round) {
        // Random concatenations of signature fragments and noise, so matches are frequent.
        std::string text;
        while (text.size() < 200) {
            if (rng() % 2) {
                const auto& p = default_signatures[rng() % default_signatures.size()].bytes;
                const std::size_t a = rng() % p.size();
                text += std::string(p.substr(a, 1 + rng() % (p.size() - a)));
            } else {
                text += static_cast<char>(rng() % 3 ? "aAoO' =1-/.<>(\x90"[rng() % 16] : static_cast<char>(rng()));
            }
        }
        std::vector<dpi_test::hit> a, b;
        scan_state s1{}, s2{};
        (void)default_automaton.scan(s1, as_bytes(text), [&](const match& m) { a.push_back({m.end, m.id}); return true; });
        (void)rt->scan(s2, as_bytes(text), [&](const match& m) { b.push_back({m.end, m.id}); return true; });
        REQUIRE(a == b);
        REQUIRE(a == dpi_test::naive(pats, text));
    }
}

TEST_CASE("every default signature fires, text ones also percent-encoded over HTTP", "[dpi][signatures]") {
    auto s = std::make_unique<default_dpi_stage>();
    for (const auto& p : default_signatures) {
        const std::string sig(p.bytes);
        INFO("signature " << p.id);
        CHECK(send(*s, "xx " + sig + " yy", 4444).detail == p.id);
        if (p.nocase) {
            std::string upper = sig;
            for (auto& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            CHECK(send(*s, "GET /?q=" + percent_encode(upper) + " HTTP/1.1\r\n\r\n").detail == p.id);
            // Double encoding as attackers use it: the '%' of each escape encoded again ("%2555").
            std::string twice;
            for (char c : percent_encode(sig)) twice += c == '%' ? std::string("%25") : std::string(1, c);
            CHECK(send(*s, "GET /?q=" + twice + " HTTP/1.1\r\n\r\n").detail == p.id);
        }
        CHECK(s->hits(p.id) >= 1);
    }
}

TEST_CASE("benign requests pass the default set", "[dpi][signatures]") {
    auto s = std::make_unique<default_dpi_stage>();
    const char* benign[] = {
        "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n\r\n",
        "GET /search?q=select+a+union+rep&lang=en HTTP/1.1\r\nHost: shop.example\r\nCookie: id=42; theme=dark\r\n\r\n",
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=alice&pass=S3cr%21t",
        "GET /static/js/app.min.js?v=1.2.3 HTTP/1.1\r\nReferer: https://example.org/a/b/\r\n\r\n",
        "GET /docs/or/1/index.html HTTP/1.1\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
    };
    for (const char* r : benign) {
        INFO(r);
        CHECK(send(*s, r).reason == drop_reason::none);
    }
}

TEST_CASE("kernel bench hook counts matches of the default set", "[dpi][signatures]") {
    const std::string p = "GET /?a=1 UNION SELECT 2&b=../../etc/passwd HTTP/1.1\r\n";
    CHECK(bench_scan_payload(as_bytes(p)) == 3);
    CHECK(bench_scan_payload({}) == 0);
}
