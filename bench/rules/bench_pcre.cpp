// pcre benchmark: the subset's Pike VM against PCRE2 (interpreter, and JIT as Suricata uses
// it when available) on the same ET-style patterns and the same corpus of generated HTTP
// requests, searched request by request from offset 0 (a non-relative pcre on a buffer).
// Prints name=value lines (docs/performance.md). A benchmark, not a test: no pass/fail.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <secengine/regex/pcre.hpp>

using namespace secengine::regex;

namespace {

struct kind {
    const char* name;
    const char* value;  // Suricata pcre option value
};

// Shapes taken from ET Open web rules (paraphrased, not copied): an anchored request line,
// an SQL keyword pair, a path with a query, a header scan, a long-line overflow check and
// a traversal byte sequence.
const kind kinds[] = {
    {"request_line", R"(/^GET\s+\/[a-z]{3,}\/[a-z0-9_]+\.php/i)"},
    {"sqli", R"(/union\s+(?:all\s+)?select\s/i)"},
    {"wp_path", R"(/\/(?:wp-admin|wp-login)\.php\?[^\r\n]*action=/i)"},
    {"user_agent", R"(/User-Agent\x3a[^\r\n]*(?:sqlmap|nikto|nmap)/i)"},
    {"long_line", R"(/^[^\r\n]{200,}/m)"},
    {"traversal", R"(/\x2e\x2e[\x2f\x5c]/)"},
};

std::vector<std::string> make_corpus(std::size_t total_bytes) {
    std::mt19937 rng(42);
    const char* paths[] = {"/index.php", "/wp-login.php?redirect_to=%2F&reauth=1", "/images/logo.png",
                           "/search?q=union+of+select+people", "/api/v1/items?id=42&sort=asc",
                           "/static/../../etc/passwd", "/wp-admin/admin-ajax.php?action=heartbeat",
                           "/wp-login.php?action=lostpassword", "/blog/view_post.php?id=7"};
    const char* agents[] = {"Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0", "curl/7.88.1",
                            "sqlmap/1.7.2#stable (https://sqlmap.org)", "Wget/1.21.3"};
    std::vector<std::string> out;
    std::size_t bytes = 0;
    while (bytes < total_bytes) {
        std::string r = (rng() % 4 ? "GET " : "POST ");
        r += paths[rng() % std::size(paths)];
        r += " HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: ";
        r += agents[rng() % std::size(agents)];
        r += "\r\nAccept: text/html,application/xhtml+xml\r\nCookie: session=";
        for (int i = 0; i < 32; ++i) r += "0123456789abcdef"[rng() % 16];
        if (rng() % 8 == 0) r += std::string(220, 'A');  // an over-long header line now and then
        if (rng() % 16 == 0) r += "\r\nX-Query: 1 UNION ALL SELECT null,null";
        r += "\r\n\r\n";
        bytes += r.size();
        out.push_back(std::move(r));
    }
    return out;
}

template <class F>
double ns_per_byte(const std::vector<std::string>& corpus, std::size_t bytes, F&& one, std::size_t& hits) {
    // Best of 3 passes, each long enough to dominate the clock's resolution.
    double best = 1e30;
    for (int pass = 0; pass < 3; ++pass) {
        hits = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& s : corpus) hits += one(s) ? 1u : 0u;
        const auto t1 = std::chrono::steady_clock::now();
        const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
        if (ns < best) best = ns;
    }
    return best / static_cast<double>(bytes);
}

}  // namespace

int main() {
    const auto corpus = make_corpus(std::size_t{2} << 20);
    std::size_t bytes = 0;
    for (const auto& s : corpus) bytes += s.size();
    std::printf("regex.corpus_bytes=%zu\n", bytes);
    std::printf("regex.search_stack_bytes=%zu\n", search_stack_bytes);
    for (const auto& k : kinds) {
        const pcre_option o = parse_pcre_option(k.value);
        std::vector<std::uint32_t> prog(max_program_words);
        const compile_result c = compile(o, prog);
        if (c.err != error::ok) {
            std::fprintf(stderr, "%s: %s\n", k.name, std::string(name(c.err)).c_str());
            return 1;
        }
        prog.resize(c.words);
        std::size_t ours = 0, theirs = 0, jit_hits = 0;
        const double vm = ns_per_byte(corpus, bytes, [&](const std::string& s) {
            return search(prog, std::as_bytes(std::span(s)), 0).matched;
        }, ours);

        std::uint32_t flags = 0;
        if (o.caseless) flags |= PCRE2_CASELESS;
        if (o.multiline) flags |= PCRE2_MULTILINE;
        if (o.dotall) flags |= PCRE2_DOTALL;
        int ec = 0;
        PCRE2_SIZE eo = 0;
        pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(o.pattern.data()), o.pattern.size(), flags, &ec, &eo, nullptr);
        pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
        const double interp = ns_per_byte(corpus, bytes, [&](const std::string& s) {
            return pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr) >= 0;
        }, theirs);
        double jit = -1;
        if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0) {
            jit = ns_per_byte(corpus, bytes, [&](const std::string& s) {
                return pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr) >= 0;
            }, jit_hits);
        }
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        if (ours != theirs) {
            std::fprintf(stderr, "%s: %zu matches, PCRE2 %zu\n", k.name, ours, theirs);
            return 1;
        }
        std::printf("regex.program_words.%s=%zu\n", k.name, c.words);
        std::printf("regex.match_pct.%s=%.1f\n", k.name, 100.0 * static_cast<double>(ours) / static_cast<double>(corpus.size()));
        std::printf("regex.ns_per_byte.%s=%.3f\n", k.name, vm);
        std::printf("regex.pcre2_ns_per_byte.%s=%.3f\n", k.name, interp);
        if (jit >= 0) std::printf("regex.pcre2_jit_ns_per_byte.%s=%.3f\n", k.name, jit);
    }
    return 0;
}
