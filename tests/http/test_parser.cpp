// The streaming HTTP/1.x parser: what it reports does not depend on how the bytes are cut into
// segments; generated messages come back field by field; pipelining, HEAD/204/1xx framing,
// chunked bodies; hostile input never crashes and never hides the next request.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <secengine/http/parser.hpp>

namespace http = secengine::http;

namespace {

// Records every event as text: pieces of one part are joined, so segmentation cannot show.
struct recorder {
    std::string log;
    std::vector<std::string> bodies;
    std::vector<http::anomaly> anomalies;
    std::string current_body;
    int completes = 0, begins = 0;
    http::part open = http::part::count_;
    std::string piece;

    void flush() {
        if (open != http::part::count_ && open != http::part::header_block) {
            log += "[" + std::to_string(static_cast<int>(open)) + ":" + piece + "]";
        }
        open = http::part::count_;
        piece.clear();
    }
    void message_begin() {
        flush();
        ++begins;
        log += "<begin>";
        current_body.clear();
    }
    void data(http::part p, http::header_id, std::span<const std::byte> b) {
        if (p == http::part::header_block) return;
        if (p == http::part::body) {
            current_body.append(reinterpret_cast<const char*>(b.data()), b.size());
            return;
        }
        if (p != open) flush();
        open = p;
        piece.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    void end(http::part p, http::header_id h) {
        if (p == http::part::body) return;
        if (open != p) flush(), open = p;
        flush();
        if (p == http::part::header_name) log += "{" + std::to_string(static_cast<int>(h)) + "}";
    }
    void headers_complete() { flush(), log += "<headers>"; }
    void message_complete() {
        flush();
        ++completes;
        log += "<complete>";
        bodies.push_back(current_body);
    }
    void report(http::anomaly a) { anomalies.push_back(a); }
};
static_assert(http::message_sink<recorder>);

std::span<const std::byte> bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

recorder run(const std::string& text, bool response, const std::vector<std::size_t>& cuts = {}) {
    recorder r;
    http::parser_state s = response ? http::parser_state::for_responses() : http::parser_state::for_requests();
    http::pairing pair;
    std::size_t at = 0;
    for (std::size_t c : cuts) {
        if (c <= at || c >= text.size()) continue;
        http::feed(s, pair, bytes(text).subspan(at, c - at), r);
        at = c;
    }
    http::feed(s, pair, bytes(text).subspan(at), r);
    http::finish(s, pair, r);
    r.flush();
    return r;
}

std::string random_token(std::mt19937& rng, std::size_t min, std::size_t max) {
    static const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*";
    std::string t(std::uniform_int_distribution<std::size_t>(min, max)(rng), 'x');
    for (auto& c : t) c = chars[std::uniform_int_distribution<std::size_t>(0, chars.size() - 1)(rng)];
    return t;
}

struct generated {
    std::string text, method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A valid request: random method/target/headers, body framed by Content-Length or chunked.
generated random_request(std::mt19937& rng) {
    generated g;
    static const char* methods[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"};
    g.method = methods[rng() % 7];
    g.target = "/" + random_token(rng, 0, 30) + (rng() % 2 ? "?" + random_token(rng, 1, 20) + "=" + random_token(rng, 0, 20) : "");
    const std::size_t nh = rng() % 8;
    for (std::size_t i = 0; i < nh; ++i) g.headers.emplace_back("X-" + random_token(rng, 1, 12), random_token(rng, 0, 40));
    g.body = rng() % 2 ? random_token(rng, 1, 300) : "";
    const bool chunked = !g.body.empty() && rng() % 2;
    g.text = g.method + " " + g.target + " HTTP/1.1\r\n";
    for (auto& [n, v] : g.headers) g.text += n + ": " + v + "\r\n";
    if (chunked) {
        g.text += "Transfer-Encoding: chunked\r\n\r\n";
        std::size_t at = 0;
        while (at < g.body.size()) {
            const std::size_t len = std::min<std::size_t>(g.body.size() - at, 1 + rng() % 50);
            char size[16];
            std::snprintf(size, sizeof size, "%zx", len);
            g.text += std::string(size) + (rng() % 3 == 0 ? ";ext=1" : "") + "\r\n" + g.body.substr(at, len) + "\r\n";
            at += len;
        }
        g.text += "0\r\n\r\n";
    } else if (!g.body.empty()) {
        g.text += "Content-Length: " + std::to_string(g.body.size()) + "\r\n\r\n" + g.body;
    } else {
        g.text += "\r\n";
    }
    return g;
}

std::vector<std::size_t> random_cuts(std::mt19937& rng, std::size_t n) {
    std::vector<std::size_t> cuts;
    const std::size_t k = rng() % 12;
    for (std::size_t i = 0; i < k; ++i) cuts.push_back(1 + rng() % (n ? n : 1));
    std::sort(cuts.begin(), cuts.end());
    return cuts;
}

}  // namespace

TEST_CASE("a simple request is reported part by part") {
    const auto r = run("GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n", false);
    CHECK(r.log == "<begin>[0:GET][1:/index.html?a=1][2:HTTP/1.1][5:Host]{1}[6:example.com][5:User-Agent]{2}[6:t/1]<headers><complete>");
    CHECK(r.anomalies.empty());
    CHECK(r.completes == 1);
}

TEST_CASE("segmentation never changes what the parser reports (property)") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 400; ++round) {
        std::string text;
        std::vector<generated> reqs;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) {
            reqs.push_back(random_request(rng));
            text += reqs.back().text;
        }
        const recorder whole = run(text, false);
        REQUIRE(whole.completes == n);
        REQUIRE(whole.anomalies.empty());
        for (int i = 0; i < n; ++i) REQUIRE(whole.bodies[static_cast<std::size_t>(i)] == reqs[static_cast<std::size_t>(i)].body);
        // Each generated field appears in the log in order.
        std::size_t at = 0;
        for (auto& g : reqs) {
            for (const std::string& want : {"[0:" + g.method + "]", "[1:" + g.target + "]"}) {
                const auto pos = whole.log.find(want, at);
                REQUIRE(pos != std::string::npos);
                at = pos;
            }
            for (auto& [hn, hv] : g.headers) {
                const auto pos = whole.log.find("[5:" + hn + "]{0}[6:" + hv + "]", at);
                REQUIRE(pos != std::string::npos);
                at = pos;
            }
        }
        const recorder cut = run(text, false, random_cuts(rng, text.size()));
        REQUIRE(cut.log == whole.log);
        REQUIRE(cut.bodies == whole.bodies);
        // Byte by byte, the worst case for a streaming parser.
        if (round % 20 == 0) {
            std::vector<std::size_t> every;
            for (std::size_t k = 1; k < text.size(); ++k) every.push_back(k);
            REQUIRE(run(text, false, every).log == whole.log);
        }
    }
}

TEST_CASE("the header block is the header section as sent, in any segmentation") {
    struct block_sink : recorder {
        std::string block;
        void data(http::part p, http::header_id h, std::span<const std::byte> b) {
            if (p == http::part::header_block) block.append(reinterpret_cast<const char*>(b.data()), b.size());
            else recorder::data(p, h, b);
        }
    };
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        const generated g = random_request(rng);
        const auto start = g.text.find("\r\n") + 2;
        const auto end = g.text.find("\r\n\r\n") + 4;
        block_sink b;
        http::parser_state s;
        http::pairing pair;
        std::size_t at = 0;
        for (std::size_t c : random_cuts(rng, g.text.size())) {
            if (c <= at) continue;
            http::feed(s, pair, bytes(g.text).subspan(at, c - at), b);
            at = c;
        }
        http::feed(s, pair, bytes(g.text).subspan(at), b);
        REQUIRE(b.block == g.text.substr(start, end - start));
    }
}

TEST_CASE("known header names are matched exactly, in any case") {
    using http::header_id;
    const auto r = run("GET / HTTP/1.1\r\nCONTENT-length: 0\r\ncontent-lengthx: 1\r\nhost: a\r\nHOS: b\r\nSet-Cookie: c\r\n\r\n", false);
    CHECK(r.log.find("[5:CONTENT-length]{5}") != std::string::npos);
    CHECK(r.log.find("[5:content-lengthx]{0}") != std::string::npos);
    CHECK(r.log.find("[5:host]{1}") != std::string::npos);
    CHECK(r.log.find("[5:HOS]{0}") != std::string::npos);
    CHECK(r.log.find("[5:Set-Cookie]{4}") != std::string::npos);
}

TEST_CASE("response framing: Content-Length, chunked, close, HEAD, 204, 304, 1xx") {
    SECTION("length and chunked bodies") {
        const auto r = run("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true);
        REQUIRE(r.completes == 2);
        CHECK(r.bodies == std::vector<std::string>{"hello", "abc"});
    }
    SECTION("a body to the close of the connection") {
        const auto r = run("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of this", true);
        REQUIRE(r.completes == 1);
        CHECK(r.bodies[0] == "all of this");
    }
    SECTION("204, 304 and 1xx have no body; 100 Continue does not use up the request") {
        const auto r = run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", true);
        CHECK(r.completes == 3);
        CHECK(r.bodies == std::vector<std::string>{"", "", ""});
    }
    SECTION("the answer to HEAD has no body even with Content-Length") {
        recorder req, resp;
        http::parser_state rs = http::parser_state::for_requests(), ss = http::parser_state::for_responses();
        http::pairing pair;
        const std::string q = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        const std::string a = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
        http::feed(rs, pair, bytes(q), req);
        http::feed(ss, pair, bytes(a), resp);
        CHECK(req.completes == 2);
        CHECK(resp.completes == 2);
        CHECK(resp.bodies == std::vector<std::string>{"", "body"});
        CHECK(pair.count == 0);
    }
}

TEST_CASE("lenient readings are counted, not fatal") {
    SECTION("bare LF line ends") {
        const auto r = run("GET / HTTP/1.1\nHost: a\n\n", false);
        CHECK(r.completes == 1);
        CHECK(std::count(r.anomalies.begin(), r.anomalies.end(), http::anomaly::bare_lf) == 3);
    }
    SECTION("obs-fold joins the continuation with one blank") {
        const auto r = run("GET / HTTP/1.1\r\nX-A: one\r\n  two\r\n\r\n", false);
        CHECK(r.log.find("[6:one two]") != std::string::npos);
        CHECK(r.anomalies == std::vector<http::anomaly>{http::anomaly::obs_fold});
    }
    SECTION("Content-Length and chunked together: chunked wins") {
        const auto r = run("POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n", false);
        CHECK(r.completes == 2);
        CHECK(r.bodies[0] == "ab");
        CHECK(r.anomalies == std::vector<http::anomaly>{http::anomaly::length_and_chunked});
    }
    SECTION("a coding list ending in chunked is chunked; one ending otherwise is not") {
        CHECK(run("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked \r\n\r\n1\r\nx\r\n0\r\n\r\n", false).bodies[0] == "x");
        CHECK(run("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false).bodies[0].empty());
    }
}

TEST_CASE("malformed messages are counted and the next request is still found") {
    const char* bad[] = {
        "\x01\x02garbage line\r\n",
        "GET\r\n",
        "G@T / HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\nBad name : v\r\n\r\n",
    };
    for (const char* b : bad) {
        CAPTURE(b);
        const auto r = run(std::string(b) + "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", false);
        CHECK(!r.anomalies.empty());
        CHECK(r.log.find("[1:/after]") != std::string::npos);
    }
}

TEST_CASE("hostile input: random bytes, huge sizes, random cuts never crash or loop") {
    std::mt19937 rng(99);
    for (int round = 0; round < 2000; ++round) {
        std::string text(rng() % 600, '\0');
        for (auto& c : text) {
            // Bias towards the bytes that drive the state machine.
            static const char alphabet[] = "GET /HTTP1.\r\n: \t0123456789abcdefxContent-Length:chunkedTransfer-Encoding";
            c = rng() % 4 ? alphabet[rng() % (sizeof alphabet - 1)] : static_cast<char>(rng());
        }
        const bool response = rng() % 2;
        const recorder a = run(text, response);
        const recorder b = run(text, response, random_cuts(rng, text.size()));
        REQUIRE(a.log == b.log);  // segmentation independence holds for garbage too
        REQUIRE(a.completes <= a.begins);
    }
    SECTION("a Content-Length beyond 32 bits and a chunk beyond 256 MiB are refused") {
        auto r = run("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", false);
        CHECK(std::count(r.anomalies.begin(), r.anomalies.end(), http::anomaly::bad_content_length) == 1);
        r = run("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\nGET /x HTTP/1.1\r\n\r\n", false);
        CHECK(std::count(r.anomalies.begin(), r.anomalies.end(), http::anomaly::bad_chunk_size) == 1);
        CHECK(r.log.find("[1:/x]") != std::string::npos);
    }
}

TEST_CASE("parser state is 12 bytes and works at compile time") {
    STATIC_REQUIRE(sizeof(http::parser_state) == 12);
    constexpr int completes = [] {
        struct counting {
            int n = 0;
            constexpr void message_begin() {}
            constexpr void data(http::part, http::header_id, std::span<const std::byte>) {}
            constexpr void end(http::part, http::header_id) {}
            constexpr void headers_complete() {}
            constexpr void message_complete() { ++n; }
            constexpr void report(http::anomaly) {}
        } c;
        constexpr char text[] = "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
        std::array<std::byte, sizeof text - 1> b{};
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(text[i]);
        http::parser_state s;
        http::pairing p;
        http::feed(s, p, b, c);
        return c.n;
    }();
    STATIC_REQUIRE(completes == 2);
}

TEST_CASE("header_matcher: a name streamed byte by byte gets the id of the known name it equals, ignoring case", "[http][property]") {
    std::mt19937 rng(31);
    std::size_t known = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        // Known names, cut, extended, with a byte changed or case flipped: many near misses.
        std::string n(http::header_names[1 + rng() % (http::header_names.size() - 1)]);
        switch (rng() % 4) {
        case 0: n = n.substr(0, rng() % (n.size() + 1)); break;
        case 1: n += "-xy"[rng() % 3]; break;
        case 2: n[rng() % n.size()] = "aeiou-"[rng() % 6]; break;
        default: break;
        }
        for (auto& c : n)
            if (rng() % 2 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        std::uint16_t mask = http::header_matcher::all;
        for (std::size_t i = 0; i < n.size(); ++i)
            mask = http::header_matcher::step(mask, static_cast<std::uint8_t>(i < 255 ? i : 255), static_cast<std::uint8_t>(n[i]));
        http::header_id want = http::header_id::other;
        for (std::size_t k = 1; k < http::header_names.size(); ++k) {
            const auto name = http::header_names[k];
            bool eq = name.size() == n.size();
            for (std::size_t i = 0; eq && i < n.size(); ++i) eq = http::header_matcher::fold(static_cast<std::uint8_t>(n[i])) == name[i];
            if (eq) want = static_cast<http::header_id>(k);
        }
        INFO(n);
        REQUIRE(http::header_matcher::finish(mask, n.size()) == want);
        known += want != http::header_id::other;
    }
    CHECK(known > 5000);
}
