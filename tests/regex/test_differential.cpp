// Differential test: the subset matcher against real PCRE2 on generated patterns and subjects.
// Invariants: (1) every pattern of the generated subset compiles, and PCRE2 compiles it too;
// (2) for every subject and start, both agree on matched / not matched and on [begin, end);
// (3) on random token soup, whatever we accept PCRE2 accepts, with the same matches (the subset
// may refuse more than PCRE2, never less, and never mean something else).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "pcre2_ref.hpp"

using namespace secengine::regex;
using regex_test::pcre2_ref;
using regex_test::ref_result;

namespace {

struct generator {
    std::mt19937& rng;
    int budget = 0;
    int names = 0;
    bool extended = false;

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
    bool chance(int pct) { return pick(100) < pct; }

    std::string literal() {
        static const char* lits[] = {"a", "b", "c", "A", "B", "ab", "\\n", "\\.", "\\x61", "\\x41", "-", "_",
                                     "1", " ", "\\t", "\\/", "\\\\", "x", "\\e", "\\0", "\\x{62}", "%"};
        std::string l = lits[pick(static_cast<int>(std::size(lits)))];
        // Under /x a blank is skipped (and #... is a comment): keep one there, then an atom.
        if (extended && l == " ") return chance(50) ? " \\x20" : "#c\n\\ ";
        return l;
    }
    std::string cls() {
        static const char* cs[] = {"[abc]", "[^a]", "[a-c]", "[^a-c\\n]", "[[:alpha:]]", "[[:^digit:]]", "[\\d_]",
                                   "[\\w-]", "[]a]", "[^]b]", "[A-Z]", "[a\\-c]", "[\\x00-\\x20]", "[.]",
                                   "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\h", "\\v", "[[:space:]b]",
                                   "[[:upper:]]", "[[:punct:]]", "[\\^a]", "[a^]", "[-a]", "[a-]", "[\\b]"};
        return cs[pick(static_cast<int>(std::size(cs)))];
    }
    std::string anchor() {
        static const char* as[] = {"^", "$", "\\b", "\\B", "\\A", "\\z", "\\Z"};
        return as[pick(static_cast<int>(std::size(as)))];
    }
    std::string quant() {
        static const char* qs[] = {"*", "+", "?", "{2}", "{0,2}", "{1,3}", "{2,}", "{0}", "{1}", "{0,}", "{1,}"};
        std::string q = qs[pick(static_cast<int>(std::size(qs)))];
        if (chance(30)) q += "?";
        return q;
    }
    std::string atom(int depth) {
        const int r = pick(100);
        if (r < 35) return literal();
        if (r < 55) return cls();
        if (r < 62) return ".";
        if (r < 70) return anchor();
        if (depth > 0 && r < 100) {
            static const char* opens[] = {"(", "(?:", "(?i:", "(?<n", "(?-i:", "(?s:"};
            std::string g = opens[pick(static_cast<int>(std::size(opens)))];
            if (g == "(?<n") g += std::to_string(names++) + ">";  // names must be unique
            return g + alternation(depth - 1) + ")";
        }
        return literal();
    }
    std::string item(int depth) {
        std::string a = atom(depth);
        const bool is_anchor = a == "^" || a == "$" || a.size() == 2 && a[0] == '\\' &&
                                                            (a[1] == 'b' || a[1] == 'B' || a[1] == 'A' || a[1] == 'z' || a[1] == 'Z');
        if (!is_anchor && chance(35)) {
            std::string q = quant();
            // PCRE2 10.42 treats `(?:x|^){0}a` as anchored (its start-of-match optimisation
            // ignores the {0}) and misses "ba"; the subset answers [1,2). Not generated.
            if (a[0] == '(' && q.rfind("{0}", 0) == 0) q = "{1}";
            a += q;
        }
        return a;
    }
    std::string sequence(int depth) {
        std::string s;
        const int n = pick(4);
        for (int i = 0; i < n && budget-- > 0; ++i) s += item(depth);
        return s;
    }
    std::string alternation(int depth) {
        std::string s = sequence(depth);
        while (chance(30) && budget > 0) s += "|" + sequence(depth);
        return s;
    }
    std::string pattern() {
        budget = 12;
        names = 0;
        std::string p;
        if (chance(10)) {
            static const char* in[] = {"(?i)", "(?s)", "(?m)", "(?x)", "(?U)", "(?im)", "(?-i)"};
            p += in[pick(static_cast<int>(std::size(in)))];
            if (p == "(?x)") extended = true;
        }
        p += alternation(3);
        return p;
    }
    std::string subject(const std::string& pat) {
        static const char alphabet[] = "abcABx\n -_1%\t.";
        std::string s;
        const int n = pick(24);
        for (int i = 0; i < n; ++i) {
            if (chance(20) && !pat.empty()) {
                // Pieces of the pattern itself make matches likelier.
                s += pat[static_cast<std::size_t>(pick(static_cast<int>(pat.size())))];
            } else {
                s += alphabet[pick(static_cast<int>(sizeof(alphabet) - 1))];
            }
        }
        return s;
    }
};

pcre_option random_flags(std::mt19937& rng, std::string_view pattern) {
    pcre_option o{};
    o.pattern = pattern;
    if (std::uniform_int_distribution<int>(0, 99)(rng) < 10) o.extended = true;
    auto bit = [&](int pct) { return std::uniform_int_distribution<int>(0, 99)(rng) < pct; };
    o.caseless = bit(25);
    o.dotall = bit(25);
    o.multiline = bit(25);
    o.anchored = bit(10);
    o.dollar_endonly = bit(15);
    o.ungreedy = bit(10);
    o.relative = bit(30);
    return o;
}

std::string flags_text(const pcre_option& o) {
    std::string f;
    if (o.caseless) f += 'i';
    if (o.dotall) f += 's';
    if (o.multiline) f += 'm';
    if (o.extended) f += 'x';
    if (o.anchored) f += 'A';
    if (o.dollar_endonly) f += 'E';
    if (o.ungreedy) f += 'G';
    if (o.relative) f += 'R';
    return f;
}

std::string printable(const std::string& s) {
    std::string r;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) r += static_cast<char>(c);
        else {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            r += b;
        }
    }
    return r;
}

std::vector<std::uint32_t> prog(max_program_words);
std::size_t pcre2_gave_up = 0;  // comparisons skipped because PCRE2 hit its match limit

// Fixed by default (a deterministic test); REGEX_SEED / REGEX_SCALE let a soak run explore more.
unsigned seed_or(unsigned fixed) {
    const char* e = std::getenv("REGEX_SEED");
    return e ? static_cast<unsigned>(std::strtoul(e, nullptr, 10)) : fixed;
}
std::size_t scale() {
    const char* e = std::getenv("REGEX_SCALE");
    return e ? static_cast<std::size_t>(std::max(1, std::atoi(e))) : 1u;
}

// Compare on `subjects` x every start offset; returns the number of comparisons.
std::size_t compare(const pcre_option& o, const pcre2_ref& ref, const std::vector<std::string>& subjects) {
    const compile_result c = compile(o, prog);
    REQUIRE(c.err == error::ok);
    program_shape shape{};
    REQUIRE(verify(std::span(prog).first(c.words), &shape) == error::ok);
    const bool small_fits = shape.threads <= 64 && shape.splits <= 64;
    std::size_t n = 0;
    for (const auto& s : subjects) {
        for (std::size_t from = 0; from <= s.size(); ++from) {
            const ref_result want = ref.search(s, from);
            if (want.limit) {
                ++pcre2_gave_up;
                continue;
            }
            const match_result got = search(std::span(prog).first(c.words), std::as_bytes(std::span(s)), from);
            if (small_fits) {  // the small-stack matcher answers the same when the program fits
                const match_result small =
                    search_with<64, 64>(std::span(prog).first(c.words), std::as_bytes(std::span(s)), from);
                REQUIRE(small.matched == got.matched);
                REQUIRE(small.begin == got.begin);
                REQUIRE(small.end == got.end);
            }
            INFO("pattern /" << printable(std::string(o.pattern)) << "/" << flags_text(o) << " subject \""
                             << printable(s) << "\" from " << from);
            REQUIRE(got.matched == want.matched);
            if (want.matched) {
                REQUIRE(got.begin == want.begin);
                REQUIRE(got.end == want.end);
            }
            ++n;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("differential: generated subset patterns agree with PCRE2", "[regex][differential]") {
    std::mt19937 rng(seed_or(20261201));
    generator g{rng};
    std::size_t comparisons = 0, matches = 0, refused_by_both = 0, empty_loops = 0;
    for (int iter = 0; iter < 4000 * static_cast<int>(scale()); ++iter) {
        pcre_option o = random_flags(rng, "");
        g.extended = o.extended;  // pattern() sets it too when it opens with (?x)
        const std::string pat = g.pattern();
        o.pattern = pat;
        const pcre2_ref ref(o);
        INFO("pattern /" << printable(pat) << "/" << flags_text(o));
        if (!ref.compiled()) {
            // Only /x can make a generated pattern invalid (a blank between two quantifiers):
            // then the subset must refuse it as well.
            REQUIRE((o.extended || g.extended));
            REQUIRE(compile(o, prog).err != error::ok);
            ++refused_by_both;
            continue;
        }
        if (compile(o, prog).err == error::empty_loop) {
            ++empty_loops;  // refused on purpose (docs/regex.md); the soup test checks the rest
            continue;
        }
        std::vector<std::string> subjects;
        for (int k = 0; k < 6; ++k) subjects.push_back(g.subject(pat));
        subjects.emplace_back();
        comparisons += compare(o, ref, subjects);
        for (const auto& s : subjects) matches += ref.search(s, 0).matched ? 1u : 0u;
    }
    // The comparison must have had something to compare: many matches and many non-matches.
    CHECK(matches > 3000u * scale());
    CHECK(matches < 26000u * scale());
    CHECK(comparisons > 80000u * scale());
    CHECK(refused_by_both < 100u * scale());
    CHECK(pcre2_gave_up < comparisons / 100);
    CHECK(empty_loops < 1000u * scale());
    std::printf("regex differential: %zu patterns compared, %zu refused as empty_loop, %zu refused by both, "
                "%zu comparisons, %zu skipped (PCRE2 match limit)\n",
                4000 * scale() - empty_loops - refused_by_both, empty_loops, refused_by_both, comparisons, pcre2_gave_up);
}

TEST_CASE("differential: random token soup - accepted only when PCRE2 accepts, same matches", "[regex][differential]") {
    std::mt19937 rng(seed_or(7));
    static const char* tokens[] = {"a", "b", "(", ")", "|", "*", "+", "?", "{", "}", "{2}", "{1,2}", ",", "[", "]",
                                   "^", "$", ".", "\\", "\\d", "\\b", "-", ":", "(?", "i", "s", "m", "x", "\n",
                                   " ", "#", "<", ">", "=", "!", "1", "0", "[:alpha:]", "\\x", "f", "P", "\\1"};
    std::size_t accepted = 0, refused = 0;
    for (int iter = 0; iter < 20000 * static_cast<int>(scale()); ++iter) {
        std::string pat;
        const int n = std::uniform_int_distribution<int>(0, 10)(rng);
        for (int i = 0; i < n; ++i)
            pat += tokens[std::uniform_int_distribution<std::size_t>(0, std::size(tokens) - 1)(rng)];
        const pcre_option o = random_flags(rng, pat);
        const compile_result c = compile(o, prog);
        const pcre2_ref ref(o);
        INFO("pattern /" << printable(pat) << "/" << flags_text(o) << " -> " << name(c.err));
        if (c.err != error::ok) {
            ++refused;
            CHECK(c.column <= pat.size());
            continue;
        }
        ++accepted;
        REQUIRE(ref.compiled());
        generator g{rng};
        std::vector<std::string> subjects{g.subject(pat), g.subject(pat), std::string("ab\nab"), std::string()};
        compare(o, ref, subjects);
    }
    CHECK(accepted > 2000);
    CHECK(refused > 2000);
}

TEST_CASE("patterns that make PCRE2 give up (match limit) are answered exactly", "[regex][differential]") {
    // Nested quantifiers on a subject that almost matches: PCRE2's backtracking explores
    // exponentially many paths and stops at its match limit; the Pike VM visits each
    // (instruction, position) once and answers.
    struct hard_case { const char* pattern; std::string subject; bool matched; };
    const hard_case cases[] = {
        {"(a+)+b", std::string(40, 'a') + "cb", false},  // the b is there (PCRE2 checks that first)
        {"(a+)+b", std::string(40, 'a') + "b", true},
        {"(?:x+x+)+y", std::string(40, 'x') + "zy", false},
        {"^(\\w+\\s?)*$", std::string(40, 'w') + "!", false},
    };
    for (const auto& c : cases) {
        pcre_option o{};
        o.pattern = c.pattern;
        const pcre2_ref ref(o);
        REQUIRE(ref.compiled());
        const compile_result r = compile(o, prog);
        REQUIRE(r.err == error::ok);
        const match_result got = search(std::span(prog).first(r.words), std::as_bytes(std::span(c.subject)), 0);
        INFO(c.pattern);
        CHECK(got.matched == c.matched);
        if (c.matched) {
            CHECK(got.begin == 0);
            CHECK(got.end == c.subject.size());
        } else {
            CHECK(ref.search(c.subject, 0).limit);  // PCRE2 has no answer here
        }
    }
}
