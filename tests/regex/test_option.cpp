// The pcre option parser: every modifier letter, quoting, negation and malformed values.
#include <catch2/catch.hpp>

#include <string>

#include <secengine/regex/option.hpp>

using namespace secengine::regex;
using secengine::http::buffer;

TEST_CASE("option: pattern, quotes and negation", "[regex][option]") {
    auto o = parse_pcre_option(R"("/^GET\s+\/[a-z]{3,}/Ri")");
    CHECK(o.err == error::ok);
    CHECK(o.pattern == R"(^GET\s+\/[a-z]{3,})");
    CHECK(o.relative);
    CHECK(o.caseless);
    CHECK_FALSE(o.negated);
    CHECK_FALSE(o.buffer_set);
    CHECK(o.buffer == buffer::payload);
    o = parse_pcre_option("/a\\/b/");  // without quotes; escapes untouched
    CHECK(o.err == error::ok);
    CHECK(o.pattern == "a\\/b");
    o = parse_pcre_option(R"(!"/x/")");
    CHECK(o.err == error::ok);
    CHECK(o.negated);
    CHECK(o.pattern == "x");
    o = parse_pcre_option(R"(  ! "/x/i"  )");
    CHECK(o.err == error::ok);
    CHECK(o.negated);
    CHECK(o.caseless);
    o = parse_pcre_option(R"("/a\"b/")");  // an escaped quote inside the pattern
    CHECK(o.err == error::ok);
    CHECK(o.pattern == R"(a\"b)");
    o = parse_pcre_option("//");
    CHECK(o.err == error::ok);
    CHECK(o.pattern.empty());
    o = parse_pcre_option("/a/b/U");  // the last slash closes the pattern
    CHECK(o.err == error::ok);
    CHECK(o.pattern == "a/b");
}

TEST_CASE("option: each PCRE flag letter", "[regex][option]") {
    struct flag_case { char letter; bool pcre_option::*member; };
    const flag_case flags[] = {
        {'i', &pcre_option::caseless},  {'s', &pcre_option::dotall},         {'m', &pcre_option::multiline},
        {'x', &pcre_option::extended},  {'A', &pcre_option::anchored},       {'E', &pcre_option::dollar_endonly},
        {'G', &pcre_option::ungreedy},  {'R', &pcre_option::relative},
    };
    for (const auto& f : flags) {
        const std::string v = std::string("\"/a/") + f.letter + "\"";
        const auto o = parse_pcre_option(v);
        INFO(v);
        CHECK(o.err == error::ok);
        CHECK(o.*f.member);
        std::size_t set = 0;
        for (const auto& g : flags) set += (o.*g.member) ? 1u : 0u;
        CHECK(set == 1);  // only that one
        CHECK_FALSE(o.buffer_set);
    }
    const auto o = parse_pcre_option("/a/O");  // override match limit: accepted, no effect
    CHECK(o.err == error::ok);
    CHECK_FALSE(o.buffer_set);
}

TEST_CASE("option: each buffer letter", "[regex][option]") {
    const std::pair<char, buffer> letters[] = {
        {'U', buffer::uri},        {'I', buffer::raw_uri},    {'P', buffer::request_body}, {'Q', buffer::response_body},
        {'H', buffer::header},     {'D', buffer::raw_header}, {'M', buffer::method},       {'C', buffer::cookie},
        {'S', buffer::stat_code},  {'Y', buffer::stat_msg},   {'V', buffer::user_agent},   {'W', buffer::host},
        {'Z', buffer::raw_host},   {'B', buffer::payload},
    };
    for (const auto& [c, b] : letters) {
        const std::string v = std::string("\"/a/") + c + "iR\"";
        const auto o = parse_pcre_option(v);
        INFO(v);
        CHECK(o.err == error::ok);
        CHECK(o.buffer_set);
        CHECK(o.buffer == b);
        CHECK(o.caseless);
        CHECK(o.relative);
        // The same letter twice is harmless; any other buffer letter conflicts.
        CHECK(parse_pcre_option(std::string("/a/") + c + c).err == error::ok);
        for (const auto& [c2, b2] : letters) {
            if (b2 == b) continue;
            const auto bad = parse_pcre_option(std::string("/a/") + c + c2);
            CHECK(bad.err == error::conflicting_buffer);
            CHECK(bad.column == 4);
        }
    }
}

TEST_CASE("option: every other letter is an unknown modifier naming its column", "[regex][option]") {
    const std::string known = "ismxAEGROUIPQHDMCSYVWZB";
    for (int c = 1; c < 256; ++c) {
        if (known.find(static_cast<char>(c)) != std::string::npos || c == '"' || c == '/') continue;
        std::string v = "/ab/i";
        v += static_cast<char>(c);
        v += 'm';
        const auto o = parse_pcre_option(v);
        INFO("letter " << c);
        CHECK(o.err == error::unknown_modifier);  // blanks too: they are inside the modifiers
        CHECK(o.column == 5);
    }
}

TEST_CASE("option: malformed values", "[regex][option]") {
    struct bad { const char* v; error e; std::size_t col; };
    const bad cases[] = {
        {"", error::empty_value, 0},
        {"   ", error::empty_value, 3},
        {"!", error::empty_value, 1},
        {"\"\"", error::empty_value, 1},
        {"\"/a/", error::missing_quote, 4},
        {"\"", error::missing_quote, 1},
        {"\"/a/\\\"", error::missing_quote, 5},
        {"a/", error::missing_slash, 0},
        {"\"a/b/\"", error::missing_slash, 1},
        {"/", error::unterminated_pattern, 1},
        {"/abc", error::unterminated_pattern, 4},
        {"\"/abc\"", error::unterminated_pattern, 5},
        {"/a/k", error::unknown_modifier, 3},
        {"/a/UH", error::conflicting_buffer, 4},
    };
    for (const auto& c : cases) {
        const auto o = parse_pcre_option(c.v);
        INFO("value [" << c.v << "] -> " << name(o.err) << " at " << o.column);
        CHECK(o.err == c.e);
        CHECK(o.column == c.col);
    }
}

TEST_CASE("option: random values never fault and report a column inside the value", "[regex][option]") {
    std::uint32_t x = 12345;
    std::size_t ok = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string v;
        const std::size_t n = (x >> 5) % 12;
        for (std::size_t k = 0; k < n; ++k) {
            x = x * 1103515245u + 12345u;
            static const char alphabet[] = "/\"!iRUHxq a\\";
            v += alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        x = x * 1103515245u + 12345u;
        const auto o = parse_pcre_option(v);
        CHECK(o.column <= v.size());
        if (o.err == error::ok) {
            ++ok;
            CHECK(o.pattern.data() >= v.data());
            CHECK(o.pattern.data() + o.pattern.size() <= v.data() + v.size());
        }
    }
    CHECK(ok > 200);
}

static_assert(parse_pcre_option("\"/a/Ui\"").buffer == buffer::uri);
static_assert(parse_pcre_option("/a/Q").buffer == buffer::response_body);
static_assert(parse_pcre_option("/a/X").err == error::unknown_modifier);
