// decode.hpp: percent/plus/%u/overlong decoding and HTML entities.
// Invariants: decoding the transport encoding of any byte string gives it back; double
// encoding collapses to the same text; decoding never grows a value; every escape form of
// the same character gives the same text.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "inject_corpus.hpp"
#include "secengine/inject/decode.hpp"

using namespace secengine::inject;

namespace {
std::string url(std::string_view raw, bool plus = true, unsigned rounds = 4) {
    std::string buf(raw.size(), '\0');
    const auto r = url_decode(raw, std::span<char>(buf.data(), buf.size()), plus, rounds);
    buf.resize(r.length);
    return buf;
}
std::string html(std::string s) {
    s.resize(html_entity_decode(s.data(), s.size()));
    return s;
}
constexpr bool constexpr_decode() {
    char buf[16] = {};
    const auto r = url_decode("a%2520b+c", std::span<char>(buf, sizeof buf));
    return r.length == 5 && buf[0] == 'a' && buf[1] == ' ' && buf[2] == 'b' && buf[3] == ' ' && buf[4] == 'c' && r.rounds == 2;
}
static_assert(constexpr_decode(), "url_decode is usable at compile time");
static_assert(hex_digit('f') == 15 && hex_digit('G') == -1);
static_assert(slice("abc", 1) == "bc" && slice("abc", 1, 1) == "b" && slice("abc", 7).empty() && slice("abc", 2, 99) == "c",
              "slice clamps where substr would throw");
}  // namespace

TEST_CASE("percent, plus, %u and overlong forms decode", "[inject][decode]") {
    CHECK(url("%41%42c") == "ABc");
    CHECK(url("a+b") == "a b");
    CHECK(url("a+b", false) == "a+b");
    CHECK(url("%2B") == "+");          // a decoded '+' is not a space in later rounds
    CHECK(url("%252e%252e%252f") == "../");
    CHECK(url("%25252e") == ".");
    CHECK(url("%u002e%u002E/") == "../");
    CHECK(url("%c0%af") == "/");
    CHECK(url("%c0%ae%c0%ae/") == "../");
    CHECK(url("%e0%80%af") == "/");
    CHECK(url("..%u2215") == "../");   // IIS best-fit division slash
    CHECK(url("%u00e9") == "\xc3\xa9");
    CHECK(url("%00") == std::string(1, '\0'));
}

TEST_CASE("malformed escapes are kept as text", "[inject][decode]") {
    CHECK(url("100%") == "100%");
    CHECK(url("50% off") == "50% off");
    CHECK(url("%zz%4") == "%zz%4");
    CHECK(url("%u12") == "%u12");
    CHECK(url("%") == "%");
    CHECK(url("") == "");
    CHECK(url("\xc0") == "\xc0");      // a lone lead byte stays
    CHECK(url("\xc3\xa9") == "\xc3\xa9");  // real UTF-8 is not folded
}

TEST_CASE("a value longer than the scratch is decoded over its head and flagged", "[inject][decode]") {
    char small[8];
    const auto r = url_decode("0123456789%41", std::span<char>(small, sizeof small));
    CHECK(r.truncated);
    CHECK(r.length == 8);
    CHECK(std::string(small, r.length) == "01234567");
    char big[32];
    CHECK_FALSE(url_decode("0123456789%41", std::span<char>(big, sizeof big)).truncated);
}

TEST_CASE("property: the transport encoding of random bytes decodes back, once or twice encoded", "[inject][decode]") {
    std::mt19937 rng(1201);
    for (int iter = 0; iter < 3000; ++iter) {
        std::string v(rng() % 40, '\0');
        // Letters, digits and punctuation, but no '%' or '+' (they are escapes themselves).
        for (auto& c : v) {
            do c = static_cast<char>(0x20 + rng() % 0x5f); while (c == '%' || c == '+');
        }
        const std::string once = corpus::percent_encode(v);
        INFO(v);
        CHECK(url(once) == v);
        CHECK(url(corpus::percent_encode(once)) == v);
        std::string plus;  // form encoding: %20 spelled '+'
        for (std::size_t k = 0; k < once.size(); ++k) {
            if (once.compare(k, 3, "%20") == 0) { plus += '+'; k += 2; } else plus += once[k];
        }
        CHECK(url(plus) == v);
        CHECK(url(v).size() <= v.size());
    }
}

TEST_CASE("HTML character references: named, decimal, hex, with and without ';'", "[inject][decode]") {
    CHECK(html("&lt;script&gt;") == "<script>");
    CHECK(html("&ltscript&gt") == "<script>");
    CHECK(html("&LT;b&GT;") == "<b>");
    CHECK(html("&#106;&#97;") == "ja");
    CHECK(html("&#0000106&#0000097") == "ja");
    CHECK(html("&#x6A;&#X61") == "ja");
    CHECK(html("java&Tab;script&colon;") == "java\tscript:");
    CHECK(html("&amp;&quot;&apos;") == "&\"'");
    CHECK(html("&#x110000;") == "\xef\xbf\xbd");  // out of range -> U+FFFD
    CHECK(html("&#0;") == "\xef\xbf\xbd");
    // Not references: kept.
    CHECK(html("AT&T") == "AT&T");
    CHECK(html("Q&A & more") == "Q&A & more");
    CHECK(html("&colonel") == "&colonel");  // a non-legacy name needs a non-letter after it
    CHECK(html("&#;&#x;") == "&#;&#x;");
    CHECK(html("&") == "&");
}

TEST_CASE("property: every spelling of a character decodes to it", "[inject][decode]") {
    for (int c = 0x21; c < 0x7f; ++c) {
        const char ch = static_cast<char>(c);
        char hex[8];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        char uni[8];
        std::snprintf(uni, sizeof uni, "%%u%04x", c);
        char dec[12];
        std::snprintf(dec, sizeof dec, "&#%d;", c);
        char hx[12];
        std::snprintf(hx, sizeof hx, "&#x%x", c);
        INFO(c);
        CHECK(url(hex) == std::string(1, ch));
        CHECK(url(uni) == std::string(1, ch));
        const char overlong[] = {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F)), 0};
        CHECK(url(overlong) == std::string(1, ch));
        CHECK(html(dec) == std::string(1, ch));
        CHECK(html(hx) == std::string(1, ch));
    }
}

TEST_CASE("property: random bytes never crash the decoders and never grow", "[inject][decode]") {
    std::mt19937 rng(77);
    const char alphabet[] = "%uU0123456789abcdefABCDEF&#x;+lgtampquo\xc0\xc1\xe0\x80\xaf\xe2\x88\x95";
    for (int iter = 0; iter < 5000; ++iter) {
        std::string v(rng() % 64, '\0');
        for (auto& c : v) c = rng() % 3 == 0 ? static_cast<char>(rng()) : alphabet[rng() % (sizeof alphabet - 1)];
        const std::string u = url(v);
        CHECK(u.size() <= v.size());
        CHECK(html(u).size() <= u.size());
    }
}
