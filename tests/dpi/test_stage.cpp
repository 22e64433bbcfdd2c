// The DPI pipeline stage: streaming per flow across segments, HTTP normalisation in front of
// the text lane, raw bytes for the raw lane, state left untouched by a drop.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <secengine/dpi/stage.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/net/packet.hpp>

#include "naive.hpp"

using namespace secengine;
using namespace secengine::dpi;
using dpi_test::as_bytes;

namespace {

using stage_t = dpi_stage<1024, 32, 1024>;
static_assert(pipeline_stage<stage_t>);

struct tcp_frame {
    std::vector<std::byte> buf;
    net::packet_view view;
};

tcp_frame make(const std::string& payload, std::uint16_t dport = 80) {
    tcp_frame f;
    f.buf.resize(net::max_frame_size + 64);
    net::frame_builder b{f.buf};
    b.ethernet({2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1})
        .ipv4(0x0a000001, 0x0a000002, net::ipproto::tcp)
        .tcp(40000, dport, net::tcpflag::ack | net::tcpflag::psh, 1, 1)
        .payload(as_bytes(payload));
    f.buf.resize(b.finish());
    REQUIRE(net::parse(f.buf, f.view) == net::parse_error::none);
    return f;
}

stage_decision send(stage_t& s, const std::string& payload, flow_entry* flow, bool from_initiator = true,
                    std::uint16_t dport = 80) {
    tcp_frame f = make(payload, dport);
    return s.inspect(stage_context{f.view, f.buf, flow, from_initiator, 0});
}

std::unique_ptr<stage_t> make_stage() {
    auto s = std::make_unique<stage_t>();
    REQUIRE(s->add_signature("union select", 100, true) == dpi_error::ok);
    REQUIRE(s->add_signature("../", 101, true) == dpi_error::ok);
    REQUIRE(s->add_signature("<script", 102, true) == dpi_error::ok);
    REQUIRE(s->add_signature("/bin/sh", 200, false) == dpi_error::ok);
    const std::byte nops[] = {std::byte{0x90}, std::byte{0x90}, std::byte{0x90}, std::byte{0x90}};
    REQUIRE(s->add_signature(nops, 201, false) == dpi_error::ok);
    REQUIRE(s->stream_state_fits());
    return s;
}

}  // namespace

TEST_CASE("a packet alone: match drops with the signature id, benign passes", "[dpi][stage]") {
    auto s = make_stage();
    CHECK(send(*s, "GET /?q=hello HTTP/1.1\r\n\r\n", nullptr).reason == drop_reason::none);
    const auto d = send(*s, "GET /?id=1+UnIoN%2f**%2fSeLeCt+1 HTTP/1.1\r\n\r\n", nullptr);
    CHECK(d.reason == drop_reason::dpi_signature);
    CHECK(d.detail == 100);
    CHECK(s->hits(100) == 1);
    CHECK(send(*s, "GET /%252e%252e%252fetc HTTP/1.1\r\n", nullptr).detail == 101);
    CHECK(send(*s, "x /BIN/SH", nullptr, true, 9999).reason == drop_reason::none);  // raw lane: exact case
    CHECK(send(*s, "x /bin/sh", nullptr, true, 9999).detail == 200);
    CHECK(send(*s, "", nullptr).reason == drop_reason::none);
}

TEST_CASE("HTTP flows: raw signatures still see raw bytes, encoded text signatures are decoded", "[dpi][stage]") {
    auto s = make_stage();
    flow_entry f{};
    CHECK(send(*s, "GET /a%2fbin%2fsh HTTP/1.1\r\n", &f).reason == drop_reason::none);  // decoded is not raw
    CHECK(f.has(stage_t::http_checked_bit));
    CHECK(f.has(stage_t::http_bit));
    flow_entry g{};
    CHECK(send(*s, "GET /cgi?x=\x90\x90\x90\x90 HTTP/1.1\r\n", &g).detail == 201);
    flow_entry h{};  // not HTTP (port), so no decoding: the encoded attack is not seen
    CHECK(send(*s, "GET /?id=1%20union%20select", &h, true, 5000).reason == drop_reason::none);
    CHECK(h.has(stage_t::http_checked_bit));
    CHECK(!h.has(stage_t::http_bit));
}

TEST_CASE("a signature split across two segments of one flow matches at every split point", "[dpi][stage][property]") {
    auto s = make_stage();
    const std::vector<std::pair<std::string, std::uint16_t>> attacks = {
        {"GET /search?q=1%2527+UNION/**/SELECT+password+FROM+users HTTP/1.1\r\nHost: x\r\n\r\n", 80},
        {"POST /upload HTTP/1.1\r\n\r\nname=%3CScript%3Ealert(1)", 8080},
        {"GET /..%252f..%252fetc/passwd HTTP/1.1\r\n", 80},
        {"\x01\x02 exec /bin/sh -c id", 4444},
        {"GET /x HTTP/1.1\r\nUser-Agent: \x90\x90\x90\x90\x90\r\n", 80},
    };
    // From cut 8 on: the first segment must carry the request method to classify the flow as HTTP.
    for (const auto& [req, port] : attacks) {
        for (std::size_t cut = 8; cut < req.size(); ++cut) {
            flow_entry f{};
            const auto a = send(*s, req.substr(0, cut), &f, true, port);
            stage_decision b{};
            if (a.reason == drop_reason::none) b = send(*s, req.substr(cut), &f, true, port);
            INFO(req << " cut " << cut);
            REQUIRE((a.reason == drop_reason::dpi_signature || b.reason == drop_reason::dpi_signature));
        }
    }
    const std::string benign = "GET /index.html?a=1+2&b=%41%42 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n";
    for (std::size_t cut = 1; cut < benign.size(); ++cut) {  // benign at every cut, HTTP or not
        flow_entry f{};
        REQUIRE(send(*s, benign.substr(0, cut), &f).reason == drop_reason::none);
        REQUIRE(send(*s, benign.substr(cut), &f).reason == drop_reason::none);
    }
}

TEST_CASE("plain flows: the dropped segment is the one completing the first match", "[dpi][stage][property]") {
    std::mt19937_64 rng(0x51);
    auto s = std::make_unique<stage_t>();
    const std::vector<dpi_test::pat> pats = {{"abba", 1, false}, {"BaB", 2, true}, {"a*/", 3, true}, {"%c%", 4, false}};
    for (const auto& p : pats) REQUIRE(s->add_signature(p.bytes, p.id, p.nocase) == dpi_error::ok);
    for (int round = 0; round < 2000; ++round) {
        const std::string stream = dpi_test::random_text(rng, 1 + rng() % 60, false);
        std::vector<std::size_t> cuts{0};
        for (std::size_t k = 1; k < stream.size(); ++k)
            if (rng() % 6 == 0) cuts.push_back(k);
        cuts.push_back(stream.size());
        const auto all = dpi_test::naive(pats, stream);
        flow_entry f{};
        bool dropped = false;
        for (std::size_t k = 0; k + 1 < cuts.size() && !dropped; ++k) {
            const auto d = send(*s, stream.substr(cuts[k], cuts[k + 1] - cuts[k]), &f, true, 5000);
            const bool expect = !all.empty() && all.front().end > cuts[k] && all.front().end <= cuts[k + 1];
            REQUIRE((d.reason == drop_reason::dpi_signature) == expect);
            if (expect) REQUIRE(d.detail == all.front().id);
            dropped = expect;
        }
        REQUIRE(dropped == !all.empty());
    }
}

TEST_CASE("a drop leaves the flow state as before, so the retransmission matches again", "[dpi][stage]") {
    auto s = make_stage();
    flow_entry f{};
    REQUIRE(send(*s, "GET /?q=1 un", &f).reason == drop_reason::none);
    const flow_entry before = f;
    REQUIRE(send(*s, "ion select 1", &f).detail == 100);
    REQUIRE(f.dpi_scan == before.dpi_scan);
    REQUIRE(f.dpi_norm == before.dpi_norm);
    REQUIRE(send(*s, "ion select 1", &f).detail == 100);
    REQUIRE(s->hits(100) == 2);
}

TEST_CASE("responder packets and packets without a flow are scanned alone", "[dpi][stage]") {
    auto s = make_stage();
    flow_entry f{};
    REQUIRE(send(*s, "xx /bin", &f, false, 5000).reason == drop_reason::none);
    REQUIRE(f.dpi_scan == 0);
    REQUIRE(f.bits == 0);  // the responder does not classify the flow
    REQUIRE(send(*s, "/sh", &f, false, 5000).reason == drop_reason::none);
    REQUIRE(send(*s, "xx /bin", nullptr, true, 5000).reason == drop_reason::none);
    REQUIRE(send(*s, "/sh", nullptr, true, 5000).reason == drop_reason::none);
}

TEST_CASE("responses see only raw-lane signatures: a page quoting an attack string passes", "[dpi][stage]") {
    auto s = make_stage();
    flow_entry f{};
    // text-lane (case-insensitive request) signatures do not fire on the responder's side...
    CHECK(send(*s, "HTTP/1.1 200 OK\r\n\r\n<p>never write UNION SELECT or <script> in a form</p>", &f, false, 40000).reason ==
          drop_reason::none);
    CHECK(send(*s, "../../etc/passwd is a classic", nullptr, false, 40000).reason == drop_reason::none);
    // ...the same bytes from the initiator do
    CHECK(send(*s, "GET /?q=union select HTTP/1.1\r\n\r\n", nullptr, true).detail == 100);
    // raw-lane signatures (exact bytes, shellcode) apply in both directions
    const auto d = send(*s, "payload /bin/sh here", &f, false, 40000);
    CHECK(d.reason == drop_reason::dpi_signature);
    CHECK(d.detail == 200);
    CHECK(send(*s, std::string(8, '\x90'), nullptr, false, 40000).detail == 201);
    CHECK(f.dpi_scan == 0);  // responses keep no stream state
}

TEST_CASE("runtime signature changes and a stored state from an older automaton", "[dpi][stage]") {
    auto s = make_stage();
    flow_entry f{};
    REQUIRE(send(*s, "hello wor", &f, true, 5000).reason == drop_reason::none);
    REQUIRE(s->add_signature("world", 300, true) == dpi_error::ok);
    f.dpi_scan = 0xFFFF;  // garbage from an older automaton: bounds-checked, resumes at the root
    REQUIRE(send(*s, "ld", &f, true, 5000).reason == drop_reason::none);
    REQUIRE(send(*s, "a world", &f, true, 5000).detail == 300);
    REQUIRE(s->remove_signature(300) == dpi_error::ok);
    REQUIRE(send(*s, "a world", &f, true, 5000).reason == drop_reason::none);
    REQUIRE(s->remove_signature(300) == dpi_error::not_found);
}

TEST_CASE("the packed stream state must fit 16 bits", "[dpi][stage]") {
    auto s = std::make_unique<dpi_stage<4096, 512, 4096>>();
    std::mt19937_64 rng(0x52);
    dpi_error last = dpi_error::ok;
    for (std::uint32_t id = 1; id < 500 && last == dpi_error::ok; ++id) {
        std::string p(8, 'a');
        for (auto& c : p) c = static_cast<char>('a' + rng() % 26);
        last = s->add_signature(p, id, (id % 2) == 0);
        REQUIRE(s->stream_state_fits());
    }
    REQUIRE(last == dpi_error::stream_state_overflow);
}
