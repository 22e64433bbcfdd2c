// Host rule parser: address/port expressions against a naive membership model, IPv6 forms,
// variables (defaults, --var, suricata.yaml, cycles), classification.config, every refusal
// path with a message naming the problem, unsupported keywords all listed, content decoding,
// and random mutations of real rules that never crash.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "rules_parser.hpp"

using namespace secengine;
using namespace secengine::rulesc;
using st = parse_outcome::status;

namespace {

std::string ip4(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) + "." +
           std::to_string(a & 255);
}

parse_outcome parse(const std::string& text, parsed_rule& r, const classification& c = {}) {
    return parse_rule(text, default_vars(), c, r);
}

}  // namespace

TEST_CASE("parser: address lists with negation agree with a naive membership model", "[rules][parser][property]") {
    std::mt19937 rng(5);
    const rule_vars vars = default_vars();
    for (int iter = 0; iter < 3000; ++iter) {
        struct item { std::uint32_t net; int prefix; bool neg; };
        std::vector<item> items;
        const int n = 1 + static_cast<int>(rng() % 4);
        std::string expr = "[";
        for (int i = 0; i < n; ++i) {
            item it{static_cast<std::uint32_t>((rng() & 0xFF000000u) | (rng() % 4) << 22), 2 + static_cast<int>(rng() % 30),
                    rng() % 3 == 0};
            items.push_back(it);
            expr += (i ? "," : "") + std::string(it.neg ? "!" : "") + ip4(it.net) + "/" + std::to_string(it.prefix);
        }
        expr += "]";
        range_set s;
        const std::string err = parse_addresses(expr, vars, s);
        auto in = [](const item& it, std::uint32_t a) {
            const std::uint32_t mask = it.prefix == 0 ? 0 : ~0u << (32 - it.prefix);
            return (a & mask) == (it.net & mask);
        };
        bool any_pos = false;
        for (const auto& it : items) any_pos = any_pos || !it.neg;
        if (!err.empty()) {
            // Only a list that matches nothing is refused.
            CHECK(err.find("matches nothing") != std::string::npos);
            continue;
        }
        for (int probe = 0; probe < 50; ++probe) {
            const std::uint32_t a = probe < 25 ? items[static_cast<std::size_t>(probe) % items.size()].net + static_cast<std::uint32_t>(rng() % 70000)
                                               : static_cast<std::uint32_t>(rng());
            bool pos = !any_pos, neg = false;
            for (const auto& it : items) (it.neg ? neg : pos) = (it.neg ? neg : pos) || in(it, a);
            INFO(expr << " probe " << ip4(a));
            REQUIRE(contains(s, v4(a)) == (pos && !neg));
        }
        // A negated expression is the complement.
        range_set c;
        if (parse_addresses("!" + expr, vars, c).empty())
            for (int probe = 0; probe < 20; ++probe) {
                const auto a = static_cast<std::uint32_t>(rng());
                REQUIRE(contains(c, v4(a)) != contains(s, v4(a)));
            }
    }
}

TEST_CASE("parser: ports, ranges, negation, variables", "[rules][parser]") {
    rule_vars vars = default_vars();
    range_set s;
    REQUIRE(parse_ports("[80,8000:8010,!8005]", vars, s).empty());
    CHECK(contains(s, 80));
    CHECK(contains(s, 8004));
    CHECK_FALSE(contains(s, 8005));
    CHECK_FALSE(contains(s, 81));
    REQUIRE(parse_ports("1024:", vars, s).empty());
    CHECK((contains(s, 65535) && !contains(s, 1023)));
    REQUIRE(parse_ports(":1023", vars, s).empty());
    CHECK((contains(s, 0) && !contains(s, 1024)));
    REQUIRE(parse_ports("$FILE_DATA_PORTS", vars, s).empty());  // nests $HTTP_PORTS
    CHECK((contains(s, 80) && contains(s, 110) && contains(s, 143) && !contains(s, 81)));
    REQUIRE(parse_ports("!$HTTP_PORTS", vars, s).empty());
    CHECK((!contains(s, 80) && contains(s, 81)));
    REQUIRE(parse_ports("any", vars, s).empty());
    CHECK(s.any);
    for (const char* bad : {"99999", "80:70", "[80", "abc", "", "[]", "-1", "!any", "[80,]", "$NOPE", ":"}) {
        INFO(bad);
        CHECK_FALSE(parse_ports(bad, vars, s).empty());
    }
    CHECK(set_var(vars, "HTTP_PORTS=[80,8080]").empty());
    REQUIRE(parse_ports("$HTTP_PORTS", vars, s).empty());
    CHECK(contains(s, 8080));
    CHECK(set_var(vars, "HOME_NET=10.1.0.0/16").empty());
    REQUIRE(parse_addresses("$EXTERNAL_NET", vars, s).empty());
    CHECK((!contains(s, v4(0x0A010203)) && contains(s, v4(0xC0A80101))));
    // A cycle is an error, not a crash.
    CHECK(set_var(vars, "A_NET=$B_NET").find("undefined") != std::string::npos);
    vars.address["A_NET"] = "$B_NET";
    vars.address["B_NET"] = "[$A_NET]";
    CHECK(parse_addresses("$A_NET", vars, s).find("too deep") != std::string::npos);
    CHECK_FALSE(set_var(vars, "novalue").empty());
    CHECK_FALSE(set_var(vars, "=1.2.3.4").empty());
    CHECK_FALSE(set_var(vars, "X_PORTS=70000").empty());
}

TEST_CASE("parser: IPv4 and IPv6 forms", "[rules][parser]") {
    const rule_vars vars = default_vars();
    range_set s;
    REQUIRE(parse_addresses("2001:db8::/32", vars, s).empty());
    CHECK(contains(s, static_cast<u128>(0x20010db8) << 96 | 5));
    CHECK_FALSE(contains(s, static_cast<u128>(0x20010db9) << 96));
    REQUIRE(parse_addresses("::1", vars, s).empty());
    CHECK((contains(s, 1) && !contains(s, 2)));
    REQUIRE(parse_addresses("::ffff:10.0.0.1", vars, s).empty());
    CHECK(contains(s, v4(0x0A000001)));
    REQUIRE(parse_addresses("1:2:3:4:5:6:7:8", vars, s).empty());
    CHECK(contains(s, static_cast<u128>(0x0001000200030004ull) << 64 | 0x0005000600070008ull));
    REQUIRE(parse_addresses("10.0.0.1-10.0.0.9", vars, s).empty());
    CHECK((contains(s, v4(0x0A000005)) && !contains(s, v4(0x0A00000A))));
    REQUIRE(parse_addresses("[1.2.3.4, 2001:db8::1]", vars, s).empty());
    CHECK((contains(s, v4(0x01020304)) && !contains(s, v4(0x01020305))));
    for (const char* bad : {"1.2.3", "1.2.3.256", "1.2.3.4/33", "::1/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "gg::1", "1.2.3.4/-1",
                            "10.0.0.9-10.0.0.1", "[!any]", "[1.2.3.4", "1.2.3.4]", "$UNDEFINED", ":::", "1:"}) {
        INFO(bad);
        CHECK_FALSE(parse_addresses(bad, vars, s).empty());
    }
}

TEST_CASE("parser: suricata.yaml vars and classification.config", "[rules][parser]") {
    rule_vars v;
    REQUIRE(load_vars_yaml("data/vars.yaml", v).empty());
    CHECK(v.address.at("HOME_NET") == "[10.0.0.0/8]");
    CHECK(v.port.at("HTTP_PORTS") == "[80,8080]");
    CHECK_FALSE(load_vars_yaml("data/does-not-exist.yaml", v).empty());
    CHECK_FALSE(load_vars_yaml("data/et_style.rules", v).empty());  // not YAML with vars
    {
        std::ofstream("/tmp/secengine_rules_bad.yaml") << "vars: [1, 2\n";
    }
    CHECK_FALSE(load_vars_yaml("/tmp/secengine_rules_bad.yaml", v).empty());

    classification c;
    REQUIRE(load_classification("data/classification.config", c).empty());
    CHECK(c.classes.at("web-application-attack").second == 1);
    CHECK(c.classes.at("attempted-recon").first == "Attempted Information Leak");
    {
        std::ofstream("/tmp/secengine_rules_bad.class") << "config classification: x,y\n";
    }
    CHECK_FALSE(load_classification("/tmp/secengine_rules_bad.class", c).empty());
    CHECK_FALSE(load_classification("data/nope.config", c).empty());
    parsed_rule r;
    REQUIRE(parse(R"(alert tcp any any -> any any (content:"a"; classtype:attempted-recon; sid:1;))", r, c).st == st::ok);
    CHECK(r.priority == 2);
    CHECK(r.category == "Attempted Information Leak");
    REQUIRE(parse(R"(alert tcp any any -> any any (content:"a"; classtype:attempted-recon; priority:4; sid:1;))", r, c).st == st::ok);
    CHECK(r.priority == 4);
}

TEST_CASE("parser: options, modifiers, buffers", "[rules][parser]") {
    parsed_rule r;
    REQUIRE(parse(R"(alert http $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:"a \"q\" \; b"; flow:established,to_server; )"
                  R"(content:"GET"; http_method; content:"|2f 2e|./"; http_raw_uri; depth:10; offset:1; http.header; )"
                  R"(content:!"X-Ok"; nocase; fast_pattern:1,2; content:"Y"; distance:0; within:5; sid:9; rev:3; gid:2;))", r)
                .st == st::ok);
    CHECK(r.msg == "a \"q\" ; b");
    CHECK(r.flow == (rules::flow_flag::established | rules::flow_flag::to_server));
    REQUIRE(r.ops.size() == 4);
    CHECK(r.ops[0].buf == http::buffer::method);
    CHECK(r.ops[1].buf == http::buffer::raw_uri);
    CHECK(r.ops[1].data == "/../");
    CHECK((r.ops[1].a == 1 && r.ops[1].b == 10));
    CHECK(r.ops[2].buf == http::buffer::header);
    CHECK((r.ops[2].flags & rules::op_flag::negated));
    CHECK((r.ops[2].fast_pattern && r.ops[2].fp_offset == 1 && r.ops[2].fp_length == 2));
    CHECK(r.ops[3].buf == http::buffer::header);  // sticky: applies to what follows
    CHECK((r.ops[3].flags & rules::op_flag::relative));
    CHECK((r.sid == 9 && r.rev == 3 && r.gid == 2));
    // file_data follows the direction.
    REQUIRE(parse(R"(alert http any any -> any any (flow:to_server; file_data; content:"x"; sid:1;))", r).st == st::ok);
    CHECK(r.ops[0].buf == http::buffer::request_body);
    REQUIRE(parse(R"(alert http any any -> any any (file_data; content:"x"; sid:1;))", r).st == st::ok);
    CHECK(r.ops[0].buf == http::buffer::response_body);
    // A relative isdataat goes with the content it follows, even in another buffer.
    REQUIRE(parse(R"(alert http any any -> any any (content:"x"; http_uri; isdataat:!1,relative; sid:1;))", r).st == st::ok);
    CHECK(r.ops[1].buf == http::buffer::uri);
    // pcre: buffer letters, relative to the previous content's buffer, sticky buffer otherwise.
    REQUIRE(parse(R"(alert http any any -> any any (content:"a"; http_uri; pcre:"/b/R"; pcre:"/c/H"; http.cookie; pcre:!"/d/i"; sid:1;))", r).st ==
            st::ok);
    REQUIRE(r.ops.size() == 4);
    CHECK((r.ops[1].kind == rules::op_kind::pcre && r.ops[1].buf == http::buffer::uri && (r.ops[1].flags & rules::op_flag::relative)));
    CHECK(r.ops[2].buf == http::buffer::header);
    CHECK((r.ops[3].buf == http::buffer::cookie && (r.ops[3].flags & rules::op_flag::negated)));
    CHECK(r.ops[3].data.size() % 4 == 0);
    // Blank and comment lines.
    CHECK(parse("", r).st == st::blank);
    CHECK(parse("  # alert tcp any any -> any any (sid:1;)", r).st == st::blank);
}

TEST_CASE("parser: every refusal names what is wrong", "[rules][parser]") {
    struct bad { const char* text; const char* says; };
    const bad cases[] = {
        {R"(alrt tcp any any -> any any (sid:1;))", "unknown action 'alrt'"},
        {R"(alert tcp any any any any (sid:1;))", "7 fields"},
        {R"(alert tcp any any => any any (sid:1;))", "direction"},
        {R"(alert tcp any any -> any any sid:1;)", "no '('"},
        {R"(alert tcp any any -> any any (sid:1;)", "does not end with ')'"},
        {R"(alert tcp 1.2.3 any -> any any (sid:1;))", "source address: bad address '1.2.3'"},
        {R"(alert tcp any 70000 -> any any (sid:1;))", "source port: bad port '70000'"},
        {R"(alert tcp any any -> any any (content:"a"))", "not closed with ';'"},
        {R"(alert tcp any any -> any any (content:"a; sid:1;))", "unterminated string"},
        {R"(alert tcp any any -> any any (content:a; sid:1;))", "must be quoted"},
        {R"(alert tcp any any -> any any (content:""; sid:1;))", "content is empty"},
        {R"(alert tcp any any -> any any (content:"|4|"; sid:1;))", "odd number"},
        {R"(alert tcp any any -> any any (content:"|41"; sid:1;))", "not closed with '|'"},
        {R"(alert tcp any any -> any any (content:"\q"; sid:1;))", "unknown escape"},
        {R"(alert tcp any any -> any any (nocase; sid:1;))", "nocase without a content"},
        {R"(alert tcp any any -> any any (content:"abc"; depth:2; sid:1;))", "smaller than the content"},
        {R"(alert tcp any any -> any any (content:"a"; content:"abc"; within:2; sid:1;))", "smaller than the content"},
        {R"(alert tcp any any -> any any (content:"a"; offset:-1; sid:1;))", "non-negative number"},
        {R"(alert tcp any any -> any any (content:"a"; distance:x; sid:1;))", "needs a number"},
        {R"(alert tcp any any -> any any (content:"a"; distance:1; offset:1; sid:1;))", "offset cannot be combined"},
        {R"(alert tcp any any -> any any (content:"abc"; fast_pattern:2,5; sid:1;))", "does not fit"},
        {R"(alert tcp any any -> any any (content:"a"; sid:x;))", "sid needs a number"},
        {R"(alert tcp any any -> any any (content:"a"; sid:0;))", "sid must not be 0"},
        {R"(alert tcp any any -> any any (content:"a";))", "no sid"},
        {R"(alert tcp any any -> any any (flow:sideways; sid:1;))", "flow: unknown option 'sideways'"},
        {R"(alert tcp any any -> any any (flow:to_server,to_client; sid:1;))", "both to_server and to_client"},
        {R"(alert tcp any any -> any any (flowbits:set; sid:1;))", "COMMAND,NAME"},
        {R"(alert tcp any any -> any any (flowbits:frob,x; sid:1;))", "unknown command"},
        {R"(alert tcp any any -> any any (threshold:type limit, count 1, seconds 1; sid:1;))", "needs type, track"},
        {R"(alert tcp any any -> any any (threshold:type sometimes, track by_src, count 1, seconds 1; sid:1;))", "unknown type"},
        {R"(alert tcp any any -> any any (detection_filter:track by_src, count x, seconds 1; sid:1;))", "bad count"},
        {R"(alert tcp any any -> any any (byte_test:2,>,1; sid:1;))", "at least 4 arguments"},
        {R"(alert tcp any any -> any any (byte_test:12,>,1,0; sid:1;))", "1..10"},
        {R"(alert tcp any any -> any any (byte_test:2,~,1,0; sid:1;))", "unknown operator"},
        {R"(alert tcp any any -> any any (byte_test:9,>,1,0; sid:1;))", "needs 'string'"},
        {R"(alert tcp any any -> any any (byte_jump:2,0,sideways; sid:1;))", "unsupported argument 'sideways'"},
        {R"(alert tcp any any -> any any (byte_extract:2,0,1abc; sid:1;))", "bad variable name"},
        {R"(alert tcp any any -> any any (isdataat:x; sid:1;))", "isdataat needs a number"},
        {R"(alert tcp any any -> any any (dsize:5<>2; sid:1;))", "bad range"},
        {R"(alert tcp any any -> any any (urilen:5,sideways; sid:1;))", "urilen: unknown argument"},
        {R"(alert tcp any any -> any any (msg:noquotes; sid:1;))", "msg must be quoted"},
        {R"(alert tcp any any -> any any (priority:0; sid:1;))", "priority must be 1..255"},
        {R"(alert tcp any any -> any any (content:"a"; b@d; sid:1;))", "bad option name"},
        {R"(alert http any any -> any any (http.host; content:"Example"; sid:1;))", "upper-case characters"},
        {R"(alert http any any -> any any (pcre:"/abc"; sid:1;))", "pcre: unterminated_pattern"},
        {R"(alert http any any -> any any (pcre:"/a/9"; sid:1;))", "pcre: unknown_modifier at column 5"},
        {R"(alert http any any -> any any (pcre:"/a(/"; sid:1;))", "pcre: unbalanced_paren"},
        {R"(alert http any any -> any any (content:"example"; http_host; nocase; sid:1;))", "nocase is redundant"},
    };
    for (const auto& c : cases) {
        parsed_rule r;
        const parse_outcome o = parse(c.text, r);
        INFO(c.text << " -> " << o.message);
        CHECK(o.st == st::error);
        CHECK(o.message.find(c.says) != std::string::npos);
    }
    classification classes;
    classes.classes["known"] = {"Known", 2};
    parsed_rule r;
    // An unknown classtype loads (Suricata 7 warns and uses priority 3).
    REQUIRE(parse(R"(alert tcp any any -> any any (classtype:unknown-x; sid:1;))", r, classes).st == st::ok);
    CHECK(r.priority == 3);
    CHECK(r.category.empty());
}

TEST_CASE("parser: a rule outside the language lists every unsupported keyword once", "[rules][parser]") {
    parsed_rule r;
    const auto o = parse(R"(alert tls any any -> any any (content:"a"; pcre:"/x/"; tls.sni; ja3.hash; pcre:"/(a)\1/"; )"
                         R"(flowbits:isset,a|b; threshold:type limit, track by_rule, count 1, seconds 1; tls.sni; sid:1;))",
                         r);
    CHECK(o.st == st::unsupported);
    CHECK(o.unsupported == std::vector<std::string>{"protocol tls", "tls.sni", "ja3.hash", "pcre (backreference)",
                                                    "flowbits:isset with '|'", "threshold:track by_rule"});
}

TEST_CASE("parser: random mutations of real rules never crash and keep invariants", "[rules][parser][property]") {
    std::ifstream in("data/et_style.rules");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        if (!l.empty() && l[0] != '#') lines.push_back(l);
    REQUIRE(lines.size() > 20);
    std::mt19937 rng(99);
    const std::string alphabet = " ;:\"|\\()[]!,$-<>0123456789abcdefxyz/.\t";
    int ok = 0, other = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string s = lines[rng() % lines.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !s.empty(); ++k) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 4) {
            case 0: s.erase(at, 1 + rng() % 5); break;
            case 1: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
            case 2: s[at] = alphabet[rng() % alphabet.size()]; break;
            default: s.resize(at); break;  // truncated
            }
        }
        parsed_rule r;
        const parse_outcome o = parse(s, r);
        if (o.st == st::ok) {
            ++ok;
            REQUIRE(r.has_sid);
            REQUIRE(r.sid != 0);
            for (const auto& op : r.ops)
                if (op.kind == rules::op_kind::content) REQUIRE(!op.data.empty());
        } else {
            ++other;
            if (o.st == st::error) REQUIRE(!o.message.empty());
            if (o.st == st::unsupported) REQUIRE(!o.unsupported.empty());
        }
    }
    CHECK(ok > 100);
    CHECK(other > 100);
}
