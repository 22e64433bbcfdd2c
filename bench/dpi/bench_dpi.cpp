// DPI benchmark: the compact automaton against Hyperscan (block mode) on the same corpus and
// the same literal patterns. Patterns: ModSecurity CRS data files and literal fragments of
// sqlmap's payloads (when installed) plus the default set; all case-insensitive. Corpus:
// reproducible mix of generated HTTP requests and random bytes, scanned packet by packet.
// Prints name=value lines (docs/performance.md). A benchmark, not a test: no pass/fail.
#include <hs/hs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <secengine/dpi/aho_corasick.hpp>
#include <secengine/dpi/signatures.hpp>

using namespace secengine::dpi;
namespace fs = std::filesystem;

namespace {

// Host sizing: 64 Ki u16 dense cells (128 KiB) hold full rows for the text lane's shallowest
// states; the compact variant keeps the root rows only (as in the kernel).
using big_automaton = aho_corasick<65000, 8192, 65535, 65536>;
using compact_automaton = aho_corasick<65000, 8192, 65535, 512>;
constexpr std::size_t packet_size = 1460;  // one TCP segment of payload on a 1500-byte MTU
constexpr std::size_t corpus_bytes = 16u << 20;

struct pattern {
    std::string text;
    std::string origin;
};

std::string fold(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return s;
}

std::string unescape_xml(std::string s) {
    const std::pair<const char*, const char*> ents[] = {{"&gt;", ">"}, {"&lt;", "<"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
    for (auto [e, r] : ents)
        for (std::size_t p; (p = s.find(e)) != std::string::npos;) s.replace(p, std::string(e).size(), r);
    return s;
}

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? std::string{} : s.substr(a, b - a + 1);
}

// Pattern list: default set first, then CRS data files, then sqlmap payload fragments; folded
// duplicates removed; then shuffled (fixed seed) so any prefix is a mixed sample.
std::vector<pattern> load_patterns() {
    std::vector<pattern> out;
    std::set<std::string> seen;
    auto add = [&](std::string t, const std::string& origin) {
        t = trim(t);
        if (t.size() < 3 || t.size() > max_pattern_length) return;
        if (!seen.insert(fold(t)).second) return;
        out.push_back({t, origin});
    };
    std::vector<pattern> defaults;
    for (const auto& s : default_signatures)
        if (s.nocase) add(std::string(s.bytes), "default");
    const fs::path crs = "/usr/share/modsecurity-crs/rules";
    if (fs::is_directory(crs)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(crs))
            if (e.path().extension() == ".data") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::ifstream in(f);
            for (std::string line; std::getline(in, line);)
                if (!line.empty() && line[0] != '#') add(line, "crs");
        }
    }
    const fs::path sqlmap = "/usr/share/sqlmap/data/xml/payloads";
    if (fs::is_directory(sqlmap)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(sqlmap)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        const std::regex payload("<payload>([^<]*)</payload>");
        for (const auto& f : files) {
            std::ifstream in(f);
            const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            for (std::sregex_iterator it(xml.begin(), xml.end(), payload), end; it != end; ++it) {
                const std::string p = unescape_xml((*it)[1].str());
                // literal fragments between sqlmap's [PLACEHOLDERS]
                std::size_t a = 0;
                while (a < p.size()) {
                    const std::size_t b = p.find('[', a);
                    add(p.substr(a, b == std::string::npos ? std::string::npos : b - a), "sqlmap");
                    if (b == std::string::npos) break;
                    const std::size_t c = p.find(']', b);
                    if (c == std::string::npos) break;
                    a = c + 1;
                }
            }
        }
    }
    const auto ndefault = std::count_if(out.begin(), out.end(), [](const pattern& p) { return p.origin == "default"; });
    std::mt19937_64 rng(7);
    std::shuffle(out.begin() + ndefault, out.end(), rng);
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

// Benign HTTP requests and random bytes, ~3:1, plus a few attack strings, fixed seed.
std::string make_corpus() {
    std::mt19937_64 rng(42);
    const char* words[] = {"index", "products", "search", "api", "v1", "users", "static", "images", "css", "js",
                           "login", "account", "cart", "checkout", "item", "category", "news", "blog", "about", "help"};
    const char* agents[] = {"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
                            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
                            "curl/7.88.1"};
    const char* attacks[] = {"1' OR '1'='1", "1 UNION SELECT username,password FROM users--", "<script>alert(1)</script>",
                             "../../../../etc/passwd", "() { :; }; /bin/bash -c id"};
    auto w = [&] { return std::string(words[rng() % std::size(words)]); };
    std::string c;
    c.reserve(corpus_bytes + 4096);
    while (c.size() < corpus_bytes) {
        if (rng() % 4 == 0) {
            const std::size_t n = 256 + rng() % 1200;
            for (std::size_t i = 0; i < n; ++i) c += static_cast<char>(rng() & 0xFF);
            continue;
        }
        std::string r = rng() % 3 ? "GET /" : "POST /";
        for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) r += w() + "/";
        r += w() + ".html?id=" + std::to_string(rng() % 100000) + "&q=" + w() + "+" + w();
        if (rng() % 50 == 0) r += "&x=" + std::string(attacks[rng() % std::size(attacks)]);
        r += " HTTP/1.1\r\nHost: www." + w() + ".example\r\nUser-Agent: " + agents[rng() % std::size(agents)] +
             "\r\nAccept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
             "Cookie: session=" + std::to_string(rng()) + "; theme=light\r\nConnection: keep-alive\r\n\r\n";
        c += r;
    }
    c.resize(corpus_bytes);
    return c;
}

template <class F>
double best_seconds(int reps, F&& f) {
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

struct result {
    double mbps = 0;
    std::size_t bytes = 0, matches = 0, states = 0, automaton = 0;
};

template <class Automaton = big_automaton>
result run_ours(const std::vector<pattern>& pats, std::size_t n, const std::string& corpus) {
    auto ac = std::make_unique<Automaton>();
    std::vector<pattern_spec> specs;
    for (std::size_t i = 0; i < n; ++i) specs.push_back({pats[i].text, static_cast<std::uint32_t>(i + 1), true});
    std::size_t failed = 0;
    if (const auto e = ac->add_batch(specs, &failed); e != dpi_error::ok) {
        std::fprintf(stderr, "bench_dpi: build failed: %s at %zu\n", std::string(name(e)).c_str(), failed);
        std::exit(1);
    }
    result r;
    r.states = ac->state_count();
    // Memory: the automaton proper plus the signature table and pattern bytes it keeps.
    std::size_t pool = 0;
    for (std::size_t i = 0; i < n; ++i) pool += pats[i].text.size();
    r.bytes = ac->automaton_bytes() + n * 12 + pool;
    r.automaton = ac->automaton_bytes();
    const auto* data = reinterpret_cast<const std::byte*>(corpus.data());
    const double s = best_seconds(3, [&] {
        std::size_t m = 0;
        for (std::size_t off = 0; off < corpus.size(); off += packet_size) {
            scan_state st{};
            (void)ac->scan(st, std::span(data + off, std::min(packet_size, corpus.size() - off)), [&](const match&) {
                ++m;
                return true;
            });
        }
        r.matches = m;
    });
    r.mbps = static_cast<double>(corpus.size()) / s / 1e6;
    return r;
}

result run_hyperscan(const std::vector<pattern>& pats, std::size_t n, const std::string& corpus) {
    std::vector<const char*> exprs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags, ids;
    for (std::size_t i = 0; i < n; ++i) {
        exprs.push_back(pats[i].text.data());
        lens.push_back(pats[i].text.size());
        flags.push_back(HS_FLAG_CASELESS);
        ids.push_back(static_cast<unsigned>(i + 1));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(n), HS_MODE_BLOCK,
                             nullptr, &db, &err) != HS_SUCCESS) {
        std::fprintf(stderr, "bench_dpi: hyperscan compile: %s\n", err ? err->message : "?");
        std::exit(1);
    }
    hs_scratch_t* scratch = nullptr;
    hs_alloc_scratch(db, &scratch);
    std::size_t dbsize = 0, scsize = 0;
    hs_database_size(db, &dbsize);
    hs_scratch_size(scratch, &scsize);
    result r;
    r.bytes = dbsize + scsize;
    const double s = best_seconds(3, [&] {
        std::size_t m = 0;
        auto cb = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
            ++*static_cast<std::size_t*>(ctx);
            return 0;
        };
        for (std::size_t off = 0; off < corpus.size(); off += packet_size)
            hs_scan(db, corpus.data() + off, static_cast<unsigned>(std::min(packet_size, corpus.size() - off)), 0, scratch,
                    cb, &m);
        r.matches = m;
    });
    r.mbps = static_cast<double>(corpus.size()) / s / 1e6;
    hs_free_scratch(scratch);
    hs_free_database(db);
    return r;
}

}  // namespace

int main() {
    const auto pats = load_patterns();
    const std::string corpus = make_corpus();

    // "All": as many patterns as the host automaton's capacity takes (u16 pool offsets).
    std::size_t n = 0, pool = 0;
    while (n < pats.size() && n < big_automaton::max_patterns && pool + pats[n].text.size() <= big_automaton::pool_bytes)
        pool += pats[n++].text.size();
    while (n > 0) {  // back off until the states fit as well
        auto probe = std::make_unique<big_automaton>();
        std::vector<pattern_spec> specs;
        for (std::size_t i = 0; i < n; ++i) specs.push_back({pats[i].text, static_cast<std::uint32_t>(i + 1), true});
        if (probe->add_batch(specs) == dpi_error::ok) break;
        n -= n / 20 + 1;
    }
    std::printf("dpi.patterns=%zu\n", n);
    std::printf("dpi.patterns_available=%zu\n", pats.size());
    std::printf("dpi.corpus_bytes=%zu\n", corpus.size());
    std::printf("dpi.packet_bytes=%zu\n", packet_size);

    const result a = run_ours(pats, n, corpus);
    const result h = run_hyperscan(pats, n, corpus);
    std::printf("dpi.states=%zu\n", a.states);
    std::printf("dpi.mbps=%.1f\n", a.mbps);
    std::printf("dpi.hyperscan_mbps=%.1f\n", h.mbps);
    std::printf("dpi.ratio_to_hyperscan=%.3f\n", a.mbps / h.mbps);
    std::printf("dpi.bytes=%zu\n", a.bytes);
    std::printf("dpi.hyperscan_bytes=%zu\n", h.bytes);
    std::printf("dpi.memory_ratio_to_hyperscan=%.3f\n", static_cast<double>(a.bytes) / static_cast<double>(h.bytes));
    // bytes_per_state: the automaton (states incl. failure links and outputs, class maps, root
    // rows) of the compact layout; total_*: everything incl. signature table and rebuild pool.
    std::printf("dpi.state_layout_bytes=%zu\n", bytes_per_state);
    std::printf("dpi.total_bytes_per_state=%.2f\n", static_cast<double>(a.bytes) / static_cast<double>(a.states));
    const result c = run_ours<compact_automaton>(pats, n, corpus);
    std::printf("dpi.compact_mbps=%.1f\n", c.mbps);
    std::printf("dpi.compact_bytes=%zu\n", c.bytes);
    std::printf("dpi.bytes_per_state=%.2f\n", static_cast<double>(c.automaton) / static_cast<double>(c.states));
    std::printf("dpi.compact_total_bytes_per_state=%.2f\n", static_cast<double>(c.bytes) / static_cast<double>(c.states));
    std::printf("dpi.compact_matches=%zu\n", c.matches);
    std::printf("dpi.matches=%zu\n", a.matches);
    std::printf("dpi.hyperscan_matches=%zu\n", h.matches);
    for (std::size_t k : {std::size_t{10}, std::size_t{100}, std::size_t{1000}}) {
        if (k > n) break;
        const result ak = run_ours(pats, k, corpus);
        const result hk = run_hyperscan(pats, k, corpus);
        std::printf("dpi.mbps.patterns_%zu=%.1f\n", k, ak.mbps);
        std::printf("dpi.hyperscan_mbps.patterns_%zu=%.1f\n", k, hk.mbps);
        std::printf("dpi.ns_per_byte.patterns_%zu=%.3f\n", k, 1e3 / ak.mbps);
        std::printf("dpi.bytes.patterns_%zu=%zu\n", k, ak.bytes);
        std::printf("dpi.hyperscan_bytes.patterns_%zu=%zu\n", k, hk.bytes);
        if (ak.matches != hk.matches)
            std::printf("# warning: match counts differ at %zu patterns: %zu vs %zu\n", k, ak.matches, hk.matches);
    }
    if (a.matches != h.matches) std::printf("# warning: match counts differ: %zu vs %zu\n", a.matches, h.matches);
    return 0;
}
