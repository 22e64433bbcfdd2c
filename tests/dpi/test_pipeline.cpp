// The DPI stage in slot 6 of the real pipeline: a signature split across two TCP segments of
// one flow is dropped by stage 6 with the signature id; benign traffic and the server's reply pass.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <secengine/dpi/signatures.hpp>
#include <secengine/net/builder.hpp>
#include <secengine/pipeline.hpp>

#include "naive.hpp"

using namespace secengine;

namespace {

struct dpi_config : default_config {
    using dpi_stage = dpi::default_dpi_stage;
};

std::vector<std::byte> tcp(bool client, std::uint8_t flags, const std::string& payload, std::uint16_t cport = 40000) {
    std::vector<std::byte> buf(net::max_frame_size + 64);
    net::frame_builder b{buf};
    const std::uint32_t c = 0x0a000001, s = 0x0a000002;
    b.ethernet({2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1})
        .ipv4(client ? c : s, client ? s : c, net::ipproto::tcp)
        .tcp(client ? cport : 80, client ? 80 : cport, flags, 1, 1)
        .payload(dpi_test::as_bytes(payload));
    buf.resize(b.finish());
    return buf;
}

}  // namespace

TEST_CASE("pipeline slot 6: split signature across segments of one flow", "[dpi][pipeline]") {
    auto p = std::make_unique<pipeline<dpi_config>>();
    using namespace net::tcpflag;
    const std::string req = "GET /items?id=1%27+UnIoN%2f**%2fSeLeCt+password+FROM+users HTTP/1.1\r\nHost: shop\r\n\r\n";
    for (std::size_t cut = 8; cut < req.size(); cut += 3) {
        const auto port = static_cast<std::uint16_t>(41000 + cut);
        auto f_syn = tcp(true, syn, "", port);
        REQUIRE(p->process(f_syn, 10).pass());
        auto synack = tcp(false, syn | ack, "", port);
        REQUIRE(p->process(synack, 11).pass());
        auto a = tcp(true, ack | psh, req.substr(0, cut), port);
        const verdict va = p->process(a, 12);
        verdict vb{};
        if (va.pass()) {
            auto b = tcp(true, ack | psh, req.substr(cut), port);
            vb = p->process(b, 13);
        }
        const verdict& v = va.pass() ? vb : va;
        INFO("cut " << cut);
        REQUIRE(v.reason == drop_reason::dpi_signature);
        REQUIRE(v.stage == 6);
        REQUIRE(v.detail == 1001);
    }
    // Benign request and a reply containing HTML pass.
    auto s1 = tcp(true, syn, "", 50000);
    REQUIRE(p->process(s1, 20).pass());
    auto s2 = tcp(false, syn | ack, "", 50000);
    REQUIRE(p->process(s2, 21).pass());
    auto g = tcp(true, ack | psh, "GET /index.html HTTP/1.1\r\nHost: shop\r\n\r\n", 50000);
    REQUIRE(p->process(g, 22).pass());
    auto r = tcp(false, ack | psh, "HTTP/1.1 200 OK\r\n\r\n<html><script src=/app.js></script></html>", 50000);
    REQUIRE(p->process(r, 23).pass());
    REQUIRE(p->dpi().hits(1001) >= 1);
}
