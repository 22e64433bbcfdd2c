// Example tests, one or more per construct of the subset (docs/regex.md's table), each with
// a matching and a non-matching subject so that neither "always" nor "never" can pass.
#include <catch2/catch.hpp>

#include "regex_helpers.hpp"

using namespace secengine::regex;
using regex_test::find;
using regex_test::found;

TEST_CASE("literals and escapes", "[regex]") {
    CHECK(found("/GET/", "xx GET /") == "GET");
    CHECK(found("/GET/", "xx get /") == "<none>");
    CHECK(found(R"(/a\.b/)", "axb a.b") == "a.b");
    CHECK(found(R"(/\x41\x2f\x{42}/)", "zA/B") == "A/B");
    CHECK(found(R"(/\n\r\t\f\e\a/)", "\n\r\t\f\x1b\x07") == "\n\r\t\f\x1b\x07");
    CHECK(found(R"(/\0\012\o{101}/)", std::string_view("\0\nA", 3)) == std::string("\0\nA", 3));
    CHECK(found(R"(/\/etc\/passwd/)", "GET /etc/passwd") == "/etc/passwd");
    CHECK(found(R"(/a\;b\"c/)", "a;b\"c") == "a;b\"c");   // Suricata's rule escapes are PCRE literals
    CHECK(found("/\xe9t\xe9/", "\xe9t\xe9") == "\xe9t\xe9");  // bytes >= 0x80 are literals
}

TEST_CASE("character types", "[regex]") {
    CHECK(found(R"(/\d+/)", "id=0042&") == "0042");
    CHECK(found(R"(/\D+/)", "12ab3") == "ab");
    CHECK(found(R"(/\w+/)", "  foo_1-bar") == "foo_1");
    CHECK(found(R"(/\W/)", "ab_9 ") == " ");
    CHECK(found(R"(/\s+/)", "a \t\v\f\r\nb") == " \t\v\f\r\n");
    CHECK(found(R"(/\S+/)", "  ab ") == "ab");
    CHECK(found(R"(/\h+/)", "a \t\nb") == " \t");
    CHECK(found(R"(/\v+/)", "a \n\r\x0b b") == "\n\r\x0b");
    CHECK(found(R"(/\H\V/)", " \tab") == "ab");
}

TEST_CASE("classes", "[regex]") {
    CHECK(found("/[a-c]+/", "xxabcabd") == "abcab");
    CHECK(found("/[^a-c]+/", "abxyzc") == "xyz");
    CHECK(found("/[^a]/", "a\n") == "\n");  // a negated class matches a newline
    CHECK(found("/[]a]+/", "x]a]b") == "]a]");
    CHECK(found("/[^]a]/", "]ab") == "b");
    CHECK(found("/[a-]+/", "x-a-") == "-a-");
    CHECK(found(R"(/[\d_]+/)", "a1_2b") == "1_2");
    CHECK(found(R"(/[\x41-\x43]+/)", "zABCD") == "ABC");
    CHECK(found(R"(/[\]\\]+/)", "a]\\b") == "]\\");
    CHECK(found("/[[:alpha:]]+/", "12abC3") == "abC");
    CHECK(found("/[[:^digit:]]+/", "12ab3") == "ab");
    CHECK(found("/[[:xdigit:]]+/", "xyzDEAD0g") == "DEAD0");
    CHECK(found("/[[:punct:][:space:]]+/", "ab!? ,cd") == "!? ,");
    CHECK(found("/[[:upper:]]+/i", "12abC3") == "abC");  // /i folds the class
    CHECK(found(R"(/[\b]/)", "a\bb") == "\b");           // \b in a class is backspace
    CHECK(found("/[[:alpha:]]/", "123") == "<none>");
}

TEST_CASE("dot and /s", "[regex]") {
    CHECK(found("/a.c/", "a\nc abc") == "abc");
    CHECK(found("/a.c/s", "a\nc abc") == "a\nc");
    CHECK(found("/(?s)a.c/", "a\nc") == "a\nc");
    CHECK(found("/(?s:a.)c|a.c/", "a\nc") == "a\nc");
}

TEST_CASE("anchors, /m and /E", "[regex]") {
    CHECK(found("/^GET/", "GET /") == "GET");
    CHECK(found("/^GET/", " GET /") == "<none>");
    CHECK(found("/^b/m", "a\nb") == "b");
    CHECK(found("/^b/", "a\nb") == "<none>");
    CHECK(found("/^/m", "a\n", 1) == "<none>");  // PCRE: ^ does not match after a final newline
    CHECK(find("/a$/", "a\n").matched);            // $ before a final newline
    CHECK_FALSE(find("/a$/E", "a\n").matched);     // /E: only at the very end
    CHECK(find("/a$/m", "a\nb").matched);
    CHECK_FALSE(find("/a$/", "a\nb").matched);
    CHECK(find(R"(/a\Z/)", "a\n").matched);
    CHECK_FALSE(find(R"(/a\z/)", "a\n").matched);
    CHECK(find(R"(/\Aab/)", "ab").matched);
    CHECK_FALSE(find(R"(/\Aab/)", "cab").matched);
}

TEST_CASE("word boundaries", "[regex]") {
    CHECK(found(R"(/\bor\b/)", "for or nor") == "or");
    CHECK(find(R"(/\bor\b/)", "for or").begin == 4);
    CHECK(found(R"(/\Bor\B/)", "or word") == "or");
    CHECK(find(R"(/\Bor\B/)", "or word").begin == 4);
    CHECK(found(R"(/\bx/)", "ax") == "<none>");
}

TEST_CASE("alternation and groups", "[regex]") {
    CHECK(found("/cat|dog/", "hotdog") == "dog");
    CHECK(found("/a|ab/", "ab") == "a");          // leftmost-first, not longest
    CHECK(found("/ab|a/", "ab") == "ab");
    CHECK(found("/(a|b)c/", "xbc") == "bc");
    CHECK(found("/(?:union|select)\\s+all/i", "x UNION  ALL") == "UNION  ALL");
    CHECK(found("/(?<verb>GET|POST) /", "POST /x") == "POST ");
    CHECK(found("/(?P<n>x)y/", "xy") == "xy");
    CHECK(found("/(?'n'x)y/", "xy") == "xy");
    CHECK(found("/a(?#comment)b/", "ab") == "ab");
    CHECK(found("/a||b/", "b") == "");
    CHECK(found("/()/", "b") == "");
}

TEST_CASE("quantifiers, greedy and lazy", "[regex]") {
    CHECK(found("/a*/", "aaab") == "aaa");
    CHECK(found("/a*?/", "aaab") == "");
    CHECK(found("/a+/", "baaab") == "aaa");
    CHECK(found("/a+?/", "baaab") == "a");
    CHECK(found("/ab?/", "abb") == "ab");
    CHECK(found(R"(/ab??/)", "abb") == "a");
    CHECK(found("/a{3}/", "aaaa") == "aaa");
    CHECK(found("/a{3}/", "aa") == "<none>");
    CHECK(found("/a{2,}/", "aaaa") == "aaaa");
    CHECK(found("/a{2,}?/", "aaaa") == "aa");
    CHECK(found("/a{1,3}/", "aaaa") == "aaa");
    CHECK(found("/a{1,3}?/", "aaaa") == "a");
    CHECK(found("/a{0}b/", "ab") == "b");
    CHECK(found("/(?:ab){2}/", "abababx") == "abab");
    CHECK(found("/<.*>/", "<a><b>") == "<a><b>");
    CHECK(found("/<.*?>/", "<a><b>") == "<a>");
    CHECK(found("/a{,3}/", "a{,3}") == "a{,3}");  // not a quantifier in PCRE2 10.42: literal
    CHECK(found("/x{/", "x{") == "x{");
}

TEST_CASE("/G inverts greediness", "[regex]") {
    CHECK(found("/a+/G", "aaa") == "a");
    CHECK(found("/a+?/G", "aaa") == "aaa");
    CHECK(found("/(?U)a+/", "aaa") == "a");
}

TEST_CASE("caseless: /i and inline (?i)", "[regex]") {
    CHECK(found("/select/i", "SeLeCt") == "SeLeCt");
    CHECK(found("/select/", "SeLeCt") == "<none>");
    CHECK(found("/(?i)select/", "SELECT") == "SELECT");
    CHECK(found("/a(?i)b/", "aB") == "aB");
    CHECK(found("/a(?i)b/", "AB") == "<none>");
    CHECK(found("/(a(?i)b)c/", "aBc") == "aBc");
    CHECK(found("/(a(?i)b)c/", "aBC") == "<none>");  // the option ends with its group
    CHECK(found("/(?i:a)b/", "Ab AB") == "Ab");
    CHECK(found("/(?i)a(?-i)b/", "AB Ab") == "Ab");
    CHECK(found("/(?i)[a-c]+/", "xAbC") == "AbC");
    CHECK(found("/\xe9/i", "\xc9") == "<none>");  // ASCII-only folding, as PCRE2's C tables
}

TEST_CASE("/x extended", "[regex]") {
    CHECK(found("/a b # comment\n c/x", "abc") == "abc");
    CHECK(found("/a\\ b/x", "a b") == "a b");
    CHECK(found("/[ ]/x", "a b") == " ");  // blanks in a class still count
    CHECK(found("/a +/x", "aaa") == "aaa");
    CHECK(found("/(?x) a b/", "ab") == "ab");
}

TEST_CASE("/A anchors at the search start", "[regex]") {
    CHECK(found("/b/A", "ab") == "<none>");
    CHECK(found("/b/A", "ab", 1) == "b");
    CHECK(found("/a/A", "ab") == "a");
}

TEST_CASE("relative (R): anchors and \\b see the subject from `from` on", "[regex]") {
    const std::string_view s = "GET /index.php?id=1";
    CHECK(find("/^\\/index/R", s, 4).matched);
    CHECK_FALSE(find("/^\\/index/", s, 4).matched);  // absolute: ^ is the buffer start
    CHECK(find("/^\\/index/R", s, 4).begin == 4);
    CHECK(find("/^\\/index/R", s, 4).end == 10);
    CHECK(find("/\\bindex/R", "xindex", 1).matched);   // nothing before `from` when relative
    CHECK_FALSE(find("/\\bindex/", "xindex", 1).matched);
    CHECK_FALSE(find("/x/R", "x", 2).matched);         // `from` past the end never matches
}

TEST_CASE("typical ET patterns", "[regex]") {
    CHECK(found(R"(/^GET\s+\/[a-z]{3,}/i)", "GET /Admin/x") == "GET /Admin");
    CHECK(found(R"(/\/(?:wp-admin|wp-login)\.php\?[^\r\n]*action=/Ui)", "/wp-login.php?x=1&action=lost")
          == "/wp-login.php?x=1&action=");
    CHECK(found(R"(/union\s+(?:all\s+)?select/i)", "id=1 UNION ALL SELECT 1") == "UNION ALL SELECT");
    CHECK(found(R"(/^[^\r\n]{5,}\r?$/m)", "ab\r\nabcdef\r\nx") == "abcdef\r");
    CHECK(found(R"(/User-Agent\x3a[^\r\n]*(?:sqlmap|nikto)/i)", "User-Agent: sqlmap/1.0") == "User-Agent: sqlmap");
    CHECK(found(R"(/\x2e\x2e[\x2f\x5c]/)", "/a/..\\b") == "..\\");
}

TEST_CASE("constexpr: the whole path runs at compile time", "[regex]") {
    constexpr auto result = [] {
        std::array<std::uint32_t, max_program_words> p{};
        const pcre_option o = parse_pcre_option(R"("/b(an)+a/i")");
        const compile_result c = compile(o, p);
        const char s[] = "xBANANAs";
        std::array<std::byte, sizeof s - 1> subject{};
        for (std::size_t i = 0; i + 1 < sizeof s; ++i) subject[i] = static_cast<std::byte>(s[i]);
        const match_result m = search(std::span(p).first(c.words), subject, 0);
        return m.matched && m.begin == 1 && m.end == 7;
    }();
    static_assert(result);
    CHECK(result);
}

TEST_CASE("large subjects: offsets beyond 16 bits, relative and absolute", "[regex]") {
    std::string big(100000, 'x');
    big.replace(70000, 12, "union select");
    const auto m = find(R"(/union\s+select/i)", big);
    CHECK(m.matched);
    CHECK(m.begin == 70000);
    CHECK(m.end == 70012);
    const auto r = find(R"(/^x*union/R)", big, 65536);
    CHECK(r.matched);
    CHECK(r.begin == 65536);
    CHECK(r.end == 70005);
    CHECK_FALSE(find(R"(/union\s+select/i)", big, 70001).matched);
}
