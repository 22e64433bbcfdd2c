// Inspection buffers built from parsed messages. The expected strings of the first cases were
// read off Suricata 7.0.10 on the same requests (a pcre pktvar per buffer; docs/http.md);
// tests/http/suricata_buffers.py repeats that comparison against the installed Suricata.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>

#include <secengine/http/message_buffers.hpp>

namespace http = secengine::http;
using http::buffer;

namespace {

using host_buffers = http::message_buffers<8192, 8192, 8192, 16384, 65536, 64>;

std::span<const std::byte> bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }
std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Parses one message and returns copies of its buffers.
struct parsed {
    std::map<buffer, std::string> b;
    bool truncated = false;
    std::string get(buffer k) const {
        auto it = b.find(k);
        return it == b.end() ? "<absent>" : it->second;
    }
};

struct capturing : host_buffers {
    parsed* out;
    explicit capturing(bool response, parsed* o) : host_buffers(response), out(o) {}
    void message_complete() {
        host_buffers::message_complete();
        for (std::size_t i = 0; i < http::buffer_count; ++i)
            if (buffers().present[i]) out->b[static_cast<buffer>(i)] = text(buffers().data[i]);
        out->truncated = truncated();
    }
};

parsed parse(const std::string& msg, bool response, std::size_t cut_every = 0) {
    parsed p;
    auto sink = std::make_unique<capturing>(response, &p);
    http::parser_state s = response ? http::parser_state::for_responses() : http::parser_state::for_requests();
    http::pairing pair;
    if (cut_every == 0) {
        http::feed(s, pair, bytes(msg), *sink);
    } else {
        for (std::size_t at = 0; at < msg.size(); at += cut_every)
            http::feed(s, pair, bytes(msg).subspan(at, std::min(cut_every, msg.size() - at)), *sink);
    }
    http::finish(s, pair, *sink);
    return p;
}

}  // namespace

TEST_CASE("request buffers take Suricata's forms") {
    const std::string req =
        "GET /a/./b/../c%2fd%41%u0041\\e//f?q=%41+b%2527&x=1 HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\n"
        "User-Agent: UA/1.0  \r\nCookie: sess=abc; t=1\r\nX-Fold: one\r\n two\r\nAccept:  */*\r\n\r\n";
    for (std::size_t cut : {0u, 1u, 3u, 17u}) {
        CAPTURE(cut);
        const parsed p = parse(req, false, cut);
        CHECK(p.get(buffer::uri) == "/a/c/dAA/e/f?q=A+b%27&x=1");
        CHECK(p.get(buffer::raw_uri) == "/a/./b/../c%2fd%41%u0041\\e//f?q=%41+b%2527&x=1");
        CHECK(p.get(buffer::header) == "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0\r\nX-Fold: one two\r\nAccept: */*\r\n");
        CHECK(p.get(buffer::raw_header) ==
              "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0  \r\nCookie: sess=abc; t=1\r\nX-Fold: one\r\n two\r\nAccept:  */*\r\n\r\n");
        CHECK(p.get(buffer::host) == "WWW.Example.COM");
        CHECK(p.get(buffer::raw_host) == "WWW.Example.COM:8080");
        CHECK(p.get(buffer::cookie) == "sess=abc; t=1");
        CHECK(p.get(buffer::user_agent) == "UA/1.0");
        CHECK(p.get(buffer::header_names) == "\r\nHost\r\nUser-Agent\r\nCookie\r\nX-Fold\r\nAccept\r\n\r\n");
        CHECK(p.get(buffer::request_line) == "GET /a/./b/../c%2fd%41%u0041\\e//f?q=%41+b%2527&x=1 HTTP/1.1");
        CHECK(p.get(buffer::method) == "GET");
        CHECK(p.get(buffer::protocol) == "HTTP/1.1");
        CHECK(p.get(buffer::request_body) == "<absent>");
    }
}

TEST_CASE("more of Suricata's forms: dot segments after decoding, merged fields, hosts") {
    parsed p = parse("GET /%2e%2e/x/%2E%2E/y%00z?a=%2f%00&b=%zz%4 HTTP/1.1\r\nHost: WWW.Example.COM\r\nX-A:\tv1\t\r\nX-A: v2\r\n\r\n", false);
    CHECK(p.get(buffer::uri) == std::string("/y\0z?a=/\0&b=%zz%4", 17));
    CHECK(p.get(buffer::header) == "Host: WWW.Example.COM\r\nX-A: v1, v2\r\n");
    CHECK(p.get(buffer::host) == "www.example.com");
    p = parse("GET http://Abs.Example.ORG:81/x HTTP/1.1\r\nHost: other\r\n\r\n", false);
    CHECK(p.get(buffer::uri) == "/x");
    CHECK(p.get(buffer::host) == "abs.example.org");
    CHECK(p.get(buffer::raw_host) == "abs.example.org");
}

TEST_CASE("bodies and responses") {
    parsed p = parse("POST /form HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n", false);
    CHECK(p.get(buffer::request_body) == "hello world");
    CHECK(p.get(buffer::content_type) == "application/x-www-form-urlencoded");
    p = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: id=9\r\nServer: x\r\n\r\nhello", true);
    CHECK(p.get(buffer::stat_code) == "200");
    CHECK(p.get(buffer::stat_msg) == "OK");
    CHECK(p.get(buffer::response_line) == "HTTP/1.1 200 OK");
    CHECK(p.get(buffer::header) == "Content-Length: 5\r\nServer: x\r\n");
    CHECK(p.get(buffer::header_names) == "\r\nContent-Length\r\nSet-Cookie\r\nServer\r\n\r\n");
    CHECK(p.get(buffer::cookie) == "id=9");
    CHECK(p.get(buffer::response_body) == "hello");
    CHECK(p.get(buffer::uri) == "<absent>");
}

TEST_CASE("the normalised path has no empty, '.' or '..' segments and never grows (property)") {
    std::mt19937 rng(4242);
    static const char* atoms[] = {"/", "//", ".", "..", "/./", "/../", "%2e", "%2E", "%2f", "\\", "a", "bc", "%41", "%u002e", "%", "?", "%zz"};
    for (int round = 0; round < 5000; ++round) {
        std::string t = "/";
        const int n = static_cast<int>(rng() % 12);
        for (int i = 0; i < n; ++i) t += atoms[rng() % (sizeof atoms / sizeof *atoms)];
        t = t.substr(0, t.find('?'));  // the path alone: a '?' made by decoding is not a query
        std::string out(t.size(), '\0');
        const std::size_t len = http::normalise_uri(bytes(t), {reinterpret_cast<std::byte*>(out.data()), out.size()});
        REQUIRE(len <= t.size());
        out.resize(len);
        const std::string& path = out;
        CAPTURE(t, out);
        // Only decoding inside the path can make new dots; after removal none are left as segments.
        REQUIRE(path.find("//") == std::string::npos);
        REQUIRE(path.find("/./") == std::string::npos);
        REQUIRE(path.find("/../") == std::string::npos);
        REQUIRE((path.size() < 2 || path.substr(path.size() - 2) != "/."));
        REQUIRE((path.size() < 3 || path.substr(path.size() - 3) != "/.."));
        REQUIRE((path.empty() || path[0] == '/'));
    }
}

TEST_CASE("buffers do not depend on segmentation (property)") {
    std::mt19937 rng(5);
    for (int round = 0; round < 300; ++round) {
        std::string req = "POST /p" + std::to_string(rng()) + "/../q%2" + std::to_string(rng() % 10) + "?x=%3" +
                          std::to_string(rng() % 10) + " HTTP/1.1\r\nHost: H" + std::to_string(rng() % 100) +
                          "\r\nCookie: c=" + std::to_string(rng()) + "\r\nX-R: " + std::string(rng() % 50, 'r') +
                          "\r\nContent-Length: 7\r\n\r\nbody=" + std::to_string(rng() % 90 + 10);
        const parsed whole = parse(req, false);
        const parsed cut = parse(req, false, 1 + rng() % 20);
        REQUIRE(whole.b == cut.b);
        REQUIRE(whole.b.at(buffer::request_body).size() == 7);
    }
}

TEST_CASE("oversized messages are cut, flagged, and never overrun a region") {
    using tiny = http::message_buffers<64, 64, 64, 64, 16, 2>;
    struct tiny_sink : tiny {
        bool done = false, cut = false;
        tiny_sink() : tiny(false) {}
        void message_complete() {
            tiny::message_complete();
            done = true;
            cut = truncated();
        }
    };
    auto s = std::make_unique<tiny_sink>();
    const std::string req = "GET /" + std::string(500, 'u') + " HTTP/1.1\r\nA: " + std::string(300, 'a') +
                            "\r\nB: b\r\nC: c\r\nContent-Length: 40\r\n\r\n" + std::string(40, 'x');
    http::parser_state st;
    http::pairing pair;
    http::feed(st, pair, bytes(req), *s);
    CHECK(s->done);
    CHECK(s->cut);
    CHECK(s->buffers().get(buffer::request_body).size() == 16);
    CHECK(s->buffers().get(buffer::raw_uri).size() <= 64);
}
