// Rule parser: good lines in every supported form, bad lines with the right error and option,
// content encoding round trips, and random/hostile lines never crash or misparse silently.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>

#include <secengine/dpi/rules.hpp>

using namespace secengine::dpi;

namespace {
rule_result parse(std::string_view s, rule& r) { return parse_rule(s, r); }
}  // namespace

TEST_CASE("rule parser: supported subset", "[dpi][rules]") {
    auto r = std::make_unique<rule>();
    const std::string l1 =
        R"(alert tcp $EXTERNAL_NET any -> $HOME_NET [80, 8080,1000:2000] (msg:"SQLi; union"; content:"GET"; content:"UNION |20|SELECT"; nocase; sid:42; rev:3; classtype:web-application-attack; reference:url,x.org; metadata:created 2024;))";
    auto res = parse(l1, *r);
    REQUIRE(res.error == rule_error::ok);
    CHECK(r->action == rule::action_kind::alert);
    CHECK(r->proto == "tcp");
    CHECK(r->src == "$EXTERNAL_NET");
    CHECK(r->dst == "$HOME_NET");
    CHECK(r->sport.any);
    REQUIRE(r->dport.count == 3);
    CHECK((r->dport.ranges[0].lo == 80 && r->dport.ranges[0].hi == 80));
    CHECK((r->dport.ranges[2].lo == 1000 && r->dport.ranges[2].hi == 2000));
    CHECK(r->msg == "SQLi; union");
    CHECK(r->sid == 42);
    CHECK(r->rev == 3);
    CHECK(r->classtype == "web-application-attack");
    REQUIRE(r->ncontents == 2);
    CHECK(!r->contents[0].nocase);
    CHECK(r->contents[1].nocase);
    const auto sig = r->signature();
    CHECK(sig.bytes == "UNION  SELECT");
    CHECK(sig.id == 42);
    CHECK(sig.nocase);

    REQUIRE(parse(R"(drop udp any !53 -> any :1023 (content:"|00 01|a\"b\\c\;"; sid:7;))", *r).error == rule_error::ok);
    CHECK(r->action == rule::action_kind::drop);
    CHECK(r->sport.negated);
    CHECK((r->dport.ranges[0].lo == 0 && r->dport.ranges[0].hi == 1023));
    CHECK(r->signature().bytes == std::string_view("\x00\x01" "a\"b\\c;", 8));
    CHECK(!r->signature().nocase);

    REQUIRE(parse(R"(alert ip any any <> any 1024: (content:"aaaaaaaa"; content:"b"; fast_pattern; sid:8;))", *r).error ==
            rule_error::ok);
    CHECK(r->signature().bytes == "b");
    CHECK((r->dport.ranges[0].lo == 1024 && r->dport.ranges[0].hi == 65535));
    CHECK(parse("", *r).error == rule_error::blank);
    CHECK(parse("   # alert tcp", *r).error == rule_error::blank);
}

TEST_CASE("rule parser: bad lines give the error and the option", "[dpi][rules]") {
    auto r = std::make_unique<rule>();
    struct bad {
        const char* line;
        rule_error err;
        const char* option;
    };
    const bad cases[] = {
        {R"(pass tcp any any -> any 80 (content:"a"; sid:1;))", rule_error::bad_action, "pass"},
        {R"(alert tcp any any any 80 (content:"a"; sid:1;))", rule_error::bad_header, ""},
        {R"(alert tcp any any -> any (content:"a"; sid:1;))", rule_error::bad_header, ""},
        {R"(alert tcp any any -> any 80 content:"a"; sid:1;)", rule_error::missing_options, ""},
        {R"(alert tcp any 70000 -> any 80 (content:"a"; sid:1;))", rule_error::bad_port, "70000"},
        {R"(alert tcp any any -> any 90:80 (content:"a"; sid:1;))", rule_error::bad_port, "90:80"},
        {R"(alert tcp any any -> any $HTTP_PORTS (content:"a"; sid:1;))", rule_error::bad_port, "$HTTP_PORTS"},
        {R"(alert tcp any any -> any 80 (content:"a"; pcre:"/a/"; sid:1;))", rule_error::unsupported_option, "pcre"},
        {R"(alert tcp any any -> any 80 (content:"a"; offset:2; sid:1;))", rule_error::unsupported_option, "offset"},
        {R"(alert tcp any any -> any 80 (flow:established; content:"a"; sid:1;))", rule_error::unsupported_option, "flow"},
        {R"(alert tcp any any -> any 80 (content:"a"; fast_pattern:only; sid:1;))", rule_error::unsupported_option, "fast_pattern"},
        {R"(alert tcp any any -> any 80 (content:!"a"; sid:1;))", rule_error::bad_content, "content"},
        {R"(alert tcp any any -> any 80 (content:""; sid:1;))", rule_error::bad_content, "content"},
        {R"(alert tcp any any -> any 80 (content:"|0|"; sid:1;))", rule_error::bad_content, "content"},
        {R"(alert tcp any any -> any 80 (content:"|41"; sid:1;))", rule_error::bad_content, "content"},
        {R"(alert tcp any any -> any 80 (content:"a; sid:1;))", rule_error::bad_option_syntax, "content"},
        {R"(alert tcp any any -> any 80 (content:"a"; sid:1))", rule_error::bad_option_syntax, "sid"},
        {R"(alert tcp any any -> any 80 (content:"a"; sid:1;)x)", rule_error::bad_option_syntax, ""},
        {R"(alert tcp any any -> any 80 (content:"a"; sid:1;)", rule_error::bad_option_syntax, ""},
        {R"(alert tcp any any -> any 80 (content:"a"; sid:x1;))", rule_error::bad_number, "sid"},
        {R"(alert tcp any any -> any 80 (content:"a"; sid:99999999999;))", rule_error::bad_number, "sid"},
        {R"(alert tcp any any -> any 80 (content:"a";))", rule_error::missing_sid, ""},
        {R"(alert tcp any any -> any 80 (msg:"m"; sid:1;))", rule_error::no_content, ""},
        {R"(alert tcp any any -> any 80 (nocase; content:"a"; sid:1;))", rule_error::modifier_without_content, "nocase"},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        const auto res = parse(c.line, *r);
        CHECK(res.error == c.err);
        CHECK(res.option == c.option);
        CHECK(res.column < std::string_view(c.line).size() + 1);
    }
    std::string many = "alert tcp any any -> any 80 (";
    for (int i = 0; i < 9; ++i) many += "content:\"x\"; ";
    CHECK(parse(many + "sid:1;)", *r).error == rule_error::too_many_contents);
    CHECK(parse("alert tcp any any -> any 80 (content:\"" + std::string(256, 'a') + "\"; sid:1;)", *r).error ==
          rule_error::content_too_long);
    CHECK(parse("alert tcp any any -> any 80 (content:\"" + std::string(255, 'a') + "\"; sid:1;)", *r).error ==
          rule_error::ok);
}

TEST_CASE("rule parser: content encoding round trips", "[dpi][rules][property]") {
    std::mt19937_64 rng(0x71);
    auto r = std::make_unique<rule>();
    for (int round = 0; round < 3000; ++round) {
        std::string bytes(1 + rng() % 40, '\0');
        for (auto& c : bytes) c = rng() % 4 == 0 ? static_cast<char>(rng() & 0xFF) : "ab;\"\\|: "[rng() % 8];
        // Encode: printable bytes as text (escaping " ; \), others in |hex| blocks.
        std::string enc;
        char tmp[4];
        for (char ch : bytes) {
            const auto c = static_cast<unsigned char>(ch);
            if (c >= 0x20 && c < 0x7f && c != '|' && rng() % 4 != 0) {
                if (c == '"' || c == ';' || c == '\\') enc += '\\';
                enc += ch;
            } else {
                std::snprintf(tmp, sizeof tmp, "%02X", c);
                enc += std::string("|") + tmp + "|";
            }
        }
        const bool nc = rng() % 2 == 0;
        const std::uint32_t sid = static_cast<std::uint32_t>(rng());
        const std::string line = "alert tcp any any -> any any (msg:\"r\"; content:\"" + enc + "\";" +
                                 (nc ? " nocase;" : "") + " sid:" + std::to_string(sid) + ";)";
        INFO(line);
        REQUIRE(parse(line, *r).error == rule_error::ok);
        REQUIRE(r->signature().bytes == bytes);
        REQUIRE(r->signature().nocase == nc);
        REQUIRE(r->sid == sid);
    }
}

TEST_CASE("rule parser: random and truncated lines never crash, errors keep positions in range", "[dpi][rules][property]") {
    std::mt19937_64 rng(0x72);
    auto r = std::make_unique<rule>();
    const std::string good =
        R"(alert tcp any any -> any [80,443] (msg:"m"; content:"|de ad|x"; nocase; sid:5; rev:1;))";
    for (std::size_t n = 0; n < good.size(); ++n) {
        const auto res = parse(good.substr(0, n), *r);
        REQUIRE(res.error != rule_error::ok);  // every strict prefix is incomplete
        REQUIRE(res.column <= n);
    }
    for (int round = 0; round < 20000; ++round) {
        std::string s = good;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 3) {
            case 0: s[at] = static_cast<char>(rng()); break;
            case 1: s.erase(at, 1); break;
            default: s.insert(at, 1, "\"();:|\\ -"[rng() % 9]); break;
            }
        }
        const auto res = parse(s, *r);
        REQUIRE(res.column <= s.size());
        if (res.error == rule_error::ok) {
            REQUIRE(r->ncontents >= 1);
            REQUIRE(r->signature().bytes.size() >= 1);
        }
    }
}
