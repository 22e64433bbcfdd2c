// The whole engine: parser -> compiler -> flat image -> evaluate. Header (protocols,
// addresses, ports, negation, <>), flow, HTTP buffers of both spellings, action order and pass,
// flowbits, thresholds and detection_filter, dsize/urilen; and the prefilter property: for
// random rule sets the reported set equals the rules the reference model says match, whatever
// pattern the prefilter picked, including when the candidate scratch overflows.
#include <algorithm>
#include <random>
#include <set>

#include "engine_util.hpp"
#include "reference.hpp"

using namespace secengine;
using test::engine;
using test::packet;
using B = http::buffer;
using V = std::vector<std::uint32_t>;

TEST_CASE("engine: header protocols, addresses, ports, direction", "[rules][engine]") {
    engine e({
        R"(alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (content:"x"; sid:1;))",
        R"(alert tcp $HOME_NET any -> $EXTERNAL_NET any (content:"x"; sid:2;))",
        R"(alert udp any any -> any any (content:"x"; sid:3;))",
        R"(alert ip any any -> any ![80,443] (content:"x"; sid:4;))",
        R"(alert tcp any 40000 <> any 80 (content:"x"; sid:5;))",
        R"(alert tcp 10.0.0.0/24 80 <> 192.168.1.0/24 any (content:"x"; sid:6;))",
        R"(alert http any any -> any any (content:"x"; sid:7;))",
        R"(alert tcp [192.168.0.0/16,!192.168.1.10] any -> any any (content:"x"; sid:8;))",
        R"(alert tcp any [1024:,!40000] -> any any (content:"x"; sid:9;))",
        R"(alert ip ::ffff:192.168.1.10 any -> any any (content:"x"; sid:10;))",
    });
    packet p("x");
    // src 192.168.1.10 is in HOME_NET (Suricata default), dst 10.0.0.5 too.
    CHECK(e.run(p.ctx) == V{5, 6, 10});
    p.ctx.src = rules::ipv4_address(0x08080808);  // 8.8.8.8: external
    CHECK(e.run(p.ctx) == V{1, 5});
    std::swap(p.ctx.src, p.ctx.dst);
    std::swap(p.ctx.sport, p.ctx.dport);  // 10.0.0.5:80 -> 8.8.8.8:40000
    CHECK(e.run(p.ctx) == V{2, 4, 5});
    p.ctx.ip_proto = 17;
    CHECK(e.run(p.ctx) == V{3, 4});
    p.ctx.ip_proto = 6;
    p.ctx.app = rules::app_protocol::http;
    p.ctx.sport = 50000;
    CHECK(e.run(p.ctx) == V{2, 4, 7, 9});
}

TEST_CASE("engine: flow, HTTP buffers in both spellings, uricontent, urilen, dsize", "[rules][engine]") {
    engine e({
        R"(alert http any any -> any any (flow:established,to_server; content:"/etc/passwd"; http_uri; sid:1;))",
        R"(alert http any any -> any any (flow:to_server; http.uri; content:"/ETC/"; nocase; sid:2;))",
        R"(alert http any any -> any any (uricontent:"passwd"; urilen:>5; sid:3;))",
        R"(alert http any any -> any any (content:"..%2f"; http_raw_uri; sid:4;))",
        R"(alert http any any -> any any (flow:to_client; http.stat_code; content:"404"; sid:5;))",
        R"(alert http any any -> any any (http.user_agent; content:"sqlmap"; startswith; sid:6;))",
        R"(alert http any any -> any any (content:"sqlmap"; http_user_agent; endswith; sid:7;))",
        R"(alert http any any -> any any (flow:not_established; content:"/etc"; http_uri; sid:8;))",
        R"(alert tcp any any -> any any (dsize:<5; content:"ab"; sid:9;))",
        R"(alert http any any -> any any (file_data; content:"<script"; flow:to_client; sid:10;))",
        R"(alert http any any -> any any (file_data; content:"cmd="; flow:to_server; sid:11;))",
    });
    packet p("GET /..%2fetc/passwd HTTP/1.1\r\n");
    p.ctx.app = rules::app_protocol::http;
    p.set(B::uri, "/etc/passwd").set(B::raw_uri, "/..%2fetc/passwd").set(B::user_agent, "sqlmap/1.7").set(B::request_body, "cmd=ls");
    CHECK(e.run(p.ctx) == V{1, 2, 3, 4, 6, 11});
    p.ctx.established = false;
    CHECK(e.run(p.ctx) == V{2, 3, 4, 6, 8, 11});
    packet r("HTTP/1.1 404 Not Found\r\n");
    r.ctx.app = rules::app_protocol::http;
    r.ctx.to_server = false;
    r.set(B::stat_code, "404").set(B::response_body, "<script>alert(1)</script>");
    CHECK(e.run(r.ctx) == V{5, 10});
    packet small("ab");
    CHECK(e.run(small.ctx) == V{9});
    packet user("x");
    user.ctx.app = rules::app_protocol::http;
    user.set(B::user_agent, "my sqlmap");
    CHECK(e.run(user.ctx) == V{7});
}

TEST_CASE("engine: Suricata action order; pass ends inspection", "[rules][engine]") {
    engine e({
        R"(alert tcp any any -> any any (content:"a"; sid:10; priority:1;))",
        R"(drop tcp any any -> any any (content:"a"; sid:20;))",
        R"(reject tcp any any -> any any (content:"a"; sid:30;))",
        R"(alert tcp any any -> any any (content:"a"; sid:5; priority:2;))",
        R"(pass tcp any any -> any any (content:"stop"; sid:40;))",
    });
    packet p("a");
    CHECK(e.run(p.ctx) == V{20, 30, 10, 5});
    packet q("a stop");
    CHECK(e.run(q.ctx) == V{40});
    CHECK(e.last.passed);
}

TEST_CASE("engine: flowbits set before isset, isnotset, toggle, noalert", "[rules][engine]") {
    engine e({
        R"(alert http any any -> any any (content:"/admin"; http_uri; flowbits:isset,login; sid:2;))",
        R"(alert http any any -> any any (content:"/login"; http_uri; flowbits:set,login; flowbits:noalert; sid:1;))",
        R"(alert http any any -> any any (content:"/"; http_uri; flowbits:isnotset,login; sid:3;))",
        R"(alert http any any -> any any (content:"/logout"; http_uri; flowbits:unset,login; sid:4;))",
        R"(alert http any any -> any any (content:"/t"; http_uri; flowbits:toggle,t; sid:5;))",
        R"(alert http any any -> any any (content:"/t"; http_uri; flowbits:isset,t&login; sid:6;))",
    });
    // One request at a time through the same flow's bits.
    auto req = [&](const std::string& uri) {
        packet p("x");
        p.ctx.app = rules::app_protocol::http;
        p.set(B::uri, uri);
        return e.run(p.ctx);
    };
    CHECK(req("/admin") == V{3});
    CHECK(req("/login/admin") == V{2});  // the setter runs first (Suricata's ordering)
    CHECK(req("/admin") == V{2});
    CHECK(req("/t") == V{5, 6});
    CHECK(req("/t") == V{5});
    CHECK(req("/logout") == V{4, 3});    // unset runs before the isnotset reader
    CHECK(req("/admin") == V{3});
}

TEST_CASE("engine: threshold limit/threshold/both and detection_filter with time passed in", "[rules][engine]") {
    engine e({
        R"(alert tcp any any -> any any (content:"L"; threshold:type limit, track by_src, count 2, seconds 10; sid:1;))",
        R"(alert tcp any any -> any any (content:"T"; threshold:type threshold, track by_src, count 3, seconds 10; sid:2;))",
        R"(alert tcp any any -> any any (content:"B"; threshold:type both, track by_dst, count 2, seconds 10; sid:3;))",
        R"(alert tcp any any -> any any (content:"D"; detection_filter:track by_src, count 2, seconds 10; sid:4;))",
    });
    auto hits = [&](const std::string& what, int n, std::uint64_t t0) {
        std::string seq;
        for (int i = 0; i < n; ++i) {
            packet p(what);
            seq += e.run(p.ctx, t0 + static_cast<std::uint64_t>(i) * 100).empty() ? '.' : 'A';
        }
        return seq;
    };
    CHECK(hits("L", 5, 0) == "AA...");
    CHECK(hits("L", 2, 20000) == "AA");  // a new window
    CHECK(hits("T", 7, 0) == "..A..A.");
    CHECK(hits("B", 5, 0) == ".A...");
    CHECK(hits("D", 5, 0) == "..AAA");
    // by_src: another source has its own counter.
    packet other("L");
    other.ctx.src = rules::ipv4_address(0x01020304);
    CHECK(e.run(other.ctx, 20500).size() == 1);
}

namespace {

// A random rule over payload/uri: content ops in rule order (Suricata text), plus the
// reference ops per buffer.
struct gen_rule {
    std::string text;
    std::vector<ref::op> payload, uri;
};

gen_rule random_rule(std::mt19937& rng, std::uint32_t sid) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    gen_rule g;
    std::string opts;
    const int n = 1 + pick(3);
    bool any_fp = false;
    for (int i = 0; i < n; ++i) {
        const bool uri = pick(3) == 0;
        auto& list = uri ? g.uri : g.payload;
        ref::op o;
        const int len = 1 + pick(3);
        for (int k = 0; k < len; ++k) o.pat += "abAB"[pick(4)];
        o.nocase = pick(2) == 0;
        o.negated = pick(6) == 0;
        opts += std::string("content:") + (o.negated ? "!" : "") + "\"" + o.pat + "\"; ";
        if (uri) opts += "http_uri; ";
        if (o.nocase) opts += "nocase; ";
        if (!list.empty() && pick(2) == 0) {
            o.distance = pick(5) - 1;
            opts += "distance:" + std::to_string(*o.distance) + "; ";
            if (pick(2) == 0) {
                o.within = len + pick(5);
                opts += "within:" + std::to_string(*o.within) + "; ";
            }
        } else if (pick(3) == 0) {
            o.offset = pick(5);
            opts += "offset:" + std::to_string(*o.offset) + "; ";
            if (pick(2) == 0) {
                o.depth = len + pick(8);
                opts += "depth:" + std::to_string(*o.depth) + "; ";
            }
        }
        if (!o.negated && !any_fp && pick(3) == 0) {
            opts += "fast_pattern; ";
            any_fp = true;
        }
        list.push_back(o);
    }
    g.text = "alert tcp any any -> any any (" + opts + "sid:" + std::to_string(sid) + ";)";
    return g;
}

std::string random_text(std::mt19937& rng, int max) {
    std::string s;
    const int n = static_cast<int>(rng() % static_cast<unsigned>(max));
    for (int i = 0; i < n; ++i) s += "abABx"[rng() % 5];
    return s;
}

}  // namespace

TEST_CASE("engine: prefilter + compiler + image == reference model on random rule sets", "[rules][engine][property]") {
    std::mt19937 rng(11);
    std::size_t reported = 0, total = 0;
    for (int set = 0; set < 60; ++set) {
        std::vector<gen_rule> gens;
        std::vector<std::string> texts;
        const int nrules = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < nrules; ++i) {
            gens.push_back(random_rule(rng, static_cast<std::uint32_t>(i + 1)));
            texts.push_back(gens.back().text);
        }
        engine e(texts);
        engine tiny(texts, rulesc::default_vars(), {1, false});  // root row only, no start table: the sparse walk
        tiny.scratch.resize(2);  // overflows: every rule checked, same answer
        engine skipping(texts, rulesc::default_vars(), {1, true});  // start table in front of the sparse walk
        for (int pkt = 0; pkt < 40; ++pkt) {
            packet p(random_text(rng, 20));
            const bool has_uri = rng() % 4 != 0;
            const std::string uri = random_text(rng, 12);
            if (has_uri) p.set(B::uri, uri);
            std::set<std::uint32_t> want;
            for (std::size_t i = 0; i < gens.size(); ++i) {
                const bool ok = ref::eval(gens[i].payload, std::string(reinterpret_cast<const char*>(p.bufs.get(B::payload).data()),
                                                                     p.bufs.get(B::payload).size())) &&
                                (gens[i].uri.empty() || (has_uri && ref::eval(gens[i].uri, uri)));
                if (ok) want.insert(static_cast<std::uint32_t>(i + 1));
            }
            const V got = e.run(p.ctx);
            const std::set<std::uint32_t> gs(got.begin(), got.end());
            INFO("set " << set << " packet " << pkt);
            REQUIRE(gs.size() == got.size());  // each rule reported once
            REQUIRE(gs == want);
            const V got2 = tiny.run(p.ctx);
            REQUIRE(std::set<std::uint32_t>(got2.begin(), got2.end()) == want);
            const V got3 = skipping.run(p.ctx);
            REQUIRE(std::set<std::uint32_t>(got3.begin(), got3.end()) == want);
            reported += want.size();
            total += gens.size();
        }
    }
    CHECK(reported > total / 20);
    CHECK(reported < total / 2);
}

TEST_CASE("engine: candidates stay few when most rules cannot match", "[rules][engine]") {
    std::vector<std::string> texts;
    for (int i = 0; i < 2000; ++i)
        texts.push_back("alert tcp any any -> any any (content:\"pattern" + std::to_string(i) + "x\"; sid:" + std::to_string(i + 1) + ";)");
    engine e(texts);
    packet p("....pattern17x....pattern1999x..");
    CHECK(e.run(p.ctx) == V{18, 2000});
    CHECK(e.last.candidates == 2);
    CHECK_FALSE(e.last.overflow);
}

namespace {

// The payload automaton's skip window m of an image (0: no skip table), read from its header.
std::uint32_t skip_window_of(const rules::db_view& v) {
    const std::uint32_t a = v.automaton(B::payload);
    if (a == rules::none32) return 0;
    const auto word = [&](std::size_t w) {
        std::uint32_t x = 0;
        for (int k = 0; k < 4; ++k) x |= static_cast<std::uint32_t>(v.bytes()[a + 4 * w + static_cast<std::size_t>(k)]) << (8 * k);
        return x;
    };
    return word(rules::aw::skip) == rules::none32 ? 0 : word(rules::aw::skip_len);
}

bool folded_contains(const std::string& hay, const std::string& needle) {
    auto low = [](std::string s) {
        for (char& c : s) c = static_cast<char>(rules::fold(static_cast<std::uint8_t>(c)));
        return s;
    };
    return low(hay).find(low(needle)) != std::string::npos;
}

}  // namespace

TEST_CASE("engine: the Wu-Manber skip walk finds exactly what a naive search finds", "[rules][engine][property]") {
    // Patterns of >= 3 bytes from a small alphabet (many partial matches, shifts of every size),
    // payloads with occurrences planted anywhere, also flush with the first and the last byte.
    std::mt19937 rng(23);
    const std::string alpha = "abcABxy-";
    std::size_t windows_seen = 0, hits = 0, checks = 0;
    for (int set = 0; set < 150; ++set) {
        const std::size_t nrules = 1 + rng() % 30;
        const std::size_t min_len = 3 + rng() % 6;
        std::vector<std::string> pats, texts;
        for (std::size_t i = 0; i < nrules; ++i) {
            std::string p;
            const std::size_t len = min_len + rng() % 8;
            for (std::size_t k = 0; k < len; ++k) p += alpha[rng() % alpha.size()];
            pats.push_back(p);
            texts.push_back("alert tcp any any -> any any (content:\"" + p + "\"; nocase; sid:" + std::to_string(i + 1) + ";)");
        }
        engine skipping(texts, rulesc::default_vars(), {1, true});
        engine dense_skipping(texts, rulesc::default_vars(), {256, true});
        engine plain(texts, rulesc::default_vars(), {1, false});
        const std::uint32_t m = skip_window_of(skipping.view);
        REQUIRE(m >= rules::aw::skip_min_len);  // every pattern has >= 3 bytes: the table must exist
        std::size_t shortest = pats[0].size();
        for (const auto& pat : pats) shortest = std::min(shortest, pat.size());
        REQUIRE(m == std::min<std::size_t>(shortest, rules::aw::skip_max_len));  // the window is the shortest pattern
        REQUIRE(skip_window_of(plain.view) == 0);
        windows_seen += m;
        for (int pkt = 0; pkt < 40; ++pkt) {
            std::string data;
            const std::size_t len = rng() % 80;
            for (std::size_t k = 0; k < len; ++k) data += alpha[rng() % alpha.size()];
            if (rng() % 2 != 0) {  // plant one pattern, in random case, at a random place or an edge
                std::string p = pats[rng() % pats.size()];
                for (char& c : p)
                    if (rng() % 2 != 0 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
                const std::size_t where = rng() % 3 == 0 ? 0 : rng() % 3 == 0 ? data.size() : rng() % (data.size() + 1);
                data.insert(where, p);
            }
            std::set<std::uint32_t> want;
            for (std::size_t i = 0; i < pats.size(); ++i)
                if (folded_contains(data, pats[i])) want.insert(static_cast<std::uint32_t>(i + 1));
            packet p(data);
            const V a = skipping.run(p.ctx), b = dense_skipping.run(p.ctx), c = plain.run(p.ctx);
            INFO("set " << set << " m " << m << " data '" << data << "'");
            REQUIRE(std::set<std::uint32_t>(a.begin(), a.end()) == want);
            REQUIRE(std::set<std::uint32_t>(b.begin(), b.end()) == want);
            REQUIRE(std::set<std::uint32_t>(c.begin(), c.end()) == want);
            hits += want.size();
            ++checks;
        }
    }
    CHECK(hits > checks / 4);  // the planted occurrences are found (the test sees matches)
    CHECK(windows_seen > 150 * 3);
}

TEST_CASE("engine: a one- or two-byte pattern keeps the automaton without a skip table", "[rules][engine]") {
    engine e({"alert tcp any any -> any any (content:\"ab\"; sid:1;)", "alert tcp any any -> any any (content:\"longer\"; sid:2;)"},
             rulesc::default_vars(), {1, true});
    CHECK(skip_window_of(e.view) == 0);
    packet p("xxlongerxxab");
    CHECK(e.run(p.ctx) == V{1, 2});
}
