// Rules on real inspection buffers: requests and responses through the library's streaming HTTP
// parser (secengine/http/), their buffers evaluated against the ET-style sample rules file
// loaded as secrules loads it. Checks the (message, sid) sets, at every segmentation.
#include <memory>
#include <set>

#include <secengine/http/message_buffers.hpp>
#include <secengine/http/parser.hpp>

#include "engine_util.hpp"

using namespace secengine;

namespace {

using host_buffers = http::message_buffers<8192, 8192, 8192, 16384, 65536, 64>;

struct evaluating : host_buffers {
    const rules::db_view* db;
    rules::packet_context ctx;
    std::span<const std::byte> payload;
    std::set<std::uint32_t>* sids;
    std::vector<std::uint32_t> scratch = std::vector<std::uint32_t>(1024);
    std::array<std::uint64_t, 1> bits{};
    rules::threshold_table_base* thresholds = nullptr;
    evaluating(bool response, const rules::db_view* d, std::set<std::uint32_t>* out) : host_buffers(response), db(d), sids(out) {}
    void message_complete() {
        host_buffers::message_complete();
        http::buffer_set bs = buffers();
        bs.set(http::buffer::payload, payload);
        ctx.buffers = &bs;
        rules::eval_state st{bits, thresholds, scratch};
        (void)rules::evaluate(*db, ctx, st, 0, [&](const rules::alert_info& a) { sids->insert(a.sid); });
    }
};

std::set<std::uint32_t> run(const rules::db_view& db, const std::string& msg, bool response, std::size_t cut,
                            rules::threshold_table_base* thr = nullptr) {
    std::set<std::uint32_t> sids;
    auto sink = std::make_unique<evaluating>(response, &db, &sids);
    sink->thresholds = thr;
    sink->payload = test::bytes(msg);
    sink->ctx.app = rules::app_protocol::http;
    sink->ctx.established = true;
    sink->ctx.to_server = !response;
    // External client 203.0.113.9:50000 <-> HTTP server 192.168.1.10:80 (HOME_NET by default).
    sink->ctx.src = rules::ipv4_address(response ? 0xC0A8010A : 0xCB007109);
    sink->ctx.dst = rules::ipv4_address(response ? 0xCB007109 : 0xC0A8010A);
    sink->ctx.sport = response ? 80 : 50000;
    sink->ctx.dport = response ? 50000 : 80;
    http::parser_state s = response ? http::parser_state::for_responses() : http::parser_state::for_requests();
    http::pairing pair;
    for (std::size_t at = 0; at < msg.size(); at += cut)
        http::feed(s, pair, test::bytes(msg).subspan(at, std::min(cut, msg.size() - at)), *sink);
    http::finish(s, pair, *sink);
    return sids;
}

}  // namespace

TEST_CASE("rules on parsed HTTP messages: the sample file's meaning", "[rules][http]") {
    rulesc::classification classes;
    REQUIRE(rulesc::load_classification("data/classification.config", classes).empty());
    rulesc::load_report rep;
    rulesc::load_rules_file("data/et_style.rules", rulesc::default_vars(), classes, rep);
    REQUIRE(rep.error.empty());
    std::vector<rulesc::parsed_rule> uniq;
    std::set<std::uint32_t> seen;
    for (auto& r : rep.rules)
        if (seen.insert(r.sid).second) uniq.push_back(r);
    const auto db = rulesc::compile(uniq);
    rules::db_view view;
    REQUIRE(rules::db_view::open(std::span(db.image), view) == rules::db_error::ok);

    using S = std::set<std::uint32_t>;
    struct msg { std::string text; bool response; S want; };
    const msg cases[] = {
        // Percent-encoded traversal: http_uri sees the decoded path (3000001), raw bytes don't
        // contain "/etc/passwd"; the plain-TCP rule wants $HOME_NET -> $EXTERNAL_NET (no).
        {"GET /cgi-bin/..%2f..%2fetc/passwd HTTP/1.1\r\nHost: a.example\r\nUser-Agent: sqlmap/1.7\r\n\r\n", false,
         S{3000001, 3000003}},
        // http.uri is the normalised path ("/etc/passwd": dot segments removed), so the
        // uricontent "/cgi-bin/" rule does not see it there; a plain one does.
        {"GET /cgi-bin/test.sh HTTP/1.1\r\nHost: b\r\n\r\n", false, S{3000015}},
        {"GET /index.php?id=1%20UNION%20ALL%20SELECT%201 HTTP/1.1\r\nHost: b\r\n\r\n", false, S{3000002}},
        {"GET /index.php?id=union" + std::string(30, 'x') + "select HTTP/1.1\r\nHost: b\r\n\r\n", false, S{}},  // within:20
        {"POST /run HTTP/1.1\r\nHost: c\r\nContent-Length: 9\r\n\r\ncmd=ls -a", false, S{3000004}},
        {"POST /run HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ncmd=\r\n3\r\nabc\r\n0\r\n\r\n", false, S{3000004}},
        {"POST /run HTTP/1.1\r\nHost: c\r\nContent-Length: 10\r\n\r\nx=1&cmd=ls", false, S{}},  // startswith
        {"GET /download/file.exe HTTP/1.1\r\nHost: d\r\n\r\n", false, S{}},
        {"GET /download/file.txt HTTP/1.1\r\nHost: d\r\n\r\n", false, S{3000018}},
        {"GET / HTTP/1.1\r\nHost: e\r\nX-Evil: 1\r\nCookie: session=abc\r\n\r\n", false, S{3000016}},
        {"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n<SCRIPT>alert(1)</sc", true, S{3000017}},
    };
    for (const auto& c : cases)
        for (std::size_t cut : {c.text.size(), std::size_t{1}, std::size_t{7}}) {
            INFO(c.text << " cut " << cut);
            S want = c.want;
            if (c.text.find('a') != std::string::npos) want.insert({3000104, 3000106});  // content:"a" on the payload
            CHECK(run(view, c.text, c.response, cut) == want);
        }
    // threshold:type threshold, count 5: every 5th 404 to the same client alerts.
    rules::threshold_table<16> thr;
    std::string seq;
    for (int i = 0; i < 11; ++i)
        seq += run(view, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true, 5, &thr).count(3000008) ? 'A' : '.';
    CHECK(seq == "....A....A.");
}
