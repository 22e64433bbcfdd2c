// Every rejection path of the compiler and the program check: a named error at the right
// column, never a crash; each refused construct has an accepted twin beside it.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "regex_helpers.hpp"

using namespace secengine::regex;
using regex_test::compile_error;
using regex_test::compile_value;

namespace {
struct bad_case {
    const char* value;
    error err;
    std::size_t column;  // into the pattern
    const char* twin;    // a close pattern that compiles
};
}  // namespace

TEST_CASE("refused patterns name the error and its column; their twins compile", "[regex][errors]") {
    const bad_case cases[] = {
        {"/(ab/", error::unbalanced_paren, 0, "/(ab)/"},
        {"/a(b(c)/", error::unbalanced_paren, 1, "/a(b(c))/"},
        {"/ab)/", error::unmatched_paren, 2, "/ab\\)/"},
        {"/(?:a/", error::unbalanced_paren, 0, "/(?:a)/"},
        {"/(?#x/", error::unbalanced_paren, 0, "/(?#x)/"},
        {"/\\q/", error::bad_escape, 0, "/\\?/"},
        {"/a\\/", error::trailing_backslash, 1, "/a\\\\/"},
        {"/\\x{}/", error::bad_escape, 0, "/\\x{41}/"},
        {"/\\x{100}/", error::bad_escape, 0, "/\\x{ff}/"},
        {"/\\o{9}/", error::bad_escape, 0, "/\\o{7}/"},
        {"/[abc/", error::unterminated_class, 0, "/[abc]/"},
        {"/[]/", error::unterminated_class, 0, "/[]]/"},
        {"/[z-a]/", error::bad_class_range, 1, "/[a-z]/"},
        {"/[\\d-z]/", error::bad_class_range, 3, "/[\\d\\-z]/"},
        {"/[a-\\d]/", error::bad_class_range, 3, "/[a\\-\\d]/"},
        {"/[[:nope:]]/", error::bad_posix_class, 1, "/[[:alpha:]]/"},
        {"/[[.a.]]/", error::bad_posix_class, 1, "/[[a.]]/"},
        {"/[:alpha:]/", error::bad_posix_class, 0, "/[[:alpha:]]/"},
        {"/*a/", error::nothing_to_repeat, 0, "/\\*a/"},
        {"/a|+/", error::nothing_to_repeat, 2, "/a|\\+/"},
        {"/a**/", error::nothing_to_repeat, 2, "/a*/"},
        {"/^*/", error::nothing_to_repeat, 1, "/^a*/"},
        {"/\\b+/", error::nothing_to_repeat, 2, "/\\w+/"},
        {"/(?i)*/", error::nothing_to_repeat, 4, "/(?i)a*/"},
        {"/{2}/", error::nothing_to_repeat, 0, "/\\{2}/"},
        {"/a{3,2}/", error::bad_quantifier, 1, "/a{2,3}/"},
        {"/a{65536}/", error::count_too_large, 1, "/a{65}/"},
        {"/a{1,99999999999}/", error::count_too_large, 1, "/a{1,9}/"},
        {"/(a)\\1/", error::backreference, 3, "/(a)\\x01/"},
        {"/(?<n>a)\\k<n>/", error::backreference, 7, "/(?<n>a)k<n>/"},
        {"/(a)\\g1/", error::backreference, 3, "/(a)g1/"},
        {"/(?P<n>a)(?P=n)/", error::backreference, 8, "/(?P<n>a)(?:n)/"},
        {"/a(?=b)/", error::lookahead, 1, "/a(?:b)/"},
        {"/a(?!b)/", error::lookahead, 1, "/a(?:b)/"},
        {"/(?<=a)b/", error::lookbehind, 0, "/(?:a)b/"},
        {"/(?<!a)b/", error::lookbehind, 0, "/(?:a)b/"},
        {"/(?>a+)b/", error::atomic_group, 0, "/(?:a+)b/"},
        {"/a++/", error::possessive, 2, "/a+/"},
        {"/a*+/", error::possessive, 2, "/a*/"},
        {"/a?+/", error::possessive, 2, "/a?/"},
        {"/a{2}+/", error::possessive, 4, "/a{2}/"},
        {"/(?R)/", error::recursion, 0, "/(?:R)/"},
        {"/(a)(?1)/", error::recursion, 3, "/(a)(?:1)/"},
        {"/(?&n)/", error::recursion, 0, "/(?:n)/"},
        {"/(?P>n)/", error::recursion, 0, "/(?:n)/"},
        {"/(?-1)/", error::recursion, 0, "/(?-i)/"},
        {"/(?(1)a|b)/", error::conditional, 0, "/(?:a|b)/"},
        {"/(?|a|b)/", error::unsupported_group, 0, "/(?:a|b)/"},
        {"/(*UTF)a/", error::unsupported_group, 0, "/(\\*UTF)a/"},
        {"/(?<1a>x)/", error::unsupported_group, 0, "/(?<a1>x)/"},
        {"/\\p{L}/", error::unsupported_escape, 0, "/p{L}/"},
        {"/\\R/", error::unsupported_escape, 0, "/\\r/"},
        {"/\\X/", error::unsupported_escape, 0, "/\\x/"},
        {"/\\Qa.b\\E/", error::unsupported_escape, 0, "/a\\.b/"},
        {"/\\G/", error::unsupported_escape, 0, "/\\A/"},
        {"/\\cA/", error::unsupported_escape, 0, "/\\x01/"},
        {"/\\K/", error::unsupported_escape, 0, "/K/"},
        {"/\\N/", error::unsupported_escape, 0, "/\\n/"},
        {"/[\\B]/", error::bad_escape, 1, "/[\\b]/"},
        {"/(?q)/", error::bad_inline_option, 2, "/(?i)/"},
        {"/(?i-q:a)/", error::bad_inline_option, 4, "/(?i-s:a)/"},
        {"/(?^-i)/", error::bad_inline_option, 3, "/(?^i)/"},
        {"/(a|)*/", error::empty_loop, 4, "/(a|)?/"},
        {"/(b*)+/", error::empty_loop, 4, "/(b+)+/"},
        {"/(?:^)*/", error::empty_loop, 5, "/(?:^)?/"},
        {"/(?:a?b?){2,}/", error::empty_loop, 8, "/(?:a?b?){2,5}/"},
        {"/()*/", error::empty_loop, 2, "/()/"},
    };
    for (const auto& c : cases) {
        const auto r = compile_value(c.value).result;
        INFO(c.value << " -> " << name(r.err) << " at " << r.column);
        CHECK(r.err == c.err);
        CHECK(r.column == c.column);
        CHECK(r.words == 0);
        INFO("twin " << c.twin);
        CHECK(compile_error(c.twin) == error::ok);
    }
}

TEST_CASE("nesting deeper than max_nesting is refused, max_nesting is not", "[regex][errors]") {
    const std::string ok = "/" + std::string(max_nesting, '(') + "a" + std::string(max_nesting, ')') + "/";
    const std::string deep = "/" + std::string(max_nesting + 1, '(') + "a" + std::string(max_nesting + 1, ')') + "/";
    CHECK(compile_error(ok) == error::ok);
    CHECK(compile_error(deep) == error::nesting_too_deep);
    CHECK(compile_error("/" + std::string(100000, '(') + "/") == error::nesting_too_deep);
}

TEST_CASE("size limits: instructions, threads, splits, classes, output span", "[regex][errors]") {
    // max_threads consumers (+ match) fit; one more does not.
    CHECK(compile_error("/a{" + std::to_string(max_threads - 1) + "}/") == error::ok);
    CHECK(compile_error("/a{" + std::to_string(max_threads) + "}/") == error::too_large);
    CHECK(compile_error("/a{1000}/") == error::too_large);
    CHECK(compile_error("/a{65535}/") == error::too_large);
    CHECK(compile_error("/(?:(?:a{100}){100}){100}/") == error::too_large);
    // Splits: each empty alternation is one (and no consumer).
    CHECK(compile_error("/(?:|){" + std::to_string(max_splits) + "}/") == error::ok);
    CHECK(compile_error("/(?:|){" + std::to_string(max_splits + 1) + "}/") == error::too_large);
    // Instructions: groups of 4 jumps + few consumers.
    CHECK(compile_error("/(?:(?:|||)b){200}/") == error::too_large);
    // Classes: 64 distinct fit, 65 do not; repeated classes are shared.
    std::string classes = "/", more = "/";
    for (std::size_t i = 0; i < max_classes; ++i) classes += "[" + std::to_string(i % 10) + "-9x" + std::string(1, static_cast<char>('a' + i / 10)) + "]";
    more = classes + "[%&]/";
    classes += "/";
    CHECK(compile_error(classes) == error::ok);
    CHECK(compile_error(more) == error::too_large);
    CHECK(compile_error("/[ab]{200}/") == error::ok);
    // Output span: too short -> output_too_small; exactly the size -> ok.
    const pcre_option o = parse_pcre_option("/abc[de]+/");
    std::vector<std::uint32_t> big(max_program_words);
    const auto full = compile(o, big);
    REQUIRE(full.err == error::ok);
    std::vector<std::uint32_t> exact(full.words), small(full.words - 1), tiny(3);
    CHECK(compile(o, exact).err == error::ok);
    CHECK(compile(o, small).err == error::output_too_small);
    CHECK(compile(o, tiny).err == error::output_too_small);
    CHECK(compile(o, std::span<std::uint32_t>{}).err == error::output_too_small);
    // An option that failed to parse does not compile.
    CHECK(compile(parse_pcre_option("/a/q"), big).err == error::unknown_modifier);
}

TEST_CASE("every program fits max_program_words (property over random patterns)", "[regex][errors]") {
    std::mt19937 rng(11);
    static const char* parts[] = {"a", "[a-z]", "(?:", ")", "|", "{9}", "{3,40}", "*", "?", "\\d", ".", "[^x]", "[0-5]"};
    std::size_t ok = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string p = "/";
        const int n = std::uniform_int_distribution<int>(1, 30)(rng);
        for (int k = 0; k < n; ++k) p += parts[std::uniform_int_distribution<std::size_t>(0, std::size(parts) - 1)(rng)];
        p += "/";
        const auto c = compile_value(p);
        CHECK(c.result.words <= max_program_words);
        if (c.result.err == error::ok) {
            ++ok;
            CHECK(verify(c.words) == error::ok);
        } else {
            CHECK(c.result.words == 0);
            CHECK(c.result.column <= p.size() - 2);
        }
    }
    CHECK(ok > 150);
}

TEST_CASE("truncated patterns: every prefix compiles or is refused with a column inside it", "[regex][errors]") {
    const std::string full = R"(^(?i)(?:GET|POST)\s+\/[a-z0-9_\-]{3,12}\.php\?(?<q>[^\r\n&]*&)?id=\d+(?:\x27|%27)[[:alpha:]]+?\b$)";
    std::size_t refused = 0;
    for (std::size_t len = 0; len <= full.size(); ++len) {
        pcre_option o{};
        o.pattern = std::string_view(full).substr(0, len);
        std::vector<std::uint32_t> out(max_program_words);
        const auto r = compile(o, out);
        INFO("prefix " << o.pattern << " -> " << name(r.err));
        if (r.err != error::ok) {
            ++refused;
            CHECK(r.column <= len);
        } else {
            CHECK(verify(std::span(out).first(r.words)) == error::ok);
        }
    }
    CHECK(refused > 20);
    CHECK(compile_error("/" + full + "/") == error::ok);
}

TEST_CASE("random bytes as a pattern: a named error or a valid program, never a crash", "[regex][errors]") {
    std::mt19937 rng(3);
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string p(static_cast<std::size_t>(std::uniform_int_distribution<int>(0, 40)(rng)), '\0');
        for (auto& c : p) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
        pcre_option o{};
        o.pattern = p;
        std::vector<std::uint32_t> out(max_program_words);
        const auto r = compile(o, out);
        CHECK(static_cast<std::size_t>(r.err) < static_cast<std::size_t>(error::count_));
        CHECK(name(r.err) != "unknown");
        if (r.err == error::ok) {
            ++accepted;
            REQUIRE(verify(std::span(out).first(r.words)) == error::ok);
            (void)search(std::span(out).first(r.words), std::as_bytes(std::span(p)), 0);
        } else {
            CHECK(r.column <= p.size());
        }
    }
    CHECK(accepted > 100);
}

TEST_CASE("verify and search refuse malformed programs", "[regex][errors]") {
    const auto good = compile_value("/ab[cd]+e?/");
    REQUIRE(good.result.err == error::ok);
    const std::span<const std::uint32_t> g(good.words);
    const auto subject = std::as_bytes(std::span("xxabcde", 7));
    REQUIRE(search(g, subject, 0).matched);
    CHECK(verify(std::span<const std::uint32_t>{}) == error::bad_program);
    CHECK(verify(g.first(header_words)) == error::bad_program);
    CHECK(verify(g.first(g.size() - 1)) == error::bad_program);
    // Every single-word corruption: verify refuses it, or search still runs inside bounds.
    std::mt19937 rng(5);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        for (int k = 0; k < 64; ++k) {
            std::vector<std::uint32_t> bad(g.begin(), g.end());
            bad[i] = k < 32 ? bad[i] ^ (1u << k) : static_cast<std::uint32_t>(rng());
            if (verify(bad) != error::ok) {
                ++refused;
                CHECK_FALSE(search(bad, subject, 0).matched);
            } else {
                const auto m = search(bad, subject, 0);
                CHECK(m.begin <= m.end);
                CHECK(m.end <= subject.size());
            }
        }
    }
    CHECK(refused > g.size() * 20);
    // Random words never verify (the magic alone rules them out) and never match.
    for (int k = 0; k < 1000; ++k) {
        std::vector<std::uint32_t> r(static_cast<std::size_t>(std::uniform_int_distribution<int>(0, 64)(rng)));
        for (auto& w : r) w = static_cast<std::uint32_t>(rng());
        CHECK(verify(r) == error::bad_program);
        CHECK_FALSE(search(r, subject, 0).matched);
    }
}

TEST_CASE("error names: one per code", "[regex][errors]") {
    for (std::size_t i = 0; i < static_cast<std::size_t>(error::count_); ++i) {
        const auto n = name(static_cast<error>(i));
        CHECK(!n.empty());
        CHECK(n != "unknown");
        for (std::size_t j = 0; j < i; ++j) CHECK(n != name(static_cast<error>(j)));
    }
    CHECK(name(error::count_) == "unknown");
}

TEST_CASE("search_with: a program needing more threads than the matcher has never matches", "[regex][errors]") {
    const auto c = compile_value("/a{100}/");
    REQUIRE(c.result.err == error::ok);
    program_shape shape{};
    REQUIRE(verify(c.words, &shape) == error::ok);
    CHECK(shape.threads == 101);  // 100 consumers + match
    CHECK(shape.splits == 0);
    const std::string s(120, 'a');
    const auto subject = std::as_bytes(std::span(s));
    CHECK(search(c.words, subject, 0).matched);
    CHECK(search_with<128, 8>(c.words, subject, 0).matched);
    CHECK_FALSE(search_with<100, 8>(c.words, subject, 0).matched);
    const auto splits = compile_value("/(?:a?){20}/");
    REQUIRE(verify(splits.words, &shape) == error::ok);
    CHECK(shape.splits == 20);
    CHECK(search_with<64, 20>(splits.words, subject, 0).matched);
    CHECK_FALSE(search_with<64, 19>(splits.words, subject, 0).matched);
    static_assert(search_stack_bytes_for<64, 64> < search_stack_bytes);
    static_assert(search_stack_bytes == search_stack_bytes_for<max_threads, max_splits>);
}
