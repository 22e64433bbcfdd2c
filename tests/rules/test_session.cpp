// The per-connection inspection (rules/session.hpp): which units a packet yields and what each
// may report. Invariants: a buffer-less content is found once whatever the segmentation; every
// pipelined HTTP transaction alerts on its own; drop stops the connection with one alert; pass
// is silent and ends inspection; HTTP without lent buffers keeps framing and never crashes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <secengine/rules/session.hpp>

#include "engine_util.hpp"

namespace {

using namespace secengine;
using small_buffers = http::message_buffers<512, 1024, 1024, 2048, 1024, 16>;

struct connection {
    test::engine& e;
    rules::session<64, 2, 16> s;
    std::unique_ptr<small_buffers> req = std::make_unique<small_buffers>(false), resp = std::make_unique<small_buffers>(true);
    bool lend = true;
    std::vector<std::uint32_t> sids;
    std::vector<rules::unit_kind> units;
    std::vector<char> inject_buffer;  // non-empty: the injection detector runs
    std::span<char> inject_scratch{};
    std::uint64_t now = 1000;

    explicit connection(test::engine& en) : e(en) {}
    bool send(const std::string& data, bool to_server, std::uint8_t flags = 0x18) {
        rules::packet_facts pf;
        pf.src = rules::ipv4_address(to_server ? 0xCB007107 : 0x0A000014);
        pf.dst = rules::ipv4_address(to_server ? 0x0A000014 : 0xCB007107);
        pf.sport = to_server ? 40000 : 80;
        pf.dport = to_server ? 80 : 40000;
        pf.to_server = to_server;
        pf.established = true;
        pf.tcp_flags = flags;
        pf.payload = test::bytes(data);
        return s.inspect(e.view, pf, &e.thresholds, e.scratch, inject_scratch, now++, [&](const rules::session_alert& a) {
            sids.push_back(a.rule.sid);
            units.push_back(a.unit);
        }, [&](auto& ss) {
            if (lend) ss.attach_http(req.get(), resp.get());
        });
    }
};

}  // namespace

TEST_CASE("a buffer-less content split over segments is reported by the packet that completes it (property)") {
    test::engine e({R"(alert tcp any any -> any any (msg:"m"; content:"xp_cmdshell"; nocase; sid:1;))"});
    const std::string data = "SELECT 1; EXEC xp_CmdShell 'dir'; -- and more text after it";
    const std::size_t last = data.find("xp_CmdShell") + 10;  // index of the match's last byte
    for (std::size_t cut = 1; cut < data.size(); ++cut) {
        for (std::size_t cut2 = cut; cut2 < data.size(); cut2 += 7) {
            connection c(e);
            const std::string parts[] = {data.substr(0, cut), data.substr(cut, cut2 - cut), data.substr(cut2)};
            std::size_t first_report = 99, at = 0, completing = 99;
            for (std::size_t k = 0; k < 3; ++k) {
                if (parts[k].empty()) continue;
                if (last >= at && last < at + parts[k].size()) completing = k;
                at += parts[k].size();
                REQUIRE(c.send(parts[k], true));
                if (!c.sids.empty() && first_report == 99) first_report = k;
            }
            INFO("cuts " << cut << " " << cut2);
            REQUIRE(first_report == completing);
            for (auto sid : c.sids) REQUIRE(sid == 1);
        }
    }
}

TEST_CASE("per packet and stream reports follow Suricata 7 inline (--simulate-ips) on the same session") {
    // SYN, ACK, "a word", "another word", "xp_cm", "dshell!", FIN from the client. Suricata
    // 7.0.10 reported, for these packets: {1} {1} {1,2} {1,2} {1,2} {1,2,3} {1} - the stream
    // inspection re-reports "word" while it is in the window, and finds the split xp_cmdshell.
    test::engine e({R"(alert tcp any any -> any 80 (msg:"any"; flow:to_server; sid:1;))",
                    R"(alert tcp any any -> any any (msg:"word"; content:"word"; sid:2;))",
                    R"(alert tcp any any -> any any (msg:"xp"; content:"xp_cmdshell"; sid:3;))"});
    connection c(e);
    c.lend = false;
    std::vector<std::vector<std::uint32_t>> per_packet;
    auto step = [&](const std::string& d, std::uint8_t flags) {
        c.sids.clear();
        c.send(d, true, flags);
        per_packet.push_back(c.sids);
    };
    step("", 0x02);
    step("", 0x10);
    step("a word", 0x18);
    step("another word", 0x18);
    step("xp_cm", 0x18);
    step("dshell!", 0x18);
    step("", 0x11);
    const std::vector<std::vector<std::uint32_t>> want{{1}, {1}, {1, 2}, {1, 2}, {1, 2}, {1, 2, 3}, {1}};
    CHECK(per_packet == want);
}

TEST_CASE("pipelined HTTP transactions alert each, with any segmentation (property)") {
    test::engine e({R"(alert http any any -> any any (msg:"admin"; flow:to_server; http.uri; content:"/admin"; sid:10;))",
                    R"(alert http any any -> any any (msg:"ua"; flow:to_server; http.user_agent; content:"evil"; sid:11;))"});
    std::mt19937 rng(1);
    for (int round = 0; round < 200; ++round) {
        const int n = 1 + static_cast<int>(rng() % 4);
        std::string text;
        std::vector<std::uint32_t> want;
        for (int i = 0; i < n; ++i) {
            const bool admin = rng() % 2, evil = rng() % 2;
            text += std::string("GET ") + (admin ? "/admin/x" : "/index") + " HTTP/1.1\r\nHost: h\r\nUser-Agent: " + (evil ? "evil/1" : "good") + "\r\n\r\n";
            if (admin) want.push_back(10);
            if (evil) want.push_back(11);
        }
        connection c(e);
        std::size_t at = 0;
        while (at < text.size()) {
            const std::size_t len = 1 + rng() % 60;
            REQUIRE(c.send(text.substr(at, len), true));
            at += len;
        }
        INFO(text);
        REQUIRE(c.sids == want);
    }
}

TEST_CASE("drop reports once and drops the rest of the connection; pass is silent and ends inspection") {
    test::engine e({R"(drop http any any -> any any (msg:"shell"; http.uri; content:"c99.php"; sid:20;))",
                    R"(pass http any any -> any any (msg:"health"; http.uri; content:"/healthz"; sid:21;))",
                    R"(alert http any any -> any any (msg:"any uri"; http.uri; content:"/"; sid:22;))"});
    connection d(e);
    CHECK_FALSE(d.send("GET /c99.php HTTP/1.1\r\nHost: h\r\n\r\n", true));
    CHECK_FALSE(d.send("GET /c99.php HTTP/1.1\r\nHost: h\r\n\r\n", true));  // a retransmission
    CHECK_FALSE(d.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
    CHECK(d.sids == std::vector<std::uint32_t>{20, 22});
    CHECK(d.s.dropped());
    connection p(e);
    CHECK(p.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n", true));
    CHECK(p.send("GET /anything HTTP/1.1\r\nHost: h\r\n\r\n", true));
    CHECK(p.sids.empty());
}

TEST_CASE("HTTP found in one-byte segments; without lent buffers it is parsed but not inspected") {
    test::engine e({R"(alert http any any -> any any (msg:"uri"; http.uri; content:"/x"; sid:30;))"});
    const std::string req = "PROPFIND /x HTTP/1.1\r\nHost: h\r\n\r\n";
    connection c(e);
    for (char ch : req) REQUIRE(c.send(std::string(1, ch), true));
    CHECK(c.sids == std::vector<std::uint32_t>{30});
    CHECK(c.s.app() == rules::app_protocol::http);
    connection u(e);
    u.lend = false;
    u.send(req + req, true);
    CHECK(u.sids.empty());
    CHECK(u.s.stats().http_unbuffered == 2);
    connection notttp(e);
    notttp.send("PROPX /x HTTP/1.1\r\n\r\n", true);
    CHECK(notttp.s.app() == rules::app_protocol::none);
}

TEST_CASE("DNS questions are units of their own") {
    test::engine e({R"(alert dns any any -> any any (msg:"q"; dns.query; content:"evil"; sid:40;))"});
    connection c(e);
    rules::packet_facts pf;
    pf.ip_proto = 17;
    pf.sport = 5353;
    pf.dport = 53;
    const unsigned char q[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'e', 'v', 'i', 'l', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    pf.payload = std::span<const std::byte>(reinterpret_cast<const std::byte*>(q), sizeof q);
    std::vector<std::uint32_t> sids;
    c.s.inspect(e.view, pf, nullptr, e.scratch, {}, 1, [&](const rules::session_alert& a) { sids.push_back(a.rule.sid); }, [](auto&) {});
    CHECK(sids == std::vector<std::uint32_t>{40});
}

TEST_CASE("the injection detector drops a request by syntax, wherever the value is, with one alert") {
    test::engine e({R"(alert http any any -> any any (msg:"any uri"; flow:to_server; http.uri; content:"/"; sid:50;))"});
    const std::string attacks[] = {
        "GET /items?id=1%27%20AND%207029%3D8688%20AND%20%27tltf%27%20LIKE%20%27tltf HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /p HTTP/1.1\r\nHost: h\r\nCookie: uid=1' or '1'='1\r\n\r\n",
        "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24\r\n\r\nq=<script>alert(1)</script>",
        "GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: () { :; }; /bin/bash -c id\r\n\r\n",
    };
    for (const auto& a : attacks) {
        for (std::size_t seg : {1400u, 5u}) {
            connection c(e);
            c.inject_buffer.resize(1024);
            c.inject_scratch = c.inject_buffer;
            bool passed = true;
            for (std::size_t at = 0; at < a.size(); at += seg) passed = c.send(a.substr(at, seg), true) && passed;
            INFO(a << " in segments of " << seg);
            CHECK_FALSE(passed);
            CHECK(std::count(c.units.begin(), c.units.end(), rules::unit_kind::injection) == 1);
            CHECK(c.s.dropped());
            CHECK_FALSE(c.send(a, true));  // the retransmission: dropped, no second alert
            CHECK(std::count(c.units.begin(), c.units.end(), rules::unit_kind::injection) == 1);
        }
    }
    // Benign requests with SQL words in them pass.
    connection ok(e);
    ok.inject_buffer.resize(1024);
    ok.inject_scratch = ok.inject_buffer;
    CHECK(ok.send("GET /search?q=union+station&x=select+a+size HTTP/1.1\r\nHost: h\r\nCookie: name=o'neil\r\n\r\n", true));
    CHECK(std::count(ok.units.begin(), ok.units.end(), rules::unit_kind::injection) == 0);
}
