// The streaming normaliser equals a whole-buffer, multi-pass reference (written differently on
// purpose) for random inputs and every way of cutting them into segments.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include <secengine/dpi/normaliser.hpp>

using secengine::dpi::http_normaliser;

namespace {

int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reference: pass 1 percent-decodes (a decoded '%' is put back and examined again) and maps a
// literal '+' to space; pass 2 folds; pass 3 replaces comments; pass 4 collapses whitespace.
std::string reference(std::string s) {
    std::string dec;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '%' && i + 2 < s.size() && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
            const char v = static_cast<char>(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
            if (v == '%') {
                s[i + 2] = '%';  // put the decoded '%' back, examine again
                i += 2;
                continue;
            }
            dec += v;
            i += 3;
        } else {
            dec += s[i] == '+' ? ' ' : s[i];
            ++i;
        }
    }
    for (auto& c : dec)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    std::string nc;
    for (i = 0; i < dec.size();) {
        if (dec[i] == '/' && i + 1 < dec.size() && dec[i + 1] == '*') {
            std::size_t j = i + 2;
            while (j < dec.size() && !(dec[j] == '*' && j + 1 < dec.size() && dec[j + 1] == '/') && dec[j] != '&' &&
                   dec[j] != '\r' && dec[j] != '\n')
                ++j;
            if (j >= dec.size()) break;  // unterminated at the end: swallowed
            nc += ' ';
            if (dec[j] == '*') i = j + 2;
            else i = j;  // the terminator itself stays
        } else {
            nc += dec[i++];
        }
    }
    std::string out;
    bool ws = false;
    for (char c : nc) {
        const bool sp = c == ' ' || (c >= '\t' && c <= '\r');
        if (sp) {
            if (!ws) out += ' ';
        } else {
            out += c;
        }
        ws = sp;
    }
    return out;
}

std::string stream(const std::string& in, const std::vector<std::size_t>& cuts) {
    std::string out;
    std::uint8_t st = 0;
    auto emit = [&](std::uint8_t v) { out += static_cast<char>(v); };
    std::size_t prev = 0;
    auto feed = [&](std::size_t a, std::size_t b) {
        std::uint8_t copy = st;  // the per-flow byte survives between segments, nothing else
        for (std::size_t k = a; k < b; ++k) http_normaliser::feed(copy, static_cast<std::uint8_t>(in[k]), emit);
        st = copy;
    };
    for (std::size_t c : cuts) {
        feed(prev, c);
        prev = c;
    }
    feed(prev, in.size());
    http_normaliser::flush(st, emit);
    return out;
}

std::string norm(const std::string& in) { return stream(in, {}); }

}  // namespace

TEST_CASE("normaliser examples", "[dpi][normaliser]") {
    CHECK(norm("UNION%2f%2a%2a%2fSELECT") == "union select");
    CHECK(norm("uNiOn+SeLeCt") == "union select");
    CHECK(norm("%252e%252e%252fetc%252fpasswd") == "../etc/passwd");
    CHECK(norm("%25252e") == ".");
    CHECK(norm("1%27%20OR%20%271%27=%271") == "1' or '1'='1");
    CHECK(norm("a \t\r\n  b") == "a b");
    CHECK(norm("union/**/select") == "union select");
    CHECK(norm("union/*comment*/ /**/select") == "union select");
    CHECK(norm("a/*x&b") == "a &b");
    CHECK(norm("%zz%4") == "%zz%4");
    CHECK(norm("100%") == "100%");
    CHECK(norm("a%2Bb") == "a+b");
    CHECK(norm("/a//b/") == "/a//b/");
    CHECK(norm("<ScRiPt>") == "<script>");
    CHECK(norm("%3Cscript%3E") == "<script>");
}

TEST_CASE("streaming normaliser equals the whole-buffer reference at every split", "[dpi][normaliser][property]") {
    std::mt19937_64 rng(0x40);
    static const char alpha[] = "%2f5aAeE+/* \t\r\n&xZ";
    for (int round = 0; round < 4000; ++round) {
        std::string in(rng() % 40, ' ');
        for (auto& c : in) c = rng() % 16 == 0 ? static_cast<char>(rng() & 0xFF) : alpha[rng() % (sizeof alpha - 1)];
        const std::string ref = reference(in);
        REQUIRE(norm(in) == ref);
        for (std::size_t cut = 0; cut <= in.size(); ++cut) REQUIRE(stream(in, {cut}) == ref);
        std::vector<std::size_t> cuts;
        for (std::size_t k = 0; k < in.size(); ++k)
            if (rng() % 3 == 0) cuts.push_back(k);
        REQUIRE(stream(in, cuts) == ref);
    }
}

TEST_CASE("normaliser never emits more than 4 bytes per input byte", "[dpi][normaliser][property]") {
    std::mt19937_64 rng(0x41);
    for (int round = 0; round < 20000; ++round) {
        std::uint8_t st = static_cast<std::uint8_t>(rng());
        int n = 0;
        http_normaliser::feed(st, static_cast<std::uint8_t>(rng()), [&](std::uint8_t) { ++n; });
        REQUIRE(n <= 4);
    }
}
