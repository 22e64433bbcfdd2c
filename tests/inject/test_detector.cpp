// detector.hpp: one call per value. Invariants: the verdict of a value is the same alone,
// percent-encoded, plus-encoded and double-encoded; the same in every parameter position
// (query, body, cookie, multipart); bad inputs (empty, 64 KiB, random bytes, unterminated
// quotes and comments) give a verdict, never a crash; rule ids and names are consistent.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "inject_corpus.hpp"
#include "secengine/inject/detector.hpp"

using namespace secengine::inject;

namespace {
std::vector<std::string> sample_values() {
    std::vector<std::string> out;
    for (const char* f : {"sqlmap.txt", "sql_other.txt", "xss.txt", "cmd.txt", "path.txt", "benign_prose.txt",
                          "benign_browser.txt"}) {
        const auto vals = corpus::read_values(std::string(INJECT_DATA) + "/" + f);
        for (std::size_t i = 0; i < vals.size(); i += 7) out.push_back(vals[i]);
    }
    return out;
}
std::string plus_encode(std::string_view v) {
    const std::string once = corpus::percent_encode(v);
    std::string e;  // form encoding: %20 spelled '+'
    for (std::size_t k = 0; k < once.size(); ++k) {
        if (once.compare(k, 3, "%20") == 0) { e += '+'; k += 2; } else e += once[k];
    }
    return e;
}
bool same(const detection& a, const detection& b) { return a.kind == b.kind && a.rule_id == b.rule_id; }
constexpr bool constexpr_detect() {
    detector<128> d;
    return d.classify("1%27%20OR%201%3D1--", param_source::query).kind == attack_kind::sql &&
           !d.classify("o%27neil+boots", param_source::query).attack();
}
static_assert(constexpr_detect(), "the whole detector runs at compile time (no hidden state)");
}  // namespace

TEST_CASE("rule table: ids unique, names carry the kind", "[inject][detector]") {
    for (const auto& r : detector_rules) {
        INFO(r.name);
        const std::string_view n = r.name;
        switch (r.kind) {
            case attack_kind::sql: CHECK(n.rfind("SQL injection: ", 0) == 0); break;
            case attack_kind::xss: CHECK(n.rfind("XSS: ", 0) == 0); break;
            case attack_kind::command: CHECK(n.rfind("Command injection: ", 0) == 0); break;
            case attack_kind::path: CHECK((n.rfind("Path traversal: ", 0) == 0 || n.rfind("File inclusion: ", 0) == 0)); break;
            default: FAIL("rule of kind none");
        }
    }
    CHECK(name(attack_kind::count_) == "unknown");
    CHECK(name(param_source::cookie) == "cookie");
}

TEST_CASE("the issue's examples get named verdicts", "[inject][detector]") {
    detector<> d;
    struct row { const char* raw; attack_kind kind; std::string_view name; };
    const row rows[] = {
        {"1'%20UNION%20SELECT%20NULL--", attack_kind::sql, "SQL injection: string break + UNION"},
        {"1%3BSELECT%20COUNT(*)%20FROM%20x--", attack_kind::sql, "SQL injection: stacked query"},
        {"-1011+ORDER+BY+1%23", attack_kind::sql, "SQL injection: ORDER BY probe"},
        {"%3CIMG%20SRC%3D%26%23106%3B%26%2397%3B%26%23118%3B%26%2397%3B%26%23115%3B%26%2399%3B%26%23114%3B%26%23105%3B"
         "%26%23112%3B%26%23116%3B%26%2358%3B%26%2397%3B%26%23108%3B%26%23101%3B%26%23114%3B%26%23116%3B%26%2340%3B1)%3E",
         attack_kind::xss, "XSS: script URL"},
        {"%26ltscript%26gt", attack_kind::xss, "XSS: dangerous tag"},
        {"a%3Bsleep%2060%3B5", attack_kind::command, "Command injection: separator + command"},
        {"a%60id%60b", attack_kind::command, "Command injection: command substitution"},
        {"%c0%ae%c0%ae%c0%afetc%c0%afpasswd", attack_kind::path, "Path traversal: dot-dot segment"},
    };
    for (const auto& r : rows) {
        INFO(r.raw);
        const detection v = d.classify(r.raw, param_source::query);
        CHECK(v.kind == r.kind);
        CHECK(v.name == r.name);
        CHECK(v.fingerprint().size() > 0);
    }
    const detection s = d.classify("1'%20AND%201%3D1", param_source::query);
    CHECK(s.fingerprint() == "s&1o1");
    CHECK(s.context == sql_context::single_quote);
}

TEST_CASE("property: same verdict alone, percent-, plus- and double-encoded", "[inject][detector]") {
    detector<4096> d;
    int attacks = 0;
    for (const std::string& v : sample_values()) {
        if (v.find('%') != std::string::npos || v.find('+') != std::string::npos) continue;  // escapes themselves
        INFO(v);
        const detection alone = d.classify(v, param_source::query);
        attacks += alone.attack();
        CHECK(same(alone, d.classify(corpus::percent_encode(v), param_source::query)));
        CHECK(same(alone, d.classify(plus_encode(v), param_source::query)));
        CHECK(same(alone, d.classify(corpus::percent_encode(corpus::percent_encode(v)), param_source::query)));
    }
    CHECK(attacks > 100);  // the sample holds attacks, so "always benign" cannot pass
}

TEST_CASE("property: same verdict in every parameter position", "[inject][detector]") {
    detector<4096> d;
    for (const std::string& v : sample_values()) {
        INFO(v);
        const std::string enc = corpus::percent_encode(v);
        const detection alone = d.classify(enc, param_source::query);
        param which;
        const std::string query = "page=2&q=" + enc + "&sort=asc";  // `which` views into it
        const detection q = d.classify_pairs(query, param_source::query, &which);
        CHECK(same(alone, q));
        if (q.attack()) CHECK(which.name == "q");
        CHECK(same(alone, d.classify_pairs("q=" + enc + "&x=1", param_source::body)));
        CHECK(same(alone, d.classify_pairs("sid=abc; q=" + enc + "; theme=dark", param_source::cookie)));
        CHECK(same(alone, d.classify(enc, param_source::header)));  // a header value (Referer, User-Agent)
        CHECK(same(alone, d.classify(enc, param_source::path)));
        // A multipart field carries the value unencoded.
        const std::string body = "--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + v + "\r\n--b--\r\n";
        multipart_iterator it(body, "b");
        param p;
        REQUIRE(it.next(p));
        CHECK(same(d.classify(v, param_source::multipart), d.classify(p.value, param_source::multipart)));
    }
}

TEST_CASE("bad inputs: empty, 64 KiB, random bytes, unterminated quotes and comments", "[inject][detector]") {
    detector<1024> d;
    CHECK_FALSE(d.classify("", param_source::query).attack());
    // 64 KiB of text: inspected over the scratch, flagged truncated; an attack at the head is found.
    std::string big(65536, 'a');
    const detection b = d.classify(big, param_source::query);
    CHECK_FALSE(b.attack());
    CHECK(b.truncated);
    std::string head = "1' UNION SELECT NULL--" + std::string(65536, ' ');
    CHECK(d.classify(head, param_source::query).kind == attack_kind::sql);
    CHECK(d.classify(std::string(65536, '\''), param_source::query).truncated);
    CHECK(d.classify(std::string(65536, '%'), param_source::query).truncated);
    for (const char* v : {"'", "\"", "`", "/*", "/*!", "--", "#", "'abc", "\"abc", "1 /* x", "&#", "&#x", "<", "<a",
                          "<a href=\"", "%", "%u", "$(", "`", "${IFS"}) {
        INFO(v);
        (void)d.classify(v, param_source::query);  // any verdict; it must return
        CHECK_FALSE(d.classify(v, param_source::query).truncated);
    }
    std::mt19937 rng(64);
    for (int iter = 0; iter < 3000; ++iter) {
        std::string v(rng() % 2048, '\0');
        for (auto& c : v) c = static_cast<char>(rng());
        const detection r = d.classify(v, param_source::body);
        CHECK(r.truncated == (v.size() > 1024));
        CHECK(r.fingerprint().size() <= r.fingerprint_buf.size());
        if (r.attack()) CHECK(r.rule_id >= 1200000);
    }
}
